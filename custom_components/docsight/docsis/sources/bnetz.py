"""BNetzA broadband measurement campaigns: read the protocol, judge it by the statute.

A German customer proves a slow fixed-line connection with the Bundesnetzagentur's
Breitbandmessung desktop app: a *campaign* of measurements, documented by the
app's "Messprotokoll der Breitbandmessung" PDF or exported as CSV.  This module

* reads both: the PDF with pdfminer.six (its text lines rebuilt by position, so
  that a table row is one line whatever boxes the layout analysis made of its
  cells), the CSV by column names, German or English numbers;
* judges the measurements by the statutory rule itself (the reference app only
  copies the PDF's own statement, and a CSV has none): the rule's numbers are
  data (``bnetz_rules.json``, with its legal source), applied to download and
  upload separately, and the result names each criterion with the numbers
  behind it, or says the measurements are no complete campaign;
* stores a campaign in the ``bnetz_measurements`` table as one transaction,
  recognising a file imported before by its SHA-256 (kept in ``source``);
* scans a watched folder: new files are imported and moved to ``processed/``,
  files that cannot be imported are moved to ``failed/`` (so that they are
  neither retried every scan nor lost), a file seen before goes to
  ``processed/`` without a second import.

Everything here blocks (files, PDF parsing, SQLite): the Home Assistant layer
runs it in an executor or on the history store's thread.

Stored layout of ``bnetz_measurements.measurements`` (shared with the demo
seeder): a list of ``{"nr", "timestamp" (UTC, Z), "download_mbps",
"upload_mbps"}``, plus ``"upload_timestamp"`` where a protocol gives the upload
of a measurement another time than its download.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
import hashlib
import io
import json
import logging
from pathlib import Path
import re
import struct
from typing import TYPE_CHECKING, Any
import zlib

from ..errors import ReasonError
from ..storage import iso_z, parse_z
from . import SourceError

if TYPE_CHECKING:
    from ..storage import HistoryStore

_LOGGER = logging.getLogger(__name__)

RULES_FILE = Path(__file__).with_name("bnetz_rules.json")
PROTOCOL_MARKER = "Messprotokoll der Breitbandmessung"
DIRECTIONS = ("download", "upload")
# A protocol is a few pages and some hundred kilobytes; anything far bigger is
# not one, and is refused before it is read into memory.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 60
SUFFIXES = {".pdf": "pdf", ".csv": "csv"}
PROCESSED_DIR = "processed"
FAILED_DIR = "failed"
# A file younger than this may still be being copied into the watched folder.
DEFAULT_SETTLE = timedelta(seconds=10)


class Verdict(StrEnum):
    """The outcome for one direction."""

    OK = "ok"
    DEVIATION = "deviation"
    # The measurements are no full campaign: the statute says nothing about them.
    INCOMPLETE = "incomplete"
    # The contractual rates are unknown (a CSV export without them).
    NO_TARIFF = "no_tariff"


class BnetzImportError(SourceError, ReasonError):
    """A file cannot be imported; every reason is one the user can act on.

    (A different file, a repaired export.)
    """


class DuplicateImportError(BnetzImportError):
    """The same file (by content) was imported before."""

    def __init__(self, campaign_id: int, campaign_date: str) -> None:
        """Name the stored campaign the file became."""
        super().__init__(
            "already_imported",
            f"this file was imported before (campaign of {campaign_date})",
            date=campaign_date,
        )
        self.campaign_id = campaign_id


# -- model ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tariff:
    """The contractual rates of one direction, Mbit/s."""

    maximum: float
    normal: float
    minimum: float


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured rate of one direction (``measured_at`` in local time)."""

    nr: int
    measured_at: datetime
    mbps: float


@dataclass(frozen=True, slots=True)
class Campaign:
    """A measurement campaign as a protocol or an export gives it."""

    date: date
    provider: str | None
    tariff_name: str | None
    download_tariff: Tariff | None
    upload_tariff: Tariff | None
    download: tuple[Sample, ...]
    upload: tuple[Sample, ...]
    kind: str  # "pdf", "csv" or "demo"
    declared_count: int | None = None
    # The protocol's own statement per direction ("ok"/"deviation"), if any.
    official: Mapping[str, str] = field(default_factory=dict)

    def samples(self, direction: str) -> tuple[Sample, ...]:
        """Return the samples of ``download`` or ``upload``."""
        return self.download if direction == "download" else self.upload

    def tariff(self, direction: str) -> Tariff | None:
        """Return the contractual rates of ``download`` or ``upload``."""
        return self.download_tariff if direction == "download" else self.upload_tariff

    def average(self, direction: str) -> float | None:
        """Return the mean measured rate of a direction, to 0.01 Mbit/s."""
        samples = self.samples(direction)
        if not samples:
            return None
        return round(sum(sample.mbps for sample in samples) / len(samples), 2)

    @property
    def measurement_count(self) -> int:
        """Return the number of measurements (the larger of the two directions)."""
        return max(len(self.download), len(self.upload))

    @property
    def last_measured_at(self) -> datetime | None:
        """Return when the last measurement of either direction was taken."""
        times = [sample.measured_at for sample in (*self.download, *self.upload)]
        return max(times) if times else None


