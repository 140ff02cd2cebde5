"""Service actions for reports, the complaint letter and the LLM export, and the PDF download.

The figures are gathered on the entry's history thread (one job, a handful
of queries); the PDF is drawn and written in the executor.  Reports land in
``<config>/docsight/reports/``, outside ``custom_components`` (HACS replaces
that folder on upgrades), and the response carries the file's path and the
URL of :class:`ReportDownloadView`, which serves files of that folder only,
to authenticated users, under names this module could have written.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from http import HTTPStatus
from pathlib import Path
import re
import secrets
from typing import Any

from aiohttp import hdrs, web
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util, slugify
import voluptuous as vol

from .const import DOMAIN
from .coordinator import DocsightConfigEntry
from .docsis.reports import (
    EXPORT_MODES,
    LANGUAGES,
    IncidentNotFoundError,
    Letter,
    ReportData,
    complaint_text,
    gather_incident_data,
    gather_report_data,
    llm_export,
    resolve_language,
)
from .services import ATTR_CONFIG_ENTRY, MAX_SPAN, get_loaded_entry, time_range

SERVICE_GENERATE_REPORT = "generate_report"
SERVICE_GENERATE_INCIDENT_REPORT = "generate_incident_report"
SERVICE_GET_COMPLAINT_TEXT = "get_complaint_text"
SERVICE_EXPORT_FOR_LLM = "export_for_llm"

REPORTS_FOLDER = "reports"
DOWNLOAD_URL = "/api/docsight/reports"
DEFAULT_DAYS = 30
# Names this module writes: "docsight-report-<slug>-<time>-<hex>.pdf" and the
# incident variant; the view serves nothing else, so no path can be smuggled in.
REPORT_NAME = re.compile(r"docsight-(?:report|incident)-[a-z0-9_-]{1,80}\.pdf")

_TEXT = vol.All(cv.string, vol.Length(max=200))
_LETTER: dict[vol.Marker, Any] = {
    vol.Optional("name"): _TEXT,
    vol.Optional("customer_number"): vol.All(cv.string, vol.Length(max=64)),
    vol.Optional("address"): vol.All(cv.string, vol.Length(max=400)),
}
_PERIOD: dict[vol.Marker, Any] = {
    vol.Optional("start"): cv.datetime,
    vol.Optional("end"): cv.datetime,
    vol.Optional("days"): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_SPAN.days)),
}
_LANGUAGE: dict[vol.Marker, Any] = {vol.Optional("language"): vol.In(LANGUAGES)}

GENERATE_REPORT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        **_PERIOD,
        vol.Optional("compare_at"): cv.datetime,
        **_LANGUAGE,
        **_LETTER,
    }
)
GENERATE_INCIDENT_REPORT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Required("incident_id"): vol.All(vol.Coerce(int), vol.Range(min=1)),
        **_LANGUAGE,
        **_LETTER,
    }
)
GET_COMPLAINT_TEXT_SCHEMA = vol.Schema(
    {vol.Required(ATTR_CONFIG_ENTRY): cv.string, **_PERIOD, **_LANGUAGE, **_LETTER}
)
EXPORT_FOR_LLM_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY): cv.string,
        vol.Optional("mode", default="full"): vol.In(EXPORT_MODES),
    }
)


def report_dir(hass: HomeAssistant) -> Path:
    """Return the folder reports are written to (and the only one the view serves)."""
    return Path(hass.config.path(DOMAIN, REPORTS_FOLDER))


def _period(data: dict[str, Any]) -> tuple[datetime, datetime]:
    """Return the call's [start, end) in UTC: a start, or ``days`` (30) up to the end (now)."""
    if "start" in data and "days" in data:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="start_or_days")
    return time_range(data, timedelta(days=data.get("days", DEFAULT_DAYS)))


def _language(hass: HomeAssistant, data: dict[str, Any]) -> str:
    return resolve_language(data.get("language") or hass.config.language)


def _letter(data: dict[str, Any]) -> Letter:
    return Letter(
        name=data.get("name") or None,
        customer_number=data.get("customer_number") or None,
        address=data.get("address") or None,
    )


async def _async_gather(
    hass: HomeAssistant, entry: DocsightConfigEntry, data: dict[str, Any], *, compare: bool
) -> ReportData:
    start, end = _period(data)
    compare_at = None
    if compare and "compare_at" in data:
        compare_at = dt_util.as_utc(data["compare_at"])
        if not start < compare_at < end:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_compare_at",
                translation_placeholders={"time": compare_at.isoformat()},
            )
    return await entry.runtime_data.history.run(
        gather_report_data,
        start,
        end,
        time_zone=dt_util.get_default_time_zone(),
        now=dt_util.utcnow(),
        compare_at=compare_at,
    )


