"""The modem coordinator: one poll at a time, backoff on failure, analysis and events.

The coordinator owns the schedule and what must survive from one poll to the
next (error baseline, last error spike, event-detector state, boot time); the
library's ``analyze`` and ``detect`` stay pure functions of what it hands them.
Every successful poll goes into the entry's history store as well.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DRIVER_HINTS,
    CONF_HEALTH_HYSTERESIS,
    DEMO_MODEM,
    DOMAIN,
    LOGGER,
    MIN_MANUAL_POLL_GAP,
    POLL_TIMEOUT,
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
from .docsis.storage import HistoryStore
from .history import HistoryWorker

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


type DocsightConfigEntry = ConfigEntry[DocsightRuntimeData]


class ModemCoordinator(DataUpdateCoordinator[ModemData]):
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
        url = self.config_entry.data.get(CONF_URL)
        if url:
            info["configuration_url"] = url
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

    def _record_failure(self, now: datetime, err: BaseException) -> None:
        penalty = self.backoff.record_failure(now)
        self.last_error = str(err) or type(err).__name__
        self.update_interval = self.poll_interval + timedelta(seconds=penalty)
        LOGGER.debug(
            "%s: failure %d (%s), next poll in %s",
            self.name,
            self.backoff.failures,
            self.last_error,
            self.update_interval,
        )

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
                "url": self.config_entry.data.get(CONF_URL) or self.modem_type.name,
            },
        )

    def _record_success(self, now: datetime) -> None:
        if self.backoff.failures:
            ir.async_delete_issue(self.hass, DOMAIN, self._lockout_issue_id)
        self.backoff.record_success()
        self.last_success = now
        self.last_error = None
        self.update_interval = self.poll_interval

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
