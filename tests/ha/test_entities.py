"""Entities of the demo modem on a real Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.docsight.const import DOMAIN
from custom_components.docsight.docsis.model import Direction

ENABLED = {
    "binary_sensor.docsight_demo_line_problem",
    "sensor.docsight_demo_bnetza_campaign",
    "sensor.docsight_demo_bnetza_download_verdict",
    "sensor.docsight_demo_bnetza_upload_verdict",
    "sensor.docsight_demo_bnetza_download_average",
    "sensor.docsight_demo_bnetza_upload_average",
    "button.docsight_demo_poll_now",
    "event.docsight_demo_line_event",
    "sensor.docsight_demo_line_health",
    "sensor.docsight_demo_downstream_power_average",
    "sensor.docsight_demo_downstream_power_minimum",
    "sensor.docsight_demo_downstream_power_maximum",
    "sensor.docsight_demo_downstream_snr_minimum",
    "sensor.docsight_demo_downstream_snr_average",
    "sensor.docsight_demo_upstream_power_average",
    "sensor.docsight_demo_uncorrectable_error_rate",
    "sensor.docsight_demo_corrected_codewords",
    "sensor.docsight_demo_uncorrectable_codewords",
    "sensor.docsight_demo_downstream_channels",
    "sensor.docsight_demo_upstream_channels",
    "sensor.docsight_demo_last_boot",
}


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: int = 300) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_default_entities_and_values(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    states = {state.entity_id: state for state in hass.states.async_all()}
    assert set(states) == ENABLED

    health = states["sensor.docsight_demo_line_health"]
    assert health.state == "good"
    assert health.attributes["options"] == ["good", "tolerated", "marginal", "critical"]
    assert health.attributes["issues"] == []
    assert states["binary_sensor.docsight_demo_line_problem"].state == "off"
    assert states["sensor.docsight_demo_downstream_channels"].state == "25"
    assert states["sensor.docsight_demo_upstream_channels"].state == "5"
    power = float(states["sensor.docsight_demo_downstream_power_average"].state)
    assert 3.0 < power < 8.0
    assert (
        states["sensor.docsight_demo_downstream_power_average"].attributes["unit_of_measurement"]
        == "dBmV"
    )
    assert (
        states["sensor.docsight_demo_downstream_power_average"].attributes["state_class"]
        == "measurement"
    )
    assert float(states["sensor.docsight_demo_downstream_snr_minimum"].state) > 33.0
    assert 40.0 < float(states["sensor.docsight_demo_upstream_power_average"].state) < 48.0
    assert states["sensor.docsight_demo_uncorrectable_error_rate"].state == "0.0"
    assert (
        states["sensor.docsight_demo_corrected_codewords"].attributes["state_class"]
        == "total_increasing"
    )
    assert states["sensor.docsight_demo_last_boot"].attributes["device_class"] == "timestamp"

    # Per-channel sensors exist for every channel, disabled by default.
    channel_entries = [
        entry
        for entry in er.async_entries_for_config_entry(entity_registry, loaded_demo.entry_id)
        if "_channel_" in entry.entity_id
    ]
    assert len(channel_entries) == 25 * 2 + 5
    assert all(
        entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION for entry in channel_entries
    )
    unique_ids = {entry.unique_id for entry in channel_entries}
    assert {"demo_ds_33_power", "demo_ds_33_snr", "demo_us_5_power"} <= unique_ids


async def test_device_info(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    device = device_registry.async_get_device(identifiers={(DOMAIN, "demo")})
    assert device is not None
    assert device.manufacturer == "DOCSight"
    assert device.model == "Demo Router"
    assert device.sw_version == "Demo v2.0"
    assert device.serial_number.startswith("DEMO")


async def test_values_change_between_polls(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    entity = "sensor.docsight_demo_corrected_codewords"
    before = int(hass.states.get(entity).state)
    await _poll(hass, freezer)
    assert int(hass.states.get(entity).state) > before


async def test_channel_sensors_follow_the_channel_list(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Lost channels go unavailable (not deleted); new channels get sensors; ids stay stable."""
    entity_id = "sensor.docsight_demo_downstream_channel_24_power"
    entity_registry.async_update_entity(entity_id, disabled_by=None)
    # Enabling an entity makes Home Assistant reload the entry 30 s later.
    await _poll(hass, freezer, 31)
    state = hass.states.get(entity_id)
    assert 3.0 < float(state.state) < 9.0
    assert state.attributes["frequency_hz"] == 738_000_000
    assert state.attributes["modulation"] == "256QAM"

    driver = loaded_demo.runtime_data.modem.driver
    driver.lost_channels = frozenset({(Direction.DOWNSTREAM, 24)})
    await _poll(hass, freezer)
    assert hass.states.get(entity_id).state == STATE_UNAVAILABLE
    assert entity_registry.async_get(entity_id) is not None
    assert hass.states.get("sensor.docsight_demo_downstream_channels").state == "24"

    driver.lost_channels = frozenset()
    await _poll(hass, freezer)
    assert float(hass.states.get(entity_id).state) > 0
    assert entity_registry.async_get(entity_id).unique_id == "demo_ds_24_power"


async def test_new_channel_after_setup_gets_entities(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    good_time,
    freezer: FrozenDateTimeFactory,
) -> None:
    from custom_components.docsight.docsis.drivers import demo as demo_module

    original_init = demo_module.DemoModem.__init__

    def init_without_channel_5(self, config=None):
        original_init(self, config)
        self.lost_channels = frozenset({(Direction.UPSTREAM, 5)})

    demo_module.DemoModem.__init__ = init_without_channel_5
    try:
        demo_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done()
    finally:
        demo_module.DemoModem.__init__ = original_init
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "demo_us_5_power") is None

    demo_entry.runtime_data.modem.driver.lost_channels = frozenset()
    await _poll(hass, freezer)
    assert entity_registry.async_get_entity_id("sensor", DOMAIN, "demo_us_5_power") is not None


async def test_degradation_shows_in_health_and_problem(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    loaded_demo.runtime_data.modem.driver.scenario = "bad"
    await _poll(hass, freezer)
    health = hass.states.get("sensor.docsight_demo_line_health")
    assert health.state in {"marginal", "critical"}
    assert "us_modulation_marginal" in health.attributes["issues"]
    problem = hass.states.get("binary_sensor.docsight_demo_line_problem")
    assert problem.state == "on"
    assert problem.attributes["issues"] == health.attributes["issues"]


async def test_button_polls_now(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    coordinator = loaded_demo.runtime_data.modem
    freezer.tick(timedelta(seconds=15))
    await hass.services.async_call(
        "button", "press", {"entity_id": "button.docsight_demo_poll_now"}, blocking=True
    )
    assert coordinator.status()["polls"] == 2
