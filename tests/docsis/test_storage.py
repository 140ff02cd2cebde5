"""The history store: file handling, round trips, trends, events, retention, transactions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
import gc
from pathlib import Path
import re
import sqlite3
from typing import Any
import warnings
from zoneinfo import ZoneInfo

import pytest

from custom_components.docsight.docsis import storage
from custom_components.docsight.docsis.analyzer import (
    Analysis,
    ErrorBaseline,
    Health,
    LineHealth,
)
from custom_components.docsight.docsis.events import Event, EventType, Severity
from custom_components.docsight.docsis.model import Channel, DeviceInfo, Family
from custom_components.docsight.docsis.storage import (
    ALL_TABLES,
    PRUNED_TABLES,
    SCHEMA_VERSION,
    USER_TABLES,
    HistoryStore,
    StoreError,
    TrendPoint,
    iso_z,
    parse_z,
)

from .factories import POLL, T0, analysis, ds, us

BERLIN = ZoneInfo("Europe/Berlin")
type DstStore = tuple[HistoryStore, dict[str, list[Analysis]]]
TS_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

DEVICE = DeviceInfo(
    manufacturer="Vodafone",
    model="Station",
    firmware="7.1.2",
    uptime_seconds=123_456,
    serial="SN-1",
    mac="aa:bb:cc:dd:ee:ff",
    wan_ipv4="198.51.100.1",
    wan_ipv6="2001:db8::1",
    docsis_version="3.1",
    downstream_kbps=1_000_000,
    upstream_kbps=50_000,
)


# -- helpers -------------------------------------------------------------------


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folders" / "modem.db"


@pytest.fixture
def store(path: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore.open(path)
    yield opened
    opened.close()


def raw(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run a query on a separate plain sqlite3 connection."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def row_count(path: Path, table: str) -> int:
    (count,) = raw(path, f"SELECT count(*) FROM {table}")[0]  # noqa: S608 - our table names
    return int(count)


def rich_channels() -> tuple[list[Channel], list[Channel]]:
    """Every kind of channel and value the store must keep, health of every grade."""
    downstream = [
        ds(
            1,
            power=3.14,
            snr=38.27,
            corrected=12_345,
            uncorrected=0,
            frequency_hz=114_000_000,
            locked=True,
            symbol_rate_ksym=6952.0,
        ),
        ds(2, power=-2.5, snr=35.0, corrected=0, uncorrected=7, modulation="64QAM"),
        ds(3, power=None, snr=None, modulation=None, locked=False),
        ds(4, power=14.0, snr=34.0, uncorrected=3),  # tolerated
        ds(5, power=16.0, snr=30.5, corrected=5, locked=True),  # warning
        ds(
            33,
            family=Family.OFDM,
            power=1.75,
            snr=41.0,
            modulation="4096QAM",
            frequency_hz=600_000_000,
            frequency_end_hz=790_000_000,
            corrected=999_999,
            uncorrected=12,
            locked=True,
        ),
    ]
    upstream = [
        us(1, power=44.5, frequency_hz=51_000_000, symbol_rate_ksym=5120.0, locked=True),
        us(2, power=55.0, modulation="QPSK", locked=False),  # critical
        us(
            9,
            family=Family.OFDMA,
            power=45.25,
            modulation="1024QAM",
            frequency_hz=5_000_000,
            frequency_end_hz=42_000_000,
        ),
    ]
    return downstream, upstream


def rich_analysis(at: datetime = T0, device: DeviceInfo = DEVICE) -> Analysis:
    downstream, upstream = rich_channels()
    return analysis(downstream, upstream, at=at, device=device)


def simple(at: datetime, *, power: float = 1.0, modulation: str = "256QAM") -> Analysis:
    return analysis([ds(1, power=power, modulation=modulation)], [us(1)], at=at)


def event(
    at: datetime,
    event_type: EventType = EventType.POWER_CHANGE,
    severity: Severity = Severity.INFO,
    message: str = "something changed",
    details: dict[str, Any] | None = None,
) -> Event:
    return Event(at, event_type, severity, message, details if details is not None else {})


def channel_blob(store: HistoryStore) -> bytes:
    blob = store.rows("snapshots", order="id DESC")[0]["channels"]
    assert isinstance(blob, bytes)
    return blob


# -- opening -----------------------------------------------------------------------


def test_open_creates_file_and_folders_in_wal_mode(path: Path) -> None:
    assert not path.parent.exists()
    opened = HistoryStore.open(path)
    try:
        assert path.is_file()
        assert opened.path == path
        assert opened.schema_version == SCHEMA_VERSION
        assert opened.integrity_check() == "ok"
        assert opened.counts() == dict.fromkeys(ALL_TABLES, 0)
    finally:
        opened.close()
    assert raw(path, "PRAGMA journal_mode") == [("wal",)]
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    tables = {name for (name,) in raw(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(ALL_TABLES) <= tables


def test_open_accepts_a_string_path(tmp_path: Path) -> None:
    opened = HistoryStore.open(str(tmp_path / "as-string.db"))
    opened.close()
    assert (tmp_path / "as-string.db").is_file()


def test_memory_store() -> None:
    opened = HistoryStore.open(":memory:")
    assert opened.path is None
    opened.save_poll(rich_analysis(), [])
    assert opened.snapshot_count() == 1
    opened.close()


def test_reopening_keeps_data_and_reuses_plans_modulations_devices(path: Path) -> None:
    first = rich_analysis()
    opened = HistoryStore.open(path)
    opened.save_poll(first, [event(T0)])
    opened.close()
    tables = ("channel_plans", "modulations", "devices")
    before = {table: row_count(path, table) for table in tables}

    reopened = HistoryStore.open(path)
    try:
        stored = reopened.snapshot_at(T0)
        assert stored is not None
        assert stored.reading() == first.reading
        assert reopened.events()[0].ts == T0
        # The same plan, labels and device are found again, not duplicated.
        reopened.save_poll(rich_analysis(T0 + POLL), [])
        later = reopened.latest_snapshot()
        assert later is not None
        assert later.reading() == rich_analysis(T0 + POLL).reading
    finally:
        reopened.close()
    after = {table: row_count(path, table) for table in tables}
    assert after == before
    assert raw(path, "SELECT count(*) FROM snapshots") == [(2,)]


def test_newer_schema_is_refused_and_left_alone(path: Path) -> None:
    opened = HistoryStore.open(path)
    opened.execute_script(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    opened.close()
    with pytest.raises(StoreError, match="newer"):
        HistoryStore.open(path)
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]


def test_a_later_schema_migrates_forward_keeping_data(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = HistoryStore.open(path)
    opened.save_poll(rich_analysis(), [event(T0)])
    opened.close()
    later = {**storage._MIGRATIONS, SCHEMA_VERSION + 1: "CREATE TABLE later (x INTEGER)"}
    monkeypatch.setattr(storage, "_MIGRATIONS", later)
    monkeypatch.setattr(storage, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    migrated = HistoryStore.open(path)
    try:
        assert migrated.schema_version == SCHEMA_VERSION + 1
        stored = migrated.latest_snapshot()
        assert stored is not None
        assert stored.reading() == rich_analysis().reading
    finally:
        migrated.close()
    assert raw(path, "SELECT count(*) FROM later") == [(0,)]


def test_a_failing_migration_is_rolled_back(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = HistoryStore.open(path)
    opened.save_poll(rich_analysis(), [])
    opened.close()
    failing = "CREATE TABLE later (x INTEGER); INSERT INTO no_such_table VALUES (1)"
    monkeypatch.setattr(
        storage, "_MIGRATIONS", {**storage._MIGRATIONS, SCHEMA_VERSION + 1: failing}
    )
    monkeypatch.setattr(storage, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="no_such_table"):
        HistoryStore.open(path)
    assert raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw(path, "SELECT name FROM sqlite_master WHERE name = 'later'") == []
    assert row_count(path, "snapshots") == 1


def test_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is certainly not an SQLite database file\n" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        HistoryStore.open(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        HistoryStore.open(tmp_path)


def test_a_refused_open_leaves_no_connection_open(tmp_path: Path) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"garbage" * 1000)
    newer = tmp_path / "newer.db"
    connection = sqlite3.connect(newer)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for target in (path, newer):
            with pytest.raises(StoreError):
                HistoryStore.open(target)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_checkpoint_folds_the_wal(store: HistoryStore, path: Path) -> None:
    store.save_polls((simple(T0 + i * POLL), []) for i in range(50))
    wal = path.with_name(path.name + "-wal")
    assert wal.stat().st_size > 0
    store.checkpoint()
    assert wal.stat().st_size == 0
    assert raw(path, "SELECT count(*) FROM snapshots") == [(50,)]


def test_close_truncates_the_wal(path: Path) -> None:
    opened = HistoryStore.open(path)
    opened.save_poll(rich_analysis(), [])
    opened.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


# -- polls round trip ----------------------------------------------------------------


def test_save_poll_round_trips_every_channel(store: HistoryStore) -> None:
    original = rich_analysis()
    snapshot_id = store.save_poll(original, [])
    stored = store.snapshot_at(T0)
    assert stored is not None
    # Every channel exactly: levels, modulation, counters (None stays None),
    # lock state, frequencies and OFDM ranges, symbol rates, in plan order.
    assert stored.reading() == original.reading
    assert [item.channel for item in stored.downstream] == list(original.reading.downstream)
    assert [item.channel for item in stored.upstream] == list(original.reading.upstream)
    # The grade each channel had.
    assert [item.health for item in stored.downstream] == [c.health for c in original.downstream]
    assert [item.health for item in stored.upstream] == [c.health for c in original.upstream]
    grades = {item.health for item in (*stored.downstream, *stored.upstream)}
    assert grades == set(Health)
    # Device info and uptime.
    assert stored.device == DEVICE
    summary = stored.summary
    expected = original.summary
    assert summary.id == snapshot_id
    assert summary.ts == T0
    assert summary.health is expected.health is LineHealth.CRITICAL
    assert summary.issues == expected.issues
    assert summary.issues
    assert (summary.ds_total, summary.us_total) == (6, 3)
    assert summary.ds_power_avg == expected.ds_power_avg
    assert summary.ds_snr_min == expected.ds_snr_min
    assert summary.us_power_avg == expected.us_power_avg
    assert summary.ds_uncorr_pct == expected.ds_uncorr_pct
    assert summary.is_demo is False


def test_counters_none_is_never_zero_and_zero_is_never_none(store: HistoryStore) -> None:
    channels = [
        ds(1, corrected=None, uncorrected=None),
        ds(2, corrected=0, uncorrected=0),
        ds(3, corrected=None, uncorrected=0),
        ds(4, corrected=0, uncorrected=None),
        ds(5, corrected=0xFFFFFFFE, uncorrected=1),
    ]
    store.save_poll(analysis(channels), [])
    assert channel_blob(store)[:1] == b"\x01"
    stored = store.latest_snapshot()
    assert stored is not None
    got = [(item.channel.corrected, item.channel.uncorrected) for item in stored.downstream]
    assert got == [(None, None), (0, 0), (None, 0), (0, None), (0xFFFFFFFE, 1)]


def test_locked_flag_three_states(store: HistoryStore) -> None:
    channels = [ds(1, locked=None), ds(2, locked=True), ds(3, locked=False)]
    store.save_poll(analysis(channels), [])
    stored = store.latest_snapshot()
    assert stored is not None
    assert [item.channel.locked for item in stored.downstream] == [None, True, False]


def test_levels_are_kept_to_a_hundredth_of_a_db(store: HistoryStore) -> None:
    values = [3.456, -7.891, 0.004, 12.345678, -0.006, 59.995]
    channels = [ds(i, power=value, snr=40 - value) for i, value in enumerate(values, 1)]
    store.save_poll(analysis(channels), [])
    stored = store.latest_snapshot()
    assert stored is not None
    for item, value in zip(stored.downstream, values, strict=True):
        assert item.channel.power_dbmv is not None
        assert item.channel.snr_db is not None
        assert abs(item.channel.power_dbmv - value) <= 0.005 + 1e-9
        assert abs(item.channel.snr_db - (40 - value)) <= 0.005 + 1e-9


def test_compact_format_is_fourteen_bytes_a_channel(store: HistoryStore) -> None:
    store.save_poll(rich_analysis(), [])
    blob = channel_blob(store)
    assert blob[:1] == b"\x01"
    assert len(blob) == 1 + 14 * 9


def test_64_bit_counters_use_the_wide_format(store: HistoryStore) -> None:
    channels = [
        ds(1, corrected=2**40, uncorrected=None),
        ds(2, corrected=None, uncorrected=2**63),
        ds(3, corrected=0, uncorrected=0xFFFFFFFF + 1, power=-3.25, snr=None),
        ds(4, corrected=2**64 - 2, uncorrected=0),
    ]
    original = analysis(channels)
    store.save_poll(original, [])
    assert channel_blob(store)[:1] == b"\x02"
    stored = store.latest_snapshot()
    assert stored is not None
    assert stored.reading() == original.reading
    # The summary columns are SQLite integers: sums past 2**63 - 1 are capped.
    row = store.rows("snapshots")[0]
    assert (row["ds_corrected"], row["ds_uncorrected"]) == (2**63 - 1, 2**63 - 1)


def test_a_count_of_two_to_the_32_minus_one_is_not_read_as_absent(store: HistoryStore) -> None:
    # 0xFFFFFFFF marks an absent counter in the compact format; a real count of
    # that value must be kept (the wide format), not read back as None.
    channels = [ds(1, corrected=0xFFFFFFFF, uncorrected=None), ds(2, uncorrected=0xFFFFFFFF)]
    original = analysis(channels)
    store.save_poll(original, [])
    stored = store.latest_snapshot()
    assert stored is not None
    assert stored.reading() == original.reading


def test_out_of_range_levels_are_clamped_in_the_wide_format(store: HistoryStore) -> None:
    channels = [
        ds(1, power=400.0, snr=-500.0, corrected=None, uncorrected=3),
        ds(2, power=None, snr=None, corrected=None, uncorrected=None),
        ds(3, power=2.5, snr=38.1, corrected=17, uncorrected=0),
    ]
    store.save_poll(analysis(channels), [])
    assert channel_blob(store)[:1] == b"\x02"
    stored = store.latest_snapshot()
    assert stored is not None
    first, absent, normal = (item.channel for item in stored.downstream)
    assert (first.power_dbmv, first.snr_db) == (327.67, -327.67)
    assert (first.corrected, first.uncorrected) == (None, 3)
    assert absent == channels[1]
    assert normal == channels[2]


def test_devices_are_stored_once_and_uptime_per_snapshot(store: HistoryStore, path: Path) -> None:
    store.save_poll(rich_analysis(T0, DEVICE), [])
    store.save_poll(rich_analysis(T0 + POLL, _device(uptime_seconds=123_756)), [])
    updated = _device(firmware="7.2.0", uptime_seconds=60)
    store.save_poll(rich_analysis(T0 + 2 * POLL, updated), [])
    store.save_poll(rich_analysis(T0 + 3 * POLL, DeviceInfo()), [])
    assert raw(path, "SELECT count(*) FROM devices") == [(3,)]
    devices = [store.snapshot_at(T0 + i * POLL) for i in range(4)]
    assert [stored.device if stored else None for stored in devices] == [
        DEVICE,
        _device(uptime_seconds=123_756),
        updated,
        DeviceInfo(),
    ]


def _device(**changes: Any) -> DeviceInfo:
    values = {name: getattr(DEVICE, name) for name in DEVICE.__slots__}
    return DeviceInfo(**{**values, **changes})


def test_channel_plans_follow_the_channels(store: HistoryStore, path: Path) -> None:
    one = analysis([ds(1), ds(2)], [us(1)], at=T0)
    two = analysis([ds(1), ds(3)], [us(1)], at=T0 + POLL)
    store.save_poll(one, [])
    store.save_poll(two, [])
    store.save_poll(analysis([ds(1), ds(2)], [us(1)], at=T0 + 2 * POLL), [])
    store.save_poll(analysis([], [], at=T0 + 3 * POLL), [])
    assert raw(path, "SELECT count(*) FROM channel_plans") == [(3,)]
    first, second = store.snapshot_at(T0), store.snapshot_at(T0 + POLL)
    assert first is not None
    assert second is not None
    assert first.reading() == one.reading
    assert second.reading() == two.reading
    empty = store.latest_snapshot()
    assert empty is not None
    assert (empty.downstream, empty.upstream) == ((), ())


def test_timestamps_are_utc_seconds_with_a_z(store: HistoryStore, path: Path) -> None:
    local = datetime(2026, 7, 1, 14, 30, 15, 999_999, tzinfo=BERLIN)
    store.save_poll(simple(local), [event(local)])
    store.save_events([event(datetime(2026, 1, 5, 1, 2, 3, tzinfo=BERLIN))])
    (snapshot_ts,) = raw(path, "SELECT ts FROM snapshots")[0]
    event_ts = [ts for (ts,) in raw(path, "SELECT ts FROM events ORDER BY id")]
    assert snapshot_ts == "2026-07-01T12:30:15Z"
    assert event_ts == ["2026-07-01T12:30:15Z", "2026-01-05T00:02:03Z"]
    assert all(TS_FORMAT.match(ts) for ts in [snapshot_ts, *event_ts])
    stored = store.latest_snapshot()
    assert stored is not None
    assert stored.summary.ts == datetime(2026, 7, 1, 12, 30, 15, tzinfo=UTC)
    assert stored.summary.ts.tzinfo is UTC


def test_iso_z_and_parse_z() -> None:
    when = datetime(2026, 3, 29, 3, 15, tzinfo=BERLIN)
    assert iso_z(when) == "2026-03-29T01:15:00Z"
    assert parse_z(iso_z(when)) == when
    assert parse_z("2026-03-29T01:15:00Z").tzinfo is UTC


# -- reading snapshots -----------------------------------------------------------------


def test_snapshots_range_order_and_limit(store: HistoryStore) -> None:
    assert store.latest_snapshot() is None
    assert store.snapshot_at(T0) is None
    # Saved out of order: reads are by time, not by insertion.
    order = [3, 0, 7, 1, 9, 2, 5, 4, 8, 6]
    store.save_polls((simple(T0 + i * POLL, power=float(i)), []) for i in order)
    in_range = store.snapshots(T0 + 2 * POLL, T0 + 6 * POLL)
    assert [s.ts for s in in_range] == [T0 + i * POLL for i in range(2, 6)]
    assert [s.ds_power_avg for s in in_range] == [2.0, 3.0, 4.0, 5.0]
    limited = store.snapshots(T0, T0 + 100 * POLL, limit=3)
    assert [s.ts for s in limited] == [T0, T0 + POLL, T0 + 2 * POLL]
    assert store.snapshots(T0 + 100 * POLL, T0 + 200 * POLL) == []
    assert len(store.snapshots(T0, T0 + 10 * POLL)) == 10
    latest = store.latest_snapshot()
    assert latest is not None
    assert latest.summary.ts == T0 + 9 * POLL
    between = store.snapshot_at(T0 + 4 * POLL + timedelta(minutes=2))
    assert between is not None
    assert between.summary.ts == T0 + 4 * POLL
    exact = store.snapshot_at(T0 + 4 * POLL)
    assert exact is not None
    assert exact.summary.ts == T0 + 4 * POLL
    assert store.snapshot_at(T0 - timedelta(seconds=1)) is None


def test_snapshot_count_by_demo_flag(store: HistoryStore) -> None:
    store.save_poll(simple(T0), [])
    store.save_polls([(simple(T0 + POLL), []), (simple(T0 + 2 * POLL), [])], is_demo=True)
    assert store.snapshot_count() == 3
    assert store.snapshot_count(is_demo=True) == 2
    assert store.snapshot_count(is_demo=False) == 1
    assert [s.is_demo for s in store.snapshots(T0, T0 + 3 * POLL)] == [False, True, True]


def test_save_polls_returns_the_count(store: HistoryStore) -> None:
    assert store.save_polls([]) == 0
    assert store.save_polls((simple(T0 + i * POLL), [event(T0)]) for i in range(7)) == 7
    assert store.counts()["snapshots"] == 7
    assert store.counts()["events"] == 7


# -- trends ---------------------------------------------------------------------------


def _trend_polls(first_day: date, days: int, step: timedelta) -> list[Analysis]:
    """Polls over whole local days with levels, grades and error rates that vary."""
    start = datetime.combine(first_day, time(), BERLIN).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), time(), BERLIN).astimezone(UTC)
    polls: list[Analysis] = []
    baseline: ErrorBaseline | None = None
    corrected = uncorrected = 0
    when, index = start, 0
    while when < end:
        corrected += 50 + index % 7
        uncorrected += index % 3
        downstream = [
            ds(
                k,
                power=round(-3 + ((index * 7 + k * 3) % 21) * 0.9, 2),
                snr=round(29.5 + ((index * 5 + k) % 13) * 0.7, 2),
                corrected=corrected + k,
                uncorrected=uncorrected,
            )
            for k in range(1, 4)
        ]
        if index % 13 == 0:
            downstream = []  # a poll without downstream values
        upstream = [us(1, power=38.0 + (index * 11) % 18)]
        current = analysis(downstream, upstream, at=when, baseline=baseline)
        baseline = current.baseline
        polls.append(current)
        when += step
        index += 1
    return polls


def _expected_trends(polls: list[Analysis], bucket: str) -> list[dict[str, Any]]:
    """Compute the trend points from the analyses, independently of the store."""

    def bucket_start(ts: datetime) -> datetime:
        local = ts.astimezone(BERLIN)
        if bucket == "hour":
            return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        day = local.date()
        if bucket == "week":
            day -= timedelta(days=day.weekday())
        elif bucket == "month":
            day = day.replace(day=1)
        return datetime.combine(day, time(), BERLIN).astimezone(UTC)

    groups: dict[datetime, list[Analysis]] = {}
    for poll in polls:
        groups.setdefault(bucket_start(poll.read_at), []).append(poll)

    def values(group: list[Analysis], name: str) -> list[float]:
        return [v for poll in group if (v := getattr(poll.summary, name)) is not None]

    def mean(group: list[Analysis], name: str) -> Any:
        # The store rounds its means to 0.01 (half a hundredth either way,
        # whichever way the float sums happen to fall on an exact half).
        found = values(group, name)
        return pytest.approx(sum(found) / len(found), abs=0.005 + 1e-9) if found else None

    def low(group: list[Analysis], name: str) -> float | None:
        return min(values(group, name), default=None)

    def high(group: list[Analysis], name: str) -> float | None:
        return max(values(group, name), default=None)

    order = list(LineHealth)
    expected = []
    for start in sorted(groups):
        group = groups[start]
        healths = Counter(poll.summary.health.value for poll in group)
        expected.append(
            {
                "start": start,
                "samples": len(group),
                "ds_power_avg": mean(group, "ds_power_avg"),
                "ds_power_min": low(group, "ds_power_min"),
                "ds_power_max": high(group, "ds_power_max"),
                "ds_snr_avg": mean(group, "ds_snr_avg"),
                "ds_snr_min": low(group, "ds_snr_min"),
                "us_power_avg": mean(group, "us_power_avg"),
                "us_power_min": low(group, "us_power_min"),
                "us_power_max": high(group, "us_power_max"),
                "ds_uncorr_pct_max": high(group, "ds_uncorr_pct"),
                "health_counts": dict(healths),
                "worst_health": max((poll.summary.health for poll in group), key=order.index),
            }
        )
    return expected


def _as_dict(point: TrendPoint) -> dict[str, Any]:
    return {name: getattr(point, name) for name in TrendPoint.__slots__}


def _approx(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            key: pytest.approx(value, abs=1e-9) if isinstance(value, float) else value
            for key, value in point.items()
        }
        for point in expected
    ]


@pytest.fixture(scope="module")
def dst_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DstStore]:
    """Polls every 20 minutes over both of 2026's daylight-saving changes in Berlin."""
    spring = _trend_polls(date(2026, 3, 23), 14, timedelta(minutes=20))
    autumn = _trend_polls(date(2026, 10, 19), 14, timedelta(minutes=20))
    opened = HistoryStore.open(tmp_path_factory.mktemp("trends") / "dst.db")
    opened.save_polls((poll, []) for poll in [*spring, *autumn])
    yield opened, {"spring": spring, "autumn": autumn}
    opened.close()


