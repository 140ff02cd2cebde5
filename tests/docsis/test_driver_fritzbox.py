"""The FRITZ!Box driver against the loopback FRITZ!Box simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json

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
from custom_components.docsight.docsis.drivers.fritzbox import DEFAULT_URL, FritzBoxModem
from custom_components.docsight.docsis.model import Family
from tests.shared_fixtures import read_fixture
from tests.sim.fritzbox import (
    PASSWORD,
    USERNAME,
    FritzBoxSimulator,
    fritzbox_sim_fixture,  # noqa: F401
)

FIXTURE_DIR = ("modems", "avm_fritzbox-cable", "docsight")


@pytest.fixture(name="session")
async def session_fixture(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make_driver(
    sim: FritzBoxSimulator,
    session: aiohttp.ClientSession | None,
    *,
    username: str | None = USERNAME,
    password: str = PASSWORD,
    timeout: float = 5.0,
    sid_idle_limit: float = 540.0,
) -> FritzBoxModem:
    config = DriverConfig(url=sim.url, username=username, password=password, session=session)
    return FritzBoxModem(config, timeout=timeout, sid_idle_limit=sid_idle_limit)


def test_needs_password_and_defaults_url() -> None:
    with pytest.raises(ValueError, match="password"):
        FritzBoxModem(DriverConfig())
    driver = FritzBoxModem(DriverConfig(password="x"))
    assert driver._base == DEFAULT_URL
    assert FritzBoxModem(DriverConfig(url="fritz.box/", password="x"))._base == "http://fritz.box"


async def test_fetch_success(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session)
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert len(reading.downstream) == 4
    assert {c.family for c in reading.downstream} == {Family.SC_QAM, Family.OFDM}
    assert {c.family for c in reading.upstream} == {Family.SC_QAM, Family.OFDMA}
    device = reading.device
    assert device.manufacturer == "AVM"
    assert device.model == "FRITZ!Box 6690 Cable"
    assert device.firmware == "7.57"
    assert device.uptime_seconds == 123456
    assert (device.downstream_kbps, device.upstream_kbps) == (1_000_000, 50_000)
    assert fritzbox_sim.logins == 1
    # The second poll reuses the SID and does not ask netMoni again.
    await driver.async_fetch()
    assert fritzbox_sim.logins == 1
    assert fritzbox_sim.hits["netMoni"] == 1
    assert fritzbox_sim.hits["docInfo"] == 2
    await driver.async_close()
    assert driver.sid is None
    assert fritzbox_sim.sessions == {}
    await driver.async_close()  # nothing left to log out


async def test_fetch_captured_doc_info_and_tr64(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    doc_info = json.loads(
        read_fixture(*FIXTURE_DIR, "docInfo.normalized.FRITZ_SUCCESS.synthetic.json")
    )
    fritzbox_sim.doc_info = doc_info
    fritzbox_sim.tr64_desc = read_fixture(*FIXTURE_DIR, "tr64desc.TR064_DESC_XML.xml")
    fritzbox_sim.overview_broken = True
    driver = make_driver(fritzbox_sim, session)
    reading = await driver.async_fetch()
    assert [c.channel_id for c in reading.downstream] == [1]
    assert [c.power_dbmv for c in reading.upstream] == [37.0, None]
    assert reading.device.model == "FRITZ!Box 6690 Cable"
    assert reading.device.firmware == "267.08.21"
    # TR-064 is read once and kept.
    await driver.async_fetch()
    assert fritzbox_sim.hits["tr64desc"] == 1


async def test_device_info_unavailable_does_not_fail_poll(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    fritzbox_sim.overview_broken = True
    fritzbox_sim.tr64_broken = True
    reading = await make_driver(fritzbox_sim, session).async_fetch()
    assert reading.device.manufacturer == "AVM"
    assert reading.device.model is None
    assert reading.has_docsis_data


async def test_legacy_md5_login(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    fritzbox_sim.legacy_md5 = True
    reading = await make_driver(fritzbox_sim, session).async_fetch()
    assert reading.has_docsis_data
    assert fritzbox_sim.logins == 1


async def test_username_taken_from_box(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    reading = await make_driver(fritzbox_sim, session, username=None).async_fetch()
    assert reading.has_docsis_data


async def test_wrong_password_then_lockout(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session, password="wrong")
    with pytest.raises(ModemAuthError, match="wrong"):
        await driver.async_fetch()
    # The second wrong answer triggers the box's BlockTime ...
    with pytest.raises(ModemAuthError, match="blocked"):
        await driver.async_fetch()
    attempts = fritzbox_sim.hits["login_sid"]
    # ... after which the driver backs off without answering a challenge.
    with pytest.raises(ModemLockedError):
        await driver.async_fetch()
    assert fritzbox_sim.hits["login_sid"] == attempts + 1
    # Even the right password is not tried while the box blocks.
    with pytest.raises(ModemLockedError):
        await make_driver(fritzbox_sim, session).async_fetch()
    assert fritzbox_sim.logins == 0


async def test_session_expiry_mid_poll_relogs_once(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session)
    await driver.async_fetch()
    first_sid = driver.sid
    fritzbox_sim.expire_sessions()
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert fritzbox_sim.logins == 2
    assert fritzbox_sim.invalid_sid_requests == 1
    assert driver.sid != first_sid


async def test_sid_lifetime(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    fritzbox_sim.sid_lifetime = 0.3
    driver = make_driver(fritzbox_sim, session)
    await driver.async_fetch()
    await asyncio.sleep(0.5)
    await driver.async_fetch()
    assert fritzbox_sim.logins == 2


async def test_fresh_session_refused(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver = make_driver(fritzbox_sim, session)
    # The box accepts the login but refuses every SID (a broken rights setup).
    monkeypatch.setattr(fritzbox_sim, "_valid", lambda sid: False)
    with pytest.raises(ModemAuthError, match="fresh session"):
        await driver.async_fetch()
    assert fritzbox_sim.logins == 2


async def test_concurrent_fetches_log_in_once(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session)
    readings = await asyncio.gather(*(driver.async_fetch() for _ in range(3)))
    assert all(r.has_docsis_data for r in readings)
    assert fritzbox_sim.logins == 1
    assert fritzbox_sim.max_concurrent_logins == 1


async def test_timeout(fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession) -> None:
    fritzbox_sim.delay = 0.5
    with pytest.raises(ModemConnectionError):
        await make_driver(fritzbox_sim, session, timeout=0.1).async_fetch()


async def test_unreachable(session: aiohttp.ClientSession) -> None:
    sim = FritzBoxSimulator()
    await sim.start()
    url = sim.url
    await sim.close()
    driver = FritzBoxModem(DriverConfig(url=url, password="x", session=session), timeout=2)
    with pytest.raises(ModemConnectionError):
        await driver.async_fetch()


async def test_no_session() -> None:
    driver = FritzBoxModem(DriverConfig(password="x"))
    with pytest.raises(ModemConnectionError, match="session"):
        await driver.async_fetch()


async def test_not_a_fritzbox(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    fritzbox_sim.not_fritz = True
    with pytest.raises(UnsupportedModemError):
        await make_driver(fritzbox_sim, session).async_fetch()


@pytest.mark.parametrize(
    "body",
    [
        b'{"pid": "docInfo", "data": {"channelDs": {"docsis30": [{"channelID": 1, "freq',
        b"<html><body>Fehler</body></html>",
        b'{"pid": "docInfo", "data": {}}',
        b"",
    ],
    ids=["truncated", "html", "no-channels", "empty"],
)
async def test_garbage_doc_info(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession, body: bytes
) -> None:
    fritzbox_sim.doc_info_body = body
    with pytest.raises(ModemParseError):
        await make_driver(fritzbox_sim, session).async_fetch()


async def test_server_errors(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session)
    fritzbox_sim.page_status = {"login_sid": 500}
    with pytest.raises(ModemConnectionError, match="500"):
        await driver.async_fetch()
    fritzbox_sim.page_status = {"docInfo": 503}
    with pytest.raises(ModemConnectionError, match="503"):
        await driver.async_fetch()
    fritzbox_sim.page_status = {"docInfo": 404}
    with pytest.raises(UnsupportedModemError):
        await driver.async_fetch()


async def test_optional_pages_failing(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    fritzbox_sim.page_status = {"netMoni": 500, "overview": 500}
    driver = make_driver(fritzbox_sim, session)
    reading = await driver.async_fetch()
    assert reading.device.downstream_kbps is None
    assert reading.device.model == "FRITZ!Box 6690 Cable"  # from TR-064
    fritzbox_sim.page_status = {}
    reading = await driver.async_fetch()
    assert reading.device.downstream_kbps == 1_000_000


@pytest.mark.parametrize(
    "body",
    [
        "<html><body>Welcome to nginx</body></html>",
        "<SessionInfo><SID>0000000000000000</SID><Challenge>2$1$zz$1$zz</Challenge></SessionInfo>",
    ],
    ids=["html", "bad-challenge"],
)
async def test_unusable_login_answer(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession, body: str
) -> None:
    fritzbox_sim.login_body = body
    with pytest.raises(UnsupportedModemError):
        await make_driver(fritzbox_sim, session).async_fetch()


async def test_logout_failure_is_ignored(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session)
    await driver.async_fetch()
    fritzbox_sim.not_fritz = True
    await driver.async_close()
    assert driver.sid is None


async def test_idle_sid_is_confirmed_before_use(
    fritzbox_sim: FritzBoxSimulator, session: aiohttp.ClientSession
) -> None:
    driver = make_driver(fritzbox_sim, session, sid_idle_limit=0.02)
    await driver.async_fetch()
    sid = driver.sid
    await asyncio.sleep(0.05)
    await driver.async_fetch()
    assert driver.sid == sid  # the box confirmed it: no new login
    assert fritzbox_sim.logins == 1
    # The box forgot it meanwhile: the check answers with a challenge and the
    # driver logs in without ever sending the forgotten SID to data.lua.
    await asyncio.sleep(0.05)
    fritzbox_sim.expire_sessions()
    reading = await driver.async_fetch()
    assert reading.has_docsis_data
    assert fritzbox_sim.logins == 2
    assert fritzbox_sim.invalid_sid_requests == 0
