"""The integration's own history: one SQLite file per modem.

Home Assistant's recorder keeps the long-term statistics of our sensors; this
store keeps what the recorder cannot: every channel of every poll, every
event, and speed tests, BQM data, BNetzA measurements and the incident
journal.  This module owns the schema and the snapshot and event tables; the
modules of the other tables (sources, journal, backup) write their own SQL
through :meth:`HistoryStore.transaction` and :attr:`HistoryStore.connection`,
so that every table's rules live next to the code that knows them.

Design notes:

* A store object is confined to the thread that opened it (sqlite3's default
  ``check_same_thread``); the Home Assistant layer gives each entry one worker
  thread and calls the store only from there.
* WAL journal, ``synchronous=NORMAL``: a crash can lose at most the last
  transaction, never corrupt the file; every write is one transaction.
* Snapshots are compact (well under 1.5 KB): the summary goes in columns, so
  trends are plain SQL; the channels go in a packed blob of 14 bytes each,
  against a channel plan (ids, frequencies, families) stored once per plan.
* Times are stored as UTC ISO strings with a ``Z``; dates as ``YYYY-MM-DD``.
* Schema changes are forward migrations keyed by ``PRAGMA user_version``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
import json
from pathlib import Path
import sqlite3
import struct
from typing import Any

from .analyzer import Analysis, ChannelAnalysis, Health, LineHealth
from .events import Event
from .model import Channel, DeviceInfo, Direction, Family, Reading

SCHEMA_VERSION = 3

_LEVEL = {health: level for level, health in enumerate(Health)}
_LINE_LEVEL = {health: level for level, health in enumerate(LineHealth)}
_LINE_HEALTH = tuple(LineHealth)
_HEALTH = tuple(Health)

# The packed channel layout.  Public because the report reader slices whole
# periods of blobs at once instead of decoding snapshot by snapshot.
# Per channel: power and SNR in hundredths of a dB (int16, NONE16 = absent),
# modulation id (uint8, 255 = absent), flags (uint8), corrected and
# uncorrected codewords.  Counters are uint32, or uint64 in the rare snapshot
# whose counters outgrow 32 bits (blob format 2).
_CHANNEL_32_FORMAT = "hhBBII"
CHANNEL_32 = struct.Struct("<" + _CHANNEL_32_FORMAT)
CHANNEL_64 = struct.Struct("<hhBBQQ")
NONE16 = -32768
NO_MODULATION = 255
_NO_COUNT = 0xFFFFFFFF
_NO_COUNT_64 = 0xFFFFFFFFFFFFFFFF
_SQL_INT_MAX = 2**63 - 1
_FLAG_LOCKED_KNOWN = 1
_FLAG_LOCKED = 2
FLAG_HEALTH_SHIFT = 2  # two bits of channel health
# The flag bits by channel health, looked up when packing.
_HEALTH_FLAGS = {health: level << FLAG_HEALTH_SHIFT for health, level in _LEVEL.items()}
_CENTI_CACHE_MAX = 4096

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE channel_plans (
        id INTEGER PRIMARY KEY,
        plan TEXT NOT NULL UNIQUE
    );
    CREATE TABLE modulations (
        id INTEGER PRIMARY KEY,
        label TEXT NOT NULL UNIQUE
    );
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY,
        info TEXT NOT NULL UNIQUE
    );
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        health INTEGER NOT NULL,
        issues TEXT NOT NULL,
        ds_total INTEGER NOT NULL,
        us_total INTEGER NOT NULL,
        ds_power_min REAL, ds_power_max REAL, ds_power_avg REAL,
        ds_snr_min REAL, ds_snr_max REAL, ds_snr_avg REAL,
        us_power_min REAL, us_power_max REAL, us_power_avg REAL,
        ds_corrected INTEGER, ds_uncorrected INTEGER, ds_uncorr_pct REAL,
        uptime_seconds INTEGER,
        device_id INTEGER REFERENCES devices(id),
        plan_id INTEGER NOT NULL REFERENCES channel_plans(id),
        channels BLOB NOT NULL,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX snapshots_ts ON snapshots(ts);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        event_type TEXT NOT NULL,
        severity TEXT NOT NULL,
        message TEXT NOT NULL,
        details TEXT NOT NULL,
        acknowledged INTEGER NOT NULL DEFAULT 0,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX events_ts ON events(ts);
    CREATE TABLE speedtest_results (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        source_id TEXT,
        download_mbps REAL, upload_mbps REAL,
        ping_ms REAL, jitter_ms REAL, packet_loss_pct REAL,
        server_name TEXT, isp TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX speedtest_results_ts ON speedtest_results(ts);
    CREATE TABLE bqm_graphs (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,
        sent_polls INTEGER, lost_polls INTEGER,
        latency_min_ms REAL, latency_avg_ms REAL, latency_max_ms REAL,
        samples TEXT NOT NULL DEFAULT '[]',
        image BLOB,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX bqm_graphs_date ON bqm_graphs(date);
    CREATE TABLE bnetz_measurements (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,
        ts TEXT,
        provider TEXT, tariff TEXT,
        download_max REAL, download_normal REAL, download_min REAL,
        upload_max REAL, upload_normal REAL, upload_min REAL,
        download_measured_avg REAL, upload_measured_avg REAL,
        measurement_count INTEGER,
        verdict_download TEXT, verdict_upload TEXT,
        measurements TEXT NOT NULL DEFAULT '[]',
        pdf BLOB,
        source TEXT,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE incidents (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'open',
        start_date TEXT, end_date TEXT,
        icon TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE journal_entries (
        id INTEGER PRIMARY KEY,
        date TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        icon TEXT,
        incident_id INTEGER REFERENCES incidents(id) ON DELETE SET NULL,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX journal_entries_date ON journal_entries(date);
    CREATE TABLE journal_attachments (
        id INTEGER PRIMARY KEY,
        entry_id INTEGER NOT NULL REFERENCES journal_entries(id) ON DELETE CASCADE,
        filename TEXT NOT NULL,
        mime_type TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at TEXT NOT NULL,
        is_demo INTEGER NOT NULL DEFAULT 0
    );
    """,
    # What a poller must remember across restarts (the error-counter baseline),
    # written in the same transaction as the poll it belongs to.
    2: """
    CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # External sources: which configured source a row came from (NULL for demo
    # rows), so that a re-read never stores a result twice.  Speed tests are
    # keyed by their id *and* time: a Speedtest Tracker whose ids were reset
    # hands out old ids again for new results.
    3: """
    ALTER TABLE speedtest_results ADD COLUMN source TEXT;
    CREATE UNIQUE INDEX speedtest_results_source
        ON speedtest_results(source, source_id, ts);
    ALTER TABLE bqm_graphs ADD COLUMN source TEXT;
    CREATE UNIQUE INDEX bqm_graphs_source_date ON bqm_graphs(source, date);
    """,
}

# Tables whose rows a user creates; retention never prunes them.
USER_TABLES = ("incidents", "journal_entries", "journal_attachments")
# Tables with a time column that retention prunes, and that column.
PRUNED_TABLES = {
    "snapshots": "ts",
    "events": "ts",
    "speedtest_results": "ts",
    "bqm_graphs": "date",
    "bnetz_measurements": "date",
}
ALL_TABLES = (*PRUNED_TABLES, *USER_TABLES)


def iso_z(when: datetime) -> str:
    """Format a time the way the store keeps it: UTC, seconds, a Z."""
    if when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    if when.year >= 1000:  # isoformat pads years to 4 digits, strftime does not
        # Twice as fast as strftime, and this runs for every snapshot and event.
        return when.isoformat(timespec="seconds")[:19] + "Z"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_z(text: str) -> datetime:
    """Parse a stored time."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


