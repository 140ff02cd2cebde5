"""The journal's service actions on a real Home Assistant with the demo entry."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import voluptuous as vol

from custom_components.docsight.const import DOMAIN
from custom_components.docsight.docsis import journal as lib
from custom_components.docsight.journal import SERVICE_NAMES

NO_RESPONSE = {"journal_delete_entry", "incident_delete", "journal_delete_attachment"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def _call(hass: HomeAssistant, service: str, entry: MockConfigEntry | None, **data: Any):
    if entry is not None:
        data["config_entry"] = entry.entry_id
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=service not in NO_RESPONSE
    )


async def _fails(
    hass: HomeAssistant, service: str, entry: MockConfigEntry | None, key: str, **data: Any
):
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, entry, **data)
    assert err.value.translation_key == key, err.value
    assert err.value.translation_domain == DOMAIN
    # The translated message is complete: every placeholder it names was given.
    assert "{" not in str(err.value)
    return err.value


def _import_folder(hass: HomeAssistant) -> Path:
    folder = Path(hass.config.path(DOMAIN, "journal_import"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_services_registered(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    for name in SERVICE_NAMES:
        assert hass.services.has_service(DOMAIN, name), name


async def test_entry_and_incident_round_trip(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    incident = (
        await _call(
            hass,
            "incident_create",
            loaded_demo,
            name="Evening dropouts",
            status="open",
            start_date="2026-03-01",
            icon="mdi:weather-night",
        )
    )["incident"]
    created = (
        await _call(
            hass,
            "journal_create_entry",
            loaded_demo,
            date="2026-03-02",
            title="Called the hotline",
            description="Ticket 4711",
            icon="mdi:phone",
            incident_id=incident["id"],
        )
    )["entry"]
    assert created["incident_id"] == incident["id"]
    assert created["created_at"] == "2026-03-17T12:00:00Z"

    updated = (
        await _call(
            hass,
            "journal_update_entry",
            loaded_demo,
            entry_id=created["id"],
            title="Hotline call",
            incident_id=0,
        )
    )["entry"]
    assert updated["title"] == "Hotline call"
    assert updated["incident_id"] is None

    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert [entry["title"] for entry in listed["entries"]] == ["Hotline call"]
    assert [item["name"] for item in listed["incidents"]] == ["Evening dropouts"]
    # The demo's sample journal is there too, unless excluded.
    everything = await _call(hass, "journal_list", loaded_demo)
    assert len(everything["entries"]) > 1
    assert any(entry["is_demo"] for entry in everything["entries"])

    assigned = await _call(
        hass,
        "journal_assign_incident",
        loaded_demo,
        incident_id=incident["id"],
        start="2026-03-02",
        end="2026-03-02",
    )
    assert assigned == {"assigned": 1}
    by_incident = await _call(hass, "journal_list", loaded_demo, incident_id=incident["id"])
    assert [entry["id"] for entry in by_incident["entries"]] == [created["id"]]
    resolved = await _call(
        hass,
        "incident_update",
        loaded_demo,
        incident_id=incident["id"],
        status="resolved",
        end_date="2026-03-09",
    )
    assert resolved["incident"]["status"] == "resolved"
    assert resolved["incident"]["entry_count"] == 1

    await _call(hass, "incident_delete", loaded_demo, incident_id=incident["id"])
    await _call(hass, "journal_delete_entry", loaded_demo, entry_id=created["id"])
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert listed == {"entries": [], "incidents": []}


async def test_bad_calls_change_nothing(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    before = await _call(hass, "journal_list", loaded_demo)
    await _fails(
        hass,
        "journal_create_entry",
        loaded_demo,
        "journal_field_required",
        date="2026-03-01",
        title=" ",
    )
    await _fails(
        hass,
        "journal_create_entry",
        loaded_demo,
        "journal_invalid_icon",
        date="2026-03-01",
        title="x",
        icon="phone",
    )
    await _fails(
        hass,
        "journal_create_entry",
        loaded_demo,
        "journal_incident_not_found",
        date="2026-03-01",
        title="x",
        incident_id=9999,
    )
    await _fails(
        hass,
        "journal_update_entry",
        loaded_demo,
        "journal_entry_not_found",
        entry_id=9999,
        title="x",
    )
    await _fails(
        hass, "journal_delete_entry", loaded_demo, "journal_entry_not_found", entry_id=9999
    )
    await _fails(
        hass, "incident_delete", loaded_demo, "journal_incident_not_found", incident_id=9999
    )
    await _fails(
        hass,
        "incident_create",
        loaded_demo,
        "journal_invalid_period",
        name="x",
        start_date="2026-03-09",
        end_date="2026-03-01",
    )
    await _fails(
        hass,
        "journal_list",
        loaded_demo,
        "journal_invalid_period",
        start="2026-03-09",
        end="2026-03-01",
    )
    await _fails(
        hass,
        "journal_assign_incident",
        loaded_demo,
        "journal_invalid_period",
        incident_id=0,
        start="2026-03-09",
        end="2026-03-01",
    )
    await _fails(
        hass,
        "journal_delete_attachment",
        loaded_demo,
        "journal_attachment_not_found",
        attachment_id=9999,
    )
    await _fails(hass, "journal_list", None, "entry_not_found", config_entry="nope")
    with pytest.raises(vol.Invalid):
        await _call(hass, "incident_create", loaded_demo, name="x", status="fixed")
    with pytest.raises(vol.Invalid):
        await _call(hass, "journal_create_entry", loaded_demo, date="not a date", title="x")
    assert await _call(hass, "journal_list", loaded_demo) == before


async def test_journal_needs_a_loaded_entry(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(loaded_demo.entry_id)
    await _fails(hass, "journal_list", loaded_demo, "entry_not_loaded")


async def test_attachments_from_allowed_folders(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, tmp_path: Path
) -> None:
    entry = (
        await _call(hass, "journal_create_entry", loaded_demo, date="2026-03-02", title="Screens")
    )["entry"]
    folder = _import_folder(hass)
    (folder / "modem.png").write_bytes(PNG)
    added = await _call(
        hass,
        "journal_add_attachment",
        loaded_demo,
        entry_id=entry["id"],
        path=str(folder / "modem.png"),
    )
    assert added["attachment"]["mime_type"] == "image/png"
    assert added["attachment"]["size"] == len(PNG)

    # A folder of allowlist_external_dirs works too, with a chosen name.
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    hass.config.allowlist_external_dirs = {str(allowed)}
    (allowed / "letter.pdf").write_bytes(b"%PDF-1.4\n")
    renamed = await _call(
        hass,
        "journal_add_attachment",
        loaded_demo,
        entry_id=entry["id"],
        path=str(allowed / "letter.pdf"),
        filename="Provider letter.pdf",
    )
    assert renamed["attachment"]["filename"] == "Provider letter.pdf"

    # Outside: refused, also through .. and through a link.
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    for path in (outside, folder / ".." / ".." / "secret.txt"):
        err = await _fails(
            hass,
            "journal_add_attachment",
            loaded_demo,
            "path_not_allowed",
            entry_id=entry["id"],
            path=str(path),
        )
        assert str(folder.resolve()) in str(err)
    (folder / "link.txt").symlink_to(outside)
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "path_not_allowed",
        entry_id=entry["id"],
        path=str(folder / "link.txt"),
    )
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "file_not_found",
        entry_id=entry["id"],
        path=str(folder / "missing.png"),
    )
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "file_not_found",
        entry_id=entry["id"],
        path=str(folder),
    )
    (folder / "tool.exe").write_bytes(b"MZ")
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "journal_attachment_type",
        entry_id=entry["id"],
        path=str(folder / "tool.exe"),
    )
    (folder / "fake.png").write_bytes(b"MZ\x90\x00")
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "journal_attachment_mismatch",
        entry_id=entry["id"],
        path=str(folder / "fake.png"),
    )
    with (folder / "huge.png").open("wb") as handle:
        handle.truncate(lib.MAX_ATTACHMENT_SIZE + 1)
    await _fails(
        hass,
        "journal_add_attachment",
        loaded_demo,
        "file_too_large",
        entry_id=entry["id"],
        path=str(folder / "huge.png"),
    )
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    attachments = listed["entries"][0]["attachments"]
    assert [item["filename"] for item in attachments] == ["modem.png", "Provider letter.pdf"]
    await _call(hass, "journal_delete_attachment", loaded_demo, attachment_id=attachments[0]["id"])
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert len(listed["entries"][0]["attachments"]) == 1


async def test_export_formats_and_saving(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    await _call(hass, "journal_create_entry", loaded_demo, date="2026-03-02", title="Störung")
    exported = await _call(hass, "journal_export", loaded_demo, format="csv", include_demo=False)
    rows = list(csv.reader(io.StringIO(exported["content"])))
    assert rows == [list(lib.CSV_COLUMNS), ["2026-03-02", "Störung", "", "", "", ""]]
    assert "path" not in exported

    as_json = await _call(hass, "journal_export", loaded_demo, format="json", save=True)
    data = json.loads(as_json["content"])
    assert any(entry["title"] == "Störung" for entry in data["entries"])
    saved = Path(as_json["path"])
    assert saved.parent == Path(hass.config.path(DOMAIN, "exports"))
    assert saved.name == "journal_docsight_demo_2026-03-17_120000.json"
    assert await hass.async_add_executor_job(saved.read_text, "utf-8") == as_json["content"]

    markdown = await _call(
        hass, "journal_export", loaded_demo, format="markdown", start="2026-03-01", end="2026-03-05"
    )
    assert "### 2026-03-02: Störung" in markdown["content"]
    await _fails(
        hass,
        "journal_export",
        loaded_demo,
        "journal_invalid_period",
        format="csv",
        start="2026-03-05",
        end="2026-03-01",
    )


SPREADSHEET = "Datum;Titel;Beschreibung\nMärz 2025;;\n17.03.;Ausfall;19:30 weg\n18.03.;Hotline;\n"


async def test_csv_import_preview_then_import(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    folder = _import_folder(hass)
    (folder / "journal.csv").write_bytes(SPREADSHEET.encode("cp1252"))
    path = str(folder / "journal.csv")
    preview = await _call(hass, "journal_import_csv", loaded_demo, path=path)
    assert preview["preview"] is True
    assert (preview["total"], preview["valid"], preview["invalid"]) == (2, 2, 0)
    assert [row["date"] for row in preview["rows"]] == ["2025-03-17", "2025-03-18"]
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert listed["entries"] == []  # a preview writes nothing

    incident = (await _call(hass, "incident_create", loaded_demo, name="March"))["incident"]
    result = await _call(
        hass,
        "journal_import_csv",
        loaded_demo,
        path=path,
        preview=False,
        incident_id=incident["id"],
    )
    assert result["imported"] == 2
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert [(e["date"], e["title"], e["incident_id"]) for e in listed["entries"]] == [
        ("2025-03-17", "Ausfall", incident["id"]),
        ("2025-03-18", "Hotline", incident["id"]),
    ]


async def test_csv_import_refusals(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _import_folder(hass)
    (folder / "bad.csv").write_text("Datum;Titel\n01.02.2025;Good\nsoon;Bad\n", encoding="utf-8")
    preview = await _call(hass, "journal_import_csv", loaded_demo, path=str(folder / "bad.csv"))
    assert preview["invalid"] == 1
    assert preview["errors"][0]["line"] == 3
    err = await _fails(
        hass,
        "journal_import_csv",
        loaded_demo,
        "journal_import_invalid_rows",
        path=str(folder / "bad.csv"),
        preview=False,
    )
    assert err.translation_placeholders["line"] == "3"
    listed = await _call(hass, "journal_list", loaded_demo, include_demo=False)
    assert listed["entries"] == []
    skipped = await _call(
        hass,
        "journal_import_csv",
        loaded_demo,
        path=str(folder / "bad.csv"),
        preview=False,
        skip_invalid=True,
    )
    assert (skipped["imported"], skipped["skipped"]) == (1, 1)

    (folder / "names.csv").write_text("Name;Wert\nfoo;bar\n", encoding="utf-8")
    await _fails(
        hass,
        "journal_import_csv",
        loaded_demo,
        "journal_import_no_columns",
        path=str(folder / "names.csv"),
    )
    with (folder / "huge.csv").open("wb") as handle:
        handle.truncate(lib.MAX_IMPORT_SIZE + 1)
    await _fails(
        hass, "journal_import_csv", loaded_demo, "file_too_large", path=str(folder / "huge.csv")
    )
    await _fails(hass, "journal_import_csv", loaded_demo, "path_not_allowed", path="/etc/hostname")
    # Paths that cannot even be resolved: a relative one, an unknown user's home, a NUL byte.
    for odd in ("names.csv", "~nosuchuser-docsight/names.csv", f"{folder}/na\x00mes.csv"):
        await _fails(hass, "journal_import_csv", loaded_demo, "path_not_allowed", path=odd)
    # A file Home Assistant may not read (as root, tests cannot make one with
    # chmod): refused like a missing one, nothing raw.
    unreadable = folder / "locked.csv"
    unreadable.write_text("Datum;Titel\n01.03.2026;x\n", encoding="utf-8")
    monkeypatch.setattr(Path, "open", _refuse_open)
    await _fails(hass, "journal_import_csv", loaded_demo, "file_not_found", path=str(unreadable))


async def test_file_growing_after_stat_is_refused(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size is checked on what is read, not only on what stat() said."""
    from custom_components.docsight import journal as ha_journal

    folder = _import_folder(hass)
    (folder / "grows.csv").write_bytes(b"x" * 100)
    real_open = Path.open

    def growing_open(self: Path, *args: Any, **kwargs: Any):
        if self.name == "grows.csv":
            with real_open(self, "wb") as handle:  # written to between stat() and open()
                handle.write(b"x" * 200)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", growing_open)
    with pytest.raises(ServiceValidationError) as err:
        await hass.async_add_executor_job(
            ha_journal.read_allowed_file, hass, str(folder / "grows.csv"), 100
        )
    assert err.value.translation_key == "file_too_large"


_REAL_OPEN = Path.open


def _refuse_open(self: Path, *args: Any, **kwargs: Any) -> Any:
    if self.name == "locked.csv":
        raise PermissionError(13, "Permission denied", str(self))
    return _REAL_OPEN(self, *args, **kwargs)


def _file_in_the_way(folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")


async def test_export_that_cannot_be_written_fails_cleanly(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    await hass.async_add_executor_job(_file_in_the_way, Path(hass.config.path(DOMAIN, "exports")))
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "journal_export", loaded_demo, format="csv", save=True)
    assert err.value.translation_key == "journal_export_failed"
