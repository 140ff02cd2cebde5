"""Parser for the Arris "Touchstone" status page ``/cmconnectionstatus.html``.

The CM8200A serves it, and so do the SURFboard SB8200 (whose driver falls
back to it where HNAP is missing) and, under another name, the SB6183.  The
page has two tables, "Downstream Bonded Channels" and "Upstream Bonded
Channels": a title row, a row of column headers, then one row per channel.

The families differ in the order and number of columns (SB8200/CM8200: eight
downstream columns starting with "Channel ID"; SB6183: nine, with a running
"Channel" number first; the upstream "Width" in Hz or "Symbol Rate" in
Ksym/sec), so columns are found by their header text, not by position.  Real
CM8200 firmware also leaves out the ``<tr>`` before the header cells (DOCSight
issue 168), so rows are split at ``</tr>`` rather than matched as
``<tr>...</tr>``.

Pure: text in, model objects out, ``ValueError`` for a page that is not the
expected one.  A downstream modulation "Other" (or one naming OFDM) is the
DOCSIS 3.1 OFDM block; an upstream type naming OFDM is OFDMA.  Channels the
modem lists as not locked, with no channel ID, are left out: they carry no
measurement and would collide on ID 0.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

from ..model import Channel, DeviceInfo, Direction, Family, normalize_modulation
from .cells import cell_number, cell_text

MANUFACTURER = "Arris"
DEFAULT_MODEL = "CM8200A"
# Alphanumeric, at most 64 characters: what the login request answers.
_TOKEN = re.compile(r"[A-Za-z0-9]{1,64}")

_TABLE = re.compile(r"<table[^>]*>(.*?)</table>", re.I | re.S)
_ROW_END = re.compile(r"</tr\s*>", re.I)
_CELL = re.compile(r"<t([dh])(?:\s[^>]*)?>(.*?)(?=</t[dh]\s*>|<t[dh][\s>]|$)", re.I | re.S)
_MODEL = re.compile(r'id=["\']?thisModelNumberIs["\']?[^>]*>\s*([^<]*?)\s*<', re.I)
_DS_TITLE = "downstream bonded channels"
_US_TITLE = "upstream bonded channels"
_MHZ = 1_000_000
# An ATDMA channel's symbol rate is its width divided by 1.25 (roll-off).
_WIDTH_PER_SYMBOL = 1.25


@dataclass(frozen=True, slots=True)
class StatusPage:
    """What the status page says: the channels and the model shown in the header."""

    downstream: tuple[Channel, ...]
    upstream: tuple[Channel, ...]
    model: str | None


def _hz(text: str, what: str) -> int | None:
    """Return a frequency in Hz; a number with "MHz" (or a small bare number) is MHz."""
    value = cell_number(text, what)
    if not value:
        return None
    if "mhz" in text.lower() or value < 10_000:
        return round(value * _MHZ)
    return round(value)


def _rows(table: str) -> list[list[str]]:
    """Return the rows of a table as lists of cell texts, without empty rows."""
    rows = []
    for chunk in _ROW_END.split(table):
        cells = [cell_text(body) for _kind, body in _CELL.findall(chunk)]
        if cells:
            rows.append(cells)
    return rows


def _bonded_table(html: str, title: str) -> tuple[dict[str, int], list[list[str]]] | None:
    """Find the table with this title; return its column index by header, and its data rows."""
    for table in _TABLE.findall(html):
        rows = _rows(table)
        if not rows or not any(title in cell.lower() for cell in rows[0]):
            continue
        if len(rows) < 2:
            raise ValueError(f"the '{title}' table has no column headers")
        headers = {name.lower(): index for index, name in enumerate(rows[1])}
        return headers, rows[2:]
    return None


def _column(headers: dict[str, int], *names: str) -> int | None:
    for name in names:
        if name in headers:
            return headers[name]
    return None


class _Row:
    """One data row with its columns looked up by header name."""

    def __init__(self, headers: dict[str, int], cells: list[str], title: str) -> None:
        if len(cells) < len(headers):
            raise ValueError(
                f"a row of '{title}' has {len(cells)} cells, expected {len(headers)}: {cells}"
            )
        self._headers = headers
        self._cells = cells

    def text(self, *names: str) -> str:
        index = _column(self._headers, *names)
        return "" if index is None else self._cells[index]


def _locked(text: str) -> bool | None:
    lowered = text.lower()
    if not lowered:
        return None
    return lowered.startswith("locked")


def _channel_id(row: _Row) -> int | None:
    value = cell_number(row.text("channel id", "channel"), "Channel ID")
    if value is None:
        raise ValueError("a channel row has no channel ID")
    return int(value) or None


def _downstream(headers: dict[str, int], rows: list[list[str]]) -> list[Channel]:
    channels = []
    for cells in rows:
        row = _Row(headers, cells, _DS_TITLE)
        channel_id = _channel_id(row)
        locked = _locked(row.text("lock status"))
        if channel_id is None:
            continue  # an unused receiver ("Not Locked", ID 0)
        modulation = row.text("modulation")
        ofdm = modulation.lower() == "other" or "ofdm" in modulation.lower()
        corrected = cell_number(row.text("corrected", "correctables"), "Corrected")
        uncorrected = cell_number(row.text("uncorrectables", "uncorrected"), "Uncorrectables")
        channels.append(
            Channel(
                direction=Direction.DOWNSTREAM,
                family=Family.OFDM if ofdm else Family.SC_QAM,
                channel_id=channel_id,
                frequency_hz=_hz(row.text("frequency"), "Frequency"),
                power_dbmv=cell_number(row.text("power"), "Power"),
                snr_db=cell_number(row.text("snr/mer", "snr", "mer"), "SNR"),
                modulation=None if ofdm else normalize_modulation(modulation),
                corrected=None if corrected is None else int(corrected),
                uncorrected=None if uncorrected is None else int(uncorrected),
                locked=locked,
            )
        )
    return channels


def _symbol_rate(row: _Row, ofdma: bool) -> float | None:
    """Return the symbol rate in ksym/s, from "Symbol Rate" or from the channel width."""
    if ofdma:
        return None
    rate = row.text("symbol rate", "symb. rate")
    if rate:
        return cell_number(rate, "Symbol Rate")
    width = cell_number(row.text("width", "channel width"), "Width")
    if not width:
        return None
    hz = width * _MHZ if width < 1_000 else width
    return round(hz / _WIDTH_PER_SYMBOL / 1000, 3)


def _upstream(headers: dict[str, int], rows: list[list[str]]) -> list[Channel]:
    channels = []
    for cells in rows:
        row = _Row(headers, cells, _US_TITLE)
        channel_id = _channel_id(row)
        if channel_id is None:
            continue
        ofdma = "ofdm" in row.text("us channel type", "channel type").lower()
        channels.append(
            Channel(
                direction=Direction.UPSTREAM,
                family=Family.OFDMA if ofdma else Family.SC_QAM,
                channel_id=channel_id,
                frequency_hz=_hz(row.text("frequency"), "Frequency"),
                power_dbmv=cell_number(row.text("power"), "Power"),
                symbol_rate_ksym=_symbol_rate(row, ofdma),
                locked=_locked(row.text("lock status")),
            )
        )
    return channels


def parse_bonded_channels(html: str) -> tuple[tuple[Channel, ...], tuple[Channel, ...]]:
    """Read the "Downstream/Upstream Bonded Channels" tables.

    Raises:
        ValueError: there is no downstream table (the login page, another
            device), or a row is unreadable.
    """
    ds_table = _bonded_table(html, _DS_TITLE)
    if ds_table is None:
        raise ValueError("no 'Downstream Bonded Channels' table: not an Arris status page")
    us_table = _bonded_table(html, _US_TITLE)
    downstream = _downstream(*ds_table)
    upstream = _upstream(*us_table) if us_table is not None else []
    return tuple(downstream), tuple(upstream)


def has_bonded_channels(html: str) -> bool:
    """Return whether a page carries the channel tables (rather than a login form)."""
    return _DS_TITLE in html.lower()


def is_login_page(html: str) -> bool:
    """Return whether a page is a login form (it has a password field, and no channels)."""
    lowered = html.lower()
    return "password" in lowered and not has_bonded_channels(html)


def model_from_page(html: str) -> str | None:
    """Return the model the page header names (``<span id="thisModelNumberIs">``)."""
    match = _MODEL.search(html)
    return (match.group(1) or None) if match else None


def parse_status_page(html: str) -> StatusPage:
    """Parse ``/cmconnectionstatus.html`` into channels and the model name."""
    downstream, upstream = parse_bonded_channels(html)
    return StatusPage(downstream=downstream, upstream=upstream, model=model_from_page(html))


def parse_login_token(text: str) -> str | None:
    """Return the session token a login request answers, or None for anything else.

    A successful ``?<base64 credentials>`` request answers with nothing but an
    alphanumeric token of at most 64 characters; a refused one with a page.
    """
    token = text.strip()
    return token if _TOKEN.fullmatch(token) else None


def is_locked_notice(text: str) -> bool:
    """Return whether ``/Admin_Login_Lock.txt`` says the login is locked."""
    return text.strip().lower().startswith("locked")


def build_device_info(status: StatusPage, default_model: str = DEFAULT_MODEL) -> DeviceInfo:
    """Turn what the status page says about the device into a DeviceInfo."""
    return DeviceInfo(manufacturer=MANUFACTURER, model=status.model or default_model)
