"""The Compal CH7465 driver against the Connect Box simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import hashlib
import logging
import time

import aiohttp
import pytest

from custom_components.docsight.docsis.drivers.base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from custom_components.docsight.docsis.drivers.compal import (
    DEFAULT_URL,
    USER_AGENT,
    CompalModem,
    CompalPlayModem,
    hash_password,
)
from tests.sim.compal import (
    PASSWORD,
    PLAY_MODEL,
    CompalSimulator,
    compal_modem_fixture,  # noqa: F401 - the compal_modem fixture
    compal_play_modem_fixture,  # noqa: F401 - the compal_play_modem fixture
)
from tests.sim.loopback import HOST, unused_port

pytestmark = pytest.mark.usefixtures("socket_enabled")


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current reading."""
        return self.now


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (default cookie jar, which ignores IP hosts' cookies)."""
    async with aiohttp.ClientSession() as client:
        yield client


def _driver(
    session: aiohttp.ClientSession,
    modem: CompalSimulator,
    password: str = PASSWORD,
    *,
    username: str | None = None,
    play: bool = False,
    timeout: float = 5.0,
    clock: FakeClock | None = None,
) -> CompalModem:
    cls = CompalPlayModem if play else CompalModem
    config = DriverConfig(url=modem.url, username=username, password=password, session=session)
    if clock is None:
        return cls(config, timeout=timeout)
    return cls(config, timeout=timeout, clock=clock)


# --- success ---------------------------------------------------------------------


async def test_poll_reads_the_captured_pages(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem)

    reading = await driver.async_fetch()

    assert len(reading.downstream) == 24
    assert len(reading.upstream) == 8
    assert reading.downstream[0].snr_db == 36.61
    assert reading.downstream[0].corrected == 80_379_377_107
    assert reading.upstream[0].corrected is None  # the modem has no upstream counters
    device = reading.device
    assert (device.manufacturer, device.model) == ("Compal", "CH7465MT-AT")
    assert device.firmware == "CH7465MT-AT-NCIP-6.15.32p3TM-GA-NOSH"
    assert device.uptime_seconds == 2_359_011
    assert device.docsis_version == "3.0"
    assert (device.downstream_kbps, device.upstream_kbps) == (110_100, 22_544)
    assert reading.read_at.tzinfo is not None
    # One login, every page in that session, then a polite logout.
    assert compal_modem.logins == 1
    assert compal_modem.logouts == 1
    assert compal_modem.sid is None
    assert not driver.logged_in
    assert driver.play is False
    assert compal_modem.calls == [
        ("GET /", None),
        ("GET login", None),
        ("getter", 1),
        ("getter", 22),
        ("setter", 15),
        ("getter", 2),
        ("getter", 10),
        ("getter", 11),
        ("getter", 144),
        ("setter", 16),
    ]


async def test_token_from_the_redirect_to_the_login_page(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.login_page_token = False

    reading = await _driver(session, compal_modem).async_fetch()

    assert reading.downstream


async def test_password_is_sent_as_sha256(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    await _driver(session, compal_modem, username="admin").async_fetch()

    (form,) = compal_modem.login_forms
    assert form["Password"] == hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert form["Password"] == hash_password(PASSWORD)
    assert PASSWORD not in form.values()
    assert form["Username"] == "admin"
    assert compal_modem.session_agent is None  # logged out again
    assert compal_modem.logins == 1


async def test_username_defaults_to_null(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    await _driver(session, compal_modem).async_fetch()

    assert compal_modem.login_forms[0]["Username"] == "NULL"


async def test_session_is_bound_to_the_fixed_user_agent(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    await _driver(session, compal_modem).async_fetch()

    assert compal_modem.login_agents == [USER_AGENT]


async def test_polls_in_a_row_log_in_each_time(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem)

    await driver.async_fetch()
    await driver.async_fetch()

    assert (compal_modem.logins, compal_modem.logouts) == (2, 2)


async def test_two_polls_never_log_in_at_once(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem)
    compal_modem.delay = 0.02  # every answer takes a moment, so the polls would overlap

    readings = await asyncio.gather(*(driver.async_fetch() for _ in range(3)))

    assert all(len(reading.downstream) == 24 for reading in readings)
    assert compal_modem.logins == 3
    assert compal_modem.logouts == 3
    assert compal_modem.max_active == 1
    assert all(form.get("Password") for form in compal_modem.login_forms)
    assert compal_modem.failed_logins == 0


async def test_simulator_refuses_requests_without_the_rotating_token(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    """The simulator is strict: a stale token gets the login page, as on the modem."""
    async with session.get(f"{compal_modem.url}/") as response:
        first = response.cookies["sessionToken"].value
    async with session.post(
        f"{compal_modem.url}/xml/getter.xml",
        data={"token": "1", "fun": "1"},
        cookies={"sessionToken": "1"},
        headers={"Referer": compal_modem.url + "/"},
        allow_redirects=False,
    ) as response:
        assert response.status == 302
        assert response.cookies["sessionToken"].value != first


# --- PLAY firmware ------------------------------------------------------------------


async def test_play_firmware_is_detected(
    compal_play_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_play_modem, username="ignored")

    reading = await driver.async_fetch()

    assert len(reading.downstream) == 24
    assert reading.device.model == PLAY_MODEL
    assert driver.play is True
    (form,) = compal_play_modem.login_forms
    assert form["Username"] == "NULL"
    assert form["Password"] == PASSWORD
    assert form["token"]  # the PLAY firmware wants the token as a form field too


async def test_play_variant_forced(
    compal_play_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    """Some PLAY firmware does not say so in ConfigVenderModel: ch7465_play forces it."""
    compal_play_modem.pages[1] = compal_play_modem.pages[1].replace(PLAY_MODEL, "CH7465LG")

    with pytest.raises(ModemAuthError):
        await _driver(session, compal_play_modem).async_fetch()
    reading = await _driver(session, compal_play_modem, play=True).async_fetch()

    assert reading.device.model == "CH7465LG"
    assert compal_play_modem.login_forms[-1]["Password"] == PASSWORD


async def test_play_login_on_normal_firmware_fails(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="refused the password"):
        await _driver(session, compal_modem, play=True).async_fetch()


# --- credentials and lockout ----------------------------------------------------------


async def test_wrong_password(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem, "wrong")

    with pytest.raises(ModemAuthError, match="refused the password"):
        await driver.async_fetch()

    assert compal_modem.failed_logins == 1
    assert compal_modem.logins == 0
    assert not driver.logged_in


async def test_wrong_password_waits_out_the_modems_delay(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.fail_delay = 30
    clock = FakeClock()
    driver = _driver(session, compal_modem, "wrong", clock=clock)

    with pytest.raises(ModemAuthError, match="next login in 30 s"):
        await driver.async_fetch()
    calls = len(compal_modem.calls)
    with pytest.raises(ModemLockedError, match="another 30 s"):
        await driver.async_fetch()
    assert len(compal_modem.calls) == calls  # not even asked: no hammering

    clock.now += 31
    compal_modem.wait_until = 0.0  # the modem's wait is over too
    with pytest.raises(ModemAuthError):
        await driver.async_fetch()
    assert compal_modem.failed_logins == 2


async def test_lockout_after_failed_logins(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    for _ in range(compal_modem.max_failures):
        with pytest.raises(ModemAuthError):
            await _driver(session, compal_modem, "wrong").async_fetch()
    assert compal_modem.locked_for > 0
    attempts = len(compal_modem.login_forms)

    # Even the right password must not be sent while the modem is locked:
    # a login then counts as another failure and prolongs the lock.
    driver = _driver(session, compal_modem)
    with pytest.raises(ModemLockedError, match=r"refuses logins for 1[12]\d s"):
        await driver.async_fetch()

    assert len(compal_modem.login_forms) == attempts
    calls = len(compal_modem.calls)
    with pytest.raises(ModemLockedError):
        await driver.async_fetch()
    assert len(compal_modem.calls) == calls


async def test_lockout_seen_only_in_the_fail_counter(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.report_locked_out = False
    compal_modem.failures = compal_modem.max_failures
    compal_modem.wait_until = time.monotonic() + 100

    with pytest.raises(ModemLockedError):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.login_forms == []


async def test_lockout_flag_without_a_counter(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.pages[1] = compal_modem.pages[1].replace(
        "<LockedOut>Disable</LockedOut>", "<LockedOut>Enable</LockedOut>"
    )
    compal_modem.status_funs[22] = 302

    with pytest.raises(ModemLockedError, match="refuses logins for now"):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.login_forms == []


async def test_unreadable_fail_counter_counts_as_no_delay(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.status_funs[22] = 302

    reading = await _driver(session, compal_modem).async_fetch()

    assert reading.downstream


async def test_another_user_is_logged_in(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.other_session = True

    with pytest.raises(ModemLockedError, match="another user"):
        await _driver(session, compal_modem).async_fetch()


async def test_login_redirected_means_another_session(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.status_funs[15] = 302

    with pytest.raises(ModemLockedError, match="one session at a time"):
        await _driver(session, compal_modem).async_fetch()


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        ("KDGsuperUserPwEmpty", ModemAuthError, "no password yet"),
        ("KDGchangePW;SID=123456", ModemAuthError, "password change"),
        ("KDGchangePW", ModemAuthError, "password change"),
        ("successful;SID=", ModemParseError, "valid SID"),
        ("successful;SID=abc", ModemParseError, "valid SID"),
        ("successful;SID=\u00b2", ModemParseError, "valid SID"),
        ("unsuccessful;SID=0", ModemParseError, "unexpected login answer"),
        ("", ModemParseError, "unexpected login answer"),
    ],
)
async def test_login_answers(
    compal_modem: CompalSimulator,
    session: aiohttp.ClientSession,
    answer: str,
    error: type[Exception],
    message: str,
) -> None:
    compal_modem.login_answer = answer
    driver = _driver(session, compal_modem)

    with pytest.raises(error, match=message):
        await driver.async_fetch()

    assert not driver.logged_in


async def test_change_password_session_is_closed(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.login_answer = "KDGchangePW;SID=123456"

    with pytest.raises(ModemAuthError):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.calls[-1] == ("setter", 16)


# --- session expiry -------------------------------------------------------------------


async def test_session_expires_mid_poll(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.expire_after = 2  # fun=2 and fun=10 work, then the modem drops the session

    reading = await _driver(session, compal_modem).async_fetch()

    assert len(reading.downstream) == 24
    assert len(reading.upstream) == 8
    assert compal_modem.logins == 2
    assert compal_modem.logouts == 1


async def test_session_lost_again_after_relogin(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.session_timeout = -1.0  # every session is over before it is used

    with pytest.raises(ModemConnectionError, match="again"):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.logins == 2


async def test_settings_page_redirected(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.status_funs[1] = 302

    with pytest.raises(ModemConnectionError, match="redirected"):
        await _driver(session, compal_modem).async_fetch()


async def test_close_without_session_sends_nothing(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem)
    await driver.async_fetch()
    calls = len(compal_modem.calls)

    await driver.async_close()

    assert len(compal_modem.calls) == calls


async def test_close_logs_out_a_held_session(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, compal_modem)
    await driver._login(session)  # as if a poll had been cut off after logging in
    held = driver.logged_in

    await driver.async_close()

    assert held
    assert not driver.logged_in
    assert compal_modem.logouts == 1
    assert compal_modem.sid is None


async def test_close_and_fetch_without_a_session() -> None:
    driver = CompalModem(DriverConfig(password="x"))

    await driver.async_close()
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()
    assert driver._url == DEFAULT_URL


# --- what answers -------------------------------------------------------------------------


async def test_not_a_compal(compal_modem: CompalSimulator, session: aiohttp.ClientSession) -> None:
    compal_modem.not_compal = True

    with pytest.raises(UnsupportedModemError, match="sessionToken"):
        await _driver(session, compal_modem).async_fetch()


@pytest.mark.parametrize(
    ("status", "error"), [(404, UnsupportedModemError), (500, ModemConnectionError)]
)
async def test_start_page_errors(
    compal_modem: CompalSimulator,
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    compal_modem.start_status = status

    with pytest.raises(error, match=f"HTTP {status}"):
        await _driver(session, compal_modem).async_fetch()


async def test_settings_page_is_not_compal(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.pages[1] = "<html><body>Hello</body></html>"

    with pytest.raises(UnsupportedModemError, match="Compal"):
        await _driver(session, compal_modem).async_fetch()


@pytest.mark.parametrize("fun", [10, 11])
async def test_garbage_channel_table(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession, fun: int
) -> None:
    compal_modem.pages[fun] = "<html><body>Internal error</body></html>"

    with pytest.raises(ModemParseError, match="channel table"):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.logouts == 1  # the session is released on failure too


async def test_truncated_channel_table(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    page = compal_modem.pages[10]
    compal_modem.pages[10] = page[: len(page) * 2 // 3]

    with pytest.raises(ModemParseError, match="not well-formed"):
        await _driver(session, compal_modem).async_fetch()


async def test_garbage_device_pages_keep_the_channels(
    compal_modem: CompalSimulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    compal_modem.pages[2] = "garbage"
    compal_modem.pages[144] = compal_modem.pages[144][:300]

    with caplog.at_level(logging.WARNING):
        reading = await _driver(session, compal_modem).async_fetch()

    assert len(reading.downstream) == 24
    assert reading.device.uptime_seconds is None
    assert reading.device.downstream_kbps is None
    assert reading.device.model == "CH7465MT-AT"  # fun=1 was fine
    assert "system info" in caplog.text
    assert "status page" in caplog.text


async def test_server_error_on_a_page(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.status_funs[11] = 500

    with pytest.raises(ModemConnectionError, match="HTTP 500 for fun=11"):
        await _driver(session, compal_modem).async_fetch()

    assert compal_modem.logouts == 1


async def test_failed_logout_is_not_an_error(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.status_funs[16] = 500
    driver = _driver(session, compal_modem)

    reading = await driver.async_fetch()

    assert reading.downstream
    assert not driver.logged_in


# --- network trouble ---------------------------------------------------------------------


async def test_timeout_on_a_page(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.delay = 0.5
    compal_modem.delay_fun = 10

    with pytest.raises(ModemConnectionError, match="fun=10"):
        await _driver(session, compal_modem, timeout=0.1).async_fetch()

    assert compal_modem.calls[-1] == ("setter", 16)  # still logs out


async def test_timeout_on_the_start_page(
    compal_modem: CompalSimulator, session: aiohttp.ClientSession
) -> None:
    compal_modem.delay = 0.5

    with pytest.raises(ModemConnectionError):
        await _driver(session, compal_modem, timeout=0.1).async_fetch()


async def test_nothing_listens(session: aiohttp.ClientSession) -> None:
    config = DriverConfig(url=f"http://{HOST}:{unused_port()}", password="x", session=session)

    with pytest.raises(ModemConnectionError):
        await CompalModem(config).async_fetch()