@dataclass(frozen=True, slots=True)
class RuleProfile:
    """The statutory rule's numbers (see ``bnetz_rules.json``)."""

    id: str
    name: str
    source: str
    measurements: int
    days: int
    per_day: int
    maximum_share_percent: int
    maximum_days_required: int
    normal_share_percent: int
    minimum_days_undercut: int


def load_rule(path: Path = RULES_FILE) -> RuleProfile:
    """Load a rule profile from its JSON file."""
    data = json.loads(path.read_text(encoding="utf-8"))
    campaign, criteria = data["campaign"], data["criteria"]
    return RuleProfile(
        id=data["id"],
        name=data["name"],
        source=data["source"],
        measurements=int(campaign["measurements"]),
        days=int(campaign["days"]),
        per_day=int(campaign["per_day"]),
        maximum_share_percent=int(criteria["maximum"]["share_percent"]),
        maximum_days_required=int(criteria["maximum"]["days_required"]),
        normal_share_percent=int(criteria["normal"]["share_percent"]),
        minimum_days_undercut=int(criteria["minimum"]["days_undercut"]),
    )


DEFAULT_RULE = load_rule()


# -- the verdict --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One statutory criterion applied to one direction.

    ``fired`` means the criterion establishes a deviation.  ``observed`` is
    what was counted (days reaching 90 % of the maximum, measurements reaching
    the normal rate, days undercutting the minimum), ``limit`` the count the
    rule compares it with, ``total`` what it was counted out of.
    """

    key: str  # "maximum", "normal", "minimum"
    fired: bool
    threshold_mbps: float
    observed: int
    limit: int
    total: int

    def describe(self) -> str:
        """Say in English what was counted and why it fired or not."""
        if self.key == "maximum":
            return (
                f"{self.threshold_mbps:g} Mbit/s (share of the maximum) reached on "
                f"{self.observed} of {self.total} days; at least {self.limit} required"
            )
        if self.key == "normal":
            return (
                f"normal rate {self.threshold_mbps:g} Mbit/s reached in {self.observed} of "
                f"{self.total} measurements; at least {self.limit} required"
            )
        return (
            f"minimum {self.threshold_mbps:g} Mbit/s undercut on {self.observed} of "
            f"{self.total} days; a deviation from {self.limit} days"
        )


@dataclass(frozen=True, slots=True)
class DirectionVerdict:
    """The verdict of one direction, with the criteria behind it."""

    direction: str
    verdict: Verdict
    criteria: tuple[CriterionResult, ...] = ()
    # Why the measurements are no full campaign (English, for logs and attributes).
    problems: tuple[str, ...] = ()
    measurements: int = 0
    per_day: Mapping[date, int] = field(default_factory=dict)

    @property
    def fired(self) -> tuple[str, ...]:
        """Return the keys of the criteria that establish the deviation."""
        return tuple(result.key for result in self.criteria if result.fired)


def _centi(mbps: float) -> int:
    """Mbit/s in hundredths, the precision a protocol prints: comparisons stay exact."""
    return round(mbps * 100)


def evaluate_direction(
    direction: str,
    samples: Sequence[Sample],
    tariff: Tariff | None,
    rule: RuleProfile = DEFAULT_RULE,
) -> DirectionVerdict:
    """Apply the rule to one direction's measurements."""
    per_day = Counter(sample.measured_at.date() for sample in samples)
    problems: list[str] = []
    if len(samples) != rule.measurements:
        problems.append(f"{len(samples)} measurements, {rule.measurements} required")
    if len(per_day) != rule.days:
        problems.append(f"{len(per_day)} measurement days, {rule.days} required")
    problems.extend(
        f"{day.isoformat()}: {count} measurements, {rule.per_day} required"
        for day, count in sorted(per_day.items())
        if count != rule.per_day
    )
    counted = dict(sorted(per_day.items()))
    if problems:
        return DirectionVerdict(
            direction, Verdict.INCOMPLETE, (), tuple(problems), len(samples), counted
        )
    if tariff is None:
        return DirectionVerdict(direction, Verdict.NO_TARIFF, (), (), len(samples), counted)

    days: dict[date, list[int]] = {}
    for sample in samples:
        days.setdefault(sample.measured_at.date(), []).append(_centi(sample.mbps))
    maximum, normal, minimum = (
        _centi(rate) for rate in (tariff.maximum, tariff.normal, tariff.minimum)
    )

    # (a) At least once a day 90 % of the maximum, on at least two of three days.
    share = rule.maximum_share_percent
    days_reached = sum(1 for values in days.values() if max(values) * 100 >= maximum * share)
    criterion_max = CriterionResult(
        key="maximum",
        fired=days_reached < rule.maximum_days_required,
        threshold_mbps=round(tariff.maximum * share / 100, 2),
        observed=days_reached,
        limit=rule.maximum_days_required,
        total=len(days),
    )
    # (b) The normal rate in at least 90 % of the measurements.
    reached = sum(1 for values in days.values() for value in values if value >= normal)
    required = -(-rule.normal_share_percent * len(samples) // 100)  # ceiling
    criterion_normal = CriterionResult(
        key="normal",
        fired=reached < required,
        threshold_mbps=tariff.normal,
        observed=reached,
        limit=required,
        total=len(samples),
    )
    # (c) The minimum undercut on at least two of three days.
    days_undercut = sum(1 for values in days.values() if min(values) < minimum)
    criterion_min = CriterionResult(
        key="minimum",
        fired=days_undercut >= rule.minimum_days_undercut,
        threshold_mbps=tariff.minimum,
        observed=days_undercut,
        limit=rule.minimum_days_undercut,
        total=len(days),
    )
    criteria = (criterion_max, criterion_normal, criterion_min)
    verdict = Verdict.DEVIATION if any(c.fired for c in criteria) else Verdict.OK
    return DirectionVerdict(direction, verdict, criteria, (), len(samples), counted)


def evaluate(campaign: Campaign, rule: RuleProfile = DEFAULT_RULE) -> dict[str, DirectionVerdict]:
    """Judge both directions of a campaign."""
    return {
        direction: evaluate_direction(
            direction, campaign.samples(direction), campaign.tariff(direction), rule
        )
        for direction in DIRECTIONS
    }


# -- numbers and dates ----------------------------------------------------------

_NUMBER = re.compile(r"^[+]?(\d+(?:[.,]\d+)*)$")


def parse_number(text: str, *, german: bool) -> float | None:
    """Parse a rate as printed: German (1.000,50) or English (1,000.50) digits.

    With both separators the last one is the decimal mark.  A lone separator
    followed by exactly three-digit groups is a thousands separator in the
    file's convention (``german``: dots), else a decimal mark.  Returns None
    for anything that is not a non-negative finite number.
    """
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    match = _NUMBER.match(text)
    if match is None:
        return None
    digits = match.group(1)
    if "," in digits and "." in digits:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        if digits.count(decimal) > 1:
            return None
        digits = digits.replace(thousands, "").replace(decimal, ".")
    elif "," in digits or "." in digits:
        mark = "," if "," in digits else "."
        grouped = re.fullmatch(rf"\d{{1,3}}(?:{re.escape(mark)}\d{{3}})+", digits) is not None
        thousands_mark = "." if german else ","
        if grouped and mark == thousands_mark:
            digits = digits.replace(mark, "")
        elif digits.count(mark) > 1:
            return None
        else:
            digits = digits.replace(mark, ".")
    return float(digits)


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def _parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _parse_time(text: str) -> time | None:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def _parse_moment(text: str) -> tuple[date | None, time | None]:
    """Split "03.03.2026 14:26:41", "2026-03-03T14:26", or a bare date."""
    text = text.strip()
    parts = re.split(r"[ T]+", text, maxsplit=1)
    day = _parse_date(parts[0])
    if day is None or len(parts) == 1:
        return day, None
    moment = _parse_time(parts[1].removesuffix("Uhr").strip())
    return (day, moment) if moment is not None else (None, None)


def _local(day: date, moment: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, moment).replace(tzinfo=zone)


# -- the PDF protocol ---------------------------------------------------------------

# pdfminer raises these (and a few builtins) on damaged files.
_PDF_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    AttributeError,
    AssertionError,
    RecursionError,
    struct.error,
    zlib.error,
)


