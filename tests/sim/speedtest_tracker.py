"""A real HTTP server on 127.0.0.1 that plays a Speedtest Tracker (API v1).

It speaks the shapes of the real API:

* ``GET /api/v1/results?page[size]=N&page[number]=P&sort=-created_at``: newest
  first, ``{"data": [...], "links": {...}, "meta": {"current_page", "last_page",
  "per_page", "total"}}``; each result has ``id``, ``ping``, ``download``/``upload``
  (bytes per second), ``download_bits``/``upload_bits``, ``*_bits_human``,
  ``status``, ``created_at`` and the Ookla JSON under ``data``;
* ``POST /api/v1/speedtests/run``: 201 and a new result (finished at once),
  429 within a minute of the last run;
* ``Authorization: Bearer <token>``: missing or wrong gives 401; a token in
  ``read_only_tokens`` may read but not run (403).

Knobs: ``status`` (answer every request with it), ``hang`` (the result list
never answers, until the server closes), ``results`` (the list, any
order), :meth:`add_result`, :meth:`reset_ids` (the tracker's database was
recreated: ids start again at 1), :meth:`wipe`.  ``calls`` records the
requests (method, path, page number).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
import math
from typing import Any

from aiohttp import web
import pytest

from tests.sim.loopback import LoopbackServer

TOKEN = "1|st-tracker-token-for-tests"
RUN_GAP = timedelta(seconds=60)


def make_result(
    result_id: int,
    when: datetime,
    *,
    download_mbps: float = 250.0,
    upload_mbps: float = 40.0,
    ping_ms: float = 12.5,
    jitter_ms: float = 1.25,
    packet_loss: float | None = 0.0,
    status: str = "completed",
) -> dict[str, Any]:
    """Return one result as the tracker's API serves it."""
    down_bytes = download_mbps * 1e6 / 8
    up_bytes = upload_mbps * 1e6 / 8
    stamp = when.astimezone(UTC)
    data: dict[str, Any] = {
        "type": "result",
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ping": {"jitter": jitter_ms, "latency": ping_ms, "low": ping_ms - 1, "high": ping_ms + 3},
        "download": {
            "bandwidth": round(down_bytes),
            "bytes": round(down_bytes * 10),
            "elapsed": 10012,
            "latency": {"iqm": ping_ms + 20, "low": ping_ms, "high": ping_ms + 80, "jitter": 4.5},
        },
        "upload": {
            "bandwidth": round(up_bytes),
            "bytes": round(up_bytes * 10),
            "elapsed": 9980,
            "latency": {"iqm": ping_ms + 30, "low": ping_ms, "high": ping_ms + 120, "jitter": 6.1},
        },
        "isp": "Vodafone Germany",
        "interface": {
            "internalIp": "192.0.2.10",
            "name": "eth0",
            "macAddr": "02:00:00:00:00:01",
            "isVpn": False,
            "externalIp": "198.51.100.7",
        },
        "server": {
            "id": 31470,
            "host": "speedtest.example.net",
            "port": 8080,
            "name": "Example Carrier",
            "location": "Frankfurt",
            "country": "Germany",
            "ip": "203.0.113.5",
        },
        "result": {
            "id": f"abc-{result_id}",
            "url": f"https://www.speedtest.net/result/c/{result_id}",
        },
    }
    if packet_loss is not None:
        data["packetLoss"] = packet_loss
    finished = status == "completed"
    return {
        "id": result_id,
        "service": "ookla",
        "ping": ping_ms if finished else None,
        "download": round(down_bytes) if finished else None,
        "upload": round(up_bytes) if finished else None,
        "download_bits": round(download_mbps * 1e6) if finished else None,
        "upload_bits": round(upload_mbps * 1e6) if finished else None,
        "download_bits_human": f"{download_mbps:.2f} Mbps" if finished else None,
        "upload_bits_human": f"{upload_mbps:.2f} Mbps" if finished else None,
        "benchmarks": None,
        "healthy": None,
        "status": status,
        "scheduled": True,
        "comments": None,
        "data": data if finished else None,
        "created_at": stamp.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        "updated_at": stamp.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
    }


