"""Speedtest Tracker source: mapping, reset detection, the client against the simulator, the store."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from datetime import UTC, datetime, timedelta
import socket
import sqlite3

import aiohttp
import pytest

from custom_components.docsight.docsis.sources import (
    MAX_RESPONSE_BYTES,
    SourceAuthError,
    SourceConnectionError,
    SourceDataError,
    SourceNotFoundError,
    SourceRateLimitedError,
    as_float,
    speedtest as st,
    status_error,
)
from custom_components.docsight.docsis.storage import HistoryStore
from tests.docsis.factories import analysis, ds
from tests.sim.speedtest_tracker import (
    TOKEN,
    SpeedtestTrackerSimulator,
    make_result,
    speedtest_tracker_fixture,  # noqa: F401 - the speedtest_tracker fixture
)

T0 = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    """An in-memory history store."""
    opened = HistoryStore.open(":memory:")
    yield opened
    opened.close()


# -- mapping ------------------------------------------------------------------


def test_parse_result_maps_units_and_details() -> None:
    result = st.parse_result(make_result(7, T0, download_mbps=251.5, upload_mbps=41.25))
    assert result.source_id == 7
    assert result.timestamp == T0
    assert result.download_mbps == 251.5
    assert result.upload_mbps == 41.25
    assert result.ping_ms == 12.5
    assert result.jitter_ms == 1.25
    assert result.packet_loss_pct == 0.0
    assert result.server_name == "Example Carrier"
    assert result.isp == "Vodafone Germany"
    assert result.details["server"]["location"] == "Frankfurt"
    assert result.details["download"]["latency_iqm_ms"] == 32.5
    assert result.details["download"]["human"] == "251.50 Mbps"
    assert result.details["interface"] == {"external_ip": "198.51.100.7", "is_vpn": False}
    assert result.details["result_url"].endswith("/7")
    assert result.details["ping"] == {"low": 11.5, "high": 15.5}


def test_parse_result_old_tracker_without_bits_and_timestamp() -> None:
    """Bandwidth in bytes per second, the time only in created_at (no zone: UTC)."""
    item = {
        "id": "12",
        "download": 31_250_000,  # bytes/s = 250 Mbps
        "upload": None,
        "data": {"upload": {"bandwidth": 5_000_000}, "ping": {"latency": 8.0}},
        "created_at": "2026-03-17 11:00:00",
    }
    result = st.parse_result(item)
    assert result.source_id == 12
    assert result.timestamp == T0 - timedelta(hours=1)
    assert result.download_mbps == 250.0
    assert result.upload_mbps == 40.0
    assert result.ping_ms == 8.0
    assert result.jitter_ms is None
    assert result.packet_loss_pct is None
    assert result.server_name is None
    assert result.details == {}


def test_parse_result_converts_zones_to_utc() -> None:
    item = {"id": 1, "data": {"timestamp": "2026-03-17T14:00:00+02:00"}}
    assert st.parse_result(item).timestamp == T0


@pytest.mark.parametrize(
    "item",
    [
        {"created_at": "2026-03-17T12:00:00Z"},
        {"id": True, "created_at": "2026-03-17T12:00:00Z"},
        {"id": 3},
        {"id": 3, "created_at": "yesterday"},
        {"id": 3, "created_at": 1234},
    ],
)
def test_parse_result_refuses_items_without_id_or_time(item: dict[str, object]) -> None:
    with pytest.raises(SourceDataError):
        st.parse_result(item)


def test_parse_page_skips_unfinished_and_reads_meta() -> None:
    body = {
        "data": [
            make_result(3, T0, status="running"),
            make_result(2, T0 - timedelta(hours=1)),
        ],
        "meta": {"last_page": 4, "total": 77},
    }
    page = st.parse_page(body)
    assert [r.source_id for r in page.results] == [2]
    assert page.pending == 1
    assert page.last_page == 4
    assert page.total == 77
    loose = st.parse_page({"data": [], "meta": {"last_page": 0, "total": "x"}})
    assert loose.last_page == 1
    assert loose.total is None


@pytest.mark.parametrize("body", [None, [], {"data": {}}, {"data": ["x"]}])
def test_parse_page_refuses_other_json(body: object) -> None:
    with pytest.raises(SourceDataError):
        st.parse_page(body)


def _page(*ids_and_times: tuple[int, datetime], total: int | None = None) -> st.ResultsPage:
    results = tuple(st.parse_result(make_result(i, when)) for i, when in ids_and_times)
    return st.ResultsPage(results=results, last_page=1, total=total)


def test_detect_reset() -> None:
    newest = st.StoredRef(source_id=10, timestamp=T0)
    assert st.detect_reset(None, _page()) is None
    assert st.detect_reset(newest, _page(total=0)) is st.ResetKind.WIPED
    assert st.detect_reset(newest, _page((11, T0 + timedelta(hours=1)), (10, T0))) is None
    assert st.detect_reset(newest, _page((3, T0 + timedelta(hours=1)))) is st.ResetKind.ID_RESET
    # A reset tracker that has counted past our newest id already.
    later = T0 + timedelta(days=2)
    assert (
        st.detect_reset(newest, _page((11, later), (10, later - timedelta(hours=1))))
        is st.ResetKind.ID_RESET
    )
    # Only unfinished results on the first page: nothing to say yet.
    pending = st.ResultsPage(results=(), last_page=1, total=1, pending=1)
    assert st.detect_reset(newest, pending) is None


def test_shared_helpers() -> None:
    assert as_float("1.5 ") == 1.5
    assert as_float("x") is None
    assert as_float(True) is None
    assert as_float([1]) is None
    assert status_error(204, "x") is None
    assert isinstance(status_error(401, "x"), SourceAuthError)
    assert isinstance(status_error(429, "x"), SourceRateLimitedError)
    assert isinstance(status_error(404, "x"), SourceNotFoundError)
    assert isinstance(status_error(502, "x"), SourceConnectionError)
    assert isinstance(status_error(418, "x"), SourceDataError)


# -- client against the simulator -----------------------------------------------


def _client(
    session: aiohttp.ClientSession, tracker: SpeedtestTrackerSimulator, token: str = TOKEN
) -> st.SpeedtestTrackerClient:
    return st.SpeedtestTrackerClient(session, tracker.url + "/", token)


async def test_validate_and_token_errors(
    session: aiohttp.ClientSession, speedtest_tracker: SpeedtestTrackerSimulator
) -> None:
    speedtest_tracker.add_results(3, T0, timedelta(hours=1))
    assert await _client(session, speedtest_tracker).async_validate() == 3
    with pytest.raises(SourceAuthError):
        await _client(session, speedtest_tracker, "wrong").async_validate()
    speedtest_tracker.status = 403
    with pytest.raises(SourceAuthError, match="403"):
        await _client(session, speedtest_tracker).async_validate()
    speedtest_tracker.status = 503
    with pytest.raises(SourceConnectionError):
        await _client(session, speedtest_tracker).async_validate()


async def test_unreachable_server(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = st.SpeedtestTrackerClient(session, f"http://127.0.0.1:{port}", TOKEN)
    with pytest.raises(SourceConnectionError):
        await client.async_validate()


async def test_not_a_tracker(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    """A web server that is not a tracker: 404 for the API, or HTML, or a huge answer."""
    from aiohttp import web
    from aiohttp.test_utils import TestServer

    answers = {"mode": "html"}

    async def handler(request: web.Request) -> web.StreamResponse:
        if answers["mode"] == "html":
            return web.Response(text="<html>hello</html>", content_type="text/html")
        if answers["mode"] == "empty":
            return web.Response(status=200)
        return web.Response(body=b"x" * (MAX_RESPONSE_BYTES + 10))

    app = web.Application()
    app.router.add_get("/api/v1/results", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/"))
        client = st.SpeedtestTrackerClient(session, url, TOKEN)
        with pytest.raises(SourceDataError, match="not JSON"):
            await client.async_validate()
        answers["mode"] = "empty"
        with pytest.raises(SourceDataError, match="no data array"):
            await client.async_validate()
        answers["mode"] = "huge"
        with pytest.raises(SourceDataError, match="too large"):
            await client.async_validate()
        with pytest.raises(SourceNotFoundError):
            await st.SpeedtestTrackerClient(session, url + "other", TOKEN).async_validate()
    finally:
        await server.close()


async def test_backfill_then_only_new_results(
    session: aiohttp.ClientSession,
    speedtest_tracker: SpeedtestTrackerSimulator,
    store: HistoryStore,
) -> None:
    speedtest_tracker.add_results(250, T0, timedelta(hours=1))
    client = _client(session, speedtest_tracker)

    outcome = await client.async_fetch_new(None, page_size=100)
    assert outcome.backfill
    assert outcome.reset is None
    assert len(outcome.results) == 250
    assert [call[2] for call in speedtest_tracker.calls] == [1, 2, 3]
    assert st.insert_results(store, "src", outcome.results) == 250
    newest = st.newest_ref(store, "src")
    assert newest == st.StoredRef(250, T0 + timedelta(hours=249))

    speedtest_tracker.calls.clear()
    speedtest_tracker.add_results(3, T0 + timedelta(hours=250), timedelta(hours=1))
    outcome = await client.async_fetch_new(newest, page_size=100)
    assert not outcome.backfill
    assert [r.source_id for r in outcome.results] == [253, 252, 251]
    assert [call[2] for call in speedtest_tracker.calls] == [1], "one page is enough"
    assert st.insert_results(store, "src", outcome.results) == 3
    assert st.result_count(store, "src") == 253

    # Nothing new: nothing to store.
    outcome = await client.async_fetch_new(st.newest_ref(store, "src"), page_size=100)
    assert outcome.results == ()


async def test_incremental_read_spans_pages(
    session: aiohttp.ClientSession, speedtest_tracker: SpeedtestTrackerSimulator
) -> None:
    speedtest_tracker.add_results(30, T0, timedelta(hours=1))
    newest = st.StoredRef(5, T0 + timedelta(hours=4))
    outcome = await _client(session, speedtest_tracker).async_fetch_new(newest, page_size=10)
    assert [r.source_id for r in outcome.results] == list(range(30, 5, -1))


async def test_backfill_is_capped(
    session: aiohttp.ClientSession, speedtest_tracker: SpeedtestTrackerSimulator
) -> None:
    speedtest_tracker.add_results(30, T0, timedelta(hours=1))
    outcome = await _client(session, speedtest_tracker).async_fetch_new(
        None, page_size=10, backfill_limit=15
    )
    assert [r.source_id for r in outcome.results] == list(range(30, 15, -1))


async def test_id_reset_and_wiped_server_keep_stored_results(
    session: aiohttp.ClientSession,
    speedtest_tracker: SpeedtestTrackerSimulator,
    store: HistoryStore,
) -> None:
    client = _client(session, speedtest_tracker)
    speedtest_tracker.add_results(5, T0, timedelta(hours=1))
    st.insert_results(store, "src", (await client.async_fetch_new(None)).results)

    speedtest_tracker.wipe()
    outcome = await client.async_fetch_new(st.newest_ref(store, "src"))
    assert outcome.reset is st.ResetKind.WIPED
    assert outcome.results == ()
    assert st.result_count(store, "src") == 5

    # The database was recreated: ids 1 and 2 again, for new tests.
    speedtest_tracker.reset_ids()
    speedtest_tracker.add_results(2, T0 + timedelta(days=1), timedelta(hours=1))
    outcome = await client.async_fetch_new(st.newest_ref(store, "src"))
    assert outcome.reset is st.ResetKind.ID_RESET
    assert outcome.backfill
    assert st.insert_results(store, "src", outcome.results) == 2
    assert st.result_count(store, "src") == 7, "old ids 1 and 2 are kept beside the new ones"
    assert st.newest_ref(store, "src") == st.StoredRef(2, T0 + timedelta(days=1, hours=1))

    # And from there on, only what is new again.
    speedtest_tracker.add_result(T0 + timedelta(days=2))
    outcome = await client.async_fetch_new(st.newest_ref(store, "src"))
    assert outcome.reset is None
    assert [r.source_id for r in outcome.results] == [3]


async def test_an_error_on_a_later_page_returns_nothing(
    session: aiohttp.ClientSession, speedtest_tracker: SpeedtestTrackerSimulator
) -> None:
    speedtest_tracker.add_results(30, T0, timedelta(hours=1))
    speedtest_tracker.results[0]["data"] = {"timestamp": "broken"}
    speedtest_tracker.results[0]["created_at"] = "broken"
    with pytest.raises(SourceDataError):
        await _client(session, speedtest_tracker).async_fetch_new(None, page_size=10)


async def test_run_a_test(
    session: aiohttp.ClientSession, speedtest_tracker: SpeedtestTrackerSimulator
) -> None:
    client = _client(session, speedtest_tracker)
    await client.async_run_test()
    assert len(speedtest_tracker.results) == 1
    with pytest.raises(SourceRateLimitedError):
        await client.async_run_test()
    speedtest_tracker.read_only_tokens.add("read-only")
    with pytest.raises(SourceAuthError):
        await _client(session, speedtest_tracker, "read-only").async_run_test()


# -- store ------------------------------------------------------------------------


def _results(count: int, start: datetime = T0) -> list[st.SpeedtestResult]:
    return [
        st.parse_result(make_result(i + 1, start + timedelta(hours=i), download_mbps=200 + i))
        for i in range(count)
    ]


def test_insert_is_idempotent_and_kept_apart_from_demo_rows(store: HistoryStore) -> None:
    results = _results(3)
    assert st.insert_results(store, "src", results) == 3
    assert st.insert_results(store, "src", results) == 0
    assert st.insert_results(store, "other", results[:1]) == 1
    # A demo row newer than everything never counts as a source's result.
    store.insert_rows(
        "speedtest_results",
        [{"ts": "2027-01-01T00:00:00Z", "source_id": "demo-1", "download_mbps": 1.0}],
        is_demo=True,
    )
    latest = st.latest_result(store, "src")
    assert latest is not None
    assert latest.result.source_id == 3
    assert latest.result.download_mbps == 202
    assert latest.result.details["server"]["name"] == "Example Carrier"
    assert latest.source == "src"
    assert not latest.is_demo
    assert st.result_count(store, "src") == 3
    assert st.latest_result(store, "none") is None
    assert st.newest_ref(store, "none") is None


def test_insert_is_all_or_nothing(store: HistoryStore) -> None:
    store.execute_script(
        "CREATE TRIGGER refuse BEFORE INSERT ON speedtest_results"
        " WHEN NEW.source_id = '3' BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
    )
    with pytest.raises(sqlite3.IntegrityError):
        st.insert_results(store, "src", _results(5))
    assert st.result_count(store, "src") == 0


def test_closest_snapshot(store: HistoryStore) -> None:
    for minutes in (0, 15, 30):
        store.save_poll(analysis([ds(1)], at=T0 + timedelta(minutes=minutes)), [])
    found = st.closest_snapshot(store, T0 + timedelta(minutes=20))
    assert found is not None
    assert found.ts == T0 + timedelta(minutes=15)
    found = st.closest_snapshot(store, T0 + timedelta(minutes=24))
    assert found is not None
    assert found.ts == T0 + timedelta(minutes=30)
    # Exactly between two: the earlier one.
    found = st.closest_snapshot(store, T0 + timedelta(minutes=7, seconds=30))
    assert found is not None
    assert found.ts == T0
    assert st.closest_snapshot(store, T0 + timedelta(hours=3)) is None
