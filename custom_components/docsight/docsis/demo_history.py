"""Seed a history store with demo data: months of line history and a complaint story.

The demo entry should not start with empty graphs, so :func:`seed_demo_history`
fills its store the way the reference demo does (docs/external-sources.md
section 5):

* one snapshot every 15 minutes for ``days`` days, read from the *real* demo
  modem (:class:`.drivers.demo.DemoModem`, the same line model the live demo
  polls, so history and live agree at any instant) and graded by the real
  :func:`.analyzer.analyze` and :func:`.events.detect`, with the error baseline,
  the last error spike and the detector state carried from poll to poll; the
  events stored are the ones the detector finds;
* a journal of 12 entries and 3 incidents telling a German cable customer's
  complaint story, spread over the period;
* speed tests at 08, 14 and 21 h local (15 % skipped), slower on the demo's
  bad days;
* 30 days of ThinkBroadband BQM daily figures (no graph image);
* 9 monthly BNetzA measurement campaigns against a 1000/850/600 down,
  50/35/15 up tariff, campaigns 2, 5 and 7 failing.

Every row is written with ``is_demo`` set, after the store's earlier demo rows
are purged, so seeding twice gives the same rows and the user's own journal
survives.  The same seed, end and time zone give identical rows: every random
choice comes from a generator seeded from the seed (the snapshots from the
demo modem's own, the other tables from one generator each).

Layout of the JSON columns written here:

* ``bnetz_measurements.measurements``: a list of
  ``{"nr", "timestamp" (UTC Z), "download_mbps", "upload_mbps"}``, 10 per day
  over the campaign's 3 days;
* ``speedtest_results.data``: ``{"server": {"id", "name", "location",
  "country"}}``;
* ``bqm_graphs.samples``: ``[]`` (daily figures only).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
import json
import random
import time
from typing import TYPE_CHECKING, Any, cast

from .analyzer import ErrorBaseline, analyze
from .drivers.base import DriverConfig
from .drivers.demo import SLOT_SECONDS, DemoModem
from .events import DetectorState, Event, EventType, detect
from .sources.bnetz import Campaign, DirectionVerdict, Sample, Tariff, evaluate
from .storage import iso_z, parse_z

if TYPE_CHECKING:
    from .analyzer import Analysis
    from .storage import HistoryStore

SNAPSHOTS_PER_DAY = 86_400 // SLOT_SECONDS
CHUNK_DAYS = 10  # snapshots per transaction: 10 days
DEFAULT_DAYS = 270

SPEEDTEST_HOURS = (8, 14, 21)
SPEEDTEST_SKIP = 0.15
BQM_DAYS = 30
BNETZ_CAMPAIGNS = 9
BNETZ_BAD_CAMPAIGNS = frozenset({2, 5, 7})
BNETZ_DAYS = 3
BNETZ_PER_DAY = 10
# Contract: (maximum, normally available, minimum) in Mbit/s.
TARIFF_DOWN = (1000.0, 850.0, 600.0)
TARIFF_UP = (50.0, 35.0, 15.0)
PROVIDER = "Kabelnetz Demo GmbH"
TARIFF_NAME = "Cable 1000"
SPEEDTEST_SERVER = {
    "id": 31470,
    "name": "Demo Speedtest Frankfurt",
    "location": "Frankfurt am Main",
    "country": "Germany",
}

# The story, on a 270-day timeline (day 0 is the first day of the period);
# shorter periods squeeze it.  Incidents: key, name, description, first and
# last day (None: still open), icon.
_INCIDENTS: tuple[tuple[str, str, str, int, int | None, str], ...] = (
    (
        "evening",
        "Evening upstream dropouts",
        (
            "From about 19:00 video calls freeze and uploads stall; the modem shows upstream "
            "channels 3 and 4 falling back to 16QAM."
        ),
        12,
        55,
        "mdi:upload-off",
    ),
    (
        "speed",
        "Speed below contract (BNetzA)",
        "The official Breitbandmessung campaigns show the contractual speed is not reached.",
        43,
        226,
        "mdi:speedometer-slow",
    ),
    (
        "nights",
        "Recurring night-time dropouts",
        (
            "Roughly every ten days the line degrades between 02:00 and 08:00: downstream power "
            "up, SNR down, channels drop to 64QAM."
        ),
        160,
        None,
        "mdi:weather-night",
    ),
)
# Journal entries: day, title, description, icon, incident key (None: unassigned).
_JOURNAL: tuple[tuple[int, str, str, str, str | None], ...] = (
    (
        3,
        "Started monitoring the line",
        "Set up DOCSight to keep a record of the cable line before calling the provider again.",
        "mdi:chart-line",
        None,
    ),
    (
        12,
        "Internet dropped during video call",
        "Work call froze twice around 19:30 and the connection was gone for a minute.",
        "mdi:video-off",
        "evening",
    ),
    (
        19,
        "Called provider hotline",
        (
            "Hotline reset the port remotely and opened a ticket; they could not see a fault "
            "and asked to wait 48 hours."
        ),
        "mdi:phone",
        "evening",
    ),
    (
        43,
        "BNetzA campaign shows deviation",
        (
            "Second Breitbandmessung campaign finished: the normally available download rate "
            "was missed in almost every measurement."
        ),
        "mdi:file-document-outline",
        "speed",
    ),
    (
        50,
        "Complaint letter sent to provider",
        (
            "Sent the measurement protocol by registered mail and asked for a price reduction "
            "under section 57(4) TKG."
        ),
        "mdi:email-outline",
        "speed",
    ),
    (
        55,
        "Technician visit",
        (
            "Technician measured the levels at the wall socket, replaced the old splitter and "
            "the connection cable. Upstream levels are back in range."
        ),
        "mdi:account-hard-hat",
        "evening",
    ),
    (
        100,
        "Router moved to the hallway",
        "Moved the router next to the cable outlet; Wi-Fi only, the cable line is unaffected.",
        "mdi:router-wireless",
        None,
    ),
    (
        133,
        "Second failed campaign confirms deviation",
        "The fifth measurement campaign again stayed below the normal rate in both directions.",
        "mdi:file-document-outline",
        "speed",
    ),
    (
        160,
        "Overnight backup upload failed again",
        (
            "The nightly backup aborted at 03:10. The modem history shows the line degrading "
            "between 02:00 and 08:00, about every ten days."
        ),
        "mdi:cloud-alert",
        "nights",
    ),
    (
        193,
        "Third failed campaign",
        "Campaign seven: download average far below the normally available 850 Mbit/s.",
        "mdi:file-document-outline",
        "speed",
    ),
    (
        226,
        "Segment upgrade, speed back to contract",
        (
            "The provider split the local cable segment; the eighth campaign reached the "
            "contractual speed."
        ),
        "mdi:check-circle-outline",
        "speed",
    ),
    (
        252,
        "Hotline opened a network fault ticket",
        (
            "Sent the night-time event list to the hotline; they opened a fault ticket for the "
            "street cabinet."
        ),
        "mdi:phone",
        "nights",
    ),
)
_STORY_DAYS = 270


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What one seeding run wrote (row counts per table) and how long it took."""

    snapshots: int
    events: int
    journal_entries: int
    incidents: int
    speedtest_results: int
    bqm_graphs: int
    bnetz_measurements: int
    seconds: float
    completed: bool  # False when ``should_continue`` stopped it early

    @property
    def counts(self) -> dict[str, int]:
        """Return the row counts by table name."""
        return {
            "snapshots": self.snapshots,
            "events": self.events,
            "journal_entries": self.journal_entries,
            "incidents": self.incidents,
            "speedtest_results": self.speedtest_results,
            "bqm_graphs": self.bqm_graphs,
            "bnetz_measurements": self.bnetz_measurements,
        }