def _local(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.mark.parametrize("season", ["spring", "autumn"])
@pytest.mark.parametrize("bucket", ["hour", "day", "week", "month"])
def test_trends_match_independent_aggregates(dst_store: DstStore, season: str, bucket: str) -> None:
    opened, polls = dst_store
    own = polls[season]
    start = own[0].read_at
    end = own[-1].read_at + timedelta(minutes=20)
    points = opened.trends(start, end, bucket, BERLIN)
    expected = _expected_trends(own, bucket)
    assert [_as_dict(point) for point in points] == _approx(expected)
    assert sum(p.samples for p in points) == len(own)


def test_trend_data_has_every_grade_and_gaps(dst_store: DstStore) -> None:
    _, polls = dst_store
    every = [*polls["spring"], *polls["autumn"]]
    assert {poll.summary.health for poll in every} == set(LineHealth)
    assert any(poll.summary.ds_power_avg is None for poll in every)
    assert any(poll.summary.ds_uncorr_pct for poll in every)


def test_short_and_long_local_days_are_one_bucket(dst_store: DstStore) -> None:
    opened, _ = dst_store
    spring = opened.trends(_local(date(2026, 3, 28)), _local(date(2026, 3, 31)), "day", BERLIN)
    assert [p.start for p in spring] == [
        datetime(2026, 3, 27, 23, tzinfo=UTC),
        datetime(2026, 3, 28, 23, tzinfo=UTC),  # 23 hours long
        datetime(2026, 3, 29, 22, tzinfo=UTC),
    ]
    assert [p.samples for p in spring] == [72, 69, 72]
    autumn = opened.trends(_local(date(2026, 10, 24)), _local(date(2026, 10, 27)), "day", BERLIN)
    assert [p.start for p in autumn] == [
        datetime(2026, 10, 23, 22, tzinfo=UTC),
        datetime(2026, 10, 24, 22, tzinfo=UTC),  # 25 hours long
        datetime(2026, 10, 25, 23, tzinfo=UTC),
    ]
    assert [p.samples for p in autumn] == [72, 75, 72]


def test_hour_buckets_on_change_days(dst_store: DstStore) -> None:
    opened, _ = dst_store
    spring = opened.trends(_local(date(2026, 3, 29)), _local(date(2026, 3, 30)), "hour", BERLIN)
    autumn = opened.trends(_local(date(2026, 10, 25)), _local(date(2026, 10, 26)), "hour", BERLIN)
    assert len(spring) == 23
    assert len(autumn) == 25
    assert all(p.samples == 3 for p in [*spring, *autumn])
    # The repeated 02:00 hour is two buckets an hour apart.
    repeated = [p.start for p in autumn if p.start.astimezone(BERLIN).hour == 2]
    assert repeated == [
        datetime(2026, 10, 25, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, tzinfo=UTC),
    ]


def test_hour_buckets_up_to_the_repeated_hour(dst_store: DstStore) -> None:
    # The end is in the zone itself, at the second 02:00 (same-zone datetimes
    # compare by wall clock): the first 02:00 hour is still a bucket of its own.
    opened, _ = dst_store
    end = datetime(2026, 10, 25, 2, 0, fold=1, tzinfo=BERLIN)
    points = opened.trends(_local(date(2026, 10, 25)), end, "hour", BERLIN)
    assert [p.start for p in points] == [
        datetime(2026, 10, 24, 22, tzinfo=UTC),
        datetime(2026, 10, 24, 23, tzinfo=UTC),
        datetime(2026, 10, 25, 0, tzinfo=UTC),
    ]
    assert [p.samples for p in points] == [3, 3, 3]


def test_week_and_month_bucket_edges(dst_store: DstStore) -> None:
    opened, _ = dst_store
    weeks = opened.trends(_local(date(2026, 3, 23)), _local(date(2026, 4, 6)), "week", BERLIN)
    assert [p.start for p in weeks] == [
        datetime(2026, 3, 22, 23, tzinfo=UTC),  # Monday 23 March, CET
        datetime(2026, 3, 29, 22, tzinfo=UTC),  # Monday 30 March, CEST
    ]
    assert [p.samples for p in weeks] == [7 * 72 - 3, 7 * 72]
    months = opened.trends(_local(date(2026, 3, 1)), _local(date(2026, 11, 30)), "month", BERLIN)
    assert [p.start for p in months] == [
        datetime(2026, 2, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 31, 22, tzinfo=UTC),
        datetime(2026, 9, 30, 22, tzinfo=UTC),
        datetime(2026, 10, 31, 23, tzinfo=UTC),
    ]


def test_trends_start_mid_bucket_and_cut_at_the_range(dst_store: DstStore) -> None:
    opened, _ = dst_store
    start = _local(date(2026, 3, 25), 10) + timedelta(minutes=30)
    end = _local(date(2026, 3, 26), 6)
    points = opened.trends(start, end, "day", BERLIN)
    assert [p.start for p in points] == [_local(date(2026, 3, 25)), _local(date(2026, 3, 26))]
    # 10:40 .. 23:40 is 40 polls; 00:00 .. 05:40 is 18.
    assert [p.samples for p in points] == [40, 18]


def test_trends_in_utc_by_default(dst_store: DstStore) -> None:
    opened, _ = dst_store
    start = datetime(2026, 3, 25, tzinfo=UTC)
    points = opened.trends(start, start + timedelta(days=2))
    assert [p.start for p in points] == [start, start + timedelta(days=1)]
    assert [p.samples for p in points] == [72, 72]


def test_trends_of_an_empty_range(store: HistoryStore) -> None:
    assert store.trends(T0, T0 + timedelta(days=1), "hour") == []
    store.save_poll(simple(T0), [])
    assert store.trends(T0 + POLL, T0 + timedelta(days=1), "hour") == []
    assert store.trends(T0, T0, "day") == []
    midnight = datetime(2026, 3, 15, tzinfo=UTC)
    assert store.trends(midnight, midnight, "day") == []
    assert store.trends(T0 + POLL, T0, "day") == []


@pytest.mark.parametrize("bucket", ["minute", "Day", "", "year"])
def test_trends_reject_an_unknown_bucket(store: HistoryStore, bucket: str) -> None:
    with pytest.raises(ValueError, match="bucket"):
        store.trends(T0, T0 + timedelta(days=1), bucket)


# -- events ------------------------------------------------------------------------------


@pytest.fixture
def event_store(store: HistoryStore) -> HistoryStore:
    """Twelve events an hour apart of rotating types and severities."""
    types = [EventType.POWER_CHANGE, EventType.SNR_CHANGE, EventType.ERROR_SPIKE]
    severities = list(Severity)
    store.save_events(
        [
            event(
                T0 + timedelta(hours=i),
                types[i % 3],
                severities[i % 3 if i % 2 else 0],
                f"event {i}",
                {"index": i, "nested": {"list": [1, 2.5, None, "x"]}, "ok": i % 2 == 0},
            )
            for i in range(12)
        ]
    )
    return store


def test_events_round_trip_newest_first(event_store: HistoryStore) -> None:
    got = event_store.events()
    assert [e.message for e in got] == [f"event {i}" for i in reversed(range(12))]
    last = got[0]
    assert last.ts == T0 + timedelta(hours=11)
    assert last.event_type == "error_spike"
    assert last.severity == "critical"
    assert last.details == {"index": 11, "nested": {"list": [1, 2.5, None, "x"]}, "ok": False}
    assert last.acknowledged is False
    assert last.is_demo is False


def test_events_filters(event_store: HistoryStore) -> None:
    def indexes(**filters: Any) -> list[int]:
        return [e.details["index"] for e in event_store.events(**filters)]

    assert indexes(start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=6)) == [5, 4, 3]
    assert indexes(start=T0 + timedelta(hours=10)) == [11, 10]
    assert indexes(end=T0 + timedelta(hours=2)) == [1, 0]
    assert indexes(severities=["critical"]) == [11, 5]
    assert indexes(severities=["warning", "critical"]) == [11, 7, 5, 1]
    assert indexes(event_types=[EventType.SNR_CHANGE]) == [10, 7, 4, 1]
    assert indexes(event_types=["snr_change"], severities=["warning"]) == [7, 1]
    assert indexes(severities=[]) == []
    assert indexes(limit=3) == [11, 10, 9]
    assert indexes(event_types=["power_change"], limit=2) == [9, 6]
    assert indexes(event_types=["no_such_type"]) == []


