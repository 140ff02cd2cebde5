"""Render reports as PDF with fpdf2's built-in fonts.

The built-in (core) PDF fonts need no font file, so nothing is bundled or
downloaded; they cover the Windows-1252 character set, which holds every
German letter (ä, ö, ü, ß), the euro sign, typographic quotes and dashes.
The few characters a report may meet beyond it (≥, →, a minus sign) are
mapped to ASCII, and anything else a user typed into the journal becomes "?"
instead of failing the whole report.

Tables are drawn cell by cell (fpdf2's table helper is several times slower
for the same result), which keeps a four-page report well under 0.1 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fpdf import FPDF

from ..analyzer import LineHealth
from ..model import Direction, qam_order
from ..storage import StoredChannel, parse_z
from .complaint import Letter, bnetz_share, channel_label, complaint_lines
from .data import ChannelStats, Extreme, ReportData, family_label, frequency_mhz
from .texts import Lang

_ENCODING = "windows-1252"
_REPLACEMENTS = str.maketrans(
    {
        "≥": ">=",
        "≤": "<=",
        "→": "->",
        "←": "<-",
        "\u2212": "-",  # minus sign
        "\u2011": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "✓": "x",
    }
)
_HEALTH_COLORS = {
    "good": (20, 120, 40),
    "tolerated": (130, 110, 0),
    "warning": (200, 100, 0),
    "marginal": (200, 100, 0),
    "critical": (190, 20, 20),
}
_MARGIN = 15.0
_WIDTH = 180.0  # A4 minus the margins
_ROW = 4.6
_NOTE_LIMIT = 8  # notes about channel modulations


def pdf_text(text: str) -> str:
    """Return text the core fonts can show: mapped where sensible, else "?"."""
    return text.translate(_REPLACEMENTS).encode(_ENCODING, "replace").decode(_ENCODING)


class _Document(FPDF):
    """An A4 page with a running title and page numbers."""

    def __init__(
        self,
        title: str,
        subtitle: str,
        footer: str,
        page_label: str,
        health_words: dict[str, str],
    ) -> None:
        super().__init__(format="A4", unit="mm")
        self._health_words = health_words  # shown word -> health key, for the colours
        self.core_fonts_encoding = _ENCODING
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_MARGIN + 5)
        self.set_title(pdf_text(title))
        self.set_creator("DOCSight for Home Assistant")
        self._title_text = pdf_text(title)
        self._subtitle = pdf_text(subtitle)
        self._footer = pdf_text(footer)
        self._page_label = page_label  # with {page}; "{nb}" is fpdf2's total-pages alias
        self.add_page()

    def header(self) -> None:
        if self.page_no() == 1:
            self.set_font("Helvetica", "B", 16)
            self.cell(0, 8, self._title_text, new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", "", 10)
            self.cell(0, 6, self._subtitle, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
        else:
            self.set_font("Helvetica", "", 8)
            self.set_text_color(110, 110, 110)
            self.cell(0, 5, f"{self._title_text} - {self._subtitle}", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(1)

    def footer(self) -> None:
        self.set_y(-_MARGIN)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(110, 110, 110)
        self.cell(_WIDTH / 2, 5, self._footer)
        self.cell(_WIDTH / 2, 5, self._page_label.replace("{page}", str(self.page_no())), align="R")
        self.set_text_color(0, 0, 0)

    # -- building blocks ------------------------------------------------------

    def section(self, title: str, room: float = 30) -> None:
        """Start a section, on a new page unless ``room`` mm are left for its start."""
        if self.get_y() > self.page_break_trigger - room:
            self.add_page()
        self.ln(3)
        self.set_font("Helvetica", "B", 12)
        self.set_fill_color(230, 236, 245)
        self.cell(0, 7, pdf_text(title), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.5)

    def subheading(self, title: str) -> None:
        if self.get_y() > self.page_break_trigger - 20:
            self.add_page()
        self.ln(1)
        self.set_font("Helvetica", "B", 9.5)
        self.cell(0, 5.5, pdf_text(title), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, size: float = 9, style: str = "") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, size * 0.48, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")

    def bullets(self, items: Sequence[str]) -> None:
        self.set_font("Helvetica", "", 9)
        for item in items:
            self.cell(5, 4.4, "-")
            self.multi_cell(0, 4.4, pdf_text(item), align="L", new_x="LMARGIN", new_y="NEXT")

    def pairs(self, rows: Sequence[tuple[str, str]], key_width: float = 64) -> None:
        for key, value in rows:
            self.set_font("Helvetica", "B", 9)
            self.cell(key_width, _ROW + 0.4, pdf_text(key))
            self.set_font("Helvetica", "", 9)
            self.multi_cell(
                0, _ROW + 0.4, pdf_text(value), align="L", new_x="LMARGIN", new_y="NEXT"
            )

    def data_table(
        self,
        headers: Sequence[str],
        widths: Sequence[float],
        rows: Sequence[Sequence[str]],
        *,
        align: str = "",
        health_column: int | None = None,
        size: float = 8,
    ) -> None:
        """Draw a table; ``align`` has one letter (L/R/C) per column, default right after the first."""
        aligns = align or "L" + "R" * (len(widths) - 1)
        scale = _WIDTH / sum(widths) if sum(widths) > _WIDTH else 1.0
        widths = [width * scale for width in widths]

        def head() -> None:
            self.set_font("Helvetica", "B", size)
            self.set_fill_color(238, 238, 238)
            for text, width, where in zip(headers, widths, aligns, strict=True):
                self.cell(
                    width,
                    _ROW + 0.6,
                    self._fit(pdf_text(text), width),
                    border="B",
                    align=where,
                    fill=True,
                )
            self.ln()
            self.set_font("Helvetica", "", size)

        head()
        for row in rows:
            if self.get_y() + _ROW > self.page_break_trigger:
                self.add_page()
                head()
            for index, (text, width, where) in enumerate(zip(row, widths, aligns, strict=True)):
                colored = index == health_column and text in self._health_words
                if colored:
                    self.set_text_color(*_HEALTH_COLORS[self._health_words[text]])
                self.cell(width, _ROW, self._fit(pdf_text(text), width), border="B", align=where)
                if colored:
                    self.set_text_color(0, 0, 0)
            self.ln()
        self.ln(1)

    def _fit(self, text: str, width: float) -> str:
        """Shorten text that would overflow its cell."""
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "...") > room:
            text = text[:-1]
        return text + "..."


# ---------------------------------------------------------------------------
# Sections.


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def _connection(doc: _Document, data: ReportData, lang: Lang) -> None:
    info = data.connection
    none = lang("none")
    modem = " ".join(part for part in (info.manufacturer, info.model) if part) or none
    rows = [
        (lang("provider"), info.provider or none),
        (lang("tariff"), info.tariff or none),
    ]
    if info.download_max is not None and info.upload_max is not None:
        rows.append(
            (
                lang("contract_speed"),
                lang(
                    "speed_value",
                    down=lang.num(info.download_max, 0),
                    up=lang.num(info.upload_max, 0),
                ),
            )
        )
    rows += [
        (lang("modem"), modem),
        (lang("firmware"), info.firmware or none),
        (lang("docsis"), info.docsis_version or none),
        (
            lang("period"),
            lang("period_value", start=lang.time(data.start), end=lang.time(data.end)),
        ),
        (lang("data_points"), lang.num(data.history.snapshots, 0)),
    ]
    doc.pairs(rows)


def _latest(doc: _Document, data: ReportData, lang: Lang) -> None:
    latest = data.latest
    if latest is None:
        doc.paragraph(lang("no_latest"))
        return
    summary = latest.summary
    issues = ", ".join(lang.issue(issue) for issue in summary.issues) or lang("no_issues")
    doc.pairs(
        [
            (lang("measured_at"), lang.time(summary.ts)),
            (lang("health"), lang.health(summary.health.value)),
            (lang("issues"), issues),
        ]
    )
    doc.subheading(f"{lang('downstream')} ({len(latest.downstream)})")
    doc.data_table(
        [
            lang("col_channel"),
            lang("col_type"),
            lang("col_frequency"),
            lang("col_power"),
            lang("col_snr"),
            lang("col_modulation"),
            lang("col_corrected"),
            lang("col_uncorrected"),
            lang("col_health"),
        ],
        [11, 15, 27, 19, 20, 21, 21, 28, 18],
        [_ds_row(item, lang) for item in latest.downstream],
        align="RLRRRLRRL",
        health_column=8,
    )
    doc.subheading(f"{lang('upstream')} ({len(latest.upstream)})")
    doc.data_table(
        [
            lang("col_channel"),
            lang("col_type"),
            lang("col_frequency"),
            lang("col_power"),
            lang("col_modulation"),
            lang("col_health"),
        ],
        [12, 16, 30, 24, 26, 22],
        [_us_row(item, lang) for item in latest.upstream],
        align="RLRRLL",
        health_column=5,
    )


def _ds_row(item: StoredChannel, lang: Lang) -> list[str]:
    c = item.channel
    return [
        str(c.channel_id),
        family_label(item.channel.family),
        frequency_mhz(c.frequency_hz, c.frequency_end_hz),
        lang.num(c.power_dbmv),
        lang.num(c.snr_db),
        c.modulation or "-",
        _count(c.corrected),
        _count(c.uncorrected),
        lang.health(item.health.value),
    ]


def _us_row(item: StoredChannel, lang: Lang) -> list[str]:
    c = item.channel
    return [
        str(c.channel_id),
        family_label(item.channel.family),
        frequency_mhz(c.frequency_hz, c.frequency_end_hz),
        lang.num(c.power_dbmv),
        c.modulation or "-",
        lang.health(item.health.value),
    ]


def diagnostic_notes(data: ReportData, lang: Lang) -> list[str]:
    """Return what the period's figures mean, in plain words."""
    history = data.history
    if not history.snapshots:
        return [lang("no_data")]
    profile = data.profile
    ds = profile.ds_power[profile.ds_power_default]
    us = profile.us_power[profile.us_power_default]
    snr = profile.ds_snr[profile.ds_snr_default]
    notes = []
    if history.poor:
        notes.append(
            lang(
                "note_poor_share",
                pct=lang.num(history.poor_pct),
                poor=lang.num(history.poor, 0),
                total=lang.num(history.snapshots, 0),
            )
        )
    checks: list[tuple[Extreme | None, Callable[[float], bool], str]] = [
        (history.ds_power_max, lambda v: v > ds.good[1], "note_ds_power_high"),
        (history.ds_power_min, lambda v: v < ds.good[0], "note_ds_power_low"),
        (history.ds_snr_min, lambda v: v < snr.good, "note_snr_low"),
        (history.us_power_max, lambda v: v > us.good[1], "note_us_power_high"),
        (history.us_power_min, lambda v: v < us.good[0], "note_us_power_low"),
    ]
    notes.extend(
        lang(key, value=lang.num(extreme.value))
        for extreme, applies, key in checks
        if extreme is not None and applies(extreme.value)
    )
    uncorr = history.uncorr_pct_max
    if uncorr is not None and uncorr.value >= profile.errors.uncorrectable_pct_high:
        notes.append(lang("note_uncorr", value=lang.num(uncorr.value, 2)))
    notes.extend(_modulation_notes(history.channels, lang))
    restarts = history.events_of(event_type="modem_restart_detected")
    if restarts:
        notes.append(lang("note_restarts", count=restarts))
    spikes = history.events_of(event_type="error_spike")
    if spikes:
        notes.append(lang("note_spikes", count=spikes))
    if not notes:
        notes.append(lang("note_all_good"))
    return notes


