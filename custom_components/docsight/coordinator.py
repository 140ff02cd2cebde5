"""The modem coordinator: one poll at a time, backoff on failure, analysis and events.

The coordinator owns the schedule and what must survive from one poll to the
next (error baseline, last error spike, event-detector state, boot time); the
library's ``analyze`` and ``detect`` stay pure functions of what it hands them.
Every successful poll goes into the entry's history store as well.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
import hashlib
from pathlib import Path
import sqlite3
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.const import CONF_API_TOKEN, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    BQM_COLLECT_AFTER,
    BQM_EARLIEST,
    BQM_RETRY_INTERVAL,
    BQM_SPREAD_MINUTES,
    CONF_BASE_URL,
    CONF_DRIVER_HINTS,
    CONF_HEALTH_HYSTERESIS,
    CONF_SHARE_ID,
    DEMO_MODEM,
    DOMAIN,
    LOGGER,
    MIN_MANUAL_POLL_GAP,
    POLL_TIMEOUT,
    SOURCE_TIMEOUT,
    SPEEDTEST_INTERVAL,
    SUBENTRY_BQM,
    SUBENTRY_SPEEDTEST,
)
from .docsis.analyzer import Analysis, ErrorBaseline, analyze
from .docsis.backoff import Backoff, stable_boot_time
from .docsis.drivers import (
    ModemAuthError,
    ModemDriver,
    ModemError,
    ModemLockedError,
    ModemParseError,
    ModemType,
    UnsupportedModemError,
)
from .docsis.drivers.generic import MODEL as GENERIC_MODEL
from .docsis.events import DetectorRules, DetectorState, Event, EventType, detect
from .docsis.serialize import error_baseline_from_json, error_baseline_to_json, iso_z, parse_time
from .docsis.sources import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceNotFoundError,
    SourceRateLimitedError,
    bnetz,
    bqm,
    speedtest,
)
from .docsis.storage import HistoryStore, SnapshotSummary, StoreError
from .history import HistoryWorker

if TYPE_CHECKING:
    from .backups import BackupScheduler

# Where the error-counter baseline is kept in the history store.
ERROR_STATE_KEY = "error_counters"


@dataclass(frozen=True, slots=True)
class ModemData:
    """What one successful poll gives the entities."""

    analysis: Analysis
    events: tuple[Event, ...]
    poll_count: int
    boot_time: datetime | None


@dataclass(kw_only=True, slots=True)
class DocsightRuntimeData:
    """Everything a loaded entry holds; later sources add their coordinators here."""

    modem: ModemCoordinator
    modem_type: ModemType
    history: HistoryWorker
    # One coordinator per external source (config subentry id -> coordinator).
    sources: dict[str, SourceCoordinator[Any]] = field(default_factory=dict)
    # Scheduled backups, when the options enable them (backups.py).
    backups: BackupScheduler | None = None


type DocsightConfigEntry = ConfigEntry[DocsightRuntimeData]


class BackoffCoordinator[DataT](DataUpdateCoordinator[DataT]):
    """A poller with the reference's backoff, shared by the modem and every source.

    After the n-th failure in a row the next poll waits the interval plus
    30 s x 2^(n-1), at most an hour more (:class:`.docsis.backoff.Backoff`);
    a success restores the interval.  Subclasses set ``poll_interval``,
    ``backoff`` and the ``last_*`` fields in their ``__init__``.
    """

    config_entry: DocsightConfigEntry
    poll_interval: timedelta
    backoff: Backoff
    last_poll: datetime | None
    last_success: datetime | None
    last_error: str | None

    def _interval_after_failure(self, err: BaseException, penalty: float) -> timedelta:
        """Return how long to wait after a failure (a daily source may wait for its hour)."""
        return self.poll_interval + timedelta(seconds=penalty)

    def _interval_after_success(self) -> timedelta:
        """Return how long to wait after a success."""
        return self.poll_interval

    def _record_failure(self, now: datetime, err: BaseException) -> None:
        penalty = self.backoff.record_failure(now)
        self.last_error = str(err) or type(err).__name__
        self.update_interval = self._interval_after_failure(err, penalty)
        LOGGER.debug(
            "%s: failure %d (%s), next poll in %s",
            self.name,
            self.backoff.failures,
            self.last_error,
            self.update_interval,
        )

    def _record_success(self, now: datetime) -> None:
        self.backoff.record_success()
        self.last_success = now
        self.last_error = None
        self.update_interval = self._interval_after_success()


class ModemCoordinator(BackoffCoordinator[ModemData]):
    """Polls one modem at a fixed interval, with exponential backoff on failure."""

    config_entry: DocsightConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DocsightConfigEntry,
        driver: ModemDriver,
        modem_type: ModemType,
        history: HistoryWorker,
    ) -> None:
        """Set up the schedule; nothing is fetched until the first refresh."""
        self.poll_interval = timedelta(seconds=modem_type.poll_interval)
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            # A router without DOCSIS data has nothing to poll.
            update_interval=self.poll_interval if modem_type.has_docsis else None,
            always_update=False,
        )
        self.driver = driver
        self.modem_type = modem_type
        self.history = history
        self.is_demo = modem_type.key == DEMO_MODEM
        self.rules = DetectorRules(
            health_hysteresis=int(entry.options.get(CONF_HEALTH_HYSTERESIS, 0))
        )
        self.backoff = Backoff()
        self.last_poll: datetime | None = None
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self._lock = asyncio.Lock()
        self._detector: DetectorState | None = None
        self._baseline: ErrorBaseline | None = None
        self._last_spike_at: datetime | None = None
        self._boot_time: datetime | None = None
        self._poll_count = 0
        self._history_failing = False

    @property
    def device_key(self) -> str:
        """Return the stable id that unique ids and the device identifier hang off."""
        return self.config_entry.unique_id or self.config_entry.entry_id

    @property
    def device_info(self) -> DeviceInfo:
        """Return the device every entity of this modem belongs to."""
        info = DeviceInfo(identifiers={(DOMAIN, self.device_key)}, name=self.config_entry.title)
        if not self.modem_type.has_docsis:
            info["manufacturer"] = self.modem_type.manufacturer
            info["model"] = GENERIC_MODEL
        elif self.data is not None:
            device = self.data.analysis.reading.device
            info["manufacturer"] = device.manufacturer or self.modem_type.manufacturer
            info["model"] = device.model or self.modem_type.name
            info["sw_version"] = device.firmware
            if device.serial:
                info["serial_number"] = device.serial
            if device.mac:
                info["connections"] = {(dr.CONNECTION_NETWORK_MAC, dr.format_mac(device.mac))}
        link = web_link(self.config_entry.data.get(CONF_URL))
        if link:
            info["configuration_url"] = link
        return info

    async def _async_update_data(self) -> ModemData:
        async with self._lock:
            now = dt_util.utcnow()
            self.last_poll = now
            try:
                async with asyncio.timeout(POLL_TIMEOUT):
                    reading = await self.driver.async_fetch()
            except ModemAuthError as err:
                self._record_failure(now, err)
                raise ConfigEntryAuthFailed(
                    translation_domain=DOMAIN, translation_key="invalid_auth"
                ) from err
            except (ModemError, TimeoutError) as err:
                self._record_failure(now, err)
                if isinstance(err, ModemLockedError):
                    self._raise_lockout_issue()
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key=_failure_key(err),
                    translation_placeholders={"error": str(err) or type(err).__name__},
                ) from err

            analysis = analyze(reading, baseline=self._baseline, last_spike_at=self._last_spike_at)
            events, self._detector = detect(self._detector, analysis, self.rules)
            self._baseline = analysis.baseline
            if any(event.event_type is EventType.ERROR_SPIKE for event in events):
                self._last_spike_at = analysis.read_at
            self._boot_time = stable_boot_time(
                reading.read_at, reading.device.uptime_seconds, self._boot_time
            )
            self._poll_count += 1
            self._record_success(now)
            self._remember_driver_hints()
            if any(event.event_type is EventType.DEVICE_SW_UPDATE for event in events):
                self._update_device_firmware(reading.device.firmware)
            self._save_poll(analysis, tuple(events))
            return ModemData(
                analysis=analysis,
                events=tuple(events),
                poll_count=self._poll_count,
                boot_time=self._boot_time,
            )

    async def async_restore_state(self) -> None:
        """Pick up the error-counter baseline where the last run left it.

        Without it, every Home Assistant restart would start the uncorrectable
        rate from zero; a baseline that no longer fits (other channels, counters
        reset) is replaced by the analyzer on the first poll anyway.
        """
        try:
            saved = await self.history.run(HistoryStore.load_state, ERROR_STATE_KEY)
        except Exception as err:  # noqa: BLE001 - a missing state must not stop the modem
            LOGGER.warning("%s: cannot read the saved error baseline (%s)", self.name, err)
            return
        if not saved:
            return
        try:
            self._baseline = error_baseline_from_json(saved["baseline"])
            spike = saved.get("last_spike_at")
            self._last_spike_at = parse_time(spike) if spike else None
        except (KeyError, TypeError, ValueError) as err:
            LOGGER.warning(
                "%s: ignoring a saved error baseline that cannot be read (%s)", self.name, err
            )
            self._baseline = self._last_spike_at = None

    def _error_state(self) -> dict[str, Any] | None:
        if self._baseline is None:
            return None
        return {
            ERROR_STATE_KEY: {
                "baseline": error_baseline_to_json(self._baseline),
                "last_spike_at": iso_z(self._last_spike_at) if self._last_spike_at else None,
            }
        }

    def _save_poll(self, analysis: Analysis, events: tuple[Event, ...]) -> None:
        """Queue the poll for the history store without making the poll wait for it.

        The write is queued on the store's thread at once, so writes keep the
        order of the polls and anything read later (a service, diagnostics)
        sees them; but the poll does not wait for the write, which may sit
        behind minutes of demo seeding on a small machine.  The entry tracks
        the task, so unloading waits for it before the store is closed.
        """
        if not self.history.is_open:
            return  # the entry is unloading: the store is closed or closing
        self.config_entry.async_create_task(
            self.hass,
            self._async_write_poll(analysis, events, self._error_state()),
            name=f"{DOMAIN} store poll {self.config_entry.title}",
            eager_start=True,
        )

    async def _async_write_poll(
        self,
        analysis: Analysis,
        events: tuple[Event, ...],
        state: dict[str, Any] | None,
    ) -> None:
        """Write one poll; a failing store is logged once per streak and never fails the poll."""
        try:
            await self.history.run(
                HistoryStore.save_poll,
                analysis,
                events,
                is_demo=self.is_demo,
                state=state,
            )
        except Exception as err:  # noqa: BLE001 - the poll stands whatever the store does
            if not self._history_failing:
                self._history_failing = True
                LOGGER.warning(
                    "%s: cannot store polls in the history (%s); polling goes on, "
                    "and this is logged again only after a write has succeeded",
                    self.name,
                    err,
                )
            return
        if self._history_failing:
            self._history_failing = False
            LOGGER.info("%s: polls are stored in the history again", self.name)

    def _remember_driver_hints(self) -> None:
        """Store what the driver learned (a firmware variant) once it changes."""
        hints = self.driver.remember()
        entry = self.config_entry
        if hints and entry.data.get(CONF_DRIVER_HINTS) != hints:
            self.hass.config_entries.async_update_entry(
                entry, data={**entry.data, CONF_DRIVER_HINTS: hints}
            )

    @property
    def _lockout_issue_id(self) -> str:
        return f"locked_out_{self.config_entry.entry_id}"

    def _raise_lockout_issue(self) -> None:
        """Tell the user once: the modem locked logins, and we wait instead of retrying.

        Something the user may have to act on (a changed password), so a
        repair issue rather than a log line; it goes away by itself on the
        next successful poll.
        """
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._lockout_issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="locked_out",
            translation_placeholders={
                "title": self.config_entry.title,
                "url": web_link(self.config_entry.data.get(CONF_URL)) or self.modem_type.name,
            },
        )

    def _record_success(self, now: datetime) -> None:
        if self.backoff.failures:
            ir.async_delete_issue(self.hass, DOMAIN, self._lockout_issue_id)
        super()._record_success(now)

    def _update_device_firmware(self, firmware: str | None) -> None:
        registry = dr.async_get(self.hass)
        device = registry.async_get_device(identifiers={(DOMAIN, self.device_key)})
        if device is not None:
            registry.async_update_device(device.id, sw_version=firmware)

    async def async_poll_now(self) -> None:
        """Poll at once for a button or service call, refusing to hammer the modem."""
        if not self.modem_type.has_docsis:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="no_docsis",
                translation_placeholders={"title": self.config_entry.title},
            )
        if self._lock.locked():
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="poll_in_progress"
            )
        if self.last_poll is not None:
            wait = MIN_MANUAL_POLL_GAP - (dt_util.utcnow() - self.last_poll)
            if wait > timedelta(0):
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="poll_too_soon",
                    translation_placeholders={"seconds": str(max(1, round(wait.total_seconds())))},
                )
        await self.async_refresh()
        if not self.last_update_success:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="poll_failed",
                translation_placeholders={"error": self.last_error or "unknown"},
            )

    def status(self) -> dict[str, Any]:
        """Return the collector state the reference serves at /api/collectors/status."""
        now = dt_util.utcnow()
        penalty = self.backoff.penalty_seconds(now)
        effective = self.poll_interval.total_seconds() + penalty
        next_poll = self.last_poll + timedelta(seconds=effective) if self.last_poll else None
        return {
            "name": "modem",
            "modem_type": self.modem_type.key,
            "enabled": self.modem_type.has_docsis,
            "polling": self._lock.locked(),
            "consecutive_failures": self.backoff.failures,
            "penalty_seconds": penalty,
            "poll_interval": self.poll_interval.total_seconds(),
            "effective_interval": effective,
            "last_poll": _iso(self.last_poll),
            "last_success": _iso(self.last_success),
            "next_poll": _iso(next_poll),
            "next_poll_in": max(0, round((next_poll - now).total_seconds())) if next_poll else None,
            "polls": self._poll_count,
            "last_error": self.last_error,
        }


def web_link(url: str | None) -> str | None:
    """Return a link to the device's web interface for an entry's address.

    Never with credentials (a URL may carry them, an SNMP address its
    community), and always http(s): the device registry accepts no other
    scheme, and for an ``snmp://`` address the web interface is on the host.
    """
    if not url:
        return None
    parts = urlsplit(url.strip() if "://" in url else f"http://{url.strip()}")
    host = parts.netloc.rpartition("@")[2]
    if not host:
        return None
    if parts.scheme.lower() in ("http", "https"):
        return urlunsplit((parts.scheme.lower(), host, parts.path, parts.query, ""))
    hostname = parts.hostname or ""
    return f"http://[{hostname}]" if ":" in hostname else f"http://{hostname}"


def _failure_key(err: BaseException) -> str:
    if isinstance(err, ModemLockedError):
        return "locked_out"
    if isinstance(err, (ModemParseError, UnsupportedModemError)):
        return "parse_error"
    if isinstance(err, TimeoutError):
        return "timeout"
    return "cannot_connect"


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


# -- external sources ----------------------------------------------------------


def _client_session(hass: HomeAssistant, verify_ssl: bool = True) -> Any:
    """Return Home Assistant's shared aiohttp session.

    Imported here, not at the top: aiohttp_client pulls in zeroconf and costs
    the library's command line (which imports this package) over a second.
    """
    from homeassistant.helpers.aiohttp_client import async_get_clientsession  # noqa: PLC0415

    return async_get_clientsession(hass, verify_ssl=verify_ssl)


def source_failure_key(err: BaseException) -> str:
    """Return the translation key of why a source could not be read."""
    if isinstance(err, SourceAuthError):
        return "source_invalid_auth"
    if isinstance(err, SourceRateLimitedError):
        return "source_rate_limited"
    if isinstance(err, SourceNotFoundError):
        return "source_not_found"
    if isinstance(err, TimeoutError):
        return "source_timeout"
    if isinstance(err, (StoreError, sqlite3.Error, RuntimeError)):
        return "source_store_failed"
    if isinstance(err, SourceDataError):
        return "source_bad_data"
    return "source_cannot_connect"


class SourceCoordinator[DataT](BackoffCoordinator[DataT]):
    """One external source of an entry (a config subentry): own schedule, the modem's backoff.

    Each source is a device of its own, linked to the modem's, so that its
    entities can be added and removed with the subentry.  Subclasses set the
    class attributes and implement :meth:`_async_fetch`; a library
    ``SourceError`` (or a timeout, or a failing history write) is a failed
    poll: backoff, entities unavailable, and nothing stored.
    """

    source_type: ClassVar[str]
    interval: ClassVar[timedelta]
    model: ClassVar[str]
    manufacturer: ClassVar[str | None] = None

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DocsightConfigEntry,
        subentry: ConfigSubentry,
        history: HistoryWorker,
        *,
        modem_device_key: str,
    ) -> None:
        """Set up the schedule; nothing is fetched until the first refresh."""
        self.poll_interval = self.interval
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} {subentry.title}",
            update_interval=self.poll_interval,
            always_update=False,
        )
        self.subentry = subentry
        self.history = history
        self.modem_device_key = modem_device_key
        self.backoff = Backoff()
        self.last_poll = None
        self.last_success = None
        self.last_error = None
        self._lock = asyncio.Lock()
        self._polls = 0

    @property
    def source_key(self) -> str:
        """Return what this source's rows are stored under.

        The subentry's unique id (the tracker's address, the share id), so a
        source removed and added again finds its rows and stores none twice.
        """
        return self.subentry.unique_id or self.subentry.subentry_id

    @property
    def device_info(self) -> DeviceInfo:
        """Return the source's own device, linked to the modem's."""
        return DeviceInfo(
            identifiers={(DOMAIN, self.subentry.subentry_id)},
            name=self.subentry.title,
            manufacturer=self.manufacturer,
            model=self.model,
            entry_type=DeviceEntryType.SERVICE,
            via_device=(DOMAIN, self.modem_device_key),
        )

    async def _async_fetch(self) -> DataT:
        """Read the source, store what is new, return what the entities show."""
        raise NotImplementedError

    async def _async_update_data(self) -> DataT:
        async with self._lock:
            now = dt_util.utcnow()
            self.last_poll = now
            try:
                async with asyncio.timeout(SOURCE_TIMEOUT):
                    data = await self._async_fetch()
            # RuntimeError: the history store closed under a read (Home
            # Assistant stopping, the entry unloading) - a failed poll, no traceback.
            except (SourceError, TimeoutError, StoreError, sqlite3.Error, RuntimeError) as err:
                self._record_failure(now, err)
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key=source_failure_key(err),
                    translation_placeholders={
                        "source": self.subentry.title,
                        "error": str(err) or type(err).__name__,
                    },
                ) from err
            self._polls += 1
            self._record_success(now)
            return data

    def status(self) -> dict[str, Any]:
        """Return the poller state, in the form the modem's status has."""
        now = dt_util.utcnow()
        penalty = self.backoff.penalty_seconds(now)
        interval = self.update_interval or self.poll_interval
        next_poll = self.last_poll + interval if self.last_poll else None
        return {
            "name": self.source_type,
            "title": self.subentry.title,
            "enabled": True,
            "polling": self._lock.locked(),
            "consecutive_failures": self.backoff.failures,
            "penalty_seconds": penalty,
            "poll_interval": self.poll_interval.total_seconds(),
            "effective_interval": interval.total_seconds(),
            "last_poll": _iso(self.last_poll),
            "last_success": _iso(self.last_success),
            "next_poll": _iso(next_poll),
            "polls": self._polls,
            "last_error": self.last_error,
        }