class StoreError(Exception):
    """The history database cannot be used (corrupt, newer schema, unwritable)."""


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """One stored poll without its channels: what lists and trends need."""

    id: int
    ts: datetime
    health: LineHealth
    issues: tuple[str, ...]
    ds_total: int
    us_total: int
    ds_power_avg: float | None
    ds_snr_min: float | None
    us_power_avg: float | None
    ds_uncorr_pct: float | None
    is_demo: bool


@dataclass(frozen=True, slots=True)
class StoredChannel:
    """A channel as stored: its reading and the grade it had then."""

    channel: Channel
    health: Health


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One stored poll with every channel."""

    summary: SnapshotSummary
    device: DeviceInfo
    downstream: tuple[StoredChannel, ...]
    upstream: tuple[StoredChannel, ...]

    def reading(self) -> Reading:
        """Return the stored channels as a reading, for re-analysis or export."""
        return Reading(
            read_at=self.summary.ts,
            device=self.device,
            downstream=tuple(item.channel for item in self.downstream),
            upstream=tuple(item.channel for item in self.upstream),
        )


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event row."""

    id: int
    ts: datetime
    event_type: str
    severity: str
    message: str
    details: dict[str, Any]
    acknowledged: bool
    is_demo: bool


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """Aggregates of the summary values over one time bucket."""

    start: datetime
    samples: int
    ds_power_avg: float | None
    ds_power_min: float | None
    ds_power_max: float | None
    ds_snr_avg: float | None
    ds_snr_min: float | None
    us_power_avg: float | None
    us_power_min: float | None
    us_power_max: float | None
    ds_uncorr_pct_max: float | None
    health_counts: dict[str, int]
    worst_health: LineHealth


TREND_BUCKETS = ("hour", "day", "week", "month")


