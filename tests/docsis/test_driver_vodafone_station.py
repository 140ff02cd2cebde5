"""The Vodafone Station driver against a simulated station on 127.0.0.1, both variants.

The simulator (tests/sim/vodafone_station.py) implements the real login of
each variant; its pages are built from the protocol notes, not captured.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import replace
import json

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.docsight.docsis.drivers.base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from custom_components.docsight.docsis.drivers.session import (
    LOCKOUT_BACKOFF,
    MAX_LOCKOUT_BACKOFF,
)
from custom_components.docsight.docsis.drivers.vodafone_station import (
    DEFAULT_URL,
    Variant,
    VodafoneStationModem,
)
from custom_components.docsight.docsis.model import Direction, Family
from custom_components.docsight.docsis.parsers import vodafone_station as vs
from tests.sim.loopback import HOST
from tests.sim.vodafone_station import (
    CGA_INDEX,
    PASSWORD,
    USERNAME,
    VodafoneStationSimulator,
    tg_base_script,
    tg_login_page,
)

DATA_PATHS = {
    "cga": ("/api/v1/sta_docsis_status", "/api/v1/sta_device_info"),
    "tg": ("/php/status_docsis_data.php", "/php/status_status_data.php"),
}


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A real client session (the caller's, as Home Assistant's would be)."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(params=["cga", "tg"])
async def station(
    request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncGenerator[VodafoneStationSimulator]:
    """A running station of each variant."""
    simulator = VodafoneStationSimulator(request.param)
    await simulator.start()
    yield simulator
    await simulator.close()


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current moment."""
        return self.now


def make_driver(
    station: VodafoneStationSimulator,
    session: aiohttp.ClientSession,
    password: str | None = PASSWORD,
    **kwargs: object,
) -> VodafoneStationModem:
    config = DriverConfig(url=station.url, username=USERNAME, password=password, session=session)
    return VodafoneStationModem(config, **kwargs)  # type: ignore[arg-type]


async def test_fetch_reads_channels_and_device(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session)
    reading = await driver.async_fetch()

    assert driver.variant == Variant(station.variant)
    assert [c.channel_id for c in reading.downstream][:2] == (
        [1, 5] if station.variant == "cga" else [5, 6]
    )
    families = {c.family for c in reading.downstream} | {c.family for c in reading.upstream}
    assert families == {Family.SC_QAM, Family.OFDM, Family.OFDMA}
    assert all(c.direction is Direction.DOWNSTREAM for c in reading.downstream)
    assert all(c.direction is Direction.UPSTREAM for c in reading.upstream)
    # The stations count no codeword errors: unknown, not zero.
    for channel in reading.downstream + reading.upstream:
        assert channel.corrected is None
        assert channel.uncorrected is None
    if station.variant == "cga":
        assert reading.device.model == "CGA4322DE"
        assert reading.device.manufacturer == "Technicolor"
    else:
        assert reading.device.manufacturer == "Arris"
        assert reading.device.uptime_seconds == ((3 * 24 + 4) * 60 + 25) * 60
    # Logged in once, logged out politely, nothing left open.
    assert station.logins == 1
    assert station.logouts == 1
    assert station.session is None
    assert not driver.logged_in


async def test_variant_is_remembered(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session)
    await driver.async_fetch()
    first = len(station.requests)
    await driver.async_fetch()
    second_poll = station.paths()[first:]
    if station.variant == "cga":
        # No probing of the start page any more; one salt request per login.
        assert "/" not in second_poll
        assert second_poll.count("/api/v1/session/login") == 2
    else:
        # The start page is the login page: fetched once per login, no extra probe.
        assert second_poll.count("/") == 1
    assert station.logins == 2


async def test_a_preset_variant_skips_detection(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session, variant=station.variant)
    await driver.async_fetch()
    if station.variant == "cga":
        assert "/" not in station.paths()
    assert station.logins == 1


async def test_default_url() -> None:
    driver = VodafoneStationModem(DriverConfig(password="x"))
    assert driver._base == DEFAULT_URL


async def test_wrong_password_is_an_auth_error(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session, password="wrong")
    with pytest.raises(ModemAuthError):
        await driver.async_fetch()
    assert station.failures == 1
    assert station.session is None
    assert not driver.logged_in


async def test_missing_password_sends_nothing(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session, password=None)
    with pytest.raises(ModemAuthError):
        await driver.async_fetch()
    assert station.requests == []


async def test_no_session_is_a_connection_error() -> None:
    driver = VodafoneStationModem(DriverConfig(url=f"http://{HOST}:9", password="x"))
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()