@dataclass(frozen=True, slots=True)
class SpeedtestData:
    """The newest stored speed test of a source and the line's state when it ran."""

    latest: speedtest.SpeedtestResult | None
    snapshot: SnapshotSummary | None
    stored: int
    imported: int
    reset: speedtest.ResetKind | None


def _speedtest_view(
    store: HistoryStore, source: str
) -> tuple[speedtest.StoredSpeedtest | None, SnapshotSummary | None, int]:
    """Read what the entities show (on the store's thread)."""
    latest = speedtest.latest_result(store, source)
    snapshot = speedtest.closest_snapshot(store, latest.result.timestamp) if latest else None
    return latest, snapshot, speedtest.result_count(store, source)


class SpeedtestCoordinator(SourceCoordinator[SpeedtestData]):
    """Speedtest Tracker: backfill once, then only new results, every five minutes."""

    source_type = SUBENTRY_SPEEDTEST
    interval = SPEEDTEST_INTERVAL
    model = "Speedtest Tracker"

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DocsightConfigEntry,
        subentry: ConfigSubentry,
        history: HistoryWorker,
        *,
        modem_device_key: str,
    ) -> None:
        """Build the client on Home Assistant's shared session."""
        super().__init__(hass, entry, subentry, history, modem_device_key=modem_device_key)
        self.client = speedtest.SpeedtestTrackerClient(
            _client_session(hass, subentry.data.get(CONF_VERIFY_SSL, True)),
            subentry.data[CONF_URL],
            subentry.data[CONF_API_TOKEN],
        )
        self._reset_seen: speedtest.ResetKind | None = None

    async def _async_fetch(self) -> SpeedtestData:
        newest = await self.history.run(speedtest.newest_ref, self.source_key)
        outcome = await self.client.async_fetch_new(newest)
        if outcome.reset is not None and outcome.reset is not self._reset_seen:
            LOGGER.warning(
                "%s: %s; the stored results are kept%s",
                self.subentry.title,
                "the tracker has no results any more (wiped)"
                if outcome.reset is speedtest.ResetKind.WIPED
                else "the tracker's result ids started again (its database was reset)",
                "" if outcome.reset is speedtest.ResetKind.WIPED else ", its new ones are added",
            )
        self._reset_seen = outcome.reset
        imported = 0
        if outcome.results:
            imported = await self.history.run(
                speedtest.insert_results, self.source_key, outcome.results
            )
            LOGGER.debug("%s: stored %d new speed tests", self.subentry.title, imported)
        latest, snapshot, stored = await self.history.run(_speedtest_view, self.source_key)
        return SpeedtestData(
            latest=latest.result if latest else None,
            snapshot=snapshot,
            stored=stored,
            imported=imported,
            reset=outcome.reset,
        )

    async def async_run_test(self) -> None:
        """Ask the tracker to run a test now (a button); its result comes with a later poll."""
        try:
            async with asyncio.timeout(SOURCE_TIMEOUT):
                await self.client.async_run_test()
        except SourceRateLimitedError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="speedtest_run_too_soon"
            ) from err
        except SourceAuthError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="speedtest_run_forbidden"
            ) from err
        except (SourceError, TimeoutError) as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="speedtest_run_failed",
                translation_placeholders={"error": str(err) or type(err).__name__},
            ) from err


