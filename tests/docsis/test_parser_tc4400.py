"""The TC4400 parsers: SNMP values and web pages in, channels out.

No TC4400 capture exists (see the shared fixtures' PROVENANCE.md), so the
input is the simulator's data (tests/sim/tc4400.py, written from the MIB
definitions and the documented page layout) and small crafted cases.
"""

from __future__ import annotations

import pytest

from custom_components.docsight.docsis.analyzer import analyze
from custom_components.docsight.docsis.model import Direction, Family, Reading
from custom_components.docsight.docsis.parsers.technicolor_tc4400 import (
    CM_TX_POWER,
    DEFAULT_MODEL,
    DS_ID,
    DS_POWER,
    MANUFACTURER,
    OFDMA_ID,
    OFDMA_RANGING,
    SIGQ_EXT_CORRECTED,
    SYS_DESCR,
    SYS_UPTIME,
    US3_TX_POWER,
    has_docsis_tables,
    is_status_page,
    is_tc4400_sysdescr,
    parse_connection_status,
    parse_snmp,
    parse_software_info,
    parse_sysdescr,
    parse_uptime,
)
from tests.sim.snmpagent import HEX_OCTETS, OBJECT_ID, OCTETS
from tests.sim.tc4400 import (
    DS_HEADER,
    DS_OFDM,
    DS_QAM,
    FIRMWARE,
    MAC,
    SERIAL,
    SYS_DESCR as SIM_SYS_DESCR,
    UPTIME_SECONDS,
    US_OFDMA,
    US_QAM,
    connection_status_page,
    downstream_rows,
    software_info_page,
    tc4400_records,
)

type Values = dict[tuple[int, ...], int | bytes | str]


def _values(records: dict[str, tuple[str, str | int]] | None = None) -> Values:
    """Turn snmprec records into what the SNMP client hands the parser."""
    values: Values = {}
    for name, (tag, value) in (records or tc4400_records()).items():
        key = tuple(int(part) for part in name.split("."))
        if tag == OCTETS:
            values[key] = str(value).encode()
        elif tag == HEX_OCTETS:
            values[key] = bytes.fromhex(str(value))
        elif tag == OBJECT_ID:
            values[key] = str(value)
        else:
            values[key] = int(value)
    return values


# --- SNMP --------------------------------------------------------------------


def test_snmp_reading_of_the_simulated_line() -> None:
    """34 downstream and 5 upstream channels with the MIB's units converted."""
    status = parse_snmp(_values())
    qam = [ch for ch in status.downstream if ch.family is Family.SC_QAM]
    ofdm = [ch for ch in status.downstream if ch.family is Family.OFDM]
    assert (len(qam), len(ofdm), len(status.upstream)) == (32, 2, 5)

    first = qam[0]
    assert first.channel_id == DS_QAM[0].channel_id
    assert first.frequency_hz == DS_QAM[0].frequency
    assert first.power_dbmv == DS_QAM[0].power_tenth / 10
    assert first.snr_db == DS_QAM[0].snr_tenth / 10
    assert first.modulation == "256QAM"
    assert [ch.corrected for ch in qam] == [ch.corrected for ch in DS_QAM]
    assert [ch.uncorrected for ch in qam] == [ch.uncorrectable for ch in DS_QAM]

    block = ofdm[0]
    source = DS_OFDM[0]
    assert (block.frequency_hz, block.frequency_end_hz) == (source.low, source.high)
    assert block.power_dbmv == 5.7  # mean of 5.2, 5.5, 5.8, 6.1
    assert block.snr_db == 40.5
    assert block.corrected == sum(source.profile_corrected)
    assert block.uncorrected == sum(source.profile_uncorrectable)

    us = [ch for ch in status.upstream if ch.family is Family.SC_QAM]
    assert [ch.power_dbmv for ch in us] == [ch.power_tenth / 10 for ch in US_QAM]
    assert {ch.symbol_rate_ksym for ch in us} == {5120.0}
    assert all(ch.locked for ch in status.upstream)
    ofdma = status.upstream[-1]
    assert ofdma.family is Family.OFDMA
    assert ofdma.channel_id == US_OFDMA[0].channel_id
    assert ofdma.power_dbmv == 44.25  # QuarterdBmV 177
    assert (ofdma.frequency_hz, ofdma.frequency_end_hz) == (60_000_000, 84_950_000)

    device = status.device
    assert (device.manufacturer, device.model, device.firmware) == (
        "Technicolor",
        "TC4400",
        FIRMWARE,
    )
    assert device.serial == SERIAL
    assert device.mac == MAC
    assert device.uptime_seconds == UPTIME_SECONDS
    assert device.docsis_version == "3.1"