def pdf_page_lines(data: bytes, *, max_pages: int = MAX_PDF_PAGES) -> Iterator[list[str]]:
    """Yield each page's text as lines, rebuilt from the positions of the text.

    pdfminer's layout analysis makes separate boxes of table cells and of the
    two columns of a page; joining the pieces that share a baseline, left to
    right, gives back the rows a reader sees.  Raises BnetzImportError for a
    file pdfminer cannot read.
    """
    # Imported here: pdfminer is only needed when a PDF is actually read.
    from pdfminer.high_level import extract_pages  # noqa: PLC0415
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine  # noqa: PLC0415
    from pdfminer.psexceptions import PSException  # noqa: PLC0415

    errors: tuple[type[Exception], ...] = (PSException, *_PDF_ERRORS)
    pages = extract_pages(io.BytesIO(data), maxpages=max_pages, laparams=LAParams())
    while True:
        try:
            page = next(pages)
        except StopIteration:
            return
        except errors as err:
            raise BnetzImportError(
                "unreadable_pdf", f"the PDF cannot be read: {err!r}", error=type(err).__name__
            ) from err
        pieces: list[tuple[float, float, float, str]] = []
        stack: list[Any] = list(page)
        while stack:
            item = stack.pop()
            if isinstance(item, LTTextLine):
                text = " ".join(item.get_text().split())
                if text:
                    pieces.append(((item.y0 + item.y1) / 2, item.x0, item.height, text))
            elif isinstance(item, LTTextContainer):
                stack.extend(item)
        yield _rows(pieces)