def seed_demo_history(
    store: HistoryStore,
    *,
    days: int = DEFAULT_DAYS,
    end: datetime,
    time_zone: tzinfo,
    seed: int = 0,
    should_continue: Callable[[float], bool] | None = None,
) -> SeedReport:
    """Replace the store's demo rows with ``days`` days of demo history ending at ``end``.

    ``should_continue(fraction_done)`` is asked after each chunk of 10 days:
    False stops the run, and the report tells what was written.  To give the
    store's thread back between chunks, drive :func:`iter_seed_demo_history`.
    """
    steps = iter_seed_demo_history(store, days=days, end=end, time_zone=time_zone, seed=seed)
    try:
        fraction = next(steps)
        while True:
            fraction = steps.send(should_continue is None or should_continue(fraction))
    except StopIteration as done:
        return cast("SeedReport", done.value)


def iter_seed_demo_history(
    store: HistoryStore,
    *,
    days: int = DEFAULT_DAYS,
    end: datetime,
    time_zone: tzinfo,
    seed: int = 0,
) -> Generator[float, bool | None, SeedReport]:
    """Seed step by step: yield the fraction done after each chunk, return the report.

    Snapshots sit on the 15-minute grid, the last one at or before ``end``.
    The small tables are written first (before the first yield); the
    snapshots follow in transactions of 10 days.  Send ``False`` to stop
    early.  Every step must run on the store's thread.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if end.tzinfo is None:
        raise ValueError("end must be timezone-aware")
    started = time.perf_counter()
    store.purge_demo()

    last_slot = int(end.timestamp()) // SLOT_SECONDS
    total = days * SNAPSHOTS_PER_DAY
    first = datetime.fromtimestamp((last_slot - total + 1) * SLOT_SECONDS, time_zone)
    last = datetime.fromtimestamp(last_slot * SLOT_SECONDS, time_zone)

    incident_ids = _seed_journal(store, first.date(), days, time_zone, seed)
    speedtests = _seed_speedtests(store, first, last, time_zone, seed)
    bqm = _seed_bqm(store, last.date(), seed)
    campaigns = _seed_bnetz(store, last.date(), time_zone, seed)

    snapshots, events = yield from _seed_snapshots(
        store,
        first_slot=last_slot - total + 1,
        total=total,
        time_zone=time_zone,
        seed=seed,
    )
    return SeedReport(
        snapshots=snapshots,
        events=events,
        journal_entries=len(_JOURNAL),
        incidents=len(incident_ids),
        speedtest_results=speedtests,
        bqm_graphs=bqm,
        bnetz_measurements=campaigns,
        seconds=round(time.perf_counter() - started, 3),
        completed=snapshots == total,
    )


def _random(seed: int, part: str) -> random.Random:
    """Return the generator of one part, so that parts do not shift each other's data."""
    return random.Random(f"{seed}:{part}")  # noqa: S311 - demo data, not cryptography


