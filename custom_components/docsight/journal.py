"""Service actions of the incident journal: entries, incidents, attachments, export, import.

The rules live in the library (:mod:`.docsis.journal`); this layer validates
the call's shape, runs the work on the entry's history thread, and turns the
library's errors into translated ServiceValidationErrors.  Files are read
only from folders the user allowed (``allowlist_external_dirs``) or from the
integration's own import folder ``<config>/docsight/journal_import``; an
export is written only to ``<config>/docsight/exports``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from functools import partial
from pathlib import Path
import re
from typing import Any, Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .coordinator import DocsightConfigEntry
from .docsis import journal
from .docsis.journal import INCIDENT_STATUSES, JournalError
from .services import ATTR_CONFIG_ENTRY, allowed_path, get_loaded_entry, reason_error

SERVICE_JOURNAL_CREATE_ENTRY: Final = "journal_create_entry"
SERVICE_JOURNAL_UPDATE_ENTRY: Final = "journal_update_entry"
SERVICE_JOURNAL_DELETE_ENTRY: Final = "journal_delete_entry"
SERVICE_JOURNAL_LIST: Final = "journal_list"
SERVICE_INCIDENT_CREATE: Final = "incident_create"
SERVICE_INCIDENT_UPDATE: Final = "incident_update"
SERVICE_INCIDENT_DELETE: Final = "incident_delete"
SERVICE_JOURNAL_ASSIGN_INCIDENT: Final = "journal_assign_incident"
SERVICE_JOURNAL_ADD_ATTACHMENT: Final = "journal_add_attachment"
SERVICE_JOURNAL_DELETE_ATTACHMENT: Final = "journal_delete_attachment"
SERVICE_JOURNAL_EXPORT: Final = "journal_export"
SERVICE_JOURNAL_IMPORT_CSV: Final = "journal_import_csv"

# Folders of the integration under <config>/docsight.
IMPORT_FOLDER: Final = "journal_import"
EXPORT_FOLDER: Final = "exports"
EXPORT_SUFFIX: Final = {"csv": ".csv", "json": ".json", "markdown": ".md"}

_ID = vol.All(vol.Coerce(int), vol.Range(min=1))
# 0 means "no incident" where an assignment can be removed.
_INCIDENT_OR_NONE = vol.All(vol.Coerce(int), vol.Range(min=0))
_ENTRY: dict[vol.Marker, Any] = {vol.Required(ATTR_CONFIG_ENTRY): cv.string}
_ENTRY_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional("description"): cv.string,
    vol.Optional("icon"): vol.Any(None, cv.string),
    vol.Optional("incident_id"): _INCIDENT_OR_NONE,
}
_INCIDENT_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional("description"): cv.string,
    vol.Optional("status"): vol.In(INCIDENT_STATUSES),
    vol.Optional("start_date"): vol.Any(None, cv.date),
    vol.Optional("end_date"): vol.Any(None, cv.date),
    vol.Optional("icon"): vol.Any(None, cv.string),
}

CREATE_ENTRY_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("date"): cv.date,
        vol.Required("title"): cv.string,
        **_ENTRY_FIELDS,
    }
)
UPDATE_ENTRY_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("entry_id"): _ID,
        vol.Optional("date"): cv.date,
        vol.Optional("title"): cv.string,
        **_ENTRY_FIELDS,
    }
)
DELETE_ENTRY_SCHEMA = vol.Schema({**_ENTRY, vol.Required("entry_id"): _ID})
LIST_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Optional("start"): cv.date,
        vol.Optional("end"): cv.date,
        vol.Optional("incident_id"): _ID,
        vol.Optional("unassigned", default=False): cv.boolean,
        vol.Optional("search"): cv.string,
        vol.Optional("include_demo", default=True): cv.boolean,
        vol.Optional("limit", default=500): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=journal.MAX_LIST_LIMIT)
        ),
    }
)
CREATE_INCIDENT_SCHEMA = vol.Schema({**_ENTRY, vol.Required("name"): cv.string, **_INCIDENT_FIELDS})
UPDATE_INCIDENT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("incident_id"): _ID,
        vol.Optional("name"): cv.string,
        **_INCIDENT_FIELDS,
    }
)
DELETE_INCIDENT_SCHEMA = vol.Schema({**_ENTRY, vol.Required("incident_id"): _ID})
ASSIGN_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("incident_id"): _INCIDENT_OR_NONE,
        vol.Required("start"): cv.date,
        vol.Required("end"): cv.date,
        vol.Optional("only_unassigned", default=False): cv.boolean,
    }
)
ADD_ATTACHMENT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("entry_id"): _ID,
        vol.Required("path"): cv.string,
        vol.Optional("filename"): cv.string,
    }
)
DELETE_ATTACHMENT_SCHEMA = vol.Schema({**_ENTRY, vol.Required("attachment_id"): _ID})
EXPORT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("format"): vol.In(journal.EXPORT_FORMATS),
        vol.Optional("start"): cv.date,
        vol.Optional("end"): cv.date,
        vol.Optional("include_demo", default=True): cv.boolean,
        vol.Optional("save", default=False): cv.boolean,
    }
)
IMPORT_SCHEMA = vol.Schema(
    {
        **_ENTRY,
        vol.Required("path"): cv.string,
        vol.Optional("preview", default=True): cv.boolean,
        vol.Optional("incident_id"): _ID,
        vol.Optional("skip_invalid", default=False): cv.boolean,
    }
)


async def _run[T](
    entry: DocsightConfigEntry, function: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """Run a journal function on the entry's history thread, translating its errors."""
    try:
        return await entry.runtime_data.history.run(function, *args, **kwargs)
    except JournalError as err:
        raise reason_error(err, "journal") from err


