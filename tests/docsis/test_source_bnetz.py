"""BNetzA campaigns: protocols and exports read back, verdicts at every edge, the store.

Protocols are written with fpdf2 in the official layout and read back through
the real parser; CSV exports are written here; the statutory verdict is
checked at and around the edge of every criterion; storing and the watched
folder run on a real SQLite store and real files.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from custom_components.docsight.docsis.demo_history import BNETZ_BAD_CAMPAIGNS, seed_demo_history
from custom_components.docsight.docsis.sources import SourceError
from custom_components.docsight.docsis.sources.bnetz import (
    DEFAULT_RULE,
    BnetzImportError,
    Campaign,
    DuplicateImportError,
    Sample,
    Tariff,
    Verdict,
    evaluate,
    latest_campaign,
    load_file,
    load_rule,
    move_unique,
    parse_bytes,
    parse_csv,
    parse_number,
    parse_pdf,
    parse_protocol_lines,
    save_import,
    scan_folder,
    stored_campaign_to_json,
)
from custom_components.docsight.docsis.storage import HistoryStore
from tests.bnetz_pdf import Protocol, foreign_pdf, protocol_pdf, text_pdf
from tests.shared_fixtures import read_fixture, shared_fixture

BERLIN = ZoneInfo("Europe/Berlin")
GOOD = [[950.0] + [900.0] * 9] * 3  # a passing 1000/850/600 download, day by day


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    history = HistoryStore.open(":memory:")
    yield history
    history.close()


def _pdf(protocol: Protocol) -> Campaign:
    return parse_pdf(protocol_pdf(protocol), BERLIN)


def _verdict(download_days: list[list[float]], upload_days: list[list[float]] | None = None):
    """Judge a campaign given per day (through a real PDF, to keep the whole path honest)."""
    return evaluate(_pdf(Protocol.campaign(download_days, upload_days)))


def _count(store: HistoryStore) -> int:
    return int(store.connection.execute("SELECT count(*) FROM bnetz_measurements").fetchone()[0])


# -- the PDF -----------------------------------------------------------------------------


def test_protocol_pdf_read_back() -> None:
    protocol = Protocol.campaign(GOOD, rows_per_page=20, official_upload=True)
    campaign = _pdf(protocol)
    assert campaign.kind == "pdf"
    assert campaign.date == date(2026, 3, 14)
    assert (campaign.provider, campaign.tariff_name) == ("Kabelnetz Beispiel GmbH", "Cable 1000")
    assert campaign.download_tariff == Tariff(1000.0, 850.0, 600.0)
    assert campaign.upload_tariff == Tariff(50.0, 35.0, 15.0)
    assert campaign.declared_count == 30
    # The tables continue on a second page under the column header only.
    assert [s.nr for s in campaign.download] == list(range(1, 31))
    assert [s.nr for s in campaign.upload] == list(range(1, 31))
    first = campaign.download[0]
    assert first.measured_at == datetime(2026, 3, 10, 8, 0, tzinfo=BERLIN)
    assert first.mbps == 950.0
    assert campaign.average("download") == 905.0
    assert campaign.average("upload") == 45.0
    # The app's own statement is kept beside the computed verdict.
    assert campaign.official == {"download": "ok", "upload": "deviation"}
    verdicts = evaluate(campaign)
    assert verdicts["download"].verdict is Verdict.OK
    assert verdicts["upload"].verdict is Verdict.OK  # 45 of 50 is exactly 90 %


def test_protocol_thousands_and_decimals() -> None:
    protocol = Protocol.campaign([[1234.56] * 10] * 3, download_tariff=(1100.0, 1000.5, 700.25))
    campaign = _pdf(protocol)
    assert campaign.download_tariff == Tariff(1100.0, 1000.5, 700.25)
    assert {s.mbps for s in campaign.download} == {1234.56}


def test_foreign_pdf_refused() -> None:
    with pytest.raises(BnetzImportError) as err:
        parse_pdf(foreign_pdf(), BERLIN)
    assert err.value.key == "not_a_protocol"
    assert isinstance(err.value, SourceError)


@pytest.mark.parametrize(
    "data",
    [
        b"not a pdf at all",
        b"%PDF-1.4\n" + os.urandom(2000),
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
    ],
    ids=["no-pdf", "garbage", "no-pages"],
)
def test_unreadable_pdf_refused(data: bytes) -> None:
    with pytest.raises(BnetzImportError) as err:
        parse_pdf(data, BERLIN)
    assert err.value.key in {"unreadable_pdf", "not_a_protocol"}


def test_truncated_protocol_refused() -> None:
    data = protocol_pdf(Protocol.campaign(GOOD))
    with pytest.raises(BnetzImportError) as err:
        parse_pdf(data[: len(data) // 3], BERLIN)
    assert err.value.key in {"unreadable_pdf", "not_a_protocol", "protocol_incomplete"}


def test_protocol_without_rates_or_tables_refused() -> None:
    lines = [["Messprotokoll der Breitbandmessung vom 15.03.2026", "Anbieter: X"]]
    with pytest.raises(BnetzImportError) as err:
        parse_pdf(text_pdf(lines), BERLIN)
    assert err.value.key == "protocol_incomplete"
    missing = err.value.placeholders["missing"]
    for label in ("Maximal", "Normalerweise", "Minimal", "Messungen im Download"):
        assert label in missing


def test_protocol_count_mismatch_refused() -> None:
    protocol = Protocol.campaign(GOOD, declared_count=31)
    with pytest.raises(BnetzImportError) as err:
        _pdf(protocol)
    assert err.value.key == "protocol_count_mismatch"
    assert err.value.placeholders == {"declared": "31", "found": "30", "direction": "download"}


def test_protocol_repeated_number_refused() -> None:
    protocol = Protocol.campaign(GOOD)
    protocol.download[1] = (1, *protocol.download[1][1:])
    with pytest.raises(BnetzImportError) as err:
        _pdf(protocol)
    assert err.value.key == "protocol_invalid"


def test_protocol_bad_row_refused() -> None:
    pages = [
        [
            "Messprotokoll der Breitbandmessung vom 15.03.2026",
            "Maximal: 250,00 Mbit/s Maximal: 40,00 Mbit/s",
            "Normalerweise: 200,00 Mbit/s Normalerweise: 30,00 Mbit/s",
            "Minimal: 150,00 Mbit/s Minimal: 10,00 Mbit/s",
        ],
        ["Überblick der Messungen im Download", "1 31.02.2026 14:00 235,50 Mbit/s"],
    ]
    with pytest.raises(BnetzImportError) as err:
        parse_protocol_lines(pages, BERLIN)
    assert err.value.key == "protocol_invalid"


def test_protocol_without_date_refused() -> None:
    pages = [["Messprotokoll der Breitbandmessung", "Maximal: 250,00 Mbit/s"]]
    with pytest.raises(BnetzImportError) as err:
        parse_protocol_lines(pages, BERLIN)
    assert err.value.key == "protocol_incomplete"
    assert err.value.placeholders["missing"].startswith("Datum (vom), Maximal")


def test_empty_text_refused() -> None:
    with pytest.raises(BnetzImportError) as err:
        parse_protocol_lines([], BERLIN)
    assert err.value.key == "not_a_protocol"


@pytest.mark.parametrize(
    ("name", "official"),
    [
        ("messprotokoll_pages_no_deviation.synthetic.txt", "ok"),
        ("messprotokoll_pages_with_deviation.synthetic.txt", "deviation"),
    ],
)
def test_shared_protocol_pages(name: str, official: str) -> None:
    """The shared samples' page text, as lines and written into a PDF, read by the parser."""
    pages = [page.strip("\n").splitlines() for page in read_fixture("bnetz", name).split("\f")]
    from_text = parse_protocol_lines(pages, BERLIN)
    from_pdf = parse_pdf(text_pdf(pages), BERLIN)
    for campaign in (from_text, from_pdf):
        assert campaign.date == date(2026, 3, 15)
        assert (campaign.provider, campaign.tariff_name) == ("Telekom", "MagentaZuhause 250")
        assert campaign.download_tariff == Tariff(250.0, 200.0, 150.0)
        assert campaign.upload_tariff == Tariff(40.0, 30.0, 10.0)
        assert [s.mbps for s in campaign.download] == [235.5, 242.1, 238.8, 245.0, 240.3]
        assert [s.mbps for s in campaign.upload] == [38.5, 39.1, 37.8, 40.0, 38.3]
        assert campaign.average("download") == 240.34
        assert campaign.official == {"download": official, "upload": official}
        # Five measurements are no campaign: the statute says nothing about them.
        verdicts = evaluate(campaign)
        assert verdicts["download"].verdict is Verdict.INCOMPLETE
        assert "5 measurements, 30 required" in verdicts["download"].problems
    assert from_text == from_pdf


