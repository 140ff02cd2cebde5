"""Report actions and the PDF download on a real Home Assistant with the demo entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from http import HTTPStatus
import io
from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol

from custom_components.docsight.const import DOMAIN
from custom_components.docsight.docsis.storage import HistoryStore
from custom_components.docsight.reports import REPORT_NAME, report_dir


def pdf_words(content: bytes) -> str:
    text = extract_text(io.BytesIO(content), laparams=LAParams(boxes_flow=None, char_margin=60))
    return " ".join(text.split())


@pytest.fixture
async def demo(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime
) -> MockConfigEntry:
    """The demo entry with its (one day of) seeded history, and the HTTP server's views."""
    assert await async_setup_component(hass, "http", {})
    demo_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return demo_entry


async def _call(hass: HomeAssistant, service: str, **data):
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def _snapshots(entry: MockConfigEntry) -> int:
    return await entry.runtime_data.history.run(HistoryStore.snapshot_count)


async def test_generate_report_writes_a_pdf(
    hass: HomeAssistant, demo: MockConfigEntry, tmp_path: Path
) -> None:
    response = await _call(
        hass,
        "generate_report",
        config_entry=demo.entry_id,
        days=2,
        language="en",
        name="Max Mustermann",
        customer_number="K-1",
    )
    path = Path(response["path"])
    assert path.parent == tmp_path / "docsight" / "reports"
    assert path.parent == report_dir(hass)
    assert REPORT_NAME.fullmatch(path.name)
    assert response["filename"] == path.name
    assert response["url"] == f"/api/docsight/reports/{path.name}"
    assert response["language"] == "en"
    content = await hass.async_add_executor_job(path.read_bytes)
    assert response["bytes"] == len(content)
    assert not list(path.parent.glob("*.part"))
    # One day of 15-minute demo history plus the live polls, all inside two days.
    stored = await _snapshots(demo)
    assert stored > 96
    assert response["snapshots"] == stored
    text = pdf_words(content)
    assert "Cable line report" in text
    assert "DOCSight Demo Router" in text
    assert f"Measurements {stored}" in text
    assert "Customer number: K-1" in text
    assert "Kind regards Max Mustermann" in text


async def test_report_language_follows_home_assistant(
    hass: HomeAssistant, demo: MockConfigEntry
) -> None:
    hass.config.language = "de"
    response = await _call(hass, "generate_report", config_entry=demo.entry_id)
    assert response["language"] == "de"
    assert response["start"] < response["end"]
    content = await hass.async_add_executor_job(Path(response["path"]).read_bytes)
    text = pdf_words(content)
    assert "Bericht zum Kabelanschluss" in text
    assert "Mit freundlichen Grüßen" in text


async def test_incident_report(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    incidents = await demo.runtime_data.history.run(HistoryStore.rows, "incidents")
    assert len(incidents) == 3  # the demo's story
    incident = incidents[0]
    response = await _call(
        hass,
        "generate_incident_report",
        config_entry=demo.entry_id,
        incident_id=incident["id"],
        language="de",
    )
    assert response["incident_id"] == incident["id"]
    assert response["filename"].startswith("docsight-incident-docsight-demo-")
    content = await hass.async_add_executor_job(Path(response["path"]).read_bytes)
    text = pdf_words(content)
    assert "Störungsbericht" in text
    assert incident["name"] in text
    assert "Geschwindigkeitstests" in text

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "generate_incident_report", config_entry=demo.entry_id, incident_id=999)
    assert err.value.translation_key == "incident_not_found"
    assert err.value.translation_placeholders == {"incident_id": "999"}