def _fields(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Return the given fields of the call; an incident id of 0 means none."""
    values = {name: data[name] for name in names if name in data}
    if values.get("incident_id") == 0:
        values["incident_id"] = None
    return values


def _period(data: dict[str, Any]) -> tuple[date | None, date | None]:
    start, end = data.get("start"), data.get("end")
    if start is not None and end is not None and end < start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="journal_invalid_period",
            translation_placeholders={"start": start.isoformat(), "end": end.isoformat()},
        )
    return start, end


# -- files ----------------------------------------------------------------------


def import_folder(hass: HomeAssistant) -> Path:
    """Return the integration's own folder for files to attach or import."""
    return Path(hass.config.path(DOMAIN, IMPORT_FOLDER))


def read_allowed_file(hass: HomeAssistant, path: str, limit: int) -> tuple[str, bytes]:
    """Read a file the user may hand to the integration (blocking; run in an executor).

    The path is resolved (following links) before the check, so neither a
    ``..`` nor a link leads out of the allowed folders.  Returns the file's
    name and bytes; refuses files larger than ``limit`` before reading them.
    """
    resolved = allowed_path(hass, path, import_folder(hass))
    if resolved is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": path, "folder": str(import_folder(hass))},
        )
    if not resolved.is_file():
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_found",
            translation_placeholders={"path": path},
        )
    try:
        size = resolved.stat().st_size
        if size > limit:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="file_too_large",
                translation_placeholders={"path": path, "size": str(size), "limit": str(limit)},
            )
        with resolved.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:  # not readable by Home Assistant's user, or gone meanwhile
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_not_found",
            translation_placeholders={"path": path},
        ) from err
    if len(data) > limit:  # it grew since stat()
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="file_too_large",
            translation_placeholders={"path": path, "size": str(len(data)), "limit": str(limit)},
        )
    return resolved.name, data


