"""Write BNetzA measurement protocols with fpdf2, in the layout of the official one.

No real "Messprotokoll der Breitbandmessung" may be shipped with the tests, so
they write their own, page for page the way the desktop app lays it out (see
../shared/fixtures/bnetz/*.synthetic.txt for the text of each page): the
tariff in two columns on page 1, the campaign details on page 2, the official
result per direction on page 3, then one table of measurements per direction,
each cell a box of its own (so that pdfminer sees them as separate pieces of
text, as it does in a real protocol).  Tables longer than ``rows_per_page``
continue on the next page under the column header only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fpdf import FPDF

# Ten runs a day, five in the morning and five from 15:00 on (the statute asks
# for a break of hours in between), ten minutes apart.
RUN_TIMES = (
    (8, 0),
    (8, 10),
    (8, 20),
    (8, 30),
    (8, 40),
    (15, 0),
    (15, 10),
    (15, 20),
    (15, 30),
    (15, 40),
)


CREATED = datetime(2026, 3, 15, 18, 0, tzinfo=UTC)


def german(value: float) -> str:
    """Format a rate the way the protocol prints it: 1.000,00."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


@dataclass
class Protocol:
    """What a protocol says; the defaults make a complete, passing 1000/50 campaign."""

    issued: date = date(2026, 3, 15)
    provider: str = "Kabelnetz Beispiel GmbH"
    tariff: str = "Cable 1000"
    download_tariff: tuple[float, float, float] = (1000.0, 850.0, 600.0)
    upload_tariff: tuple[float, float, float] = (50.0, 35.0, 15.0)
    # (nr, local time, Mbit/s) per direction.
    download: list[tuple[int, datetime, float]] = field(default_factory=list)
    upload: list[tuple[int, datetime, float]] = field(default_factory=list)
    # The app's own statement per direction: True = deviation found.
    official_download: bool = False
    official_upload: bool = False
    declared_count: int | None = None
    rows_per_page: int = 40

    @classmethod
    def campaign(
        cls,
        download_days: Sequence[Sequence[float]],
        upload_days: Sequence[Sequence[float]] | None = None,
        *,
        first_day: date = date(2026, 3, 10),
        day_step: int = 2,
        **kwargs: object,
    ) -> Protocol:
        """Build a protocol from per-day rates (runs at RUN_TIMES, days ``day_step`` apart)."""
        if upload_days is None:
            upload_days = [[45.0] * len(day) for day in download_days]
        download: list[tuple[int, datetime, float]] = []
        upload: list[tuple[int, datetime, float]] = []
        for index, (downs, ups) in enumerate(zip(download_days, upload_days, strict=True)):
            day = first_day + timedelta(days=index * day_step)
            for run, (down, up) in enumerate(zip(downs, ups, strict=True)):
                hour, minute = RUN_TIMES[run % len(RUN_TIMES)]
                when = datetime(day.year, day.month, day.day, hour, minute + run // 10)
                download.append((len(download) + 1, when, down))
                upload.append((len(upload) + 1, when, up))
        if download:
            kwargs.setdefault("issued", max(when for _, when, _ in download).date())
        return cls(download=download, upload=upload, **kwargs)  # type: ignore[arg-type]


class _ProtocolPdf(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 10, f"Seite {self.page_no()} von {{nb}}", align="C")


def protocol_pdf(protocol: Protocol) -> bytes:
    """Return the protocol as PDF bytes."""
    pdf = _ProtocolPdf(format="A4")
    # A fixed creation date: the same protocol gives the same bytes (and SHA-256).
    pdf.set_creation_date(CREATED)
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(15, 15, 15)

    # Page 1: the service and its contractual rates, download left, upload right.
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, f"Messprotokoll der Breitbandmessung vom {protocol.issued:%d.%m.%Y}")
    pdf.ln(14)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Angaben zum Internetzugangsdienst")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, f"Anbieter: {protocol.provider}")
    pdf.ln(7)
    pdf.cell(0, 6, f"Tarifname: {protocol.tariff}")
    pdf.ln(12)
    top = pdf.get_y()
    for x, label, rates in (
        (15, "Download", protocol.download_tariff),
        (110, "Upload", protocol.upload_tariff),
    ):
        pdf.set_xy(x, top)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(90, 6, f"Datenübertragungsrate (DÜR) im {label}")
        pdf.set_font("Helvetica", size=10)
        labels = ("Maximal", "Normalerweise", "Minimal")
        for row, (name, rate) in enumerate(zip(labels, rates, strict=True)):
            pdf.set_xy(x, top + 8 + 7 * row)
            pdf.cell(90, 6, f"{name}: {german(rate)} Mbit/s")

    # Page 2: the campaign.
    count = protocol.declared_count
    if count is None:
        count = max(len(protocol.download), len(protocol.upload))
    times = [when for _, when, _ in (*protocol.download, *protocol.upload)]
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Details der Messkampagne")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=10)
    if times:
        pdf.cell(0, 6, f"Start Messkampagne: {min(times):%d.%m.%Y - %H:%M} Uhr")
        pdf.ln(7)
        pdf.cell(0, 6, f"Ende Messkampagne: {max(times):%d.%m.%Y - %H:%M} Uhr")
        pdf.ln(7)
    pdf.cell(0, 6, f"Anzahl Messungen: {count}")
    pdf.ln(12)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, "Ergebnis")
    pdf.ln(10)
    pdf.set_font("Helvetica", size=10)
    overall = protocol.official_download or protocol.official_upload
    pdf.multi_cell(
        180,
        6,
        f"Es wurde {'eine' if overall else 'keine'} erhebliche, kontinuierliche oder "
        "regelmäßig wiederkehrende Abweichung der Geschwindigkeit festgestellt.",
    )

    # Page 3: the result per direction.
    pdf.add_page()
    for label, found in (
        ("Download", protocol.official_download),
        ("Upload", protocol.official_upload),
    ):
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, f"Ergebnis der Messkampagne im {label}")
        pdf.ln(10)
        pdf.set_font("Helvetica", size=10)
        pdf.cell(
            0,
            6,
            f"Eine erhebliche Abweichung der Datenübertragungsrate im {label} wurde "
            f"{'' if found else 'nicht '}festgestellt.",
        )
        pdf.ln(14)

    # The tables, one per direction, continued on further pages if long.
    for label, rows in (("Download", protocol.download), ("Upload", protocol.upload)):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, f"Überblick der Messungen im {label}")
        pdf.ln(10)
        _table_header(pdf)
        for index, (nr, when, rate) in enumerate(rows):
            if index and index % protocol.rows_per_page == 0:
                pdf.add_page()
                _table_header(pdf)
            pdf.cell(15, 7, str(nr), border=1)
            pdf.cell(35, 7, f"{when:%d.%m.%Y}", border=1)
            pdf.cell(25, 7, f"{when:%H:%M}", border=1)
            pdf.cell(45, 7, f"{german(rate)} Mbit/s", border=1, align="R")
            pdf.ln(7)
    return bytes(pdf.output())


def _table_header(pdf: FPDF) -> None:
    pdf.set_font("Helvetica", "B", 10)
    for width, text in ((15, "Nr."), (35, "Datum"), (25, "Uhrzeit"), (45, "gemessene DÜR")):
        pdf.cell(width, 7, text, border=1)
    pdf.ln(7)
    pdf.set_font("Helvetica", size=10)


def foreign_pdf() -> bytes:
    """Return a well-formed PDF that is not a protocol (an invoice)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(CREATED)
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Rechnung Nr. 4711 vom 15.03.2026")
    pdf.ln(10)
    pdf.cell(0, 10, "Internet Cable 1000: 49,99 EUR")
    return bytes(pdf.output())


def text_pdf(pages: Sequence[Sequence[str]]) -> bytes:
    """Return a PDF with the given lines, one page per list (text samples read back as PDF)."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(CREATED)
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=10)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 6, line)
            pdf.ln(7)
    return bytes(pdf.output())
