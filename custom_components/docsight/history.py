"""The entry's history database, run on one thread of its own.

SQLite connections belong to the thread that opened them, and every store
call blocks; so each entry gets a single worker thread that opens the store,
runs every call in order, and is shut down (after closing the store) when the
entry unloads or Home Assistant stops.  Nothing of it outlives the entry.

Start-up housekeeping runs in the background, on that same thread: a former
demo entry (reconfigured to a real modem) loses its demo rows, measured data
older than the retention is pruned, and a fresh demo entry gets months of
seeded history, which is then copied into Home Assistant's long-term
statistics so that a statistics graph shows it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from pathlib import Path
import shutil
import threading
from typing import TYPE_CHECKING, Any, cast

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util

from .const import DEMO_HISTORY_DAYS, DEMO_HISTORY_SEED, DOMAIN, LOGGER
from .docsis.demo_history import SNAPSHOTS_PER_DAY, SeedReport, iter_seed_demo_history
from .docsis.storage import HistoryStore, TrendPoint

if TYPE_CHECKING:
    from homeassistant.components.recorder.models import StatisticData

HISTORY_FILE = "history.db"

# Summary sensors whose seeded history goes into the long-term statistics:
# sensor key -> (trend field, unit).  The store keeps one aggregate per hour
# and column (the mean of the averages, the lowest minimum, the highest
# maximum), so each hour's statistic is exact in the figure its sensor is
# about and takes the same value for the other two.
STATISTIC_SENSORS: dict[str, tuple[str, str]] = {
    "ds_power_avg": ("ds_power_avg", "dBmV"),
    "ds_power_min": ("ds_power_min", "dBmV"),
    "ds_power_max": ("ds_power_max", "dBmV"),
    "ds_snr_min": ("ds_snr_min", "dB"),
    "ds_snr_avg": ("ds_snr_avg", "dB"),
    "us_power_avg": ("us_power_avg", "dBmV"),
}

# Hours of statistics per recorder import job.
STATISTICS_SLICE = 31 * 24


def history_dir(hass: HomeAssistant, entry_id: str) -> Path:
    """Return the entry's data folder: under the config dir, never in custom_components.

    HACS replaces custom_components/docsight on every upgrade, so nothing the
    user would miss may live there.
    """
    return Path(hass.config.path(DOMAIN, entry_id))


class HistoryWorker:
    """Owns the store and the one thread it may be used from."""

    def __init__(self, hass: HomeAssistant, path: Path) -> None:
        """Prepare the thread; :meth:`async_open` opens the database on it."""
        self.hass = hass
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docsight_history")
        self._store: HistoryStore | None = None
        self._stopping = threading.Event()

    @property
    def is_open(self) -> bool:
        """Return whether the store is open and takes new work."""
        return self._store is not None

    def should_continue(self, _fraction_done: float = 0.0) -> bool:
        """Tell long work on the thread (demo seeding) whether to go on.

        Called from the worker thread: False once the entry unloads or Home
        Assistant stops, so that closing never waits for months of history.
        """
        return not self._stopping.is_set() and not self.hass.is_stopping

    async def async_open(self) -> None:
        """Open (and migrate) the database on the worker thread."""
        self._store = await self._submit(HistoryStore.open, self.path)

    async def run[T](self, function: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run ``function(store, *args, **kwargs)`` on the worker thread."""
        store = self._store
        if store is None:
            raise RuntimeError("history store is not open")
        return await self._submit(partial(function, store, *args, **kwargs))

    async def _submit[T](self, function: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(function, *args))

    async def async_close(self) -> None:
        """Close the store, then stop the thread (waiting for work already queued).

        Work queued before this call still runs (a poll being written); long
        work is told to stop first.  Calling it again does nothing harmful.
        """
        self._stopping.set()
        if self._store is not None:
            store, self._store = self._store, None
            await self._submit(store.close)
        await self.hass.async_add_executor_job(partial(self._executor.shutdown, wait=True))


def remove_history(path: Path) -> None:
    """Delete an entry's data folder (blocking; run it in an executor)."""
    shutil.rmtree(path, ignore_errors=True)