def test_snmp_64_bit_counters_win_and_32_bit_ones_stand_in() -> None:
    """The Ext (Counter64) columns are read where they exist, the 32-bit ones elsewhere."""
    values = _values()
    first = DS_QAM[0].if_index
    values[(*SIGQ_EXT_CORRECTED, first)] = 5_000_000_000  # beyond 32 bits
    second = DS_QAM[1].if_index
    del values[(*SIGQ_EXT_CORRECTED, second)]
    channels = parse_snmp(values).downstream
    assert channels[0].corrected == 5_000_000_000
    assert channels[1].corrected == DS_QAM[1].corrected  # from docsIfSigQCorrecteds


def test_snmp_interface_in_both_tables_is_read_once_as_ofdm() -> None:
    """A firmware listing the OFDM ifIndex in the 3.0 table too does not double it."""
    values = _values()
    ofdm_index = DS_OFDM[0].if_index
    values[(*DS_ID, ofdm_index)] = 99
    values[(*DS_POWER, ofdm_index)] = 10
    ids = [ch.channel_id for ch in parse_snmp(values).downstream]
    assert 99 not in ids
    assert len(ids) == 34


def test_snmp_single_upstream_takes_the_modem_transmit_power() -> None:
    """DocsIfCmStatusTxPower stands in only when one SC-QAM channel leaves no doubt."""
    values = _values()
    for channel in US_QAM:
        del values[(*US3_TX_POWER, channel.if_index)]
    several = parse_snmp(values).upstream
    assert [ch.power_dbmv for ch in several if ch.family is Family.SC_QAM] == [None] * 4
    for channel in US_QAM[1:]:
        values = {key: value for key, value in values.items() if key[-1] != channel.if_index}
    single = [ch for ch in parse_snmp(values).upstream if ch.family is Family.SC_QAM]
    assert [ch.power_dbmv for ch in single] == [44.5]
    del values[(*CM_TX_POWER, 2)]
    assert parse_snmp(values).upstream[0].power_dbmv is None


def test_snmp_ofdma_without_id_column_or_ranging() -> None:
    """Older MIB revisions: the ifIndex is the id; a failed ranging is not locked."""
    values = _values()
    index = US_OFDMA[0].if_index
    del values[(*OFDMA_ID, index)]
    values[(*OFDMA_RANGING, index)] = 3  # retriesExceeded
    ofdma = parse_snmp(values).upstream[-1]
    assert ofdma.channel_id == index
    assert ofdma.locked is False


def test_snmp_partial_rows() -> None:
    """Missing columns leave values unknown instead of failing."""
    values = _values()
    ofdm_index = DS_OFDM[0].if_index
    del values[(1, 3, 6, 1, 4, 1, 4491, 2, 1, 28, 1, 9, 1, 7, ofdm_index)]  # spacing
    values[(1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 2)] = 6  # no cable MAC interface any more
    values[(1, 3, 6, 1, 2, 1, 69, 1, 1, 4, 0)] = 7  # a serial that is not text
    status = parse_snmp(values)
    block = next(ch for ch in status.downstream if ch.family is Family.OFDM)
    assert (block.frequency_hz, block.frequency_end_hz) == (None, None)
    assert (status.device.mac, status.device.serial) == (None, None)


