"""Parsers for the Technicolor TC4400: its SNMP MIB values and its web status pages.

The TC4400 can be read two ways, and both end up here as pure functions:

**SNMP** (:func:`parse_snmp`): the values a walk returned, keyed by numeric
OID.  The standard cable-modem MIBs carry everything DOCSight needs:

* DOCS-IF-MIB (RFC 4546): ``docsIfDownstreamChannelTable`` (SC-QAM id,
  frequency, modulation, power in TenthdBmV), ``docsIfSignalQualityTable``
  (SNR in TenthdB, codeword counters; the 64-bit ``Ext`` counters win over the
  32-bit ones), ``docsIfUpstreamChannelTable`` (id, centre frequency, width,
  type), ``docsIfCmStatusTxPower`` (one transmit power for the whole modem,
  used only when a single SC-QAM upstream channel leaves no doubt);
* DOCS-IF3-MIB: ``docsIf3CmStatusUsTable`` (transmit power per upstream
  channel, TenthdBmV, and its ranging status);
* DOCS-IF31-MIB: ``docsIf31CmDsOfdmChanTable`` (the OFDM block from subcarrier
  zero, the first and last active subcarrier and the spacing),
  ``docsIf31CmDsOfdmChannelPowerTable`` (power per 6 MHz band, averaged here),
  ``docsIf31CmDsOfdmProfileStatsTable`` (codeword counters per profile, summed
  per channel), ``docsIf31CmUsOfdmaChanTable`` (the OFDMA block and its
  transmit power, in *quarter* dBmV) and ``docsIf31CmStatusOfdmaUsTable``
  (ranging status);
* DOCS-PNM-MIB: ``docsPnmCmDsOfdmRxMerMean`` (OFDM MER in hundredths of a dB);
* SNMPv2-MIB ``sysDescr`` (DOCSIS requires the ``<<HW_REV: ..; VENDOR: ..;
  SW_REV: ..; MODEL: ..>>`` form), ``sysUpTime``, DOCS-CABLE-DEVICE-MIB
  ``docsDevSerialNumber``, ``docsIfDocsisBaseCapability`` and the MAC address
  of the cable interface (IF-MIB ``ifType`` 127).

Rows are tied together by their ifIndex.  An ifIndex that shows up in both the
DOCSIS 3.0 and the 3.1 tables is read as OFDM/OFDMA only.

**Web** (:func:`parse_connection_status`, :func:`parse_software_info`): the
pages behind HTTP Basic auth.  ``cmconnectionstatus.html`` has the downstream
table second and the upstream table third; columns are found by their header
words (channel id or index, lock, type, modulation or profile, frequency,
width, power/receive/transmit level, SNR/MER, corrected, uncorrectable) and
only locked rows are kept.  The codeword counters go to ``corrected`` and
``uncorrected``: DOCSight reads them under misspelt keys and so reports the
TC4400 as a modem without counters.  ``cmswinfo.html`` is a label/value table
with the model, versions, MAC address and serial number.

Everything is pure: text or values in, model objects out, ``ValueError`` for
input that is not what a TC4400 serves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import re
from statistics import fmean

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import cell_number, cell_text, uptime_seconds

MANUFACTURER = "Technicolor"
DEFAULT_MODEL = "TC4400"

type Oid = tuple[int, ...]
type SnmpValue = int | bytes | str
type SnmpValues = Mapping[Oid, SnmpValue]


def _oid(text: str) -> Oid:
    return tuple(int(part) for part in text.split("."))


# --- scalars -----------------------------------------------------------------
SYS_DESCR = _oid("1.3.6.1.2.1.1.1.0")
SYS_UPTIME = _oid("1.3.6.1.2.1.1.3.0")
DEV_SERIAL = _oid("1.3.6.1.2.1.69.1.1.4.0")  # docsDevSerialNumber
DOCSIS_CAPABILITY = _oid("1.3.6.1.2.1.10.127.1.1.5.0")  # docsIfDocsisBaseCapability
SCALARS = (SYS_DESCR, SYS_UPTIME, DEV_SERIAL, DOCSIS_CAPABILITY)

# --- DOCS-IF-MIB ---------------------------------------------------------------
_DS = "1.3.6.1.2.1.10.127.1.1.1.1"  # docsIfDownstreamChannelEntry
DS_ID = _oid(f"{_DS}.1")
DS_FREQUENCY = _oid(f"{_DS}.2")
DS_MODULATION = _oid(f"{_DS}.4")
DS_POWER = _oid(f"{_DS}.6")
_SIGQ = "1.3.6.1.2.1.10.127.1.1.4.1"  # docsIfSignalQualityEntry
SIGQ_CORRECTED = _oid(f"{_SIGQ}.3")
SIGQ_UNCORRECTABLE = _oid(f"{_SIGQ}.4")
SIGQ_SNR = _oid(f"{_SIGQ}.5")
SIGQ_EXT_CORRECTED = _oid(f"{_SIGQ}.9")
SIGQ_EXT_UNCORRECTABLE = _oid(f"{_SIGQ}.10")
_US = "1.3.6.1.2.1.10.127.1.1.2.1"  # docsIfUpstreamChannelEntry
US_ID = _oid(f"{_US}.1")
US_FREQUENCY = _oid(f"{_US}.2")
US_WIDTH = _oid(f"{_US}.3")
US_TYPE = _oid(f"{_US}.15")
CM_TX_POWER = _oid("1.3.6.1.2.1.10.127.1.2.2.1.3")  # docsIfCmStatusTxPower
# --- DOCS-IF3-MIB --------------------------------------------------------------
_US3 = "1.3.6.1.4.1.4491.2.1.20.1.2.1"  # docsIf3CmStatusUsEntry
US3_TX_POWER = _oid(f"{_US3}.1")
US3_RANGING = _oid(f"{_US3}.9")
# --- DOCS-IF31-MIB / DOCS-PNM-MIB ----------------------------------------------
_OFDM = "1.3.6.1.4.1.4491.2.1.28.1.9.1"  # docsIf31CmDsOfdmChanEntry
OFDM_ID = _oid(f"{_OFDM}.1")
OFDM_ZERO_FREQ = _oid(f"{_OFDM}.3")
OFDM_FIRST = _oid(f"{_OFDM}.4")
OFDM_LAST = _oid(f"{_OFDM}.5")
OFDM_SPACING = _oid(f"{_OFDM}.7")
OFDM_POWER = _oid("1.3.6.1.4.1.4491.2.1.28.1.11.1.3")  # per (ifIndex, band), TenthdBmV
_PROFILE = "1.3.6.1.4.1.4491.2.1.28.1.10.1"  # docsIf31CmDsOfdmProfileStatsEntry
OFDM_CORRECTED = _oid(f"{_PROFILE}.4")
OFDM_UNCORRECTABLE = _oid(f"{_PROFILE}.5")
OFDM_MER = _oid("1.3.6.1.4.1.4491.2.1.27.1.2.5.1.3")  # docsPnmCmDsOfdmRxMerMean
_OFDMA = "1.3.6.1.4.1.4491.2.1.28.1.13.1"  # docsIf31CmUsOfdmaChanEntry
OFDMA_ZERO_FREQ = _oid(f"{_OFDMA}.2")
OFDMA_FIRST = _oid(f"{_OFDMA}.3")
OFDMA_LAST = _oid(f"{_OFDMA}.4")
OFDMA_SPACING = _oid(f"{_OFDMA}.6")
OFDMA_TX_POWER = _oid(f"{_OFDMA}.10")  # QuarterdBmV
OFDMA_ID = _oid(f"{_OFDMA}.12")
OFDMA_RANGING = _oid("1.3.6.1.4.1.4491.2.1.28.1.12.1.7")  # docsIf31CmStatusOfdmaUsRangingStatus
# --- IF-MIB --------------------------------------------------------------------
IF_TYPE = _oid("1.3.6.1.2.1.2.2.1.3")
IF_PHYS_ADDRESS = _oid("1.3.6.1.2.1.2.2.1.6")

# The table columns to walk, one group per table (columns of a group share rows).
WALK_GROUPS: tuple[tuple[Oid, ...], ...] = (
    (DS_ID, DS_FREQUENCY, DS_MODULATION, DS_POWER),
    (SIGQ_CORRECTED, SIGQ_UNCORRECTABLE, SIGQ_SNR, SIGQ_EXT_CORRECTED, SIGQ_EXT_UNCORRECTABLE),
    (US_ID, US_FREQUENCY, US_WIDTH, US_TYPE, US3_TX_POWER, US3_RANGING, CM_TX_POWER),
    (OFDM_ID, OFDM_ZERO_FREQ, OFDM_FIRST, OFDM_LAST, OFDM_SPACING, OFDM_MER),
    (OFDM_POWER, OFDM_CORRECTED, OFDM_UNCORRECTABLE),
    (OFDMA_ID, OFDMA_ZERO_FREQ, OFDMA_FIRST, OFDMA_LAST, OFDMA_SPACING, OFDMA_TX_POWER),
    (OFDMA_RANGING,),
    (IF_TYPE, IF_PHYS_ADDRESS),
)

_DS_MODULATIONS = {3: "64QAM", 4: "256QAM"}  # docsIfDownChannelModulation
_DOCSIS_VERSIONS = {1: "1.0", 2: "1.1", 3: "2.0", 4: "3.0", 5: "3.1", 6: "4.0"}
_US_ATDMA_TYPES = {1, 2, 3, 4}  # tdma, atdma, scdma, tdmaAndAtdma
_RANGING_SUCCESS = 4  # RangingState success(4)
_IF_TYPE_CABLE_MAC = 127  # docsCableMaclayer
_SYSDESCR = re.compile(r"<<(.*?)>>", re.S)


@dataclass(frozen=True, slots=True)
class TC4400Status:
    """One reading's worth of what the modem said, by either transport."""

    device: DeviceInfo
    downstream: tuple[Channel, ...]
    upstream: tuple[Channel, ...]


