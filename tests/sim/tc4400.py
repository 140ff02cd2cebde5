"""A Technicolor TC4400 for tests: its web pages over real HTTP, its MIB as an snmpsim walk.

No TC4400 capture exists in the shared fixtures (see PROVENANCE.md), so both
faces are **written from the documented layout**, not captured:

* the web pages follow modem-protocols.md ("tc4400"): HTTP Basic auth;
  ``/cmswinfo.html`` with "Model Name" / "Software Version" rows (plus the
  MAC address and serial number rows a DOCSIS modem shows there);
  ``/cmconnectionstatus.html`` whose second table is the downstream and third
  the upstream, with header words as documented (channel index and id, lock
  status, channel type, frequency, width, SNR/MER, receive/transmit level,
  modulation/profile, corrected and uncorrectable codewords);
* the SNMP walk uses the standard DOCSIS MIBs' numeric OIDs and units
  (TenthdBmV, TenthdB, QuarterdBmV for OFDMA power, hundredths of a dB for
  the PNM MER, TimeTicks) with values typical of a EuroDOCSIS 3.1 line.

Both faces show the same line: 32 SC-QAM and 2 OFDM downstream channels, 4
SC-QAM and 1 OFDMA upstream channel, so a test can compare what the driver
reads over either transport.

Fixtures: ``tc4400_web`` starts the web simulator (requests ``socket_enabled``);
``tc4400_agent`` (module scope: snmpsim takes seconds to start) serves the MIB
with community "public".  Tests that change the walk start their own agent
with ``snmp_agent_factory(records)`` from :mod:`tests.sim.snmpagent`.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
import secrets

from aiohttp import web
import pytest

from tests.sim.loopback import LoopbackServer
from tests.sim.snmpagent import (
    COUNTER32,
    COUNTER64,
    HEX_OCTETS,
    INTEGER,
    OBJECT_ID,
    OCTETS,
    TIMETICKS,
    Records,
    SnmpAgent,
    start_agent,
)

USERNAME = "admin"
PASSWORD = "bEn2o#US9s-test"
REALM = "Technicolor TC4400"
SERIAL = "CP1723RA2TN"
MAC = "a4:b1:e9:12:34:56"
FIRMWARE = "70.12.42-190604"
UPTIME_SECONDS = 3 * 86400 + 4 * 3600 + 5 * 60 + 6
SYS_DESCR = (
    "Technicolor DOCSIS 3.1 Cable Modem <<HW_REV: 3.6.0; VENDOR: Technicolor; "
    f"BOOTR: 2.4.0; SW_REV: {FIRMWARE}; MODEL: TC4400>>"
)


@dataclass(frozen=True, slots=True)
class DsQam:
    """One SC-QAM downstream channel as the simulator serves it."""

    if_index: int
    channel_id: int
    frequency: int  # Hz, centre
    power_tenth: int  # TenthdBmV
    snr_tenth: int  # TenthdB
    corrected: int
    uncorrectable: int
    locked: bool = True


@dataclass(frozen=True, slots=True)
class DsOfdm:
    """One OFDM downstream block."""

    if_index: int
    channel_id: int
    zero_freq: int
    first: int
    last: int
    band_power_tenth: tuple[int, ...]
    mer_hundredth: int
    profile_corrected: tuple[int, ...]
    profile_uncorrectable: tuple[int, ...]

    @property
    def low(self) -> int:
        """Return the lower edge in Hz (50 kHz subcarriers)."""
        return self.zero_freq + self.first * 50_000

    @property
    def high(self) -> int:
        """Return the upper edge in Hz."""
        return self.zero_freq + self.last * 50_000


@dataclass(frozen=True, slots=True)
class UsQam:
    """One SC-QAM (ATDMA) upstream channel."""

    if_index: int
    channel_id: int
    frequency: int
    width: int
    power_tenth: int


@dataclass(frozen=True, slots=True)
class UsOfdma:
    """One OFDMA upstream block."""

    if_index: int
    channel_id: int
    zero_freq: int
    first: int
    last: int
    power_quarter: int  # QuarterdBmV


DS_QAM = tuple(
    DsQam(
        if_index=3 if n == 0 else 47 + n,
        channel_id=n + 1,
        frequency=338_000_000 + n * 8_000_000,
        power_tenth=30 + (n * 7) % 45,  # 3.0 .. 7.4 dBmV
        snr_tenth=383 + (n * 5) % 30,  # 38.3 .. 41.2 dB
        corrected=1_000 + n * 37,
        uncorrectable=n % 5,
    )
    for n in range(32)
)
DS_OFDM = (
    DsOfdm(159, 33, 130_000_000, 148, 3947, (52, 55, 58, 61), 4050, (812_345, 120), (17, 0)),
    DsOfdm(160, 34, 594_000_000, 148, 1947, (41, 44), 3870, (22_001,), (3,)),
)
US_QAM = (
    UsQam(4, 1, 51_000_000, 6_400_000, 445),
    UsQam(81, 2, 44_600_000, 6_400_000, 440),
    UsQam(82, 3, 37_200_000, 6_400_000, 435),
    UsQam(83, 4, 30_800_000, 6_400_000, 430),
)
US_OFDMA = (UsOfdma(200, 9, 0, 1200, 1699, 177),)


def _n(oid: str, value: int, tag: str = INTEGER) -> tuple[str, tuple[str, str | int]]:
    return oid, (tag, value)


def tc4400_records() -> dict[str, tuple[str, str | int]]:
    """Return the TC4400's MIB as snmprec records (OID -> (type tag, value))."""
    records: dict[str, tuple[str, str | int]] = {
        "1.3.6.1.2.1.1.1.0": (OCTETS, SYS_DESCR),
        "1.3.6.1.2.1.1.2.0": (OBJECT_ID, "1.3.6.1.4.1.2863.405"),  # sysObjectID
        "1.3.6.1.2.1.1.3.0": (TIMETICKS, UPTIME_SECONDS * 100),
        "1.3.6.1.2.1.1.5.0": (OCTETS, "TC4400"),
        "1.3.6.1.2.1.69.1.1.4.0": (OCTETS, SERIAL),
        "1.3.6.1.2.1.10.127.1.1.5.0": (INTEGER, 5),  # docsis31
        # ifTable: Ethernet (6) and the cable MAC interface (127)
        "1.3.6.1.2.1.2.2.1.3.1": (INTEGER, 6),
        "1.3.6.1.2.1.2.2.1.3.2": (INTEGER, 127),
        "1.3.6.1.2.1.2.2.1.6.1": (HEX_OCTETS, "a4b1e9123457"),
        "1.3.6.1.2.1.2.2.1.6.2": (HEX_OCTETS, MAC.replace(":", "")),
        # docsIfCmStatusTxPower of the MAC interface (not used with several channels)
        "1.3.6.1.2.1.10.127.1.2.2.1.3.2": (INTEGER, 445),
    }
    for ch in DS_QAM:
        i = ch.if_index
        records.update(
            (
                _n(f"1.3.6.1.2.1.10.127.1.1.1.1.1.{i}", ch.channel_id),
                _n(f"1.3.6.1.2.1.10.127.1.1.1.1.2.{i}", ch.frequency),
                _n(f"1.3.6.1.2.1.10.127.1.1.1.1.3.{i}", 8_000_000),
                _n(f"1.3.6.1.2.1.10.127.1.1.1.1.4.{i}", 4),  # qam256
                _n(f"1.3.6.1.2.1.10.127.1.1.1.1.6.{i}", ch.power_tenth),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.2.{i}", 4_000_000_000, COUNTER32),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.3.{i}", ch.corrected, COUNTER32),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.4.{i}", ch.uncorrectable, COUNTER32),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.5.{i}", ch.snr_tenth),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.8.{i}", 9_876_543_210, COUNTER64),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.9.{i}", ch.corrected, COUNTER64),
                _n(f"1.3.6.1.2.1.10.127.1.1.4.1.10.{i}", ch.uncorrectable, COUNTER64),
            )
        )
    base31 = "1.3.6.1.4.1.4491.2.1.28.1"
    for ofdm in DS_OFDM:
        i = ofdm.if_index
        records.update(
            (
                _n(f"{base31}.9.1.1.{i}", ofdm.channel_id),
                _n(f"{base31}.9.1.3.{i}", ofdm.zero_freq),
                _n(f"{base31}.9.1.4.{i}", ofdm.first),
                _n(f"{base31}.9.1.5.{i}", ofdm.last),
                _n(f"{base31}.9.1.6.{i}", ofdm.last - ofdm.first + 1),
                _n(f"{base31}.9.1.7.{i}", 50),  # kHz
                _n(f"{base31}.9.1.13.{i}", 123_456, COUNTER64),
                _n(f"1.3.6.1.4.1.4491.2.1.27.1.2.5.1.3.{i}", ofdm.mer_hundredth),
            )
        )
        for band, power in enumerate(ofdm.band_power_tenth):
            records.update((_n(f"{base31}.11.1.3.{i}.{band}", power),))
        for profile, (corrected, uncorrectable) in enumerate(
            zip(ofdm.profile_corrected, ofdm.profile_uncorrectable, strict=True)
        ):
            records.update(
                (
                    _n(f"{base31}.10.1.3.{i}.{profile}", 50_000_000 + profile, COUNTER64),
                    _n(f"{base31}.10.1.4.{i}.{profile}", corrected, COUNTER64),
                    _n(f"{base31}.10.1.5.{i}.{profile}", uncorrectable, COUNTER64),
                )
            )
    for us in US_QAM:
        i = us.if_index
        records.update(
            (
                _n(f"1.3.6.1.2.1.10.127.1.1.2.1.1.{i}", us.channel_id),
                _n(f"1.3.6.1.2.1.10.127.1.1.2.1.2.{i}", us.frequency),
                _n(f"1.3.6.1.2.1.10.127.1.1.2.1.3.{i}", us.width),
                _n(f"1.3.6.1.2.1.10.127.1.1.2.1.15.{i}", 2),  # atdma
                _n(f"1.3.6.1.4.1.4491.2.1.20.1.2.1.1.{i}", us.power_tenth),
                _n(f"1.3.6.1.4.1.4491.2.1.20.1.2.1.9.{i}", 4),  # ranging success
            )
        )
    for ofdma in US_OFDMA:
        i = ofdma.if_index
        records.update(
            (
                _n(f"{base31}.13.1.2.{i}", ofdma.zero_freq),
                _n(f"{base31}.13.1.3.{i}", ofdma.first),
                _n(f"{base31}.13.1.4.{i}", ofdma.last),
                _n(f"{base31}.13.1.6.{i}", 50),
                _n(f"{base31}.13.1.10.{i}", ofdma.power_quarter),
                _n(f"{base31}.13.1.12.{i}", ofdma.channel_id),
                _n(f"{base31}.12.1.7.{i}", 4),
            )
        )
    return records