def test_official_overall_statement_fallback() -> None:
    lines = [
        "Messprotokoll der Breitbandmessung vom 15.03.2026",
        "Maximal: 250,00 Mbit/s Maximal: 40,00 Mbit/s",
        "Normalerweise: 200,00 Mbit/s Normalerweise: 30,00 Mbit/s",
        "Minimal: 150,00 Mbit/s Minimal: 10,00 Mbit/s",
        "Es wurde eine erhebliche Abweichung festgestellt.",
        "Überblick der Messungen im Download",
        "1 10.03.2026 14:00 235,50 Mbit/s",
        "Überblick der Messungen im Upload",
        "1 10.03.2026 14:00 38,50 Mbit/s",
    ]
    campaign = parse_protocol_lines([lines], BERLIN)
    assert campaign.official == {"download": "deviation", "upload": "deviation"}
    assert campaign.declared_count is None
    assert campaign.provider is None


# -- the verdict, criterion by criterion, at its edge -------------------------------------


def _fired(verdict) -> dict[str, tuple[bool, int, int, int]]:
    return {c.key: (c.fired, c.observed, c.limit, c.total) for c in verdict.criteria}


@pytest.mark.parametrize(
    ("best", "days_with_best", "fired", "reached"),
    [
        (900.0, 2, False, 2),  # exactly 90 % of 1000 on two days: enough
        (900.0, 3, False, 3),
        (900.0, 1, True, 1),  # on one day only
        (899.99, 2, True, 0),  # a hundredth short
        (899.99, 3, True, 0),
    ],
)
def test_criterion_maximum_edge(
    best: float, days_with_best: int, fired: bool, reached: int
) -> None:
    # Everything else 860: the normal rate (850) is always reached, the minimum never undercut.
    days = [[best] + [860.0] * 9 if day < days_with_best else [860.0] * 10 for day in range(3)]
    verdict = _verdict(days)["download"]
    assert _fired(verdict)["maximum"] == (fired, reached, 2, 3)
    assert verdict.fired == (("maximum",) if fired else ())
    assert verdict.verdict is (Verdict.DEVIATION if fired else Verdict.OK)
    assert verdict.criteria[0].threshold_mbps == 900.0