# ---------------------------------------------------------------------------
# Snapshots and events.


def _seed_snapshots(
    store: HistoryStore,
    *,
    first_slot: int,
    total: int,
    time_zone: tzinfo,
    seed: int,
) -> Generator[float, bool | None, tuple[int, int]]:
    """Read, grade and store ``total`` snapshots from ``first_slot`` on.

    Yields the fraction done after each chunk (a transaction); ``False`` sent
    back stops it.  Returns (snapshots, events) written.
    """
    modem = DemoModem(DriverConfig(seed=seed, time_zone=time_zone))
    read = modem.read
    from_timestamp = datetime.fromtimestamp
    spike = EventType.ERROR_SPIKE
    baseline: ErrorBaseline | None = None
    last_spike_at: datetime | None = None
    state: DetectorState | None = None
    events_written = 0

    def polls(start: int, stop: int) -> Iterator[tuple[Analysis, list[Event]]]:
        # A generator, so that the store turns each poll into its row at once
        # and only the previous analysis stays alive: holding a whole chunk
        # of analyses (some 150 objects each) makes the garbage collector
        # walk them over and over.
        nonlocal baseline, last_spike_at, state, events_written
        for slot in range(start, stop):
            analysis = analyze(
                read(from_timestamp(slot * SLOT_SECONDS, time_zone)),
                baseline=baseline,
                last_spike_at=last_spike_at,
            )
            events, state = detect(state, analysis)
            baseline = analysis.baseline
            if events:
                events_written += len(events)
                if any(event.event_type is spike for event in events):
                    last_spike_at = analysis.read_at
            yield analysis, events

    chunk = CHUNK_DAYS * SNAPSHOTS_PER_DAY
    written = 0
    while written < total:
        start = first_slot + written
        written += store.save_polls(
            polls(start, min(first_slot + total, start + chunk)), is_demo=True
        )
        if (yield written / total) is False:
            break
    return written, events_written


# ---------------------------------------------------------------------------
# The journal and incidents.


