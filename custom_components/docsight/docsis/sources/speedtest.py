"""Speedtest Tracker (github.com/alexjustesen/speedtest-tracker) as a source of speed tests.

Three parts, kept apart so that each can be tested on its own:

* :class:`SpeedtestTrackerClient` talks to the tracker's API v1 with a bearer
  token on a session it is given: the paged, newest-first result list and the
  "run a test now" call;
* :func:`parse_result` maps one result of that API to a :class:`SpeedtestResult`
  (pure; Mbps, milliseconds and percent, times in UTC);
* the ``*_results`` functions read and write the ``speedtest_results`` table of a
  :class:`~..storage.HistoryStore` (call them on the store's thread).

What is new is decided against the store, not against memory, so a restart
picks up where the stored results end: with nothing stored, the past results
are backfilled (up to :data:`BACKFILL_LIMIT`); after that only results newer
than the newest stored one are read.  A tracker whose ids went backwards (its
database was reset) or that has no results any more (wiped) is recognised by
:func:`detect_reset`; stored results are never touched because of it, and the
results of the new database are read in full, told apart from the old ones by
their time (rows are unique per source, id and time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import json
from typing import Any

import aiohttp

from ..storage import HistoryStore, SnapshotSummary, iso_z, parse_z
from . import (
    SourceAuthError,
    SourceConnectionError,
    SourceDataError,
    as_float,
    mapping,
    read_limited,
    status_error,
)

RESULTS_PATH = "/api/v1/results"
RUN_PATH = "/api/v1/speedtests/run"
PAGE_SIZE = 100
BACKFILL_LIMIT = 2000
# The tracker refuses a manual run within this long of the last (HTTP 429).
RUN_RATE_LIMIT = timedelta(seconds=60)
# A result is linked to the stored poll closest in time, within this much.
SNAPSHOT_WINDOW = timedelta(hours=1)
# Statuses of results that are done; others (running, failed, skipped) have no figures yet.
_DONE = {"completed"}


class ResetKind(StrEnum):
    """Why the tracker's results no longer continue the stored ones."""

    ID_RESET = "id_reset"
    WIPED = "wiped"


@dataclass(frozen=True, slots=True)
class SpeedtestResult:
    """One speed test, in the units the sensors show."""

    source_id: int
    timestamp: datetime
    download_mbps: float | None
    upload_mbps: float | None
    ping_ms: float | None
    jitter_ms: float | None
    packet_loss_pct: float | None
    server_name: str | None
    isp: str | None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """One page of the tracker's result list (newest first)."""

    results: tuple[SpeedtestResult, ...]
    last_page: int
    total: int | None
    # Result ids on the page whose test is not finished (kept out of ``results``).
    pending: int = 0


@dataclass(frozen=True, slots=True)
class StoredRef:
    """The newest stored result of a source: where reading goes on from."""

    source_id: int
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    """What one read of the tracker brought: the results to store and any reset seen."""

    results: tuple[SpeedtestResult, ...]
    reset: ResetKind | None
    backfill: bool


@dataclass(frozen=True, slots=True)
class StoredSpeedtest:
    """A stored speed test row."""

    id: int
    source: str | None
    result: SpeedtestResult
    is_demo: bool


# -- mapping -------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """Parse an API time to UTC; a time without zone is taken as UTC (the tracker's default)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _mbps(item: Mapping[str, Any], name: str, data: Mapping[str, Any]) -> float | None:
    bits = as_float(item.get(f"{name}_bits"))
    if bits is None:
        # Older trackers: bytes per second, as Ookla's CLI reports bandwidth.
        per_second = as_float(item.get(name))
        if per_second is None:
            per_second = as_float(mapping(data.get(name)).get("bandwidth"))
        bits = None if per_second is None else per_second * 8
    return None if bits is None else round(bits / 1e6, 2)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def is_done(item: Mapping[str, Any]) -> bool:
    """Return whether a result of the API is a finished test (no status: an old tracker)."""
    status = item.get("status")
    return status is None or str(status).lower() in _DONE