# --- web pages (written from the documented layout, not captured) -------------------


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in cells) + "</tr>"


DS_HEADER = [
    "Channel Index",
    "Channel ID",
    "Lock Status",
    "Channel Type",
    "Bonding Status",
    "Center Frequency",
    "Channel Width",
    "SNR/MER Threshold Value",
    "Receive Level",
    "Modulation/Profile ID",
    "Unerrored Codewords",
    "Corrected Codewords",
    "Uncorrectable Codewords",
]
US_HEADER = [
    "Channel Index",
    "Channel ID",
    "Lock Status",
    "US Channel Type",
    "Bonding Status",
    "Center Frequency",
    "Channel Width",
    "Transmit Level",
    "Modulation/Profile ID",
]


def downstream_rows(extra: list[list[str]] | None = None) -> list[list[str]]:
    """Return the downstream table's data rows (as the modem would print them)."""
    rows = [
        [
            str(n + 1),
            str(ch.channel_id),
            "Locked",
            "SC-QAM",
            "Bonded",
            f"{ch.frequency} Hz",
            "8000000 Hz",
            f"{ch.snr_tenth / 10:.1f} dB",
            f"{ch.power_tenth / 10:.1f} dBmV",
            "256QAM",
            "4000000000",
            str(ch.corrected),
            str(ch.uncorrectable),
        ]
        for n, ch in enumerate(DS_QAM)
    ]
    for n, ofdm in enumerate(DS_OFDM, start=len(rows) + 1):
        power = sum(ofdm.band_power_tenth) / len(ofdm.band_power_tenth) / 10
        rows.append(
            [
                str(n),
                str(ofdm.channel_id),
                "Locked",
                "OFDM",
                "Bonded",
                f"{(ofdm.low + ofdm.high) // 2} Hz",
                f"{ofdm.high - ofdm.low} Hz",
                f"{ofdm.mer_hundredth / 100:.1f} dB",
                f"{power:.1f} dBmV",
                "0, 1, 2, 3",
                "5000000000",
                str(sum(ofdm.profile_corrected)),
                str(sum(ofdm.profile_uncorrectable)),
            ]
        )
    return rows + (extra or [])


