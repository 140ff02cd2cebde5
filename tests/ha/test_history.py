"""The entry's history store in Home Assistant: polls, retention, removal, demo seeding."""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import UTC, datetime, timedelta
from functools import partial
import logging
import os
from pathlib import Path
import sqlite3
import threading
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
    statistics_during_period,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL, EVENT_HOMEASSISTANT_STOP, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.docsight import history as history_module
from custom_components.docsight.const import CONF_MODEM_TYPE, CONF_RETENTION_DAYS, DOMAIN
from custom_components.docsight.docsis.analyzer import analyze
from custom_components.docsight.docsis.demo_history import (
    SNAPSHOTS_PER_DAY,
    seed_demo_history,
)
from custom_components.docsight.docsis.drivers import DemoModem, DriverConfig
from custom_components.docsight.docsis.events import detect
from custom_components.docsight.docsis.storage import HistoryStore
from custom_components.docsight.history import HISTORY_FILE, HistoryWorker, history_dir

from .jsonmodem import READ_AT, JsonModemSimulator, Mode, json_modem_fixture  # noqa: F401

HEALTH = "sensor.docsight_demo_line_health"
DS_POWER_AVG = "sensor.docsight_demo_downstream_power_average"
STAMP = "2026-01-01T00:00:00Z"
real_seed = history_module.iter_seed_demo_history


def _watching(on_progress: Callable[[float], None]) -> Callable[..., Any]:
    """Wrap the real stepwise seeder, reporting each chunk's progress."""

    def seed(store: HistoryStore, **kwargs: Any) -> Any:
        steps = real_seed(store, **kwargs)
        keep_going = None
        while True:
            try:
                fraction = steps.send(keep_going)
            except StopIteration as done:
                return done.value
            on_progress(fraction)
            keep_going = yield fraction

    return seed


def _worker(entry: MockConfigEntry) -> HistoryWorker:
    return entry.runtime_data.history


async def _advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def _history_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("docsight_history")]


