"""Backups of an entry's history: service actions, the schedule, and the hook for HA's backups.

Archives live in ``<config>/docsight/backups/``, outside every entry's own
folder: removing an entry deletes its folder but keeps its backups, so a
backup can be restored onto a fresh entry (a re-added modem, a new
installation).  Backup file names are the only handle a service accepts; no
path ever reaches the file system from a call.

Making a backup takes two steps: ``VACUUM INTO`` on the entry's history
thread (a consistent copy, seconds at most), then the demo rows are removed
from the copy and the archive written in the executor, so polls keep being
stored meanwhile.

Restoring needs the database closed, so :func:`async_restore` checks the
whole archive first (while the entry keeps running), then unloads the entry
(its worker checkpoints and closes the store), swaps the file, and sets the
entry up again, which reopens the restored store.  A bad archive is refused
before the entry is touched; a failure during the swap leaves the old file
(the swap is one rename) and the entry is set up again either way.

Scheduled backups are a coordinator per entry that checks hourly whether the
newest scheduled backup of the entry is older than the interval, so a
restart of Home Assistant neither skips nor doubles one; after each it
deletes the entry's oldest scheduled backups beyond the number to keep
(manual backups are never pruned).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
import os
from pathlib import Path
import sqlite3
import tempfile
from typing import Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.loader import async_get_integration
from homeassistant.util import dt as dt_util
import voluptuous as vol

from . import services
from .const import DOMAIN, LOGGER
from .coordinator import DocsightConfigEntry
from .docsis import backup as lib
from .docsis.backup import BackupError, BackupInfo
from .docsis.storage import HistoryStore
from .history import HISTORY_FILE, history_dir

SERVICE_BACKUP_CREATE: Final = "backup_create"
SERVICE_BACKUP_LIST: Final = "backup_list"
SERVICE_BACKUP_DELETE: Final = "backup_delete"
SERVICE_BACKUP_RESTORE: Final = "backup_restore"

BACKUP_FOLDER: Final = "backups"

CONF_BACKUP_ENABLED: Final = "backup_enabled"
CONF_BACKUP_INTERVAL_HOURS: Final = "backup_interval_hours"
CONF_BACKUP_KEEP: Final = "backup_keep"
DEFAULT_BACKUP_INTERVAL_HOURS: Final = 24
DEFAULT_BACKUP_KEEP: Final = 5
MIN_BACKUP_INTERVAL_HOURS: Final = 1
MAX_BACKUP_INTERVAL_HOURS: Final = 24 * 30
MAX_BACKUP_KEEP: Final = 100
# How often the schedule looks whether a backup is due.
BACKUP_CHECK_INTERVAL: Final = timedelta(hours=1)
# SQLite's default: fold the write-ahead log into the file every 1000 pages.
WAL_AUTOCHECKPOINT_PAGES: Final = 1000

_NAME = {vol.Required("name"): cv.string}
ADMIN_SERVICES = {SERVICE_BACKUP_DELETE, SERVICE_BACKUP_RESTORE}
CREATE_SCHEMA = vol.Schema({vol.Required(services.ATTR_CONFIG_ENTRY): cv.string})
LIST_SCHEMA = vol.Schema({vol.Optional(services.ATTR_CONFIG_ENTRY): cv.string})
DELETE_SCHEMA = vol.Schema(_NAME)
RESTORE_SCHEMA = vol.Schema({vol.Required(services.ATTR_CONFIG_ENTRY): cv.string, **_NAME})


def backup_folder(hass: HomeAssistant) -> Path:
    """Return the folder of every entry's backups (kept when an entry is removed)."""
    return Path(hass.config.path(DOMAIN, BACKUP_FOLDER))


async def async_create_backup(
    hass: HomeAssistant, entry: DocsightConfigEntry, *, scheduled: bool = False
) -> BackupInfo:
    """Back up a loaded entry's history into the backup folder."""
    folder = backup_folder(hass)
    version = str((await async_get_integration(hass, DOMAIN)).version)
    copy = await hass.async_add_executor_job(_new_snapshot_path, folder)
    try:
        await entry.runtime_data.history.run(lib.snapshot_database, copy)
    except BaseException:
        await hass.async_add_executor_job(partial(copy.unlink, missing_ok=True))
        raise
    info = await hass.async_add_executor_job(
        partial(
            lib.write_archive,
            copy,
            folder,
            app_version=version,
            now=dt_util.utcnow(),
            extra={
                "entry_id": entry.entry_id,
                "entry_title": entry.title,
                "modem_type": entry.runtime_data.modem_type.key,
                "scheduled": scheduled,
            },
        )
    )
    LOGGER.info("Backed up the history of %s to %s", entry.title, info.path)
    return info