# --- SNMP ----------------------------------------------------------------------


def _name(column: Oid) -> str:
    return ".".join(str(part) for part in column)


def _column(values: SnmpValues, column: Oid) -> dict[Oid, SnmpValue]:
    """Return one column as {index suffix: value}."""
    size = len(column)
    return {key[size:]: value for key, value in values.items() if key[:size] == column}


def _int(value: SnmpValue | None, column: Oid, index: Oid) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        # ValueError like every other malformed input, so the driver has one thing to catch.
        raise ValueError(  # noqa: TRY004
            f"{_name(column + index)} is not a number: {value!r}"
        )
    return value


def _int_column(values: SnmpValues, column: Oid) -> dict[Oid, int]:
    """Return an integer column; a string where a number belongs is a ValueError."""
    result = {}
    for index, value in _column(values, column).items():
        number = _int(value, column, index)
        if number is not None:
            result[index] = number
    return result


def _scaled(value: int | None, divisor: float) -> float | None:
    return None if value is None else round(value / divisor, 2)


def _text(value: SnmpValue | None) -> str | None:
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace").strip().strip("\x00")
        return text or None
    return None  # absent, or a number/OID where text belongs


def has_docsis_tables(values: SnmpValues) -> bool:
    """Return whether a walk found any downstream channel (SC-QAM or OFDM)."""
    return bool(_column(values, DS_ID) or _column(values, OFDM_ID))