async def async_start_history(
    hass: HomeAssistant,
    worker: HistoryWorker,
    *,
    is_demo: bool,
    retention_days: int,
    device_key: str,
    platforms_ready: asyncio.Event,
) -> None:
    """Run the start-up housekeeping of an entry's history (a background task).

    Start it eagerly before the first poll: its work is then queued on the
    store's thread ahead of that poll's write, so seeding (which first clears
    the demo rows) never deletes a live poll.  Failures are logged, never
    raised: the entry works without its history.
    """
    try:
        end = dt_util.utcnow()
        # One job, queued before the first poll's write: housekeeping and the
        # seeder's first step (which clears the old demo rows) both run before
        # that write, so seeding never deletes a live poll.
        steps, report = await worker.run(
            _start_up,
            is_demo=is_demo,
            cutoff=end - timedelta(days=retention_days),
            seed_days=min(DEMO_HISTORY_DAYS, retention_days),
            end=end,
            time_zone=dt_util.get_default_time_zone(),
        )
        if steps is None:
            return
        report = report or await _async_seed(worker, steps)
        LOGGER.info(
            "Seeded the demo history in %s in %.1f s (%s): %s",
            worker.path,
            report.seconds,
            "complete" if report.completed else "stopped early",
            report.counts,
        )
        if report.completed:
            await platforms_ready.wait()  # the sensors' entity ids are registered
            await async_import_statistics(hass, worker, device_key)
    except Exception:  # noqa: BLE001 - logged; the entry works without its history
        if worker.is_open:  # else the entry is unloading, and that is why
            LOGGER.exception("History start-up failed for %s", worker.path)


async def _async_seed(
    worker: HistoryWorker, steps: Generator[float, bool | None, SeedReport]
) -> SeedReport:
    """Run the rest of the seeding one 10-day chunk per job on the store's thread.

    Between chunks the thread is free for whatever else is queued (a service
    call, diagnostics, a poll's write), so seeding never holds the history
    hostage for the seconds, or on a small machine the minute, it takes.
    """
    while True:
        report = await worker.run(_seed_step, steps, worker.should_continue())
        if report is not None:
            return report


def _seed_step(
    _store: HistoryStore,
    steps: Generator[float, bool | None, SeedReport],
    keep_going: bool | None,
) -> SeedReport | None:
    """Run one step of the seeder on the store's thread; the report once it is done."""
    try:
        steps.send(keep_going)
    except StopIteration as done:
        return cast("SeedReport", done.value)
    return None


def _housekeeping(store: HistoryStore, *, is_demo: bool, cutoff: datetime, seed_days: int) -> bool:
    """Purge, prune, and tell whether a demo still needs its history seeded."""
    if not is_demo:
        # An entry that was the demo before a reconfigure keeps the user's
        # journal and incidents, and loses everything the demo made up.
        deleted = store.purge_demo()
        if any(deleted.values()):
            LOGGER.info("Removed the demo history from %s: %s", store.path, deleted)
    LOGGER.debug("Pruned %s before %s: %s", store.path, cutoff, store.prune(cutoff))
    # Seed a fresh demo, and one whose seeding was stopped early (the entry
    # was reloaded meanwhile): a complete seeding leaves a snapshot every
    # 15 minutes, and the live polls come every five.
    return is_demo and store.snapshot_count(is_demo=True) < seed_days * SNAPSHOTS_PER_DAY * 9 // 10


def _start_up(
    store: HistoryStore,
    *,
    is_demo: bool,
    cutoff: datetime,
    seed_days: int,
    end: datetime,
    time_zone: tzinfo,
) -> tuple[Generator[float, bool | None, SeedReport] | None, SeedReport | None]:
    """Housekeeping, then the seeder's first step if a demo needs its history.

    Returns the seeder (None when nothing is to be seeded) and, if that
    first step already finished it, its report.
    """
    if not _housekeeping(store, is_demo=is_demo, cutoff=cutoff, seed_days=seed_days):
        return None, None
    steps = iter_seed_demo_history(
        store, days=seed_days, end=end, time_zone=time_zone, seed=DEMO_HISTORY_SEED
    )
    return steps, _seed_step(store, steps, None)