@pytest.mark.parametrize(
    ("below", "value", "fired", "reached"),
    [
        (3, 849.99, False, 27),  # 27 of 30 reach 850: exactly 90 %
        (4, 849.99, True, 26),  # 26 of 30: short
        (4, 850.0, False, 30),  # exactly the normal rate counts as reached
        (0, 849.99, False, 30),
    ],
)
def test_criterion_normal_edge(below: int, value: float, fired: bool, reached: int) -> None:
    values = [950.0] * 30
    # The misses spread over the days, the first run of each day stays at 950.
    for index in range(below):
        values[(index % 3) * 10 + 1 + index // 3] = value
    days = [values[0:10], values[10:20], values[20:30]]
    verdict = _verdict(days)["download"]
    assert _fired(verdict)["normal"] == (fired, reached, 27, 30)
    assert verdict.fired == (("normal",) if fired else ())


@pytest.mark.parametrize(
    ("value", "days_undercut", "fired", "observed"),
    [
        (599.99, 1, False, 1),  # one day below the minimum is not enough
        (599.99, 2, True, 2),  # two of three days
        (599.99, 3, True, 3),
        (600.0, 3, False, 0),  # exactly the minimum is no undercut
    ],
)
def test_criterion_minimum_edge(
    value: float, days_undercut: int, fired: bool, observed: int
) -> None:
    days = [[value] + [950.0] * 9 if day < days_undercut else [950.0] * 10 for day in range(3)]
    verdict = _verdict(days)["download"]
    # Three undercuts at 599.99 also miss the normal rate in 3 of 30: still 27, not fired.
    assert _fired(verdict)["minimum"] == (fired, observed, 2, 3)
    assert verdict.fired == (("minimum",) if fired else ())


def test_directions_judged_separately() -> None:
    # Upload: 50/35/15; 26 of 30 at 34.99 miss the normal rate, every day reaches 45.
    upload = [[45.0, 45.0] + [34.99] * 8, [45.0, 45.0] + [34.99] * 8, [45.0] * 10]
    verdicts = _verdict(GOOD, upload)
    assert verdicts["download"].verdict is Verdict.OK
    up = verdicts["upload"]
    assert up.verdict is Verdict.DEVIATION
    assert _fired(up)["normal"] == (True, 14, 27, 30)
    assert up.fired == ("normal",)
    assert "14 of 30 measurements" in up.criteria[1].describe()


def test_all_criteria_fire_together() -> None:
    verdict = _verdict([[500.0] * 10] * 3)["download"]
    assert verdict.fired == ("maximum", "normal", "minimum")
    assert _fired(verdict) == {
        "maximum": (True, 0, 2, 3),
        "normal": (True, 0, 27, 30),
        "minimum": (True, 3, 2, 3),
    }
    texts = [c.describe() for c in verdict.criteria]
    assert texts[0].startswith("900 Mbit/s")
    assert "undercut on 3 of 3 days" in texts[2]


@pytest.mark.parametrize(
    ("days", "problem"),
    [
        ([[950.0] * 10, [950.0] * 10, [950.0] * 9], "29 measurements, 30 required"),
        ([[950.0] * 10, [950.0] * 10, [950.0] * 11], "31 measurements, 30 required"),
        ([[950.0] * 15, [950.0] * 15], "2 measurement days, 3 required"),
        ([[950.0] * 11, [950.0] * 9, [950.0] * 10], "11 measurements, 10 required"),
        ([[950.0] * 8, [950.0] * 8, [950.0] * 7, [950.0] * 7], "4 measurement days, 3 required"),
    ],
)
def test_incomplete_campaign(days: list[list[float]], problem: str) -> None:
    verdict = _verdict(days)["download"]
    assert verdict.verdict is Verdict.INCOMPLETE
    assert verdict.criteria == ()
    assert any(problem in text for text in verdict.problems), verdict.problems


def test_rule_parameters_are_data(tmp_path: Path) -> None:
    rule = load_rule()
    assert rule == DEFAULT_RULE
    assert (rule.measurements, rule.days, rule.per_day) == (30, 3, 10)
    assert "57" in rule.source
    assert "99/2021" in rule.source
    # Change the share of the maximum to 80 %: 850 on two days now suffices.
    data = json.loads(Path(load_rule.__defaults__[0]).read_text(encoding="utf-8"))
    data["criteria"]["maximum"]["share_percent"] = 80
    data["campaign"] = {"measurements": 20, "days": 2, "per_day": 10}
    custom = tmp_path / "rule.json"
    custom.write_text(json.dumps(data), encoding="utf-8")
    other = load_rule(custom)
    campaign = _pdf(Protocol.campaign([[860.0] * 10] * 2))
    assert evaluate(campaign)["download"].verdict is Verdict.INCOMPLETE
    verdict = evaluate(campaign, other)["download"]
    assert verdict.verdict is Verdict.OK
    assert verdict.criteria[0].threshold_mbps == 800.0


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "german", "value"),
    [
        ("558,90", True, 558.9),
        ("558.90", True, 558.9),
        ("1.000,50", True, 1000.5),
        ("1.000", True, 1000.0),
        ("1,000", True, 1.0),
        ("1,000.50", False, 1000.5),
        ("1,000", False, 1000.0),
        ("1.000", False, 1.0),
        ("12.345.678", True, 12345678.0),
        (" 42 ", True, 42.0),
        ("1\u00a0000,5", True, 1000.5),
        ("+7", True, 7.0),
        ("abc", True, None),
        ("", True, None),
        ("-5", True, None),
        ("1,2,3", True, None),
        ("1.2.3", False, None),
        ("1.000,5,5", True, None),
        ("nan", False, None),
        ("inf", False, None),
    ],
)
def test_parse_number(text: str, german: bool, value: float | None) -> None:
    assert parse_number(text, german=german) == value


