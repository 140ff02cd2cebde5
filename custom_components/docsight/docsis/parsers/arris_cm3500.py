"""Parsers for the HTML pages of the Arris CM3500B (Touchstone) web interface.

* ``/cgi-bin/status_cgi``: four channel tables, each after an ``<h4>``
  heading ("Downstream QAM", "Downstream OFDM", "Upstream QAM", "Upstream
  OFDM"), then the uptime and the hardware model as label/value rows;
* ``/cgi-bin/vers_cgi``: the "System" cell lists ``HW_REV``, ``SW_REV`` and
  ``MODEL`` lines; a "Firmware Name" row names the build;
* ``/cgi-bin/config_params_cgi``: the provisioned configuration as text, with
  one ``SfMaxTrafficRate`` (bit/s) per ``Downstream``/``UpstreamServiceFlow``.
  Some firmware prints rates above 2^31 as negative signed 32-bit numbers;
  they are unwrapped here.

The pages are small and regular, so a few compiled regular expressions over
the table structure read them (no HTML tree is built: that is what makes this
fast).  Everything is pure: text in, model objects out, ``ValueError`` for a
page that is not the expected one.  Values the modem does not report (OFDM
power, lock state) stay ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import cell_number, cell_text, uptime_seconds

MANUFACTURER = "Arris"
DEFAULT_MODEL = "CM3500B"
OFDM_ID_BASE = 200  # the OFDM table has no channel IDs: the first block becomes 200

_HEADINGS = ("Downstream QAM", "Downstream OFDM", "Upstream QAM", "Upstream OFDM")
_SECTION = re.compile(
    r"<h4>\s*(Downstream|Upstream)\s+(QAM|OFDM)\s*</h4>(.*?)</table>", re.I | re.S
)
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.I | re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.I | re.S)
_LABEL = re.compile(
    r"<td[^>]*>\s*(System Uptime|Hardware Model|Hardware Info):?\s*</td>\s*<td[^>]*>(.*?)</td>",
    re.I | re.S,
)
_UPTIME = re.compile(r"(\d+)\s*d\s*:\s*(\d+)\s*h\s*:\s*(\d+)\s*m(?:\s*:\s*(\d+)\s*s)?", re.I)
_DOCSIS = re.compile(r"DOCSIS\s+(\d+\.\d+)", re.I)
_FLOW = re.compile(
    r"(Downstream|Upstream)ServiceFlow\s*=(.*?)(?=(?:Downstream|Upstream)\w*\s*=\s*$|\Z)",
    re.S | re.M,
)
_SYSTEM_LINE = re.compile(r"\b(SW_REV|MODEL):\s*([^<\r\n]+)")
_FIRMWARE_NAME = re.compile(
    r"<td[^>]*>\s*Firmware Name:\s*</td>\s*<td[^>]*>(.*?)</td>", re.I | re.S
)
_RATE = re.compile(r"^\s*SfMaxTrafficRate\s*=\s*(-?\d+)", re.M)
_MHZ = 1_000_000


@dataclass(frozen=True, slots=True)
class StatusPage:
    """What ``status_cgi`` says."""

    downstream: tuple[Channel, ...]
    upstream: tuple[Channel, ...]
    model: str | None
    uptime_seconds: int | None
    docsis_version: str | None


@dataclass(frozen=True, slots=True)
class Versions:
    """What ``vers_cgi`` says: the software revision and the model."""

    firmware: str | None
    model: str | None


@dataclass(frozen=True, slots=True)
class ServiceFlows:
    """The highest provisioned rate per direction, in kbit/s."""

    downstream_kbps: int | None
    upstream_kbps: int | None


def _int(text: str, what: str) -> int | None:
    value = cell_number(text, what)
    return None if value is None else int(value)


def _hz(text: str, what: str) -> int | None:
    value = cell_number(text, what)
    return round(value * _MHZ) if value else None


def _rows(body: str, width: int) -> list[list[str]]:
    """Return the data rows of a table: those whose first cell names a channel."""
    rows = []
    for row in _ROW.findall(body):
        cells = [cell_text(cell) for cell in _CELL.findall(row)]
        if not cells or not cells[0].startswith(("Downstream", "Upstream")):
            continue
        if len(cells) < width:
            raise ValueError(
                f"a channel row has {len(cells)} cells, expected {width}: {cells[0]!r}"
            )
        rows.append(cells)
    return rows


def _channel_id(text: str, what: str) -> int:
    value = _int(text, what)
    if value is None:
        raise ValueError(f"a channel row has no {what}")
    return value


def _ds_qam(body: str) -> list[Channel]:
    # label, DCID, Freq, Power, SNR, Modulation, Octets, Correcteds, Uncorrectables
    return [
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.SC_QAM,
            channel_id=_channel_id(cells[1], "DCID"),
            frequency_hz=_hz(cells[2], "Freq"),
            power_dbmv=cell_number(cells[3], "Power"),
            snr_db=cell_number(cells[4], "SNR"),
            modulation=normalize_modulation(cells[5]),
            corrected=_int(cells[7], "Correcteds"),
            uncorrected=_int(cells[8], "Uncorrectables"),
        )
        for cells in _rows(body, 9)
    ]


def _ds_ofdm(body: str) -> list[Channel]:
    # label, FFT, width MHz, active subcarriers, first MHz, last MHz, MER pilot/PLC/data
    return [
        Channel(
            direction=Direction.DOWNSTREAM,
            family=Family.OFDM,
            channel_id=OFDM_ID_BASE + index,
            frequency_hz=_hz(cells[4], "First Active Subcarrier"),
            frequency_end_hz=_hz(cells[5], "Last Active Subcarrier"),
            snr_db=cell_number(cells[8], "RxMER Data"),
        )
        for index, cells in enumerate(_rows(body, 9))
    ]


def _us_qam(body: str) -> list[Channel]:
    # label, UCID, Freq, Power, Channel Type, Symbol Rate (kSym/s), Modulation
    return [
        Channel(
            direction=Direction.UPSTREAM,
            family=Family.OFDMA if "OFDMA" in cells[4].upper() else Family.SC_QAM,
            channel_id=_channel_id(cells[1], "UCID"),
            frequency_hz=_hz(cells[2], "Freq"),
            power_dbmv=cell_number(cells[3], "Power"),
            modulation=normalize_modulation(cells[6]),
            symbol_rate_ksym=cell_number(cells[5], "Symbol Rate"),
        )
        for cells in _rows(body, 7)
    ]


def _us_ofdm(body: str) -> list[Channel]:
    """Read the upstream OFDMA rows.

    The header has seven columns, but the firmware sends nine cells: after
    the two subcarrier indices come the first and last frequency in MHz, then
    the power.  Seven-cell rows (the header's layout) are read as such.
    """
    channels = []
    for cells in _rows(body, 7):
        first, last = (6, 7) if len(cells) >= 9 else (4, 5)
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA,
                channel_id=_channel_id(cells[0], "channel number"),
                frequency_hz=_hz(cells[first], "First Active Subcarrier"),
                frequency_end_hz=_hz(cells[last], "Last Active Subcarrier"),
                power_dbmv=cell_number(cells[-1], "Tx Power"),
            )
        )
    return channels


def parse_uptime(value: str | None) -> int | None:
    """Turn "58 d:  1 h: 30 m" into seconds; None when absent or unreadable."""
    return uptime_seconds(_UPTIME, value)


def parse_status(text: str) -> StatusPage:
    """Parse ``status_cgi`` into channels and what it says about the device.

    Raises:
        ValueError: the page has no "Downstream QAM" table (for example the
            login page), or a channel row is unreadable.
    """
    sections: dict[str, str] = {}
    for direction, kind, body in _SECTION.findall(text):
        sections.setdefault(f"{direction.capitalize()} {kind.upper()}", body)
    if _HEADINGS[0] not in sections:
        raise ValueError("no 'Downstream QAM' table: not the CM3500 status page")
    downstream = _ds_qam(sections[_HEADINGS[0]])
    if _HEADINGS[1] in sections:
        downstream += _ds_ofdm(sections[_HEADINGS[1]])
    upstream = _us_qam(sections[_HEADINGS[2]]) if _HEADINGS[2] in sections else []
    if _HEADINGS[3] in sections:
        upstream += _us_ofdm(sections[_HEADINGS[3]])

    labels = {label.lower(): cell_text(value) for label, value in _LABEL.findall(text)}
    docsis = _DOCSIS.search(labels.get("hardware info", ""))
    return StatusPage(
        downstream=tuple(downstream),
        upstream=tuple(upstream),
        model=labels.get("hardware model") or None,
        uptime_seconds=parse_uptime(labels.get("system uptime")),
        docsis_version=docsis.group(1) if docsis else None,
    )


def parse_versions(text: str) -> Versions:
    """Parse ``vers_cgi``: SW_REV is the firmware (the build name if it is missing).

    Raises:
        ValueError: the page names neither (for example the login page).
    """
    lines = {key: cell_text(value) for key, value in _SYSTEM_LINE.findall(text)}
    name = _FIRMWARE_NAME.search(text)
    firmware = lines.get("SW_REV") or (cell_text(name.group(1)) if name else None) or None
    model = lines.get("MODEL") or None
    if firmware is None and model is None:
        raise ValueError("no SW_REV, MODEL or firmware name: not the CM3500 version page")
    return Versions(firmware=firmware, model=model)


def unwrap_rate(value: int) -> int:
    """Undo a signed 32-bit print: -1 is 4294967295 bit/s."""
    return value + 2**32 if value < 0 else value


def parse_service_flows(text: str) -> ServiceFlows:
    """Parse ``config_params_cgi``: the largest ``SfMaxTrafficRate`` per direction.

    Voice and management flows are small, so the largest flow per direction
    is taken as the internet tariff.  A page without any service flow raises
    ``ValueError``; a flow without a rate (or with 0, "unlimited") is skipped.
    """
    flows = _FLOW.findall(text)
    if not flows:
        raise ValueError("no service flows: not the CM3500 configuration page")
    best: dict[str, int] = {}
    for direction, body in flows:
        match = _RATE.search(body)
        if match is None:
            continue
        rate = unwrap_rate(int(match.group(1)))
        if rate:
            best[direction] = max(rate, best.get(direction, 0))
    return ServiceFlows(
        downstream_kbps=best["Downstream"] // 1000 if "Downstream" in best else None,
        upstream_kbps=best["Upstream"] // 1000 if "Upstream" in best else None,
    )


def is_login_page(text: str) -> bool:
    """Return whether the modem answered with its login form instead of data."""
    return 'action="login_cgi"' in text or ('name="password"' in text and "<h4>" not in text)


def build_device_info(
    status: StatusPage | None, flows: ServiceFlows | None, versions: Versions | None = None
) -> DeviceInfo:
    """Combine the status page, the service flows and the versions into one DeviceInfo."""
    return DeviceInfo(
        manufacturer=MANUFACTURER,
        model=(status.model if status else None)
        or (versions.model if versions else None)
        or DEFAULT_MODEL,
        firmware=versions.firmware if versions else None,
        uptime_seconds=status.uptime_seconds if status else None,
        docsis_version=status.docsis_version if status else None,
        downstream_kbps=flows.downstream_kbps if flows else None,
        upstream_kbps=flows.upstream_kbps if flows else None,
    )