def _modulation_notes(channels: Sequence[ChannelStats], lang: Lang) -> list[str]:
    """Group the channels that fell back to a lower modulation at times."""
    fallbacks: dict[tuple[Direction, str], list[int]] = {}
    for stats in channels:
        orders = [qam_order(label) for label in stats.modulations]
        if len(stats.modulations) > 1 and orders[0] is not None:
            fallbacks.setdefault((stats.direction, stats.modulations[0]), []).append(
                stats.channel_id
            )
    notes = []
    for (direction, modulation), ids in sorted(fallbacks.items())[:_NOTE_LIMIT]:
        notes.append(
            lang(
                "note_modulation_one" if len(ids) == 1 else "note_modulation_many",
                direction=lang(f"dir_{direction.value}"),
                channels=", ".join(map(str, ids)),
                modulation=modulation,
            )
        )
    return notes


def _comparison(doc: _Document, data: ReportData, lang: Lang) -> None:
    comparison = data.comparison
    if comparison is None:
        return
    doc.section(lang("sec_comparison"))
    doc.paragraph(lang("cmp_intro", time=lang.time(comparison.at)))
    before, after = comparison.before, comparison.after
    rows = [
        (lang("cmp_snapshots"), lang.num(before.snapshots, 0), lang.num(after.snapshots, 0)),
        (lang("cmp_poor"), lang.num(before.poor_pct), lang.num(after.poor_pct)),
        (lang("cmp_ds_power"), lang.num(before.ds_power_avg, 2), lang.num(after.ds_power_avg, 2)),
        (lang("cmp_ds_snr"), lang.num(before.ds_snr_min), lang.num(after.ds_snr_min)),
        (lang("cmp_us_power"), lang.num(before.us_power_avg, 2), lang.num(after.us_power_avg, 2)),
        (lang("cmp_uncorr"), lang.num(before.uncorr_pct_max, 2), lang.num(after.uncorr_pct_max, 2)),
        (lang("cmp_events"), str(before.problem_events), str(after.problem_events)),
    ]
    doc.data_table([lang("cmp_metric"), lang("cmp_before"), lang("cmp_after")], [100, 40, 40], rows)