# -- CSV -----------------------------------------------------------------------------------


def _csv_campaign(days: int = 3, per_day: int = 10, *, soll: bool = True) -> str:
    head = "Nr.;Messzeitpunkt;Download (Mbit/s);Upload (Mbit/s)"
    if soll:
        head += (
            ";Download SOLL minimal (Mbit/s);Download SOLL normalerweise (Mbit/s)"
            ";Download SOLL maximal (Mbit/s);Upload SOLL minimal (Mbit/s)"
            ";Upload SOLL normalerweise (Mbit/s);Upload SOLL maximal (Mbit/s);Anbieter;Tarif"
        )
    lines = [head]
    for day in range(days):
        for run in range(per_day):
            row = f"{len(lines)};{10 + 2 * day:02d}.03.2026 {8 + run}:05:00;905,5;44,25"
            if soll:
                row += ";600;850;1000;15;35;50;Kabel Ü GmbH;Cable 1000"
            lines.append(row)
    return "\n".join(lines) + "\n"


def test_csv_desktop_campaign_with_tariff() -> None:
    campaign = parse_csv(_csv_campaign().encode("cp1252"), BERLIN)
    assert campaign.kind == "csv"
    assert (campaign.provider, campaign.tariff_name) == ("Kabel Ü GmbH", "Cable 1000")
    assert campaign.download_tariff == Tariff(1000.0, 850.0, 600.0)
    assert campaign.upload_tariff == Tariff(50.0, 35.0, 15.0)
    assert len(campaign.download) == len(campaign.upload) == 30
    assert campaign.date == date(2026, 3, 14)
    assert campaign.download[0].measured_at == datetime(2026, 3, 10, 8, 5, tzinfo=BERLIN)
    verdicts = evaluate(campaign)
    # 905.5 every run: 90 % of the maximum every day, the normal rate always.
    assert verdicts["download"].verdict is Verdict.OK
    # 44.25 < 45 (90 % of 50) on every day.
    assert verdicts["upload"].verdict is Verdict.DEVIATION
    assert verdicts["upload"].fired == ("maximum",)


