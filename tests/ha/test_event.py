"""The line event entity fires every detected event."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

EVENT_ENTITY = "event.docsight_demo_line_event"


async def test_first_poll_fires_monitoring_started(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    state = hass.states.get(EVENT_ENTITY)
    assert state.attributes["event_type"] == "monitoring_started"
    assert state.attributes["severity"] == "info"
    assert "health" in state.attributes["details"]
    assert "health_change" in state.attributes["event_types"]


async def test_forced_degradation_fires_events(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    fired: list[dict] = []

    def record(event: Event) -> None:
        if event.data["entity_id"] == EVENT_ENTITY:
            fired.append(dict(event.data["new_state"].attributes))

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    loaded_demo.runtime_data.modem.driver.scenario = "bad"
    freezer.tick(timedelta(seconds=300))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    types = [attrs["event_type"] for attrs in fired]
    assert "health_change" in types
    assert "modulation_change" in types
    health = next(attrs for attrs in fired if attrs["event_type"] == "health_change")
    assert health["severity"] in {"warning", "critical"}
    assert health["details"]["previous"] == "good"
    assert health["message"].startswith("Line health changed from good to")
    downgrade = next(attrs for attrs in fired if attrs["event_type"] == "modulation_change")
    assert downgrade["details"]["direction"] == "downgrade"
    changed = {(c["direction"], c["channel_id"]) for c in downgrade["details"]["changes"]}
    assert ("upstream", 3) in changed
    assert ("downstream", 19) in changed

    # Nothing is fired twice when the coordinator updates without a new poll.
    count = len(fired)
    loaded_demo.runtime_data.modem.async_update_listeners()
    await hass.async_block_till_done()
    assert len(fired) == count


async def test_hysteresis_option_delays_health_change(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time, freezer: FrozenDateTimeFactory
) -> None:
    demo_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(demo_entry, options={"health_hysteresis": 2})
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()
    demo_entry.runtime_data.modem.driver.scenario = "bad"
    for expected in (False, True):
        freezer.tick(timedelta(seconds=300))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        fired = [e.event_type for e in demo_entry.runtime_data.modem.data.events]
        assert ("health_change" in fired) is expected
