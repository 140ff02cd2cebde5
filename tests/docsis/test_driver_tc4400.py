"""The TC4400 driver against a real SNMP agent (snmpsim) and the web simulator, on 127.0.0.1.

The SNMP agent serves the simulated TC4400 walk (tests/sim/tc4400.py) from an
.snmprec file written into the test's tmp_path; the web simulator serves the
two status pages behind HTTP Basic auth.  Nothing is mocked: every request
goes over UDP or TCP on the loopback interface.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import socket
import threading
import time

import aiohttp
import pytest

from custom_components.docsight.docsis.drivers.base import (
    DriverConfig,
    ModemAuthError,
    ModemConnectionError,
    ModemParseError,
    UnsupportedModemError,
)
from custom_components.docsight.docsis.drivers.snmp import SnmpClient, oid
from custom_components.docsight.docsis.drivers.technicolor_tc4400 import (
    DEFAULT_URL,
    HINT_KEY,
    INFO_PATH,
    SNMP,
    STATUS_PATH,
    WEB,
    TechnicolorTC4400Modem,
)
from custom_components.docsight.docsis.parsers.technicolor_tc4400 import SYS_DESCR
from tests.sim.snmpagent import (
    INTEGER,
    OCTETS,
    SnmpAgent,
    answers,
    encode_oid,
    free_udp_port,
    snmp_agent_factory_fixture,  # noqa: F401 - the snmp_agent_factory fixture
    snmprec,
    tlv,
)
from tests.sim.tc4400 import (
    DS_QAM,
    PASSWORD,
    SERIAL,
    TC4400Simulator,
    connection_status_page,
    tc4400_agent_fixture,  # noqa: F401 - the tc4400_agent fixture
    tc4400_records,
    tc4400_web_fixture,  # noqa: F401 - the tc4400_web fixture
)

pytestmark = pytest.mark.usefixtures("socket_enabled")

FAST = {"snmp_timeout": 0.5, "snmp_retries": 0, "web_timeout": 5.0}


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session."""
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def agent(tc4400_agent: SnmpAgent) -> SnmpAgent:
    """The simulated TC4400 MIB served by snmpsim with community "public" (shared, read-only)."""
    assert tc4400_agent.running
    return tc4400_agent


def _unused_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _driver(
    url: str,
    session: aiohttp.ClientSession | None = None,
    *,
    password: str | None = PASSWORD,
    hints: dict[str, str] | None = None,
    **kwargs: object,
) -> TechnicolorTC4400Modem:
    config = DriverConfig(url=url, password=password, session=session, hints=hints or {})
    return TechnicolorTC4400Modem(config, **{**FAST, **kwargs})  # type: ignore[arg-type]


def _other_tasks() -> set[asyncio.Task[object]]:
    return {task for task in asyncio.all_tasks() if task is not asyncio.current_task()}


# --- SNMP --------------------------------------------------------------------------


async def test_snmp_reading(agent: SnmpAgent) -> None:
    """The whole line over SNMP; the transport is remembered."""
    driver = _driver(agent.url)
    reading = await driver.async_fetch()
    try:
        assert len(reading.downstream) == 34
        assert len(reading.upstream) == 5
        assert reading.device.serial == SERIAL
        assert reading.device.model == "TC4400"
        assert [ch.uncorrected for ch in reading.downstream[:32]] == [
            ch.uncorrectable for ch in DS_QAM
        ]
        assert driver.remember() == {HINT_KEY: SNMP}
        assert driver.web_url == "http://127.0.0.1"
    finally:
        await driver.async_close()


async def test_snmp_port_with_a_web_url(agent: SnmpAgent) -> None:
    """An http:// URL reads SNMP on the same host (the port given for the test)."""
    web_url = f"http://127.0.0.1:{_unused_tcp_port()}"
    driver = _driver(web_url, snmp_port=agent.port)
    try:
        reading = await driver.async_fetch()
    finally:
        await driver.async_close()
    assert reading.device.mac == "a4:b1:e9:12:34:56"
    assert driver.web_url == web_url
    assert (driver.snmp.host, driver.snmp.port) == ("127.0.0.1", agent.port)


async def test_default_address() -> None:
    """Without a URL: the web page and SNMP of 192.168.100.1 (nothing is sent here)."""
    driver = TechnicolorTC4400Modem(DriverConfig())
    assert driver.web_url == DEFAULT_URL
    assert driver.snmp.address == "192.168.100.1:161"
    assert driver.remember() == {}
    await driver.async_close()  # nothing to release