def test_csv_without_tariff_has_no_verdict() -> None:
    campaign = parse_csv(_csv_campaign(soll=False).encode(), BERLIN)
    assert campaign.download_tariff is None
    verdicts = evaluate(campaign)
    assert verdicts["download"].verdict is Verdict.NO_TARIFF
    assert verdicts["download"].measurements == 30


def test_csv_english_comma_separated_with_bom() -> None:
    data = (
        "\ufeffDate,Time,Download (kbit/s),Upload (Mbit/s)\n"
        '2026-03-10,14:00,"1,234,500",38.5\n'
        "\n"
        "2026-03-11,15:00:30,242100,39.1\n"
    ).encode()
    campaign = parse_csv(data, BERLIN)
    assert [s.mbps for s in campaign.download] == [1234.5, 242.1]
    assert [s.mbps for s in campaign.upload] == [38.5, 39.1]
    assert [s.nr for s in campaign.download] == [1, 2]
    assert campaign.download[1].measured_at == datetime(2026, 3, 11, 15, 0, 30, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("name", "download", "upload", "tariff"),
    [
        ("csv_desktop_app_export_min.synthetic.csv", [558.9], [53.29], None),
        (
            "csv_desktop_app_export_with_soll.synthetic.csv",
            [558.9],
            [53.29],
            Tariff(1000.0, 850.0, 600.0),
        ),
        ("csv_generic_semicolon.synthetic.csv", [235.5, 242.1, 238.8], [38.5, 39.1, 37.8], None),
        ("csv_webtest_export.synthetic.csv", [469.01], [53.99], None),
    ],
)
def test_shared_csv_samples(
    name: str, download: list[float], upload: list[float], tariff: Tariff | None
) -> None:
    loaded = load_file(shared_fixture("bnetz", name), BERLIN)
    campaign = loaded.campaign
    assert loaded.kind == "csv"
    assert loaded.pdf is None
    assert [s.mbps for s in campaign.download] == download
    assert [s.mbps for s in campaign.upload] == upload
    assert campaign.download_tariff == tariff
    assert evaluate(campaign)["download"].verdict is Verdict.INCOMPLETE


