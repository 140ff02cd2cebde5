"""Reading the history back through the service actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.docsis.analyzer import analyze
from custom_components.docsight.docsis.drivers.base import DriverConfig
from custom_components.docsight.docsis.drivers.demo import DemoModem
from custom_components.docsight.docsis.events import detect
from custom_components.docsight.docsis.storage import HistoryStore

from .jsonmodem import JsonModemSimulator, json_modem_fixture  # noqa: F401

# Two days of 15-minute history, the second one with a bad night (day 70).
HISTORY_START = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
HISTORY_DAYS = 2


@pytest.fixture
async def entry(hass: HomeAssistant, json_modem: JsonModemSimulator, freezer) -> MockConfigEntry:
    """A JSON-modem entry (no demo seeding) whose store holds two known days."""
    freezer.move_to(HISTORY_START + timedelta(days=HISTORY_DAYS, hours=1))
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=json_modem.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    modem = DemoModem(DriverConfig(seed=5, time_zone=UTC))
    polls = []
    baseline = state = None
    for slot in range(HISTORY_DAYS * 96):
        analysis = analyze(
            modem.read(HISTORY_START + timedelta(minutes=15 * slot)), baseline=baseline
        )
        baseline = analysis.baseline
        events, state = detect(state, analysis)
        polls.append((analysis, events))
    await entry.runtime_data.history.run(HistoryStore.save_polls, polls)
    return entry


async def _call(hass: HomeAssistant, service: str, **data):
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def test_trends_by_range_and_bucket(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    response = await _call(
        hass,
        "get_trends",
        config_entry=entry.entry_id,
        start=HISTORY_START.isoformat(),
        end=(HISTORY_START + timedelta(days=1)).isoformat(),
    )
    assert response["bucket"] == "hour"
    points = response["points"]
    assert len(points) == 24
    assert all(point["samples"] == 4 for point in points)
    assert points[0]["start"] == "2026-03-10T00:00:00Z"
    first = points[0]
    assert first["ds_power_min"] <= first["ds_power_avg"] <= first["ds_power_max"]
    assert sum(first["health_counts"].values()) == 4

    response = await _call(hass, "get_trends", config_entry=entry.entry_id, range="week")
    assert response["bucket"] == "day"
    samples = sum(point["samples"] for point in response["points"])
    # Two seeded days plus the entry's own first poll.
    assert samples == HISTORY_DAYS * 96 + 1

    response = await _call(
        hass, "get_trends", config_entry=entry.entry_id, range="month", bucket="week"
    )
    assert response["bucket"] == "week"
    assert sum(point["samples"] for point in response["points"]) == HISTORY_DAYS * 96 + 1


async def test_bad_night_shows_in_trends(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Day 70 (2026-03-11) has a bad night from 02 to 08 h in the modem's zone (UTC here)."""
    response = await _call(
        hass,
        "get_trends",
        config_entry=entry.entry_id,
        start="2026-03-11T00:00:00+00:00",
        end="2026-03-11T12:00:00+00:00",
        bucket="hour",
    )
    worst = {point["start"][11:13]: point["worst_health"] for point in response["points"]}
    assert worst["03"] in {"marginal", "critical"}
    assert worst["10"] in {"good", "tolerated"}


