"""Setting up and unloading entries."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.docsis.drivers import demo as demo_module


async def test_setup_and_unload(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    assert loaded_demo.state is ConfigEntryState.LOADED
    assert hass.services.has_service("docsight", "poll_now")
    assert await hass.config_entries.async_unload(loaded_demo.entry_id)
    await hass.async_block_till_done()
    assert loaded_demo.state is ConfigEntryState.NOT_LOADED
    assert not [s for s in hass.states.async_all() if s.state not in ("unavailable",)]


async def test_unreachable_modem_is_retried(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time
) -> None:
    """A modem that does not answer at start-up leaves the entry retrying, not failed."""
    original = demo_module.DemoModem.async_fetch

    async def offline(self):
        self.scenario = "offline"
        return await original(self)

    demo_module.DemoModem.async_fetch = offline
    try:
        demo_entry.add_to_hass(hass)
        assert not await hass.config_entries.async_setup(demo_entry.entry_id)
    finally:
        demo_module.DemoModem.async_fetch = original
    assert demo_entry.state is ConfigEntryState.SETUP_RETRY