def upstream_rows() -> list[list[str]]:
    """Return the upstream table's data rows."""
    rows = [
        [
            str(n + 1),
            str(us.channel_id),
            "Locked",
            "SC-QAM",
            "Bonded",
            f"{us.frequency} Hz",
            f"{us.width} Hz",
            f"{us.power_tenth / 10:.1f} dBmV",
            "64QAM",
        ]
        for n, us in enumerate(US_QAM)
    ]
    for ofdma in US_OFDMA:
        low = ofdma.zero_freq + ofdma.first * 50_000
        high = ofdma.zero_freq + ofdma.last * 50_000
        rows.append(
            [
                str(len(rows) + 1),
                str(ofdma.channel_id),
                "Locked",
                "OFDMA",
                "Bonded",
                f"{(low + high) // 2} Hz",
                f"{high - low} Hz",
                f"{ofdma.power_quarter / 4:.2f} dBmV",
                "0, 1",
            ]
        )
    return rows


def connection_status_page(
    ds_rows: list[list[str]] | None = None, us_rows: list[list[str]] | None = None
) -> str:
    """Return cmconnectionstatus.html: startup table, downstream table, upstream table."""
    startup = (
        "<table class='simpleTable'>"
        + _row(["Startup Procedure"], "th")
        + _row(["Procedure", "Status", "Comment"], "th")
        + _row(["Acquire Downstream Channel", "602000000 Hz", "Locked"])
        + _row(["Connectivity State", "OK", "Operational"])
        + _row(["Boot State", "OK", "Operational"])
        + "</table>"
    )
    downstream = (
        "<table class='simpleTable'>"
        + _row(["Downstream Channel Status"], "th")
        + _row(DS_HEADER, "th")
        + "".join(_row(row) for row in (ds_rows if ds_rows is not None else downstream_rows()))
        + "</table>"
    )
    upstream = (
        "<table class='simpleTable'>"
        + _row(["Upstream Channel Status"], "th")
        + _row(US_HEADER, "th")
        + "".join(_row(row) for row in (us_rows if us_rows is not None else upstream_rows()))
        + "</table>"
    )
    return (
        "<html><head><title>Connection Status</title></head><body>"
        f"{startup}<br>{downstream}<br>{upstream}</body></html>"
    )