async def test_engine_is_created_off_the_loop_once(agent: SnmpAgent) -> None:
    """The blocking engine creation goes through the hook, in another thread, once."""
    threads: list[str] = []

    async def run_blocking(fn: Callable[[], object]) -> object:
        def job() -> object:
            threads.append(threading.current_thread().name)
            return fn()

        return await asyncio.get_running_loop().run_in_executor(None, job)

    driver = _driver(agent.url, run_blocking=run_blocking)
    try:
        await driver.async_fetch()
        await driver.async_fetch()
    finally:
        await driver.async_close()
    assert len(threads) == 1
    assert threads[0] != threading.main_thread().name


async def test_engine_released_on_close(agent: SnmpAgent) -> None:
    """Closing drops the engine, its UDP transport and its timer task."""
    before = _other_tasks()
    driver = _driver(agent.url)
    await driver.async_fetch()
    engine = driver.snmp._engine
    assert engine is not None
    dispatcher = engine.transport_dispatcher
    timer = dispatcher.loopingcall
    assert timer is not None
    assert not timer.done()
    transports = [
        dispatcher.get_transport(domain)
        for domain in list(dispatcher._AbstractTransportDispatcher__transports)
    ]
    assert transports

    await driver.async_close()
    assert not driver.snmp.engine_created
    assert timer.done()
    assert engine.transport_dispatcher is None
    assert all(
        transport.transport is None or transport.transport.is_closing() for transport in transports
    )
    assert _other_tasks() <= before
    await driver.async_close()  # twice is harmless

    # The driver can be used again after a close (a new engine is made).
    reading = await driver.async_fetch()
    assert reading.downstream
    await driver.async_close()
    assert not driver.snmp.engine_created


async def test_wrong_community_times_out_clearly(agent: SnmpAgent) -> None:
    """The agent ignores a wrong community; the error says what that may mean."""
    driver = _driver(f"snmp://private@127.0.0.1:{agent.port}")
    started = time.monotonic()
    try:
        with pytest.raises(ModemConnectionError, match="wrong community") as caught:
            await driver.async_fetch()
    finally:
        await driver.async_close()
    assert time.monotonic() - started < 10
    assert "snmp:" in str(caught.value)
    assert "web:" in str(caught.value)
    assert driver.remember() == {}


async def test_agent_down(session: aiohttp.ClientSession) -> None:
    """No agent (and no web page): a connection error naming both attempts."""
    driver = _driver(f"http://127.0.0.1:{_unused_tcp_port()}", session, snmp_port=free_udp_port())
    try:
        with pytest.raises(ModemConnectionError, match=r"snmp: no SNMP answer .*; web: "):
            await driver.async_fetch()
    finally:
        await driver.async_close()


async def test_snmp_agent_without_docsis_tables(
    snmp_agent_factory: Callable[..., SnmpAgent],
) -> None:
    """An SNMP agent that is no cable modem: not a TC4400 (and no web page either)."""
    other = snmp_agent_factory({"1.3.6.1.2.1.1.1.0": (OCTETS, "Linux router")})
    driver = _driver(other.url)
    try:
        with pytest.raises(UnsupportedModemError, match="no DOCSIS channel tables"):
            await driver.async_fetch()
    finally:
        await driver.async_close()
    other.stop()
    assert not other.running
    other.stop()  # stopping twice is harmless


async def test_snmp_malformed_values(snmp_agent_factory: Callable[..., SnmpAgent]) -> None:
    """A string where the MIB has a number: a parse error, not a crash."""
    records = tc4400_records()
    records[f"1.3.6.1.2.1.10.127.1.1.1.1.6.{DS_QAM[0].if_index}"] = (OCTETS, "4.5 dBmV")
    broken = snmp_agent_factory(records)
    driver = _driver(broken.url)
    try:
        with pytest.raises(ModemParseError, match="unreadable SNMP value"):
            await driver.async_fetch()
    finally:
        await driver.async_close()