def parse_sysdescr(text: str | None) -> dict[str, str]:
    """Read DOCSIS's ``<<HW_REV: x; VENDOR: y; ...>>`` sysDescr into a dict."""
    if not text:
        return {}
    match = _SYSDESCR.search(text)
    fields: dict[str, str] = {}
    for part in (match.group(1) if match else "").split(";"):
        key, _sep, value = part.partition(":")
        if _sep and value.strip():
            fields[key.strip().upper()] = value.strip()
    return fields


def is_tc4400_sysdescr(text: str | None) -> bool:
    """Return whether a sysDescr names a TC4400 (the detection marker over SNMP)."""
    fields = parse_sysdescr(text)
    return "TC4400" in fields.get("MODEL", "").upper()


def _mac(values: SnmpValues) -> str | None:
    types = _int_column(values, IF_TYPE)
    for index, address in _column(values, IF_PHYS_ADDRESS).items():
        if (
            types.get(index) == _IF_TYPE_CABLE_MAC
            and isinstance(address, bytes)
            and len(address) == 6
            and any(address)
        ):
            return ":".join(f"{byte:02x}" for byte in address)
    return None


def _device_from_snmp(values: SnmpValues) -> DeviceInfo:
    fields = parse_sysdescr(_text(values.get(SYS_DESCR)))
    uptime = _int(values.get(SYS_UPTIME), SYS_UPTIME, ())
    capability = _int(values.get(DOCSIS_CAPABILITY), DOCSIS_CAPABILITY, ())
    return DeviceInfo(
        manufacturer=fields.get("VENDOR") or MANUFACTURER,
        model=fields.get("MODEL") or DEFAULT_MODEL,
        firmware=fields.get("SW_REV"),
        uptime_seconds=None if uptime is None else uptime // 100,  # TimeTicks
        serial=_text(values.get(DEV_SERIAL)),
        mac=_mac(values),
        docsis_version=_DOCSIS_VERSIONS.get(capability) if capability is not None else None,
    )