class SpeedtestTrackerSimulator(LoopbackServer):
    """An aiohttp application speaking the tracker's API v1."""

    def __init__(self, token: str = TOKEN) -> None:
        """Start with no results; the server starts with :meth:`start`."""
        self.token = token
        self.read_only_tokens: set[str] = set()
        self.results: list[dict[str, Any]] = []
        self.status: int | None = None
        self.hang = False
        self.received = asyncio.Event()
        self._release = asyncio.Event()
        self.calls: list[tuple[str, str, int | None]] = []
        self.tokens_seen: list[str] = []  # every bearer token a request carried
        self.last_run: datetime | None = None
        self._next_id = 1
        app = web.Application()
        app.router.add_get("/api/v1/results", self._results)
        app.router.add_post("/api/v1/speedtests/run", self._run)
        self.serve(app)

    async def close(self) -> None:
        """Stop listening (a hanging request is let go first)."""
        self._release.set()
        await self._server.close()

    def add_result(self, when: datetime, **figures: Any) -> dict[str, Any]:
        """Add a result with the next id and return it."""
        result = make_result(self._next_id, when, **figures)
        self._next_id += 1
        self.results.append(result)
        return result

    def add_results(self, count: int, start: datetime, step: timedelta, **figures: Any) -> None:
        """Add ``count`` results, ``step`` apart from ``start``."""
        for index in range(count):
            self.add_result(start + index * step, **figures)

    def requests_with_token(self, token: str) -> int:
        """Return how many requests carried ``token``."""
        return self.tokens_seen.count(token)

    def reset_ids(self) -> None:
        """Recreate the tracker's database: no results, ids from 1 again."""
        self.results.clear()
        self._next_id = 1

    def wipe(self) -> None:
        """Delete every result but keep counting ids (the table was emptied)."""
        self.results.clear()

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        self.tokens_seen.append(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or header[7:] not in {
            self.token,
            *self.read_only_tokens,
        }:
            return web.json_response({"message": "Unauthenticated."}, status=401)
        return None

    async def _results(self, request: web.Request) -> web.StreamResponse:
        number = int(request.query.get("page[number]", "1"))
        self.calls.append(("GET", request.path, number))
        self.received.set()
        if self.hang:
            await self._release.wait()
        if self.status is not None:
            return web.json_response({"message": "error"}, status=self.status)
        if (denied := self._auth(request)) is not None:
            return denied
        size = int(request.query.get("page[size]", "25"))
        ordered = sorted(
            self.results,
            key=lambda r: (r["created_at"], r["id"]),
            reverse=request.query.get("sort", "-created_at").startswith("-"),
        )
        last_page = max(1, math.ceil(len(ordered) / size))
        page = ordered[(number - 1) * size : number * size]
        return web.json_response(
            {
                "data": page,
                "links": {
                    "first": f"{self.url}/api/v1/results?page[number]=1",
                    "last": f"{self.url}/api/v1/results?page[number]={last_page}",
                    "prev": None,
                    "next": None,
                },
                "meta": {
                    "current_page": number,
                    "from": (number - 1) * size + 1 if page else None,
                    "last_page": last_page,
                    "per_page": size,
                    "to": (number - 1) * size + len(page) if page else None,
                    "total": len(ordered),
                },
            }
        )

    async def _run(self, request: web.Request) -> web.StreamResponse:
        self.calls.append(("POST", request.path, None))
        if self.status is not None:
            return web.json_response({"message": "error"}, status=self.status)
        if (denied := self._auth(request)) is not None:
            return denied
        if request.headers["Authorization"][7:] in self.read_only_tokens:
            return web.json_response({"message": "This action is unauthorized."}, status=403)
        now = datetime.now(UTC)
        if self.last_run is not None and now - self.last_run < RUN_GAP:
            return web.json_response({"message": "Too Many Attempts."}, status=429)
        self.last_run = now
        self.add_result(now, download_mbps=222.0, upload_mbps=33.0, ping_ms=9.0)
        return web.json_response(
            {"message": "Speedtest added to the queue.", "data": {"id": self._next_id - 1}},
            status=201,
        )


@pytest.fixture(name="speedtest_tracker")
async def speedtest_tracker_fixture(
    socket_enabled: None,
) -> AsyncGenerator[SpeedtestTrackerSimulator]:
    """A running Speedtest Tracker simulator without results."""
    simulator = SpeedtestTrackerSimulator()
    await simulator.start()
    yield simulator
    await simulator.close()
