"""Service actions: polling, poller state, and reading the history back.

Every handler validates its input and raises a translated
ServiceValidationError for a bad call; the history ones run their queries on
the entry's history thread and return plain JSON-able data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
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
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .coordinator import DocsightConfigEntry
from .docsis.errors import ReasonError
from .docsis.events import EventType, Severity
from .docsis.serialize import (
    snapshot_summary_to_json,
    stored_event_to_json,
    stored_snapshot_to_json,
    trend_point_to_json,
)
from .docsis.storage import TREND_BUCKETS, HistoryStore

ATTR_CONFIG_ENTRY = "config_entry"
SERVICE_POLL_NOW = "poll_now"
SERVICE_GET_STATUS = "get_status"

SERVICE_GET_TRENDS = "get_trends"
SERVICE_LIST_SNAPSHOTS = "list_snapshots"
SERVICE_GET_SNAPSHOT = "get_snapshot"
SERVICE_LIST_EVENTS = "list_events"
SERVICE_ACKNOWLEDGE_EVENTS = "acknowledge_events"

# What a trend "range" covers, and the bucket it uses unless one is given.
TREND_RANGES = {
    "day": (timedelta(days=1), "hour"),
    "week": (timedelta(days=7), "day"),
    "month": (timedelta(days=30), "day"),
    "quarter": (timedelta(days=91), "week"),
    "year": (timedelta(days=365), "month"),
}
# The longest span one history query may cover.
MAX_SPAN = timedelta(days=3660)


def _limit(default: int, most: int) -> dict[vol.Marker, Any]:
    return {
        vol.Optional("limit", default=default): vol.All(vol.Coerce(int), vol.Range(min=1, max=most))
    }


POLL_NOW_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY): cv.string})
GET_STATUS_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY): cv.string})
GET_TRENDS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional("range", default="day"): vol.In(list(TREND_RANGES)),
        vol.Optional("bucket"): vol.In(TREND_BUCKETS),
        vol.Optional("start"): cv.datetime,
        vol.Optional("end"): cv.datetime,
    }
)
LIST_SNAPSHOTS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional("start"): cv.datetime,
        vol.Optional("end"): cv.datetime,
        **_limit(500, 5000),
    }
)
GET_SNAPSHOT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY): cv.string, vol.Optional("time"): cv.datetime}
)
LIST_EVENTS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional("start"): cv.datetime,
        vol.Optional("end"): cv.datetime,
        vol.Optional("severity"): vol.All(
            cv.ensure_list, [vol.In([severity.value for severity in Severity])]
        ),
        vol.Optional("event_type"): vol.All(
            cv.ensure_list, [vol.In([event_type.value for event_type in EventType])]
        ),
        vol.Optional("acknowledged"): cv.boolean,
        **_limit(200, 5000),
    }
)
ACKNOWLEDGE_EVENTS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Required("event_ids"): vol.All(
            cv.ensure_list, [vol.All(vol.Coerce(int), vol.Range(min=1))], vol.Length(min=1)
        ),
        vol.Optional("acknowledged", default=True): cv.boolean,
    }
)


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


def reason_error(err: ReasonError, prefix: str, **details: str) -> ServiceValidationError:
    """Return the translated validation error for a library error (key ``<prefix>_<reason>``)."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=f"{prefix}_{err.key}",
        translation_placeholders={**details, **err.placeholders},
    )


def allowed_path(hass: HomeAssistant, raw: str, own_folder: Path) -> Path | None:
    """Return ``raw`` resolved if it lies in ``own_folder`` or an allowlisted folder (blocking).

    Resolving first (following links, folding ``..``) is what keeps a link or
    a ``..`` from leading out of the allowed folders; relative paths are
    refused, since what they mean depends on the working directory.
    """
    try:
        path = Path(raw.strip()).expanduser()
        if not path.is_absolute():
            return None
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError):  # "~nobody/x", a NUL byte, a link loop
        return None
    if resolved.is_relative_to(own_folder.resolve()) or hass.config.is_allowed_path(str(resolved)):
        return resolved
    return None