def software_info_page() -> str:
    """Return cmswinfo.html: the device's label/value table."""
    rows = [
        ("Standard Specification Compliant", "Docsis 3.1"),
        ("Model Name", "TC4400"),
        ("Vendor Name", "Technicolor"),
        ("Hardware Version", "3.6.0"),
        ("Software Version", FIRMWARE),
        ("Cable Modem MAC Address", MAC.upper()),
        ("Cable Modem Serial Number", SERIAL),
        ("System Up Time", "3 days 04h:05m:06s"),
    ]
    body = "".join(_row([label, value]) for label, value in rows)
    return (
        "<html><head><title>Software</title></head><body>"
        f"<table class='simpleTable'>{_row(['Information'], 'th')}{body}</table></body></html>"
    )


class TC4400Simulator(LoopbackServer):
    """An aiohttp application serving the TC4400's two status pages behind Basic auth."""

    def __init__(self, password: str = PASSWORD) -> None:
        """Build the pages; the server starts with :meth:`start`."""
        self.password = password
        self.status_page = connection_status_page()
        self.info_page = software_info_page()
        self.status: int | None = None  # answer every page with this HTTP status
        self.calls: list[str] = []
        self.refused = 0
        app = web.Application()
        app.router.add_get("/cmconnectionstatus.html", self._status)
        app.router.add_get("/cmswinfo.html", self._info)
        self.serve(app)

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = base64.b64encode(f"{USERNAME}:{self.password}".encode()).decode()
        return header.startswith("Basic ") and secrets.compare_digest(header[6:], expected)

    def _answer(self, request: web.Request, name: str, page: str) -> web.Response:
        self.calls.append(name)
        if self.status is not None:
            return web.Response(status=self.status, text="error")
        if not self._authorized(request):
            self.refused += 1
            return web.Response(
                status=401,
                text="<html><body>401 Unauthorized</body></html>",
                headers={"WWW-Authenticate": f'Basic realm="{REALM}"'},
            )
        return web.Response(text=page, content_type="text/html")

    async def _status(self, request: web.Request) -> web.StreamResponse:
        return self._answer(request, "status", self.status_page)

    async def _info(self, request: web.Request) -> web.StreamResponse:
        return self._answer(request, "info", self.info_page)


@pytest.fixture(name="tc4400_web")
async def tc4400_web_fixture(socket_enabled: None) -> AsyncGenerator[TC4400Simulator]:
    """A running TC4400 web simulator."""
    simulator = TC4400Simulator()
    await simulator.start()
    yield simulator
    await simulator.close()


@pytest.fixture(name="tc4400_agent", scope="module")
def tc4400_agent_fixture(tmp_path_factory: pytest.TempPathFactory) -> Generator[SnmpAgent]:
    """An snmpsim agent serving the simulated TC4400 MIB (community "public")."""
    agent = start_agent(tmp_path_factory.mktemp("tc4400-snmp"), tc4400_records())
    yield agent
    agent.stop()


__all__ = [
    "Records",
    "TC4400Simulator",
    "tc4400_agent_fixture",
    "tc4400_records",
    "tc4400_web_fixture",
]