def test_snmp_device_defaults_without_sysdescr() -> None:
    """Nothing but channel tables: the model falls back to the TC4400."""
    values = {key: value for key, value in _values().items() if key[:7] != (1, 3, 6, 1, 2, 1, 1)}
    device = parse_snmp(values).device
    assert (device.manufacturer, device.model, device.firmware) == (
        MANUFACTURER,
        DEFAULT_MODEL,
        None,
    )
    assert device.uptime_seconds is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ((*DS_POWER, DS_QAM[0].if_index), b"4.5 dBmV", "is not a number"),
        ((*DS_ID, 3, 7), 5, "unexpected table index"),
        (SYS_UPTIME, b"up", "is not a number"),
    ],
)
def test_snmp_malformed_values(key: tuple[int, ...], value: int | bytes, message: str) -> None:
    """A string where a number belongs, or a table index of the wrong shape, is a ValueError."""
    values = _values()
    values[key] = value
    with pytest.raises(ValueError, match=message):
        parse_snmp(values)


def test_snmp_without_docsis_tables() -> None:
    """An agent that is not a cable modem's."""
    values: Values = {SYS_DESCR: b"Linux router 6.1"}
    assert not has_docsis_tables(values)
    with pytest.raises(ValueError, match="no DOCSIS downstream channel table"):
        parse_snmp(values)


def test_sysdescr() -> None:
    """DOCSIS's sysDescr form names vendor, model and firmware."""
    fields = parse_sysdescr(SIM_SYS_DESCR)
    assert fields["VENDOR"] == "Technicolor"
    assert fields["SW_REV"] == FIRMWARE
    assert is_tc4400_sysdescr(SIM_SYS_DESCR)
    assert not is_tc4400_sysdescr("<<VENDOR: ARRIS; MODEL: CM3500B>>")
    assert not is_tc4400_sysdescr("plain text without fields")
    assert parse_sysdescr(None) == {}
    assert parse_sysdescr("<<MODEL: ; VENDOR: X>>") == {"VENDOR": "X"}


# --- web pages -------------------------------------------------------------------


def test_web_connection_status() -> None:
    """Both tables, columns found by their header words, counters under the right names."""
    downstream, upstream = parse_connection_status(connection_status_page())
    assert (len(downstream), len(upstream)) == (34, 5)
    qam = downstream[0]
    assert qam.family is Family.SC_QAM
    assert (qam.channel_id, qam.frequency_hz) == (1, DS_QAM[0].frequency)
    assert (qam.power_dbmv, qam.snr_db, qam.modulation) == (3.0, 38.3, "256QAM")
    # DOCSight loses these through a key typo; here they are the codeword counters.
    assert [ch.corrected for ch in downstream[:32]] == [ch.corrected for ch in DS_QAM]
    assert [ch.uncorrected for ch in downstream[:32]] == [ch.uncorrectable for ch in DS_QAM]
    block = downstream[32]
    assert block.family is Family.OFDM
    assert (block.frequency_hz, block.frequency_end_hz) == (DS_OFDM[0].low, DS_OFDM[0].high)
    assert (block.corrected, block.uncorrected) == (812_465, 17)
    assert block.modulation is None
    assert upstream[0].modulation == "64QAM"
    assert upstream[0].symbol_rate_ksym == 5120.0
    assert upstream[-1].family is Family.OFDMA
    assert upstream[-1].power_dbmv == 44.25
    assert all(ch.direction is Direction.UPSTREAM for ch in upstream)


def test_web_counters_count_in_the_analysis() -> None:
    """The error sensors exist for the TC4400: the analyzer sees counters."""
    downstream, upstream = parse_connection_status(connection_status_page())
    from datetime import UTC, datetime

    reading = Reading(
        read_at=datetime(2026, 1, 1, tzinfo=UTC),
        device=parse_software_info(software_info_page()),
        downstream=downstream,
        upstream=upstream,
    )
    assert analyze(reading).summary.errors_supported