def test_shared_webtest_time_column() -> None:
    path = shared_fixture("bnetz", "csv_webtest_export.synthetic.csv")
    campaign = parse_csv(path.read_bytes(), BERLIN)
    assert campaign.download[0].measured_at == datetime(2026, 3, 3, 14, 30, 26, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("data", "code", "placeholders"),
    [
        (
            b"Datum;Uhrzeit;Download (Mbit/s)\n10.03.2026;14:00;1\n",
            "csv_missing_columns",
            {"columns": "Upload"},
        ),
        (b"Foo;Bar\n1;2\n", "csv_missing_columns", {"columns": "Datum, Download, Upload"}),
        (
            b"Datum;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;1;2\n",
            "csv_missing_columns",
            {"columns": "Uhrzeit"},
        ),
        (
            (
                b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;14:00;235,5;38,5\n"
                b"11.03.2026;15:00;schnell;39\n"
            ),
            "csv_bad_number",
            {"line": "3", "column": "Download (Mbit/s)", "value": "schnell"},
        ),
        (
            b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;14:00;235,5;\n",
            "csv_bad_number",
            {"line": "2", "column": "Upload (Mbit/s)", "value": ""},
        ),
        (
            b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;14:00;-5;38\n",
            "csv_bad_number",
            {"line": "2", "column": "Download (Mbit/s)", "value": "-5"},
        ),
        (
            b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n31.02.2026;14:00;1;2\n",
            "csv_bad_date",
            {"line": "2", "value": "31.02.2026 14:00"},
        ),
        (
            (
                b"Messzeitpunkt;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026 14:00;1;2\n"
                b"10.03.2026 25:00;1;2\n"
            ),
            "csv_bad_date",
            {"line": "3", "value": "10.03.2026 25:00"},
        ),
        (
            b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;spaet;1;2\n",
            "csv_bad_date",
            {"line": "2", "value": "10.03.2026 spaet"},
        ),
        (
            (
                b"Nr.;Messzeitpunkt;Download (Mbit/s);Upload (Mbit/s);Download SOLL minimal (Mbit/s)"
                b";Download SOLL normalerweise (Mbit/s);Download SOLL maximal (Mbit/s)\n"
                b"1;10.03.2026 14:00;1;2;600;viel;1000\n"
            ),
            "csv_bad_number",
            {"line": "2", "column": "Download SOLL normalerweise (Mbit/s)", "value": "viel"},
        ),
        (
            b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n10.03.2026;14:00;235,5\n",
            "csv_bad_number",
            {"line": "2", "column": "Upload (Mbit/s)", "value": ""},
        ),
        (b"Datum;Uhrzeit;Download (Mbit/s);Upload (Mbit/s)\n\n", "csv_no_rows", {}),
        (b"\n \n", "csv_no_rows", {}),
        (b"Datum;Uhrzeit\x00;Download", "csv_unreadable", {"error": "binary"}),
        (b"\x81\x8d\x8f\x90\x9d", "csv_unreadable", {"error": "encoding"}),
        (b'Datum;Uhrzeit;Download;Upload\n"10.03.2026;14:00;1;2\n', "csv_unreadable", None),
    ],
)
def test_csv_errors(data: bytes, code: str, placeholders: dict[str, str] | None) -> None:
    with pytest.raises(BnetzImportError) as err:
        parse_csv(data, BERLIN)
    assert err.value.key == code
    if placeholders is not None:
        assert err.value.placeholders == placeholders


def test_unsupported_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(BnetzImportError) as err:
        parse_bytes("protocol.docx", b"x", BERLIN)
    assert err.value.key == "unsupported_file"
    with pytest.raises(BnetzImportError) as err:
        load_file(tmp_path / "protocol.txt", BERLIN)
    assert err.value.key == "unsupported_file"
    with pytest.raises(BnetzImportError) as err:
        load_file(tmp_path / "missing.pdf", BERLIN)
    assert err.value.key == "read_failed"
    big = tmp_path / "big.csv"
    with big.open("wb") as file:
        file.truncate(20 * 1024 * 1024 + 1)
    with pytest.raises(BnetzImportError) as err:
        load_file(big, BERLIN)
    assert err.value.key == "file_too_large"


# -- the store -----------------------------------------------------------------------------------


def _loaded(tmp_path: Path, protocol: Protocol, name: str = "protocol.pdf"):
    path = tmp_path / name
    path.write_bytes(protocol_pdf(protocol))
    return load_file(path, BERLIN)


def test_save_and_read_back(store: HistoryStore, tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, Protocol.campaign(GOOD, [[30.0] * 10] * 3))
    stored = save_import(store, loaded)
    assert stored.verdicts["upload"].verdict is Verdict.DEVIATION
    row = store.rows("bnetz_measurements")[0]
    assert row["source"] == f"pdf:{loaded.digest}"
    assert row["pdf"] == loaded.pdf
    assert (row["date"], row["ts"]) == ("2026-03-14", "2026-03-14T14:40:00Z")
    assert (row["download_max"], row["download_normal"], row["download_min"]) == (1000, 850, 600)
    assert (row["download_measured_avg"], row["upload_measured_avg"]) == (905.0, 30.0)
    assert (row["verdict_download"], row["verdict_upload"]) == ("ok", "deviation")
    assert row["measurement_count"] == 30
    assert row["is_demo"] == 0
    measurements = json.loads(row["measurements"])
    assert measurements[0] == {
        "nr": 1,
        "timestamp": "2026-03-10T07:00:00Z",
        "download_mbps": 950.0,
        "upload_mbps": 30.0,
    }

    latest = latest_campaign(store, BERLIN)
    assert latest is not None
    assert latest.id == stored.id
    assert latest.has_pdf
    assert latest.campaign.kind == "pdf"
    assert latest.campaign.download == loaded.campaign.download
    assert latest.campaign.upload == loaded.campaign.upload
    assert latest.verdicts == stored.verdicts

    answer = stored_campaign_to_json(latest)
    assert answer["date"] == "2026-03-14"
    assert answer["download"]["verdict"] == "ok"
    assert answer["upload"]["fired"] == ["maximum", "normal"]
    assert answer["upload"]["tariff_mbps"] == {"maximum": 50.0, "normal": 35.0, "minimum": 15.0}
    assert answer["upload"]["criteria"][1]["observed"] == 0
    assert answer["upload"]["per_day"] == {"2026-03-10": 10, "2026-03-12": 10, "2026-03-14": 10}
    assert json.loads(json.dumps(answer)) == answer