@dataclass(frozen=True, slots=True)
class BqmData:
    """The newest stored BQM day of a share, with its graph."""

    latest: bqm.StoredBqmDay | None
    stored: int


class BqmCoordinator(SourceCoordinator[BqmData]):
    """ThinkBroadband BQM: yesterday's CSV and graph, once a day after midnight.

    Polite by design: one read a day at this share's own time (02:00 plus a
    spread derived from the share id), a day already stored is never fetched
    again, and a 403 or 429 stops everything until the next day's time.
    """

    source_type = SUBENTRY_BQM
    interval = BQM_RETRY_INTERVAL
    model = "Broadband Quality Monitor"
    manufacturer = "ThinkBroadband"

    def __init__(
        self,
        hass: HomeAssistant,
        entry: DocsightConfigEntry,
        subentry: ConfigSubentry,
        history: HistoryWorker,
        *,
        modem_device_key: str,
    ) -> None:
        """Build the client on Home Assistant's shared session."""
        super().__init__(hass, entry, subentry, history, modem_device_key=modem_device_key)
        share_id: str = subentry.data[CONF_SHARE_ID]
        self.client = bqm.BqmClient(
            _client_session(hass),
            share_id,
            subentry.data.get(CONF_BASE_URL) or bqm.DEFAULT_BASE_URL,
        )
        spread = int(hashlib.sha256(share_id.encode()).hexdigest(), 16) % BQM_SPREAD_MINUTES
        self.collect_after = BQM_COLLECT_AFTER + timedelta(minutes=spread)

    def next_collect(self, now: datetime) -> datetime:
        """Return this share's next daily collection time after ``now`` (local clock)."""
        local = dt_util.as_local(now)
        for day in (local.date(), local.date() + timedelta(days=1)):
            when = dt_util.start_of_local_day(day) + self.collect_after
            if when > local:
                return when
        raise AssertionError("unreachable")  # pragma: no cover

    def _until_next_collect(self) -> timedelta:
        now = dt_util.utcnow()
        return self.next_collect(now) - now

    def _interval_after_success(self) -> timedelta:
        return self._until_next_collect()

    def _interval_after_failure(self, err: BaseException, penalty: float) -> timedelta:
        if isinstance(err, SourceRateLimitedError):
            return self._until_next_collect()
        return super()._interval_after_failure(err, penalty)

    async def _async_fetch(self) -> BqmData:
        local = dt_util.now()
        yesterday: date = local.date() - timedelta(days=1)
        midnight = dt_util.start_of_local_day(local.date())
        if local >= midnight + BQM_EARLIEST and not await self.history.run(
            bqm.has_day, self.source_key, yesterday
        ):
            day, image = await self.client.async_fetch_day(yesterday)
            await self.history.run(bqm.save_day, self.source_key, day, image)
            LOGGER.debug("%s: stored BQM day %s", self.subentry.title, yesterday)
        latest = await self.history.run(bqm.latest_day, self.source_key)
        stored = await self.history.run(bqm.day_count, self.source_key)
        return BqmData(latest=latest, stored=stored)


