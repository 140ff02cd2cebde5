"""The modem coordinator on a real Home Assistant: schedule, backoff, poll-now, status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.docsight.const import DOMAIN
from custom_components.docsight.coordinator import ModemCoordinator, web_link

HEALTH = "sensor.docsight_demo_line_health"


def _coordinator(entry: MockConfigEntry) -> ModemCoordinator:
    return entry.runtime_data.modem


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_polls_at_the_fixed_interval(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = _coordinator(loaded_demo)
    assert coordinator.update_interval == timedelta(seconds=300)
    assert coordinator.status()["polls"] == 1
    await _advance(hass, freezer, 299)
    assert coordinator.status()["polls"] == 1
    await _advance(hass, freezer, 1)
    assert coordinator.status()["polls"] == 2


async def test_backoff_schedule_and_recovery(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After the n-th failure the next poll waits the interval plus 30 s * 2^(n-1), capped at 1 h."""
    coordinator = _coordinator(loaded_demo)
    coordinator.driver.scenario = "offline"
    caplog.set_level(logging.INFO)

    await _advance(hass, freezer, 300)
    assert coordinator.backoff.failures == 1
    assert hass.states.get(HEALTH).state == STATE_UNAVAILABLE

    expected_penalties = [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    for failures, penalty in enumerate(expected_penalties, start=1):
        assert coordinator.update_interval == timedelta(seconds=300 + penalty), failures
        status = coordinator.status()
        assert status["consecutive_failures"] == failures
        assert status["penalty_seconds"] == penalty
        assert status["effective_interval"] == 300 + penalty
        assert status["last_error"] == "the demo modem is offline"
        # Not a second early...
        await _advance(hass, freezer, 300 + penalty - 1)
        assert coordinator.backoff.failures == failures
        # ...and on time.
        await _advance(hass, freezer, 1)
        assert coordinator.backoff.failures == failures + 1

    unavailable_logs = [r for r in caplog.records if "Error fetching" in r.getMessage()]
    assert len(unavailable_logs) == 1, "unavailability is logged once"

    coordinator.driver.scenario = "good"
    await _advance(hass, freezer, 3900)
    assert coordinator.backoff.failures == 0
    assert coordinator.update_interval == timedelta(seconds=300)
    assert hass.states.get(HEALTH).state in {"good", "tolerated", "marginal", "critical"}
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1, "the return is logged once"


async def test_poll_now_rules(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = _coordinator(loaded_demo)
    with pytest.raises(ServiceValidationError) as err:
        await coordinator.async_poll_now()
    assert err.value.translation_key == "poll_too_soon"
    assert err.value.translation_placeholders == {"seconds": "10"}

    freezer.tick(timedelta(seconds=10))
    await coordinator.async_poll_now()
    assert coordinator.status()["polls"] == 2

    freezer.tick(timedelta(seconds=11))
    coordinator.driver.scenario = "offline"
    with pytest.raises(HomeAssistantError) as err:
        await coordinator.async_poll_now()
    assert err.value.translation_key == "poll_failed"
    assert "offline" in str(err.value.translation_placeholders)


async def test_never_two_polls_at_once(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A poll-now while a poll runs is refused, and concurrent refreshes are serialised."""
    coordinator = _coordinator(loaded_demo)
    driver = coordinator.driver
    gate = asyncio.Event()
    running = 0
    most = 0
    original = driver.async_fetch

    async def slow_fetch():
        nonlocal running, most
        running += 1
        most = max(most, running)
        await gate.wait()
        running -= 1
        return await original()

    driver.async_fetch = slow_fetch
    freezer.tick(timedelta(seconds=30))
    first = hass.async_create_task(coordinator.async_refresh())
    second = hass.async_create_task(coordinator.async_refresh())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    with pytest.raises(ServiceValidationError) as err:
        await coordinator.async_poll_now()
    assert err.value.translation_key == "poll_in_progress"
    assert coordinator.status()["polling"] is True
    gate.set()
    await first
    await second
    assert most == 1
    assert coordinator.status()["polls"] == 3


async def test_timeout_counts_as_failure(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = _coordinator(loaded_demo)

    async def hang():
        await asyncio.sleep(3600)

    coordinator.driver.async_fetch = hang
    freezer.tick(timedelta(seconds=300))
    refresh = hass.async_create_task(coordinator.async_refresh())
    await asyncio.sleep(0)
    freezer.tick(timedelta(seconds=61))
    async_fire_time_changed(hass)
    await refresh
    assert coordinator.last_update_success is False
    assert coordinator.backoff.failures == 1
    assert coordinator.last_exception.translation_key == "timeout"


async def test_status_before_any_poll(
    hass: HomeAssistant, demo_entry: MockConfigEntry, tmp_path: Path
) -> None:
    """Status works on a coordinator that has not polled yet (next poll unknown)."""
    from custom_components.docsight.docsis.drivers import MODEM_TYPES, create_driver
    from custom_components.docsight.docsis.drivers.base import DriverConfig
    from custom_components.docsight.history import HistoryWorker

    demo_entry.add_to_hass(hass)
    coordinator = ModemCoordinator(
        hass,
        demo_entry,
        create_driver("demo", DriverConfig(seed=1)),
        MODEM_TYPES["demo"],
        HistoryWorker(hass, tmp_path / "history.db"),  # never opened: no thread starts
    )
    status = coordinator.status()
    assert status["last_poll"] is None
    assert status["next_poll"] is None
    assert status["next_poll_in"] is None
    assert coordinator.device_info["identifiers"] == {(DOMAIN, "demo")}


@pytest.mark.parametrize(
    ("url", "link"),
    [
        (None, None),
        ("", None),
        ("192.168.100.1", "http://192.168.100.1"),
        ("https://192.168.100.1/", "https://192.168.100.1/"),
        ("http://admin:secret@10.0.0.1:8080/status", "http://10.0.0.1:8080/status"),
        ("snmp://private@192.168.100.1:1161", "http://192.168.100.1"),
        ("snmp://[fe80::1]:161", "http://[fe80::1]"),
        ("snmp://public@", None),
    ],
)
def test_web_link_is_http_and_without_credentials(url: str | None, link: str | None) -> None:
    assert web_link(url) == link