def _block(
    zero: int | None, first: int | None, last: int | None, spacing_khz: int | None
) -> tuple[int | None, int | None]:
    """Return the lower and upper edge of an OFDM(A) block from its subcarriers."""
    if zero is None or first is None or last is None or not spacing_khz:
        return None, None
    step = spacing_khz * 1000
    return zero + first * step, zero + last * step


def _per_interface[T](
    values: SnmpValues, column: Oid, merge: Callable[[list[int]], T]
) -> dict[int, T]:
    """Group a column indexed by (ifIndex, sub-index) per ifIndex."""
    groups: dict[int, list[int]] = {}
    for index, value in _int_column(values, column).items():
        if index:
            groups.setdefault(index[0], []).append(value)
    return {if_index: merge(items) for if_index, items in groups.items()}


def _if_index(index: Oid) -> int:
    if len(index) != 1:
        raise ValueError(f"unexpected table index {index}")
    return index[0]


def _ofdm_downstream(values: SnmpValues) -> list[Channel]:
    ids = {_if_index(index): value for index, value in _int_column(values, OFDM_ID).items()}
    zero = _int_column(values, OFDM_ZERO_FREQ)
    first = _int_column(values, OFDM_FIRST)
    last = _int_column(values, OFDM_LAST)
    spacing = _int_column(values, OFDM_SPACING)
    mer = _int_column(values, OFDM_MER)
    power = _per_interface(values, OFDM_POWER, fmean)
    corrected = _per_interface(values, OFDM_CORRECTED, sum)
    uncorrected = _per_interface(values, OFDM_UNCORRECTABLE, sum)
    channels = []
    for if_index, channel_id in sorted(ids.items()):
        key = (if_index,)
        low, high = _block(zero.get(key), first.get(key), last.get(key), spacing.get(key))
        band_power = power.get(if_index)
        channels.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.OFDM,
                channel_id=channel_id,
                frequency_hz=low,
                frequency_end_hz=high,
                power_dbmv=None if band_power is None else round(band_power / 10, 1),
                snr_db=_scaled(mer.get(key), 100),
                corrected=corrected.get(if_index),
                uncorrected=uncorrected.get(if_index),
                locked=True,
            )
        )
    return channels


