"""The uncorrectable-codeword rate: cohort, baseline, thresholds and spike expiry.

Reference (docs/docsis-reference.md 1.5): only channels with both counters
count; below 1000 codewords the rate is 0.0; >= 1 % is ``uncorr_errors_high``
and >= 3 % ``uncorr_errors_critical``; the rate is growth since a baseline,
which starts afresh when a counter falls or the cohort changes; and the
errors up to an error spike stop counting 48 h after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from custom_components.docsight.docsis.analyzer import (
    Analysis,
    ErrorBaseline,
    LineHealth,
    analyze,
)
from custom_components.docsight.docsis.model import Channel

from .factories import POLL, T0, analysis, counted, ds, reading

HOUR = timedelta(hours=1)


def _baseline(
    corrected: int = 0, uncorrected: int = 0, ids: tuple[int, ...] = (1, 2)
) -> ErrorBaseline:
    return ErrorBaseline(T0, corrected, uncorrected, frozenset(ids))


def _two_channels(corrected: int, uncorrected: int) -> list[Channel]:
    """Two channels; channel 1 carries the corrected and channel 2 the uncorrected growth."""
    return [ds(1, corrected=corrected, uncorrected=0), ds(2, corrected=0, uncorrected=uncorrected)]


def test_comparable_cohort_only_counts_channels_with_both_counters() -> None:
    result = analysis(
        [
            ds(1, corrected=100, uncorrected=5),
            ds(2, corrected=50, uncorrected=None),
            ds(3, corrected=None, uncorrected=7),
            ds(4, corrected=None, uncorrected=None),
        ],
        at=T0,
    )
    summary = result.summary
    # The raw totals sum every channel that reports the counter ...
    assert summary.ds_correctable_errors == 150
    assert summary.ds_uncorrectable_errors == 12
    # ... the rate only the channels that report both.
    assert summary.error_counter_coverage == 0.25
    assert summary.errors_supported is True
    assert result.baseline == ErrorBaseline(T0, 100, 5, frozenset({1}))
    # A fresh baseline has no growth yet, so the rate is 0.0 (not None).
    assert summary.ds_corrected_since_baseline == 0
    assert summary.ds_uncorrected_since_baseline == 0
    assert summary.ds_uncorr_pct == 0.0


def test_coverage_is_rounded() -> None:
    result = analysis([ds(1, corrected=1, uncorrected=0), ds(2), ds(3)])
    assert result.summary.error_counter_coverage == 0.333


def test_no_counters_means_unsupported_and_none_not_zero() -> None:
    """A modem that does not count errors must not look like one with a perfect line."""
    summary = analysis([ds(1), ds(2)]).summary
    assert summary.ds_correctable_errors is None
    assert summary.ds_uncorrectable_errors is None
    assert summary.errors_supported is False
    assert summary.error_counter_coverage == 0.0
    assert summary.ds_uncorr_pct is None
    assert summary.ds_corrected_since_baseline is None
    assert summary.ds_uncorrected_since_baseline is None


def test_one_counter_only_is_unsupported_but_keeps_its_total() -> None:
    result = analysis([ds(1, corrected=10), ds(2, corrected=20)])
    assert result.summary.ds_correctable_errors == 30
    assert result.summary.ds_uncorrectable_errors is None
    assert result.summary.errors_supported is False
    assert result.summary.ds_uncorr_pct is None
    assert result.baseline is None


def test_zero_counters_are_zero_not_none() -> None:
    summary = analysis(counted(2, corrected=0, uncorrected=0)).summary
    assert summary.ds_correctable_errors == 0
    assert summary.ds_uncorrectable_errors == 0
    assert summary.errors_supported is True


@pytest.mark.parametrize(
    ("corrected", "uncorrected", "pct", "issues", "health"),
    [
        # Fewer than 1000 codewords since the baseline: too few to judge.
        (989, 10, 0.0, (), LineHealth.GOOD),
        (0, 999, 0.0, (), LineHealth.GOOD),
        # Exactly 1000 codewords are enough.
        (991, 9, 0.9, (), LineHealth.GOOD),
        (990, 10, 1.0, ("uncorr_errors_high",), LineHealth.MARGINAL),
        (971, 29, 2.9, ("uncorr_errors_high",), LineHealth.MARGINAL),
        (970, 30, 3.0, ("uncorr_errors_critical",), LineHealth.CRITICAL),
        (0, 1000, 100.0, ("uncorr_errors_critical",), LineHealth.CRITICAL),
        (1000, 0, 0.0, (), LineHealth.GOOD),
        (3, 1, 0.0, (), LineHealth.GOOD),
    ],
)
def test_rate_thresholds_and_minimum_codewords(
    corrected: int, uncorrected: int, pct: float, issues: tuple[str, ...], health: LineHealth
) -> None:
    result = analysis(_two_channels(corrected, uncorrected), at=T0 + POLL, baseline=_baseline())
    summary = result.summary
    assert summary.ds_corrected_since_baseline == corrected
    assert summary.ds_uncorrected_since_baseline == uncorrected
    assert summary.ds_uncorr_pct == pct
    assert summary.issues == issues
    assert summary.health is health


def test_rate_is_growth_since_the_baseline_not_lifetime_totals() -> None:
    baseline = _baseline(5000, 10_000)  # a lifetime of 66 % uncorrectables
    result = analysis(_two_channels(5990, 10_010), at=T0 + POLL, baseline=baseline)
    assert result.summary.ds_correctable_errors == 5990
    assert result.summary.ds_uncorrectable_errors == 10_010
    assert result.summary.ds_corrected_since_baseline == 990
    assert result.summary.ds_uncorrected_since_baseline == 10
    assert result.summary.ds_uncorr_pct == 1.0
    assert result.baseline is baseline  # kept for the next poll


def test_baseline_carries_over_poll_to_poll() -> None:
    first = analysis(_two_channels(100, 0), at=T0)
    assert first.baseline == ErrorBaseline(T0, 100, 0, frozenset({1, 2}))
    second = analysis(_two_channels(600, 5), at=T0 + POLL, baseline=first.baseline)
    assert second.baseline is first.baseline
    assert second.summary.ds_uncorr_pct == 0.0  # 505 codewords: below the minimum
    third = analysis(_two_channels(1090, 10), at=T0 + 2 * POLL, baseline=second.baseline)
    assert third.summary.ds_uncorr_pct == 1.0
    assert third.summary.issues == ("uncorr_errors_high",)


@pytest.mark.parametrize(
    ("corrected", "uncorrected"),
    [(4000, 10_010), (6000, 9_999)],
    ids=["corrected-fell", "uncorrected-fell"],
)
def test_counter_decrease_starts_a_fresh_baseline(corrected: int, uncorrected: int) -> None:
    now = T0 + POLL
    result = analysis(
        _two_channels(corrected, uncorrected), at=now, baseline=_baseline(5000, 10_000)
    )
    assert result.baseline == ErrorBaseline(now, corrected, uncorrected, frozenset({1, 2}))
    assert result.summary.ds_uncorr_pct == 0.0
    assert result.summary.ds_uncorrected_since_baseline == 0


@pytest.mark.parametrize(
    "channels",
    [
        # Channel 2 lost.
        [ds(1, corrected=5000, uncorrected=100)],
        # Channel 3 added.
        [*counted(2, 5000, 100), ds(3, corrected=0, uncorrected=0)],
        # Channel 2 stopped reporting one of its counters.
        [ds(1, corrected=5000, uncorrected=100), ds(2, corrected=5000)],
    ],
    ids=["lost", "added", "counter-gone"],
)
def test_cohort_change_starts_a_fresh_baseline(channels: list[Channel]) -> None:
    now = T0 + POLL
    result = analysis(channels, at=now, baseline=_baseline(0, 0))
    assert result.baseline is not None
    assert result.baseline.taken_at == now
    assert result.summary.ds_uncorr_pct == 0.0


# ---------------------------------------------------------------------------
# Spike expiry: 48 h after the last error spike, re-baseline; new growth counts.


def _after_spike(
    hours_since_spike: float, baseline: ErrorBaseline, spike_at: datetime | None = None
) -> Analysis:
    """Analyse 3 % growth (critical) at ``hours_since_spike`` after a spike at T0 + 1 h."""
    spike = spike_at if spike_at is not None else T0 + HOUR
    now = spike + timedelta(hours=hours_since_spike)
    return analyze(reading(_two_channels(970, 30), at=now), baseline=baseline, last_spike_at=spike)


def test_spike_younger_than_48_hours_still_counts() -> None:
    result = _after_spike(47.99, _baseline())
    assert result.summary.ds_uncorr_pct == 3.0
    assert result.summary.issues == ("uncorr_errors_critical",)
    assert result.baseline is not None
    assert result.baseline.taken_at == T0


@pytest.mark.parametrize("hours", [48.0, 49.0, 500.0])
def test_spike_48_hours_old_re_baselines(hours: float) -> None:
    result = _after_spike(hours, _baseline())
    now = T0 + HOUR + timedelta(hours=hours)
    assert result.baseline == ErrorBaseline(now, 970, 30, frozenset({1, 2}))
    assert result.summary.ds_uncorr_pct == 0.0
    assert result.summary.issues == ()
    assert result.summary.health is LineHealth.GOOD


def test_growth_after_the_expiry_counts_again() -> None:
    expired = _after_spike(49.0, _baseline())
    assert expired.summary.ds_uncorr_pct == 0.0
    # The same spike is still the last one; the new baseline is younger than
    # it, so it is kept and new uncorrectables weigh on the line again.
    assert expired.baseline is not None
    later = _after_spike(49.25, expired.baseline)
    assert later.baseline is expired.baseline
    assert later.summary.ds_uncorr_pct == 0.0  # no growth yet
    grown = analyze(
        reading(_two_channels(970 + 970, 30 + 30), at=T0 + 51 * HOUR),
        baseline=expired.baseline,
        last_spike_at=T0 + HOUR,
    )
    assert grown.baseline is expired.baseline
    assert grown.summary.ds_uncorr_pct == 3.0
    assert grown.summary.issues == ("uncorr_errors_critical",)


def test_baseline_taken_at_or_after_the_spike_is_not_reset() -> None:
    """The baseline already excludes the spike's errors; growth since is new growth."""
    spike = T0 + HOUR
    for taken_at in (spike, spike + HOUR):
        baseline = ErrorBaseline(taken_at, 0, 0, frozenset({1, 2}))
        result = _after_spike(100.0, baseline, spike_at=spike)
        assert result.baseline is baseline
        assert result.summary.ds_uncorr_pct == 3.0


