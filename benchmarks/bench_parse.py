"""Time the parse of a real 32-channel HTML status page into a reading.

Run: .venv/bin/python benchmarks/bench_parse.py
The page is the Arris CM3500B ``status_cgi`` capture (24 SC-QAM + 2 OFDM down,
4 SC-QAM + 1 OFDMA up, plus device rows), read in place from the shared
fixtures.  Reference: the Cable Modem Monitor integration takes 11-14 ms per
such page, most of it in BeautifulSoup.  Target: < 2 ms.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
import statistics
import sys
import time

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "custom_components" / "docsight"))

from docsis.model import Reading
from docsis.parsers.arris_cm3500 import build_device_info, parse_status

CAPTURE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "fixtures"
    / "modems"
    / "arris_cm3500b"
    / "solentlabs"
    / "cgi-bin"
    / "status_cgi.html"
)
REFERENCE_MS = (11.0, 14.0)
TARGET_MS = 2.0
RUNS = 2000


def parse(text: str) -> Reading:
    """Page text to a full reading, as the driver does it."""
    status = parse_status(text)
    return Reading(
        read_at=datetime.now(UTC),
        device=build_device_info(status, None),
        downstream=status.downstream,
        upstream=status.upstream,
    )


def main() -> None:
    if not CAPTURE.exists():
        print(f"captured page not available ({CAPTURE} is missing); nothing to time")
        return
    text = CAPTURE.read_text(encoding="utf-8", errors="replace")
    times = []
    reading = parse(text)
    for _ in range(RUNS):
        start = time.perf_counter()
        reading = parse(text)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    channels = len(reading.downstream) + len(reading.upstream)
    low, high = REFERENCE_MS
    print(
        f"CM3500B status page ({len(text)} chars, {channels} channels):"
        f" {median:.4f} ms median over {RUNS} runs"
        f" | Cable Modem Monitor {low:.0f}-{high:.0f} ms"
        f" -> {low / median:.0f}-{high / median:.0f}x faster"
        f" | target < {TARGET_MS} ms: {'met' if median < TARGET_MS else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
