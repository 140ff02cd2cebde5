"""A modem that locks logins raises a repair issue, which clears on the next good poll."""

from __future__ import annotations

from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN

from .jsonmodem import JsonModemSimulator, Mode, json_modem_fixture  # noqa: F401


async def test_lockout_repair_issue(
    hass: HomeAssistant, json_modem: JsonModemSimulator, issue_registry: ir.IssueRegistry
) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=json_modem.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.modem
    issue_id = f"locked_out_{entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None

    json_modem.mode = Mode.LOCKED
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "locked_out"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {"title": "Simulated modem", "url": json_modem.url}
    # Backing off, not hammering: the next poll waits the interval plus a penalty.
    assert coordinator.status()["penalty_seconds"] == 30

    json_modem.mode = Mode.OK
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
