"""The BNetzA import action and sensors on a real Home Assistant, with real files and store."""

from __future__ import annotations

from datetime import timedelta
import os
from pathlib import Path

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.docsight.bnetz import bnetz_signal, import_folder
from custom_components.docsight.const import CONF_MODEM_TYPE, DOMAIN
from custom_components.docsight.coordinator import (
    CONF_FOLDER,
    SUBENTRY_BNETZ_FOLDER,
    BnetzFolderCoordinator,
)
from custom_components.docsight.docsis.storage import HistoryStore
from tests.bnetz_pdf import Protocol, foreign_pdf, protocol_pdf

from .jsonmodem import JsonModemSimulator, json_modem_fixture  # noqa: F401

GOOD = [[950.0] + [900.0] * 9] * 3
SENSORS = {
    "campaign": "sensor.simulated_modem_bnetza_campaign",
    "down": "sensor.simulated_modem_bnetza_download_verdict",
    "up": "sensor.simulated_modem_bnetza_upload_verdict",
    "down_avg": "sensor.simulated_modem_bnetza_download_average",
    "up_avg": "sensor.simulated_modem_bnetza_upload_average",
}


@pytest.fixture
async def entry(hass: HomeAssistant, json_modem: JsonModemSimulator) -> MockConfigEntry:
    """A JSON-modem entry: no demo data, so the BNetzA sensors start unknown."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=json_modem.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


async def _import(hass: HomeAssistant, entry: MockConfigEntry, path: Path | str):
    return await hass.services.async_call(
        DOMAIN,
        "import_bnetz",
        {"config_entry": entry.entry_id, "path": str(path)},
        blocking=True,
        return_response=True,
    )


async def _rows(entry: MockConfigEntry) -> list[dict]:
    return await entry.runtime_data.history.run(HistoryStore.rows, "bnetz_measurements")


async def test_import_protocol_updates_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    for entity_id in SENSORS.values():
        assert hass.states.get(entity_id).state == "unknown", entity_id
    # Upload: 26 of 30 miss the normal rate of 35 Mbit/s.
    upload = [[45.0, 45.0] + [34.0] * 8, [45.0, 45.0] + [34.0] * 8, [45.0] * 10]
    path = _write(
        import_folder(hass), "Messprotokoll.pdf", protocol_pdf(Protocol.campaign(GOOD, upload))
    )

    response = await _import(hass, entry, path)
    await hass.async_block_till_done()
    assert response["date"] == "2026-03-14"
    assert response["kind"] == "pdf"
    assert response["download"]["verdict"] == "ok"
    assert response["upload"]["verdict"] == "deviation"
    assert response["upload"]["fired"] == ["normal"]
    normal = response["upload"]["criteria"][1]
    assert (normal["observed"], normal["limit"], normal["total"]) == (14, 27, 30)
    assert response["upload"]["official"] == "ok"  # what the protocol itself said

    assert hass.states.get(SENSORS["campaign"]).state == "2026-03-14"
    assert hass.states.get(SENSORS["campaign"]).attributes["provider"] == "Kabelnetz Beispiel GmbH"
    assert hass.states.get(SENSORS["down"]).state == "ok"
    up = hass.states.get(SENSORS["up"])
    assert up.state == "deviation"
    assert up.attributes["fired"] == ["normal"]
    assert up.attributes["options"] == ["ok", "deviation", "incomplete", "no_tariff"]
    assert float(hass.states.get(SENSORS["down_avg"]).state) == 905.0
    assert hass.states.get(SENSORS["up_avg"]).attributes["tariff_normal"] == 35.0
    # On the modem's device.
    registry = er.async_get(hass)
    modem_device = registry.async_get("sensor.simulated_modem_line_health").device_id
    assert registry.async_get(SENSORS["down"]).device_id == modem_device

    rows = await _rows(entry)
    assert len(rows) == 1
    assert rows[0]["pdf"] == path.read_bytes()
    # The same file again: refused, nothing stored twice.
    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, entry, path)
    assert err.value.translation_key == "bnetz_already_imported"
    assert "2026-03-14" in str(err.value)
    assert len(await _rows(entry)) == 1


async def test_import_csv_from_allowlisted_folder(
    hass: HomeAssistant, entry: MockConfigEntry, tmp_path: Path
) -> None:
    allowed = tmp_path / "allowed"
    hass.config.allowlist_external_dirs = {str(allowed)}
    lines = ["Messzeitpunkt;Download (Mbit/s);Upload (Mbit/s)"]
    lines += [
        f"{10 + day}.03.2026 {8 + run}:00;500,5;40,0" for day in range(3) for run in range(10)
    ]
    path = _write(allowed, "export.csv", "\n".join(lines).encode())
    response = await _import(hass, entry, path)
    await hass.async_block_till_done()
    assert response["kind"] == "csv"
    assert response["download"]["verdict"] == "no_tariff"
    assert response["download"]["measured_avg_mbps"] == 500.5
    assert hass.states.get(SENSORS["down"]).state == "no_tariff"
    assert hass.states.get(SENSORS["campaign"]).state == "2026-03-12"


async def test_paths_outside_allowed_folders_refused(
    hass: HomeAssistant, entry: MockConfigEntry, tmp_path: Path
) -> None:
    data = protocol_pdf(Protocol.campaign(GOOD))
    outside = _write(tmp_path / "elsewhere", "protocol.pdf", data)
    own = import_folder(hass)
    own.mkdir(parents=True)
    link = own / "link.pdf"
    link.symlink_to(outside)
    for path in (
        outside,
        "protocol.pdf",  # relative
        own / ".." / ".." / "elsewhere" / "protocol.pdf",
        link,  # a link out of the folder is judged by where it leads
    ):
        with pytest.raises(ServiceValidationError) as err:
            await _import(hass, entry, path)
        assert err.value.translation_key == "bnetz_path_not_allowed"
        assert str(own) in str(err.value)
    assert await _rows(entry) == []


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("invoice.pdf", foreign_pdf(), "bnetz_not_a_protocol"),
        ("broken.pdf", b"%PDF-1.4\n" + bytes(range(256)) * 8, "bnetz_unreadable_pdf"),
        ("renamed.pdf", b"Datum;Uhrzeit\n", "bnetz_unreadable_pdf"),
        (
            "columns.csv",
            b"Datum;Uhrzeit;Download (Mbit/s)\n10.03.2026;14:00;1\n",
            "bnetz_csv_missing_columns",
        ),
        (
            "numbers.csv",
            (
                b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;14:00;1;2\n"
                b"11.03.2026;14:00;zwei;2\n"
            ),
            "bnetz_csv_bad_number",
        ),
        ("notes.txt", b"hello", "bnetz_unsupported_file"),
    ],
)
async def test_bad_files_refused_nothing_stored(
    hass: HomeAssistant, entry: MockConfigEntry, name: str, data: bytes, key: str
) -> None:
    path = _write(import_folder(hass), name, data)
    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, entry, path)
    assert err.value.translation_key == key
    assert err.value.translation_domain == DOMAIN
    # A translated message, with its placeholders filled in.
    assert "{" not in str(err.value)
    assert str(err.value) != key
    assert await _rows(entry) == []
    assert hass.states.get(SENSORS["down"]).state == "unknown"


async def test_missing_file_and_unloaded_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, entry, import_folder(hass) / "absent.pdf")
    assert err.value.translation_key == "bnetz_read_failed"

    path = _write(import_folder(hass), "p.pdf", protocol_pdf(Protocol.campaign(GOOD)))
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    with pytest.raises(ServiceValidationError) as err:
        await _import(hass, entry, path)
    assert err.value.translation_key == "entry_not_loaded"


async def test_demo_campaigns_shown_after_seeding(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, freezer
) -> None:
    """The demo's seeded campaigns reach the sensors with the next modem poll."""
    freezer.tick(timedelta(minutes=6))
    await loaded_demo.runtime_data.modem.async_refresh()
    await hass.async_block_till_done()
    rows = await loaded_demo.runtime_data.history.run(
        HistoryStore.rows, "bnetz_measurements", order="date"
    )
    assert len(rows) == 9
    newest = rows[-1]
    campaign = hass.states.get("sensor.docsight_demo_bnetza_campaign")
    assert campaign.state == newest["date"]
    assert campaign.attributes["kind"] == "demo"
    verdict = hass.states.get("sensor.docsight_demo_bnetza_download_verdict")
    assert verdict.state == newest["verdict_download"]
    assert [c["criterion"] for c in verdict.attributes["criteria"]] == [
        "maximum",
        "normal",
        "minimum",
    ]