def _story_day(first_day: date, day: int, days: int) -> date:
    """Map a day of the 270-day story onto a period of ``days`` days."""
    return first_day + timedelta(days=day * days // _STORY_DAYS)


def _seed_journal(
    store: HistoryStore, first_day: date, days: int, time_zone: tzinfo, seed: int
) -> dict[str, int]:
    rng = _random(seed, "journal")

    def written_at(day: date) -> str:
        # Written up in the evening of the day it happened.
        local = datetime(day.year, day.month, day.day, 20, rng.randrange(60), tzinfo=time_zone)
        return iso_z(local)

    incident_rows = []
    for _key, name, description, start, stop, icon in _INCIDENTS:
        start_day = _story_day(first_day, start, days)
        stop_day = None if stop is None else _story_day(first_day, stop, days)
        created = written_at(start_day)
        incident_rows.append(
            {
                "name": name,
                "description": description,
                "status": "open" if stop_day is None else "resolved",
                "start_date": start_day.isoformat(),
                "end_date": None if stop_day is None else stop_day.isoformat(),
                "icon": icon,
                "created_at": created,
                "updated_at": created if stop_day is None else written_at(stop_day),
            }
        )
    ids = store.insert_rows("incidents", incident_rows, is_demo=True)
    incident_ids = {row[0]: row_id for row, row_id in zip(_INCIDENTS, ids, strict=True)}

    entries = []
    for day, title, description, icon, incident in _JOURNAL:
        entry_day = _story_day(first_day, day, days)
        created = written_at(entry_day)
        entries.append(
            {
                "date": entry_day.isoformat(),
                "title": title,
                "description": description,
                "icon": icon,
                "incident_id": None if incident is None else incident_ids[incident],
                "created_at": created,
                "updated_at": created,
            }
        )
    store.insert_rows("journal_entries", entries, is_demo=True)
    return incident_ids


# ---------------------------------------------------------------------------
# Speed tests, BQM and BNetzA.


def is_bad_day(day: date) -> bool:
    """Return whether the demo line has a bad night on this (local) date."""
    return day.timetuple().tm_yday % 10 == 0


def _seed_speedtests(
    store: HistoryStore, first: datetime, last: datetime, time_zone: tzinfo, seed: int
) -> int:
    rng = _random(seed, "speedtest")
    uniform = rng.uniform
    rows: list[dict[str, Any]] = []
    server = json.dumps({"server": SPEEDTEST_SERVER}, separators=(",", ":"))
    day = first.date()
    while day <= last.date():
        bad = is_bad_day(day)
        for hour in SPEEDTEST_HOURS:
            if rng.random() < SPEEDTEST_SKIP:
                continue
            when = datetime(
                day.year, day.month, day.day, hour, 0, rng.randrange(5, 40), tzinfo=time_zone
            )
            if not first <= when <= last:
                continue
            rows.append(
                {
                    "ts": iso_z(when),
                    "source_id": f"demo-{len(rows) + 1}",
                    "download_mbps": round(uniform(150, 200) if bad else uniform(220, 265), 2),
                    "upload_mbps": round(uniform(25, 35) if bad else uniform(36, 42), 2),
                    "ping_ms": round(uniform(14, 28) if bad else uniform(8, 15), 1),
                    "jitter_ms": round(uniform(1.5, 6.0) if bad else uniform(0.3, 2.0), 2),
                    "packet_loss_pct": round(uniform(0.1, 1.5), 2) if bad else 0.0,
                    "server_name": SPEEDTEST_SERVER["name"],
                    "isp": PROVIDER,
                    "data": server,
                }
            )
        day += timedelta(days=1)
    store.insert_rows("speedtest_results", rows, is_demo=True)
    return len(rows)


def _seed_bqm(store: HistoryStore, last_day: date, seed: int) -> int:
    """Daily BQM figures for the 30 days before the last day (BQM reports "yesterday")."""
    rng = _random(seed, "bqm")
    uniform = rng.uniform
    rows = []
    for offset in range(BQM_DAYS, 0, -1):
        day = last_day - timedelta(days=offset)
        bad = is_bad_day(day)
        sent = 86_400  # one poll a second
        low = uniform(8.5, 10.5)
        rows.append(
            {
                "date": day.isoformat(),
                "sent_polls": sent,
                "lost_polls": rng.randint(300, 1500) if bad else rng.randint(0, 40),
                "latency_min_ms": round(low, 2),
                "latency_avg_ms": round(low + (uniform(10, 18) if bad else uniform(2, 6)), 2),
                "latency_max_ms": round(uniform(180, 420) if bad else uniform(35, 110), 2),
                "samples": "[]",
            }
        )
    store.insert_rows("bqm_graphs", rows, is_demo=True)
    return len(rows)


def _seed_bnetz(store: HistoryStore, last_day: date, time_zone: tzinfo, seed: int) -> int:
    """Nine monthly campaigns, the last one ending 18 days before the last day."""
    rng = _random(seed, "bnetz")
    rows = []
    for number in range(1, BNETZ_CAMPAIGNS + 1):
        bad = number in BNETZ_BAD_CAMPAIGNS
        first_day = last_day - timedelta(days=_STORY_DAYS - 10 - 30 * (number - 1))
        measurements: list[dict[str, Any]] = []
        for day_index in range(BNETZ_DAYS):
            day = first_day + timedelta(days=day_index)
            # Ten runs spread over the day; in a passing campaign each day has
            # at least one run above 90 % of the maximum.
            peak = rng.randrange(BNETZ_PER_DAY)
            for run in range(BNETZ_PER_DAY):
                when = datetime(
                    day.year,
                    day.month,
                    day.day,
                    8 + run + run // 2,
                    rng.randrange(60),
                    tzinfo=time_zone,
                )
                if bad:
                    down, up = rng.uniform(480, 820), rng.uniform(18, 33)
                elif run == peak:
                    down, up = rng.uniform(905, 990), rng.uniform(45.5, 49.5)
                else:
                    down, up = rng.uniform(860, 985), rng.uniform(37, 49)
                measurements.append(
                    {
                        "nr": len(measurements) + 1,
                        "timestamp": iso_z(when),
                        "download_mbps": round(down, 2),
                        "upload_mbps": round(up, 2),
                    }
                )
        down_avg = round(sum(m["download_mbps"] for m in measurements) / len(measurements), 2)
        up_avg = round(sum(m["upload_mbps"] for m in measurements) / len(measurements), 2)
        protocol_day = first_day + timedelta(days=BNETZ_DAYS - 1)
        verdicts = _bnetz_verdicts(measurements, protocol_day, time_zone)
        rows.append(
            {
                "date": protocol_day.isoformat(),
                "ts": measurements[-1]["timestamp"],
                "provider": PROVIDER,
                "tariff": TARIFF_NAME,
                "download_max": TARIFF_DOWN[0],
                "download_normal": TARIFF_DOWN[1],
                "download_min": TARIFF_DOWN[2],
                "upload_max": TARIFF_UP[0],
                "upload_normal": TARIFF_UP[1],
                "upload_min": TARIFF_UP[2],
                "download_measured_avg": down_avg,
                "upload_measured_avg": up_avg,
                "measurement_count": len(measurements),
                # Judged by the statutory rule, as an imported protocol is.
                "verdict_download": verdicts["download"].verdict.value,
                "verdict_upload": verdicts["upload"].verdict.value,
                "measurements": json.dumps(measurements, separators=(",", ":")),
                "source": "demo",
            }
        )
    store.insert_rows("bnetz_measurements", rows, is_demo=True)
    return len(rows)


def _bnetz_verdicts(
    measurements: list[dict[str, Any]], protocol_day: date, time_zone: tzinfo
) -> dict[str, DirectionVerdict]:
    """Judge a demo campaign by the statutory rule (the BNetzA source's own)."""
    samples = {
        direction: tuple(
            Sample(m["nr"], parse_z(m["timestamp"]).astimezone(time_zone), m[f"{direction}_mbps"])
            for m in measurements
        )
        for direction in ("download", "upload")
    }
    campaign = Campaign(
        date=protocol_day,
        provider=PROVIDER,
        tariff_name=TARIFF_NAME,
        download_tariff=Tariff(*TARIFF_DOWN),
        upload_tariff=Tariff(*TARIFF_UP),
        download=samples["download"],
        upload=samples["upload"],
        kind="demo",
    )
    return evaluate(campaign)


__all__ = ["SeedReport", "is_bad_day", "seed_demo_history"]