def _history(doc: _Document, data: ReportData, lang: Lang) -> None:
    history = data.history
    if not history.snapshots:
        doc.paragraph(lang("no_data"))
        return
    doc.subheading(lang("hist_counts"))
    doc.data_table(
        [lang("health"), lang("data_points"), "%"],
        [60, 40, 30],
        [
            (
                lang.health(health.value),
                lang.num(count, 0),
                lang.num(100 * count / history.snapshots),
            )
            for health, count in history.health_counts.items()
        ],
        health_column=0,
    )
    doc.subheading(lang("hist_worst"))
    worst = [
        ("hist_ds_power_min", history.ds_power_min, "dBmV", 1),
        ("hist_ds_power_max", history.ds_power_max, "dBmV", 1),
        ("hist_ds_snr_min", history.ds_snr_min, "dB", 1),
        ("hist_us_power_min", history.us_power_min, "dBmV", 1),
        ("hist_us_power_max", history.us_power_max, "dBmV", 1),
        ("hist_uncorr_max", history.uncorr_pct_max, "%", 2),
    ]
    doc.data_table(
        [lang("cmp_metric"), lang("hist_value"), lang("hist_when")],
        [80, 40, 50],
        [
            (
                lang(key),
                f"{lang.num(extreme.value, decimals)} {unit}" if extreme else lang("none"),
                lang.time(extreme.ts) if extreme else lang("none"),
            )
            for key, extreme, unit, decimals in worst
        ],
    )
    doc.paragraph(
        lang(
            "hist_events",
            warning=history.events_of(severities=("warning",)),
            critical=history.events_of(severities=("critical",)),
        )
    )
    doc.subheading(lang("hist_worst_channels"))
    channels = history.worst_channels
    if not channels:
        doc.paragraph(lang("hist_no_bad_channels"))
        return
    doc.data_table(
        [
            lang("col_channel"),
            lang("col_frequency"),
            lang("col_not_good"),
            lang("col_worst"),
            lang("col_power_range"),
            lang("col_snr_min"),
            lang("col_modulations"),
        ],
        [16, 26, 26, 24, 30, 24, 34],
        [_channel_row(stats, lang) for stats in channels],
        align="LRRLRRL",
        health_column=3,
    )