def _rows(pieces: list[tuple[float, float, float, str]]) -> list[str]:
    """Group text pieces into rows by their vertical centre, top to bottom."""
    pieces.sort(key=lambda piece: (-piece[0], piece[1]))
    rows: list[list[tuple[float, str]]] = []
    row_y = row_height = 0.0
    for y, x, height, text in pieces:
        if rows and abs(row_y - y) <= max(1.0, 0.4 * min(row_height, height)):
            rows[-1].append((x, text))
            continue
        rows.append([(x, text)])
        row_y, row_height = y, height
    return [" ".join(text for _, text in sorted(row)) for row in rows]


_PDF_DATE = re.compile(rf"{PROTOCOL_MARKER}\s+vom\s+(\d{{2}}\.\d{{2}}\.\d{{4}})")
_PDF_FIELD = {
    "provider": re.compile(r"Anbieter:\s*(.+)"),
    "tariff": re.compile(r"Tarifname:\s*(.+)"),
}
_PDF_COUNT = re.compile(r"Anzahl Messungen:\s*(\d+)")
_PDF_RATE = {
    name: re.compile(rf"{label}:\s*([\d.,]+)\s*Mbit/s")
    for name, label in (("maximum", "Maximal"), ("normal", "Normalerweise"), ("minimum", "Minimal"))
}
_PDF_OFFICIAL = re.compile(r"im (Download|Upload) wurde (nicht )?festgestellt")
_PDF_OVERALL = re.compile(r"Es wurde (keine|eine) erhebliche")
_PDF_ROW = re.compile(
    r"^(\d{1,3})\s+(\d{2}\.\d{2}\.\d{4})\s+(\d{1,2}:\d{2}(?::\d{2})?)\s+([\d.,]+)\s*Mbit/s"
)


def parse_protocol_lines(pages: Iterable[list[str]], time_zone: tzinfo) -> Campaign:
    """Read a Messprotokoll from its pages' text lines.

    The first page must carry the protocol's title (anything else is a
    foreign PDF); the rates' first occurrence is the download, the second the
    upload; measurement rows belong to the table whose heading ("Messungen im
    Download/Upload") came last, so a table continued on the next page keeps
    its direction.
    """
    lines: list[str] = []
    for number, page in enumerate(pages):
        if number == 0 and PROTOCOL_MARKER not in " ".join(page):
            raise BnetzImportError(
                "not_a_protocol", "the PDF is no Messprotokoll der Breitbandmessung"
            )
        lines.extend(page)
    if not lines:
        raise BnetzImportError("not_a_protocol", "the PDF has no text")
    text = "\n".join(lines)
    missing: list[str] = []

    date_match = _PDF_DATE.search(text)
    protocol_date = _parse_date(date_match.group(1)) if date_match else None
    if protocol_date is None:
        missing.append("Datum (vom)")
    fields = {
        name: m.group(1).strip() if (m := rx.search(text)) else None
        for name, rx in _PDF_FIELD.items()
    }

    rates: dict[str, list[float]] = {}
    for name, rx in _PDF_RATE.items():
        values = [parse_number(m.group(1), german=True) for m in rx.finditer(text)]
        rates[name] = [value for value in values if value is not None]
        if len(rates[name]) < 2:
            missing.append(
                {"maximum": "Maximal", "normal": "Normalerweise", "minimum": "Minimal"}[name]
            )

    samples: dict[str, list[Sample]] = {"download": [], "upload": []}
    section: str | None = None
    for line in lines:
        if "Messungen im Download" in line:
            section = "download"
        elif "Messungen im Upload" in line:
            section = "upload"
        elif section is not None and (row := _PDF_ROW.match(line)):
            day, moment = _parse_date(row.group(2)), _parse_time(row.group(3))
            value = parse_number(row.group(4), german=True)
            if day is None or moment is None or value is None:
                raise BnetzImportError(
                    "protocol_invalid", f"unreadable measurement row: {line}", detail=line
                )
            samples[section].append(
                Sample(int(row.group(1)), _local(day, moment, time_zone), value)
            )
    for direction, label in (
        ("download", "Messungen im Download"),
        ("upload", "Messungen im Upload"),
    ):
        if not samples[direction]:
            missing.append(label)
    if missing:
        raise BnetzImportError(
            "protocol_incomplete",
            f"the protocol lacks: {', '.join(missing)}",
            missing=", ".join(missing),
        )
    assert protocol_date is not None  # noqa: S101 - checked above with the other fields

    count_match = _PDF_COUNT.search(text)
    declared = int(count_match.group(1)) if count_match else None
    for direction, found in samples.items():
        numbers = [sample.nr for sample in found]
        if len(set(numbers)) != len(numbers):
            raise BnetzImportError(
                "protocol_invalid",
                f"a measurement number repeats in the {direction} table",
                detail=f"{direction}: {sorted(numbers)}",
            )
        if declared is not None and len(found) != declared:
            raise BnetzImportError(
                "protocol_count_mismatch",
                f"the protocol declares {declared} measurements, the {direction} table has {len(found)}",
                declared=str(declared),
                found=str(len(found)),
                direction=direction,
            )

    official: dict[str, str] = {}
    for match in _PDF_OFFICIAL.finditer(text):
        official.setdefault(match.group(1).lower(), "ok" if match.group(2) else "deviation")
    if not official and (overall := _PDF_OVERALL.search(text)):
        verdict = "ok" if overall.group(1) == "keine" else "deviation"
        official = dict.fromkeys(DIRECTIONS, verdict)

    return Campaign(
        date=protocol_date,
        provider=fields["provider"],
        tariff_name=fields["tariff"],
        download_tariff=Tariff(rates["maximum"][0], rates["normal"][0], rates["minimum"][0]),
        upload_tariff=Tariff(rates["maximum"][1], rates["normal"][1], rates["minimum"][1]),
        download=tuple(sorted(samples["download"], key=lambda s: (s.measured_at, s.nr))),
        upload=tuple(sorted(samples["upload"], key=lambda s: (s.measured_at, s.nr))),
        kind="pdf",
        declared_count=declared,
        official=official,
    )