def _write_export(folder: Path, name: str, content: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    temp = path.with_name(f".{name}.partial")
    temp.write_text(content, encoding="utf-8")
    temp.replace(path)
    return path


# -- handlers ---------------------------------------------------------------------


async def _create_entry(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    values = _fields(call.data, ("description", "icon", "incident_id"))
    created = await _run(
        entry,
        journal.create_entry,
        day=call.data["date"],
        title=call.data["title"],
        now=dt_util.utcnow(),
        **values,
    )
    return {"entry": created.to_json()}


async def _update_entry(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    changes = _fields(call.data, ("date", "title", "description", "icon", "incident_id"))
    updated = await _run(
        entry, journal.update_entry, call.data["entry_id"], changes, now=dt_util.utcnow()
    )
    return {"entry": updated.to_json()}


async def _delete_entry(call: ServiceCall) -> None:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    await _run(entry, journal.delete_entry, call.data["entry_id"])


async def _list(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    start, end = _period(call.data)
    entries = await _run(
        entry,
        journal.list_entries,
        start=start,
        end=end,
        incident_id=call.data.get("incident_id"),
        unassigned=call.data["unassigned"],
        search=call.data.get("search"),
        include_demo=call.data["include_demo"],
        limit=call.data["limit"],
    )
    incidents = await _run(entry, journal.list_incidents, include_demo=call.data["include_demo"])
    return {
        "entries": [item.to_json() for item in entries],
        "incidents": [item.to_json() for item in incidents],
    }


_INCIDENT_NAMES = ("name", "description", "status", "start_date", "end_date", "icon")


async def _create_incident(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    created = await _run(
        entry,
        journal.create_incident,
        now=dt_util.utcnow(),
        **_fields(call.data, _INCIDENT_NAMES),
    )
    return {"incident": created.to_json()}


async def _update_incident(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    updated = await _run(
        entry,
        journal.update_incident,
        call.data["incident_id"],
        _fields(call.data, _INCIDENT_NAMES),
        now=dt_util.utcnow(),
    )
    return {"incident": updated.to_json()}


async def _delete_incident(call: ServiceCall) -> None:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    await _run(entry, journal.delete_incident, call.data["incident_id"])


async def _assign(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    start, end = _period(call.data)
    assert start is not None  # noqa: S101 - required by the schema
    assert end is not None  # noqa: S101 - required by the schema
    count = await _run(
        entry,
        journal.assign_entries,
        call.data["incident_id"] or None,
        start,
        end,
        only_unassigned=call.data["only_unassigned"],
        now=dt_util.utcnow(),
    )
    return {"assigned": count}


async def _add_attachment(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    name, data = await call.hass.async_add_executor_job(
        read_allowed_file, call.hass, call.data["path"], journal.MAX_ATTACHMENT_SIZE
    )
    attachment = await _run(
        entry,
        journal.add_attachment,
        call.data["entry_id"],
        call.data.get("filename", name),
        data,
        now=dt_util.utcnow(),
    )
    return {"attachment": attachment.to_json()}


async def _delete_attachment(call: ServiceCall) -> None:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    await _run(entry, journal.delete_attachment, call.data["attachment_id"])


async def _export(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    start, end = _period(call.data)
    fmt = call.data["format"]
    now = dt_util.utcnow()
    content = await _run(
        entry,
        journal.export_journal,
        fmt,
        start=start,
        end=end,
        include_demo=call.data["include_demo"],
        now=now,
    )
    response: dict[str, Any] = {"format": fmt, "content": content}
    if call.data["save"]:
        slug = re.sub(r"[^a-z0-9]+", "_", entry.title.lower()).strip("_") or "docsight"
        name = f"journal_{slug}_{now.strftime('%Y-%m-%d_%H%M%S')}{EXPORT_SUFFIX[fmt]}"
        folder = Path(call.hass.config.path(DOMAIN, EXPORT_FOLDER))
        try:
            path = await call.hass.async_add_executor_job(_write_export, folder, name, content)
        except OSError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="journal_export_failed",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err
        response["path"] = str(path)
    return response


async def _import_csv(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    _name, data = await call.hass.async_add_executor_job(
        read_allowed_file, call.hass, call.data["path"], journal.MAX_IMPORT_SIZE
    )
    year = dt_util.now().year
    if call.data["preview"]:
        try:
            preview = await call.hass.async_add_executor_job(
                partial(journal.parse_csv_import, data, default_year=year)
            )
        except JournalError as err:
            raise reason_error(err, "journal") from err
        return {"preview": True, **preview.to_json()}
    result = await _run(
        entry,
        journal.import_csv,
        data,
        default_year=year,
        incident_id=call.data.get("incident_id"),
        skip_invalid=call.data["skip_invalid"],
        now=dt_util.utcnow(),
    )
    return {
        "preview": False,
        "imported": result.imported,
        "skipped": result.skipped,
        "entry_ids": list(result.entry_ids),
    }


_SERVICES: tuple[
    tuple[
        str,
        Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]],
        vol.Schema,
        SupportsResponse,
    ],
    ...,
] = (
    (SERVICE_JOURNAL_CREATE_ENTRY, _create_entry, CREATE_ENTRY_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_JOURNAL_UPDATE_ENTRY, _update_entry, UPDATE_ENTRY_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_JOURNAL_DELETE_ENTRY, _delete_entry, DELETE_ENTRY_SCHEMA, SupportsResponse.NONE),
    (SERVICE_JOURNAL_LIST, _list, LIST_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_INCIDENT_CREATE, _create_incident, CREATE_INCIDENT_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_INCIDENT_UPDATE, _update_incident, UPDATE_INCIDENT_SCHEMA, SupportsResponse.OPTIONAL),
    (SERVICE_INCIDENT_DELETE, _delete_incident, DELETE_INCIDENT_SCHEMA, SupportsResponse.NONE),
    (SERVICE_JOURNAL_ASSIGN_INCIDENT, _assign, ASSIGN_SCHEMA, SupportsResponse.OPTIONAL),
    (
        SERVICE_JOURNAL_ADD_ATTACHMENT,
        _add_attachment,
        ADD_ATTACHMENT_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    (
        SERVICE_JOURNAL_DELETE_ATTACHMENT,
        _delete_attachment,
        DELETE_ATTACHMENT_SCHEMA,
        SupportsResponse.NONE,
    ),
    (SERVICE_JOURNAL_EXPORT, _export, EXPORT_SCHEMA, SupportsResponse.ONLY),
    (SERVICE_JOURNAL_IMPORT_CSV, _import_csv, IMPORT_SCHEMA, SupportsResponse.ONLY),
)

SERVICE_NAMES: Final = tuple(name for name, *_rest in _SERVICES)


@callback
def async_setup_journal_services(hass: HomeAssistant) -> None:
    """Register the journal's service actions."""
    for name, handler, schema, response in _SERVICES:
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=response
        )
