"""Time the history store: seeding nine months of demo history, its size, one poll, trends.

Run: .venv/bin/python benchmarks/bench_history.py
Reference (DOCSight on these machines): 10.8 s to seed 270 days, 9,254 bytes
per snapshot (240 MB for nine months), about 2 ms to store a poll, about 0.5 s
for any trend query.  Targets: seeding < 3 s, < 1.5 KB per snapshot, storing a
poll < 0.5 ms, month trend < 20 ms.  Figures are the best of 3 runs; timing is
printed, never asserted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
import statistics
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "custom_components" / "docsight"))

from docsis.analyzer import Analysis, ErrorBaseline, analyze
from docsis.drivers.base import DriverConfig
from docsis.drivers.demo import DemoModem
from docsis.events import DetectorState, Event, detect
from docsis.storage import HistoryStore

try:
    from docsis.demo_history import seed_demo_history
except ImportError:  # being written; fall back to seeding through the store directly
    seed_demo_history = None

DAYS = 270
ZONE = ZoneInfo("Europe/Berlin")
END = datetime(2026, 3, 15, 12, 0, tzinfo=ZONE)
STEP = timedelta(minutes=15)
RUNS = 3

REFERENCE = {"seed": 10.8, "bytes": 9254, "poll_ms": 2.0, "trend_ms": 500.0}
TARGET = {"seed": 3.0, "bytes": 1500, "poll_ms": 0.5, "month_ms": 20.0}


def verdict(value: float, target: float) -> str:
    return f"target < {target:g}: {'met' if value < target else 'MISSED'}"


def demo_polls(start: datetime, count: int, seed: int) -> Iterator[tuple[Analysis, list[Event]]]:
    """The demo line every 15 minutes, graded and with its events, poll after poll."""
    modem = DemoModem(DriverConfig(seed=seed, time_zone=ZONE))
    baseline: ErrorBaseline | None = None
    state: DetectorState | None = None
    for index in range(count):
        analysis = analyze(modem.read(start + index * STEP), baseline=baseline)
        events, state = detect(state, analysis)
        baseline = analysis.baseline
        yield analysis, events


def seed_fallback(store: HistoryStore) -> None:
    """270 days through DemoModem + analyze + detect + save_polls (10-day transactions)."""
    total = DAYS * 96
    start = END - (total - 1) * STEP
    polls = demo_polls(start, total, seed=0)
    for _ in range(0, total, 960):
        store.save_polls((poll for _, poll in zip(range(960), polls, strict=False)), is_demo=True)


def seed(path: Path) -> tuple[HistoryStore, float]:
    store = HistoryStore.open(path)
    begin = time.perf_counter()
    if seed_demo_history is not None:
        seed_demo_history(store, days=DAYS, end=END, time_zone=ZONE, seed=0)
    else:
        seed_fallback(store)
    return store, time.perf_counter() - begin


def newest(store: HistoryStore) -> datetime:
    latest = store.latest_snapshot()
    if latest is None:
        raise SystemExit("the seeded store has no snapshot")
    return latest.summary.ts


def best_median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median of ``repeats`` calls, best of RUNS runs, in milliseconds."""
    medians = []
    for _ in range(RUNS):
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            action()
            times.append(time.perf_counter() - begin)
        medians.append(statistics.median(times) * 1000)
    return min(medians)


def main() -> None:
    if seed_demo_history is None:
        print(
            "note: docsis.demo_history is not available; seeding with the fallback"
            " (DemoModem + analyze + detect + save_polls, snapshots and events only)"
        )
        source = "fallback seeding"
    else:
        source = "seed_demo_history"
    with tempfile.TemporaryDirectory() as folder:
        # (a) seeding, best of 3 into fresh files; the last file serves the rest.
        seconds = []
        store: HistoryStore | None = None
        for run in range(RUNS):
            if store is not None:
                store.close()
            store, took = seed(Path(folder) / f"seeded-{run}.db")
            seconds.append(took)
        if store is None or store.path is None:
            raise SystemExit("no store was seeded")
        path = store.path
        seed_s = min(seconds)
        counts = store.counts()
        snapshots = counts["snapshots"]
        print(
            f"seed {DAYS} days ({source}: {snapshots:,} snapshots, {counts['events']:,} events):"
            f" {seed_s:.2f} s | DOCSight {REFERENCE['seed']} s"
            f" -> {REFERENCE['seed'] / seed_s:.1f}x faster | {verdict(seed_s, TARGET['seed'])}"
        )

        # Where seeding time goes: the line itself (demo modem, analyze, detect)
        # against the store's share (packing and inserting), one run each.
        scratch = HistoryStore.open(Path(folder) / "breakdown.db")
        polls = demo_polls(END - (DAYS * 96 - 1) * STEP, DAYS * 96, seed=0)
        generate_s = store_s = 0.0
        for _ in range(0, DAYS * 96, 960):
            begin = time.perf_counter()
            chunk = [poll for _, poll in zip(range(960), polls, strict=False)]
            middle = time.perf_counter()
            scratch.save_polls(chunk, is_demo=True)
            generate_s += middle - begin
            store_s += time.perf_counter() - middle
        scratch.close()
        share = store_s / (generate_s + store_s)
        print(
            f"  split (one separate run, no seeder): the store's part is {share:.0%}"
            f" (save_polls {store_s:.2f} s; demo modem + analyze + detect {generate_s:.2f} s)"
        )

        # (b) bytes on disk per snapshot, the whole file with the WAL folded in.
        store.checkpoint()
        wal = path.with_name(path.name + "-wal")
        size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        per = size / snapshots
        print(
            f"size: {size / 1e6:.1f} MB, {per:,.0f} bytes per snapshot (all tables)"
            f" | DOCSight {REFERENCE['bytes']:,} -> {REFERENCE['bytes'] / per:.1f}x smaller"
            f" | {verdict(per, TARGET['bytes'])}"
        )

        # (c) one poll on top of the seeded history (analysis done beforehand).
        after = newest(store) + STEP
        extra = list(demo_polls(after, RUNS * 200, seed=1))
        pending = iter(extra)

        def save_one() -> None:
            analysis, events = next(pending)
            store.save_poll(analysis, events)

        poll_ms = best_median_ms(save_one, 200)
        print(
            f"store one poll: {poll_ms:.3f} ms median | DOCSight {REFERENCE['poll_ms']} ms"
            f" -> {REFERENCE['poll_ms'] / poll_ms:.0f}x faster | {verdict(poll_ms, TARGET['poll_ms'])}"
        )

        # (d) trend queries ending at the newest snapshot.
        until = newest(store) + timedelta(seconds=1)
        for name, span, bucket in (
            ("day", timedelta(days=1), "hour"),
            ("week", timedelta(days=7), "day"),
            ("month", timedelta(days=30), "day"),
            ("270 days", timedelta(days=DAYS), "week"),
        ):
            points = len(store.trends(until - span, until, bucket, ZONE))
            ms = best_median_ms(
                lambda s=span, b=bucket: store.trends(until - s, until, b, ZONE), 15
            )
            target = f" | {verdict(ms, TARGET['month_ms'])}" if name == "month" else ""
            print(
                f"trend {name:8} ({bucket} buckets, {points} points): {ms:.2f} ms median"
                f" | DOCSight ~{REFERENCE['trend_ms']:.0f} ms"
                f" -> {REFERENCE['trend_ms'] / ms:.0f}x faster{target}"
            )
        store.close()


if __name__ == "__main__":
    main()
