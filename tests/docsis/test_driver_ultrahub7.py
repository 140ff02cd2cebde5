"""The Ultra Hub 7 driver against a simulated hub on 127.0.0.1.

The simulator (tests/sim/ultrahub7.py) implements the real login; its pages
are built from the protocol notes, not captured.
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
    MIN_LOCKOUT_BACKOFF,
)
from custom_components.docsight.docsis.drivers.ultrahub7 import (
    DEFAULT_URL,
    DOWNSTREAM,
    UPSTREAM,
    UltraHub7Modem,
)
from custom_components.docsight.docsis.drivers.vodafone_station import VodafoneStationModem
from custom_components.docsight.docsis.model import Direction, Family
from tests.sim.loopback import HOST
from tests.sim.ultrahub7 import (
    PASSWORD,
    USERNAME,
    WEB_UI_SECRET,
    UltraHub7Simulator,
    config_details,
    ultrahub7_fixture,  # noqa: F401 - the fixture
)


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A real client session (the caller's, as Home Assistant's would be)."""
    async with aiohttp.ClientSession() as client:
        yield client


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current moment."""
        return self.now


def make_driver(
    hub: UltraHub7Simulator,
    session: aiohttp.ClientSession,
    password: str | None = PASSWORD,
    **kwargs: object,
) -> UltraHub7Modem:
    config = DriverConfig(url=hub.url, username=USERNAME, password=password, session=session)
    return UltraHub7Modem(config, **kwargs)  # type: ignore[arg-type]


async def test_fetch_reads_channels_and_device(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session)
    reading = await driver.async_fetch()

    assert [c.channel_id for c in reading.downstream] == [1, 2, 3, 33]
    assert [c.channel_id for c in reading.upstream] == [1, 2, 9]
    families = {c.family for c in reading.downstream} | {c.family for c in reading.upstream}
    assert families == {Family.SC_QAM, Family.OFDM, Family.OFDMA}
    assert all(c.direction is Direction.DOWNSTREAM for c in reading.downstream)
    assert all(c.direction is Direction.UPSTREAM for c in reading.upstream)
    # The hub counts no codeword errors: unknown, not zero.
    for channel in reading.downstream + reading.upstream:
        assert channel.corrected is None
        assert channel.uncorrected is None
    assert reading.device.manufacturer == "Sercomm"
    assert reading.device.model == "Vodafone Ultra Hub 7"
    # Logged in once, logged out politely, nothing left open.
    assert ultrahub7.logins == 1
    assert ultrahub7.logouts == 1
    assert ultrahub7.session is None
    assert not driver.logged_in
    assert ultrahub7.paths() == [
        "/api/config/details.jst",
        "/api/users/details.jst",
        "/api/users/login.jst",
        DOWNSTREAM,
        UPSTREAM,
        "/api/users/logout.jst",
    ]


async def test_factory_needs_only_a_config() -> None:
    driver = UltraHub7Modem(DriverConfig(password="x"))
    assert driver._base == DEFAULT_URL
    assert not driver.logged_in


async def test_wrong_password_is_an_auth_error(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session, password="wrong")
    with pytest.raises(ModemAuthError, match="wrong password"):
        await driver.async_fetch()
    assert ultrahub7.failures == 1
    assert ultrahub7.session is None
    assert not driver.logged_in


async def test_missing_password_sends_nothing(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session, password=None)
    with pytest.raises(ModemAuthError):
        await driver.async_fetch()
    assert ultrahub7.requests == []


async def test_no_session_is_a_connection_error() -> None:
    driver = UltraHub7Modem(DriverConfig(url=f"http://{HOST}:9", password="x"))
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    driver = UltraHub7Modem(DriverConfig(url=f"http://{HOST}:9", password="x", session=session))
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()


async def test_lockout_backs_off_instead_of_hammering(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    driver = make_driver(ultrahub7, session, password="wrong", clock=clock)
    errors: list[type[Exception]] = []
    for _ in range(ultrahub7.max_failures + 1):
        try:
            await driver.async_fetch()
        except (ModemAuthError, ModemLockedError) as err:
            errors.append(type(err))
    assert errors == [ModemAuthError] * ultrahub7.max_failures + [ModemLockedError]
    assert ultrahub7.locked

    # While the lockout lasts, the driver does not even ask (not with the right password).
    driver.config = replace(driver.config, password=PASSWORD)
    seen = len(ultrahub7.requests)
    clock.now += ultrahub7.lockout_seconds - 5
    with pytest.raises(ModemLockedError, match="not trying again"):
        await driver.async_fetch()
    assert len(ultrahub7.requests) == seen

    # After it, the next poll logs in.
    clock.now += 10
    ultrahub7.unlock()
    reading = await driver.async_fetch()
    assert reading.has_docsis_data


async def test_session_expiry_mid_poll_logs_in_again(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session)
    ultrahub7.expire_on = UPSTREAM
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert reading.upstream
    assert ultrahub7.logins == 2


async def test_session_ending_again_after_login_is_a_connection_error(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session)
    ultrahub7.expire_on = DOWNSTREAM
    ultrahub7.expire_count = 2
    with pytest.raises(ModemConnectionError, match="again"):
        await driver.async_fetch()
    assert ultrahub7.logins == 2
    assert not driver.logged_in


async def test_kept_session_is_reused_and_closed(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session, logout_after_poll=False)
    await driver.async_fetch()
    await driver.async_fetch()
    assert ultrahub7.logins == 1
    assert ultrahub7.logouts == 0
    assert driver.logged_in
    await driver.async_close()
    assert ultrahub7.logouts == 1
    assert ultrahub7.session is None
    await driver.async_close()  # nothing left to close
    assert ultrahub7.logouts == 1


async def test_duplicate_session_logs_in_once_more(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    """Another client (the owner's browser) holds the hub: push it out and log in again."""
    browser = make_driver(ultrahub7, session, logout_after_poll=False)
    await browser.async_fetch()
    driver = make_driver(ultrahub7, session)
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert ultrahub7.duplicates == 1
    assert ultrahub7.logins == 2
    assert ultrahub7.session is None  # the driver logged out after its poll
    # The browser's session is gone; its next poll logs in again (no duplicate now).
    assert (await browser.async_fetch()).has_docsis_data
    assert ultrahub7.logins == 3
    assert ultrahub7.duplicates == 1


async def test_one_session_at_a_time(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    """Two drivers keeping sessions push each other out and both keep working."""
    first = make_driver(ultrahub7, session, logout_after_poll=False)
    second = make_driver(ultrahub7, session, logout_after_poll=False)
    await first.async_fetch()
    await second.async_fetch()
    reading = await first.async_fetch()
    assert reading.has_docsis_data
    assert ultrahub7.logins == 3
    assert ultrahub7.duplicates == 2


async def test_duplicate_twice_is_a_connection_error(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    ultrahub7.duplicates_to_answer = 2
    driver = make_driver(ultrahub7, session)
    with pytest.raises(ModemConnectionError, match="another session"):
        await driver.async_fetch()
    assert ultrahub7.logins == 0
    assert not driver.logged_in
    # The next poll gets through.
    assert (await driver.async_fetch()).has_docsis_data


async def test_concurrent_polls_never_log_in_twice_at_once(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session)
    readings = await asyncio.gather(*(driver.async_fetch() for _ in range(4)))
    assert all(reading.has_docsis_data for reading in readings)
    assert ultrahub7.overlapping_logins == 0
    assert ultrahub7.logins == 4
    assert ultrahub7.logouts == 4
    assert ultrahub7.duplicates == 0


async def test_two_drivers_for_one_hub_take_turns(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    """A config flow's test and the coordinator must not log in at the same time either."""
    first = make_driver(ultrahub7, session)
    second = make_driver(ultrahub7, session)
    other_address = UltraHub7Modem(DriverConfig(url="http://192.0.2.1"))
    assert first._lock is second._lock
    assert first._lock is not other_address._lock
    # A Vodafone Station driver for the same address waits its turn too.
    station = VodafoneStationModem(DriverConfig(url=ultrahub7.url))
    assert station._lock is first._lock
    readings = await asyncio.gather(first.async_fetch(), second.async_fetch(), first.async_fetch())
    assert all(reading.has_docsis_data for reading in readings)
    assert ultrahub7.overlapping_logins == 0
    assert ultrahub7.logins == 3


async def test_timeout_is_a_connection_error(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(ultrahub7, session, request_timeout=0.2)
    ultrahub7.delay = 1.0
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()
    # The next poll works once the hub answers in time again.
    ultrahub7.delay = 0.0
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
    ultrahub7: UltraHub7Simulator,
    session: aiohttp.ClientSession,
    mode: str,
    error: type[Exception],
) -> None:
    driver = make_driver(ultrahub7, session)
    ultrahub7.page_mode = mode
    with pytest.raises(error):
        await driver.async_fetch()
    # Whatever went wrong, the session was not left open on the hub.
    assert ultrahub7.session is None or mode == "throttled"
    assert not driver.logged_in


async def test_throttling_backs_off_for_the_default_time(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    clock = FakeClock()
    driver = make_driver(ultrahub7, session, clock=clock)
    ultrahub7.page_mode = "throttled"
    with pytest.raises(ModemLockedError):
        await driver.async_fetch()
    assert driver._locked_until == clock.now + LOCKOUT_BACKOFF


async def test_a_malformed_channel_is_a_parse_error(
    ultrahub7: UltraHub7Simulator, session: aiohttp.ClientSession
) -> None:
    ultrahub7.downstream = {"channels": [{"ChannelID": "1.5"}]}
    driver = make_driver(ultrahub7, session)
    with pytest.raises(ModemParseError, match="channel id"):
        await driver.async_fetch()
    assert ultrahub7.session is None


async def test_unsupported_modem(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    hub = UltraHub7Simulator(other_server=True)
    await hub.start()
    try:
        driver = make_driver(hub, session)
        with pytest.raises(UnsupportedModemError, match="404"):
            await driver.async_fetch()
    finally:
        await hub.close()


async def test_a_session_whose_jar_keeps_cookies_works_too(
    ultrahub7: UltraHub7Simulator, socket_enabled: None
) -> None:
    """The driver keeps its own cookies; a jar that also stores them must not get in the way."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        driver = make_driver(ultrahub7, client)
        assert (await driver.async_fetch()).has_docsis_data
        ultrahub7.expire_on = UPSTREAM
        assert (await driver.async_fetch()).has_docsis_data
        assert ultrahub7.logins == 3


# --------------------------------------------------------------------------- odd answers
# A scripted server answers each (method, path) with a fixed response, for
# the answers a well-behaved hub (the simulator) never gives.

type Script = dict[tuple[str, str], tuple[int, str]]

CONFIG_OK = (200, json.dumps(config_details("tok")))
SECRET_OK = (200, json.dumps({"X_VODAFONE_WebUISecret": WEB_UI_SECRET}))
LOGIN_OK = (200, json.dumps({"X_INTERNAL_Password_Status": "Valid_PWD"}))
LOGGED_IN: Script = {
    ("GET", "/api/config/details.jst"): CONFIG_OK,
    ("GET", "/api/users/details.jst"): SECRET_OK,
    ("POST", "/api/users/login.jst"): LOGIN_OK,
}


@pytest.fixture
async def scripted(socket_enabled: None) -> AsyncGenerator[tuple[Script, str]]:
    """A server answering from a dict the test fills; (script, base URL)."""
    script: Script = {}

    async def answer(request: web.Request) -> web.Response:
        status, body = script.get((request.method, request.path), (404, "Not Found"))
        if status in (302, 303):
            return web.Response(status=status, headers={"Location": "/"})
        return web.Response(status=status, text=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host=HOST)
    await server.start_server()
    yield script, str(server.make_url("/")).rstrip("/")
    await server.close()


@pytest.mark.parametrize(
    ("script", "error", "match"),
    [
        ({}, UnsupportedModemError, "HTTP 404"),
        ({("GET", "/api/config/details.jst"): (200, "<html/>")}, ModemParseError, "not JSON"),
        ({("GET", "/api/config/details.jst"): (200, "{}")}, ModemParseError, "csrf_token"),
        ({("GET", "/api/config/details.jst"): CONFIG_OK}, ModemParseError, "details.jst: HTTP 404"),
        (
            {
                ("GET", "/api/config/details.jst"): CONFIG_OK,
                ("GET", "/api/users/details.jst"): (200, "{}"),
            },
            ModemParseError,
            "WebUISecret",
        ),
        (
            {
                ("GET", "/api/config/details.jst"): CONFIG_OK,
                ("GET", "/api/users/details.jst"): SECRET_OK,
            },
            ModemParseError,
            "login.jst: HTTP 404",
        ),
        (
            {**LOGGED_IN, ("POST", "/api/users/login.jst"): (403, "{}")},
            ModemAuthError,
            "HTTP 403",
        ),
        (
            {
                **LOGGED_IN,
                ("POST", "/api/users/login.jst"): (200, '{"X_INTERNAL_Password_Status": "?"}'),
            },
            ModemParseError,
            "unknown password status",
        ),
        (LOGGED_IN, UnsupportedModemError, "downstream/list.jst: HTTP 404"),
        (
            {**LOGGED_IN, ("GET", DOWNSTREAM): (302, "")},
            ModemConnectionError,
            "again",
        ),
        (
            {**LOGGED_IN, ("GET", DOWNSTREAM): (200, "[]"), ("GET", UPSTREAM): (200, "{}")},
            ModemParseError,
            "object",
        ),
    ],
)
async def test_odd_answers(
    scripted: tuple[Script, str],
    session: aiohttp.ClientSession,
    *,
    script: Script,
    error: type[Exception],
    match: str,
) -> None:
    answers, url = scripted
    answers.update(script)
    driver = UltraHub7Modem(DriverConfig(url=url, password=PASSWORD, session=session))
    with pytest.raises(error, match=match):
        await driver.async_fetch()
    assert not driver.logged_in


async def test_a_login_without_a_new_token_keeps_the_first(
    scripted: tuple[Script, str], session: aiohttp.ClientSession
) -> None:
    answers, url = scripted
    answers.update(LOGGED_IN)
    driver = UltraHub7Modem(
        DriverConfig(url=url, password=PASSWORD, session=session), logout_after_poll=False
    )
    with pytest.raises(UnsupportedModemError):
        await driver.async_fetch()
    answers[("GET", DOWNSTREAM)] = (200, '{"channels": []}')
    answers[("GET", UPSTREAM)] = (200, '{"channels": []}')
    reading = await driver.async_fetch()
    assert driver._token == "tok"
    assert not reading.has_docsis_data


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [('"95"', 95.0), ("null", LOCKOUT_BACKOFF), ("1", MIN_LOCKOUT_BACKOFF)],
)
async def test_lockout_wait_times(
    scripted: tuple[Script, str],
    session: aiohttp.ClientSession,
    remaining: str,
    expected: float,
) -> None:
    answers, url = scripted
    answers.update(LOGGED_IN)
    answers[("POST", "/api/users/login.jst")] = (
        200,
        f'{{"X_INTERNAL_Password_Status": "Locked", "X_INTERNAL_Remaining_Time": {remaining}}}',
    )
    clock = FakeClock()
    driver = UltraHub7Modem(DriverConfig(url=url, password=PASSWORD, session=session), clock=clock)
    with pytest.raises(ModemLockedError):
        await driver.async_fetch()
    assert driver._locked_until == clock.now + expected