def test_events_at_the_same_time_newest_insert_first(store: HistoryStore) -> None:
    store.save_events([event(T0, message="first"), event(T0, message="second")])
    store.save_events([event(T0, message="third")])
    assert [e.message for e in store.events()] == ["third", "second", "first"]


def test_acknowledge_events(event_store: HistoryStore) -> None:
    ids = {e.details["index"]: e.id for e in event_store.events()}
    assert event_store.acknowledge_events([ids[1], ids[2], 99_999, -1]) == 2
    assert event_store.acknowledge_events([]) == 0
    assert event_store.acknowledge_events([123_456]) == 0
    acked = event_store.events(acknowledged=True)
    assert [e.details["index"] for e in acked] == [2, 1]
    assert all(e.acknowledged for e in acked)
    assert len(event_store.events(acknowledged=False)) == 10
    assert event_store.acknowledge_events(iter([ids[1]]), acknowledged=False) == 1
    assert [e.details["index"] for e in event_store.events(acknowledged=True)] == [2]
    both = event_store.events(acknowledged=False, severities=["info"], limit=2)
    assert [e.details["index"] for e in both] == [10, 9]


def test_save_poll_stores_its_events(store: HistoryStore) -> None:
    events = [
        event(T0, EventType.HEALTH_CHANGE, Severity.WARNING, "worse", {"from": "good"}),
        event(T0, EventType.MODULATION_CHANGE, Severity.CRITICAL, "qam"),
    ]
    store.save_poll(simple(T0), events, is_demo=True)
    got = store.events()
    assert [(e.event_type, e.severity, e.message) for e in got] == [
        ("modulation_change", "critical", "qam"),
        ("health_change", "warning", "worse"),
    ]
    assert all(e.is_demo for e in got)
    assert got[1].details == {"from": "good"}
    assert got[0].details == {}