def parse_pdf(data: bytes, time_zone: tzinfo) -> Campaign:
    """Read a Messprotokoll PDF (blocking)."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise BnetzImportError("unreadable_pdf", "the file is no PDF", error="no PDF header")
    return parse_protocol_lines(pdf_page_lines(data), time_zone)


# -- the CSV export -------------------------------------------------------------------


def _normal(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().strip('"').lower().split())


_DATE_COLUMNS = ("datum", "date", "messdatum", "messzeitpunkt")
_TIME_COLUMNS = ("uhrzeit", "time", "messuhrzeit")
_NR_COLUMNS = ("nr.", "nr", "nummer", "#")
_PROVIDER_COLUMNS = ("anbieter", "provider")
_TARIFF_COLUMNS = ("tarif", "tarifname", "tariff")
_TARIFF_WORDS = {
    "maximum": ("maximal", "max"),
    "normal": ("normalerweise", "normal"),
    "minimum": ("minimal", "min"),
}


@dataclass(slots=True)
class _CsvColumns:
    date: int | None = None
    time: int | None = None
    nr: int | None = None
    provider: int | None = None
    tariff: int | None = None
    rate: dict[str, int] = field(default_factory=dict)  # "download", "upload"
    kbit: dict[str, bool] = field(default_factory=dict)
    soll: dict[tuple[str, str], int] = field(default_factory=dict)


def _csv_columns(headers: list[str]) -> _CsvColumns:
    columns = _CsvColumns()
    for index, header in enumerate(_normal(h) for h in headers):
        words = set(re.split(r"[\s()/\[\]]+", header))
        for name, choices in (
            ("date", _DATE_COLUMNS),
            ("time", _TIME_COLUMNS),
            ("nr", _NR_COLUMNS),
            ("provider", _PROVIDER_COLUMNS),
            ("tariff", _TARIFF_COLUMNS),
        ):
            if header in choices and getattr(columns, name) is None:
                setattr(columns, name, index)
        for direction in DIRECTIONS:
            if not header.startswith(direction):
                continue
            if "soll" in words:
                for level, names in _TARIFF_WORDS.items():
                    if words & set(names):
                        columns.soll.setdefault((direction, level), index)
            elif not words & {w for names in _TARIFF_WORDS.values() for w in names}:
                columns.rate.setdefault(direction, index)
                columns.kbit.setdefault(direction, "kbit" in header)
    return columns


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as err:
        raise BnetzImportError(
            "csv_unreadable", "the CSV is neither UTF-8 nor Windows-1252 text", error="encoding"
        ) from err


def parse_csv(data: bytes, time_zone: tzinfo) -> Campaign:
    """Read a Breitbandmessung CSV export (desktop app or web test)."""
    text = _decode(data)
    if "\x00" in text:
        raise BnetzImportError("csv_unreadable", "the file is binary, not CSV", error="binary")
    physical = text.splitlines()
    if not any(line.strip() for line in physical):
        raise BnetzImportError("csv_no_rows", "the CSV is empty")
    header_line = next(line for line in physical if line.strip())
    delimiter = ";" if ";" in header_line else ","
    german = delimiter == ";"
    try:
        # (line number, cells) of every line that has any content.
        records = [
            (number, cells)
            for number, cells in enumerate(
                csv.reader(physical, delimiter=delimiter, strict=True), start=1
            )
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as err:
        raise BnetzImportError(
            "csv_unreadable", f"the CSV cannot be read: {err}", error=str(err)
        ) from err
    headers, rows = records[0][1], records[1:]
    columns = _csv_columns(headers)

    missing = [
        label
        for label, index in (
            ("Datum", columns.date),
            ("Download", columns.rate.get("download")),
            ("Upload", columns.rate.get("upload")),
        )
        if index is None
    ]
    if not missing and columns.time is None and rows:
        _day, moment = _parse_moment(_cell(rows[0][1], columns.date))
        if moment is None:
            missing.append("Uhrzeit")
    if missing:
        raise BnetzImportError(
            "csv_missing_columns",
            f"the CSV lacks the columns: {', '.join(missing)}",
            columns=", ".join(missing),
        )
    if not rows:
        raise BnetzImportError("csv_no_rows", "the CSV has a header but no measurements")

    def number(row: list[str], line: int, index: int) -> float:
        value = parse_number(_cell(row, index), german=german)
        if value is None:
            raise BnetzImportError(
                "csv_bad_number",
                f"line {line}, column {headers[index].strip()!r}: {_cell(row, index)!r} is no rate",
                line=str(line),
                column=headers[index].strip(),
                value=_cell(row, index),
            )
        return value

    samples: dict[str, list[Sample]] = {"download": [], "upload": []}
    for offset, (line, row) in enumerate(rows):
        day, moment = _parse_moment(_cell(row, columns.date))
        if columns.time is not None and day is not None and moment is None:
            moment = _parse_time(_cell(row, columns.time))
        if day is None or moment is None:
            raise BnetzImportError(
                "csv_bad_date",
                f"line {line}: no date and time in {_cell(row, columns.date)!r}",
                line=str(line),
                value=" ".join(
                    _cell(row, i) for i in (columns.date, columns.time) if i is not None
                ).strip(),
            )
        when = _local(day, moment, time_zone)
        nr = offset + 1
        if columns.nr is not None and _cell(row, columns.nr).isdigit():
            nr = int(_cell(row, columns.nr))
        for direction, index in columns.rate.items():
            value = number(row, line, index)
            if columns.kbit[direction]:
                value = round(value / 1000, 3)
            samples[direction].append(Sample(nr, when, value))

    first_line, first = rows[0]
    tariffs: dict[str, Tariff | None] = {}
    for direction in DIRECTIONS:
        indexes = [columns.soll.get((direction, level)) for level in _TARIFF_WORDS]
        if any(index is None or not _cell(first, index) for index in indexes):
            tariffs[direction] = None
            continue
        tariffs[direction] = Tariff(
            *(number(first, first_line, index) for index in indexes if index is not None)
        )

    def text_of(index: int | None) -> str | None:
        return (_cell(first, index) or None) if index is not None else None

    download = tuple(sorted(samples["download"], key=lambda s: (s.measured_at, s.nr)))
    upload = tuple(sorted(samples["upload"], key=lambda s: (s.measured_at, s.nr)))
    return Campaign(
        date=max(sample.measured_at for sample in (*download, *upload)).date(),
        provider=text_of(columns.provider),
        tariff_name=text_of(columns.tariff),
        download_tariff=tariffs["download"],
        upload_tariff=tariffs["upload"],
        download=download,
        upload=upload,
        kind="csv",
    )


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


# -- files ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A file read and parsed, ready to be stored."""

    name: str
    kind: str  # "pdf" or "csv"
    digest: str  # SHA-256 of the file's bytes
    campaign: Campaign
    pdf: bytes | None  # the protocol itself, kept as evidence


