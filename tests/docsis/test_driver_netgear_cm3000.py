"""The Netgear CM3000 driver against the CM3000 simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator

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
from custom_components.docsight.docsis.drivers.netgear_cm3000 import (
    DEFAULT_URL,
    NetgearCM3000Modem,
)
from custom_components.docsight.docsis.model import Family, Reading
from tests.sim.loopback import HOST, unused_port
from tests.sim.netgear_cm3000 import (
    PASSWORD,
    CM3000Simulator,
    cm3000_basic_fixture,  # noqa: F401 - the cm3000_basic fixture
    cm3000_form_fixture,  # noqa: F401 - the cm3000_form fixture
)

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (default cookie jar, which ignores IP hosts' cookies)."""
    async with aiohttp.ClientSession() as client:
        yield client


def _driver(
    session: aiohttp.ClientSession | None,
    modem: CM3000Simulator,
    password: str = PASSWORD,
    username: str | None = None,
) -> NetgearCM3000Modem:
    config = DriverConfig(url=modem.url, username=username, password=password, session=session)
    return NetgearCM3000Modem(config, timeout=5.0)


def _check_reading_channels(driver_reading: Reading) -> None:
    assert len(driver_reading.downstream) == 34
    assert len(driver_reading.upstream) == 5
    ofdm = [ch for ch in driver_reading.downstream if ch.family is Family.OFDM]
    assert [(ch.corrected, ch.uncorrected) for ch in ofdm] == [
        (10_237_586_972, 18_675_397),
        (19_395_421_307, 378),
    ]
    assert driver_reading.device.model == "CM3000"
    assert driver_reading.device.uptime_seconds == 2_021_184


# --- Basic auth --------------------------------------------------------------------


async def test_basic_auth_poll(
    cm3000_basic: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm3000_basic)

    _check_reading_channels(await driver.async_fetch())
    assert cm3000_basic.calls == ["status"]
    assert driver.username == "admin"
    await driver.async_close()


async def test_basic_auth_wrong_password(
    cm3000_basic: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="401"):
        await _driver(session, cm3000_basic, "wrong").async_fetch()


async def test_unusable_username(
    cm3000_basic: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="unusable username"):
        await _driver(session, cm3000_basic, username="a:b").async_fetch()


# --- form login ------------------------------------------------------------------------


async def test_form_login_fallback_and_cookie_reuse(
    cm3000_form: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm3000_form)

    _check_reading_channels(await driver.async_fetch())
    assert cm3000_form.logins == 1
    _check_reading_channels(await driver.async_fetch())
    assert cm3000_form.logins == 1  # the session cookie was reused
    assert cm3000_form.calls[:4] == ["status", "login_page", "login", "status"]


async def test_form_login_after_the_session_expired(
    cm3000_form: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm3000_form)
    await driver.async_fetch()
    cm3000_form.sessions.clear()

    _check_reading_channels(await driver.async_fetch())
    assert cm3000_form.logins == 2


async def test_form_login_wrong_password(
    cm3000_form: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="refused the login"):
        await _driver(session, cm3000_form, "wrong").async_fetch()
    assert cm3000_form.logins == 0


async def test_form_action_is_kept_on_this_modem(
    cm3000_form: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    cm3000_form.form_action = "http://198.51.100.7/goform/Login"
    driver = _driver(session, cm3000_form)

    _check_reading_channels(await driver.async_fetch())
    assert cm3000_form.logins == 1


# --- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (403, ModemAuthError),
        (429, ModemLockedError),
        (404, UnsupportedModemError),
        (500, ModemConnectionError),
    ],
)
async def test_http_errors(
    cm3000_basic: CM3000Simulator,
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    cm3000_basic.status = status

    with pytest.raises(error, match=f"HTTP {status}"):
        await _driver(session, cm3000_basic).async_fetch()


async def test_not_a_cm3000(cm3000_basic: CM3000Simulator, session: aiohttp.ClientSession) -> None:
    cm3000_basic.page = "<html><body>Some router</body></html>"

    with pytest.raises(UnsupportedModemError, match="no CM3000 channel tables"):
        await _driver(session, cm3000_basic).async_fetch()


async def test_malformed_table(
    cm3000_basic: CM3000Simulator, session: aiohttp.ClientSession
) -> None:
    cm3000_basic.page = cm3000_basic.page.replace("|-0.2|42.7|", "|hot|42.7|")

    with pytest.raises(ModemParseError, match="unreadable channel table"):
        await _driver(session, cm3000_basic).async_fetch()


async def test_unreachable(session: aiohttp.ClientSession) -> None:
    config = DriverConfig(url=f"http://{HOST}:{unused_port()}", password=PASSWORD, session=session)

    with pytest.raises(ModemConnectionError, match="DocsisStatus"):
        await NetgearCM3000Modem(config, timeout=2.0).async_fetch()


async def test_no_session() -> None:
    driver = NetgearCM3000Modem(DriverConfig())

    assert driver._url == DEFAULT_URL
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()