def entry_status(entry: DocsightConfigEntry) -> dict[str, Any]:
    """Return one entry's pollers and their backoff state."""
    return {
        "entry_id": entry.entry_id,
        "title": entry.title,
        "modem_type": entry.runtime_data.modem_type.key,
        "collectors": [
            entry.runtime_data.modem.status(),
            *(source.status() for source in entry.runtime_data.sources.values()),
        ],
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


def time_range(data: dict[str, Any], default_span: timedelta) -> tuple[datetime, datetime]:
    """Return the call's [start, end) in UTC: given times, else the span up to now.

    A time without a zone is taken in Home Assistant's time zone.
    """
    # Without an end, "up to now" includes a poll stored this very second
    # (ranges are half-open and the store keeps whole seconds).
    end = dt_util.as_utc(data["end"]) if "end" in data else dt_util.utcnow() + timedelta(seconds=1)
    start = dt_util.as_utc(data["start"]) if "start" in data else end - default_span
    if start >= end:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_time_range",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    if end - start > MAX_SPAN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="time_range_too_long",
            translation_placeholders={"days": str(MAX_SPAN.days)},
        )
    return start, end


async def _async_get_trends(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    span, default_bucket = TREND_RANGES[call.data["range"]]
    start, end = time_range(call.data, span)
    bucket = call.data.get("bucket", default_bucket)
    points = await entry.runtime_data.history.run(
        HistoryStore.trends, start, end, bucket, dt_util.get_default_time_zone()
    )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "bucket": bucket,
        "points": [trend_point_to_json(point) for point in points],
    }


async def _async_list_snapshots(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    start, end = time_range(call.data, timedelta(days=1))
    snapshots = await entry.runtime_data.history.run(
        HistoryStore.snapshots, start, end, limit=call.data["limit"]
    )
    return {"snapshots": [snapshot_summary_to_json(snapshot) for snapshot in snapshots]}


async def _async_get_snapshot(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    history = entry.runtime_data.history
    if "time" in call.data:
        when = dt_util.as_utc(call.data["time"])
        snapshot = await history.run(HistoryStore.snapshot_at, when)
    else:
        snapshot = await history.run(HistoryStore.latest_snapshot)
    if snapshot is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="no_snapshot")
    return stored_snapshot_to_json(snapshot)


async def _async_list_events(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    start, end = time_range(call.data, MAX_SPAN)
    events = await entry.runtime_data.history.run(
        HistoryStore.events,
        start=start,
        end=end,
        severities=call.data.get("severity"),
        event_types=call.data.get("event_type"),
        acknowledged=call.data.get("acknowledged"),
        limit=call.data["limit"],
    )
    return {"events": [stored_event_to_json(event) for event in events]}


async def _async_acknowledge_events(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    ids = sorted(set(call.data["event_ids"]))
    updated = await entry.runtime_data.history.run(
        HistoryStore.acknowledge_events, ids, call.data["acknowledged"]
    )
    if updated == 0:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="events_not_found",
            translation_placeholders={"ids": ", ".join(map(str, ids))},
        )
    return {"updated": updated}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's service actions."""
    from .backups import async_setup_backup_services  # noqa: PLC0415 - it imports this module
    from .bnetz import async_setup_bnetz_services  # noqa: PLC0415 - it imports this module
    from .journal import async_setup_journal_services  # noqa: PLC0415 - it imports this module
    from .reports import async_setup_reports  # noqa: PLC0415 - it imports this module

    async_setup_journal_services(hass)
    async_setup_backup_services(hass)
    async_setup_reports(hass)
    async_setup_bnetz_services(hass)
    hass.services.async_register(DOMAIN, SERVICE_POLL_NOW, _async_poll_now, schema=POLL_NOW_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_STATUS,
        _async_get_status,
        schema=GET_STATUS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    for name, handler, schema, response in (
        (SERVICE_GET_TRENDS, _async_get_trends, GET_TRENDS_SCHEMA, SupportsResponse.ONLY),
        (
            SERVICE_LIST_SNAPSHOTS,
            _async_list_snapshots,
            LIST_SNAPSHOTS_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (SERVICE_GET_SNAPSHOT, _async_get_snapshot, GET_SNAPSHOT_SCHEMA, SupportsResponse.ONLY),
        (SERVICE_LIST_EVENTS, _async_list_events, LIST_EVENTS_SCHEMA, SupportsResponse.ONLY),
        (
            SERVICE_ACKNOWLEDGE_EVENTS,
            _async_acknowledge_events,
            ACKNOWLEDGE_EVENTS_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=response
        )
