"""Parsers for the XML pages of the Compal CH7465 (Connect Box) web interface.

The modem answers ``POST /xml/getter.xml`` with ``fun=N`` by one small XML
document per function:

* fun=1 ``<GlobalSettings>``: model, firmware, operator, the PLAY marker and
  whether logins are locked;
* fun=2 ``<cm_system_info>``: uptime, hardware version, MAC and serial;
* fun=10 ``<downstream_table>`` and fun=11 ``<upstream_table>``: the channels;
* fun=22: the login failure counter (seconds until the next login is allowed);
* fun=144 ``<cmstatus>``: DOCSIS mode and the provisioned service flows.

Everything here is pure: text in, model objects out, ``ValueError`` for a page
that is not the expected one.  Values the modem does not report stay ``None``;
in particular the upstream table has no codeword counters, and a missing
downstream counter is not a zero.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
import re
from xml.etree import ElementTree as ET

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import uptime_seconds

MANUFACTURER = "Compal"
DEFAULT_MODEL = "CH7465"

# A DOCTYPE is where entity definitions live ("billion laughs" and external
# entities).  The modem never sends one, so refusing it costs nothing.
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_UPTIME = re.compile(
    r"^\s*(?:(\d+)\s*day\(?s?\)?\s*)?(\d+)\s*h\s*:?\s*(\d+)\s*m\s*:?\s*(\d+)\s*s?\s*$",
    re.IGNORECASE,
)
_DOCSIS_VERSION = re.compile(r"(\d+\.\d+)")
_LOCK_FLAGS = ("IsQamLocked", "IsFECLocked", "IsMpegLocked", "IsLocked", "usLocked")


@dataclass(frozen=True, slots=True)
class GlobalSettings:
    """What fun=1 says before and after login."""

    model: str | None
    firmware: str | None
    vendor_model: str | None
    operator: str | None
    locked_out: bool
    play: bool


def parse_xml(text: str | bytes, root_tag: str | None = None) -> ET.Element:
    """Parse one getter answer; refuse entity declarations and unexpected roots.

    Raises:
        ValueError: the text is empty, not XML, declares a DOCTYPE or entities,
            or its root element is not ``root_tag``.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if not data.strip():
        raise ValueError("empty page")
    if _DOCTYPE.search(data):
        raise ValueError("the page declares a DOCTYPE or entities")
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE and entities refused above
    except ET.ParseError as err:
        raise ValueError(f"not well-formed XML: {err}") from err
    if root_tag is not None and root.tag != root_tag:
        raise ValueError(f"expected <{root_tag}>, got <{root.tag}>")
    return root


def _text(node: ET.Element, tag: str) -> str | None:
    """Return the stripped text of a child element, or None if absent or empty."""
    child = node.find(tag)
    if child is None or child.text is None:
        return None
    value = child.text.strip()
    return value or None


def _int(node: ET.Element, tag: str) -> int | None:
    value = _text(node, tag)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as err:
        raise ValueError(f"<{tag}> is not an integer: {value!r}") from err


def _float(node: ET.Element, tag: str) -> float | None:
    value = _text(node, tag)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError as err:
        raise ValueError(f"<{tag}> is not a number: {value!r}") from err
    if not math.isfinite(number):
        raise ValueError(f"<{tag}> is not a finite number: {value!r}")
    return number


def _channel_id(node: ET.Element, tag: str) -> int:
    channel_id = _int(node, tag)
    if channel_id is None:
        raise ValueError(f"a channel row has no <{tag}>")
    return channel_id


def _frequency(node: ET.Element) -> int | None:
    """Return the centre frequency in Hz; the modem reports Hz, 0 for "none"."""
    frequency = _int(node, "freq")
    return frequency or None


def _locked(node: ET.Element) -> bool | None:
    """Return whether every lock flag the row carries is set (None if it has none)."""
    flags = [value for tag in _LOCK_FLAGS if (value := _text(node, tag)) is not None]
    if not flags:
        return None
    return all(flag == "1" for flag in flags)


def parse_downstream(text: str | bytes) -> tuple[Channel, ...]:
    """Parse fun=10 into downstream SC-QAM channels.

    SNR is the ``RxMER`` (dB, with decimals); older firmware only has the
    rounded ``snr``.  ``PreRs`` counts corrected and ``PostRs`` uncorrectable
    codewords.
    """
    root = parse_xml(text, "downstream_table")
    channels = []
    for row in root.findall("downstream"):
        snr = _float(row, "RxMER")
        if snr is None:
            snr = _float(row, "snr")
        channels.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.SC_QAM,
                channel_id=_channel_id(row, "chid"),
                frequency_hz=_frequency(row),
                power_dbmv=_float(row, "pow"),
                snr_db=abs(snr) if snr is not None else None,
                modulation=normalize_modulation(_text(row, "mod")),
                corrected=_int(row, "PreRs"),
                uncorrected=_int(row, "PostRs"),
                locked=_locked(row),
            )
        )
    return tuple(channels)