# -- other tables ------------------------------------------------------------------------


def test_insert_rows_and_rows(store: HistoryStore) -> None:
    ids = store.insert_rows(
        "speedtest_results",
        [
            {"ts": "2026-03-15T12:00:00Z", "download_mbps": 950.5, "upload_mbps": 48.0},
            {"ts": "2026-03-15T13:00:00Z", "download_mbps": 20.0, "data": '{"a":1}'},
        ],
    )
    assert len(ids) == 2
    assert ids[0] < ids[1]
    rows = store.rows("speedtest_results")
    assert [row["id"] for row in rows] == ids
    assert rows[0]["download_mbps"] == 950.5
    assert rows[0]["data"] == "{}"
    assert rows[1]["data"] == '{"a":1}'
    assert rows[1]["upload_mbps"] is None
    assert rows[0]["is_demo"] == 0
    slow = store.rows("speedtest_results", where="download_mbps < ?", params=(100,))
    assert [row["id"] for row in slow] == [ids[1]]
    newest = store.rows("speedtest_results", order="ts DESC")
    assert [row["id"] for row in newest] == ids[::-1]
    demo = store.insert_rows(
        "bqm_graphs", [{"date": "2026-03-15", "image": b"\x89PNG"}], is_demo=True
    )
    assert store.rows("bqm_graphs")[0] == {
        "id": demo[0],
        "date": "2026-03-15",
        "sent_polls": None,
        "lost_polls": None,
        "latency_min_ms": None,
        "latency_avg_ms": None,
        "latency_max_ms": None,
        "samples": "[]",
        "image": b"\x89PNG",
        "is_demo": 1,
        "source": None,
    }
    assert store.insert_rows("incidents", []) == []