def test_same_file_never_imported_twice(store: HistoryStore, tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, Protocol.campaign(GOOD))
    first = save_import(store, loaded)
    copy = tmp_path / "copy.pdf"
    copy.write_bytes((tmp_path / "protocol.pdf").read_bytes())
    with pytest.raises(DuplicateImportError) as err:
        save_import(store, load_file(copy, BERLIN))
    assert err.value.campaign_id == first.id
    assert err.value.key == "already_imported"
    assert err.value.placeholders == {"date": "2026-03-14"}
    assert _count(store) == 1


def test_latest_by_protocol_date(store: HistoryStore, tmp_path: Path) -> None:
    newer = save_import(
        store, _loaded(tmp_path, Protocol.campaign(GOOD, first_day=date(2026, 4, 1)))
    )
    save_import(store, _loaded(tmp_path, Protocol.campaign(GOOD), "older.pdf"))
    latest = latest_campaign(store, BERLIN)
    assert latest is not None
    assert latest.id == newer.id
    empty = HistoryStore.open(":memory:")
    try:
        assert latest_campaign(empty, BERLIN) is None
    finally:
        empty.close()


def test_upload_times_of_their_own_and_missing_tariff(store: HistoryStore) -> None:
    when = datetime(2026, 3, 10, 8, 0, tzinfo=BERLIN)
    campaign = Campaign(
        date=date(2026, 3, 10),
        provider=None,
        tariff_name=None,
        download_tariff=None,
        upload_tariff=Tariff(50, 35, 15),
        download=(Sample(1, when, 900.0),),
        upload=(Sample(1, when + timedelta(minutes=1), 45.0), Sample(2, when, 44.0)),
        kind="csv",
    )
    from custom_components.docsight.docsis.sources.bnetz import LoadedFile

    save_import(store, LoadedFile("x.csv", "csv", "ab" * 32, campaign, None))
    latest = latest_campaign(store, BERLIN)
    assert latest is not None
    assert latest.campaign.download == campaign.download
    assert sorted(latest.campaign.upload, key=lambda s: s.nr) == list(campaign.upload)
    assert latest.campaign.download_tariff is None
    assert not latest.has_pdf
    assert (
        Campaign(date(2026, 3, 10), None, None, None, None, campaign.download, (), "csv").average(
            "upload"
        )
        is None
    )
    assert stored_campaign_to_json(latest)["download"]["tariff_mbps"] is None


def test_demo_campaigns_judged_by_the_rule(store: HistoryStore) -> None:
    end = datetime(2026, 3, 17, 12, tzinfo=UTC)
    seed_demo_history(store, days=1, end=end, time_zone=BERLIN, seed=0)
    rows = store.rows("bnetz_measurements", order="date")
    assert len(rows) == 9
    for number, row in enumerate(rows, start=1):
        bad = number in BNETZ_BAD_CAMPAIGNS
        assert row["verdict_download"] == ("deviation" if bad else "ok")
        assert row["verdict_upload"] == ("deviation" if bad else "ok")
    latest = latest_campaign(store, BERLIN)
    assert latest is not None
    assert latest.is_demo
    assert latest.campaign.kind == "demo"
    assert latest.campaign.date.isoformat() == rows[-1]["date"]
    for direction in ("download", "upload"):
        assert latest.verdicts[direction].verdict.value == rows[-1][f"verdict_{direction}"]
    # A failing demo campaign fails on the normal rate, with its numbers.
    bad_row = rows[min(BNETZ_BAD_CAMPAIGNS) - 1]
    store.connection.execute("DELETE FROM bnetz_measurements WHERE date > ?", (bad_row["date"],))
    bad = latest_campaign(store, BERLIN)
    assert bad is not None
    assert "normal" in bad.verdicts["download"].fired
    assert bad.verdicts["download"].criteria[1].observed < 27


