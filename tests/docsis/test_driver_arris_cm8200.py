"""The Arris CM8200A driver against the CM8200A simulator, over real HTTP(S) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.docsight.docsis.drivers.arris_cm8200 import (
    DEFAULT_URL,
    LOCK_PATH,
    STATUS_PATH,
    ArrisCM8200Modem,
)
from custom_components.docsight.docsis.drivers.base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemLockedError,
    ModemParseError,
    UnsupportedModemError,
)
from custom_components.docsight.docsis.model import Family
from tests.shared_fixtures import read_fixture
from tests.sim.arris_cm8200 import (
    PASSWORD,
    USERNAME,
    ArrisCM8200Simulator,
    cm8200_modem_fixture,  # noqa: F401 - the cm8200_modem fixture
)
from tests.sim.loopback import HOST, unused_port

pytestmark = pytest.mark.usefixtures("socket_enabled")

LOGIN = f"GET {STATUS_PATH}?login"
STATUS = f"GET {STATUS_PATH}"
LOCK = f"GET {LOCK_PATH}"


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (certificate verification on, as Home Assistant's)."""
    async with aiohttp.ClientSession() as client:
        yield client


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def _driver(
    session: aiohttp.ClientSession | None,
    modem: ArrisCM8200Simulator,
    password: str = PASSWORD,
    *,
    timeout: float = 5.0,
    clock: _Clock | None = None,
) -> ArrisCM8200Modem:
    config = DriverConfig(url=modem.url, username=USERNAME, password=password, session=session)
    return ArrisCM8200Modem(config, timeout=timeout, clock=clock or _Clock())


# --- success ---------------------------------------------------------------------


async def test_login_and_poll(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm8200_modem)

    reading = await driver.async_fetch()

    assert [c.channel_id for c in reading.downstream] == [33, 5, 6]
    assert reading.downstream[0].family is Family.OFDM
    assert reading.downstream[1].power_dbmv == 3.2
    assert [c.family for c in reading.upstream] == [Family.SC_QAM, Family.OFDMA]
    assert (reading.device.manufacturer, reading.device.model) == ("Arris", "CM8200A")
    assert cm8200_modem.calls == [STATUS, LOCK, LOGIN, STATUS]
    # The token goes in the cookie header exactly as the web app writes it.
    token = next(iter(cm8200_modem.tokens))
    assert cm8200_modem.cookie_headers[-1] == f"HttpOnly: true, Secure: true; credential={token}"
    assert driver.logged_in


async def test_second_poll_reuses_the_session(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm8200_modem)
    await driver.async_fetch()
    cm8200_modem.calls.clear()

    await driver.async_fetch()
    await driver.async_close()
    await driver.async_fetch()

    assert cm8200_modem.logins == 1
    assert cm8200_modem.calls == [STATUS, STATUS]