@pytest.fixture
async def loaded_json(
    hass: HomeAssistant, json_modem: JsonModemSimulator, good_time: datetime
) -> MockConfigEntry:
    """A real (JSON) modem entry, set up: no demo seeding, one poll stored."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Simulated modem",
        unique_id=json_modem.serial,
        data={CONF_MODEM_TYPE: "json_http", CONF_URL: json_modem.url},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    return entry


def _polls(start: datetime, count: int, step: timedelta) -> list[tuple[Any, Any]]:
    """Return ``count`` graded demo polls from ``start`` on."""
    modem = DemoModem(DriverConfig(seed=3, time_zone=UTC))
    polls = []
    state = baseline = None
    for index in range(count):
        analysis = analyze(modem.read(start + index * step), baseline=baseline)
        baseline = analysis.baseline
        events, state = detect(state, analysis)
        polls.append((analysis, events))
    return polls


def _user_rows(store: HistoryStore, day: str) -> None:
    """Write what a user creates: an incident and a journal entry about it, on ``day``."""
    (incident,) = store.insert_rows(
        "incidents",
        [{"name": "Outage", "start_date": day, "created_at": STAMP, "updated_at": STAMP}],
    )
    store.insert_rows(
        "journal_entries",
        [
            {
                "date": day,
                "title": "Called the provider",
                "incident_id": incident,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        ],
    )


# --- polls -------------------------------------------------------------------------


async def test_poll_writes_a_snapshot(
    hass: HomeAssistant,
    loaded_json: MockConfigEntry,
    json_modem: JsonModemSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    worker = _worker(loaded_json)
    assert worker.path == history_dir(hass, loaded_json.entry_id) / HISTORY_FILE
    assert worker.path.is_file()

    stored = await worker.run(HistoryStore.latest_snapshot)
    assert stored is not None
    analysis = loaded_json.runtime_data.modem.data.analysis
    assert stored.summary.ts == analysis.read_at == READ_AT
    assert stored.summary.health is analysis.summary.health
    assert stored.summary.ds_total == analysis.summary.ds_total == 25
    assert stored.summary.is_demo is False
    events = await worker.run(HistoryStore.events)
    assert [event.event_type for event in events] == ["monitoring_started"]

    await _advance(hass, freezer, 300)
    assert loaded_json.runtime_data.modem.status()["polls"] == 2
    assert await worker.run(HistoryStore.snapshot_count) == 2


async def test_failed_poll_writes_nothing(
    hass: HomeAssistant,
    loaded_json: MockConfigEntry,
    json_modem: JsonModemSimulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    worker = _worker(loaded_json)
    json_modem.mode = Mode.SERVER_ERROR
    await _advance(hass, freezer, 300)
    assert loaded_json.runtime_data.modem.backoff.failures == 1
    assert await worker.run(HistoryStore.snapshot_count) == 1

    json_modem.mode = Mode.OK
    await _advance(hass, freezer, 330)
    assert loaded_json.runtime_data.modem.backoff.failures == 0
    assert await worker.run(HistoryStore.snapshot_count) == 2


async def test_store_failure_keeps_polling_and_is_logged_once(
    hass: HomeAssistant,
    loaded_demo: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = _worker(loaded_demo)
    before = await worker.run(HistoryStore.snapshot_count)
    caplog.set_level(logging.INFO)
    with patch.object(HistoryStore, "save_poll", side_effect=sqlite3.OperationalError("disk full")):
        for _ in range(3):
            await _advance(hass, freezer, 300)
    coordinator = loaded_demo.runtime_data.modem
    assert coordinator.last_update_success
    assert coordinator.status()["polls"] == 4
    assert hass.states.get(HEALTH).state != STATE_UNAVAILABLE
    failures = [r for r in caplog.records if "cannot store polls" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING
    assert "disk full" in failures[0].getMessage()
    assert await worker.run(HistoryStore.snapshot_count) == before

    await _advance(hass, freezer, 300)
    assert await worker.run(HistoryStore.snapshot_count) == before + 1
    assert len([r for r in caplog.records if "stored in the history again" in r.getMessage()]) == 1


async def test_store_that_cannot_be_opened_fails_setup(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime
) -> None:
    demo_entry.add_to_hass(hass)
    path = history_dir(hass, demo_entry.entry_id) / HISTORY_FILE
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)

    assert not await hass.config_entries.async_setup(demo_entry.entry_id)

    assert demo_entry.state is ConfigEntryState.SETUP_ERROR
    assert demo_entry.reason is not None
    assert str(path) in demo_entry.reason
    await hass.async_block_till_done()
    assert not _history_threads()


# --- retention ---------------------------------------------------------------------


async def test_retention_prunes_measurements_but_keeps_the_journal(
    hass: HomeAssistant, loaded_json: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    worker = _worker(loaded_json)
    now = dt_util.utcnow()
    old, recent = now - timedelta(days=400), now - timedelta(days=100)
    await worker.run(HistoryStore.save_polls, _polls(old, 3, timedelta(minutes=15)))
    await worker.run(HistoryStore.save_polls, _polls(recent, 2, timedelta(minutes=15)))
    await worker.run(_user_rows, old.date().isoformat())
    await worker.run(
        HistoryStore.insert_rows, "speedtest_results", [{"ts": old.strftime("%Y-%m-%dT%H:%M:%SZ")}]
    )
    assert await worker.run(HistoryStore.snapshot_count) == 6

    # A day later the daily prune runs (default retention: 365 days).
    await _advance(hass, freezer, 86_400)
    counts = await worker.run(HistoryStore.counts)
    assert counts["snapshots"] == 2 + 2  # the recent ones, the first poll and one more
    assert counts["speedtest_results"] == 0
    assert counts["journal_entries"] == 1
    assert counts["incidents"] == 1
    assert not [
        e for e in await worker.run(HistoryStore.events) if e.ts < now - timedelta(days=365)
    ]

    # A shorter retention set in the options prunes at once, on the reload.
    hass.config_entries.async_update_entry(loaded_json, options={CONF_RETENTION_DAYS: 30})
    assert await hass.config_entries.async_reload(loaded_json.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    counts = await _worker(loaded_json).run(HistoryStore.counts)
    assert counts["snapshots"] == 2 + 1  # the poll of the reload
    assert counts["journal_entries"] == 1
    assert counts["incidents"] == 1


async def test_prune_failure_is_logged(
    hass: HomeAssistant,
    loaded_json: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with patch.object(HistoryStore, "prune", side_effect=sqlite3.OperationalError("locked")):
        await _advance(hass, freezer, 86_400)
    assert "Cannot prune the history" in caplog.text
    assert loaded_json.state is ConfigEntryState.LOADED


# --- unload and removal ------------------------------------------------------------


async def test_unload_closes_the_store_and_removal_deletes_the_folder(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime
) -> None:
    demo_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(demo_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    worker = _worker(demo_entry)
    folder = history_dir(hass, demo_entry.entry_id)
    assert folder == Path(hass.config.config_dir, DOMAIN, demo_entry.entry_id)
    assert (folder / HISTORY_FILE).is_file()
    assert _history_threads()

    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    await hass.async_block_till_done()
    assert not worker.is_open
    assert not _history_threads()
    assert (folder / HISTORY_FILE).is_file()  # unloading keeps the data
    assert not (folder / f"{HISTORY_FILE}-wal").exists()  # checkpointed on close
    with pytest.raises(RuntimeError):
        await worker.run(HistoryStore.snapshot_count)
    await worker.async_close()  # a second close does no harm

    await hass.config_entries.async_remove(demo_entry.entry_id)
    await hass.async_block_till_done()
    assert not folder.exists()


async def test_no_write_after_the_store_closed(
    hass: HomeAssistant, loaded_demo: MockConfigEntry
) -> None:
    """A poll that ends while the entry unloads is not written to the closed store."""
    coordinator = loaded_demo.runtime_data.modem
    worker = _worker(loaded_demo)
    analysis = coordinator.data.analysis
    await worker.async_close()
    with patch.object(HistoryWorker, "run") as run:
        coordinator._save_poll(analysis, ())
    run.assert_not_called()


# --- demo seeding --------------------------------------------------------------------


@pytest.fixture
def gated_seed() -> Generator[tuple[threading.Event, threading.Event]]:
    """Hold the seeder at its start until the test opens the gate: (started, gate)."""
    started, gate = threading.Event(), threading.Event()

    def seed(store: HistoryStore, **kwargs: Any) -> Any:
        started.set()
        gate.wait(10)
        return (yield from real_seed(store, **kwargs))

    with patch.object(history_module, "iter_seed_demo_history", seed):
        yield started, gate
    gate.set()


async def test_seeding_runs_in_the_background(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    good_time: datetime,
    gated_seed: tuple[threading.Event, threading.Event],
) -> None:
    started, gate = gated_seed
    demo_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(demo_entry.entry_id)

    # Set up, entities live, while the seeder still waits at its gate.
    assert demo_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(HEALTH).state == "good"
    assert await hass.async_add_executor_job(started.wait, 5)
    worker = _worker(demo_entry)
    gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)

    # One day of 15-minute history (the tests shorten it), and the live poll
    # written after it, not wiped by it.
    assert await worker.run(HistoryStore.snapshot_count, is_demo=True) == SNAPSHOTS_PER_DAY + 1
    counts = await worker.run(HistoryStore.counts)
    assert counts["journal_entries"] > 0
    assert counts["incidents"] > 0
    events = await worker.run(HistoryStore.events, event_types=["monitoring_started"])
    assert events[0].ts == good_time  # newest first: the live poll's, not the seeder's

    # Set up again (a restart): the history is there, nothing is seeded twice.
    assert await hass.config_entries.async_reload(demo_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (
        await _worker(demo_entry).run(HistoryStore.snapshot_count, is_demo=True)
        == SNAPSHOTS_PER_DAY + 2
    )


@pytest.mark.parametrize("short_demo_history", [None])  # nine months, not one day
async def test_unload_during_seeding_is_prompt_and_clean(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    good_time: datetime,
    short_demo_history: None,
) -> None:
    progress: list[float] = []
    chunk_written = threading.Event()

    def watched(fraction: float) -> None:
        progress.append(fraction)
        chunk_written.set()

    demo_entry.add_to_hass(hass)
    with patch.object(history_module, "iter_seed_demo_history", _watching(watched)):
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        worker = _worker(demo_entry)
        assert await hass.async_add_executor_job(chunk_written.wait, 30)

        started = os.times().elapsed
        assert await hass.config_entries.async_unload(demo_entry.entry_id)
        await hass.async_block_till_done()
        elapsed = os.times().elapsed - started

    assert demo_entry.state is ConfigEntryState.NOT_LOADED
    assert elapsed < 5, f"unloading took {elapsed:.1f} s"
    assert progress[-1] < 1  # stopped early
    assert not worker.is_open
    assert not _history_threads()
    store = HistoryStore.open(worker.path)
    try:
        partial = store.snapshot_count(is_demo=True)
    finally:
        store.close()
    assert 0 < partial < 270 * SNAPSHOTS_PER_DAY


def test_seeding_stopped_early_is_redone() -> None:
    """A demo store with far fewer snapshots than a seeding leaves is seeded (again)."""
    store = HistoryStore.open(":memory:")
    end = datetime(2026, 3, 17, 12, tzinfo=UTC)
    housekeeping = partial(
        history_module._housekeeping, is_demo=True, cutoff=end - timedelta(days=365), seed_days=2
    )
    try:
        store.save_polls(_polls(end - timedelta(days=1), 10, timedelta(minutes=15)), is_demo=True)
        assert housekeeping(store)
        report = seed_demo_history(store, days=2, end=end, time_zone=UTC)
        assert report.completed
        assert store.snapshot_count(is_demo=True) == 2 * SNAPSHOTS_PER_DAY
        assert not housekeeping(store)  # complete: left alone
    finally:
        store.close()


@pytest.mark.usefixtures("good_time")
@pytest.mark.parametrize("short_demo_history", [None])  # nine months, not one day
async def test_home_assistant_stopping_stops_seeding_and_closes_the_store(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    short_demo_history: None,
) -> None:
    """Entries are not unloaded when Home Assistant stops; the store is closed all the same."""
    chunk_written = threading.Event()

    demo_entry.add_to_hass(hass)
    with patch.object(
        history_module, "iter_seed_demo_history", _watching(lambda _: chunk_written.set())
    ):
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        worker = _worker(demo_entry)
        assert await hass.async_add_executor_job(chunk_written.wait, 30)
        started = os.times().elapsed
        hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
        await hass.async_block_till_done()
        elapsed = os.times().elapsed - started

    assert elapsed < 5, f"closing took {elapsed:.1f} s"
    assert not worker.is_open
    assert not _history_threads()
    assert demo_entry.state is ConfigEntryState.LOADED
    # A daily prune due meanwhile finds the store closed and lets it be.
    await _advance(hass, freezer, 86_400)
    assert "Cannot prune" not in caplog.text


async def test_start_up_failure_is_logged_and_the_entry_works(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime, caplog
) -> None:
    demo_entry.add_to_hass(hass)
    with patch.object(HistoryStore, "prune", side_effect=sqlite3.OperationalError("disk I/O")):
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)

    assert "History start-up failed" in caplog.text
    assert demo_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(HEALTH).state == "good"
    assert await _worker(demo_entry).run(HistoryStore.snapshot_count) == 1  # the live poll


async def test_reconfigure_to_a_real_modem_purges_demo_rows_only(
    hass: HomeAssistant, loaded_demo: MockConfigEntry, json_modem: JsonModemSimulator
) -> None:
    worker = _worker(loaded_demo)
    await hass.async_block_till_done(wait_background_tasks=True)
    demo_counts = await worker.run(HistoryStore.counts)
    assert demo_counts["snapshots"] > SNAPSHOTS_PER_DAY
    assert demo_counts["journal_entries"] > 0
    await worker.run(_user_rows, "2026-03-01")

    result = await loaded_demo.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_MODEM_TYPE: "json_http"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_URL: json_modem.url}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)

    worker = _worker(loaded_demo)
    assert worker.path == history_dir(hass, loaded_demo.entry_id) / HISTORY_FILE
    assert await worker.run(HistoryStore.snapshot_count, is_demo=True) == 0
    assert await worker.run(HistoryStore.snapshot_count, is_demo=False) == 1  # the real modem
    journal = await worker.run(HistoryStore.rows, "journal_entries")
    assert [row["title"] for row in journal] == ["Called the provider"]
    assert [row["name"] for row in await worker.run(HistoryStore.rows, "incidents")] == ["Outage"]
    counts = await worker.run(HistoryStore.counts)
    assert counts["speedtest_results"] == counts["bqm_graphs"] == counts["bnetz_measurements"] == 0


# --- long-term statistics --------------------------------------------------------------


class TestStatistics:
    """Seeded history in the recorder's long-term statistics."""

    @pytest.fixture(autouse=True)
    def auto_enable_custom_integrations(
        self, recorder_mock: Recorder, enable_custom_integrations: None
    ) -> None:
        """The recorder must exist before Home Assistant starts, so request it first."""

    @pytest.mark.parametrize("short_demo_history", [None])  # nine months
    async def test_nine_months_of_statistics(
        self,
        recorder_mock: Recorder,
        hass: HomeAssistant,
        demo_entry: MockConfigEntry,
        good_time: datetime,
        short_demo_history: None,
    ) -> None:
        """Nine months of hourly statistics, up to the recorder's own first hour.

        One sensor's nine months, to keep the test short: the recorder imports
        a row at a time (about a millisecond each).
        """
        # A statistic the recorder compiled two days ago, from an earlier demo
        # entry with the same entity ids: it and everything after it stay.
        hour = dt_util.utcnow().replace(minute=0) - timedelta(days=2)
        async_import_statistics(
            hass,
            {
                "mean_type": StatisticMeanType.ARITHMETIC,
                "has_sum": False,
                "name": None,
                "source": "recorder",
                "statistic_id": DS_POWER_AVG,
                "unit_class": None,
                "unit_of_measurement": "dBmV",
            },
            [{"start": hour, "mean": 99.0, "min": 99.0, "max": 99.0}],
        )
        # And one whose statistics go back further than the seeding: nothing
        # is imported for it.
        long_ago = hour - timedelta(days=300)
        async_import_statistics(
            hass,
            {
                "mean_type": StatisticMeanType.ARITHMETIC,
                "has_sum": False,
                "name": None,
                "source": "recorder",
                "statistic_id": DS_SNR_MIN,
                "unit_class": None,
                "unit_of_measurement": "dB",
            },
            [{"start": long_ago, "mean": 40.0, "min": 40.0, "max": 40.0}],
        )
        await async_wait_recording_done(hass)
        sensors = {
            key: history_module.STATISTIC_SENSORS[key] for key in ("ds_power_avg", "ds_snr_min")
        }

        demo_entry.add_to_hass(hass)
        with patch.object(history_module, "STATISTIC_SENSORS", sensors):
            assert await hass.config_entries.async_setup(demo_entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)

        current_hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        stats = await _statistics(hass, recorder_mock, current_hour, {DS_POWER_AVG, DS_SNR_MIN})
        nine_months = 270 * 24
        power = stats[DS_POWER_AVG]
        # From nine months ago up to the recorder's own first hour, which is
        # kept as it was.
        assert len(power) - 1 == nine_months - 2 * 24
        assert dt_util.utc_from_timestamp(power[0]["start"]) == current_hour - timedelta(days=270)
        assert power[-1]["start"] == hour.timestamp()
        assert power[-1]["mean"] == 99.0
        assert all(3 < row["min"] == row["mean"] == row["max"] < 9 for row in power[:-1])
        assert [row["start"] for row in stats[DS_SNR_MIN]] == [long_ago.timestamp()]

    async def test_every_summary_sensor_gets_statistics(
        self,
        recorder_mock: Recorder,
        hass: HomeAssistant,
        demo_entry: MockConfigEntry,
        good_time: datetime,
    ) -> None:
        """One day seeded: each sensor's hours, unit and kind of statistic."""
        demo_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)

        current_hour = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
        ids = {f"sensor.docsight_demo_{name}": unit for name, unit in SUMMARY_STATISTICS.items()}
        stats = await _statistics(hass, recorder_mock, current_hour, set(ids))
        points = await _worker(demo_entry).run(
            HistoryStore.trends, current_hour - timedelta(days=2), current_hour, "hour", UTC
        )
        assert len(points) == 24
        assert stats.keys() == ids.keys()
        for rows in stats.values():
            assert [row["start"] for row in rows] == [p.start.timestamp() for p in points]
        assert [row["mean"] for row in stats[DS_POWER_AVG]] == [p.ds_power_avg for p in points]
        assert [row["min"] for row in stats[DS_POWER_MIN]] == [p.ds_power_min for p in points]
        assert [row["max"] for row in stats[DS_POWER_MAX]] == [
            pytest.approx(p.ds_power_max) for p in points
        ]

        metadata = await recorder_mock.async_add_executor_job(
            partial(get_metadata, hass, statistic_ids=set(ids))
        )
        for statistic_id, unit in ids.items():
            _, meta = metadata[statistic_id]
            assert meta["mean_type"] is StatisticMeanType.ARITHMETIC
            assert meta["has_sum"] is False
            assert meta["source"] == "recorder"
            assert meta["unit_class"] is None
            assert meta["unit_of_measurement"] == unit
            assert hass.states.get(statistic_id).attributes["unit_of_measurement"] == unit

    async def test_no_statistics_without_sensors(
        self,
        recorder_mock: Recorder,
        hass: HomeAssistant,
        demo_entry: MockConfigEntry,
        good_time: datetime,
    ) -> None:
        """Sensors removed from the registry (or none known): nothing to import into."""
        demo_entry.add_to_hass(hass)
        with patch.object(history_module, "STATISTIC_SENSORS", {}):
            assert await hass.config_entries.async_setup(demo_entry.entry_id)
            await hass.async_block_till_done(wait_background_tasks=True)
        await async_wait_recording_done(hass)
        stats = await _statistics(hass, recorder_mock, dt_util.utcnow(), {DS_POWER_AVG})
        assert stats == {}