# Subentry type -> coordinator class.  A new source adds its class here.
# -- BNetzA watched folder ------------------------------------------------------

SUBENTRY_BNETZ_FOLDER = "bnetz_folder"
CONF_FOLDER = "folder"
BNETZ_SCAN_INTERVAL = timedelta(seconds=300)


def bnetz_signal(entry_id: str) -> str:
    """Return the dispatcher signal sent when an entry has stored a new BNetzA campaign."""
    return f"{DOMAIN}_bnetz_imported_{entry_id}"


@dataclass(frozen=True, slots=True)
class BnetzFolderData:
    """What the last scan of a watched folder did."""

    imported: tuple[str, ...]
    failed: tuple[str, ...]


class BnetzFolderCoordinator(SourceCoordinator[BnetzFolderData]):
    """A folder of BNetzA protocols: new files imported, then moved to processed/ or failed/."""

    source_type = SUBENTRY_BNETZ_FOLDER
    interval = BNETZ_SCAN_INTERVAL
    model = "BNetzA folder"

    async def _async_fetch(self) -> BnetzFolderData:
        folder = Path(self.subentry.data[CONF_FOLDER])
        try:
            report = await self.history.run(
                bnetz.scan_folder, folder, dt_util.get_default_time_zone()
            )
        except OSError as err:
            raise SourceNotFoundError(f"{folder}: {err.strerror or err}") from err
        for stored in report.imported:
            LOGGER.info(
                "%s: imported the campaign of %s (download %s, upload %s)",
                self.subentry.title,
                stored.campaign.date,
                stored.verdicts["download"].verdict.value,
                stored.verdicts["upload"].verdict.value,
            )
        for name, error in report.failed:
            LOGGER.warning(
                "%s: %s not imported, moved to %s/: %s",
                self.subentry.title,
                name,
                bnetz.FAILED_DIR,
                error,
            )
        for name, os_error in report.not_moved:
            LOGGER.warning("%s: cannot move %s: %s", self.subentry.title, name, os_error)
        if report.imported:
            async_dispatcher_send(self.hass, bnetz_signal(self.config_entry.entry_id))
        return BnetzFolderData(
            imported=tuple(stored.campaign.date.isoformat() for stored in report.imported),
            failed=tuple(name for name, _ in report.failed),
        )


SOURCE_COORDINATORS: dict[str, type[SourceCoordinator[Any]]] = {
    SUBENTRY_SPEEDTEST: SpeedtestCoordinator,
    SUBENTRY_BQM: BqmCoordinator,
    SUBENTRY_BNETZ_FOLDER: BnetzFolderCoordinator,
}


def create_source_coordinators(
    hass: HomeAssistant,
    entry: DocsightConfigEntry,
    history: HistoryWorker,
    modem_device_key: str,
) -> dict[str, SourceCoordinator[Any]]:
    """Return a coordinator for every source subentry of the entry."""
    return {
        subentry_id: SOURCE_COORDINATORS[subentry.subentry_type](
            hass, entry, subentry, history, modem_device_key=modem_device_key
        )
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type in SOURCE_COORDINATORS
    }