def _new_snapshot_path(folder: Path) -> Path:
    """Reserve a temporary name in the backup folder for the snapshot copy."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".snapshot-", suffix=".db", dir=folder)
    os.close(handle)
    return Path(name)


async def async_restore(hass: HomeAssistant, entry: DocsightConfigEntry, name: str) -> BackupInfo:
    """Replace an entry's history with a backup: check, unload, swap, set up again."""
    folder = backup_folder(hass)
    try:
        archive = await hass.async_add_executor_job(lib.resolve_archive, folder, name)
        # Every check before the entry is touched: a bad archive changes nothing.
        await hass.async_add_executor_job(lib.validate_backup, archive)
    except BackupError as err:
        raise services.reason_error(err, "backup", name=name) from err
    except OSError as err:
        raise _failed(err) from err
    if entry.state not in (
        ConfigEntryState.LOADED,
        ConfigEntryState.NOT_LOADED,
        ConfigEntryState.SETUP_ERROR,
        ConfigEntryState.SETUP_RETRY,
    ):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="backup_entry_busy",
            translation_placeholders={"title": entry.title},
        )
    resume = entry.state is not ConfigEntryState.NOT_LOADED
    # Closed by the unload too, but Home Assistant stops waiting for unload
    # work after a while: the file is swapped only once its store is closed.
    worker = entry.runtime_data.history if entry.state is ConfigEntryState.LOADED else None
    if resume and not await hass.config_entries.async_unload(entry.entry_id):
        raise HomeAssistantError(  # pragma: no cover - our unload does not fail
            translation_domain=DOMAIN,
            translation_key="backup_entry_busy",
            translation_placeholders={"title": entry.title},
        )
    if worker is not None:
        await worker.async_close()
    target = history_dir(hass, entry.entry_id) / HISTORY_FILE
    try:
        info = await hass.async_add_executor_job(lib.restore_backup, archive, target)
    except BackupError as err:  # pragma: no cover - validated above; the file changed since
        raise services.reason_error(err, "backup", name=name) from err
    except OSError as err:  # pragma: no cover - the disk failed between check and swap
        raise _failed(err) from err
    finally:
        # Unless something (a reload) has set it up again meanwhile.
        if resume and entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)
    LOGGER.info("Restored the history of %s from %s", entry.title, name)
    return info


# -- the schedule ----------------------------------------------------------------------


class BackupScheduler(DataUpdateCoordinator[BackupInfo | None]):
    """Makes an entry's scheduled backups and keeps the newest few."""

    config_entry: DocsightConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: DocsightConfigEntry, interval: timedelta, keep: int
    ) -> None:
        """Check hourly; back up when the newest scheduled backup is ``interval`` old."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} backups {entry.title}",
            update_interval=BACKUP_CHECK_INTERVAL,
        )
        self.interval = interval
        self.keep = keep

    async def _async_update_data(self) -> BackupInfo | None:
        folder = backup_folder(self.hass)
        mine = {"entry_id": self.config_entry.entry_id, "scheduled": True}
        backups = await self.hass.async_add_executor_job(lib.list_backups, folder)
        newest = next(
            (
                info
                for info in backups
                if all(info.extra.get(key) == value for key, value in mine.items())
            ),
            None,
        )
        now = dt_util.utcnow()
        if newest is not None and now - _parse(newest.timestamp) < self.interval:
            return newest
        try:
            info = await async_create_backup(self.hass, self.config_entry, scheduled=True)
        except Exception as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="backup_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        deleted = await self.hass.async_add_executor_job(
            partial(lib.prune_backups, folder, self.keep, match=mine)
        )
        if deleted:
            LOGGER.debug("Deleted old scheduled backups: %s", deleted)
        return info


def _parse(timestamp: str) -> datetime:
    parsed = dt_util.parse_datetime(timestamp)
    return parsed if parsed is not None else datetime.min.replace(tzinfo=dt_util.UTC)


@callback
def async_setup_scheduled_backups(hass: HomeAssistant, entry: DocsightConfigEntry) -> None:
    """Start the entry's backup schedule if the options enable it."""
    options = entry.options
    if not options.get(CONF_BACKUP_ENABLED, False):
        return
    scheduler = BackupScheduler(
        hass,
        entry,
        timedelta(
            hours=int(options.get(CONF_BACKUP_INTERVAL_HOURS, DEFAULT_BACKUP_INTERVAL_HOURS))
        ),
        int(options.get(CONF_BACKUP_KEEP, DEFAULT_BACKUP_KEEP)),
    )
    entry.runtime_data.backups = scheduler

    @callback
    def _done() -> None:
        if scheduler.last_update_success and scheduler.data is not None:
            LOGGER.debug("Newest scheduled backup of %s: %s", entry.title, scheduler.data.path)

    # A coordinator schedules its updates only while something listens.
    entry.async_on_unload(scheduler.async_add_listener(_done))