async def test_snmp_client_get_and_walk(agent: SnmpAgent) -> None:
    """The client on its own: GET leaves absent objects out, a walk stops at its column."""
    client = SnmpClient("127.0.0.1", agent.port, timeout=0.5, retries=0)
    try:
        values = await client.get(SYS_DESCR, oid("1.3.6.1.2.1.1.2.0"), oid("1.3.6.1.2.1.1.99.0"))
        assert list(values) == [SYS_DESCR, oid("1.3.6.1.2.1.1.2.0")]
        assert values[oid("1.3.6.1.2.1.1.2.0")] == "1.3.6.1.4.1.2863.405"  # an OID value
        column = oid("1.3.6.1.2.1.10.127.1.1.1.1.1")
        walked = await client.walk([column, oid("1.3.6.1.2.1.10.127.1.1.1.1.6")])
        assert len(walked) == 64
        assert await client.walk([oid("1.3.6.1.9.9.9")]) == {}
        # The last column of the MIB: the walk ends at endOfMibView.
        last = oid("1.3.6.1.4.1.4491.2.1.28.1.13.1.12")
        assert list((await client.walk([last])).values()) == [9]
    finally:
        await client.async_close()


def _tlv_at(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """Read one BER TLV at pos: (tag, content, next position)."""
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        size = length & 0x7F
        length, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
    return tag, data[pos : pos + length], pos + length


def _oid_parts(body: bytes) -> tuple[int, ...]:
    parts = [body[0] // 40, body[0] % 40]
    value = 0
    for byte in body[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            parts.append(value)
            value = 0
    return tuple(parts)


class _OddAgent(asyncio.DatagramProtocol):
    """A real UDP peer that misbehaves the way a broken agent could.

    ``error``: every answer carries error-status genErr (5).
    ``stuck``: GETBULK answers repeat the OID asked for (no progress).
    ``endless``: GETBULK answers one OID further, forever.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        _tag, message, _end = _tlv_at(data, 0)
        _tag, version, pos = _tlv_at(message, 0)
        _tag, community, pos = _tlv_at(message, pos)
        _tag, pdu, _end = _tlv_at(message, pos)
        _tag, request_id, pos = _tlv_at(pdu, 0)
        _tag, _nonrep, pos = _tlv_at(pdu, pos)
        _tag, _maxrep, pos = _tlv_at(pdu, pos)
        _tag, var_binds, _end = _tlv_at(pdu, pos)
        _tag, first, _end = _tlv_at(var_binds, 0)
        _tag, name, _end = _tlv_at(first, 0)
        asked = _oid_parts(name)
        if self.mode == "error":
            status, answer = b"\x05", b""
        else:
            status = b"\x00"
            if self.mode == "endless":
                asked = (*asked, 1) if len(asked) == 8 else (*asked[:-1], asked[-1] + 1)
            answer = tlv(0x30, tlv(0x06, encode_oid(asked)) + b"\x02\x01\x01")
        body = (
            tlv(0x02, request_id)
            + tlv(0x02, status)
            + tlv(0x02, b"\x01" if status != b"\x00" else b"\x00")
        )
        response = tlv(
            0x30,
            tlv(0x02, version) + tlv(0x04, community) + tlv(0xA2, body + tlv(0x30, answer)),
        )
        self.transport.sendto(response, addr)  # type: ignore[attr-defined]


async def _odd_client(mode: str) -> tuple[SnmpClient, asyncio.BaseTransport]:
    transport, _protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _OddAgent(mode), local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    return SnmpClient("127.0.0.1", port, timeout=0.5, retries=0), transport


async def test_snmp_agent_error_status_is_a_connection_error() -> None:
    """An agent answering with an error status: reported with the status, never parsed."""
    client, transport = await _odd_client("error")
    try:
        with pytest.raises(ModemConnectionError, match=r"SNMP GET from .*genErr"):
            await client.get(SYS_DESCR)
        with pytest.raises(ModemConnectionError, match=r"SNMP GETBULK from .*genErr"):
            await client.walk([SYS_DESCR[:-1]])
    finally:
        await client.async_close()
        transport.close()


async def test_snmp_walk_that_does_not_advance() -> None:
    """An agent repeating the OID it was asked for would loop forever: a parse error."""
    client, transport = await _odd_client("stuck")
    try:
        with pytest.raises(ModemParseError, match="out of order"):
            await client.walk([oid("1.3.6.1.4.1.99999.1")])
    finally:
        await client.async_close()
        transport.close()


async def test_snmp_walk_without_end() -> None:
    """A column that never ends is cut off at MAX_ROWS."""
    client, transport = await _odd_client("endless")
    try:
        with pytest.raises(ModemParseError, match="more than 512 rows"):
            await client.walk([oid("1.3.6.1.4.1.99999.1")])
    finally:
        await client.async_close()
        transport.close()


async def test_snmp_unusable_address() -> None:
    """An address UDP over IPv4 cannot reach fails at once with the address named."""
    client = SnmpClient("::1", 161, timeout=0.5, retries=0)
    try:
        with pytest.raises(ModemConnectionError, match="unusable address ::1"):
            await client.get(SYS_DESCR)
    finally:
        await client.async_close()


# --- web ----------------------------------------------------------------------------


async def test_web_reading_matches_snmp(
    agent: SnmpAgent, tc4400_web: TC4400Simulator, session: aiohttp.ClientSession
) -> None:
    """Both transports show the same line (ids, levels, SNR, counters)."""
    snmp_driver = _driver(agent.url)
    web_driver = _driver(tc4400_web.url, session, hints={HINT_KEY: WEB})
    try:
        over_snmp = await snmp_driver.async_fetch()
        over_web = await web_driver.async_fetch()
    finally:
        await snmp_driver.async_close()
        await web_driver.async_close()
    assert tc4400_web.calls == ["info", "status"]
    assert not web_driver.snmp.engine_created  # the hinted web page answered

    def key(reading: object) -> list[tuple[object, ...]]:
        return [
            (ch.family, ch.channel_id, ch.frequency_hz, ch.frequency_end_hz, ch.power_dbmv,
             ch.snr_db, ch.corrected, ch.uncorrected)
            for ch in reading.downstream + reading.upstream  # type: ignore[attr-defined]
        ]  # fmt: skip

    assert key(over_web) == key(over_snmp)
    assert over_web.device.serial == over_snmp.device.serial == SERIAL
    assert over_web.device.firmware == over_snmp.device.firmware


async def test_fallback_from_snmp_to_web(
    tc4400_web: TC4400Simulator, session: aiohttp.ClientSession
) -> None:
    """No SNMP answer: the web page is read, and remembered for next time."""
    driver = _driver(tc4400_web.url, session, snmp_port=free_udp_port())
    try:
        reading = await driver.async_fetch()
    finally:
        await driver.async_close()
    assert len(reading.downstream) == 34
    assert driver.remember() == {HINT_KEY: WEB}

    # The next start tries the web page first and never builds an SNMP engine.
    again = _driver(tc4400_web.url, session, hints=driver.remember(), snmp_port=free_udp_port())
    await again.async_fetch()
    assert not again.snmp.engine_created
    await again.async_close()


async def test_fallback_from_web_to_snmp(
    agent: SnmpAgent, tc4400_web: TC4400Simulator, session: aiohttp.ClientSession
) -> None:
    """The remembered web page fails: SNMP answers, and the hint switches to it."""
    tc4400_web.status = 500
    driver = _driver(tc4400_web.url, session, hints={HINT_KEY: WEB}, snmp_port=agent.port)
    try:
        reading = await driver.async_fetch()
    finally:
        await driver.async_close()
    assert tc4400_web.calls == ["info"]
    assert reading.device.docsis_version == "3.1"
    assert driver.remember() == {HINT_KEY: SNMP}


async def test_unknown_hint_is_ignored(agent: SnmpAgent) -> None:
    """A hint from another driver's vocabulary does not confuse this one."""
    driver = _driver(agent.url, hints={HINT_KEY: "telnet"})
    assert driver.remember() == {}
    await driver.async_fetch()
    await driver.async_close()
    assert driver.remember() == {HINT_KEY: SNMP}


async def test_wrong_password_wins_over_no_snmp(
    tc4400_web: TC4400Simulator, session: aiohttp.ClientSession
) -> None:
    """Both fail and the web page refused the password: re-authentication is what helps."""
    driver = _driver(tc4400_web.url, session, password="wrong", snmp_port=free_udp_port())
    try:
        with pytest.raises(ModemAuthError, match=r"snmp: .*; web: HTTP 401") as caught:
            await driver.async_fetch()
    finally:
        await driver.async_close()
    assert isinstance(caught.value.__cause__, ModemAuthError)
    assert tc4400_web.refused == 1


async def test_wrong_password_with_snmp_working(
    agent: SnmpAgent, tc4400_web: TC4400Simulator, session: aiohttp.ClientSession
) -> None:
    """The web page refuses the password but SNMP answers: the reading stands."""
    driver = _driver(
        tc4400_web.url, session, password=None, hints={HINT_KEY: WEB}, snmp_port=agent.port
    )
    try:
        reading = await driver.async_fetch()
    finally:
        await driver.async_close()
    assert reading.downstream
    assert driver.remember() == {HINT_KEY: SNMP}


@pytest.mark.parametrize(
    ("status", "page", "error", "message"),
    [
        (404, None, UnsupportedModemError, "not a TC4400"),
        (503, None, ModemConnectionError, "HTTP 503"),
        (None, "<html><table><tr><td>nothing</td></tr></table></html>", UnsupportedModemError,
         "no channel tables"),
        (None, connection_status_page([["1", "1", "Locked"]]), ModemParseError,
         "unreadable channel table"),
    ],
)  # fmt: skip
async def test_web_failures(  # noqa: PLR0917 - fixtures and parameters
    tc4400_web: TC4400Simulator,
    session: aiohttp.ClientSession,
    status: int | None,
    page: str | None,
    error: type[Exception],
    message: str,
) -> None:
    """Web-only failures (SNMP silent): each has its own error."""
    tc4400_web.status = status
    if page is not None:
        tc4400_web.status_page = page
    driver = _driver(tc4400_web.url, session, hints={HINT_KEY: WEB}, snmp_port=free_udp_port())
    try:
        with pytest.raises(error, match=message):
            await driver.async_fetch()
    finally:
        await driver.async_close()


async def test_web_without_session_or_with_bad_username() -> None:
    """No HTTP session, or a user name Basic auth cannot carry."""
    port = free_udp_port()
    driver = _driver("http://127.0.0.1:1", None, hints={HINT_KEY: WEB}, snmp_port=port)
    with pytest.raises(ModemConnectionError, match="no HTTP session"):
        await driver.async_fetch()
    await driver.async_close()
    async with aiohttp.ClientSession() as client:
        config = DriverConfig(
            url="http://127.0.0.1:1", username="a:b", password="x", session=client,
            hints={HINT_KEY: WEB},
        )  # fmt: skip
        bad_user = TechnicolorTC4400Modem(config, snmp_port=port, **FAST)  # type: ignore[arg-type]
        with pytest.raises(ModemAuthError, match="unusable username"):
            await bad_user.async_fetch()
        await bad_user.async_close()


async def test_web_paths() -> None:
    """The documented pages."""
    assert (STATUS_PATH, INFO_PATH) == ("/cmconnectionstatus.html", "/cmswinfo.html")


async def test_concurrent_fetches_share_one_engine(agent: SnmpAgent) -> None:
    """Two polls at once (config flow test and coordinator) take turns on one engine."""
    driver = _driver(agent.url)
    try:
        first, second = await asyncio.gather(driver.async_fetch(), driver.async_fetch())
    finally:
        await driver.async_close()
    assert len(first.downstream) == len(second.downstream) == 34


def test_snmprec_is_sorted_numerically() -> None:
    """Snmpsim needs the file in OID order: 1.10 after 1.9."""
    text = snmprec({"1.3.6.1.10": (INTEGER, 1), "1.3.6.1.9": (INTEGER, 2)})
    assert text.splitlines() == ["1.3.6.1.9|2|2", "1.3.6.1.10|2|1"]
    assert not answers(free_udp_port(), "public")  # nothing listens there


def test_agent_helper(agent: SnmpAgent) -> None:
    """The readiness probe: long OIDs and communities encode, unknown communities get silence."""
    assert answers(agent.port, "public", "1.3.6.1.4.1.4491.2.1.28.1.13.1.12.200")
    assert not answers(agent.port, "x" * 200)


def test_worst_case_poll_fits_the_coordinators_timeout() -> None:
    """Unanswered SNMP (timeout x tries) plus both web pages stays under POLL_TIMEOUT."""
    from custom_components.docsight.const import POLL_TIMEOUT
    from custom_components.docsight.docsis.drivers import technicolor_tc4400 as driver

    snmp = driver.SNMP_TIMEOUT * (driver.DEFAULT_RETRIES + 1)
    assert snmp + 2 * driver.WEB_TIMEOUT < POLL_TIMEOUT
