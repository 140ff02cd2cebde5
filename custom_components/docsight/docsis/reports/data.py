"""Gather everything a report needs about one period, in a handful of queries.

A 30-day report covers 2,880 to 8,640 snapshots of 30 channels each.  Reading
them back one :class:`~..storage.StoredSnapshot` at a time (30 channel objects
each) would take longer than the whole report may, so the summary figures
come from SQL aggregates over the snapshot columns, and the per-channel
figures (how often each channel was graded worse than good, its level range,
its lowest modulation) from the packed channel blobs read in one query and
sliced field by field: every channel's bytes sit at the same offset in every
blob of a channel plan, so a strided slice gives one channel's field across
the whole period without touching Python objects per value.

The blob layout is the store's (``storage.CHANNEL_32`` and friends, imported
from there so that there is one definition); a test cross-checks the figures
against the store's own per-snapshot decoding.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import json
import sys
from typing import Any

from ..analyzer import LineHealth
from ..model import Direction, Family, qam_order
from ..storage import (
    CHANNEL_32,
    CHANNEL_64,
    FLAG_HEALTH_SHIFT,
    NO_MODULATION,
    NONE16,
    HistoryStore,
    StoredEvent,
    StoredSnapshot,
    iso_z,
    parse_z,
)
from ..thresholds import DEFAULT_PROFILE, ThresholdProfile

# Line health levels as the snapshots table stores them (index into LineHealth).
_LINE_HEALTH = tuple(LineHealth)
POOR_LEVEL = 2  # marginal or worse
# Channel health from a flags byte: a translation table for bytes.translate.
_HEALTH_OF_FLAGS = bytes(((flags >> FLAG_HEALTH_SHIFT) & 3) for flags in range(256))
# Byte offsets of the fields inside one packed channel (the same in both widths).
_POWER_AT = 0
_SNR_AT = 2
_MODULATION_AT = 4
_FLAGS_AT = 5
_RECORD_SIZE = {1: CHANNEL_32.size, 2: CHANNEL_64.size}

# How many worst channels a report lists, and how many events it lists.
WORST_CHANNELS = 5
LISTED_EVENTS = 25
SLOWEST_SPEEDTESTS = 10


_FAMILY_LABELS = {Family.SC_QAM: "SC-QAM", Family.OFDM: "OFDM", Family.OFDMA: "OFDMA"}


def frequency_mhz(low: int | None, high: int | None) -> str:
    """Return a channel's frequency in MHz, "low-high" for an OFDM/OFDMA block."""
    if low is None:
        return "-"
    return f"{low / 1e6:g}-{high / 1e6:g}" if high is not None else f"{low / 1e6:g}"


def family_label(family: Family) -> str:
    """Return how tables name a channel family."""
    return _FAMILY_LABELS[family]


class IncidentNotFoundError(LookupError):
    """No incident with the requested id exists."""


@dataclass(frozen=True, slots=True)
class Extreme:
    """A worst value and when it was seen."""

    value: float
    ts: datetime


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """One channel over the period: how often it was graded what, and its ranges."""

    direction: Direction
    channel_id: int
    family: Family
    frequency_hz: int | None
    frequency_end_hz: int | None
    samples: int
    health_counts: tuple[int, int, int, int]  # good, tolerated, warning, critical
    power_min: float | None
    power_max: float | None
    snr_min: float | None
    modulations: tuple[str, ...]  # every label seen, lowest order first

    @property
    def not_good(self) -> int:
        """Return how many snapshots graded this channel worse than good."""
        return self.samples - self.health_counts[0]

    @property
    def worst_level(self) -> int:
        """Return the worst grade seen (0 good ... 3 critical)."""
        return max((level for level, count in enumerate(self.health_counts) if count), default=0)