# -- the Home Assistant backup hook ------------------------------------------------------


def _pause_checkpoints(store: HistoryStore) -> None:
    """Fold the WAL into the file and leave the file alone until the backup is done.

    Home Assistant's backup copies the file and its ``-wal`` while polls
    go on; with automatic checkpoints off, new writes only append to the
    WAL, so the copied main file stays the consistent state of this moment.
    """
    store.checkpoint()
    store.connection.execute("PRAGMA wal_autocheckpoint = 0")


def _resume_checkpoints(store: HistoryStore) -> None:
    store.connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    store.checkpoint()


async def _async_each_store(hass: HomeAssistant, function: Callable[[HistoryStore], None]) -> None:
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        history = entry.runtime_data.history
        if not history.is_open:
            continue  # closing: it checkpoints on its own
        try:
            await history.run(function)
        except RuntimeError:  # pragma: no cover - closed between the check and the call
            continue


async def async_pause_for_backup(hass: HomeAssistant) -> None:
    """Checkpoint every loaded entry's database before Home Assistant backs up."""
    await _async_each_store(hass, _pause_checkpoints)


async def async_resume_after_backup(hass: HomeAssistant) -> None:
    """Turn automatic checkpoints back on after Home Assistant's backup."""
    await _async_each_store(hass, _resume_checkpoints)


# -- service actions -----------------------------------------------------------------------


async def _create(call: ServiceCall) -> ServiceResponse:
    entry = services.get_loaded_entry(call.hass, call.data[services.ATTR_CONFIG_ENTRY])
    try:
        info = await async_create_backup(call.hass, entry)
    # sqlite3.Error: VACUUM INTO failed (a full disk); RuntimeError: the
    # entry's store closed meanwhile.
    except (OSError, BackupError, sqlite3.Error, RuntimeError) as err:
        raise _failed(err) from err
    return {"backup": info.to_json()}


def _failed(err: Exception) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="backup_failed",
        translation_placeholders={"error": str(err) or type(err).__name__},
    )


async def _list(call: ServiceCall) -> ServiceResponse:
    backups = await call.hass.async_add_executor_job(lib.list_backups, backup_folder(call.hass))
    wanted = call.data.get(services.ATTR_CONFIG_ENTRY)
    return {
        "folder": str(backup_folder(call.hass)),
        "backups": [
            info.to_json()
            for info in backups
            if wanted is None or info.extra.get("entry_id") == wanted
        ],
    }


async def _delete(call: ServiceCall) -> None:
    name = call.data["name"]
    try:
        await call.hass.async_add_executor_job(lib.delete_backup, backup_folder(call.hass), name)
    except BackupError as err:
        raise services.reason_error(err, "backup", name=name) from err


async def _restore(call: ServiceCall) -> ServiceResponse:
    entry_id = call.data[services.ATTR_CONFIG_ENTRY]
    entry = call.hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id},
        )
    info = await async_restore(call.hass, entry, call.data["name"])
    return {"restored": info.to_json()}


@callback
def async_setup_backup_services(hass: HomeAssistant) -> None:
    """Register the backup service actions."""
    for name, handler, schema, response in (
        (SERVICE_BACKUP_CREATE, _create, CREATE_SCHEMA, SupportsResponse.OPTIONAL),
        (SERVICE_BACKUP_LIST, _list, LIST_SCHEMA, SupportsResponse.ONLY),
        (SERVICE_BACKUP_DELETE, _delete, DELETE_SCHEMA, SupportsResponse.NONE),
        (SERVICE_BACKUP_RESTORE, _restore, RESTORE_SCHEMA, SupportsResponse.OPTIONAL),
    ):
        if name in ADMIN_SERVICES:
            # Deleting backups and replacing an entry's history: admins only.
            async_register_admin_service(
                hass, DOMAIN, name, handler, schema=schema, supports_response=response
            )
        else:
            hass.services.async_register(
                DOMAIN, name, handler, schema=schema, supports_response=response
            )