def _channel_row(stats: ChannelStats, lang: Lang) -> list[str]:
    pct = 100 * stats.not_good / stats.samples if stats.samples else 0.0
    return [
        channel_label(stats),
        frequency_mhz(stats.frequency_hz, stats.frequency_end_hz),
        f"{lang.num(pct)} %",
        lang.health(("good", "tolerated", "warning", "critical")[stats.worst_level]),
        f"{lang.num(stats.power_min)} .. {lang.num(stats.power_max)}",
        lang.num(stats.snr_min),
        _modulation_range(stats.modulations),
    ]


def _modulation_range(labels: tuple[str, ...]) -> str:
    """Return "64QAM, 256QAM", or the lowest and highest of more than two."""
    if len(labels) > 2:
        return f"{labels[0]} .. {labels[-1]}"
    return ", ".join(labels) or "-"


def _band(low_high: tuple[float, float], lang: Lang) -> str:
    return f"{lang.num(low_high[0])} .. {lang.num(low_high[1])}"


def _thresholds(doc: _Document, data: ReportData, lang: Lang) -> None:
    profile = data.profile
    doc.paragraph(
        lang("thr_intro", name=profile.name, version=profile.version, source=profile.source),
        size=8,
    )
    doc.ln(1)
    rows: list[tuple[str, str, str, str, str]] = []
    for key, bands in profile.ds_power.items():
        rows.append(
            (
                lang("thr_ds_power"),
                key.upper() if key == "ofdm" else key,
                _band(bands.good, lang),
                _band(bands.warning, lang),
                _band(bands.critical, lang),
            )
        )
    for key, minimums in profile.ds_snr.items():
        rows.append(
            (
                lang("thr_ds_snr"),
                key.upper() if key == "ofdm" else key,
                lang.num(minimums.good),
                lang.num(minimums.warning),
                lang.num(minimums.critical),
            )
        )
    for key, bands in profile.us_power.items():
        rows.append(
            (
                lang("thr_us_power"),
                {"sc_qam": "SC-QAM", "ofdma": "OFDMA"}.get(key, key),
                _band(bands.good, lang),
                _band(bands.warning, lang),
                _band(bands.critical, lang),
            )
        )
    errors = profile.errors
    rows.append(
        (
            lang("thr_errors"),
            lang("thr_errors_key"),
            f"< {lang.num(errors.uncorrectable_pct_high)}",
            f"< {lang.num(errors.uncorrectable_pct_critical)}",
            f">= {lang.num(errors.uncorrectable_pct_critical)}",
        )
    )
    doc.data_table(
        [
            lang("thr_metric"),
            lang("thr_key"),
            lang("thr_good"),
            lang("thr_warning"),
            lang("thr_critical"),
        ],
        [62, 24, 30, 32, 32],
        rows,
        align="LLRRR",
    )


