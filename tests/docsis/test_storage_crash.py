"""Crash safety for real: a writer process is killed with SIGKILL in the middle of a write.

The child opens a store, announces every committed transaction on stdout
("committed <total>") and "begin <total>" before each write.  The parent kills
it while a transaction is in flight, then checks that the file opens, passes
SQLite's integrity check, holds every announced row, and holds no part of the
transaction that was cut off (the count is a sum of whole batches, and every
snapshot still has its one event).
"""

from __future__ import annotations

from pathlib import Path
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from custom_components.docsight.docsis.storage import HistoryStore

LIBRARY = Path(__file__).resolve().parents[2] / "custom_components" / "docsight"

CHILD = """
import dataclasses
import sys
from datetime import UTC, datetime, timedelta

sys.path.insert(0, sys.argv[1])

from docsis.analyzer import analyze
from docsis.drivers.base import DriverConfig
from docsis.drivers.demo import DemoModem
from docsis.events import detect
from docsis.storage import HistoryStore

path, first, batch, batches = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
start = datetime(2026, 1, 1, tzinfo=UTC)
template = analyze(DemoModem(DriverConfig(seed=3)).read(start))
events, _ = detect(None, template)  # one event per poll


def polls(offset, count):
    for index in range(offset, offset + count):
        reading = dataclasses.replace(template.reading, read_at=start + timedelta(minutes=5 * index))
        yield dataclasses.replace(template, reading=reading), events


store = HistoryStore.open(path)
total = 0
for size in [first] + [batch] * batches:
    print(f"begin {total}", flush=True)
    total += store.save_polls(polls(total, size))
    print(f"committed {total}", flush=True)
print("done", flush=True)
"""


class Child:
    """The writer process and a thread that hands its stdout lines over."""

    def __init__(self, script: Path, path: Path, first: int, batch: int, batches: int) -> None:
        """Start the writer: ``first`` polls, then ``batches`` transactions of ``batch``."""
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                str(script),
                str(LIBRARY),
                str(path),
                *map(str, (first, batch, batches)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.committed = 0
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, prefix: str, deadline: float) -> str:
        """Return the next line starting with ``prefix``, noting commits on the way."""
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if line is None:
                assert self.process.stderr is not None
                pytest.fail(f"the writer ended early: {self.process.stderr.read()[-2000:]}")
            if line.startswith("committed "):
                self.committed = int(line.split()[1])
            if line.startswith(prefix):
                return line

    def kill(self) -> None:
        """SIGKILL the writer and collect what it announced before it died."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL
        # Commits announced before the process died still count.
        while True:
            try:
                line = self.lines.get(timeout=5)
            except queue.Empty:  # pragma: no cover - the pipe closes with the process
                break
            if line is None:
                break
            if line.startswith("committed "):
                self.committed = int(line.split()[1])
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "writer.py"
    path.write_text(CHILD)
    return path


def uncommitted_frames(path: Path) -> int:
    """Count the frames of the WAL's current generation after its last commit frame.

    Frames of a transaction in flight carry the WAL header's salt but no
    commit mark; more than zero after a kill means the kill hit a write
    whose pages had already reached the file.
    """
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return 0
    with wal.open("rb") as file:
        header = file.read(32)
        if len(header) < 32:
            return 0
        page_size = int.from_bytes(header[8:12], "big")
        salt = header[16:24]
        size = wal.stat().st_size
        pending, offset = 0, 32
        while offset + 24 + page_size <= size:
            file.seek(offset)
            frame = file.read(24)
            if frame[8:16] != salt:
                break
            pending = 0 if int.from_bytes(frame[4:8], "big") else pending + 1
            offset += 24 + page_size
    return pending


def check_recovered(path: Path, first: int, batch: int, announced: int) -> int:
    """Open the killed writer's file and check it; return the snapshot count."""
    store = HistoryStore.open(path)
    try:
        assert store.integrity_check() == "ok"
        counts = store.counts()
        snapshots = counts["snapshots"]
        # Every announced commit is there...
        assert snapshots >= announced
        # ...at most the one transaction that committed before its announcement...
        assert snapshots - announced in (0, first if announced == 0 else batch)
        # ...and only whole transactions: a sum of batches, every poll with its event.
        assert snapshots == 0 or (snapshots >= first and (snapshots - first) % batch == 0)
        assert counts["events"] == snapshots
        # The recovered store reads and takes new writes.
        latest = store.latest_snapshot()
        assert latest is None or len(latest.downstream) == 25
        store.save_polls([])
    finally:
        store.close()
    return snapshots


@pytest.mark.parametrize(
    ("first", "batch", "begins"),
    [
        # Killed inside the very first (large) transaction: nothing committed.
        pytest.param(10_000, 10_000, 1, id="first-transaction"),
        # Killed in a large transaction right after the first commit.
        pytest.param(2_000, 20_000, 2, id="after-the-first-commit"),
        # Killed after several committed transactions.
        pytest.param(2_000, 10_000, 4, id="after-several-commits"),
    ],
)
def test_sigkill_mid_write_keeps_every_commit_and_no_partial_one(
    script: Path, tmp_path: Path, first: int, batch: int, begins: int
) -> None:
    path = tmp_path / "history.db"
    child = Child(script, path, first, batch, 20)
    try:
        deadline = time.monotonic() + 12
        for _ in range(begins):
            child.wait_for("begin", deadline)
        # The transaction just begun is larger than SQLite's page cache, so its
        # pages spill into the WAL before its commit: kill once they do.
        while uncommitted_frames(path) < 64:
            assert child.process.poll() is None, "the writer ended before the kill"
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.002)
    finally:
        child.kill()
    expected = first + (begins - 2) * batch if begins > 1 else 0
    assert child.committed == expected
    # The cut-off transaction left pages in the WAL (it died mid-write)...
    assert uncommitted_frames(path) >= 64
    # ...and recovery ignores them: exactly the committed rows remain.
    assert check_recovered(path, first, batch, child.committed) == expected


def test_sigkill_at_arbitrary_moments(script: Path, tmp_path: Path) -> None:
    """Small transactions in a loop, killed after a few different delays."""
    first, batch = 2_000, 500
    for attempt, delay in enumerate((0.01, 0.15, 0.4)):
        path = tmp_path / f"timed-{attempt}.db"
        child = Child(script, path, first, batch, 10_000)
        try:
            child.wait_for("committed", time.monotonic() + 10)
            time.sleep(delay)
            assert child.process.poll() is None
        finally:
            child.kill()
        check_recovered(path, first, batch, child.committed)