# -- the watched folder ----------------------------------------------------------------------------


def _age(path: Path, seconds: float = 60) -> None:
    moment = datetime.now(UTC).timestamp() - seconds
    os.utime(path, (moment, moment))


def test_scan_folder(store: HistoryStore, tmp_path: Path) -> None:
    folder = tmp_path / "bnetz"
    folder.mkdir()
    good = folder / "a_protocol.pdf"
    good.write_bytes(protocol_pdf(Protocol.campaign(GOOD)))
    csv_file = folder / "b_export.CSV"
    csv_file.write_text(_csv_campaign(), encoding="utf-8")
    broken = folder / "c_broken.pdf"
    broken.write_bytes(foreign_pdf())
    bad_csv = folder / "d_bad.csv"
    bad_csv.write_bytes(b"Foo;Bar\n1;2\n")
    other = folder / "notes.txt"
    other.write_text("not for us")
    for path in (good, csv_file, broken, bad_csv, other):
        _age(path)
    young = folder / "e_copying.pdf"
    young.write_bytes(b"%PDF-1.4 half")

    report = scan_folder(store, folder, BERLIN)
    assert [stored.campaign.kind for stored in report.imported] == ["pdf", "csv"]
    assert [(name, err.key) for name, err in report.failed] == [
        ("c_broken.pdf", "not_a_protocol"),
        ("d_bad.csv", "csv_missing_columns"),
    ]
    assert report.waiting == ["e_copying.pdf"]
    assert report.duplicates == report.not_moved == []
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "a_protocol.pdf",
        "b_export.CSV",
    ]
    assert sorted(p.name for p in (folder / "failed").iterdir()) == ["c_broken.pdf", "d_bad.csv"]
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["e_copying.pdf", "notes.txt"]
    assert _count(store) == 2

    # The same protocol again, under another name: moved, not imported again,
    # and the name already in processed/ is not overwritten.
    again = folder / "a_protocol.pdf"
    again.write_bytes(
        good.with_name("x").parent.joinpath("processed", "a_protocol.pdf").read_bytes()
    )
    _age(again)
    young.unlink()
    report = scan_folder(store, folder, BERLIN)
    assert report.duplicates == ["a_protocol.pdf"]
    assert report.imported == []
    assert (folder / "processed" / "a_protocol (1).pdf").exists()
    assert _count(store) == 2

    # Nothing new: nothing happens.
    assert scan_folder(store, folder, BERLIN) == type(report)()


def test_scan_keeps_a_file_it_cannot_move(store: HistoryStore, tmp_path: Path) -> None:
    folder = tmp_path / "bnetz"
    folder.mkdir()
    (folder / "processed").write_text("a file where the folder should be")
    path = folder / "protocol.pdf"
    path.write_bytes(protocol_pdf(Protocol.campaign(GOOD)))
    _age(path)
    report = scan_folder(store, folder, BERLIN, settle=timedelta(0))
    assert len(report.imported) == 1
    assert [name for name, _ in report.not_moved] == ["protocol.pdf"]
    assert path.exists()
    # Next scan: recognised, never imported twice.
    report = scan_folder(store, folder, BERLIN, settle=timedelta(0))
    assert report.duplicates == ["protocol.pdf"]
    assert _count(store) == 1


def test_scan_missing_folder(store: HistoryStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan_folder(store, tmp_path / "absent", BERLIN)


def test_scan_file_vanishing(store: HistoryStore, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "bnetz"
    folder.mkdir()
    path = folder / "gone.pdf"
    path.write_bytes(b"%PDF-")
    real_stat = Path.stat

    def stat(self: Path, **kwargs):
        if self == path:
            raise FileNotFoundError(self)
        return real_stat(self, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    monkeypatch.setattr(Path, "is_file", lambda self: True)
    report = scan_folder(store, folder, BERLIN)
    assert [name for name, _ in report.not_moved] == ["gone.pdf"]


def test_move_unique(tmp_path: Path) -> None:
    source = tmp_path / "x.pdf"
    for expected in ("x.pdf", "x (1).pdf", "x (2).pdf"):
        source.write_bytes(b"1")
        assert move_unique(source, tmp_path / "done").name == expected