class HistoryStore:
    """A modem's history database.  Not thread-safe: use it from one thread."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        """Wrap an open, migrated connection; use :meth:`open`."""
        self._db = connection
        self.path = path
        self._plan_keys: dict[tuple[tuple[Any, ...], ...], int] = {}
        self._plan_rows: dict[
            int, list[tuple[Direction, Family, int, int | None, int | None, float | None]]
        ] = {}
        self._modulation_ids: dict[str, int] = {}
        self._modulation_labels: dict[int, str] = {}
        self._device_keys: dict[tuple[Any, ...], int] = {}
        self._device_rows: dict[int, DeviceInfo] = {}
        # Level in dB -> hundredths: round() is the slow part of packing, and
        # a line reports few distinct levels (one decimal, a narrow range).
        self._centi_cache: dict[float, int] = {}
        for row_id, label in self._db.execute("SELECT id, label FROM modulations"):
            self._modulation_ids[label] = row_id
            self._modulation_labels[row_id] = label

    # -- opening and closing ------------------------------------------------

    @classmethod
    def open(cls, path: Path | str) -> HistoryStore:
        """Open (creating if needed) and migrate the database at ``path``.

        ``":memory:"`` gives a private in-memory store.  Raises StoreError for
        a file that is not a usable database or has a newer schema.
        """
        memory = str(path) == ":memory:"
        file_path = None if memory else Path(path)
        if file_path is not None:
            file_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = sqlite3.connect(str(path), isolation_level=None)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot open history database {path}: {err}") from err
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            if not memory:
                connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            _migrate(connection)
        except sqlite3.DatabaseError as err:
            connection.close()
            raise StoreError(f"cannot open history database {path}: {err}") from err
        except BaseException:
            connection.close()
            raise
        return cls(connection, file_path)

    def close(self) -> None:
        """Checkpoint the WAL into the main file and close."""
        if self.path is not None:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._db.close()

    def checkpoint(self) -> None:
        """Fold the WAL into the main file (before a file-level backup)."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def integrity_check(self) -> str:
        """Return SQLite's integrity verdict ("ok" when healthy)."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    @property
    def schema_version(self) -> int:
        """Return the schema version of the open database."""
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db, self._forget_ids)

    def transaction(self) -> _Transaction:
        """Return a context manager for one write transaction (BEGIN IMMEDIATE ... COMMIT).

        Any exception rolls everything back, so a caller's import, restore or
        edit either lands whole or not at all.
        """
        return self._transaction()

    @property
    def connection(self) -> sqlite3.Connection:
        """Return the open connection, for the modules that own the other tables.

        Same thread rule as the store: use it only from the store's thread.
        """
        return self._db

    def _forget_ids(self) -> None:
        """Drop cached row ids after a rollback: the rows they name may be gone."""
        self._plan_keys.clear()
        self._device_keys.clear()
        self._modulation_ids.clear()
        self._modulation_labels.clear()
        for row_id, label in self._db.execute("SELECT id, label FROM modulations"):
            self._modulation_ids[label] = row_id
            self._modulation_labels[row_id] = label

    # -- writing polls --------------------------------------------------------

    def save_poll(
        self,
        analysis: Analysis,
        events: Sequence[Event],
        *,
        is_demo: bool = False,
        state: Mapping[str, Any] | None = None,
    ) -> int:
        """Store one poll's snapshot, its events and the poller's state in one transaction.

        Returns the snapshot id.  ``state`` maps keys to JSON-able values (see
        :meth:`load_state`); writing it with the poll keeps the two consistent.
        """
        with self._transaction():
            snapshot_id = self._insert_snapshot(analysis, is_demo)
            self._insert_events(events, is_demo)
            if state:
                self._put_state(state, analysis.read_at)
        return snapshot_id

    def save_state(self, state: Mapping[str, Any]) -> None:
        """Store poller state outside a poll."""
        with self._transaction():
            self._put_state(state, datetime.now(UTC))

    def load_state(self, key: str) -> Any:
        """Return the value stored under ``key``, or None."""
        row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _put_state(self, state: Mapping[str, Any], when: datetime) -> None:
        self._db.executemany(
            "INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            [
                (key, json.dumps(value, separators=(",", ":")), iso_z(when))
                for key, value in state.items()
            ],
        )

    def save_polls(
        self, polls: Iterable[tuple[Analysis, Sequence[Event]]], *, is_demo: bool = False
    ) -> int:
        """Store many polls in one transaction (history import, demo seeding)."""
        count = 0
        with self._transaction():
            rows = []
            event_rows: list[tuple[Any, ...]] = []
            for analysis, events in polls:
                rows.append(self._snapshot_row(analysis, is_demo))
                event_rows.extend(_event_row(event, is_demo) for event in events)
                count += 1
            self._db.executemany(_INSERT_SNAPSHOT, rows)
            self._db.executemany(_INSERT_EVENT, event_rows)
        return count

    def save_events(self, events: Sequence[Event], *, is_demo: bool = False) -> None:
        """Store events that belong to no poll."""
        with self._transaction():
            self._insert_events(events, is_demo)

    def _insert_snapshot(self, analysis: Analysis, is_demo: bool) -> int:
        cursor = self._db.execute(_INSERT_SNAPSHOT, self._snapshot_row(analysis, is_demo))
        return int(cursor.lastrowid or 0)

    def _insert_events(self, events: Sequence[Event], is_demo: bool) -> None:
        if events:
            self._db.executemany(_INSERT_EVENT, [_event_row(event, is_demo) for event in events])

    def _snapshot_row(self, analysis: Analysis, is_demo: bool) -> tuple[Any, ...]:
        summary = analysis.summary
        reading = analysis.reading
        items = (*analysis.downstream, *analysis.upstream)
        plan_id = self._plan_id(items)
        return (
            iso_z(reading.read_at),
            _LINE_LEVEL[summary.health],
            ",".join(summary.issues),
            summary.ds_total,
            summary.us_total,
            summary.ds_power_min,
            summary.ds_power_max,
            summary.ds_power_avg,
            summary.ds_snr_min,
            summary.ds_snr_max,
            summary.ds_snr_avg,
            summary.us_power_min,
            summary.us_power_max,
            summary.us_power_avg,
            _sql_int(summary.ds_correctable_errors),
            _sql_int(summary.ds_uncorrectable_errors),
            summary.ds_uncorr_pct,
            reading.device.uptime_seconds,
            self._device_id(reading.device),
            plan_id,
            self._pack_channels(items),
            int(is_demo),
        )

    def _plan_id(self, items: Sequence[ChannelAnalysis]) -> int:
        # The in-memory key is a tuple (cheap to build every poll); JSON only
        # when a plan is new to this process.
        key = tuple(
            [
                (
                    c.direction,
                    c.family,
                    c.channel_id,
                    c.frequency_hz,
                    c.frequency_end_hz,
                    c.symbol_rate_ksym,
                )
                for item in items
                for c in (item.channel,)
            ]
        )
        plan_id = self._plan_keys.get(key)
        if plan_id is None:
            text = json.dumps(
                [[d.value, f.value, i, fr, fe, sr] for d, f, i, fr, fe, sr in key],
                separators=(",", ":"),
            )
            row = self._db.execute(
                "SELECT id FROM channel_plans WHERE plan = ?", (text,)
            ).fetchone()
            if row is None:
                row = (
                    self._db.execute(
                        "INSERT INTO channel_plans (plan) VALUES (?)", (text,)
                    ).lastrowid,
                )
            plan_id = int(row[0])
            self._plan_keys[key] = plan_id
        return plan_id

    def _modulation_id(self, label: str | None) -> int:
        if label is None:
            return NO_MODULATION
        row_id = self._modulation_ids.get(label)
        if row_id is None:
            found = self._db.execute(
                "SELECT id FROM modulations WHERE label = ?", (label,)
            ).fetchone()
            row_id = int(
                found[0]
                if found
                else self._db.execute(
                    "INSERT INTO modulations (label) VALUES (?)", (label,)
                ).lastrowid
                or 0
            )
            if row_id >= NO_MODULATION:
                raise StoreError("too many distinct modulation labels")
            self._modulation_ids[label] = row_id
            self._modulation_labels[row_id] = label
        return row_id

    def _device_id(self, device: DeviceInfo) -> int:
        # Everything but the uptime, which has a column of its own.
        key = (
            device.manufacturer,
            device.model,
            device.firmware,
            device.serial,
            device.mac,
            device.wan_ipv4,
            device.wan_ipv6,
            device.docsis_version,
            device.downstream_kbps,
            device.upstream_kbps,
        )
        device_id = self._device_keys.get(key)
        if device_id is None:
            info = {**_device_dict(device)}
            info.pop("uptime_seconds")
            text = json.dumps(info, separators=(",", ":"), sort_keys=True)
            row = self._db.execute("SELECT id FROM devices WHERE info = ?", (text,)).fetchone()
            if row is None:
                row = (
                    self._db.execute("INSERT INTO devices (info) VALUES (?)", (text,)).lastrowid,
                )
            device_id = int(row[0])
            self._device_keys[key] = device_id
        return device_id

    def _pack_channels(self, items: Sequence[ChannelAnalysis]) -> bytes:
        """Pack every channel's values with one struct call (this runs every poll)."""
        values: list[int] = []
        extend = values.extend
        modulation_ids = self._modulation_ids
        centi = self._centi_cache.get
        health_flags = _HEALTH_FLAGS
        locked_yes, locked_no = _FLAG_LOCKED_KNOWN | _FLAG_LOCKED, _FLAG_LOCKED_KNOWN
        wide = False
        for item in items:
            c = item.channel
            power, snr, modulation, locked = c.power_dbmv, c.snr_db, c.modulation, c.locked
            corrected, uncorrected = c.corrected, c.uncorrected
            if _NO_COUNT in (corrected, uncorrected):
                wide = True  # a real count that would read back as "absent" in 32 bits
            if power is None:
                power_centi = NONE16
            elif (power_centi := centi(power)) is None:  # type: ignore[assignment]
                power_centi = self._centi(power)
            if snr is None:
                snr_centi = NONE16
            elif (snr_centi := centi(snr)) is None:  # type: ignore[assignment]
                snr_centi = self._centi(snr)
            flags = health_flags[item.health]
            if locked is not None:
                flags |= locked_yes if locked else locked_no
            extend(
                (
                    power_centi,
                    snr_centi,
                    NO_MODULATION
                    if modulation is None
                    else modulation_ids.get(modulation) or self._modulation_id(modulation),
                    flags,
                    _NO_COUNT if corrected is None else corrected,
                    _NO_COUNT if uncorrected is None else uncorrected,
                )
            )
        count = len(items)
        if not wide:
            try:
                return b"\x01" + struct.pack("<" + _CHANNEL_32_FORMAT * count, *values)
            except struct.error:
                pass
        # A counter past 32 bits, or a level beyond +-327 dB from a broken
        # source: the wide format, with levels clamped to int16.
        for index, item in enumerate(items):
            base = index * 6
            values[base] = _clamp16(values[base])
            values[base + 1] = _clamp16(values[base + 1])
            if item.channel.corrected is None:
                values[base + 4] = _NO_COUNT_64
            if item.channel.uncorrected is None:
                values[base + 5] = _NO_COUNT_64
        return b"\x02" + struct.pack("<" + "hhBBQQ" * count, *values)

    def _centi(self, value: float) -> int:
        """Return round(value * 100), remembering it (NaN and infinity raise, as round does)."""
        result = round(value * 100)
        cache = self._centi_cache
        if len(cache) >= _CENTI_CACHE_MAX:
            cache.clear()
        cache[value] = result
        return result

    # -- reading snapshots ------------------------------------------------------

    def snapshot_count(self, *, is_demo: bool | None = None) -> int:
        """Return how many snapshots are stored (optionally only demo or only real ones)."""
        if is_demo is None:
            return int(self._db.execute("SELECT count(*) FROM snapshots").fetchone()[0])
        return int(
            self._db.execute(
                "SELECT count(*) FROM snapshots WHERE is_demo = ?", (int(is_demo),)
            ).fetchone()[0]
        )

    def snapshots(
        self, start: datetime, end: datetime, *, limit: int = 1000
    ) -> list[SnapshotSummary]:
        """Return the snapshots in [start, end), oldest first, at most ``limit``."""
        rows = self._db.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM snapshots WHERE ts >= ? AND ts < ? ORDER BY ts LIMIT ?",
            (iso_z(start), iso_z(end), limit),
        )
        return [_summary(row) for row in rows]

    def snapshot_at(self, when: datetime) -> StoredSnapshot | None:
        """Return the last snapshot taken at or before ``when``, with its channels."""
        row = self._db.execute(
            f"SELECT {_SUMMARY_COLUMNS}, device_id, plan_id, channels, uptime_seconds "
            "FROM snapshots WHERE ts <= ? ORDER BY ts DESC LIMIT 1",
            (iso_z(when),),
        ).fetchone()
        return None if row is None else self._stored(row)

    def latest_snapshot(self) -> StoredSnapshot | None:
        """Return the newest snapshot."""
        row = self._db.execute(
            f"SELECT {_SUMMARY_COLUMNS}, device_id, plan_id, channels, uptime_seconds "
            "FROM snapshots ORDER BY ts DESC LIMIT 1"
        ).fetchone()
        return None if row is None else self._stored(row)

    def _stored(self, row: Sequence[Any]) -> StoredSnapshot:
        summary = _summary(row[: len(_SUMMARY_FIELDS)])
        device_id, plan_id, blob, uptime = row[len(_SUMMARY_FIELDS) :]
        device = self._device(device_id, uptime)
        plan = self._plan(plan_id)
        wide = blob[:1] == b"\x02"
        unpacker, none_count = (CHANNEL_64, _NO_COUNT_64) if wide else (CHANNEL_32, _NO_COUNT)
        downstream: list[StoredChannel] = []
        upstream: list[StoredChannel] = []
        for spec, values in zip(plan, unpacker.iter_unpack(blob[1:]), strict=True):
            direction, family, channel_id, frequency, frequency_end, symbol_rate = spec
            power, snr, modulation, flags, corrected, uncorrected = values
            channel = Channel(
                direction=direction,
                family=family,
                channel_id=channel_id,
                frequency_hz=frequency,
                frequency_end_hz=frequency_end,
                power_dbmv=None if power == NONE16 else power / 100,
                snr_db=None if snr == NONE16 else snr / 100,
                modulation=self._modulation_labels.get(modulation),
                corrected=None if corrected == none_count else corrected,
                uncorrected=None if uncorrected == none_count else uncorrected,
                locked=bool(flags & _FLAG_LOCKED) if flags & _FLAG_LOCKED_KNOWN else None,
                symbol_rate_ksym=symbol_rate,
            )
            stored = StoredChannel(channel, _HEALTH[(flags >> FLAG_HEALTH_SHIFT) & 3])
            (downstream if direction is Direction.DOWNSTREAM else upstream).append(stored)
        return StoredSnapshot(summary, device, tuple(downstream), tuple(upstream))

    def _plan(
        self, plan_id: int
    ) -> list[tuple[Direction, Family, int, int | None, int | None, float | None]]:
        plan = self._plan_rows.get(plan_id)
        if plan is None:
            (text,) = self._db.execute(
                "SELECT plan FROM channel_plans WHERE id = ?", (plan_id,)
            ).fetchone()
            plan = [
                (Direction(d), Family(f), int(i), fr, fe, sr)
                for d, f, i, fr, fe, sr in json.loads(text)
            ]
            self._plan_rows[plan_id] = plan
        return plan

    def _device(self, device_id: int | None, uptime: int | None) -> DeviceInfo:
        if device_id is None:
            return DeviceInfo(uptime_seconds=uptime)
        device = self._device_rows.get(device_id)
        if device is None:
            (text,) = self._db.execute(
                "SELECT info FROM devices WHERE id = ?", (device_id,)
            ).fetchone()
            device = DeviceInfo(**json.loads(text))
            self._device_rows[device_id] = device
        return DeviceInfo(**{**_device_dict(device), "uptime_seconds": uptime})

    # -- trends -----------------------------------------------------------------

    def trends(
        self,
        start: datetime,
        end: datetime,
        bucket: str = "day",
        time_zone: tzinfo = UTC,
    ) -> list[TrendPoint]:
        """Aggregate the summary values over [start, end) in hour/day/week/month buckets.

        Buckets follow the calendar of ``time_zone`` (a local day is 23 or 25
        hours on a daylight-saving change), so the edges are computed here and
        the rows bucketed in one pass over an index range scan.
        """
        if bucket not in TREND_BUCKETS:
            raise ValueError(f"bucket must be one of {', '.join(TREND_BUCKETS)}")
        edges = _bucket_edges(start, end, bucket, time_zone)
        if not edges:
            return []
        edge_keys = [iso_z(edge) for edge in edges]
        rows = self._db.execute(
            "SELECT ts, health, ds_power_avg, ds_power_min, ds_power_max, ds_snr_avg, ds_snr_min,"
            " us_power_avg, us_power_min, us_power_max, ds_uncorr_pct"
            " FROM snapshots WHERE ts >= ? AND ts < ? ORDER BY ts",
            (iso_z(start), iso_z(end)),
        )
        accumulators: dict[int, _TrendAcc] = {}
        for row in rows:
            index = bisect_right(edge_keys, row[0]) - 1
            acc = accumulators.get(index)
            if acc is None:
                acc = accumulators[index] = _TrendAcc()
            acc.add(row)
        return [accumulators[index].point(edges[index]) for index in sorted(accumulators)]

    # -- events ---------------------------------------------------------------

    def events(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        severities: Iterable[str] | None = None,
        event_types: Iterable[str] | None = None,
        acknowledged: bool | None = None,
        limit: int = 500,
    ) -> list[StoredEvent]:
        """Return events, newest first, filtered by time, severity, type and acknowledgement."""
        clauses: list[str] = []
        params: list[Any] = []
        if start is not None:
            clauses.append("ts >= ?")
            params.append(iso_z(start))
        if end is not None:
            clauses.append("ts < ?")
            params.append(iso_z(end))
        for column, wanted in (("severity", severities), ("event_type", event_types)):
            if wanted is not None:
                chosen = list(wanted)
                clauses.append(f"{column} IN ({','.join('?' * len(chosen))})")
                params.extend(chosen)
        if acknowledged is not None:
            clauses.append("acknowledged = ?")
            params.append(int(acknowledged))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        params.append(limit)
        rows = self._db.execute(
            "SELECT id, ts, event_type, severity, message, details, acknowledged, is_demo"
            f" FROM events {where} ORDER BY ts DESC, id DESC LIMIT ?",
            params,
        )
        return [
            StoredEvent(
                id=row[0],
                ts=parse_z(row[1]),
                event_type=row[2],
                severity=row[3],
                message=row[4],
                details=json.loads(row[5]),
                acknowledged=bool(row[6]),
                is_demo=bool(row[7]),
            )
            for row in rows
        ]

    def acknowledge_events(self, ids: Iterable[int], acknowledged: bool = True) -> int:
        """Mark events (un)acknowledged; return how many exist among ``ids``."""
        ids = list(ids)
        if not ids:
            return 0
        with self._transaction():
            cursor = self._db.execute(
                f"UPDATE events SET acknowledged = ? WHERE id IN ({','.join('?' * len(ids))})",
                [int(acknowledged), *ids],
            )
        return cursor.rowcount

    # -- other sources (filled by the demo seeder now, by their sources later) --

    def insert_rows(
        self, table: str, rows: Sequence[dict[str, Any]], *, is_demo: bool = False
    ) -> list[int]:
        """Insert rows into one of the source or journal tables; return their ids.

        Column names come from the caller's dicts and are checked against the
        table, never interpolated unchecked.
        """
        if table not in ALL_TABLES or table in ("snapshots", "events"):
            raise ValueError(f"not an insertable table: {table}")
        columns = self._columns(table)
        ids = []
        with self._transaction():
            for row in rows:
                unknown = set(row) - columns
                if unknown:
                    raise ValueError(f"unknown columns for {table}: {sorted(unknown)}")
                names = [*row, "is_demo"]
                cursor = self._db.execute(
                    f"INSERT INTO {table} ({', '.join(names)})"
                    f" VALUES ({', '.join('?' * len(names))})",
                    [*row.values(), int(is_demo)],
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def rows(
        self, table: str, *, where: str = "", params: Sequence[Any] = (), order: str = "id"
    ) -> list[dict[str, Any]]:
        """Return rows of a table as dicts (``where``/``order`` are trusted SQL fragments)."""
        if table not in ALL_TABLES:
            raise ValueError(f"unknown table: {table}")
        cursor = self._db.execute(
            f"SELECT * FROM {table} {'WHERE ' + where if where else ''} ORDER BY {order}", params
        )
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _columns(self, table: str) -> set[str]:
        return {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")} - {
            "id",
            "is_demo",
        }

    # -- housekeeping -----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Return the row count of every table."""
        return {
            table: int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ALL_TABLES
        }

    def prune(self, before: datetime) -> dict[str, int]:
        """Delete measured data older than ``before``; the journal and incidents stay."""
        deleted: dict[str, int] = {}
        cutoff_time = iso_z(before)
        cutoff_date = before.astimezone(UTC).date().isoformat()
        with self._transaction():
            for table, column in PRUNED_TABLES.items():
                cutoff = cutoff_date if column == "date" else cutoff_time
                cursor = self._db.execute(f"DELETE FROM {table} WHERE {column} < ?", (cutoff,))
                deleted[table] = cursor.rowcount
        return deleted

    def purge_demo(self) -> dict[str, int]:
        """Delete every demo row, keeping what the user created."""
        deleted: dict[str, int] = {}
        with self._transaction():
            for table in reversed(ALL_TABLES):
                cursor = self._db.execute(f"DELETE FROM {table} WHERE is_demo = 1")
                deleted[table] = cursor.rowcount
        return deleted

    def execute_script(self, sql: str) -> None:
        """Run trusted SQL (tests and migrations of later schema versions)."""
        self._db.executescript(sql)


# ---------------------------------------------------------------------------

_INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (ts, health, issues, ds_total, us_total,"
    " ds_power_min, ds_power_max, ds_power_avg, ds_snr_min, ds_snr_max, ds_snr_avg,"
    " us_power_min, us_power_max, us_power_avg, ds_corrected, ds_uncorrected, ds_uncorr_pct,"
    " uptime_seconds, device_id, plan_id, channels, is_demo)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = (
    "INSERT INTO events (ts, event_type, severity, message, details, is_demo)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
_SUMMARY_FIELDS = (
    "id",
    "ts",
    "health",
    "issues",
    "ds_total",
    "us_total",
    "ds_power_avg",
    "ds_snr_min",
    "us_power_avg",
    "ds_uncorr_pct",
    "is_demo",
)
_SUMMARY_COLUMNS = ", ".join(_SUMMARY_FIELDS)


def _summary(row: Sequence[Any]) -> SnapshotSummary:
    return SnapshotSummary(
        id=row[0],
        ts=parse_z(row[1]),
        health=_LINE_HEALTH[row[2]],
        issues=tuple(row[3].split(",")) if row[3] else (),
        ds_total=row[4],
        us_total=row[5],
        ds_power_avg=row[6],
        ds_snr_min=row[7],
        us_power_avg=row[8],
        ds_uncorr_pct=row[9],
        is_demo=bool(row[10]),
    )


def _event_row(event: Event, is_demo: bool) -> tuple[Any, ...]:
    return (
        iso_z(event.timestamp),
        event.event_type.value,
        event.severity.value,
        event.message,
        json.dumps(event.details, separators=(",", ":")),
        int(is_demo),
    )


def _sql_int(value: int | None) -> int | None:
    """Cap a counter sum at SQLite's largest integer (64-bit channel counters add up)."""
    return value if value is None or value <= _SQL_INT_MAX else _SQL_INT_MAX


def _clamp16(value: int) -> int:
    return value if value == NONE16 else max(-32767, min(32767, value))


def _device_dict(device: DeviceInfo) -> dict[str, Any]:
    return {name: getattr(device, name) for name in device.__slots__}


class _TrendAcc:
    """Running aggregates of one trend bucket."""

    __slots__ = ("counts", "health", "maxima", "minima", "samples", "sums")

    # Column positions in the trend query (after ts and health).
    _AVG = (2, 5, 7)  # ds_power_avg, ds_snr_avg, us_power_avg
    _MIN = (3, 6, 8)  # ds_power_min, ds_snr_min, us_power_min
    _MAX = (4, 9, 10)  # ds_power_max, us_power_max, ds_uncorr_pct

    def __init__(self) -> None:
        self.samples = 0
        self.health = [0, 0, 0, 0]
        self.sums = [0.0, 0.0, 0.0]
        self.counts = [0, 0, 0]
        self.minima: list[float | None] = [None, None, None]
        self.maxima: list[float | None] = [None, None, None]

    def add(self, row: Sequence[Any]) -> None:
        self.samples += 1
        self.health[row[1]] += 1
        for slot, column in enumerate(self._AVG):
            value = row[column]
            if value is not None:
                self.sums[slot] += value
                self.counts[slot] += 1
        for slot, column in enumerate(self._MIN):
            value = row[column]
            current = self.minima[slot]
            if value is not None and (current is None or value < current):
                self.minima[slot] = value
        for slot, column in enumerate(self._MAX):
            value = row[column]
            current = self.maxima[slot]
            if value is not None and (current is None or value > current):
                self.maxima[slot] = value

    def point(self, start: datetime) -> TrendPoint:
        def mean(slot: int) -> float | None:
            return round(self.sums[slot] / self.counts[slot], 2) if self.counts[slot] else None

        worst = max((level for level, count in enumerate(self.health) if count), default=0)
        return TrendPoint(
            start=start,
            samples=self.samples,
            ds_power_avg=mean(0),
            ds_power_min=self.minima[0],
            ds_power_max=self.maxima[0],
            ds_snr_avg=mean(1),
            ds_snr_min=self.minima[1],
            us_power_avg=mean(2),
            us_power_min=self.minima[2],
            us_power_max=self.maxima[1],
            ds_uncorr_pct_max=self.maxima[2],
            health_counts={
                _LINE_HEALTH[level].value: count for level, count in enumerate(self.health) if count
            },
            worst_health=_LINE_HEALTH[worst],
        )


def _bucket_edges(start: datetime, end: datetime, bucket: str, zone: tzinfo) -> list[datetime]:
    """Return the UTC start of every bucket that overlaps [start, end)."""
    local = start.astimezone(zone)
    if bucket == "hour":
        first = local.replace(minute=0, second=0, microsecond=0)
    else:
        first = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if bucket == "week":
            first -= timedelta(days=first.weekday())
        elif bucket == "month":
            first = first.replace(day=1)
    step: Callable[[datetime], datetime]
    if bucket == "hour":
        # Hours step in UTC so that a repeated local hour is its own bucket.
        def step(edge: datetime) -> datetime:
            return (edge.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)
    elif bucket == "month":

        def step(edge: datetime) -> datetime:
            year, month = (edge.year + 1, 1) if edge.month == 12 else (edge.year, edge.month + 1)
            return _local_midnight(date(year, month, 1), zone)
    else:
        days = 7 if bucket == "week" else 1

        def step(edge: datetime) -> datetime:
            return _local_midnight(edge.date() + timedelta(days=days), zone)

    if bucket != "hour":
        first = _local_midnight(first.date(), zone)
    edges = []
    edge = first
    # Compare in UTC: two datetimes of the same zone compare by wall clock,
    # which is ambiguous in the repeated hour of a daylight-saving change.
    while (edge_utc := edge.astimezone(UTC)) < end:
        edges.append(edge_utc)
        edge = step(edge)
    return edges


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection, on_rollback: Callable[[], None]) -> None:
        self._db = db
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
            return
        # SQLite has already rolled back after some errors (interrupt, disk
        # full); a second ROLLBACK would hide the original exception.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        self._on_rollback()


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION, one version per transaction."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"history database has schema {version}, newer than this version ({SCHEMA_VERSION})"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(_MIGRATIONS[target]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (they contain no semicolons in strings)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]
