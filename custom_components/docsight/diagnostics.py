"""Diagnostics: configuration (secrets redacted), poller state and the last analysis."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import DocsightConfigEntry
from .docsis.serialize import analysis_to_json, event_to_json
from .services import entry_status

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_URL,
    "serial",
    "mac",
    "wan_ipv4",
    "wan_ipv6",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: DocsightConfigEntry
) -> dict[str, Any]:
    """Return what a bug report needs, without credentials, addresses or serials."""
    coordinator = entry.runtime_data.modem
    data = coordinator.data
    return async_redact_data(
        {
            "entry": {
                "title": entry.title,
                "data": dict(entry.data),
                "options": dict(entry.options),
            },
            "status": entry_status(entry),
            "last_reading": analysis_to_json(data.analysis) if data else None,
            "last_events": [event_to_json(event) for event in data.events] if data else [],
        },
        TO_REDACT,
    )