def _complaint(doc: _Document, data: ReportData, lang: Lang, letter: Letter) -> None:
    doc.add_page()
    doc.section(lang("sec_complaint"))
    doc.set_font("Helvetica", "", 9.5)
    for line in complaint_lines(data, lang, letter):
        if line:
            doc.multi_cell(0, 4.6, pdf_text(line), align="L", new_x="LMARGIN", new_y="NEXT")
        else:
            doc.ln(2.5)


def _incident(doc: _Document, data: ReportData, lang: Lang) -> None:
    incident = data.incident or {}
    status = incident.get("status") or "open"
    doc.pairs(
        [
            (lang("inc_name"), str(incident.get("name") or "")),
            (
                lang("inc_status"),
                lang(f"inc_{status}") if status in ("open", "resolved") else status,
            ),
            (lang("inc_start"), lang.day(incident.get("start_date"))),
            (
                lang("inc_end"),
                lang.day(incident.get("end_date")) if incident.get("end_date") else "-",
            ),
        ]
    )
    if incident.get("description"):
        doc.ln(1)
        doc.paragraph(str(incident["description"]))


def _speedtests(doc: _Document, data: ReportData, lang: Lang) -> None:
    rows = [row for row in data.speedtests if row.get("download_mbps") is not None]
    if not rows:
        doc.paragraph(lang("st_none"))
        return

    def avg(name: str) -> float | None:
        values = [row[name] for row in rows if row.get(name) is not None]
        return sum(values) / len(values) if values else None

    def low(name: str) -> float | None:
        values = [row[name] for row in rows if row.get(name) is not None]
        return min(values) if values else None

    doc.paragraph(
        lang(
            "st_summary",
            count=len(rows),
            down_avg=lang.num(avg("download_mbps")),
            down_min=lang.num(low("download_mbps")),
            up_avg=lang.num(avg("upload_mbps")),
            up_min=lang.num(low("upload_mbps")),
            ping_avg=lang.num(avg("ping_ms")),
        )
    )
    doc.subheading(lang("st_slowest"))
    doc.data_table(
        [
            lang("col_time"),
            lang("col_download"),
            lang("col_upload"),
            lang("col_ping"),
            lang("col_server"),
        ],
        [34, 28, 26, 20, 60],
        [
            (
                lang.time(parse_z(row["ts"])),
                lang.num(row.get("download_mbps"), 2),
                lang.num(row.get("upload_mbps"), 2),
                lang.num(row.get("ping_ms")),
                str(row.get("server_name") or "-"),
            )
            for row in data.slowest_speedtests
        ],
        align="LRRRL",
    )


