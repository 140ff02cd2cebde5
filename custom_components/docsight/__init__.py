"""DOCSight for Home Assistant: watch a cable (DOCSIS) line and keep the evidence."""

from __future__ import annotations

import asyncio
from datetime import datetime

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_STOP,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .backups import async_setup_scheduled_backups
from .const import (
    CONF_DRIVER_HINTS,
    CONF_MODEM_TYPE,
    CONF_RETENTION_DAYS,
    DEFAULT_RETENTION_DAYS,
    DEMO_MODEM,
    DOMAIN,
    PRUNE_INTERVAL,
)
from .coordinator import (
    BqmCoordinator,
    DocsightConfigEntry,
    DocsightRuntimeData,
    ModemCoordinator,
    create_source_coordinators,
)
from .docsis.drivers import MODEM_TYPES, DriverConfig
from .docsis.storage import StoreError
from .history import (
    HISTORY_FILE,
    HistoryWorker,
    async_prune,
    async_start_history,
    history_dir,
    remove_history,
)
from .services import async_setup_services

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the service actions once, whatever entries exist."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DocsightConfigEntry) -> bool:
    """Open the history, connect to the modem, poll it once, and set up the platforms."""
    # Imported here, not at the top: it pulls in zeroconf and costs the
    # library's command line (which imports this package) well over a second.
    from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: PLC0415

    modem_type = MODEM_TYPES[entry.data[CONF_MODEM_TYPE]]
    is_demo = modem_type.key == DEMO_MODEM
    retention_days = int(entry.options.get(CONF_RETENTION_DAYS, DEFAULT_RETENTION_DAYS))

    # Registered first, so it is also the last thing a failed setup undoes;
    # and closing waits for every write queued before it.
    worker = HistoryWorker(hass, history_dir(hass, entry.entry_id) / HISTORY_FILE)
    entry.async_on_unload(worker.async_close)
    try:
        await worker.async_open()
    except (StoreError, OSError) as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="history_unavailable",
            translation_placeholders={"path": str(worker.path), "error": str(err)},
        ) from err

    async def _async_close_on_stop(_event: Event) -> None:
        # Home Assistant does not unload entries when it stops: close the
        # store (checkpointing its journal) and stop the thread all the same.
        await worker.async_close()

    # Not async_listen_once: removing a once-listener after it fired logs an error.
    entry.async_on_unload(hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, _async_close_on_stop))

    driver = modem_type.factory(
        DriverConfig(
            url=entry.data.get(CONF_URL),
            username=entry.data.get(CONF_USERNAME),
            password=entry.data.get(CONF_PASSWORD),
            session=async_get_clientsession(hass),
            time_zone=dt_util.get_default_time_zone(),
            hints=entry.data.get(CONF_DRIVER_HINTS, {}),
        )
    )
    coordinator = ModemCoordinator(hass, entry, driver, modem_type, worker)
    entry.async_on_unload(driver.async_close)
    # Before anything else is queued on the store's thread (demo seeding can
    # hold it for a while), so that this never waits behind it.
    await coordinator.async_restore_state()

    # Housekeeping (and, for a fresh demo, months of seeded history) in the
    # background: the entities are live while it runs.  Started before the
    # first poll so that its work is queued on the store's thread first.
    platforms_ready = asyncio.Event()
    entry.async_create_background_task(
        hass,
        async_start_history(
            hass,
            worker,
            is_demo=is_demo,
            retention_days=retention_days,
            device_key=coordinator.device_key,
            platforms_ready=platforms_ready,
        ),
        name=f"{DOMAIN} history start-up {entry.title}",
    )
    if modem_type.has_docsis:
        await coordinator.async_config_entry_first_refresh()
    # Each external source (a config subentry) polls on its own; none of them
    # can keep the modem from loading, so their first reads run afterwards.
    sources = create_source_coordinators(hass, entry, worker, coordinator.device_key)
    entry.runtime_data = DocsightRuntimeData(
        modem=coordinator, modem_type=modem_type, history=worker, sources=sources
    )
    async_setup_scheduled_backups(hass, entry)
    _remove_other_devices(hass, entry, coordinator.device_key)
    await hass.config_entries.async_forward_entry_setups(entry, _platforms(entry))
    platforms_ready.set()
    for source in sources.values():
        # A coordinator schedules its next poll only while something listens;
        # the watched BNetzA folder has no entities, so keep one listener for all.
        entry.async_on_unload(source.async_add_listener(_keep_polling))
        entry.async_create_background_task(
            hass, source.async_refresh(), name=f"{DOMAIN} first read {source.name}"
        )
    _reload_on_subentry_change(hass, entry)

    @callback
    def _prune_daily(_now: datetime) -> None:
        entry.async_create_background_task(
            hass, async_prune(worker, retention_days), name=f"{DOMAIN} prune {entry.title}"
        )

    entry.async_on_unload(async_track_time_interval(hass, _prune_daily, PRUNE_INTERVAL))
    return True


@callback
def _keep_polling() -> None:
    """Listen to a source's updates without doing anything (see async_setup_entry)."""


def _remove_other_devices(hass: HomeAssistant, entry: DocsightConfigEntry, device_key: str) -> None:
    """Drop devices the entry no longer has: the demo modem after a switch to a real one.

    Each source subentry has a device of its own (identified by the subentry
    id), which stays while the subentry does.
    """
    registry = dr.async_get(hass)
    keep = {(DOMAIN, device_key), *((DOMAIN, subentry_id) for subentry_id in entry.subentries)}
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not keep & device.identifiers:
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: DocsightConfigEntry) -> bool:
    """Unload the platforms; the unload callbacks close the driver and the history."""
    return await hass.config_entries.async_unload_platforms(entry, _platforms(entry))


def _platforms(entry: DocsightConfigEntry) -> list[Platform]:
    """Return the platforms of a set-up entry: the image platform only with a BQM source.

    Decided from the sources set up (not the subentries now), so that an
    unload after a subentry was added unloads exactly what was loaded.
    """
    sources = entry.runtime_data.sources.values()
    if any(isinstance(source, BqmCoordinator) for source in sources):
        return [*PLATFORMS, Platform.IMAGE]
    return PLATFORMS


def _subentry_config(entry: ConfigEntry) -> dict[str, tuple[str, dict[str, object]]]:
    return {
        subentry_id: (subentry.subentry_type, dict(subentry.data))
        for subentry_id, subentry in entry.subentries.items()
    }


@callback
def _reload_on_subentry_change(hass: HomeAssistant, entry: DocsightConfigEntry) -> None:
    """Reload the entry when a source is added, changed or removed.

    Not an update listener: those cannot coexist with the options flow's
    automatic reload, and options changes need no second reload.
    """
    loaded = _subentry_config(entry)

    @callback
    def _changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        if (
            changed.entry_id == entry.entry_id
            and change is ConfigEntryChange.UPDATED
            and changed.state is ConfigEntryState.LOADED
            and _subentry_config(changed) != loaded
        ):
            hass.config_entries.async_schedule_reload(entry.entry_id)

    entry.async_on_unload(async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _changed))


async def async_remove_entry(hass: HomeAssistant, entry: DocsightConfigEntry) -> None:
    """Delete the entry's history folder with the entry."""
    await hass.async_add_executor_job(remove_history, history_dir(hass, entry.entry_id))
