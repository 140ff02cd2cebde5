"""Time one poll's processing (analyze + detect) for the demo and a large channel plan.

Run: .venv/bin/python benchmarks/bench_analyze.py
Reference (DOCSight's own analyzer + event detector on these machines):
demo plan 0.40 + 0.05 ms, large plan 0.58 + 0.30 ms.  Target: < 0.1 ms for the large plan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
import statistics
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "custom_components" / "docsight"))

from docsis.analyzer import analyze
from docsis.drivers.base import DriverConfig
from docsis.drivers.demo import DemoModem
from docsis.events import detect
from docsis.model import Channel, DeviceInfo, Direction, Family, Reading

REFERENCE_MS = {"demo": (0.40, 0.05), "large": (0.58, 0.30)}
TARGET_MS = 0.1


def large_reading(when: datetime, step: int) -> Reading:
    """32 SC-QAM + 2 OFDM down, 8 SC-QAM + 2 OFDMA up, values moving a little each poll."""
    wobble = (step % 7) * 0.05
    ds = [
        Channel(
            Direction.DOWNSTREAM,
            Family.SC_QAM,
            i,
            114_000_000 + 8_000_000 * i,
            power_dbmv=3.0 + (i % 5) * 0.4 + wobble,
            snr_db=37.0 - (i % 4) * 0.3 - wobble,
            modulation="256QAM",
            corrected=1000 + i * 10 + step * 3,
            uncorrected=step // 10,
            locked=True,
        )
        for i in range(1, 33)
    ]
    ds += [
        Channel(
            Direction.DOWNSTREAM,
            Family.OFDM,
            33 + k,
            600_000_000 + 200_000_000 * k,
            frequency_end_hz=790_000_000 + 200_000_000 * k,
            power_dbmv=2.0 + wobble,
            snr_db=40.0 - wobble,
            modulation="4096QAM",
            corrected=5000 + step * 9,
            uncorrected=step // 20,
            locked=True,
        )
        for k in range(2)
    ]
    us = [
        Channel(
            Direction.UPSTREAM,
            Family.SC_QAM,
            i,
            20_000_000 + 6_400_000 * i,
            power_dbmv=44.0 + (i % 3) * 0.5 + wobble,
            modulation="64QAM",
            locked=True,
        )
        for i in range(1, 9)
    ]
    us += [
        Channel(
            Direction.UPSTREAM,
            Family.OFDMA,
            9 + k,
            5_000_000,
            frequency_end_hz=42_000_000,
            power_dbmv=45.0 + wobble,
            modulation="1024QAM",
            locked=True,
        )
        for k in range(2)
    ]
    device = DeviceInfo(model="Large", firmware="1", uptime_seconds=1000 + step * 300)
    return Reading(when, device, tuple(ds), tuple(us))


def bench(name: str, readings: list[Reading]) -> None:
    analyze_ms, detect_ms = [], []
    state = None
    baseline = None
    for reading in readings:
        start = time.perf_counter()
        analysis = analyze(reading, baseline=baseline)
        middle = time.perf_counter()
        _events, state = detect(state, analysis)
        end = time.perf_counter()
        baseline = analysis.baseline
        analyze_ms.append((middle - start) * 1000)
        detect_ms.append((end - middle) * 1000)
    a, d = statistics.median(analyze_ms[10:]), statistics.median(detect_ms[10:])
    ref_a, ref_d = REFERENCE_MS[name]
    channels = len(readings[0].downstream) + len(readings[0].upstream)
    print(
        f"{name:5} plan ({channels} channels): analyze {a:.4f} ms + detect {d:.4f} ms"
        f" = {a + d:.4f} ms median | DOCSight {ref_a + ref_d:.2f} ms"
        f" -> {(ref_a + ref_d) / (a + d):.1f}x faster"
        + (
            f" | target < {TARGET_MS} ms: {'met' if a + d < TARGET_MS else 'MISSED'}"
            if name == "large"
            else ""
        )
    )


def main() -> None:
    start = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
    polls = 2000
    modem = DemoModem(DriverConfig(seed=7))
    modem.scenario = "good"
    demo = [modem.read(start + timedelta(minutes=5 * i)) for i in range(polls)]
    large = [large_reading(start + timedelta(minutes=5 * i), i) for i in range(polls)]
    bench("demo", demo)
    bench("large", large)


if __name__ == "__main__":
    main()