async def test_snapshots_and_one_snapshot(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    response = await _call(
        hass,
        "list_snapshots",
        config_entry=entry.entry_id,
        start=HISTORY_START.isoformat(),
        end=(HISTORY_START + timedelta(hours=2)).isoformat(),
    )
    snapshots = response["snapshots"]
    assert [s["read_at"][11:16] for s in snapshots] == [
        "00:00", "00:15", "00:30", "00:45", "01:00", "01:15", "01:30", "01:45",
    ]  # fmt: skip
    assert snapshots[0]["ds_total"] == 25

    limited = await _call(
        hass,
        "list_snapshots",
        config_entry=entry.entry_id,
        start=HISTORY_START.isoformat(),
        limit=3,
    )
    assert len(limited["snapshots"]) == 3

    one = await _call(
        hass, "get_snapshot", config_entry=entry.entry_id, time="2026-03-10T00:20:00+00:00"
    )
    assert one["read_at"] == "2026-03-10T00:15:00Z"
    assert len(one["downstream"]) == 25
    assert len(one["upstream"]) == 5
    assert one["downstream"][0]["channel_id"] == 1
    assert one["upstream"][4]["frequency_hz"] == [18_000_000, 44_000_000]
    assert one["summary"]["health"] in {"good", "tolerated", "marginal", "critical"}

    newest = await _call(hass, "get_snapshot", config_entry=entry.entry_id)
    assert newest["read_at"] > one["read_at"]

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "get_snapshot", config_entry=entry.entry_id, time="2020-01-01T00:00:00")
    assert err.value.translation_key == "no_snapshot"


async def test_events_filters_and_acknowledge(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    everything = (await _call(hass, "list_events", config_entry=entry.entry_id))["events"]
    assert everything, "two days with a bad night produce events"
    times = [event["timestamp"] for event in everything]
    assert times == sorted(times, reverse=True)

    warnings = await _call(
        hass,
        "list_events",
        config_entry=entry.entry_id,
        severity=["warning", "critical"],
        event_type="modulation_change",
    )
    assert warnings["events"]
    assert {e["severity"] for e in warnings["events"]} <= {"warning", "critical"}
    assert {e["event_type"] for e in warnings["events"]} == {"modulation_change"}

    ids = [event["id"] for event in warnings["events"]]
    response = await _call(hass, "acknowledge_events", config_entry=entry.entry_id, event_ids=ids)
    assert response == {"updated": len(ids)}
    acknowledged = await _call(hass, "list_events", config_entry=entry.entry_id, acknowledged=True)
    assert sorted(e["id"] for e in acknowledged["events"]) == sorted(ids)
    open_events = await _call(
        hass, "list_events", config_entry=entry.entry_id, acknowledged=False, limit=5000
    )
    assert len(open_events["events"]) == len(everything) - len(ids)

    await _call(
        hass,
        "acknowledge_events",
        config_entry=entry.entry_id,
        event_ids=ids[:1],
        acknowledged=False,
    )
    acknowledged = await _call(hass, "list_events", config_entry=entry.entry_id, acknowledged=True)
    assert len(acknowledged["events"]) == len(ids) - 1

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "acknowledge_events", config_entry=entry.entry_id, event_ids=[999999])
    assert err.value.translation_key == "events_not_found"


async def test_bad_calls(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass,
            "get_trends",
            config_entry=entry.entry_id,
            start="2026-03-11T00:00:00+00:00",
            end="2026-03-10T00:00:00+00:00",
        )
    assert err.value.translation_key == "invalid_time_range"

    with pytest.raises(ServiceValidationError) as err:
        await _call(
            hass, "list_snapshots", config_entry=entry.entry_id, start="2000-01-01T00:00:00"
        )
    assert err.value.translation_key == "time_range_too_long"

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "list_events", config_entry="no-such-entry")
    assert err.value.translation_key == "entry_not_found"

    # What the schema refuses never reaches the handler.
    for service, data in (
        ("get_trends", {"bucket": "fortnight"}),
        ("get_trends", {"range": "decade"}),
        ("list_events", {"severity": ["fatal"]}),
        ("list_events", {"event_type": ["meteor_strike"]}),
        ("list_snapshots", {"limit": 0}),
        ("acknowledge_events", {"event_ids": []}),
        ("acknowledge_events", {"event_ids": ["x"]}),
        ("get_snapshot", {"time": "not a time"}),
    ):
        with pytest.raises(vol.Invalid):
            await _call(hass, service, config_entry=entry.entry_id, **data)
