"""Diagnostics: configuration (secrets redacted), poller state, the last analysis, the history."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant

from .coordinator import DocsightConfigEntry
from .docsis.serialize import analysis_to_json, event_to_json
from .docsis.storage import HistoryStore
from .services import entry_status

TO_REDACT = {
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_URL,
    "serial",
    "mac",
    "wan_ipv4",
    "wan_ipv6",
    # Titles of entries and sources may name hosts or a BQM share.
    "title",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: DocsightConfigEntry
) -> dict[str, Any]:
    """Return what a bug report needs, without credentials, addresses or serials."""
    coordinator = entry.runtime_data.modem
    data = coordinator.data
    worker = entry.runtime_data.history
    history: dict[str, Any]
    try:
        history = await worker.run(_history_diagnostics)
    except Exception as err:  # noqa: BLE001 - a bug report must come out whatever the store does
        history = {"error": str(err) or type(err).__name__}
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
            "history": history,
        },
        TO_REDACT,
    )


def _history_diagnostics(store: HistoryStore) -> dict[str, Any]:
    """Return the store's schema version and row counts (runs on the store's thread)."""
    return {"schema_version": store.schema_version, "rows": store.counts()}