async def test_lockout_backs_off_instead_of_hammering(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    driver = make_driver(station, session, password="wrong", clock=clock)
    errors: list[type[Exception]] = []
    for _ in range(station.max_failures + 1):
        try:
            await driver.async_fetch()
        except (ModemAuthError, ModemLockedError) as err:
            errors.append(type(err))
            if isinstance(err, ModemLockedError):
                break
    assert errors[-1] is ModemLockedError
    assert ModemAuthError in errors
    assert station.locked

    # While the lockout lasts, the driver does not even ask (not with the right password).
    driver.config = replace(driver.config, password=PASSWORD)
    seen = len(station.requests)
    clock.now += station.lockout_seconds - 5
    with pytest.raises(ModemLockedError, match="not trying again"):
        await driver.async_fetch()
    assert len(station.requests) == seen

    # After it, the next poll logs in.
    clock.now += 10
    station.unlock()
    reading = await driver.async_fetch()
    assert reading.has_docsis_data


async def test_lockout_without_a_wait_time_uses_the_default(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    station = VodafoneStationSimulator("cga")
    await station.start()
    try:
        clock = FakeClock()
        driver = make_driver(station, session, clock=clock)
        await driver.async_fetch()
        station.login_answer = {"error": "error", "message": "Login locked"}
        with pytest.raises(ModemLockedError):
            await driver.async_fetch()
        clock.now += LOCKOUT_BACKOFF - 1
        with pytest.raises(ModemLockedError, match="not trying again"):
            await driver.async_fetch()
    finally:
        await station.close()


async def test_session_expiry_mid_poll_logs_in_again(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session)
    station.expire_on = DATA_PATHS[station.variant][1]
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert reading.device.firmware
    assert station.logins == 2


async def test_session_ending_again_after_login_is_a_connection_error(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session)
    station.expire_on = DATA_PATHS[station.variant][0]
    station.expire_count = 2
    with pytest.raises(ModemConnectionError, match="again"):
        await driver.async_fetch()
    assert station.logins == 2


async def test_kept_session_is_reused_and_closed(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session, logout_after_poll=False)
    await driver.async_fetch()
    await driver.async_fetch()
    assert station.logins == 1
    assert station.logouts == 0
    assert driver.logged_in
    await driver.async_close()
    assert station.logouts == 1
    assert station.session is None
    await driver.async_close()  # nothing left to close
    assert station.logouts == 1


async def test_one_session_at_a_time(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    """A second client's login ends the first one's session; the first logs in again."""
    first = make_driver(station, session, logout_after_poll=False)
    second = make_driver(station, session, logout_after_poll=False)
    await first.async_fetch()
    await second.async_fetch()
    reading = await first.async_fetch()
    assert reading.has_docsis_data
    assert station.logins == 3


async def test_concurrent_polls_never_log_in_twice_at_once(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session)
    readings = await asyncio.gather(*(driver.async_fetch() for _ in range(4)))
    assert all(reading.has_docsis_data for reading in readings)
    assert station.overlapping_logins == 0
    assert station.logins == 4
    assert station.logouts == 4


async def test_timeout_is_a_connection_error(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(station, session, request_timeout=0.2)
    station.delay = 1.0
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()
    # The next poll works once the modem answers in time again.
    station.delay = 0.0
    assert (await driver.async_fetch()).has_docsis_data


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("truncated", ModemParseError),
        ("garbage", ModemParseError),
        ("server_error", ModemConnectionError),
        ("throttled", ModemLockedError),
    ],
)
async def test_bad_pages(
    station: VodafoneStationSimulator,
    session: aiohttp.ClientSession,
    mode: str,
    error: type[Exception],
) -> None:
    driver = make_driver(station, session)
    station.page_mode = mode
    with pytest.raises(error):
        await driver.async_fetch()
    # Whatever went wrong, the session was not left open on the modem.
    assert station.session is None or mode == "throttled"


async def test_unsupported_modem(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    station = VodafoneStationSimulator("none")
    await station.start()
    try:
        driver = make_driver(station, session)
        with pytest.raises(UnsupportedModemError):
            await driver.async_fetch()
        assert driver.variant is None
    finally:
        await station.close()


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    driver = VodafoneStationModem(
        DriverConfig(url=f"http://{HOST}:9", password="x", session=session)
    )
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()


# --------------------------------------------------------------------------- odd answers
# A scripted server answers each (method, path) with a fixed response, for
# the answers a well-behaved station (the simulator) never gives.

type Script = dict[tuple[str, str], tuple[int, str]]

SID, IV, SALT = "sid1", "000102030405060708090a0b0c0d0e0f", "0102030405060708"
TG_PAGE = tg_login_page(SID, IV, SALT)


def sealed_nonce(nonce: str = "n" * 32) -> str:
    key = vs.tg_login_key(PASSWORD, SALT)
    return vs.ccm_encrypt(key, bytes.fromhex(IV), nonce.encode(), b"nonce", 16).hex()


@pytest.fixture
async def scripted(
    socket_enabled: None,
) -> AsyncGenerator[tuple[Script, str]]:
    """A server answering from a dict the test fills; (script, base URL)."""
    script: Script = {}

    async def answer(request: web.Request) -> web.Response:
        status, body = script.get((request.method, request.path), (404, "Not Found"))
        if status in (302, 303):
            return web.Response(status=status, headers={"Location": "/"})
        return web.Response(status=status, text=body, content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host=HOST)
    await server.start_server()
    yield script, str(server.make_url("/")).rstrip("/")
    await server.close()


def scripted_driver(
    url: str, session: aiohttp.ClientSession, variant: str | None = None
) -> VodafoneStationModem:
    config = DriverConfig(url=url, username=USERNAME, password=PASSWORD, session=session)
    return VodafoneStationModem(config, variant=variant)


CGA_LOGIN_OK = (200, json.dumps({"error": "ok", "salt": "a", "saltwebui": "b", "token": "t"}))


@pytest.mark.parametrize(
    ("script", "variant", "error", "match"),
    [
        # detection
        (
            {("GET", "/"): (200, "<html/>"), ("POST", "/api/v1/session/login"): (200, "<html/>")},
            None,
            UnsupportedModemError,
            "neither",
        ),
        ({("POST", "/api/v1/session/login"): (200, "[1]")}, None, UnsupportedModemError, "neither"),
        # CGA login
        (
            {
                ("GET", "/"): (200, CGA_INDEX),
                ("POST", "/api/v1/session/login"): (200, '{"error": "ok"}'),
            },
            None,
            ModemParseError,
            "salts",
        ),
        ({("POST", "/api/v1/session/login"): (401, "")}, "cga", ModemAuthError, "401"),
        ({("POST", "/api/v1/session/login"): (404, "")}, "cga", UnsupportedModemError, "404"),
        ({("POST", "/api/v1/session/login"): (200, "[]")}, "cga", ModemParseError, "object"),
        (
            {
                ("POST", "/api/v1/session/login"): (
                    200,
                    '{"error": "ok", "salt": "a", "saltwebui": "b"}',
                )
            },
            "cga",
            ModemParseError,
            "token",
        ),
        (
            {
                ("POST", "/api/v1/session/login"): CGA_LOGIN_OK,
                ("GET", "/api/v1/session/menu"): (401, ""),
            },
            "cga",
            ModemAuthError,
            "dropped",
        ),
        (
            {
                ("POST", "/api/v1/session/login"): CGA_LOGIN_OK,
                ("GET", "/api/v1/session/menu"): (200, "{}"),
            },
            "cga",
            UnsupportedModemError,
            "sta_docsis_status: HTTP 404",
        ),
        (
            {
                ("POST", "/api/v1/session/login"): CGA_LOGIN_OK,
                ("GET", "/api/v1/session/menu"): (200, "{}"),
                ("GET", "/api/v1/sta_docsis_status"): (
                    200,
                    '{"error": "error", "message": "no access"}',
                ),
            },
            "cga",
            ModemParseError,
            "no access",
        ),
        # TG login
        ({("GET", "/"): (200, "<html/>")}, "tg", ModemParseError, "session parameters"),
        ({("GET", "/"): (200, tg_login_page(SID, "xyz", SALT))}, "tg", ModemParseError, "unusable"),
        ({("GET", "/"): (200, TG_PAGE)}, "tg", ModemConnectionError, "HTTP 404"),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (200, '{"p_status": "Odd"}'),
            },
            "tg",
            ModemParseError,
            "Odd",
        ),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    '{"p_status": "Match", "encryptData": "00"}',
                ),
            },
            "tg",
            ModemParseError,
            "nonce",
        ),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    json.dumps({"p_status": "OK", "encryptData": sealed_nonce()}),
                ),
            },
            "tg",
            ModemAuthError,
            "refused the session",
        ),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    json.dumps({"p_status": "OK", "encryptData": sealed_nonce()}),
                ),
                ("POST", "/php/ajaxSet_Session.php"): (200, "{}"),
            },
            "tg",
            ModemParseError,
            "base_95x.js: HTTP 404",
        ),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    json.dumps({"p_status": "OK", "encryptData": sealed_nonce()}),
                ),
                ("POST", "/php/ajaxSet_Session.php"): (200, "{}"),
                ("GET", "/base_95x.js"): (200, "function x() {}"),
            },
            "tg",
            ModemParseError,
            "credential",
        ),
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    json.dumps({"p_status": "OK", "encryptData": sealed_nonce()}),
                ),
                ("POST", "/php/ajaxSet_Session.php"): (200, "{}"),
                ("GET", "/base_95x.js"): (200, tg_base_script("c")),
            },
            "tg",
            UnsupportedModemError,
            "status_docsis_data.php: HTTP 404",
        ),
        # The data page turns out to be the login page: the session is gone, twice.
        (
            {
                ("GET", "/"): (200, TG_PAGE),
                ("POST", "/php/ajaxSet_Password.php"): (
                    200,
                    json.dumps({"p_status": "OK", "encryptData": sealed_nonce()}),
                ),
                ("POST", "/php/ajaxSet_Session.php"): (200, "{}"),
                ("GET", "/base_95x.js"): (200, tg_base_script("c")),
                ("GET", "/php/status_docsis_data.php"): (200, TG_PAGE),
            },
            "tg",
            ModemConnectionError,
            "again",
        ),
    ],
)
async def test_odd_answers(
    scripted: tuple[Script, str],
    session: aiohttp.ClientSession,
    *,
    script: Script,
    variant: str | None,
    error: type[Exception],
    match: str,
) -> None:
    answers, url = scripted
    answers.update(script)
    driver = scripted_driver(url, session, variant)
    with pytest.raises(error, match=match):
        await driver.async_fetch()
    assert not driver.logged_in