@dataclass(frozen=True, slots=True)
class HistoryStats:
    """The period's snapshots in figures."""

    snapshots: int
    first: datetime | None
    last: datetime | None
    health_counts: dict[LineHealth, int]
    ds_power_min: Extreme | None
    ds_power_max: Extreme | None
    ds_snr_min: Extreme | None
    us_power_min: Extreme | None
    us_power_max: Extreme | None
    uncorr_pct_max: Extreme | None
    channels: tuple[ChannelStats, ...]
    event_counts: dict[tuple[str, str], int]  # (event_type, severity) -> count

    @property
    def poor(self) -> int:
        """Return how many snapshots were marginal or critical."""
        return self.health_counts[LineHealth.MARGINAL] + self.health_counts[LineHealth.CRITICAL]

    @property
    def poor_pct(self) -> float:
        """Return the share of marginal or critical snapshots, in percent."""
        return 100.0 * self.poor / self.snapshots if self.snapshots else 0.0

    @property
    def worst_channels(self) -> list[ChannelStats]:
        """Return the channels most often graded worse than good, worst first."""
        bad = [stats for stats in self.channels if stats.not_good]
        bad.sort(key=lambda s: (-s.not_good, -s.worst_level, s.direction.value, s.channel_id))
        return bad[:WORST_CHANNELS]

    def events_of(self, *, severities: Sequence[str] = (), event_type: str | None = None) -> int:
        """Return how many events of these severities (all if empty) and type occurred."""
        return sum(
            count
            for (kind, severity), count in self.event_counts.items()
            if (not severities or severity in severities)
            and (event_type is None or kind == event_type)
        )


@dataclass(frozen=True, slots=True)
class SideStats:
    """One side of a before/after comparison."""

    start: datetime
    end: datetime
    snapshots: int
    poor_pct: float
    ds_power_avg: float | None
    ds_snr_min: float | None
    us_power_avg: float | None
    uncorr_pct_max: float | None
    problem_events: int  # warning and critical


