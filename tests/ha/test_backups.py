"""Backups on a real Home Assistant: create, restore onto a fresh entry, schedule, HA's hook."""

from __future__ import annotations

from datetime import timedelta
import hashlib
import io
import json
from pathlib import Path
import sqlite3
import tarfile
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from custom_components.docsight import backup as ha_backup
from custom_components.docsight.backups import (
    CONF_BACKUP_ENABLED,
    CONF_BACKUP_INTERVAL_HOURS,
    CONF_BACKUP_KEEP,
    BackupScheduler,
    backup_folder,
)
from custom_components.docsight.const import (
    CONF_HEALTH_HYSTERESIS,
    CONF_MODEM_TYPE,
    CONF_RETENTION_DAYS,
    DOMAIN,
)
from custom_components.docsight.docsis.backup import DB_NAME, MAGIC, META_NAME
from custom_components.docsight.history import HISTORY_FILE, history_dir

NO_RESPONSE = {"backup_delete"}


async def _call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=service not in NO_RESPONSE
    )


async def _fails(
    hass: HomeAssistant, service: str, key: str, **data: Any
) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, service, **data)
    assert err.value.translation_key == key, err.value
    assert "{" not in str(err.value)
    return err.value


async def _user_titles(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    listed = await _call(hass, "journal_list", config_entry=entry.entry_id, include_demo=False)
    return [item["title"] for item in listed["entries"]]


def _db(hass: HomeAssistant, entry: MockConfigEntry) -> Path:
    return history_dir(hass, entry.entry_id) / HISTORY_FILE


async def _add_journal(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    incident = await _call(
        hass, "incident_create", config_entry=entry.entry_id, name="Evening dropouts"
    )
    for day, title in (("2026-03-02", "Called the hotline"), ("2026-03-05", "Technician visit")):
        await _call(
            hass,
            "journal_create_entry",
            config_entry=entry.entry_id,
            date=day,
            title=title,
            incident_id=incident["incident"]["id"],
        )


async def test_demo_backup_restores_onto_a_fresh_entry(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    await _add_journal(hass, loaded_demo)
    created = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]
    assert created["name"] == "docsight_backup_2026-03-17_120000.tar.gz"
    assert created["entry_id"] == loaded_demo.entry_id
    assert created["scheduled"] is False
    assert created["tables"]["journal_entries"] == 2  # the demo's sample journal is not in it
    assert created["tables"]["snapshots"] == 0

    listed = await _call(hass, "backup_list")
    assert [item["name"] for item in listed["backups"]] == [created["name"]]
    assert listed["folder"] == str(backup_folder(hass))

    # Remove the entry: its folder goes, its backups stay.
    await hass.config_entries.async_remove(loaded_demo.entry_id)
    await hass.async_block_till_done()
    assert not history_dir(hass, loaded_demo.entry_id).exists()
    assert (backup_folder(hass) / created["name"]).is_file()

    fresh = MockConfigEntry(
        domain=DOMAIN, title="DOCSight Demo", unique_id="demo", data={CONF_MODEM_TYPE: "demo"}
    )
    fresh.add_to_hass(hass)
    assert await hass.config_entries.async_setup(fresh.entry_id)
    await hass.async_block_till_done()
    assert await _user_titles(hass, fresh) == []

    restored = await _call(
        hass, "backup_restore", config_entry=fresh.entry_id, name=created["name"]
    )
    assert restored["restored"]["name"] == created["name"]
    await hass.async_block_till_done()
    assert fresh.state is ConfigEntryState.LOADED
    assert await _user_titles(hass, fresh) == ["Called the hotline", "Technician visit"]
    listed = await _call(hass, "journal_list", config_entry=fresh.entry_id, include_demo=False)
    assert listed["incidents"][0]["name"] == "Evening dropouts"
    assert listed["incidents"][0]["entry_count"] == 2
    # The entry polls and stores again after the restore.
    status = await _call(hass, "get_status", config_entry=fresh.entry_id)
    assert status["entries"][0]["collectors"][0]["consecutive_failures"] == 0


async def test_restore_onto_an_unloaded_entry(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    await _add_journal(hass, loaded_demo)
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    await _call(
        hass,
        "journal_create_entry",
        config_entry=loaded_demo.entry_id,
        date="2026-03-10",
        title="Later",
    )
    await hass.config_entries.async_unload(loaded_demo.entry_id)
    await _call(hass, "backup_restore", config_entry=loaded_demo.entry_id, name=name)
    assert loaded_demo.state is ConfigEntryState.NOT_LOADED  # left as it was
    assert await hass.config_entries.async_setup(loaded_demo.entry_id)
    await hass.async_block_till_done()
    assert await _user_titles(hass, loaded_demo) == ["Called the hotline", "Technician visit"]


def _hostile(folder: Path, name: str, build: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    meta = json.dumps(
        {
            "magic": MAGIC if build != "magic" else "nope",
            "format_version": 1,
            "timestamp": "2026-03-17T12:00:00Z",
            "app_version": "x",
            "tables": {},
        }
    ).encode()
    with tarfile.open(folder / name, "w:gz") as tar:
        for member, data in ((META_NAME, meta), (DB_NAME, b"garbage" * 100)):
            info = tarfile.TarInfo(
                "../" + member if build == "traversal" and member == DB_NAME else member
            )
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    ("build", "key"),
    [
        ("traversal", "backup_unsafe_member"),
        ("magic", "backup_bad_magic"),
        ("corrupt", "backup_corrupt_database"),
    ],
)
async def test_bad_archive_changes_nothing(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, build: str, key: str
) -> None:
    await _add_journal(hass, loaded_demo)
    name = f"docsight_backup_{build}.tar.gz"
    _hostile(backup_folder(hass), name, build)
    setups = []
    original_setup = hass.config_entries.async_setup

    async def counting_setup(entry_id: str, **kwargs: Any) -> bool:
        setups.append(entry_id)
        return await original_setup(entry_id, **kwargs)

    hass.config_entries.async_setup = counting_setup  # type: ignore[method-assign]
    err = await _fails(hass, "backup_restore", key, config_entry=loaded_demo.entry_id, name=name)
    assert name in str(err)
    # Refused before the entry was touched: still loaded, never set up again, same journal.
    assert loaded_demo.state is ConfigEntryState.LOADED
    assert setups == []
    assert await _user_titles(hass, loaded_demo) == ["Called the hotline", "Technician visit"]
    assert not (history_dir(hass, loaded_demo.entry_id).parent / "history.db").exists()


async def test_restore_repairs_an_entry_that_cannot_start(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A damaged history database stops the entry's setup; restoring a backup fixes it."""
    await _add_journal(hass, loaded_demo)
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    await hass.config_entries.async_unload(loaded_demo.entry_id)
    db = _db(hass, loaded_demo)
    await hass.async_add_executor_job(db.write_bytes, b"this is not a database" * 100)
    await hass.config_entries.async_setup(loaded_demo.entry_id)
    assert loaded_demo.state is ConfigEntryState.SETUP_ERROR
    await _call(hass, "backup_restore", config_entry=loaded_demo.entry_id, name=name)
    await hass.async_block_till_done()
    assert loaded_demo.state is ConfigEntryState.LOADED
    assert await _user_titles(hass, loaded_demo) == ["Called the hotline", "Technician visit"]


async def test_restore_refused_while_the_entry_is_busy(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    busy = MockConfigEntry(
        domain=DOMAIN,
        title="Starting",
        data={CONF_MODEM_TYPE: "demo"},
        state=ConfigEntryState.SETUP_IN_PROGRESS,
    )
    busy.add_to_hass(hass)
    err = await _fails(
        hass, "backup_restore", "backup_entry_busy", config_entry=busy.entry_id, name=name
    )
    assert "Starting" in str(err)
    assert not history_dir(hass, busy.entry_id).exists()


async def test_bad_backup_calls(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    entry_id = loaded_demo.entry_id
    for name in (
        "../../history.db",
        "/etc/passwd",
        "docsight_backup_x.zip",
        "sub/docsight_backup_x.tar.gz",
    ):
        await _fails(
            hass, "backup_restore", "backup_invalid_name", config_entry=entry_id, name=name
        )
        await _fails(hass, "backup_delete", "backup_invalid_name", name=name)
    await _fails(
        hass,
        "backup_restore",
        "backup_not_found",
        config_entry=entry_id,
        name="docsight_backup_missing.tar.gz",
    )
    await _fails(hass, "backup_delete", "backup_not_found", name="docsight_backup_missing.tar.gz")
    await _fails(
        hass,
        "backup_restore",
        "entry_not_found",
        config_entry="nope",
        name="docsight_backup_missing.tar.gz",
    )
    await _fails(hass, "backup_create", "entry_not_found", config_entry="nope")


async def test_delete_and_list_by_entry(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    assert (
        len((await _call(hass, "backup_list", config_entry=loaded_demo.entry_id))["backups"]) == 1
    )
    assert (await _call(hass, "backup_list", config_entry="other"))["backups"] == []
    await _call(hass, "backup_delete", name=name)
    assert (await _call(hass, "backup_list"))["backups"] == []


async def test_create_failure_is_reported(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    folder = backup_folder(hass)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be")
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "backup_create", config_entry=loaded_demo.entry_id)
    assert err.value.translation_key == "backup_failed"


async def test_snapshot_failure_leaves_no_copy(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.docsight.docsis import backup as lib

    def fail(*_args: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(lib, "snapshot_database", fail)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "backup_create", config_entry=loaded_demo.entry_id)
    assert err.value.translation_key == "backup_failed"
    assert "disk I/O error" in str(err.value)
    assert list(backup_folder(hass).iterdir()) == []


async def test_restore_check_that_cannot_read_fails_cleanly(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.docsight.docsis import backup as lib

    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]

    def no_space(*_args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lib, "validate_backup", no_space)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "backup_restore", config_entry=loaded_demo.entry_id, name=name)
    assert err.value.translation_key == "backup_failed"
    # Checked before anything was touched: the entry kept running.
    assert loaded_demo.state is ConfigEntryState.LOADED


# -- the schedule ----------------------------------------------------------------------


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, hours: float) -> None:
    freezer.tick(timedelta(hours=hours))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_scheduled_backups_with_retention(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: Any, freezer: FrozenDateTimeFactory
) -> None:
    demo_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        demo_entry,
        options={CONF_BACKUP_ENABLED: True, CONF_BACKUP_INTERVAL_HOURS: 24, CONF_BACKUP_KEEP: 2},
    )
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done()
    scheduler = demo_entry.runtime_data.backups
    assert isinstance(scheduler, BackupScheduler)
    manual = (await _call(hass, "backup_create", config_entry=demo_entry.entry_id))["backup"]

    def scheduled() -> list[str]:
        return sorted(
            path.name for path in backup_folder(hass).iterdir() if path.name != manual["name"]
        )

    assert scheduled() == []
    await _tick(hass, freezer, 1)  # the first hourly check: none yet, so one now
    assert scheduled() == ["docsight_backup_2026-03-17_130000.tar.gz"]
    await _tick(hass, freezer, 1)
    await _tick(hass, freezer, 20)  # 18th 10:00: not yet a day since
    assert len(scheduled()) == 1
    for _day in range(3):
        await _tick(hass, freezer, 24)
    # Two kept; the manual backup untouched.
    assert scheduled() == [
        "docsight_backup_2026-03-20_100000.tar.gz",
        "docsight_backup_2026-03-21_100000.tar.gz",
    ]
    assert (backup_folder(hass) / manual["name"]).is_file()
    listed = await _call(hass, "backup_list", config_entry=demo_entry.entry_id)
    assert [item["scheduled"] for item in listed["backups"]] == [True, True, False]
    assert scheduler.data is not None

    # A failing backup marks the schedule failed and is tried again at the next check.
    folder = backup_folder(hass)
    moved = folder.with_name("moved")
    folder.rename(moved)
    folder.write_text("not a folder")
    await _tick(hass, freezer, 24)
    assert not scheduler.last_update_success


async def test_schedule_off_by_default(hass: HomeAssistant, loaded_demo: MockConfigEntry) -> None:
    assert loaded_demo.runtime_data.backups is None


async def test_options_flow_sets_the_schedule(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(loaded_demo.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        user_input={
            CONF_HEALTH_HYSTERESIS: 0,
            CONF_RETENTION_DAYS: 365,
            CONF_BACKUP_ENABLED: True,
            CONF_BACKUP_INTERVAL_HOURS: 12,
            CONF_BACKUP_KEEP: 3,
        },
    )
    await hass.async_block_till_done()
    assert loaded_demo.options[CONF_BACKUP_ENABLED] is True
    assert loaded_demo.options[CONF_BACKUP_KEEP] == 3
    scheduler = loaded_demo.runtime_data.backups
    assert isinstance(scheduler, BackupScheduler)
    assert scheduler.interval == timedelta(hours=12)
    assert scheduler.keep == 3


# -- Home Assistant's own backups ------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_backup_platform_checkpoints(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    db = _db(hass, loaded_demo)
    wal = Path(f"{db}-wal")
    await _add_journal(hass, loaded_demo)
    await ha_backup.async_pre_backup(hass)
    assert _size(wal) == 0  # everything is in the main file
    main = _sha(db)
    # Writes during the backup go to the WAL only: the copied main file stays consistent.
    await _call(
        hass,
        "journal_create_entry",
        config_entry=loaded_demo.entry_id,
        date="2026-03-09",
        title="During",
    )
    await loaded_demo.runtime_data.modem.async_request_refresh()
    await hass.async_block_till_done()
    assert _size(wal) > 0
    assert _sha(db) == main
    copy = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    titles = [row[0] for row in copy.execute("SELECT title FROM journal_entries WHERE is_demo = 0")]
    copy.close()
    assert titles == ["Called the hotline", "Technician visit"]

    await ha_backup.async_post_backup(hass)
    assert _size(wal) == 0
    assert _sha(db) != main
    autocheckpoint = await loaded_demo.runtime_data.history.run(
        lambda store: store.connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    )
    assert autocheckpoint == 1000


async def test_backup_platform_skips_closed_stores(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    await loaded_demo.runtime_data.history.async_close()
    await ha_backup.async_pre_backup(hass)  # nothing to do, nothing raised
    await ha_backup.async_post_backup(hass)


async def test_home_assistant_backup_finds_the_platform(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    from homeassistant.components.backup import DATA_MANAGER

    assert await async_setup_component(hass, "backup", {})
    await hass.async_block_till_done()
    manager = hass.data[DATA_MANAGER]
    assert DOMAIN in manager.platforms
    await manager.async_pre_backup_actions()
    assert _size(Path(f"{_db(hass, loaded_demo)}-wal")) == 0
    await manager.async_post_backup_actions()


async def test_deleting_and_restoring_need_an_admin(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, hass_read_only_user: MockUser
) -> None:
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    for service, data in (
        ("backup_delete", {"name": name}),
        ("backup_restore", {"config_entry": loaded_demo.entry_id, "name": name}),
    ):
        with pytest.raises(Unauthorized):
            await hass.services.async_call(
                DOMAIN,
                service,
                data,
                blocking=True,
                context=Context(user_id=hass_read_only_user.id),
                return_response=service == "backup_restore",
            )
    # Listing and creating stay open to every user; the backup is still there.
    listed = await hass.services.async_call(
        DOMAIN,
        "backup_list",
        {},
        blocking=True,
        context=Context(user_id=hass_read_only_user.id),
        return_response=True,
    )
    assert [item["name"] for item in listed["backups"]] == [name]


async def test_restore_swaps_only_after_the_store_is_closed(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = (await _call(hass, "backup_create", config_entry=loaded_demo.entry_id))["backup"]["name"]
    worker = loaded_demo.runtime_data.history
    from custom_components.docsight.docsis import backup as lib

    seen: list[bool] = []
    real_restore = lib.restore_backup

    def restore(archive: Path, target: Path) -> Any:
        seen.append(worker.is_open)
        return real_restore(archive, target)

    monkeypatch.setattr(lib, "restore_backup", restore)
    await _call(hass, "backup_restore", config_entry=loaded_demo.entry_id, name=name)
    await hass.async_block_till_done()

    assert seen == [False]
    assert loaded_demo.state is ConfigEntryState.LOADED
