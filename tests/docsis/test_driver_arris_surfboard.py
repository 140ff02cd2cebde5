"""The Arris SURFboard driver against the SURFboard simulator, over real HTTP(S) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json

import aiohttp
import pytest

from custom_components.docsight.docsis.drivers.arris_surfboard import (
    DEFAULT_URL,
    RELOAD_DELAYS,
    ArrisSurfboardModem,
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
from tests.sim.arris_surfboard import (
    HNAP,
    PASSWORD,
    STATUS,
    USERNAME,
    ArrisSurfboardSimulator,
    surfboard_modem_fixture,  # noqa: F401 - the surfboard_modem fixture
)
from tests.sim.loopback import HOST, unused_port

pytestmark = pytest.mark.usefixtures("socket_enabled")


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (certificate verification on, as Home Assistant's)."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def simulators() -> AsyncGenerator[list[ArrisSurfboardSimulator]]:
    """Simulators a test starts itself; closed afterwards."""
    started: list[ArrisSurfboardSimulator] = []
    yield started
    for simulator in started:
        await simulator.close()


async def _start(
    simulators: list[ArrisSurfboardSimulator], **kwargs: object
) -> ArrisSurfboardSimulator:
    simulator = ArrisSurfboardSimulator(**kwargs)  # type: ignore[arg-type]
    await simulator.start()
    simulators.append(simulator)
    return simulator


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _driver(
    session: aiohttp.ClientSession | None,
    modem: ArrisSurfboardSimulator,
    password: str = PASSWORD,
    *,
    hints: dict[str, str] | None = None,
    timeout: float = 5.0,
    clock: _Clock | None = None,
    reload_delays: tuple[float, ...] = (0.0, 0.0),
) -> ArrisSurfboardModem:
    config = DriverConfig(
        url=modem.url, username=USERNAME, password=password, session=session, hints=hints or {}
    )
    return ArrisSurfboardModem(
        config, timeout=timeout, clock=clock or _Clock(), reload_delays=reload_delays
    )


# --- success ---------------------------------------------------------------------


async def test_sha256_login_and_poll(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem)
    reading = await driver.async_fetch()

    assert [c.channel_id for c in reading.downstream] == [17, 14, 33]
    assert reading.downstream[0].power_dbmv == 7.3
    assert reading.downstream[1].uncorrected == 1
    assert reading.downstream[-1].family is Family.OFDM
    assert [c.channel_id for c in reading.upstream] == [3, 41]
    assert reading.upstream[0].symbol_rate_ksym == 5120.0
    assert reading.upstream[1].family is Family.OFDMA
    device = reading.device
    assert (device.manufacturer, device.model) == ("Arris", "S34")
    assert device.firmware == "AT01.01.010.042324_S3.04.735"
    assert device.uptime_seconds == 2 * 86400 + 3 * 3600 + 4 * 60 + 5
    assert surfboard_modem.logins == 1
    assert surfboard_modem.calls == ["HNAP Login", "HNAP Login", "HNAP GetMultipleHNAPs"]
    assert driver.remember() == {"mode": "hnap", "namespace": "Customer", "hash": "sha256"}


async def test_second_poll_reuses_the_session(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem)
    await driver.async_fetch()
    surfboard_modem.calls.clear()

    await driver.async_fetch()
    await driver.async_close()
    await driver.async_fetch()

    assert surfboard_modem.logins == 1
    assert surfboard_modem.calls == ["HNAP GetMultipleHNAPs"] * 2


async def test_md5_firmware_falls_back_and_remembers(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, algorithm="md5", namespace="Moto")
    driver = _driver(session, modem)

    reading = await driver.async_fetch()

    assert len(reading.downstream) == 3
    assert reading.device.firmware == "AB01.02.053.05_080901_193.0A.NSH"
    assert reading.device.docsis_version == "3.1"
    # SHA-256 refused, MD5 accepted; Customer actions HTTP 500, Moto answered.
    assert modem.login_requests == 2
    assert modem.logins == 1
    assert modem.calls.count("HNAP GetMultipleHNAPs") == 2
    hints = driver.remember()
    assert hints == {"mode": "hnap", "namespace": "Moto", "hash": "md5"}

    # A new driver with the hints goes straight to MD5 and Moto.
    modem.calls.clear()
    modem.expire()
    await _driver(session, modem, hints=hints).async_fetch()
    assert modem.login_requests == 3
    assert modem.calls == ["HNAP Login", "HNAP Login", "HNAP GetMultipleHNAPs"]


async def test_unusable_hints_are_ignored(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem, hints={"mode": "x", "namespace": "y", "hash": "z"})

    await driver.async_fetch()

    assert driver.remember() == {"mode": "hnap", "namespace": "Customer", "hash": "sha256"}


async def test_captured_s34_answer(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    captured = json.loads(
        read_fixture("modems", "arris_s34", "solentlabs", "hnap_full_status.json")
    )
    surfboard_modem.answers = {
        name.removesuffix("Response"): answer
        for name, answer in captured["GetMultipleHNAPsResponse"].items()
        if isinstance(answer, dict)
    }

    reading = await _driver(session, surfboard_modem).async_fetch()

    assert len(reading.downstream) == 32  # 34 receivers, two not locked
    assert len(reading.upstream) == 5
    assert reading.downstream[-1].corrected == 1_224_629_527
    assert reading.device.firmware == "AT01.01.010.042324_S3.04.735"


async def test_self_signed_legacy_tls(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, tls=True)
    assert modem.url.startswith("https://")

    reading = await _driver(session, modem).async_fetch()

    assert reading.downstream
    # The same session refuses the certificate for anything else.
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        async with session.get(f"{modem.url}/"):
            pass


async def test_concurrent_polls_log_in_once(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.delay = 0.05
    first = _driver(session, surfboard_modem)

    readings = await asyncio.gather(first.async_fetch(), first.async_fetch(), first.async_fetch())

    assert all(reading.downstream for reading in readings)
    assert surfboard_modem.logins == 1
    assert surfboard_modem.calls.count("HNAP GetMultipleHNAPs") == 3


# --- sessions, reloads, lockout -------------------------------------------------------


async def test_session_expired_between_polls(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem)
    await driver.async_fetch()
    surfboard_modem.expire()

    reading = await driver.async_fetch()

    assert reading.downstream
    assert surfboard_modem.logins == 2


async def test_session_refused_right_after_login(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem)
    surfboard_modem.forget_login = True

    with pytest.raises(ModemAuthError, match="just opened"):
        await driver.async_fetch()
    assert not driver.logged_in


async def test_reload_is_retried_then_with_a_fresh_session(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem, reload_delays=(0.01, 0.02))
    await driver.async_fetch()
    surfboard_modem.calls.clear()
    surfboard_modem.reloads = 2

    reading = await driver.async_fetch()

    assert reading.downstream
    assert surfboard_modem.calls == [
        "HNAP GetMultipleHNAPs",  # RELOAD
        "HNAP GetMultipleHNAPs",  # RELOAD again, after the first delay
        "HNAP Login",  # fresh session after the second delay
        "HNAP Login",
        "HNAP GetMultipleHNAPs",
    ]


async def test_reload_at_login_is_retried(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.reloads = 1

    reading = await _driver(session, surfboard_modem).async_fetch()

    assert reading.downstream
    assert surfboard_modem.logins == 1


async def test_endless_reload_fails_the_poll(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.reloads = 10

    with pytest.raises(ModemConnectionError, match="RELOAD"):
        await _driver(session, surfboard_modem).async_fetch()
    assert surfboard_modem.reloads == 7


def test_default_reload_delays() -> None:
    assert RELOAD_DELAYS == (5.0, 15.0)


async def test_wrong_password(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(ModemAuthError, match="refused"):
        await _driver(session, surfboard_modem, "wrong").async_fetch()
    # One attempt per hash, then the driver stops.
    assert surfboard_modem.failed_logins == 2
    assert surfboard_modem.logins == 0


async def test_wrong_user_name(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    config = DriverConfig(
        url=surfboard_modem.url, username="root", password=PASSWORD, session=session
    )

    with pytest.raises(ModemAuthError):
        await ArrisSurfboardModem(config).async_fetch()
    assert surfboard_modem.login_requests == 2


async def test_lockout_backs_off_until_it_is_over(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.locked = True
    clock = _Clock()
    driver = _driver(session, surfboard_modem, clock=clock)

    with pytest.raises(ModemLockedError, match="LOCKUP"):
        await driver.async_fetch()
    surfboard_modem.calls.clear()
    with pytest.raises(ModemLockedError, match="not trying again"):
        await driver.async_fetch()
    assert surfboard_modem.calls == []  # the modem is left alone

    surfboard_modem.locked = False
    clock.now += 301
    assert (await driver.async_fetch()).downstream


async def test_wrong_passwords_lead_to_the_lockout(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, lock_after=3)
    driver = _driver(session, modem, "wrong")
    with pytest.raises(ModemAuthError):
        await driver.async_fetch()

    with pytest.raises(ModemLockedError):
        await driver.async_fetch()


async def test_http_429_is_a_lockout(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.statuses[HNAP] = 429

    with pytest.raises(ModemLockedError, match="429"):
        await _driver(session, surfboard_modem).async_fetch()


# --- failures ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, ModemAuthError), (500, ModemConnectionError), (503, ModemConnectionError)],
)
async def test_http_errors_at_login(
    surfboard_modem: ArrisSurfboardSimulator,
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    surfboard_modem.statuses[HNAP] = status

    with pytest.raises(error):
        await _driver(session, surfboard_modem).async_fetch()


async def test_5xx_on_both_namespaces(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    driver = _driver(session, surfboard_modem)
    await driver.async_fetch()
    surfboard_modem.statuses[HNAP] = 500

    with pytest.raises(ModemConnectionError, match="HTTP 500 for GetMultipleHNAPs"):
        await driver.async_fetch()


async def test_answer_without_channel_table(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    del surfboard_modem.answers["GetCustomerStatusDownstreamChannelInfo"]

    with pytest.raises(ModemParseError, match="neither the Customer nor the Moto"):
        await _driver(session, surfboard_modem).async_fetch()


@pytest.mark.parametrize(
    "garbage", [b'{"GetMultipleHNAPsResponse": {"GetCust', b"<html>busy</html>", b"\xff\xfe"]
)
async def test_truncated_or_garbage_answer(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession, garbage: bytes
) -> None:
    surfboard_modem.garbage = garbage

    with pytest.raises(ModemParseError, match="not JSON"):
        await _driver(session, surfboard_modem).async_fetch()


async def test_unreadable_channel_row(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.answers["GetCustomerStatusDownstreamChannelInfo"] = {
        "CustomerConnDownstreamChannel": "1^Locked^256QAM^17^483000000^ 7.3"
    }

    with pytest.raises(ModemParseError, match="6 fields"):
        await _driver(session, surfboard_modem).async_fetch()


@pytest.mark.parametrize(
    ("answer", "match"),
    [({"LoginResult": "OK"}, "Challenge"), ({"Result": "OK"}, "LoginResult")],
)
async def test_unreadable_login_answer(
    surfboard_modem: ArrisSurfboardSimulator,
    session: aiohttp.ClientSession,
    answer: dict[str, str],
    match: str,
) -> None:
    surfboard_modem.login_answer = answer

    with pytest.raises(ModemParseError, match=match):
        await _driver(session, surfboard_modem).async_fetch()


async def test_timeout(
    surfboard_modem: ArrisSurfboardSimulator, session: aiohttp.ClientSession
) -> None:
    surfboard_modem.delay = 1.0

    with pytest.raises(ModemConnectionError, match="TimeoutError"):
        await _driver(session, surfboard_modem, timeout=0.1).async_fetch()


async def test_nothing_listening(session: aiohttp.ClientSession) -> None:
    config = DriverConfig(url=f"http://{HOST}:{unused_port()}", password=PASSWORD, session=session)

    with pytest.raises(ModemConnectionError):
        await ArrisSurfboardModem(config, timeout=2.0).async_fetch()


async def test_no_session() -> None:
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await ArrisSurfboardModem(DriverConfig(password=PASSWORD)).async_fetch()


def test_default_url_is_https() -> None:
    assert DEFAULT_URL == "https://192.168.100.1"
    assert ArrisSurfboardModem(DriverConfig())._base == DEFAULT_URL


# --- firmware without HNAP: the status page ----------------------------------------


async def test_status_page_fallback(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, hnap=False)
    driver = _driver(session, modem)

    reading = await driver.async_fetch()

    assert reading.device.model == "SB8200"
    assert [c.channel_id for c in reading.downstream] == [33, 5, 6]
    assert reading.upstream[0].symbol_rate_ksym == 5120.0
    assert modem.calls == ["HNAP Login", f"GET {STATUS}?login", f"GET {STATUS}?ct"]
    assert driver.remember() == {"mode": "html"}

    modem.calls.clear()
    await driver.async_fetch()
    assert modem.calls == [f"GET {STATUS}?ct"]  # the token is reused, HNAP not asked again

    modem.expire()
    assert (await driver.async_fetch()).downstream
    assert modem.logins == 2


async def test_status_page_without_password(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, hnap=False)
    modem.no_password = True
    driver = _driver(session, modem, hints={"mode": "html"})

    assert (await driver.async_fetch()).downstream
    assert modem.calls == [f"GET {STATUS}?login"]
    assert modem.logins == 0


async def test_status_page_wrong_password(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, hnap=False)

    with pytest.raises(ModemAuthError, match="refused"):
        await _driver(session, modem, "wrong").async_fetch()


async def test_status_page_token_not_accepted(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, hnap=False)
    modem.forget_login = True

    with pytest.raises(ModemAuthError, match="own session token"):
        await _driver(session, modem).async_fetch()


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, UnsupportedModemError), (403, ModemAuthError), (502, ModemConnectionError)],
)
async def test_status_page_http_errors(
    simulators: list[ArrisSurfboardSimulator],
    session: aiohttp.ClientSession,
    status: int,
    error: type[Exception],
) -> None:
    modem = await _start(simulators, hnap=False)
    modem.statuses[STATUS] = status

    with pytest.raises(error):
        await _driver(session, modem).async_fetch()


async def test_status_page_captured_sb6183_layout(
    simulators: list[ArrisSurfboardSimulator], session: aiohttp.ClientSession
) -> None:
    modem = await _start(simulators, hnap=False)
    modem.status_page = read_fixture("modems", "arris_sb6183", "docsight", "RgConnect.asp.html")

    reading = await _driver(session, modem).async_fetch()

    assert reading.device.model == "SB6183"
    assert len(reading.downstream) == 16
    assert len(reading.upstream) == 4
