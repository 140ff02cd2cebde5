"""Modem-side changes seen through a real HTTP peer: firmware, error bursts, identity."""

from __future__ import annotations

from dataclasses import replace

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN

from .jsonmodem import JsonModemSimulator, json_modem_fixture  # noqa: F401

MAC = "00:11:22:33:44:55"


async def _setup(hass: HomeAssistant, simulator: JsonModemSimulator) -> MockConfigEntry:
    simulator.reading = replace(
        simulator.reading, device=replace(simulator.reading.device, mac=MAC)
    )
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=simulator.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: simulator.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_device_identity_and_firmware_update(
    hass: HomeAssistant, json_modem: JsonModemSimulator, device_registry: dr.DeviceRegistry
) -> None:
    entry = await _setup(hass, json_modem)
    device = device_registry.async_get_device(identifiers={(DOMAIN, json_modem.serial)})
    assert device.connections == {(dr.CONNECTION_NETWORK_MAC, MAC)}
    assert device.configuration_url == json_modem.url
    assert device.sw_version == "Demo v2.0"

    reading = json_modem.reading
    json_modem.reading = replace(reading, device=replace(reading.device, firmware="Demo v2.1"))
    await entry.runtime_data.modem.async_refresh()
    await hass.async_block_till_done()

    events = [event.event_type for event in entry.runtime_data.modem.data.events]
    assert "device_sw_update" in events
    device = device_registry.async_get_device(identifiers={(DOMAIN, json_modem.serial)})
    assert device.sw_version == "Demo v2.1"


async def test_error_burst_fires_a_spike_and_counts_toward_expiry(
    hass: HomeAssistant, json_modem: JsonModemSimulator
) -> None:
    entry = await _setup(hass, json_modem)
    coordinator = entry.runtime_data.modem
    reading = json_modem.reading
    burst = tuple(
        replace(channel, uncorrected=(channel.uncorrected or 0) + 100)
        for channel in reading.downstream
    )
    json_modem.reading = replace(reading, downstream=burst)
    await coordinator.async_refresh()
    await hass.async_block_till_done()

    spike = [e for e in coordinator.data.events if e.event_type == "error_spike"]
    assert len(spike) == 1
    assert spike[0].details["delta"] == 100 * len(burst)
    assert coordinator._last_spike_at == coordinator.data.analysis.read_at
    state = hass.states.get("event.simulated_modem_line_event")
    assert state.attributes["event_type"] in {"error_spike", "health_change"}
