"""Parsers for the ``DocsisStatus.htm`` page of the Netgear CM3000.

The page carries its data not in HTML tables but in JavaScript functions, each
assigning one pipe-separated string::

    function InitDsTableTagValue()
    {
        var tagValueList = '32|1|Locked|QAM256|20|495000000 Hz|-0.2|42.7|23958|32851|...';
        return tagValueList.split("|");
    }

The first value is the row count, then the rows follow with a fixed width:

* ``InitDsTableTagValue`` (9): num, lock, modulation, channel id, frequency,
  power, SNR, correctable, uncorrectable;
* ``InitUsTableTagValue`` (7): num, lock, channel type, channel id, symbol
  rate, frequency, power;
* ``InitDsOfdmTableTagValue`` (11): num, lock, profile ids, channel id,
  frequency, power, SNR/MER, active subcarrier range, unerrored,
  correctable and uncorrectable codewords;
* ``InitUsOfdmaTableTagValue`` (6): num, lock, profile ids, channel id,
  frequency, power;
* ``InitTagValue``: system values; index 14 is the uptime ("23 days 09:26:24").

OFDM codeword counters (DOCSight issue 815): DOCSight read the correctable and
uncorrectable OFDM counters from row positions 8 and 9.  Position 8 is the
*unerrored* codeword counter, so corrected came out as the unerrored count and
uncorrected as the corrected count, while the real uncorrectable count was
lost.  The row has 11 fields and the last three are unerrored, correctable and
uncorrectable, in the order the modem's own page labels them; the upstream fix
(itsDNNS/docsight pull request 817, "Fix CM3000 OFDM error counter mapping",
closes 815) moved them to 9 and 10.  This parser reads positions 9 and 10 and
ignores the unerrored count.  The real capture agrees: its second OFDM channel
has 378 at position 10 (a plausible uncorrectable count) against 19 395 421 307
at position 9.

Placeholder rows for unused receivers (channel id 0, frequency 0) are dropped.
Everything here is pure: text in, model objects out, ``ValueError`` for a page
that is not the expected one.  Values the modem does not report stay ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import uptime_seconds

MANUFACTURER = "Netgear"
DEFAULT_MODEL = "CM3000"
DEFAULT_LOGIN_ACTION = "/goform/Login"

DS_FUNCTION = "InitDsTableTagValue"
US_FUNCTION = "InitUsTableTagValue"
DS_OFDM_FUNCTION = "InitDsOfdmTableTagValue"
US_OFDMA_FUNCTION = "InitUsOfdmaTableTagValue"
SYSTEM_FUNCTION = "InitTagValue"

DS_FIELDS = 9
US_FIELDS = 7
DS_OFDM_FIELDS = 11
US_OFDMA_FIELDS = 6

# Positions inside one OFDM downstream row (see the module docstring, issue 815).
OFDM_UNERRORED = 8
OFDM_CORRECTED = 9
OFDM_UNCORRECTED = 10

SYSTEM_UPTIME = 14

_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(?:hz|dbmv|db|ksym/sec|ksym/s|msym/sec)?$", re.I)
_UPTIME = re.compile(
    r"^\s*(?:(\d+)\s*days?\s*,?\s*)?(\d+)\s*:\s*(\d{1,2})\s*:\s*(\d{1,2})\s*$", re.IGNORECASE
)
_LOGIN_MARKERS = re.compile(r"name\s*=\s*['\"]?loginPassword\b|/goform/Login\b", re.IGNORECASE)
_FORM_ACTION = re.compile(
    r"<form\b[^>]*\baction\s*=\s*(['\"])([^'\"]*)\1", re.IGNORECASE | re.DOTALL
)


def tag_value_list(page: str, function: str) -> list[str] | None:
    """Return the split ``tagValueList`` of one JS function, or None if absent.

    The function body is searched up to the first ``tagValueList`` assignment,
    single- or double-quoted.
    """
    pattern = re.compile(
        r"function\s+"
        + re.escape(function)
        + r"\s*\(\s*\)\s*\{[^}]*?\btagValueList\s*=\s*(['\"])(.*?)\1",
        re.DOTALL,
    )
    match = pattern.search(page)
    if match is None:
        return None
    return match.group(2).split("|")


def split_rows(values: list[str], width: int) -> list[list[str]]:
    """Cut ``count|row…`` into rows of ``width`` fields.

    Raises:
        ValueError: the count is not a number or the rows are shorter than it says.
    """
    count_text = values[0].strip() if values else ""
    if not count_text.isdigit():
        raise ValueError(f"the tagValueList does not start with a row count: {count_text!r}")
    count = int(count_text)
    fields = values[1:]
    if len(fields) < count * width:
        raise ValueError(
            f"the tagValueList announces {count} rows of {width} but has {len(fields)} values"
        )
    return [[field.strip() for field in fields[i * width : (i + 1) * width]] for i in range(count)]


def _number(value: str) -> float | None:
    """Read "495000000 Hz", "-0.32 dBmV", "41.8 dB" or "5120 Ksym/sec"; None if blank/N/A.

    Raises:
        ValueError: the value is neither blank nor a finite number with a known unit.
    """
    text = value.replace("&nbsp;", " ").strip()
    if not text or text.upper() in ("N/A", "NA", "-", "--"):
        return None
    match = _NUMBER.match(text)
    if match is None:
        raise ValueError(f"not a number: {value!r}")
    number = float(match.group(1))
    if not math.isfinite(number):  # pragma: no cover - the pattern admits only digits
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _int(value: str) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _counter(value: str) -> int | None:
    """Read a codeword counter; these are plain non-negative integers."""
    text = value.strip()
    if not text:
        return None
    if not text.isdigit():
        raise ValueError(f"not a codeword counter: {value!r}")
    return int(text)


def _frequency(value: str) -> int | None:
    frequency = _int(value)
    return frequency or None


def _locked(value: str) -> bool | None:
    text = value.strip().lower()
    if text == "locked":
        return True
    if text in ("not locked", "unlocked"):
        return False
    return None


def _channel_id(value: str) -> int:
    channel_id = _int(value)
    if channel_id is None:
        raise ValueError("a channel row has no channel id")
    return channel_id


def _table(page: str, function: str, width: int) -> list[list[str]]:
    values = tag_value_list(page, function)
    if values is None:
        raise ValueError(f"the page has no {function}()")
    # A placeholder for an unused receiver has channel id 0.
    return [row for row in split_rows(values, width) if _channel_id(row[3]) != 0]


def parse_downstream(page: str) -> tuple[Channel, ...]:
    """Parse ``InitDsTableTagValue`` into downstream SC-QAM channels."""
    return tuple(
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=_channel_id(row[3]),
            frequency_hz=_frequency(row[4]),
            power_dbmv=_number(row[5]),
            snr_db=_number(row[6]),
            modulation=normalize_modulation(row[2] or None),
            corrected=_counter(row[7]),
            uncorrected=_counter(row[8]),
            locked=_locked(row[1]),
        )
        for row in _table(page, DS_FUNCTION, DS_FIELDS)
    )


def parse_upstream(page: str) -> tuple[Channel, ...]:
    """Parse ``InitUsTableTagValue`` into upstream SC-QAM (ATDMA/TDMA) channels.

    The table names the channel type, not the constellation, so the modulation
    stays None; it has no codeword counters either.
    """
    return tuple(
        Channel(
            direction=Direction.UPSTREAM,
            family=Family.SC_QAM,
            channel_id=_channel_id(row[3]),
            frequency_hz=_frequency(row[5]),
            power_dbmv=_number(row[6]),
            locked=_locked(row[1]),
            symbol_rate_ksym=_number(row[4]),
        )
        for row in _table(page, US_FUNCTION, US_FIELDS)
    )


def parse_downstream_ofdm(page: str) -> tuple[Channel, ...]:
    """Parse ``InitDsOfdmTableTagValue`` into downstream OFDM channels.

    Corrected and uncorrected come from positions 9 and 10 (see issue 815 in the
    module docstring).  The frequency is what the modem reports for the block.
    """
    return tuple(
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.OFDM,
            channel_id=_channel_id(row[3]),
            frequency_hz=_frequency(row[4]),
            power_dbmv=_number(row[5]),
            snr_db=_number(row[6]),
            corrected=_counter(row[OFDM_CORRECTED]),
            uncorrected=_counter(row[OFDM_UNCORRECTED]),
            locked=_locked(row[1]),
        )
        for row in _table(page, DS_OFDM_FUNCTION, DS_OFDM_FIELDS)
    )


def parse_upstream_ofdma(page: str) -> tuple[Channel, ...]:
    """Parse ``InitUsOfdmaTableTagValue`` into upstream OFDMA channels."""
    return tuple(
        Channel(
            direction=Direction.UPSTREAM,
            family=Family.OFDMA,
            channel_id=_channel_id(row[3]),
            frequency_hz=_frequency(row[4]),
            power_dbmv=_number(row[5]),
            locked=_locked(row[1]),
        )
        for row in _table(page, US_OFDMA_FUNCTION, US_OFDMA_FIELDS)
    )


def parse_uptime(value: str | None) -> int | None:
    """Turn "23 days 09:26:24" into seconds; None when absent or unreadable."""
    return uptime_seconds(_UPTIME, value)


@dataclass(frozen=True, slots=True)
class DocsisStatus:
    """Everything ``DocsisStatus.htm`` says."""

    device: DeviceInfo
    downstream: tuple[Channel, ...]
    upstream: tuple[Channel, ...]


def parse_device_info(page: str) -> DeviceInfo:
    """Build the DeviceInfo from ``InitTagValue`` (the uptime is all it adds)."""
    values = tag_value_list(page, SYSTEM_FUNCTION) or []
    uptime = values[SYSTEM_UPTIME] if len(values) > SYSTEM_UPTIME else None
    return DeviceInfo(
        manufacturer=MANUFACTURER,
        model=DEFAULT_MODEL,
        uptime_seconds=parse_uptime(uptime),
    )


def parse_docsis_status(page: str) -> DocsisStatus:
    """Parse the whole page: SC-QAM tables first, then OFDM/OFDMA if present.

    Raises:
        ValueError: the page lacks the SC-QAM tables (a login or error page) or
            a table is malformed.
    """
    has_ofdm = tag_value_list(page, DS_OFDM_FUNCTION) is not None
    has_ofdma = tag_value_list(page, US_OFDMA_FUNCTION) is not None
    downstream = parse_downstream(page) + (parse_downstream_ofdm(page) if has_ofdm else ())
    upstream = parse_upstream(page) + (parse_upstream_ofdma(page) if has_ofdma else ())
    return DocsisStatus(device=parse_device_info(page), downstream=downstream, upstream=upstream)


def is_login_page(page: str) -> bool:
    """Return whether the modem answered with its login form instead of data."""
    return tag_value_list(page, DS_FUNCTION) is None and _LOGIN_MARKERS.search(page) is not None


def login_form_action(page: str) -> str:
    """Return the login form's action, defaulting to ``/goform/Login``."""
    match = _FORM_ACTION.search(page)
    action = match.group(2).strip() if match else ""
    return action or DEFAULT_LOGIN_ACTION