def parse_result(item: Mapping[str, Any]) -> SpeedtestResult:
    """Map one result of ``/api/v1/results`` to a :class:`SpeedtestResult`.

    Raises SourceDataError for an item without an id or a time, which no
    tracker serves: storing it could never be deduplicated.
    """
    data = mapping(item.get("data"))
    source_id = item.get("id")
    if isinstance(source_id, str) and source_id.isdigit():
        source_id = int(source_id)
    if not isinstance(source_id, int) or isinstance(source_id, bool):
        raise SourceDataError(f"speed test result without an id: {source_id!r}")
    timestamp = parse_time(data.get("timestamp")) or parse_time(item.get("created_at"))
    if timestamp is None:
        raise SourceDataError(f"speed test result {source_id} has no time")
    ping = mapping(data.get("ping"))
    server = mapping(data.get("server"))
    ping_ms = as_float(item.get("ping"))
    if ping_ms is None:
        ping_ms = as_float(ping.get("latency"))
    details: dict[str, Any] = {
        "server": {
            key: server[key]
            for key in ("id", "name", "host", "location", "country", "ip")
            if server.get(key) is not None
        },
        "ping": {key: as_float(ping.get(key)) for key in ("low", "high") if key in ping},
    }
    for direction in ("download", "upload"):
        part = mapping(data.get(direction))
        latency = mapping(part.get("latency"))
        figures = {
            "latency_iqm_ms": as_float(latency.get("iqm")),
            "latency_jitter_ms": as_float(latency.get("jitter")),
            "bytes": part.get("bytes"),
            "elapsed_ms": part.get("elapsed"),
            "human": _text(item.get(f"{direction}_bits_human")),
        }
        details[direction] = {key: value for key, value in figures.items() if value is not None}
    interface = mapping(data.get("interface"))
    if interface:
        details["interface"] = {
            "external_ip": _text(interface.get("externalIp")),
            "is_vpn": interface.get("isVpn"),
        }
    url = _text(mapping(data.get("result")).get("url"))
    if url:
        details["result_url"] = url
    loss = as_float(data.get("packetLoss"))
    return SpeedtestResult(
        source_id=source_id,
        timestamp=timestamp.replace(microsecond=0),
        download_mbps=_mbps(item, "download", data),
        upload_mbps=_mbps(item, "upload", data),
        ping_ms=None if ping_ms is None else round(ping_ms, 3),
        jitter_ms=as_float(ping.get("jitter")),
        packet_loss_pct=None if loss is None else round(loss, 3),
        server_name=_text(server.get("name")),
        isp=_text(data.get("isp")),
        details={key: value for key, value in details.items() if value},
    )


def parse_page(body: Any) -> ResultsPage:
    """Map one response of ``/api/v1/results`` (``data`` + ``meta``) to a page."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise SourceDataError("not a Speedtest Tracker result list (no data array)")
    meta = mapping(body.get("meta"))
    last_page = meta.get("last_page", 1)
    if not isinstance(last_page, int) or last_page < 1:
        last_page = 1
    total = meta.get("total")
    results = []
    pending = 0
    for item in body["data"]:
        if not isinstance(item, Mapping):
            raise SourceDataError("a speed test result is not an object")
        if is_done(item):
            results.append(parse_result(item))
        else:
            pending += 1
    return ResultsPage(
        results=tuple(results),
        last_page=last_page,
        total=total if isinstance(total, int) else None,
        pending=pending,
    )


def detect_reset(newest: StoredRef | None, first_page: ResultsPage) -> ResetKind | None:
    """Tell whether the tracker's results no longer continue the stored ones.

    ``first_page`` is the newest page.  Wiped: the tracker has no results at
    all but we stored some.  Id reset: its newest id is below our newest, or
    it serves our newest id with another time (a reset tracker that has since
    counted past our newest id).
    """
    if newest is None:
        return None
    if not first_page.results and not first_page.pending and not first_page.total:
        return ResetKind.WIPED
    if not first_page.results:
        return None
    if max(result.source_id for result in first_page.results) < newest.source_id:
        return ResetKind.ID_RESET
    for result in first_page.results:
        if result.source_id == newest.source_id and result.timestamp != newest.timestamp:
            return ResetKind.ID_RESET
    return None


# -- client --------------------------------------------------------------------


class SpeedtestTrackerClient:
    """The tracker's API v1 on an injected aiohttp session (bearer token)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str) -> None:
        """Keep the address (without a trailing slash) and token; nothing is sent yet."""
        self._session = session
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    async def _request(self, method: str, path: str, params: Mapping[str, str] | None) -> Any:
        what = f"Speedtest Tracker {method} {path}"
        try:
            async with self._session.request(
                method, f"{self.url}{path}", params=params, headers=self._headers
            ) as response:
                error = status_error(response.status, what)
                if response.status == 403:
                    # The token exists but lacks the ability (results:read, speedtests:run).
                    error = SourceAuthError(f"{what}: the token may not do this (HTTP 403)")
                if error is not None:
                    raise error
                body = await read_limited(response, what)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SourceConnectionError(f"{what}: {err or type(err).__name__}") from err
        if not body:
            return None
        try:
            return json.loads(body)
        except ValueError as err:
            raise SourceDataError(f"{what}: the answer is not JSON") from err

    async def async_fetch_page(self, number: int, size: int = PAGE_SIZE) -> ResultsPage:
        """Return one page of results, newest first."""
        body = await self._request(
            "GET",
            RESULTS_PATH,
            {"page[size]": str(size), "page[number]": str(number), "sort": "-created_at"},
        )
        return parse_page(body)

    async def async_validate(self) -> int | None:
        """Read the newest result once (what a flow does before saving); return the total."""
        return (await self.async_fetch_page(1, 1)).total

    async def async_fetch_new(
        self,
        newest: StoredRef | None,
        *,
        page_size: int = PAGE_SIZE,
        backfill_limit: int = BACKFILL_LIMIT,
    ) -> FetchOutcome:
        """Read what is not stored yet: everything (backfill, reset) or what is newer.

        Reads every page it needs before returning, so the caller stores all
        or (on any error) nothing.
        """
        first = await self.async_fetch_page(1, page_size)
        reset = detect_reset(newest, first)
        if reset is ResetKind.WIPED:
            return FetchOutcome(results=(), reset=reset, backfill=False)
        backfill = newest is None or reset is not None
        collected: list[SpeedtestResult] = []
        page, number = first, 1
        while True:
            for result in page.results:
                if not backfill and newest is not None and result.source_id <= newest.source_id:
                    return FetchOutcome(results=tuple(collected), reset=reset, backfill=False)
                collected.append(result)
                if len(collected) >= backfill_limit:
                    return FetchOutcome(results=tuple(collected), reset=reset, backfill=backfill)
            if number >= page.last_page or not (page.results or page.pending):
                return FetchOutcome(results=tuple(collected), reset=reset, backfill=backfill)
            number += 1
            page = await self.async_fetch_page(number, page_size)

    async def async_run_test(self) -> None:
        """Ask the tracker to run a speed test now (201 Created; 429 within a minute of the last)."""
        await self._request("POST", RUN_PATH, None)