@dataclass(frozen=True, slots=True)
class Comparison:
    """The period before and after a point in time (a repair, a technician's visit)."""

    at: datetime
    before: SideStats
    after: SideStats


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """What the report says about the line: provider, tariff, modem."""

    provider: str | None
    tariff: str | None
    download_max: float | None
    upload_max: float | None
    manufacturer: str | None
    model: str | None
    firmware: str | None
    docsis_version: str | None


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything a PDF report, a complaint letter or an export is made from."""

    start: datetime
    end: datetime
    time_zone: tzinfo
    generated_at: datetime
    profile: ThresholdProfile
    connection: ConnectionInfo
    latest: StoredSnapshot | None
    history: HistoryStats
    comparison: Comparison | None
    events: list[StoredEvent]  # warning and critical, newest first
    speedtests: list[dict[str, Any]]  # oldest first
    bnetz: list[dict[str, Any]]  # oldest first
    journal: list[dict[str, Any]]  # oldest first
    incidents: list[dict[str, Any]]
    incident: dict[str, Any] | None = None

    @property
    def slowest_speedtests(self) -> list[dict[str, Any]]:
        """Return the slowest speed tests by download, slowest first."""
        measured = [row for row in self.speedtests if row.get("download_mbps") is not None]
        return sorted(measured, key=lambda row: row["download_mbps"])[:SLOWEST_SPEEDTESTS]

    @property
    def deviating_campaigns(self) -> list[dict[str, Any]]:
        """Return the BNetzA campaigns with a deviation found in either direction."""
        return [
            row
            for row in self.bnetz
            if "deviation" in (row.get("verdict_download"), row.get("verdict_upload"))
        ]


def gather_report_data(
    store: HistoryStore,
    start: datetime,
    end: datetime,
    *,
    time_zone: tzinfo = UTC,
    now: datetime | None = None,
    compare_at: datetime | None = None,
    profile: ThresholdProfile = DEFAULT_PROFILE,
) -> ReportData:
    """Gather a report of [start, end) from the store (run it on the store's thread).

    ``compare_at`` splits the period for the before/after comparison; by
    default it is the middle of the period.
    """
    if start >= end:
        raise ValueError("start must be before end")
    start_key, end_key = iso_z(start), iso_z(end)
    latest = store.snapshot_at(end - timedelta(seconds=1))
    if latest is not None and latest.summary.ts < start:
        latest = None
    history = _history(store, start_key, end_key)
    split = compare_at if compare_at is not None else start + (end - start) / 2
    comparison = None
    if start < split < end:
        before = _side(store, start, split)
        after = _side(store, split, end)
        if before.snapshots and after.snapshots:
            comparison = Comparison(split, before, after)
    first_day, last_day = _local_days(start, end, time_zone)
    speedtests = store.rows(
        "speedtest_results", where="ts >= ? AND ts < ?", params=(start_key, end_key), order="ts"
    )
    bnetz = _bnetz(store, first_day, last_day)
    journal = store.rows(
        "journal_entries",
        where="date >= ? AND date <= ?",
        params=(first_day.isoformat(), last_day.isoformat()),
        order="date, id",
    )
    incidents = store.rows(
        "incidents",
        where="(start_date IS NULL OR start_date <= ?) AND (end_date IS NULL OR end_date >= ?)",
        params=(last_day.isoformat(), first_day.isoformat()),
        order="start_date, id",
    )
    events = store.events(
        start=start, end=end, severities=("warning", "critical"), limit=LISTED_EVENTS
    )
    return ReportData(
        start=start,
        end=end,
        time_zone=time_zone,
        generated_at=now or datetime.now(UTC),
        profile=profile,
        connection=_connection(store, latest, speedtests, bnetz),
        latest=latest,
        history=history,
        comparison=comparison,
        events=events,
        speedtests=speedtests,
        bnetz=bnetz,
        journal=journal,
        incidents=incidents,
    )


def incident_period(
    incident: dict[str, Any], *, time_zone: tzinfo, now: datetime
) -> tuple[datetime, datetime]:
    """Return the [start, end) an incident covers: its days, up to now while it is open."""
    created = parse_z(incident["created_at"])
    first = date.fromisoformat(incident["start_date"]) if incident.get("start_date") else None
    start = (
        datetime.combine(first, time(), time_zone)
        if first
        else created.astimezone(time_zone).replace(hour=0, minute=0, second=0)
    )
    if incident.get("end_date"):
        last = date.fromisoformat(incident["end_date"])
        end = datetime.combine(last + timedelta(days=1), time(), time_zone)
    else:
        end = now + timedelta(seconds=1)
    if end <= start:
        end = start + timedelta(days=1)
    return start.astimezone(UTC), end.astimezone(UTC)


def gather_incident_data(
    store: HistoryStore,
    incident_id: int,
    *,
    time_zone: tzinfo = UTC,
    now: datetime | None = None,
    profile: ThresholdProfile = DEFAULT_PROFILE,
) -> ReportData:
    """Gather an incident's report: its period's data and the journal entries assigned to it."""
    found = store.rows("incidents", where="id = ?", params=(incident_id,))
    if not found:
        raise IncidentNotFoundError(incident_id)
    incident = found[0]
    now = now or datetime.now(UTC)
    start, end = incident_period(incident, time_zone=time_zone, now=now)
    data = gather_report_data(store, start, end, time_zone=time_zone, now=now, profile=profile)
    assigned = store.rows(
        "journal_entries", where="incident_id = ?", params=(incident_id,), order="date, id"
    )
    return replace(data, journal=assigned, incident=incident)


# ---------------------------------------------------------------------------


def _local_days(start: datetime, end: datetime, time_zone: tzinfo) -> tuple[date, date]:
    """Return the first and last local calendar day that [start, end) touches."""
    return (
        start.astimezone(time_zone).date(),
        (end - timedelta(seconds=1)).astimezone(time_zone).date(),
    )


def _bnetz(store: HistoryStore, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """Return the period's BNetzA campaigns without their PDF (and with parsed runs)."""
    rows = store.rows(
        "bnetz_measurements",
        where="date >= ? AND date <= ?",
        params=(first_day.isoformat(), last_day.isoformat()),
        order="date, id",
    )
    for row in rows:
        row.pop("pdf", None)
        try:
            row["measurements"] = json.loads(row.get("measurements") or "[]")
        except ValueError:
            row["measurements"] = []
    return rows


def _connection(
    store: HistoryStore,
    latest: StoredSnapshot | None,
    speedtests: list[dict[str, Any]],
    bnetz: list[dict[str, Any]],
) -> ConnectionInfo:
    """Provider and tariff from the newest BNetzA protocol (else a speed test's ISP)."""
    campaign = bnetz[-1] if bnetz else None
    if campaign is None:
        newest = store.rows("bnetz_measurements", order="date DESC, id DESC LIMIT 1")
        campaign = newest[0] if newest else None
    provider = campaign.get("provider") if campaign else None
    if not provider:
        provider = next((row["isp"] for row in reversed(speedtests) if row.get("isp")), None)
    device = latest.device if latest else None
    return ConnectionInfo(
        provider=provider,
        tariff=campaign.get("tariff") if campaign else None,
        download_max=campaign.get("download_max") if campaign else None,
        upload_max=campaign.get("upload_max") if campaign else None,
        manufacturer=device.manufacturer if device else None,
        model=device.model if device else None,
        firmware=device.firmware if device else None,
        docsis_version=device.docsis_version if device else None,
    )


_EXTREMES = (
    ("ds_power_min", "MIN(ds_power_min)"),
    ("ds_power_max", "MAX(ds_power_max)"),
    ("ds_snr_min", "MIN(ds_snr_min)"),
    ("us_power_min", "MIN(us_power_min)"),
    ("us_power_max", "MAX(us_power_max)"),
    ("uncorr_pct_max", "MAX(ds_uncorr_pct)"),
)


def _history(store: HistoryStore, start_key: str, end_key: str) -> HistoryStats:
    db = store.connection
    window = (start_key, end_key)
    count, first, last, *levels = db.execute(
        "SELECT count(*), MIN(ts), MAX(ts),"
        " SUM(health = 0), SUM(health = 1), SUM(health = 2), SUM(health = 3)"
        " FROM snapshots WHERE ts >= ? AND ts < ?",
        window,
    ).fetchone()
    extremes: dict[str, Extreme | None] = {}
    for name, aggregate in _EXTREMES:
        # SQLite returns the other columns of the row that holds a lone MIN/MAX.
        value, ts = db.execute(
            f"SELECT {aggregate}, ts FROM snapshots WHERE ts >= ? AND ts < ?",  # noqa: S608
            window,
        ).fetchone()
        extremes[name] = None if value is None else Extreme(value, parse_z(ts))
    event_counts = {
        (kind, severity): n
        for kind, severity, n in db.execute(
            "SELECT event_type, severity, count(*) FROM events WHERE ts >= ? AND ts < ?"
            " GROUP BY event_type, severity",
            window,
        )
    }
    return HistoryStats(
        snapshots=count,
        first=parse_z(first) if first else None,
        last=parse_z(last) if last else None,
        health_counts={health: int(n or 0) for health, n in zip(_LINE_HEALTH, levels, strict=True)},
        channels=_channel_stats(store, start_key, end_key) if count else (),
        event_counts=event_counts,
        **extremes,
    )


def _side(store: HistoryStore, start: datetime, end: datetime) -> SideStats:
    window = (iso_z(start), iso_z(end))
    count, poor, ds_power, ds_snr, us_power, uncorr = store.connection.execute(
        "SELECT count(*), SUM(health >= ?), AVG(ds_power_avg), MIN(ds_snr_min),"
        " AVG(us_power_avg), MAX(ds_uncorr_pct) FROM snapshots WHERE ts >= ? AND ts < ?",
        (POOR_LEVEL, *window),
    ).fetchone()
    (problems,) = store.connection.execute(
        "SELECT count(*) FROM events WHERE ts >= ? AND ts < ? AND severity IN"
        " ('warning', 'critical')",
        window,
    ).fetchone()
    return SideStats(
        start=start,
        end=end,
        snapshots=count,
        poor_pct=100.0 * (poor or 0) / count if count else 0.0,
        ds_power_avg=None if ds_power is None else round(ds_power, 2),
        ds_snr_min=ds_snr,
        us_power_avg=None if us_power is None else round(us_power, 2),
        uncorr_pct_max=uncorr,
        problem_events=problems,
    )


class _ChannelAcc:
    """Figures of one channel merged over the plans it appears in."""

    __slots__ = ("counts", "modulations", "plan", "power", "samples", "snr")

    def __init__(self, plan: list[Any]) -> None:
        self.plan = plan
        self.samples = 0
        self.counts = [0, 0, 0, 0]
        self.power: list[int] = []  # min and max seen, in hundredths
        self.snr: list[int] = []  # min seen
        self.modulations: set[int] = set()


def _int16(data: bytes, offset: int, stride: int) -> array[int] | list[int]:
    """Return the little-endian int16 at ``offset`` of every ``stride``-byte row.

    The store's "no value" marker (-32768) is dropped.  Only values from
    -327.68 to -325.13 dB have 0x80 as their high byte, so a byte search
    (C speed) tells whether any filtering is needed at all.
    """
    low = data[offset::stride]
    high = data[offset + 1 :: stride]
    buffer = bytearray(2 * len(low))
    buffer[0::2] = low
    buffer[1::2] = high
    values = array("h", buffer)
    if sys.byteorder == "big":  # pragma: no cover - the test machines are little-endian
        values.byteswap()
    if 0x80 in high:
        return [value for value in values if value != NONE16]
    return values


def _channel_stats(store: HistoryStore, start_key: str, end_key: str) -> tuple[ChannelStats, ...]:
    db = store.connection
    groups: dict[tuple[int, int], list[bytes]] = {}
    for plan_id, blob in db.execute(
        "SELECT plan_id, channels FROM snapshots WHERE ts >= ? AND ts < ?", (start_key, end_key)
    ):
        groups.setdefault((plan_id, blob[0]), []).append(blob)
    plan_ids = sorted({key[0] for key in groups})
    marks = ",".join("?" * len(plan_ids))  # placeholders only; the ids are bound
    plans = {
        plan_id: json.loads(text)
        for plan_id, text in db.execute(
            f"SELECT id, plan FROM channel_plans WHERE id IN ({marks})",  # noqa: S608
            plan_ids,
        )
    }
    labels = dict(db.execute("SELECT id, label FROM modulations").fetchall())
    merged: dict[tuple[str, int], _ChannelAcc] = {}
    for (plan_id, width), group in groups.items():
        plan = plans[plan_id]
        size = _RECORD_SIZE[width]
        stride = 1 + size * len(plan)
        whole = [blob for blob in group if len(blob) == stride]
        data = b"".join(whole)
        count = len(whole)
        for index, spec in enumerate(plan):
            base = 1 + index * size
            acc = merged.get((spec[0], spec[2]))
            if acc is None:
                acc = merged[(spec[0], spec[2])] = _ChannelAcc(spec)
            acc.samples += count
            levels = data[base + _FLAGS_AT :: stride].translate(_HEALTH_OF_FLAGS)
            for level in range(4):
                acc.counts[level] += levels.count(level)
            power = _int16(data, base + _POWER_AT, stride)
            if power:
                acc.power.extend((min(power), max(power)))
            snr = _int16(data, base + _SNR_AT, stride)
            if snr:
                acc.snr.append(min(snr))
            acc.modulations.update(data[base + _MODULATION_AT :: stride])
    result = []
    for (direction, channel_id), acc in merged.items():
        modulations = sorted(
            (labels[mod_id] for mod_id in acc.modulations if mod_id != NO_MODULATION),
            key=lambda label: (qam_order(label) or 0, label),
        )
        result.append(
            ChannelStats(
                direction=Direction(direction),
                channel_id=channel_id,
                family=Family(acc.plan[1]),
                frequency_hz=acc.plan[3],
                frequency_end_hz=acc.plan[4],
                samples=acc.samples,
                health_counts=(acc.counts[0], acc.counts[1], acc.counts[2], acc.counts[3]),
                power_min=min(acc.power) / 100 if acc.power else None,
                power_max=max(acc.power) / 100 if acc.power else None,
                snr_min=min(acc.snr) / 100 if acc.snr else None,
                modulations=tuple(modulations),
            )
        )
    result.sort(key=lambda s: (s.direction.value, s.channel_id))
    return tuple(result)
