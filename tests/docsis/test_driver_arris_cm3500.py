"""The Arris CM3500B driver against the CM3500B simulator, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncGenerator
import logging

import aiohttp
import pytest

from custom_components.docsight.docsis.drivers.arris_cm3500 import (
    CONFIG_PATH,
    DEFAULT_URL,
    STATUS_PATH,
    VERSIONS_PATH,
    ArrisCM3500Modem,
)
from custom_components.docsight.docsis.drivers.base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemParseError,
    UnsupportedModemError,
)
from custom_components.docsight.docsis.model import Family
from tests.shared_fixtures import read_fixture
from tests.sim.arris_cm3500 import (
    CAPTURE,
    LOGIN,
    PASSWORD,
    USERNAME,
    ArrisCM3500Simulator,
    cm3500_modem_fixture,  # noqa: F401 - the cm3500_modem fixture
)
from tests.sim.loopback import HOST, unused_port

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as client:
        yield client


def _driver(
    session: aiohttp.ClientSession | None,
    modem: ArrisCM3500Simulator,
    password: str = PASSWORD,
    *,
    username: str | None = None,
    timeout: float = 5.0,
) -> ArrisCM3500Modem:
    config = DriverConfig(url=modem.url, username=username, password=password, session=session)
    return ArrisCM3500Modem(config, timeout=timeout)


# --- success ---------------------------------------------------------------------


async def test_poll_logs_in_and_reads_the_captured_pages(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    reading = await _driver(session, cm3500_modem).async_fetch()

    assert len(reading.downstream) == 26
    assert len(reading.upstream) == 5
    assert reading.downstream[0].power_dbmv == -11.2
    assert reading.downstream[-1].family is Family.OFDM
    assert reading.upstream[-1].family is Family.OFDMA
    device = reading.device
    assert (device.manufacturer, device.model, device.docsis_version) == ("Arris", "CM3500B", "3.1")
    assert device.uptime_seconds == 27_600
    assert (device.downstream_kbps, device.upstream_kbps) == (273_920, 52_480)
    assert device.firmware == "11.05.042.02.EURO.NCS"
    assert reading.read_at.tzinfo is not None
    assert cm3500_modem.login_forms == [{"username": USERNAME, "password": PASSWORD}]
    assert cm3500_modem.calls == [
        f"GET {STATUS_PATH}",
        f"POST {LOGIN}",
        f"GET {STATUS_PATH}",
        f"GET {CONFIG_PATH}",
        f"GET {VERSIONS_PATH}",
    ]


async def test_second_poll_reuses_the_session(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, cm3500_modem, username="admin")
    await driver.async_fetch()
    cm3500_modem.calls.clear()

    await driver.async_fetch()

    assert cm3500_modem.logins == 1
    # The firmware is known after the first poll: the version page is not read again.
    assert cm3500_modem.calls == [f"GET {STATUS_PATH}", f"GET {CONFIG_PATH}"]


@pytest.mark.parametrize(
    ("status", "page"), [(500, ""), (200, "<html>nothing</html>")], ids=["http-500", "odd-page"]
)
async def test_version_page_trouble_costs_only_the_firmware(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession, status: int, page: str
) -> None:
    if status != 200:
        cm3500_modem.statuses[VERSIONS_PATH] = status
    else:
        cm3500_modem.pages[VERSIONS_PATH] = page
    driver = _driver(session, cm3500_modem)

    reading = await driver.async_fetch()
    assert reading.downstream
    assert reading.device.firmware is None

    # Tried again on the next poll, and kept once read.
    cm3500_modem.statuses.pop(VERSIONS_PATH, None)
    cm3500_modem.pages[VERSIONS_PATH] = read_fixture(*CAPTURE, "vers_cgi.html")
    assert (await driver.async_fetch()).device.firmware == "11.05.042.02.EURO.NCS"


async def test_negative_service_flow_rate_unwrapped(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    cm3500_modem.pages[CONFIG_PATH] = (
        "<pre>DownstreamServiceFlow =\n    SfMaxTrafficRate = -1294967296\n</pre>"
    )

    reading = await _driver(session, cm3500_modem).async_fetch()

    assert reading.device.downstream_kbps == 3_000_000
    assert reading.device.upstream_kbps is None


async def test_broken_service_flow_page_keeps_the_channels(
    cm3500_modem: ArrisCM3500Simulator,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cm3500_modem.pages[CONFIG_PATH] = "<html>nothing</html>"

    with caplog.at_level(logging.WARNING):
        reading = await _driver(session, cm3500_modem).async_fetch()

    assert reading.downstream
    assert reading.device.downstream_kbps is None
    assert "service flow" in caplog.text


async def test_missing_service_flow_page_keeps_the_channels(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    cm3500_modem.statuses[CONFIG_PATH] = 500

    reading = await _driver(session, cm3500_modem).async_fetch()

    assert reading.downstream
    assert reading.device.downstream_kbps is None


# --- failures ----------------------------------------------------------------------


async def test_wrong_password(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="refused"):
        await _driver(session, cm3500_modem, "wrong").async_fetch()
    assert cm3500_modem.logins == 0


async def test_session_lost_right_after_login(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    cm3500_modem.forget_login = True

    with pytest.raises(ModemAuthError):
        await _driver(session, cm3500_modem).async_fetch()


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        (LOGIN, 401, ModemAuthError),
        (LOGIN, 500, ModemConnectionError),
        (STATUS_PATH, 404, UnsupportedModemError),
        (STATUS_PATH, 403, ModemAuthError),
        (STATUS_PATH, 503, ModemConnectionError),
    ],
)
async def test_http_errors(
    cm3500_modem: ArrisCM3500Simulator,
    session: aiohttp.ClientSession,
    path: str,
    status: int,
    error: type[Exception],
) -> None:
    cm3500_modem.statuses[path] = status

    with pytest.raises(error):
        await _driver(session, cm3500_modem).async_fetch()


async def test_another_device(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    cm3500_modem.not_arris = True

    with pytest.raises(UnsupportedModemError, match="not a CM3500"):
        await _driver(session, cm3500_modem).async_fetch()


async def test_unreadable_channel_table(
    cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession
) -> None:
    cm3500_modem.pages[STATUS_PATH] = (
        "<h4> Downstream QAM </h4><table><tr><td>Downstream 1</td><td>3</td></tr></table>"
    )

    with pytest.raises(ModemParseError, match="unreadable channel table"):
        await _driver(session, cm3500_modem).async_fetch()


async def test_timeout(cm3500_modem: ArrisCM3500Simulator, session: aiohttp.ClientSession) -> None:
    cm3500_modem.delay = 1.0

    with pytest.raises(ModemConnectionError, match=r"status_cgi: TimeoutError"):
        await _driver(session, cm3500_modem, timeout=0.1).async_fetch()


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    config = DriverConfig(url=f"http://{HOST}:{unused_port()}", password=PASSWORD, session=session)

    with pytest.raises(ModemConnectionError):
        await ArrisCM3500Modem(config, timeout=2.0).async_fetch()


async def test_login_connection_error(
    cm3500_modem: ArrisCM3500Simulator,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise aiohttp.ClientConnectionError("refused")

    monkeypatch.setattr(session, "post", refuse)

    with pytest.raises(ModemConnectionError, match="login: refused"):
        await _driver(session, cm3500_modem).async_fetch()


async def test_no_session() -> None:
    driver = ArrisCM3500Modem(DriverConfig(password=PASSWORD))

    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()


def test_default_url_is_https() -> None:
    assert DEFAULT_URL.startswith("https://")
    driver = ArrisCM3500Modem(DriverConfig())
    assert driver._url == DEFAULT_URL