def _verdict(row: dict[str, Any], direction: str, lang: Lang) -> str:
    verdict = row.get(f"verdict_{direction}") or "unknown"
    key = f"bn_{verdict}"
    return lang(key) if key in lang.words else str(verdict)


def _bnetz(doc: _Document, data: ReportData, lang: Lang) -> None:
    if not data.bnetz:
        doc.paragraph(lang("bn_none"))
        return
    rows = []
    for row in data.bnetz:
        for direction in ("download", "upload"):
            avg, maximum = row.get(f"{direction}_measured_avg"), row.get(f"{direction}_max")
            pct = bnetz_share(avg, maximum)
            rows.append(
                (
                    lang.day(row["date"]),
                    lang(f"c_{direction}"),
                    f"{lang.num(avg)} Mbit/s",
                    f"{lang.num(maximum, 0)} Mbit/s",
                    f"{lang.num(pct)} %",
                    _verdict(row, direction, lang),
                )
            )
    provider = data.bnetz[-1].get("provider")
    tariff = data.bnetz[-1].get("tariff")
    if provider or tariff:
        doc.paragraph(" / ".join(str(part) for part in (provider, tariff) if part))
        doc.ln(1)
    doc.data_table(
        [
            lang("col_date"),
            lang("col_direction"),
            lang("col_measured"),
            lang("col_contract"),
            lang("col_share"),
            lang("col_verdict"),
        ],
        [24, 24, 32, 32, 22, 46],
        rows,
        align="LLRRRL",
    )


def _journal(doc: _Document, data: ReportData, lang: Lang) -> None:
    if not data.journal:
        doc.paragraph(lang("jr_none"))
        return
    for entry in data.journal:
        doc.set_font("Helvetica", "B", 9)
        doc.multi_cell(
            0,
            4.6,
            pdf_text(f"{lang.day(entry['date'])}  {entry['title']}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if entry.get("description"):
            doc.paragraph(str(entry["description"]))
        doc.ln(1)


# ---------------------------------------------------------------------------


def _document(data: ReportData, lang: Lang, title_key: str) -> _Document:
    info = data.connection
    modem = " ".join(part for part in (info.manufacturer, info.model) if part) or "DOCSight"
    return _Document(
        lang(title_key),
        lang("subtitle", modem=modem, start=lang.day(data.start), end=lang.day(data.end)),
        lang("generated", time=lang.time(data.generated_at)),
        lang("page", page="{page}", pages="{nb}"),
        {
            lang.health(value): value
            for value in (*(health.value for health in LineHealth), "warning")
        },
    )


def render_report(data: ReportData, language: str | None, letter: Letter | None = None) -> bytes:
    """Return the complaint report of a period as PDF bytes."""
    lang = Lang(language, data.time_zone)
    doc = _document(data, lang, "report_title")
    doc.section(lang("sec_connection"))
    _connection(doc, data, lang)
    doc.section(lang("sec_latest"))
    _latest(doc, data, lang)
    doc.section(lang("sec_notes"))
    doc.bullets(diagnostic_notes(data, lang))
    _comparison(doc, data, lang)
    doc.section(lang("sec_history"))
    _history(doc, data, lang)
    doc.section(lang("sec_thresholds"), room=95)
    _thresholds(doc, data, lang)
    _complaint(doc, data, lang, letter or Letter())
    return bytes(doc.output())


def render_incident_report(
    data: ReportData, language: str | None, letter: Letter | None = None
) -> bytes:
    """Return an incident's report as PDF bytes (``data`` from gather_incident_data)."""
    lang = Lang(language, data.time_zone)
    doc = _document(data, lang, "incident_title")
    doc.section(lang("sec_incident"))
    _incident(doc, data, lang)
    doc.section(lang("sec_connection"))
    _connection(doc, data, lang)
    doc.section(lang("sec_history"))
    _history(doc, data, lang)
    doc.section(lang("sec_speedtests"))
    _speedtests(doc, data, lang)
    doc.section(lang("sec_bnetz"))
    _bnetz(doc, data, lang)
    doc.section(lang("sec_journal"))
    _journal(doc, data, lang)
    _complaint(doc, data, lang, letter or Letter())
    return bytes(doc.output())
