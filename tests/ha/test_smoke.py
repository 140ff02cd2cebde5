from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant


async def test_demo_sets_up(hass: HomeAssistant, loaded_demo) -> None:
    assert loaded_demo.state is ConfigEntryState.LOADED
    states = {s.entity_id: s.state for s in hass.states.async_all()}
    for k, v in sorted(states.items()):
        print(k, v)
    assert await hass.config_entries.async_unload(loaded_demo.entry_id)
