"""Diagnostics carry what a bug report needs and no secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.diagnostics import async_get_config_entry_diagnostics
from custom_components.docsight.docsis.demo_history import SNAPSHOTS_PER_DAY
from custom_components.docsight.docsis.storage import ALL_TABLES, SCHEMA_VERSION


async def test_diagnostics_over_http(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    # loaded_demo first: it freezes the clock, and the client's token must be issued after.
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_demo)
    assert diagnostics["entry"]["data"] == {CONF_MODEM_TYPE: "demo"}
    assert diagnostics["entry"]["title"] == "**REDACTED**"
    (collector,) = diagnostics["status"]["collectors"]
    assert collector["consecutive_failures"] == 0
    reading = diagnostics["last_reading"]
    assert reading["summary"]["health"] == "good"
    assert len(reading["downstream"]) == 25
    assert reading["device"]["serial"] == "**REDACTED**"
    assert reading["device"]["wan_ipv4"] == "**REDACTED**"
    assert diagnostics["last_events"][0]["event_type"] == "monitoring_started"
    history = diagnostics["history"]
    assert history["schema_version"] == SCHEMA_VERSION
    assert set(history["rows"]) == set(ALL_TABLES)
    # One day of seeded demo history (the tests shorten it) and the first poll.
    assert history["rows"]["snapshots"] == SNAPSHOTS_PER_DAY + 1
    assert history["rows"]["journal_entries"] > 0


async def test_diagnostics_without_the_history(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A store that fails (here: closed) still gives a report, saying why."""
    await loaded_demo.runtime_data.history.async_close()
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_demo)
    assert diagnostics["history"] == {"error": "history store is not open"}
    assert diagnostics["last_reading"]["summary"]["health"] == "good"


async def test_secrets_are_redacted(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    """Credentials and the modem address never reach diagnostics, wherever they sit."""
    secrets = {"url": "http://admin:hunter2@192.0.2.7", "username": "admin", "password": "hunter2"}
    hass.config_entries.async_update_entry(loaded_demo, data={CONF_MODEM_TYPE: "demo", **secrets})
    diagnostics = await async_get_config_entry_diagnostics(hass, loaded_demo)
    text = json.dumps(diagnostics)
    for secret in ("hunter2", "192.0.2.7", "admin", "198.51.100.23"):
        assert secret not in text
    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert DOMAIN