# -- store -----------------------------------------------------------------------

_INSERT = (
    "INSERT OR IGNORE INTO speedtest_results (ts, source, source_id, download_mbps,"
    " upload_mbps, ping_ms, jitter_ms, packet_loss_pct, server_name, isp, data, is_demo)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def insert_results(
    store: HistoryStore,
    source: str,
    results: Sequence[SpeedtestResult],
    *,
    is_demo: bool = False,
) -> int:
    """Store results of one source in one transaction, skipping those already there.

    Returns how many were new.  All or nothing: a failing write stores none.
    """
    rows = [
        (
            iso_z(result.timestamp),
            source,
            str(result.source_id),
            result.download_mbps,
            result.upload_mbps,
            result.ping_ms,
            result.jitter_ms,
            result.packet_loss_pct,
            result.server_name,
            result.isp,
            json.dumps(result.details, separators=(",", ":"), sort_keys=True),
            int(is_demo),
        )
        for result in results
    ]
    db = store.connection
    with store.transaction():
        before = db.total_changes
        db.executemany(_INSERT, rows)
        return db.total_changes - before


def _stored(row: Sequence[Any]) -> StoredSpeedtest:
    source_id = row[3]
    return StoredSpeedtest(
        id=row[0],
        source=row[2],
        result=SpeedtestResult(
            source_id=int(source_id) if str(source_id).isdigit() else 0,
            timestamp=parse_z(row[1]),
            download_mbps=row[4],
            upload_mbps=row[5],
            ping_ms=row[6],
            jitter_ms=row[7],
            packet_loss_pct=row[8],
            server_name=row[9],
            isp=row[10],
            details=json.loads(row[11] or "{}"),
        ),
        is_demo=bool(row[12]),
    )


_SELECT = (
    "SELECT id, ts, source, source_id, download_mbps, upload_mbps, ping_ms, jitter_ms,"
    " packet_loss_pct, server_name, isp, data, is_demo FROM speedtest_results"
)


def latest_result(store: HistoryStore, source: str) -> StoredSpeedtest | None:
    """Return the newest stored result of one source (never a demo row)."""
    row = store.connection.execute(
        f"{_SELECT} WHERE source = ? AND is_demo = 0 ORDER BY ts DESC, id DESC LIMIT 1",
        (source,),
    ).fetchone()
    return None if row is None else _stored(row)


def newest_ref(store: HistoryStore, source: str) -> StoredRef | None:
    """Return the id and time of the newest stored result: where reading goes on from.

    The newest by time, not the highest id: after an id reset the new
    database's results are the newest, whatever their ids.
    """
    latest = latest_result(store, source)
    if latest is None:
        return None
    return StoredRef(source_id=latest.result.source_id, timestamp=latest.result.timestamp)


def result_count(store: HistoryStore, source: str) -> int:
    """Return how many results of one source are stored."""
    row = store.connection.execute(
        "SELECT count(*) FROM speedtest_results WHERE source = ? AND is_demo = 0", (source,)
    ).fetchone()
    return int(row[0])


def closest_snapshot(
    store: HistoryStore, when: datetime, window: timedelta = SNAPSHOT_WINDOW
) -> SnapshotSummary | None:
    """Return the stored poll closest in time to ``when`` (within ``window``), or None.

    A speed test is evidence only next to the line's state at that moment;
    the poll just before and the one just after are both candidates.
    """
    candidates = store.snapshots(when - window, when + window + timedelta(seconds=1))
    if not candidates:
        return None
    return min(candidates, key=lambda summary: (abs(summary.ts - when), summary.ts))
