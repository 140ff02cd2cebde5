"""Service actions: poll now, and the state of every poller."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
import voluptuous as vol

from .const import DOMAIN
from .coordinator import DocsightConfigEntry

ATTR_CONFIG_ENTRY = "config_entry"
SERVICE_POLL_NOW = "poll_now"
SERVICE_GET_STATUS = "get_status"

POLL_NOW_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY): cv.string})
GET_STATUS_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY): cv.string})


def get_loaded_entry(hass: HomeAssistant, entry_id: str) -> DocsightConfigEntry:
    """Return a loaded DOCSight entry, or raise a translated validation error."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


def entry_status(entry: DocsightConfigEntry) -> dict[str, Any]:
    """Return one entry's pollers and their backoff state."""
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "modem_type": entry.runtime_data.modem_type.key,
        "collectors": [entry.runtime_data.modem.status()],
    }


async def _async_poll_now(call: ServiceCall) -> None:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    await entry.runtime_data.modem.async_poll_now()


async def _async_get_status(call: ServiceCall) -> ServiceResponse:
    if ATTR_CONFIG_ENTRY in call.data:
        entries = [get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])]
    else:
        entries = list(call.hass.config_entries.async_loaded_entries(DOMAIN))
    return {"entries": [entry_status(entry) for entry in entries]}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's service actions."""
    hass.services.async_register(DOMAIN, SERVICE_POLL_NOW, _async_poll_now, schema=POLL_NOW_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_STATUS,
        _async_get_status,
        schema=GET_STATUS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