SUMMARY_STATISTICS = {
    "downstream_power_average": "dBmV",
    "downstream_power_minimum": "dBmV",
    "downstream_power_maximum": "dBmV",
    "downstream_snr_minimum": "dB",
    "downstream_snr_average": "dB",
    "upstream_power_average": "dBmV",
}
DS_POWER_MIN = "sensor.docsight_demo_downstream_power_minimum"
DS_POWER_MAX = "sensor.docsight_demo_downstream_power_maximum"
DS_SNR_MIN = "sensor.docsight_demo_downstream_snr_minimum"


async def _statistics(
    hass: HomeAssistant, recorder: Recorder, end: datetime, ids: set[str]
) -> dict[str, list[Any]]:
    return await recorder.async_add_executor_job(
        statistics_during_period,
        hass,
        end - timedelta(days=400),
        None,
        ids,
        "hour",
        None,
        {"mean", "min", "max"},
    )


@pytest.mark.parametrize("short_demo_history", [None])  # several chunks, not one day
async def test_other_store_work_runs_between_seeding_chunks(
    hass: HomeAssistant, demo_entry: MockConfigEntry, good_time: datetime, short_demo_history: None
) -> None:
    """Seeding gives the store's thread back after every 10-day chunk.

    A query issued while seeding runs (a service call, diagnostics) is answered
    between two chunks, not after the whole seeding.
    """
    order: list[str] = []
    first_chunk = threading.Event()

    def on_chunk(fraction: float) -> None:
        order.append(f"chunk {fraction:.2f}")
        first_chunk.set()

    demo_entry.add_to_hass(hass)
    with (
        patch.object(history_module, "DEMO_HISTORY_DAYS", 60),
        patch.object(history_module, "iter_seed_demo_history", _watching(on_chunk)),
    ):
        assert await hass.config_entries.async_setup(demo_entry.entry_id)
        assert await hass.async_add_executor_job(first_chunk.wait, 30)
        count = await _worker(demo_entry).run(
            lambda store: order.append("query") or store.snapshot_count(is_demo=True)
        )
        await hass.async_block_till_done(wait_background_tasks=True)

    chunks = [entry for entry in order if entry.startswith("chunk")]
    assert len(chunks) == 6
    assert order[-1] == "chunk 1.00"
    assert order.index("query") < len(order) - 1, order
    assert 0 < count < 60 * SNAPSHOTS_PER_DAY