async def test_complaint_text_and_llm_export(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    response = await _call(
        hass,
        "get_complaint_text",
        config_entry=demo.entry_id,
        days=1,
        language="de",
        name="Erika Mustermann",
        address="Weg 1\n12345 Stadt",
    )
    assert response["language"] == "de"
    text = response["text"]
    assert text.startswith("Erika Mustermann\nWeg 1\n12345 Stadt\n")
    assert "Sehr geehrte Damen und Herren," in text
    assert "Messungen)" in text

    full = await _call(hass, "export_for_llm", config_entry=demo.entry_id)
    assert full["mode"] == "full"
    assert "## Incident journal" in full["text"]
    assert "- Modem: DOCSight Demo Router" in full["text"]
    update = await _call(hass, "export_for_llm", config_entry=demo.entry_id, mode="update")
    assert update["mode"] == "update"
    assert "## Events (last 6 h)" in update["text"]
    assert "## Incident journal" not in update["text"]


async def test_bad_calls(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    entry_id = demo.entry_id
    now = datetime.fromisoformat("2026-03-17T12:00:00+00:00")
    cases = [
        ("generate_report", {"start": now.isoformat(), "days": 3}, "start_or_days"),
        (
            "generate_report",
            {"start": now.isoformat(), "end": (now - timedelta(days=1)).isoformat()},
            "invalid_time_range",
        ),
        (
            "get_complaint_text",
            {"start": (now - timedelta(days=4000)).isoformat(), "end": now.isoformat()},
            "time_range_too_long",
        ),
        (
            "generate_report",
            {"days": 2, "compare_at": (now - timedelta(days=5)).isoformat()},
            "invalid_compare_at",
        ),
    ]
    for service, data, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await _call(hass, service, config_entry=entry_id, **data)
        assert err.value.translation_key == key, service
        assert err.value.translation_domain == DOMAIN

    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "export_for_llm", config_entry="nope")
    assert err.value.translation_key == "entry_not_found"
    for service, data in (
        ("generate_report", {"language": "fr"}),
        ("export_for_llm", {"mode": "everything"}),
        ("generate_incident_report", {"incident_id": 0}),
        ("get_complaint_text", {"name": "x" * 201}),
    ):
        with pytest.raises(vol.Invalid):
            await _call(hass, service, config_entry=entry_id, **data)
    # Nothing was written by the refused calls.
    assert not await hass.async_add_executor_job(report_dir(hass).exists)


async def test_compare_at_inside_the_period(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    now = datetime.fromisoformat("2026-03-17T12:00:00+00:00")
    response = await _call(
        hass,
        "generate_report",
        config_entry=demo.entry_id,
        days=1,
        language="en",
        compare_at=(now - timedelta(hours=6)).isoformat(),
    )
    content = await hass.async_add_executor_job(Path(response["path"]).read_bytes)
    split = dt_util.as_local(now - timedelta(hours=6)).strftime("%Y-%m-%d %H:%M")
    assert f"The period before and after {split}." in pdf_words(content)


async def test_unloaded_entry_is_refused(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(demo.entry_id)
    assert demo.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "generate_report", config_entry=demo.entry_id)
    assert err.value.translation_key == "entry_not_loaded"


async def test_write_failure_is_reported(hass: HomeAssistant, demo: MockConfigEntry) -> None:
    folder = report_dir(hass)
    # A file where the folder should be: the folder cannot be created.
    await hass.async_add_executor_job(folder.parent.mkdir, 0o755, True, True)
    await hass.async_add_executor_job(folder.write_text, "in the way")
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "generate_report", config_entry=demo.entry_id, days=1)
    assert err.value.translation_key == "report_write_failed"


async def test_download_view(
    hass: HomeAssistant,
    demo: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    response = await _call(hass, "generate_report", config_entry=demo.entry_id, days=1)
    expected = await hass.async_add_executor_job(Path(response["path"]).read_bytes)
    # Something in the folder the view must never serve, and something beside it.
    folder = report_dir(hass)
    await hass.async_add_executor_job((folder / "notes.txt").write_text, "private")
    await hass.async_add_executor_job((folder.parent / "secret.pdf").write_bytes, b"%PDF-secret")

    client = await hass_client()
    download = await client.get(response["url"])
    assert download.status == HTTPStatus.OK
    assert download.headers["Content-Type"] == "application/pdf"
    assert response["filename"] in download.headers["Content-Disposition"]
    assert await download.read() == expected

    # Names that reach the view and are not a report it wrote.
    for name in (
        "notes.txt",
        "docsight-report-missing.pdf",
        "docsight-report-a%00.pdf",
        "docsight-report-a%20b.pdf",
        "DOCSIGHT-REPORT-A.PDF",
        "docsight-report-a.pdf.txt",
    ):
        refused = await client.get(f"/api/docsight/reports/{name}")
        assert refused.status == HTTPStatus.NOT_FOUND, name
    # Traversal attempts: Home Assistant's security filter or the router stops them
    # before the view (400 or 404); none gets the file.
    for name in (
        "..%2Fsecret.pdf",
        "%2E%2E%2Fsecret.pdf",
        "docsight-report-..%2F..%2Fsecret.pdf",
        "../secret.pdf",
    ):
        refused = await client.get(f"/api/docsight/reports/{name}")
        assert refused.status in (HTTPStatus.BAD_REQUEST, HTTPStatus.NOT_FOUND), name
        assert b"secret" not in await refused.read()

    anonymous = await hass_client_no_auth()
    refused = await anonymous.get(response["url"])
    assert refused.status == HTTPStatus.UNAUTHORIZED