def _sc_qam_downstream(values: SnmpValues, skip: set[int]) -> list[Channel]:
    ids = _int_column(values, DS_ID)
    frequency = _int_column(values, DS_FREQUENCY)
    modulation = _int_column(values, DS_MODULATION)
    power = _int_column(values, DS_POWER)
    snr = _int_column(values, SIGQ_SNR)
    corrected = _int_column(values, SIGQ_CORRECTED)
    uncorrected = _int_column(values, SIGQ_UNCORRECTABLE)
    ext_corrected = _int_column(values, SIGQ_EXT_CORRECTED)
    ext_uncorrected = _int_column(values, SIGQ_EXT_UNCORRECTABLE)
    channels = []
    for index, channel_id in sorted(ids.items()):
        if _if_index(index) in skip:
            continue
        channels.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.SC_QAM,
                channel_id=channel_id,
                frequency_hz=frequency.get(index),
                power_dbmv=_scaled(power.get(index), 10),
                snr_db=_scaled(snr.get(index), 10),
                modulation=_DS_MODULATIONS.get(modulation.get(index, 0)),
                corrected=ext_corrected.get(index, corrected.get(index)),
                uncorrected=ext_uncorrected.get(index, uncorrected.get(index)),
                locked=True,
            )
        )
    return channels


def _ofdma_upstream(values: SnmpValues) -> list[Channel]:
    zero = _int_column(values, OFDMA_ZERO_FREQ)
    first = _int_column(values, OFDMA_FIRST)
    last = _int_column(values, OFDMA_LAST)
    spacing = _int_column(values, OFDMA_SPACING)
    power = _int_column(values, OFDMA_TX_POWER)
    ids = _int_column(values, OFDMA_ID)
    ranging = _int_column(values, OFDMA_RANGING)
    channels = []
    for index in sorted(zero.keys() | power.keys()):
        low, high = _block(zero.get(index), first.get(index), last.get(index), spacing.get(index))
        status = ranging.get(index)
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA,
                # Older MIB revisions have no channel id column: the ifIndex stands in.
                channel_id=ids.get(index, _if_index(index)),
                frequency_hz=low,
                frequency_end_hz=high,
                power_dbmv=_scaled(power.get(index), 4),
                locked=None if status is None else status == _RANGING_SUCCESS,
            )
        )
    return channels


def _sc_qam_upstream(values: SnmpValues, skip: set[int]) -> list[Channel]:
    ids = _int_column(values, US_ID)
    frequency = _int_column(values, US_FREQUENCY)
    width = _int_column(values, US_WIDTH)
    kind = _int_column(values, US_TYPE)
    power = _int_column(values, US3_TX_POWER)
    ranging = _int_column(values, US3_RANGING)
    indexes = [index for index in sorted(ids) if _if_index(index) not in skip]
    indexes = [index for index in indexes if kind.get(index, 2) in _US_ATDMA_TYPES]
    modem_power = list(_int_column(values, CM_TX_POWER).values())
    channels = []
    for index in indexes:
        tx_power = power.get(index)
        if tx_power is None and len(indexes) == 1 and len(modem_power) == 1:
            tx_power = modem_power[0]  # one channel: the modem's power is the channel's
        channel_width = width.get(index)
        status = ranging.get(index)
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.SC_QAM,
                channel_id=ids[index],
                frequency_hz=frequency.get(index),
                power_dbmv=_scaled(tx_power, 10),
                # DOCSIS symbol rate: the channel width over the roll-off of 1.25.
                symbol_rate_ksym=channel_width / 1250 if channel_width else None,
                locked=None if status is None else status == _RANGING_SUCCESS,
            )
        )
    return channels