@pytest.mark.parametrize("table", ["snapshots", "events", "channel_plans", "nope", "sqlite_master"])
def test_insert_rows_rejects_a_table(store: HistoryStore, table: str) -> None:
    with pytest.raises(ValueError, match="table"):
        store.insert_rows(table, [{"id": 1}])


def test_insert_rows_rejects_unknown_columns_and_inserts_nothing(store: HistoryStore) -> None:
    rows = [
        {"ts": "2026-03-15T12:00:00Z", "download_mbps": 1.0},
        {"ts": "2026-03-15T13:00:00Z", "download_mbps) VALUES (1); DROP TABLE events; --": 1},
    ]
    with pytest.raises(ValueError, match="unknown columns"):
        store.insert_rows("speedtest_results", rows)
    for column in ("is_demo", "id", "nonsense"):
        with pytest.raises(ValueError, match="unknown columns"):
            store.insert_rows("incidents", [{"name": "x", column: 1}])
    assert store.counts() == dict.fromkeys(ALL_TABLES, 0)


def test_rows_rejects_an_unknown_table(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="unknown table"):
        store.rows("channel_plans")


def test_counts(store: HistoryStore) -> None:
    store.save_polls([(simple(T0), [event(T0), event(T0)]), (simple(T0 + POLL), [])])
    store.insert_rows("bnetz_measurements", [{"date": "2026-03-01"}])
    counts = store.counts()
    assert set(counts) == set(ALL_TABLES)
    expected = dict.fromkeys(ALL_TABLES, 0) | {"snapshots": 2, "events": 2}
    assert counts == expected | {"bnetz_measurements": 1}