def _write_pdf(
    folder: Path, name: str, kind: str, data: ReportData, *, language: str, letter: Letter
) -> tuple[Path, int]:
    """Draw the PDF and write it whole (a temporary file renamed into place).

    fpdf2 (with Pillow and fontTools) takes about a second to import, so it
    is imported here, in the executor, by the first report, rather than with
    the integration, which most users never ask for a report.
    """
    from .docsis.reports import pdf  # noqa: PLC0415

    render = pdf.render_incident_report if kind == "incident" else pdf.render_report
    content = render(data, language, letter)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    partial = path.with_suffix(".part")
    partial.write_bytes(content)
    partial.replace(path)
    return path, len(content)


async def _async_save(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    kind: str,
    data: ReportData,
    *,
    language: str,
    letter: Letter,
) -> dict[str, Any]:
    stamp = dt_util.as_local(data.generated_at).strftime("%Y%m%d-%H%M%S")
    slug = slugify(entry.title, separator="-")[:40] or "modem"
    name = f"docsight-{kind}-{slug}-{stamp}-{secrets.token_hex(3)}.pdf"
    try:
        path, size = await hass.async_add_executor_job(
            partial(
                _write_pdf, report_dir(hass), name, kind, data, language=language, letter=letter
            )
        )
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="report_write_failed",
            translation_placeholders={"path": str(report_dir(hass)), "error": str(err)},
        ) from err
    return {
        "path": str(path),
        "url": f"{DOWNLOAD_URL}/{name}",
        "filename": name,
        "bytes": size,
        "language": language,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "snapshots": data.history.snapshots,
    }


async def _async_generate_report(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    data = await _async_gather(call.hass, entry, call.data, compare=True)
    return await _async_save(
        call.hass,
        entry,
        "report",
        data,
        language=_language(call.hass, call.data),
        letter=_letter(call.data),
    )


async def _async_generate_incident_report(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    incident_id = call.data["incident_id"]
    try:
        data = await entry.runtime_data.history.run(
            gather_incident_data,
            incident_id,
            time_zone=dt_util.get_default_time_zone(),
            now=dt_util.utcnow(),
        )
    except IncidentNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="incident_not_found",
            translation_placeholders={"incident_id": str(incident_id)},
        ) from err
    response = await _async_save(
        call.hass,
        entry,
        "incident",
        data,
        language=_language(call.hass, call.data),
        letter=_letter(call.data),
    )
    return {**response, "incident_id": incident_id}


async def _async_get_complaint_text(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    data = await _async_gather(call.hass, entry, call.data, compare=False)
    language = _language(call.hass, call.data)
    return {
        "text": complaint_text(data, language, _letter(call.data)),
        "language": language,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
    }


async def _async_export_for_llm(call: ServiceCall) -> ServiceResponse:
    entry = get_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY])
    mode = call.data["mode"]
    text = await entry.runtime_data.history.run(
        llm_export, mode, now=dt_util.utcnow(), time_zone=dt_util.get_default_time_zone()
    )
    return {"text": text, "mode": mode}


class ReportDownloadView(HomeAssistantView):
    """Serve a generated report to an authenticated user."""

    url = DOWNLOAD_URL + "/{filename}"
    name = "api:docsight:reports"
    requires_auth = True

    async def get(self, request: web.Request, filename: str) -> web.StreamResponse:
        """Return the PDF, or 404 for any name this integration did not write."""
        hass = request.app[KEY_HASS]
        if not REPORT_NAME.fullmatch(filename):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        path = report_dir(hass) / filename
        if not await hass.async_add_executor_job(path.is_file):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        return web.FileResponse(
            path,
            headers={
                hdrs.CONTENT_TYPE: "application/pdf",
                hdrs.CONTENT_DISPOSITION: f'attachment; filename="{filename}"',
            },
        )


@callback
def async_setup_reports(hass: HomeAssistant) -> None:
    """Register the report actions and, with the HTTP server loaded, the download view."""
    # The PDF actions write a file, which is worth calling for without a response.
    for name, handler, schema, response in (
        (
            SERVICE_GENERATE_REPORT,
            _async_generate_report,
            GENERATE_REPORT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_GENERATE_INCIDENT_REPORT,
            _async_generate_incident_report,
            GENERATE_INCIDENT_REPORT_SCHEMA,
            SupportsResponse.OPTIONAL,
        ),
        (
            SERVICE_GET_COMPLAINT_TEXT,
            _async_get_complaint_text,
            GET_COMPLAINT_TEXT_SCHEMA,
            SupportsResponse.ONLY,
        ),
        (
            SERVICE_EXPORT_FOR_LLM,
            _async_export_for_llm,
            EXPORT_FOR_LLM_SCHEMA,
            SupportsResponse.ONLY,
        ),
    ):
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=response
        )
    if getattr(hass, "http", None) is not None:
        hass.http.register_view(ReportDownloadView())
