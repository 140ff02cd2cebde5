"""Time the 30-day complaint report: gathering the data, drawing the PDF, the letter, the export.

Run: .venv/bin/python benchmarks/bench_report.py
Reference (DOCSight on these machines): about 2 s for a 30-day report, 0.8 s
to read the data and 1.2 s to build the 4-page PDF.  Target: under 0.5 s in
total.  Two histories are timed: the demo seeder's (a snapshot every 15
minutes, 2,880 in 30 days) and the live polling rate (every 5 minutes, 8,640
in 30 days).  Figures are the best of 5 runs; timing is printed, never
asserted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
import sys
import tempfile
import time
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "custom_components" / "docsight"))

from docsis.analyzer import Analysis, ErrorBaseline, analyze
from docsis.demo_history import seed_demo_history
from docsis.drivers.base import DriverConfig
from docsis.drivers.demo import DemoModem
from docsis.events import DetectorState, Event, detect
from docsis.reports import Letter, complaint_text, gather_report_data, llm_export
from docsis.storage import HistoryStore

ZONE = ZoneInfo("Europe/Berlin")
END = datetime(2026, 3, 15, 12, 0, tzinfo=ZONE)
DAYS = 30
RUNS = 5
REFERENCE = {"read": 0.8, "pdf": 1.2, "total": 2.0}
TARGET_TOTAL = 0.5
LETTER = Letter("Max Müller", "K-4711", "Hauptstraße 1\n10115 Berlin")


def best(function: Callable[[], Any], runs: int = RUNS) -> tuple[float, Any]:
    """Return the fastest of ``runs`` calls and the last result."""
    times = []
    result = None
    for _ in range(runs):
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return min(times), result


def five_minute_polls(count: int) -> Iterator[tuple[Analysis, list[Event]]]:
    """The demo line polled every 5 minutes up to END, graded, with its events."""
    modem = DemoModem(DriverConfig(seed=0, time_zone=ZONE))
    baseline: ErrorBaseline | None = None
    state: DetectorState | None = None
    step = timedelta(minutes=5)
    start = END - (count - 1) * step
    for index in range(count):
        result = analyze(modem.read(start + index * step), baseline=baseline)
        events, state = detect(state, result)
        baseline = result.baseline
        yield result, events


def build_stores(folder: Path) -> dict[str, HistoryStore]:
    seeded = HistoryStore.open(folder / "seeded.db")
    seed_demo_history(seeded, days=DAYS, end=END, time_zone=ZONE, seed=0)
    live = HistoryStore.open(folder / "live.db")
    seed_demo_history(live, days=1, end=END - timedelta(days=DAYS), time_zone=ZONE, seed=0)
    polls = five_minute_polls(DAYS * 288)
    for _ in range(DAYS):
        live.save_polls((poll for _, poll in zip(range(288), polls, strict=False)))
    return {"every 15 min (demo seeder)": seeded, "every 5 min (live polling)": live}


def main() -> None:
    begin = time.perf_counter()
    from docsis.reports import pdf  # noqa: PLC0415 - its import is timed on its own

    print(f"fpdf2 import (once per Home Assistant run): {time.perf_counter() - begin:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        stores = build_stores(Path(tmp))
        start = END - timedelta(days=DAYS)
        for label, store in stores.items():
            snapshots = len(store.snapshots(start, END, limit=100_000))
            read, data = best(
                lambda store=store: gather_report_data(store, start, END, time_zone=ZONE, now=END)
            )
            draw, content = best(lambda data=data: pdf.render_report(data, "de", LETTER))
            pages = content.count(b"/Type /Page\n")
            letter, _ = best(lambda data=data: complaint_text(data, "de", LETTER))
            export, _ = best(lambda store=store: llm_export(store, "full", now=END))
            total = read + draw
            print(f"\n30-day report, a snapshot {label}: {snapshots:,} snapshots")
            print(
                f"  read the data  {read * 1000:7.1f} ms   DOCSight {REFERENCE['read'] * 1000:.0f} ms"
                f"  ({REFERENCE['read'] / read:.0f}x faster)"
            )
            print(
                f"  draw the PDF   {draw * 1000:7.1f} ms   DOCSight {REFERENCE['pdf'] * 1000:.0f} ms"
                f"  ({REFERENCE['pdf'] / draw:.0f}x faster; {pages} pages, {len(content):,} bytes)"
            )
            print(
                f"  total          {total * 1000:7.1f} ms   DOCSight {REFERENCE['total'] * 1000:.0f} ms"
                f"  ({REFERENCE['total'] / total:.1f}x faster); target < {TARGET_TOTAL * 1000:.0f} ms:"
                f" {'met' if total < TARGET_TOTAL else 'MISSED'}"
            )
            print(f"  complaint text {letter * 1000:7.1f} ms")
            print(f"  LLM export     {export * 1000:7.1f} ms (full)")
        for store in stores.values():
            store.close()


if __name__ == "__main__":
    main()
