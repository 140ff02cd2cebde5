"""The backoff policy and boot-time stabilisation, as pure functions of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.docsight.docsis.backoff import Backoff, stable_boot_time

T0 = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "penalty"),
    [(0, 0), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (9, 3600), (30, 3600)],
)
def test_penalty_doubles_and_caps(failures: int, penalty: float) -> None:
    backoff = Backoff()
    for n in range(failures):
        backoff.record_failure(T0 + timedelta(minutes=n))
    assert backoff.failures == failures
    assert backoff.penalty_seconds(T0 + timedelta(minutes=failures)) == penalty


def test_success_resets() -> None:
    backoff = Backoff()
    backoff.record_failure(T0)
    backoff.record_failure(T0)
    backoff.record_success()
    assert backoff.failures == 0
    assert backoff.penalty_seconds(T0) == 0
    assert backoff.record_failure(T0) == 30


def test_failures_forgotten_after_a_day_without_polls() -> None:
    backoff = Backoff()
    for _ in range(5):
        backoff.record_failure(T0)
    assert backoff.penalty_seconds(T0 + timedelta(hours=23, minutes=59)) == 480
    assert backoff.penalty_seconds(T0 + timedelta(hours=24)) == 0
    assert backoff.failures == 0
    # A failure a day later starts the schedule again from the beginning.
    backoff = Backoff()
    for _ in range(5):
        backoff.record_failure(T0)
    assert backoff.record_failure(T0 + timedelta(days=1)) == 30


def test_boot_time_is_stable_against_jitter() -> None:
    first = stable_boot_time(T0, 3600, None)
    assert first == T0 - timedelta(hours=1)
    # Two seconds of latency must not move it...
    assert stable_boot_time(T0 + timedelta(seconds=302), 3900, first) == first
    # ...a reboot must.
    rebooted = stable_boot_time(T0 + timedelta(hours=2), 60, first)
    assert rebooted == T0 + timedelta(hours=2) - timedelta(seconds=60)
    assert stable_boot_time(T0, None, first) is None