async def test_file_young_or_not(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A file is imported however recently it was written (the service is explicit)."""
    path = _write(import_folder(hass), "fresh.pdf", protocol_pdf(Protocol.campaign(GOOD)))
    os.utime(path)
    response = await _import(hass, entry, path)
    assert response["download"]["verdict"] == "ok"


async def test_store_failures(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """A failing write stores nothing and says why; a failing read makes the sensors unavailable."""
    history = entry.runtime_data.history
    await history.run(
        HistoryStore.execute_script,
        "CREATE TRIGGER refuse BEFORE INSERT ON bnetz_measurements"
        " BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
    )
    path = _write(import_folder(hass), "p.pdf", protocol_pdf(Protocol.campaign(GOOD)))
    with pytest.raises(HomeAssistantError) as err:
        await _import(hass, entry, path)
    assert err.value.translation_key == "bnetz_store_failed"
    assert "disk says no" in str(err.value)
    await history.run(HistoryStore.execute_script, "DROP TRIGGER refuse;")
    assert await _rows(entry) == []

    await history.run(
        HistoryStore.execute_script, "ALTER TABLE bnetz_measurements RENAME TO elsewhere;"
    )
    async_dispatcher_send(hass, bnetz_signal(entry.entry_id))
    await hass.async_block_till_done()
    assert hass.states.get(SENSORS["down"]).state == "unavailable"
    await history.run(
        HistoryStore.execute_script, "ALTER TABLE elsewhere RENAME TO bnetz_measurements;"
    )
    await _import(hass, entry, path)
    await hass.async_block_till_done()
    assert hass.states.get(SENSORS["down"]).state == "ok"


# -- the watched folder (a config subentry) ----------------------------------------------------


async def _add_folder(hass: HomeAssistant, entry: MockConfigEntry, folder: Path | str):
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_BNETZ_FOLDER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_FOLDER: str(folder)}
    )


async def test_watched_folder(
    hass: HomeAssistant, entry: MockConfigEntry, tmp_path: Path, freezer
) -> None:
    hass.config.allowlist_external_dirs = {str(tmp_path / "allowed")}
    # Refused: outside the allowed folders, missing, relative.
    result = await _add_folder(hass, entry, tmp_path / "elsewhere")
    assert result["errors"] == {"base": "folder_not_allowed"}
    result = await _add_folder(hass, entry, "bnetz")
    assert result["errors"] == {"base": "folder_not_allowed"}
    result = await _add_folder(hass, entry, tmp_path / "allowed" / "absent")
    assert result["errors"] == {"base": "folder_not_found"}
    # The integration's own import folder is created on demand.
    result = await _add_folder(hass, entry, import_folder(hass))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_FOLDER: str(import_folder(hass).resolve())}
    await hass.async_block_till_done(wait_background_tasks=True)
    assert import_folder(hass).is_dir()
    result = await _add_folder(hass, entry, import_folder(hass))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    (source,) = entry.runtime_data.sources.values()
    assert isinstance(source, BnetzFolderCoordinator)
    folder = import_folder(hass)
    protocol = _write(folder, "campaign.pdf", protocol_pdf(Protocol.campaign(GOOD)))
    broken = _write(folder, "broken.csv", b"Foo;Bar\n1;2\n")
    for path in (protocol, broken):
        moment = path.stat().st_mtime - 60
        os.utime(path, (moment, moment))

    await source.async_refresh()
    await hass.async_block_till_done()
    assert source.data.imported == ("2026-03-14",)
    assert source.data.failed == ("broken.csv",)
    assert (folder / "processed" / "campaign.pdf").exists()
    assert (folder / "failed" / "broken.csv").exists()
    assert hass.states.get(SENSORS["down"]).state == "ok"
    assert len(await _rows(entry)) == 1

    # The same protocol dropped in again: moved, never imported twice.
    _write(folder, "campaign.pdf", (folder / "processed" / "campaign.pdf").read_bytes())
    freezer.tick(timedelta(seconds=30))
    await source.async_refresh()
    assert source.data.imported == ()
    assert (folder / "processed" / "campaign (1).pdf").exists()
    assert len(await _rows(entry)) == 1

    # A file that cannot be moved stays where it is (and is logged).
    (folder / "failed" / "broken.csv").unlink()
    (folder / "failed").rmdir()
    (folder / "failed").write_text("a file where the folder should be")
    stuck = _write(folder, "again.csv", b"Foo;Bar\n1;2\n")
    freezer.tick(timedelta(seconds=30))
    await source.async_refresh()
    assert source.data.failed == ("again.csv",)
    assert stuck.exists()

    # A folder that disappears: a failed scan (backoff), nothing lost.
    for path in (folder / "processed").iterdir():
        path.unlink()
    (folder / "processed").rmdir()
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    await source.async_refresh()
    assert not source.last_update_success
    assert source.backoff.failures == 1


async def test_watched_folder_is_scanned_on_its_schedule(
    hass: HomeAssistant, entry: MockConfigEntry, freezer
) -> None:
    """The folder has no entities of its own, and is still scanned every 300 s."""
    result = await _add_folder(hass, entry, import_folder(hass))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    (source,) = entry.runtime_data.sources.values()
    first_scan = source.last_poll

    protocol = _write(import_folder(hass), "later.pdf", protocol_pdf(Protocol.campaign(GOOD)))
    moment = protocol.stat().st_mtime - 60
    os.utime(protocol, (moment, moment))
    freezer.tick(timedelta(seconds=301))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert source.last_poll != first_scan
    assert source.data.imported == ("2026-03-14",)
    assert len(await _rows(entry)) == 1
