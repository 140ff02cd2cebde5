"""The Compal CH7465 through Home Assistant: config flow and coordinator against the simulator."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from tests.sim.compal import PASSWORD, CompalSimulator, compal_modem_fixture  # noqa: F401


async def test_set_up_from_the_ui(hass: HomeAssistant, compal_modem: CompalSimulator) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "ch7465"}
    )
    assert result["step_id"] == "connection"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: compal_modem.url, CONF_PASSWORD: "wrong"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: compal_modem.url, CONF_PASSWORD: PASSWORD}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED

    analysis = entry.runtime_data.modem.data.analysis
    assert analysis.summary.ds_total > 0
    assert analysis.summary.us_total > 0
    assert analysis.summary.errors_supported
    assert all(c.uncorrected is None for c in analysis.reading.upstream)
    health = hass.states.async_all("sensor")
    assert any(state.entity_id.endswith("_line_health") for state in health)
    # Polite: the session was closed after the poll.
    assert compal_modem.logouts >= compal_modem.logins - 1

    assert await hass.config_entries.async_unload(entry.entry_id)