def test_web_drops_unlocked_rows_and_reads_units() -> None:
    """Rows "Not Locked" are left out; MHz and a missing SNR are understood."""
    extra = [
        ["35", "35", "Not Locked", "SC-QAM", "Not Bonded", "0 Hz", "0 Hz", "0.0 dB", "0.0 dBmV",
         "256QAM", "0", "0", "0"],
        ["36", "36", "Locked", "SC-QAM", "Bonded", "850 MHz", "8 MHz", "----", "1.5 dBmV",
         "QAM256", "1", "2", "3"],
        [],
        ["37", "37", "Locked", "OFDM", "Bonded", "n/a", "n/a", "40 dB", "1.5 dBmV",
         "0", "1", "2", "3"],
    ]  # fmt: skip
    downstream, _upstream = parse_connection_status(connection_status_page(downstream_rows(extra)))
    ids = [ch.channel_id for ch in downstream]
    assert 35 not in ids
    last = downstream[-2]
    assert (last.channel_id, last.frequency_hz, last.snr_db) == (36, 850_000_000, None)
    assert last.modulation == "256QAM"
    unknown = downstream[-1]
    assert (unknown.channel_id, unknown.frequency_hz, unknown.frequency_end_hz) == (37, None, None)


def test_web_index_column_when_there_is_no_id_column() -> None:
    """A table with only a channel index uses it as the id; kHz are read too."""
    page = (
        "<table><tr><th>Channel Index</th><th>Frequency</th><th>Power</th><th>SNR</th></tr>"
        "<tr><td>7</td><td>602000 kHz</td><td>2.5</td><td>39</td></tr></table>"
    )
    downstream, upstream = parse_connection_status(page)
    assert upstream == ()
    assert (downstream[0].channel_id, downstream[0].frequency_hz) == (7, 602_000_000)
    assert downstream[0].corrected is None
    assert downstream[0].locked is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["1", "1", "Locked", "SC-QAM"], "has 4 cells"),
        (["1", "", "Locked", "SC-QAM", "B", "602 MHz", "8 MHz", "40 dB", "1 dBmV", "256QAM",
          "0", "0", "0"], "no channel id"),
        (["1", "1", "Locked", "SC-QAM", "B", "602 MHz", "8 MHz", "40 dB", "strong", "256QAM",
          "0", "0", "0"], "power is not a number"),
    ],
)  # fmt: skip
def test_web_malformed_rows(row: list[str], message: str) -> None:
    """A short row, a row without id and a non-numeric value are ValueErrors."""
    with pytest.raises(ValueError, match=message):
        parse_connection_status(connection_status_page([row]))


def test_web_page_without_channel_tables() -> None:
    """Not the connection status page (say, a login or error page)."""
    page = "<html><table><tr><td>Procedure</td><td>Status</td></tr></table></html>"
    assert not is_status_page(page)
    assert is_status_page(connection_status_page())
    with pytest.raises(ValueError, match="no downstream channel table"):
        parse_connection_status(page)
    upstream_only = "<table>" + "".join(
        f"<tr><th>{title}</th></tr>" for title in ("Channel ID", "Frequency", "Transmit Level")
    )
    with pytest.raises(ValueError, match="no downstream"):
        parse_connection_status(upstream_only + "</table>")


def test_web_header_words() -> None:
    """The documented header words find their columns (uncorrectable is not corrected)."""
    downstream, _ = parse_connection_status(connection_status_page())
    assert DS_HEADER.index("Uncorrectable Codewords") == 12
    assert downstream[5].uncorrected == DS_QAM[5].uncorrectable != DS_QAM[5].corrected


def test_software_info() -> None:
    """cmswinfo.html: model, firmware, serial, MAC and uptime."""
    device = parse_software_info(software_info_page())
    assert (device.manufacturer, device.model, device.firmware) == (
        "Technicolor",
        "TC4400",
        FIRMWARE,
    )
    assert (device.serial, device.mac) == (SERIAL, MAC)
    assert device.uptime_seconds == UPTIME_SECONDS
    assert device.docsis_version == "3.1"
    empty = parse_software_info("<html></html>")
    assert (empty.manufacturer, empty.model, empty.serial) == (MANUFACTURER, DEFAULT_MODEL, None)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3 days 04h:05m:06s", UPTIME_SECONDS),
        ("04h:05m:06s", 4 * 3600 + 5 * 60 + 6),
        ("1 day 00h:00m:00s", 86400),
        ("unknown", None),
        (None, None),
    ],
)
def test_uptime(text: str | None, seconds: int | None) -> None:
    """Uptime strings in the forms the page uses."""
    assert parse_uptime(text) == seconds