def file_kind(path: Path) -> str | None:
    """Return "pdf" or "csv" by the file's suffix, None for anything else."""
    return SUFFIXES.get(path.suffix.lower())


def parse_bytes(name: str, data: bytes, time_zone: tzinfo) -> LoadedFile:
    """Parse a file's content by its name's suffix."""
    kind = file_kind(Path(name))
    if kind is None:
        raise BnetzImportError(
            "unsupported_file", f"{name} is neither a PDF nor a CSV file", name=name
        )
    campaign = parse_pdf(data, time_zone) if kind == "pdf" else parse_csv(data, time_zone)
    return LoadedFile(
        name=name,
        kind=kind,
        digest=hashlib.sha256(data).hexdigest(),
        campaign=campaign,
        pdf=data if kind == "pdf" else None,
    )


def load_file(path: Path, time_zone: tzinfo) -> LoadedFile:
    """Read and parse a protocol or export from disk (blocking)."""
    if file_kind(path) is None:
        raise BnetzImportError(
            "unsupported_file", f"{path.name} is neither a PDF nor a CSV file", name=path.name
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BnetzImportError(
                "file_too_large",
                f"{path.name} has {size} bytes, more than a protocol ever has",
                name=path.name,
                size=str(size),
            )
        data = path.read_bytes()
    except OSError as err:
        raise BnetzImportError(
            "read_failed", f"cannot read {path}: {err}", name=path.name, error=str(err)
        ) from err
    return parse_bytes(path.name, data, time_zone)


# -- the store ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredCampaign:
    """A campaign as stored, judged by the current rule."""

    id: int
    campaign: Campaign
    verdicts: Mapping[str, DirectionVerdict]
    source: str | None
    is_demo: bool
    has_pdf: bool


def source_key(kind: str, digest: str) -> str:
    """Return the ``source`` value of an imported file: its kind and SHA-256."""
    return f"{kind}:{digest}"


def measurements_json(campaign: Campaign) -> str:
    """Return the stored form of a campaign's measurements (one object per number)."""
    rows: dict[int, dict[str, Any]] = {}
    for sample in campaign.download:
        rows[sample.nr] = {
            "nr": sample.nr,
            "timestamp": iso_z(sample.measured_at),
            "download_mbps": sample.mbps,
            "upload_mbps": None,
        }
    for sample in campaign.upload:
        stamp = iso_z(sample.measured_at)
        row = rows.setdefault(
            sample.nr,
            {"nr": sample.nr, "timestamp": stamp, "download_mbps": None, "upload_mbps": None},
        )
        row["upload_mbps"] = sample.mbps
        if row["timestamp"] != stamp:
            row["upload_timestamp"] = stamp
    ordered = sorted(rows.values(), key=lambda row: (row["timestamp"], row["nr"]))
    return json.dumps(ordered, separators=(",", ":"))


def campaign_row(
    campaign: Campaign, verdicts: Mapping[str, DirectionVerdict], source: str
) -> dict[str, Any]:
    """Return a campaign as a ``bnetz_measurements`` row (without id and is_demo)."""
    last = campaign.last_measured_at
    row: dict[str, Any] = {
        "date": campaign.date.isoformat(),
        "ts": iso_z(last) if last is not None else None,
        "provider": campaign.provider,
        "tariff": campaign.tariff_name,
        "measurement_count": campaign.measurement_count,
        "measurements": measurements_json(campaign),
        "source": source,
    }
    for direction in DIRECTIONS:
        tariff = campaign.tariff(direction)
        row[f"{direction}_max"] = tariff.maximum if tariff else None
        row[f"{direction}_normal"] = tariff.normal if tariff else None
        row[f"{direction}_min"] = tariff.minimum if tariff else None
        row[f"{direction}_measured_avg"] = campaign.average(direction)
        row[f"verdict_{direction}"] = verdicts[direction].verdict.value
    return row


_COLUMNS = (
    "date", "ts", "provider", "tariff", "download_max", "download_normal", "download_min",
    "upload_max", "upload_normal", "upload_min", "download_measured_avg", "upload_measured_avg",
    "measurement_count", "verdict_download", "verdict_upload", "measurements", "source", "pdf",
)  # fmt: skip
_INSERT = (
    "INSERT INTO bnetz_measurements (date, ts, provider, tariff,"
    " download_max, download_normal, download_min, upload_max, upload_normal, upload_min,"
    " download_measured_avg, upload_measured_avg, measurement_count,"
    " verdict_download, verdict_upload, measurements, source, pdf, is_demo)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
_SELECT = (
    "SELECT id, date, provider, tariff, download_max, download_normal, download_min,"
    " upload_max, upload_normal, upload_min, measurements, source, is_demo, pdf IS NOT NULL"
    " FROM bnetz_measurements"
)


def find_import(store: HistoryStore, kind: str, digest: str) -> tuple[int, str] | None:
    """Return (id, date) of the campaign a file became, if it was imported before."""
    row = store.connection.execute(
        "SELECT id, date FROM bnetz_measurements WHERE source = ? ORDER BY id LIMIT 1",
        (source_key(kind, digest),),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def save_import(
    store: HistoryStore, loaded: LoadedFile, rule: RuleProfile = DEFAULT_RULE
) -> StoredCampaign:
    """Store an imported campaign, judged by ``rule``, as one transaction.

    Raises DuplicateImportError, storing nothing, if the same file (by
    content) was imported before.
    """
    verdicts = evaluate(loaded.campaign, rule)
    source = source_key(loaded.kind, loaded.digest)
    row = campaign_row(loaded.campaign, verdicts, source)
    row["pdf"] = loaded.pdf
    with store.transaction():
        if (existing := find_import(store, loaded.kind, loaded.digest)) is not None:
            raise DuplicateImportError(*existing)
        cursor = store.connection.execute(_INSERT, [row[name] for name in _COLUMNS])
    return StoredCampaign(
        id=int(cursor.lastrowid or 0),
        campaign=loaded.campaign,
        verdicts=verdicts,
        source=source,
        is_demo=False,
        has_pdf=loaded.pdf is not None,
    )


def latest_campaign(
    store: HistoryStore, time_zone: tzinfo, rule: RuleProfile = DEFAULT_RULE
) -> StoredCampaign | None:
    """Return the newest campaign (by protocol date, then by import), judged afresh.

    The verdict is recomputed from the stored measurements, so that what the
    entities show always follows the current rule, with its reasons.
    """
    row = store.connection.execute(f"{_SELECT} ORDER BY date DESC, id DESC LIMIT 1").fetchone()
    return None if row is None else _stored(row, time_zone, rule)


def _stored(row: Sequence[Any], time_zone: tzinfo, rule: RuleProfile) -> StoredCampaign:
    (row_id, day, provider, tariff_name, d_max, d_norm, d_min, u_max, u_norm, u_min,
     measurements, source, is_demo, has_pdf) = row  # fmt: skip
    samples: dict[str, list[Sample]] = {"download": [], "upload": []}
    for item in json.loads(measurements):
        stamp = parse_z(item["timestamp"]).astimezone(time_zone)
        if item.get("download_mbps") is not None:
            samples["download"].append(Sample(item["nr"], stamp, float(item["download_mbps"])))
        if item.get("upload_mbps") is not None:
            upload_at = item.get("upload_timestamp")
            when = parse_z(upload_at).astimezone(time_zone) if upload_at else stamp
            samples["upload"].append(Sample(item["nr"], when, float(item["upload_mbps"])))

    def tariff(maximum: float | None, normal: float | None, minimum: float | None) -> Tariff | None:
        if maximum is None or normal is None or minimum is None:
            return None
        return Tariff(maximum, normal, minimum)

    kind = "demo" if is_demo else (source or "").partition(":")[0] or "unknown"
    campaign = Campaign(
        date=date.fromisoformat(day),
        provider=provider,
        tariff_name=tariff_name,
        download_tariff=tariff(d_max, d_norm, d_min),
        upload_tariff=tariff(u_max, u_norm, u_min),
        download=tuple(samples["download"]),
        upload=tuple(samples["upload"]),
        kind=kind,
    )
    return StoredCampaign(
        id=int(row_id),
        campaign=campaign,
        verdicts=evaluate(campaign, rule),
        source=source,
        is_demo=bool(is_demo),
        has_pdf=bool(has_pdf),
    )


# -- the watched folder ------------------------------------------------------------------------


@dataclass(slots=True)
class ScanReport:
    """What one scan of a watched folder did, file by file."""

    imported: list[StoredCampaign] = field(default_factory=list)
    # Files seen before: moved to processed/ without a second import.
    duplicates: list[str] = field(default_factory=list)
    # Files moved to failed/, with the reason.
    failed: list[tuple[str, BnetzImportError]] = field(default_factory=list)
    # Files still being written (younger than the settle time): next scan.
    waiting: list[str] = field(default_factory=list)
    # Files that were handled but could not be moved (they are retried, never re-imported).
    not_moved: list[tuple[str, OSError]] = field(default_factory=list)


def scan_folder(
    store: HistoryStore,
    folder: Path,
    time_zone: tzinfo,
    *,
    rule: RuleProfile = DEFAULT_RULE,
    settle: timedelta = DEFAULT_SETTLE,
    now: datetime | None = None,
) -> ScanReport:
    """Import every new PDF and CSV in ``folder`` (blocking; on the store's thread).

    Each file is stored (one transaction) before it is moved, so a crash in
    between leaves it in place and the next scan finds it already imported:
    a file is never imported twice.  A file that cannot be imported goes to
    ``failed/`` with the reason in the report, where the user can look at it
    and put it back once repaired.  Raises OSError if the folder cannot be
    listed.
    """
    report = ScanReport()
    moment = (now or datetime.now(UTC)).timestamp()
    candidates = sorted(
        path for path in folder.iterdir() if path.is_file() and file_kind(path) is not None
    )
    for path in candidates:
        try:
            if moment - path.stat().st_mtime < settle.total_seconds():
                report.waiting.append(path.name)
                continue
            report.imported.append(save_import(store, load_file(path, time_zone), rule))
            target = PROCESSED_DIR
        except DuplicateImportError:
            report.duplicates.append(path.name)
            target = PROCESSED_DIR
        except BnetzImportError as err:
            report.failed.append((path.name, err))
            target = FAILED_DIR
        except OSError as err:  # vanished or unreadable between listing and reading
            report.not_moved.append((path.name, err))
            continue
        try:
            move_unique(path, folder / target)
        except OSError as err:
            report.not_moved.append((path.name, err))
    return report


def move_unique(path: Path, folder: Path) -> Path:
    """Move a file into ``folder`` without overwriting: "x.pdf", "x (1).pdf", ..."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 0
    while target.exists():
        number += 1
        target = folder / f"{path.stem} ({number}){path.suffix}"
    return path.rename(target)


# -- JSON ---------------------------------------------------------------------------------------


def verdict_to_json(verdict: DirectionVerdict) -> dict[str, Any]:
    """Return a direction's verdict with its criteria or its problems."""
    return {
        "verdict": verdict.verdict.value,
        "fired": list(verdict.fired),
        "measurements": verdict.measurements,
        "per_day": {day.isoformat(): count for day, count in verdict.per_day.items()},
        "criteria": [
            {
                "criterion": result.key,
                "fired": result.fired,
                "threshold_mbps": result.threshold_mbps,
                "observed": result.observed,
                "limit": result.limit,
                "total": result.total,
                "explanation": result.describe(),
            }
            for result in verdict.criteria
        ],
        "problems": list(verdict.problems),
    }


def stored_campaign_to_json(stored: StoredCampaign) -> dict[str, Any]:
    """Return a stored campaign with its verdicts, as the service action answers."""
    campaign = stored.campaign
    result: dict[str, Any] = {
        "id": stored.id,
        "date": campaign.date.isoformat(),
        "kind": campaign.kind,
        "provider": campaign.provider,
        "tariff": campaign.tariff_name,
        "measurement_count": campaign.measurement_count,
        "rule": DEFAULT_RULE.id,
    }
    for direction in DIRECTIONS:
        tariff = campaign.tariff(direction)
        result[direction] = {
            "tariff_mbps": (
                None
                if tariff is None
                else {"maximum": tariff.maximum, "normal": tariff.normal, "minimum": tariff.minimum}
            ),
            "measured_avg_mbps": campaign.average(direction),
            "official": campaign.official.get(direction),
            **verdict_to_json(stored.verdicts[direction]),
        }
    return result