async def test_captured_page(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.status_page = read_fixture(
        "modems", "arris_cm8200a", "docsight", "cmconnectionstatus.SAMPLE_STATUS_HTML.html"
    )

    reading = await _driver(session, cm8200_modem).async_fetch()

    assert len(reading.downstream) == 33
    assert len(reading.upstream) == 4
    assert reading.downstream[0].corrected == 191_405_078


async def test_modem_without_password(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.login_page = cm8200_modem.status_page

    assert (await _driver(session, cm8200_modem).async_fetch()).downstream
    assert cm8200_modem.calls == [STATUS]


async def test_self_signed_legacy_tls(socket_enabled: None, session: aiohttp.ClientSession) -> None:
    modem = ArrisCM8200Simulator(tls=True)
    await modem.start()
    try:
        assert modem.url.startswith("https://")
        assert (await _driver(session, modem).async_fetch()).downstream
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with session.get(f"{modem.url}{LOCK_PATH}"):
                pass
    finally:
        await modem.close()


async def test_concurrent_polls_log_in_once(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.delay = 0.05
    driver = _driver(session, cm8200_modem)
    # A second driver for the same address (the config flow's test) shares the lock.
    other = _driver(session, cm8200_modem)

    readings = await asyncio.gather(driver.async_fetch(), driver.async_fetch(), other.async_fetch())

    assert all(reading.downstream for reading in readings)
    assert cm8200_modem.logins == 2  # one per driver, never two at once for one
    assert cm8200_modem.calls.count(LOGIN) == 2


# --- sessions and lockout -----------------------------------------------------------


async def test_session_expired_between_polls(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm8200_modem)
    await driver.async_fetch()
    cm8200_modem.expire()
    cm8200_modem.calls.clear()

    assert (await driver.async_fetch()).downstream
    assert cm8200_modem.calls == [STATUS, LOCK, LOGIN, STATUS]
    assert cm8200_modem.logins == 2


async def test_token_not_accepted(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.forget_login = True

    driver = _driver(session, cm8200_modem)
    with pytest.raises(ModemAuthError, match="own session token"):
        await driver.async_fetch()
    assert not driver.logged_in


async def test_wrong_password(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="refused"):
        await _driver(session, cm8200_modem, "wrong").async_fetch()
    assert cm8200_modem.failed_logins == 1
    assert not cm8200_modem.locked


async def test_locked_modem_gets_no_password(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.locked = True
    clock = _Clock()
    driver = _driver(session, cm8200_modem, clock=clock)

    with pytest.raises(ModemLockedError, match="backing off for 300 s"):
        await driver.async_fetch()
    assert LOGIN not in cm8200_modem.calls

    cm8200_modem.calls.clear()
    clock.now += 200
    with pytest.raises(ModemLockedError, match="not trying again for 100 s"):
        await driver.async_fetch()
    assert cm8200_modem.calls == []

    cm8200_modem.unlock()
    clock.now += 101
    assert (await driver.async_fetch()).downstream


async def test_wrong_password_that_locks_is_a_lockout(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    modem = ArrisCM8200Simulator(lock_after=1)
    await modem.start()
    try:
        with pytest.raises(ModemLockedError):
            await _driver(session, modem, "wrong").async_fetch()
        assert modem.calls == [STATUS, LOCK, LOGIN, LOCK]
    finally:
        await modem.close()


async def test_http_429_is_a_lockout(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.statuses[STATUS_PATH] = 429

    with pytest.raises(ModemLockedError, match="429"):
        await _driver(session, cm8200_modem).async_fetch()


# --- failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, UnsupportedModemError),
        (500, ModemConnectionError),
        (503, ModemConnectionError),
    ],
)
async def test_http_errors(
    cm8200_modem: ArrisCM8200Simulator,
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    cm8200_modem.statuses[STATUS_PATH] = status

    with pytest.raises(error):
        await _driver(session, cm8200_modem).async_fetch()


@pytest.mark.parametrize("status", [401, 403])
async def test_login_refused_by_status(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession, status: int
) -> None:
    cm8200_modem.login_status = status

    with pytest.raises(ModemAuthError, match=f"HTTP {status}"):
        await _driver(session, cm8200_modem).async_fetch()


async def test_lock_notice_missing_is_not_a_lock(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.statuses[LOCK_PATH] = 404

    assert (await _driver(session, cm8200_modem).async_fetch()).downstream


async def test_another_device(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession
) -> None:
    cm8200_modem.not_arris = True

    with pytest.raises(UnsupportedModemError, match="not a CM8200"):
        await _driver(session, cm8200_modem).async_fetch()


@pytest.mark.parametrize(
    "page",
    [
        (
            "<table><tr><th>Downstream Bonded Channels</th></tr><tr><td>Channel ID</td>"
            "<td>Power</td></tr><tr><td>x1</td></tr></table>"
        ),
        (
            "<table><tr><th>Downstream Bonded Channels</th></tr><tr><td>Channel ID</td>"
            "<td>Power</td></tr><tr><td>abc</td><td>1.0</td></tr></table>"
        ),
        "<html><body>Downstream Bonded Channels",  # truncated
    ],
)
async def test_truncated_or_garbage_page(
    cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession, page: str
) -> None:
    cm8200_modem.status_page = page

    with pytest.raises(ModemParseError):
        await _driver(session, cm8200_modem).async_fetch()


async def test_timeout(cm8200_modem: ArrisCM8200Simulator, session: aiohttp.ClientSession) -> None:
    cm8200_modem.delay = 1.0

    with pytest.raises(ModemConnectionError, match=r"cmconnectionstatus.html: TimeoutError"):
        await _driver(session, cm8200_modem, timeout=0.1).async_fetch()


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    config = DriverConfig(url=f"http://{HOST}:{unused_port()}", password=PASSWORD, session=session)

    with pytest.raises(ModemConnectionError):
        await ArrisCM8200Modem(config, timeout=2.0).async_fetch()


async def test_no_session() -> None:
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await ArrisCM8200Modem(DriverConfig(password=PASSWORD)).async_fetch()


def test_default_url_is_https() -> None:
    assert DEFAULT_URL == "https://192.168.100.1"
    assert ArrisCM8200Modem(DriverConfig())._base == DEFAULT_URL