def parse_snmp(values: SnmpValues) -> TC4400Status:
    """Turn the values of :data:`SCALARS` and :data:`WALK_GROUPS` into channels.

    Raises:
        ValueError: no downstream channel table at all, or a value of the
            wrong type (a string where a number belongs, a malformed index).
    """
    if not has_docsis_tables(values):
        raise ValueError("the agent has no DOCSIS downstream channel table")
    ofdm = _ofdm_downstream(values)
    ofdma = _ofdma_upstream(values)
    ofdm_interfaces = {_if_index(index) for index in _column(values, OFDM_ID)}
    ofdma_interfaces = {
        _if_index(index)
        for index in _column(values, OFDMA_ZERO_FREQ).keys()
        | _column(values, OFDMA_TX_POWER).keys()
    }
    downstream = _sc_qam_downstream(values, ofdm_interfaces) + ofdm
    upstream = _sc_qam_upstream(values, ofdma_interfaces) + ofdma
    return TC4400Status(
        device=_device_from_snmp(values),
        downstream=tuple(downstream),
        upstream=tuple(upstream),
    )


# --- web pages -----------------------------------------------------------------

_TABLE = re.compile(r"<table\b[^>]*>(.*?)</table>", re.I | re.S)
_ROW = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.I | re.S)
_CELL = re.compile(r"<t([hd])\b[^>]*>(.*?)</t[hd]>", re.I | re.S)
_UPTIME = re.compile(
    r"(?:(\d+)\s*d(?:ays?)?)?\W*(\d+)\s*h\w*\W*(\d+)\s*m\w*\W*(?:(\d+)\s*s)?", re.I
)


def _tables(text: str) -> list[list[list[str]]]:
    """Return every table as rows of cleaned cell texts."""
    return [
        [[cell_text(cell) for _kind, cell in _CELL.findall(row)] for row in _ROW.findall(body)]
        for body in _TABLE.findall(text)
    ]


# Which column holds what, by words in the header (first match wins).
_COLUMNS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("channel_id", lambda h: "channel id" in h),
    ("index", lambda h: "index" in h),
    ("lock", lambda h: "lock" in h),
    ("type", lambda h: "type" in h),
    ("modulation", lambda h: "modulation" in h or "profile" in h),
    ("frequency", lambda h: "freq" in h),
    ("width", lambda h: "width" in h),
    ("power", lambda h: "power" in h or "receive" in h or "transmit" in h or "level" in h),
    ("snr", lambda h: "snr" in h or "mer" in h),
    ("uncorrected", lambda h: "uncorrect" in h),
    ("corrected", lambda h: "corrected" in h),
)


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for position, title in enumerate(header):
        lowered = title.lower()
        for key, matches in _COLUMNS:
            if key not in found and matches(lowered):
                found[key] = position
                break
    if "channel_id" not in found and "index" in found:
        found["channel_id"] = found["index"]
    return found


def _channel_table(rows: list[list[str]]) -> tuple[dict[str, int], list[list[str]]] | None:
    """Find the header row of a channel table; return its map and the data rows."""
    for position, row in enumerate(rows):
        columns = _header_map(row)
        if {"channel_id", "frequency", "power"} <= columns.keys():
            return columns, rows[position + 1 :]
    return None


def _web_hz(text: str, what: str) -> int | None:
    value = cell_number(text, what)
    if value is None:
        return None
    lowered = text.lower()
    if "mhz" in lowered or ("hz" not in lowered and value < 10_000):
        value *= 1_000_000
    elif "khz" in lowered:
        value *= 1_000
    return round(value)