def parse_upstream(text: str | bytes) -> tuple[Channel, ...]:
    """Parse fun=11 into upstream channels (ATDMA/TDMA are single-carrier QAM).

    ``srate`` is in MSym/s ("5.120") and becomes kSym/s.  The table has no
    codeword counters, so they stay None.
    """
    root = parse_xml(text, "upstream_table")
    channels = []
    for row in root.findall("upstream"):
        srate = _float(row, "srate")
        channel_type = (_text(row, "channeltype") or "").upper()
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA if "OFDMA" in channel_type else Family.SC_QAM,
                channel_id=_channel_id(row, "usid"),
                frequency_hz=_frequency(row),
                power_dbmv=_float(row, "power"),
                modulation=normalize_modulation(_text(row, "mod")),
                locked=_locked(row),
                symbol_rate_ksym=round(srate * 1000, 3) if srate is not None else None,
            )
        )
    return tuple(channels)


def parse_global_settings(text: str | bytes) -> GlobalSettings:
    """Parse fun=1 (readable before login).

    PLAY/UPC firmware is recognised by "PLAY" in ``ConfigVenderModel``.
    """
    root = parse_xml(text, "GlobalSettings")
    vendor_model = _text(root, "ConfigVenderModel")
    name = _text(root, "model_name")
    model = vendor_model or _text(root, "HwModel")
    if name and model:
        model = f"{name} ({model})"
    elif name:
        model = name
    return GlobalSettings(
        model=model,
        firmware=_text(root, "SwVersion"),
        vendor_model=vendor_model,
        operator=_text(root, "OperatorId"),
        locked_out=(_text(root, "LockedOut") or "").lower() in ("enable", "enabled", "1", "true"),
        play="PLAY" in (vendor_model or "").upper(),
    )


def parse_uptime(value: str | None) -> int | None:
    """Turn "27day(s)7h:16m:51s" into seconds; None when absent or unreadable."""
    return uptime_seconds(_UPTIME, value)


def parse_docsis_version(value: str | None) -> str | None:
    """Turn "DOCSIS 3.0" into "3.0"; None when absent or without a version."""
    if not value:
        return None
    match = _DOCSIS_VERSION.search(value)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """What fun=2 says."""

    uptime_seconds: int | None
    serial: str | None
    mac: str | None
    docsis_version: str | None
    hardware_version: str | None


def parse_system_info(text: str | bytes) -> SystemInfo:
    """Parse fun=2."""
    root = parse_xml(text, "cm_system_info")
    return SystemInfo(
        uptime_seconds=parse_uptime(_text(root, "cm_system_uptime")),
        serial=_text(root, "cm_serial_number"),
        mac=_text(root, "cm_mac_addr"),
        docsis_version=parse_docsis_version(_text(root, "cm_docsis_mode")),
        hardware_version=_text(root, "cm_hardware_version"),
    )


@dataclass(frozen=True, slots=True)
class CmStatus:
    """What fun=144 says about the provisioned line."""

    docsis_version: str | None
    downstream_kbps: int | None
    upstream_kbps: int | None


def parse_cm_status(text: str | bytes) -> CmStatus:
    """Parse fun=144: DOCSIS mode and the highest provisioned rate per direction.

    Service flows carry ``pMaxTrafficRate`` in bit/s with direction 1 =
    downstream and 2 = upstream.  Voice and management flows are small, so
    the largest flow per direction is taken as the internet tariff.
    """
    root = parse_xml(text, "cmstatus")
    best: dict[int, int] = {}
    for flow in root.findall("serviceflow"):
        direction = _int(flow, "direction")
        rate = _int(flow, "pMaxTrafficRate")
        if direction in (1, 2) and rate:
            best[direction] = max(rate, best.get(direction, 0))
    return CmStatus(
        docsis_version=parse_docsis_version(_text(root, "cm_docsis_mode")),
        downstream_kbps=best[1] // 1000 if 1 in best else None,
        upstream_kbps=best[2] // 1000 if 2 in best else None,
    )


def parse_login_fail_count(text: str | bytes) -> int:
    """Parse fun=22: seconds until the modem accepts the next login (0 = now).

    The element is ``FailCount`` under whatever root the firmware uses.
    """
    root = parse_xml(text)
    node = root if root.tag == "FailCount" else root.find(".//FailCount")
    if node is None or node.text is None or not node.text.strip():
        raise ValueError("no <FailCount> in the page")
    try:
        seconds = int(node.text.strip())
    except ValueError as err:
        raise ValueError(f"<FailCount> is not an integer: {node.text!r}") from err
    return max(seconds, 0)


def build_device_info(
    settings: GlobalSettings | None,
    system: SystemInfo | None,
    status: CmStatus | None,
) -> DeviceInfo:
    """Combine what fun=1, fun=2 and fun=144 said into one DeviceInfo."""
    docsis_version = None
    if status is not None:
        docsis_version = status.docsis_version
    if docsis_version is None and system is not None:
        docsis_version = system.docsis_version
    return DeviceInfo(
        manufacturer=MANUFACTURER,
        model=(settings.model if settings else None) or DEFAULT_MODEL,
        firmware=settings.firmware if settings else None,
        uptime_seconds=system.uptime_seconds if system else None,
        serial=system.serial if system else None,
        mac=system.mac if system else None,
        docsis_version=docsis_version,
        downstream_kbps=status.downstream_kbps if status else None,
        upstream_kbps=status.upstream_kbps if status else None,
    )