def test_no_spike_no_expiry() -> None:
    result = analyze(
        reading(_two_channels(970, 30), at=T0 + 1000 * HOUR),
        baseline=_baseline(),
        last_spike_at=None,
    )
    assert result.summary.ds_uncorr_pct == 3.0


def test_uncorrectables_alone_grade_the_line_marginal_not_tolerated() -> None:
    """Deliberate departure from DOCSight: 1-3 % uncorrectables alone are "marginal".

    The reference derives the line grade from the words in the issue names, and
    ``uncorr_errors_high`` contains neither "critical" nor "marginal", so it
    grades a line losing 1-3 % of its codewords as merely "tolerated", the same
    as a level 0.1 dB outside its ideal band.  Every lost codeword is a
    retransmission (or a dropped packet) the user feels, and 1 % is well past
    what a healthy DOCSIS line shows, so this library grades it "marginal"
    (each summary issue carries its own grade; see the analyzer docstring).
    """
    result = analysis(_two_channels(980, 20), at=T0 + POLL, baseline=_baseline())
    assert result.summary.issues == ("uncorr_errors_high",)
    assert result.summary.health is LineHealth.MARGINAL
    assert result.summary.health is not LineHealth.TOLERATED
    # Every channel is fine: it is the rate alone that makes the line marginal.
    assert {item.health for item in result.downstream} == {"good"}