@pytest.mark.parametrize("wait", ['"soon"', '""', "null", "5000"])
async def test_tg_lockout_wait_times(
    scripted: tuple[Script, str], session: aiohttp.ClientSession, wait: str
) -> None:
    answers, url = scripted
    answers[("GET", "/")] = (200, TG_PAGE)
    answers[("POST", "/php/ajaxSet_Password.php")] = (
        200,
        f'{{"p_status": "Lockout", "p_waitTime": {wait}}}',
    )
    clock = FakeClock()
    config = DriverConfig(url=url, username=USERNAME, password=PASSWORD, session=session)
    driver = VodafoneStationModem(config, clock=clock)
    with pytest.raises(ModemLockedError):
        await driver.async_fetch()
    expected = MAX_LOCKOUT_BACKOFF if wait == "5000" else LOCKOUT_BACKOFF
    assert driver._locked_until == clock.now + expected


async def test_a_session_whose_jar_keeps_cookies_works_too(
    station: VodafoneStationSimulator, socket_enabled: None
) -> None:
    """The driver keeps its own cookies; a jar that also stores them must not get in the way."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        driver = make_driver(station, client)
        assert (await driver.async_fetch()).has_docsis_data
        station.expire_on = DATA_PATHS[station.variant][1]
        assert (await driver.async_fetch()).has_docsis_data
        assert station.logins == 3


async def test_two_drivers_for_one_station_take_turns(
    station: VodafoneStationSimulator, session: aiohttp.ClientSession
) -> None:
    """A config flow's test and the coordinator must not log in at the same time either."""
    first = make_driver(station, session)
    second = make_driver(station, session)
    other_address = VodafoneStationModem(DriverConfig(url="http://192.0.2.1"))
    assert first._lock is second._lock
    assert first._lock is not other_address._lock
    readings = await asyncio.gather(first.async_fetch(), second.async_fetch(), first.async_fetch())
    assert all(reading.has_docsis_data for reading in readings)
    assert station.overlapping_logins == 0
    assert station.logins == 3


def test_variant_hint_is_taken_and_remembered() -> None:
    """What a driver learned last time comes back as a hint; garbage means probe again."""
    from custom_components.docsight.docsis.drivers.vodafone_station import (
        Variant,
        VodafoneStationModem,
    )

    hinted = VodafoneStationModem(DriverConfig(url="http://127.0.0.1:9", hints={"variant": "tg"}))
    assert hinted.variant is Variant.TG
    assert hinted.remember() == {"variant": "tg"}
    unknown = VodafoneStationModem(DriverConfig(url="http://127.0.0.1:9", hints={"variant": "x"}))
    assert unknown.variant is None
    assert unknown.remember() == {}
