"""A real HTTP server on 127.0.0.1 that plays ThinkBroadband's BQM share files.

Under ``/broadband/monitoring/quality/share/`` (the real path) it serves, for
each share id it knows: ``<id>-y.csv`` (yesterday) and ``<id>-l.csv`` (the live
24 hours), one row per minute with the header ``Timestamp,Sent Polls,Lost
Polls,Min Latency (ns),Ave Latency (ns),Max Latency (ns),Score``, and
``<id>-y.png``, a real PNG graph.  Unknown ids get 404.

Knobs: ``status`` (answer everything with it: 403 and 429 are how
ThinkBroadband tells a client to stop), ``image`` (bytes, or None for 404),
``csv_text`` (serve this instead of the generated day), ``bad_minutes``
(minutes of the generated day with loss and high latency).  ``calls`` records
every file asked for, ``user_agents`` the User-Agent headers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime, timedelta
import struct
import zlib

from aiohttp import web
import pytest

from tests.sim.loopback import LoopbackServer

SHARE_PATH = "/broadband/monitoring/quality/share/"
SHARE_ID = "0123456789abcdef0123456789abcdef01234567-42"
HEADER = "Timestamp,Sent Polls,Lost Polls,Min Latency (ns),Ave Latency (ns),Max Latency (ns),Score"


def png(width: int = 32, height: int = 16, shade: int = 90) -> bytes:
    """Return a real (grey, filled) PNG image."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    # A latency-graph-like pattern: a band whose height wanders across the width.
    raw = b"".join(
        b"\x00"
        + b"".join(
            bytes([shade, 40, 40]) if (x * 7 + y * 3) % 11 < 3 else bytes([250, 250, 250])
            for x in range(width)
        )
        for y in range(height)
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def day_csv(day: date, bad_minutes: int = 0) -> str:
    """Return a day of one-minute rows: 60 polls each, the first ``bad_minutes`` lossy."""
    lines = [HEADER]
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    for minute in range(1440):
        when = start + timedelta(minutes=minute)
        bad = minute < bad_minutes
        lost = 6 if bad else 0
        low, avg, high = (12.0, 48.0, 310.0) if bad else (9.5, 11.0, 24.0)
        lines.append(
            f"{when:%Y-%m-%d %H:%M:%S},60,{lost},{low * 1e6:.0f},{avg * 1e6:.0f},"
            f"{high * 1e6:.0f},{50 if bad else 100}"
        )
    return "\n".join(lines) + "\n"


class BqmSimulator(LoopbackServer):
    """An aiohttp application serving one BQM share's files."""

    def __init__(self, share_id: str = SHARE_ID) -> None:
        """Know one share; the server starts with :meth:`start`."""
        self.share_ids = {share_id}
        self.share_id = share_id
        self.status: int | None = None
        self.image: bytes | None = png()
        self.csv_text: str | None = None
        self.bad_minutes = 30
        self.calls: list[str] = []
        self.user_agents: list[str] = []
        app = web.Application()
        app.router.add_get(SHARE_PATH + "{name}", self._file)
        self.serve(app)

    @property
    def share_url(self) -> str:
        """Return the share link a user would paste (the live graph)."""
        return str(self._server.make_url(f"{SHARE_PATH}{self.share_id}.png"))

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.calls.append(name)
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if self.status is not None:
            return web.Response(status=self.status, text="Forbidden")
        stem, _, extension = name.rpartition(".")
        share_id, _, suffix = stem.rpartition("-")
        if share_id not in self.share_ids or suffix not in ("y", "l"):
            return web.Response(status=404, text="Not Found")
        today = datetime.now(UTC).date()
        if extension == "csv":
            text = self.csv_text
            if text is None:
                text = day_csv(
                    today - timedelta(days=1) if suffix == "y" else today, self.bad_minutes
                )
            return web.Response(text=text, content_type="text/csv")
        if extension == "png" and self.image is not None:
            return web.Response(body=self.image, content_type="image/png")
        return web.Response(status=404, text="Not Found")


@pytest.fixture(name="bqm_server")
async def bqm_server_fixture(socket_enabled: None) -> AsyncGenerator[BqmSimulator]:
    """A running BQM simulator with one share."""
    simulator = BqmSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()