# -- retention ---------------------------------------------------------------------------


STAMP = "2026-03-01T00:00:00Z"


def _fill_every_table(store: HistoryStore, *, is_demo: bool, old: date, new: date) -> None:
    """One old and one new row in every pruned table, user rows dated old."""
    for day in (old, new):
        at = datetime.combine(day, time(12), UTC)
        store.save_poll(simple(at), [event(at)], is_demo=is_demo)
        store.insert_rows(
            "speedtest_results", [{"ts": iso_z(at), "download_mbps": 100.0}], is_demo=is_demo
        )
        store.insert_rows("bqm_graphs", [{"date": day.isoformat()}], is_demo=is_demo)
        store.insert_rows("bnetz_measurements", [{"date": day.isoformat()}], is_demo=is_demo)
    (incident,) = store.insert_rows(
        "incidents",
        [
            {
                "name": "Outage",
                "start_date": old.isoformat(),
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        ],
        is_demo=is_demo,
    )
    (entry,) = store.insert_rows(
        "journal_entries",
        [
            {
                "date": old.isoformat(),
                "title": "Called the ISP",
                "incident_id": incident,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        ],
        is_demo=is_demo,
    )
    store.insert_rows(
        "journal_attachments",
        [
            {
                "entry_id": entry,
                "filename": "letter.pdf",
                "mime_type": "application/pdf",
                "data": b"%PDF-1.4",
                "created_at": STAMP,
            }
        ],
        is_demo=is_demo,
    )


def test_prune_removes_old_measurements_and_keeps_the_journal(store: HistoryStore) -> None:
    _fill_every_table(store, is_demo=False, old=date(2025, 1, 10), new=date(2026, 3, 10))
    before = datetime(2026, 1, 1, tzinfo=BERLIN)
    deleted = store.prune(before)
    assert deleted == dict.fromkeys(PRUNED_TABLES, 1)
    counts = store.counts()
    assert all(counts[table] == 1 for table in PRUNED_TABLES)
    assert all(counts[table] == 1 for table in USER_TABLES)
    assert [s.ts.date() for s in store.snapshots(datetime(2000, 1, 1, tzinfo=UTC), T0)] == [
        date(2026, 3, 10)
    ]
    assert store.rows("journal_entries")[0]["incident_id"] == store.rows("incidents")[0]["id"]
    assert store.prune(before) == dict.fromkeys(PRUNED_TABLES, 0)


def test_prune_cuts_at_the_instant_and_the_utc_date(store: HistoryStore) -> None:
    cut = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    store.save_polls((simple(cut + k * timedelta(seconds=1)), []) for k in (-2, -1, 0, 1))
    store.insert_rows("bqm_graphs", [{"date": "2026-03-14"}, {"date": "2026-03-15"}])
    deleted = store.prune(cut)
    assert deleted["snapshots"] == 2
    assert deleted["bqm_graphs"] == 1
    assert [s.ts for s in store.snapshots(cut - POLL, cut + POLL)] == [
        cut,
        cut + timedelta(seconds=1),
    ]
    assert [row["date"] for row in store.rows("bqm_graphs")] == ["2026-03-15"]


def test_purge_demo_keeps_what_the_user_created(store: HistoryStore) -> None:
    _fill_every_table(store, is_demo=True, old=date(2026, 1, 10), new=date(2026, 3, 10))
    _fill_every_table(store, is_demo=False, old=date(2026, 1, 11), new=date(2026, 3, 11))
    # A user journal entry that links a demo incident and has its own attachment.
    demo_incident = store.rows("incidents", where="is_demo = 1")[0]["id"]
    (entry,) = store.insert_rows(
        "journal_entries",
        [
            {
                "date": "2026-03-12",
                "title": "Mine",
                "incident_id": demo_incident,
                "created_at": STAMP,
                "updated_at": STAMP,
            }
        ],
    )
    store.insert_rows(
        "journal_attachments",
        [
            {
                "entry_id": entry,
                "filename": "a.png",
                "mime_type": "image/png",
                "data": b"png",
                "created_at": STAMP,
            }
        ],
    )
    deleted = store.purge_demo()
    assert deleted == {**dict.fromkeys(ALL_TABLES, 2), **dict.fromkeys(USER_TABLES, 1)}
    counts = store.counts()
    user = {"incidents": 1, "journal_entries": 2, "journal_attachments": 2}
    assert counts == dict.fromkeys(PRUNED_TABLES, 2) | user
    for table in ALL_TABLES:
        assert all(row["is_demo"] == 0 for row in store.rows(table))
    mine = store.rows("journal_entries", where="id = ?", params=(entry,))[0]
    assert mine["incident_id"] is None  # the demo incident is gone
    attachments = store.rows("journal_attachments", where="entry_id = ?", params=(entry,))
    assert [row["data"] for row in attachments] == [b"png"]
    assert store.snapshot_count(is_demo=True) == 0
    assert store.purge_demo() == dict.fromkeys(ALL_TABLES, 0)


def test_deleting_a_journal_entry_cascades_to_its_attachments(store: HistoryStore) -> None:
    (entry,) = store.insert_rows(
        "journal_entries",
        [{"date": "2026-03-12", "title": "x", "created_at": STAMP, "updated_at": STAMP}],
        is_demo=True,
    )
    store.insert_rows(
        "journal_attachments",
        [{"entry_id": entry, "filename": "f", "mime_type": "t", "data": b"", "created_at": STAMP}],
    )
    store.purge_demo()
    assert store.counts()["journal_attachments"] == 0


def test_an_attachment_needs_an_existing_entry(store: HistoryStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        store.insert_rows(
            "journal_attachments",
            [{"entry_id": 42, "filename": "f", "mime_type": "t", "data": b"", "created_at": STAMP}],
        )
    assert store.counts()["journal_attachments"] == 0


# -- transactions ------------------------------------------------------------------------


def _lookup_counts(path: Path) -> dict[str, int]:
    tables = ("snapshots", "events", "channel_plans", "modulations", "devices")
    return {table: row_count(path, table) for table in tables}


def test_a_failing_save_polls_leaves_no_partial_rows(store: HistoryStore, path: Path) -> None:
    store.save_poll(simple(T0), [event(T0)])
    before = _lookup_counts(path)
    unserialisable = event(T0, details={"when": object()})
    polls = [
        (rich_analysis(T0 + i * POLL, _device(firmware="new")), [event(T0)]) for i in range(1, 50)
    ]
    polls.append((rich_analysis(T0 + 50 * POLL), [unserialisable]))
    with pytest.raises(TypeError):
        store.save_polls(polls)
    assert _lookup_counts(path) == before
    assert store.integrity_check() == "ok"


def test_a_failing_save_poll_leaves_no_partial_rows(store: HistoryStore, path: Path) -> None:
    with pytest.raises(TypeError):
        store.save_poll(rich_analysis(), [event(T0), event(T0, details={"x": {1, 2}})])
    assert _lookup_counts(path) == dict.fromkeys(_lookup_counts(path), 0)


def test_a_failing_generator_leaves_no_partial_rows(store: HistoryStore, path: Path) -> None:
    def polls() -> Iterator[tuple[Analysis, list[Event]]]:
        for i in range(5):
            yield rich_analysis(T0 + i * POLL), [event(T0)]
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError, match="source failed"):
        store.save_polls(polls())
    assert set(_lookup_counts(path).values()) == {0}


def test_the_store_works_after_a_rolled_back_write(store: HistoryStore) -> None:
    # The rolled-back transaction created a channel plan, modulation labels and
    # a device; the store must not go on using their ids.
    failing = analysis([ds(1, modulation="1024QAM")], [us(7)], at=T0, device=DEVICE)
    with pytest.raises(TypeError):
        store.save_poll(failing, [event(T0, details={"bad": object()})])
    # A different plan whose new label takes the freed modulation id...
    other = analysis([ds(2, modulation="16QAM")], [], at=T0 + POLL)
    store.save_poll(other, [])
    # ...and the very poll that failed, now without the bad event.
    store.save_poll(failing, [])
    first, second = store.snapshot_at(T0), store.snapshot_at(T0 + POLL)
    assert first is not None
    assert second is not None
    assert first.reading() == failing.reading
    assert second.reading() == other.reading
    assert store.integrity_check() == "ok"


def test_too_many_modulation_labels(store: HistoryStore) -> None:
    labels = [ds(i, modulation=f"mod-{i}") for i in range(1, 256)]
    with pytest.raises(StoreError, match="modulation labels"):
        store.save_poll(analysis(labels), [])
    assert store.counts()["snapshots"] == 0
    few = analysis([ds(i, modulation=f"mod-{i}") for i in range(1, 11)], at=T0 + POLL)
    store.save_poll(few, [])
    stored = store.latest_snapshot()
    assert stored is not None
    assert stored.reading() == few.reading


def test_an_interrupted_write_raises_its_own_error(store: HistoryStore) -> None:
    # SQLite rolls an interrupted transaction back itself; the store must not
    # hide the interruption behind a failing ROLLBACK of its own.
    store.save_poll(simple(T0), [])
    calls = 0

    def interrupt_soon() -> int:
        nonlocal calls
        calls += 1
        return int(calls > 3)

    store._db.set_progress_handler(interrupt_soon, 100)
    try:
        with pytest.raises(sqlite3.OperationalError, match="interrupted"):
            store.save_polls((simple(T0 + i * POLL), [event(T0)]) for i in range(1, 3000))
    finally:
        store._db.set_progress_handler(None, 0)
    assert store.counts()["snapshots"] == 1
    assert store.counts()["events"] == 0
    store.save_poll(simple(T0 + POLL), [])
    assert store.snapshot_count() == 2


def test_writes_wait_for_no_one_else_mid_transaction(store: HistoryStore, path: Path) -> None:
    # Another connection sees either nothing of a save_polls or all of it.
    observer = sqlite3.connect(path)
    try:
        seen: list[int] = []

        def polls() -> Iterator[tuple[Analysis, list[Event]]]:
            for i in range(200):
                if i % 50 == 0:
                    seen.append(observer.execute("SELECT count(*) FROM snapshots").fetchone()[0])
                yield simple(T0 + i * POLL), []

        store.save_polls(polls())
        assert seen == [0, 0, 0, 0]
        assert observer.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 200
    finally:
        observer.close()


def test_integrity_check_after_everything(store: HistoryStore) -> None:
    _fill_every_table(store, is_demo=True, old=date(2025, 1, 1), new=date(2026, 3, 1))
    store.prune(datetime(2026, 1, 1, tzinfo=UTC))
    store.purge_demo()
    assert store.integrity_check() == "ok"


def test_state_round_trip_and_migration_from_schema_1(tmp_path: Path) -> None:
    """A schema-1 file (before the state table) is migrated in place, data kept."""
    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    for statement in storage._split_sql(storage._MIGRATIONS[1]):
        db.execute(statement)
    db.execute("INSERT INTO incidents (name, created_at, updated_at) VALUES ('kept', 'x', 'x')")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()

    store = HistoryStore.open(path)
    try:
        assert store.schema_version == storage.SCHEMA_VERSION
        assert [row["name"] for row in store.rows("incidents")] == ["kept"]
        assert store.load_state("missing") is None
        store.save_state({"a": {"b": [1, 2]}, "c": None})
        store.save_state({"a": 3})
        assert store.load_state("a") == 3
        assert store.load_state("c") is None
    finally:
        store.close()