async def async_prune(worker: HistoryWorker, retention_days: int) -> None:
    """Delete measured data older than the retention; the journal and incidents stay."""
    if not worker.is_open:
        return
    cutoff = dt_util.utcnow() - timedelta(days=retention_days)
    try:
        deleted = await worker.run(HistoryStore.prune, cutoff)
    except Exception as err:  # noqa: BLE001 - housekeeping must not take the entry down
        LOGGER.warning("Cannot prune the history in %s: %s", worker.path, err)
        return
    LOGGER.debug("Pruned the history in %s before %s: %s", worker.path, cutoff, deleted)


async def async_import_statistics(
    hass: HomeAssistant, worker: HistoryWorker, device_key: str
) -> None:
    """Copy the stored history into the long-term statistics of the summary sensors.

    Hourly mean/min/max up to the start of the current hour, and for each
    sensor only before its first statistic already recorded: what the recorder
    compiled from real states is never overwritten.  Nothing happens without
    the recorder.
    """
    if "recorder" not in hass.config.components:
        return
    # Imported here: the recorder pulls in SQLAlchemy, which neither the
    # library's command line nor an installation without recorder needs.
    from homeassistant.components.recorder.models import (  # noqa: PLC0415
        StatisticMeanType,
        StatisticMetaData,
    )
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        async_import_statistics as recorder_import_statistics,
        statistics_during_period,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    registry = er.async_get(hass)
    entity_ids = {
        key: entity_id
        for key in STATISTIC_SENSORS
        if (
            entity_id := registry.async_get_entity_id(
                Platform.SENSOR, DOMAIN, f"{device_key}_{key}"
            )
        )
    }
    end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DEMO_HISTORY_DAYS + 1)
    # Whole UTC hours: a local hour in a zone with a half-hour offset does not
    # start at the top of a UTC hour, which the recorder requires.
    points = await worker.run(HistoryStore.trends, start, end, "hour", UTC)
    if not points or not entity_ids:
        return
    # Everything recorded so far (little: a fresh demo's sensors, or those of
    # an earlier demo entry with the same entity ids).
    existing = await get_instance(hass).async_add_executor_job(
        partial(
            statistics_during_period,
            hass,
            datetime.fromtimestamp(0, UTC),
            end,
            set(entity_ids.values()),
            "hour",
            None,
            {"mean"},
        )
    )
    imported = 0
    for key, entity_id in entity_ids.items():
        field, unit = STATISTIC_SENSORS[key]
        rows = existing.get(entity_id)
        first_recorded = (
            dt_util.utc_from_timestamp(min(row["start"] for row in rows)) if rows else end
        )
        statistics = _statistics(points, field, first_recorded)
        if not statistics:
            continue
        metadata: StatisticMetaData = {
            "mean_type": StatisticMeanType.ARITHMETIC,
            "has_sum": False,
            "name": None,
            "source": "recorder",
            "statistic_id": entity_id,
            "unit_class": None,
            "unit_of_measurement": unit,
        }
        # In slices: each import is one job on the recorder's thread, and a
        # month of hours at a time leaves room for the state writes between.
        for offset in range(0, len(statistics), STATISTICS_SLICE):
            recorder_import_statistics(
                hass, metadata.copy(), statistics[offset : offset + STATISTICS_SLICE]
            )
        imported += len(statistics)
    LOGGER.debug("Imported %d hourly statistics from %s", imported, worker.path)


def _statistics(points: list[TrendPoint], field: str, before: datetime) -> list[StatisticData]:
    """Return the hourly statistics of one trend field, for the hours before ``before``."""
    statistics: list[StatisticData] = []
    for point in points:
        value: Any = getattr(point, field)
        if value is None or point.start >= before:
            continue
        statistics.append({"start": point.start, "mean": value, "min": value, "max": value})
    return statistics
