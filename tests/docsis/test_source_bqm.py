"""ThinkBroadband BQM source: share ids, the CSV, the client against the simulator, the store."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from datetime import UTC, date, datetime, timedelta
import sqlite3

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.docsight.docsis.sources import (
    MAX_RESPONSE_BYTES,
    SourceConnectionError,
    SourceDataError,
    SourceNotFoundError,
    SourceRateLimitedError,
    bqm,
)
from custom_components.docsight.docsis.storage import HistoryStore
from tests.sim.bqm import (
    HEADER,
    SHARE_ID,
    SHARE_PATH,
    BqmSimulator,
    bqm_server_fixture,  # noqa: F401 - the bqm_server fixture
    day_csv,
    png,
)

DAY = date(2026, 3, 16)


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


# -- share ids -------------------------------------------------------------------

HEX = "a" * 40


@pytest.mark.parametrize(
    ("text", "share_id", "base"),
    [
        (HEX, HEX, bqm.DEFAULT_BASE_URL),
        (f"  {HEX.upper()}-7 ", f"{HEX}-7", bqm.DEFAULT_BASE_URL),
        (f"{bqm.DEFAULT_BASE_URL}{HEX}-12.png", f"{HEX}-12", bqm.DEFAULT_BASE_URL),
        (f"{bqm.DEFAULT_BASE_URL}{HEX}-y.csv", HEX, bqm.DEFAULT_BASE_URL),
        (f"http://127.0.0.1:8080{SHARE_PATH}{HEX}.png", HEX, f"http://127.0.0.1:8080{SHARE_PATH}"),
        (f"http://mirror.example/?share={HEX}", HEX, "http://mirror.example/"),
        ("ftp://x/" + HEX, HEX, bqm.DEFAULT_BASE_URL),
        ("abc123", None, bqm.DEFAULT_BASE_URL),
        ("https://www.thinkbroadband.com/", None, bqm.DEFAULT_BASE_URL),
    ],
)
def test_share_id_and_base(text: str, share_id: str | None, base: str) -> None:
    assert bqm.extract_share_id(text) == share_id
    assert bqm.base_url_of(text) == base


# -- CSV ---------------------------------------------------------------------------


def test_parse_day_csv() -> None:
    day = bqm.parse_csv(day_csv(DAY, bad_minutes=30))
    assert day.day == DAY
    assert day.sent_polls == 1440 * 60
    assert day.lost_polls == 30 * 6
    assert day.packet_loss_pct == round(100 * 180 / 86400, 3)
    assert day.latency_min_ms == 9.5
    assert day.latency_max_ms == 310.0
    # Weighted by answered polls: 30 minutes of 54 at 48 ms, 1410 of 60 at 11 ms.
    expected = (30 * 54 * 48 + 1410 * 60 * 11) / (30 * 54 + 1410 * 60)
    assert day.latency_avg_ms == round(expected, 3)
    assert len(day.samples) == 1440
    assert day.samples[0].timestamp == datetime(2026, 3, 16, tzinfo=UTC)
    assert bqm.parse_csv(day_csv(DAY), DAY + timedelta(days=1)).day == DAY + timedelta(days=1)


def test_parse_csv_units_epochs_and_gaps() -> None:
    text = (
        "\ufeffTimestamp,Sent Polls,Lost Polls,Min Latency (ms),Avg Latency (ms),Max Latency (ms)\n"
        "1773619200,60,60,,,\n"
        "1773619260,60,0,10,12,20\n"
        "\n"
    )
    day = bqm.parse_csv(text)
    assert day.day == DAY
    assert day.lost_polls == 60
    assert day.packet_loss_pct == 50.0
    assert (day.latency_min_ms, day.latency_avg_ms, day.latency_max_ms) == (10, 12, 20)
    assert day.samples[0].latency_avg_ms is None
    # Micro-seconds, and a column without a unit (taken as ms).
    text = "time,sent,lost,min latency (us),ave latency,max latency (s)\n2026-03-16T00:00:00+01:00,10,0,9000,9,0.05\n"
    day = bqm.parse_csv(text)
    assert (day.latency_min_ms, day.latency_avg_ms, day.latency_max_ms) == (9.0, 9.0, 50.0)
    assert day.samples[0].timestamp == datetime(2026, 3, 15, 23, tzinfo=UTC)


def test_all_polls_lost_and_no_polls() -> None:
    text = f"{HEADER}\n2026-03-16 00:00:00,60,60,,,,0\n"
    day = bqm.parse_csv(text)
    assert day.latency_avg_ms is None
    assert day.latency_min_ms is None
    text = f"{HEADER}\n2026-03-16 00:00:00,0,0,1000000,2000000,3000000,0\n"
    day = bqm.parse_csv(text)
    assert day.packet_loss_pct is None
    assert day.latency_avg_ms == 2.0, "no answered polls: the plain mean"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("a,b,c\n1,2,3\n", "not a BQM CSV"),
        (f"{HEADER}\n", "no data rows"),
        (f"{HEADER}\n2026-03-16 00:00:00,60\n", "fields"),
        (f"{HEADER}\nnot a time,60,0,1,2,3,100\n", "cannot be read"),
        (f"{HEADER}\n2026-03-16 00:00:00,sixty,0,1,2,3,100\n", "cannot be read"),
        (f"{HEADER}\n2026-03-16 00:00:00,60,61,1,2,3,100\n", "impossible"),
        (f"{HEADER}\n2026-03-16 00:00:00,-1,0,1,2,3,100\n", "impossible"),
        (HEADER.replace("(ns)", "(parsecs)", 1) + "\n", "unknown latency unit"),
    ],
)
def test_bad_csv_is_refused_whole(text: str, message: str) -> None:
    with pytest.raises(SourceDataError, match=message):
        bqm.parse_csv(text)


# -- client against the simulator ------------------------------------------------------


def _client(session: aiohttp.ClientSession, server: BqmSimulator) -> bqm.BqmClient:
    share_id = bqm.extract_share_id(server.share_url)
    assert share_id == SHARE_ID
    return bqm.BqmClient(session, share_id, bqm.base_url_of(server.share_url).rstrip("/"))


async def test_validate_and_fetch_day(
    session: aiohttp.ClientSession, bqm_server: BqmSimulator
) -> None:
    client = _client(session, bqm_server)
    live = await client.async_validate()
    assert live.sent_polls == 86400
    day, image = await client.async_fetch_day(DAY)
    assert day.day == DAY
    assert day.lost_polls == 180
    assert image == png()
    assert bqm_server.calls == [f"{SHARE_ID}-l.csv", f"{SHARE_ID}-y.csv", f"{SHARE_ID}-y.png"]
    assert all(agent.startswith("DOCSight-HA/") for agent in bqm_server.user_agents)


async def test_missing_or_stub_image_is_none(
    session: aiohttp.ClientSession, bqm_server: BqmSimulator
) -> None:
    client = _client(session, bqm_server)
    bqm_server.image = None
    assert (await client.async_fetch_day(DAY))[1] is None
    bqm_server.image = png()[:50]
    assert (await client.async_fetch_day(DAY))[1] is None
    bqm_server.image = b"<html>" + b"x" * 200
    assert (await client.async_fetch_day(DAY))[1] is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, SourceRateLimitedError),
        (429, SourceRateLimitedError),
        (500, SourceConnectionError),
        (401, Exception),
    ],
)
async def test_refusals(
    session: aiohttp.ClientSession,
    bqm_server: BqmSimulator,
    status: int,
    error: type[Exception],
) -> None:
    bqm_server.status = status
    with pytest.raises(error):
        await _client(session, bqm_server).async_fetch_day(DAY)
    assert len(bqm_server.calls) == 1, "the first refusal stops the batch"


async def test_unknown_share(session: aiohttp.ClientSession, bqm_server: BqmSimulator) -> None:
    client = bqm.BqmClient(session, "f" * 40, bqm.base_url_of(bqm_server.share_url))
    with pytest.raises(SourceNotFoundError):
        await client.async_validate()


async def test_not_text_and_unreachable(session: aiohttp.ClientSession) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\xff\xfe\x00bad")

    app = web.Application()
    app.router.add_get("/s/{name}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("/s/"))
    try:
        with pytest.raises(SourceDataError, match="not text"):
            await bqm.BqmClient(session, HEX, base).async_validate()
    finally:
        await server.close()
    with pytest.raises(SourceConnectionError):
        await bqm.BqmClient(session, HEX, base).async_validate()


async def test_chunked_answers_are_size_limited(session: aiohttp.ClientSession) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        block = b"0" * 1_048_576
        for _ in range(MAX_RESPONSE_BYTES // len(block) + 2):
            await response.write(block)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/s/{name}", handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        with pytest.raises(SourceDataError, match="too large"):
            await bqm.BqmClient(session, HEX, str(server.make_url("/s/"))).async_validate()
    finally:
        await server.close()


# -- store -------------------------------------------------------------------------------


def test_save_and_read_days(store: HistoryStore) -> None:
    first = bqm.parse_csv(day_csv(DAY, 0))
    second = bqm.parse_csv(day_csv(DAY + timedelta(days=1), 10))
    bqm.save_day(store, "share", first, png())
    bqm.save_day(store, "share", second, None)
    # Demo rows (no source) never count.
    store.insert_rows("bqm_graphs", [{"date": "2027-01-01", "lost_polls": 1}], is_demo=True)
    assert bqm.has_day(store, "share", DAY)
    assert not bqm.has_day(store, "other", DAY)
    latest = bqm.latest_day(store, "share")
    assert latest is not None
    assert latest.day == second
    assert latest.image is None
    assert latest.source == "share"
    assert not latest.is_demo
    assert bqm.day_count(store, "share") == 2
    assert bqm.latest_day(store, "other") is None
    # A day fetched again replaces the stored one.
    bqm.save_day(store, "share", second, png(shade=10))
    latest = bqm.latest_day(store, "share")
    assert latest is not None
    assert latest.image == png(shade=10)
    assert bqm.day_count(store, "share") == 2
    assert bqm.as_dict(second) == {
        "date": "2026-03-17",
        "sent_polls": 86400,
        "lost_polls": 60,
        "packet_loss_pct": round(6000 / 86400, 3),
        "latency_min_ms": 9.5,
        "latency_avg_ms": second.latency_avg_ms,
        "latency_max_ms": 310.0,
    }


def test_save_day_is_all_or_nothing(store: HistoryStore) -> None:
    store.execute_script(
        "CREATE TRIGGER refuse BEFORE INSERT ON bqm_graphs"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END;"
    )
    with pytest.raises(sqlite3.IntegrityError):
        bqm.save_day(store, "share", bqm.parse_csv(day_csv(DAY)), png())
    assert bqm.day_count(store, "share") == 0