def _web_channels(
    rows: list[list[str]], columns: dict[str, int], direction: Direction
) -> list[Channel]:
    channels = []
    width = max(columns.values()) + 1

    def cell(row: list[str], key: str) -> str:
        return row[columns[key]] if key in columns else ""

    for row in rows:
        if not row or all(not value for value in row):
            continue
        if len(row) < width:
            raise ValueError(f"a {direction} channel row has {len(row)} cells, expected {width}")
        lock = cell(row, "lock").lower()
        if "lock" in columns and (not lock.startswith("locked")):
            continue  # "Not Locked" rows are dropped, as the modem's own page does
        channel_id = cell_number(cell(row, "channel_id"), "channel id")
        if channel_id is None:
            raise ValueError(f"a {direction} channel row has no channel id")
        kind = cell(row, "type").upper()
        block = "OFDM" in kind
        if direction is Direction.DOWNSTREAM:
            family = Family.OFDM if block else Family.SC_QAM
        else:
            family = Family.OFDMA if block else Family.SC_QAM
        frequency = _web_hz(cell(row, "frequency"), "frequency")
        end: int | None = None
        channel_width = _web_hz(cell(row, "width"), "width") if "width" in columns else None
        if block and frequency is not None and channel_width:
            frequency, end = frequency - channel_width // 2, frequency + channel_width // 2
        modulation = None if block else normalize_modulation(cell(row, "modulation") or None)
        corrected = (
            cell_number(cell(row, "corrected"), "corrected") if "corrected" in columns else None
        )
        uncorrected = (
            cell_number(cell(row, "uncorrected"), "uncorrectable")
            if "uncorrected" in columns
            else None
        )
        channels.append(
            Channel(
                direction=direction,
                family=family,
                channel_id=int(channel_id),
                frequency_hz=frequency,
                frequency_end_hz=end,
                power_dbmv=cell_number(cell(row, "power"), "power"),
                snr_db=cell_number(cell(row, "snr"), "SNR") if "snr" in columns else None,
                modulation=modulation,
                corrected=None if corrected is None else int(corrected),
                uncorrected=None if uncorrected is None else int(uncorrected),
                locked=True if "lock" in columns else None,
                symbol_rate_ksym=(
                    channel_width / 1250
                    if channel_width and not block and direction is Direction.UPSTREAM
                    else None
                ),
            )
        )
    return channels


def parse_connection_status(text: str) -> tuple[tuple[Channel, ...], tuple[Channel, ...]]:
    """Parse ``cmconnectionstatus.html`` into (downstream, upstream) channels.

    The downstream table is the first channel table with an SNR/MER column,
    the upstream table the next one (on the modem: tables 2 and 3).

    Raises:
        ValueError: no downstream channel table, or an unreadable row.
    """
    found = [table for table in map(_channel_table, _tables(text)) if table is not None]
    downstream_table = next((table for table in found if "snr" in table[0]), None)
    if downstream_table is None:
        raise ValueError("no downstream channel table: not the TC4400 connection status page")
    rest = found[found.index(downstream_table) + 1 :]
    downstream = _web_channels(downstream_table[1], downstream_table[0], Direction.DOWNSTREAM)
    upstream = _web_channels(rest[0][1], rest[0][0], Direction.UPSTREAM) if rest else []
    return tuple(downstream), tuple(upstream)


def is_status_page(text: str) -> bool:
    """Return whether a page has any channel table at all (not a TC4400 otherwise)."""
    return any(_channel_table(table) is not None for table in _tables(text))


def parse_uptime(text: str | None) -> int | None:
    """Turn "12 days 03h:04m:05s" (and similar) into seconds; None if unreadable."""
    return uptime_seconds(_UPTIME, text)


def parse_software_info(text: str) -> DeviceInfo:
    """Parse ``cmswinfo.html``'s label/value rows into what the modem says about itself."""
    labels: dict[str, str] = {}
    for table in _tables(text):
        for row in table:
            if len(row) >= 2 and row[0]:
                labels.setdefault(row[0].rstrip(":").strip().lower(), row[1])

    def label(*names: str) -> str | None:
        for name in names:
            if labels.get(name):
                return labels[name]
        return None

    docsis = re.search(r"\d\.\d", label("standard specification compliant") or "")
    mac = label("cable modem mac address", "cm mac address", "mac address")
    return DeviceInfo(
        manufacturer=label("vendor name") or MANUFACTURER,
        model=label("model name") or DEFAULT_MODEL,
        firmware=label("software version"),
        uptime_seconds=parse_uptime(label("system up time", "up time")),
        serial=label("cable modem serial number", "serial number"),
        mac=mac.lower() if mac else None,
        docsis_version=docsis.group() if docsis else None,
    )
