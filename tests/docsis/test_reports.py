"""Reports from the history: PDFs read back with pdfminer.six, the complaint letter, the LLM export."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
import io
import json
from pathlib import Path
import re
from zoneinfo import ZoneInfo

from pdfminer.high_level import extract_text
from pdfminer.layout import LAParams
import pytest

from custom_components.docsight.docsis.analyzer import LineHealth
from custom_components.docsight.docsis.demo_history import seed_demo_history
from custom_components.docsight.docsis.events import Event, EventType, Severity
from custom_components.docsight.docsis.model import DeviceInfo, Direction
from custom_components.docsight.docsis.reports import (
    LANGUAGES,
    IncidentNotFoundError,
    Letter,
    complaint_text,
    gather_incident_data,
    gather_report_data,
    incident_period,
    llm_export,
    resolve_language,
)
from custom_components.docsight.docsis.reports.pdf import (
    pdf_text,
    render_incident_report,
    render_report,
)
from custom_components.docsight.docsis.reports.texts import TEXTS, Lang
from custom_components.docsight.docsis.storage import HistoryStore, iso_z

from .factories import analysis, ds, us

ZONE = ZoneInfo("Europe/Berlin")
END = datetime(2026, 3, 15, 12, 0, tzinfo=ZONE)
POLL_GAP = timedelta(minutes=5)
DEVICE = DeviceInfo(manufacturer="Acme", model="CM-1", firmware="1.2.3", docsis_version="3.1")


def pdf_words(content: bytes) -> str:
    """Return a PDF's text row by row, whitespace runs collapsed to one space.

    Boxes in page order and a wide character margin keep a table row (or a
    label and its value) on one line, so tests can look for whole rows.
    """
    assert content.startswith(b"%PDF-")
    text = extract_text(io.BytesIO(content), laparams=LAParams(boxes_flow=None, char_margin=60))
    return " ".join(text.split())


def page_count(content: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", content))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryStore]:
    """Forty days of the demo line (15-minute snapshots) with its journal, speed tests, BNetzA."""
    store = HistoryStore.open(tmp_path_factory.mktemp("demo") / "history.db")
    seed_demo_history(store, days=40, end=END, time_zone=ZONE)
    yield store
    store.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    store = HistoryStore.open(tmp_path / "history.db")
    yield store
    store.close()


def hourly_line(
    store: HistoryStore, start: datetime, hours: int, bad: set[int] = frozenset()
) -> None:
    """Store one poll an hour: good, or with a weak channel and a loud level in ``bad`` hours."""
    polls = []
    for hour in range(hours):
        worse = hour in bad
        polls.append(
            (
                analysis(
                    [
                        ds(1, power=15.0 if worse else 3.0, snr=30.0 if worse else 38.0),
                        ds(2, power=4.0, snr=37.5, modulation="64QAM" if worse else "256QAM"),
                    ],
                    [us(1, power=52.0 if worse else 45.0)],
                    at=start + timedelta(hours=hour),
                    device=DEVICE,
                ),
                [
                    Event(
                        start + timedelta(hours=hour),
                        EventType.HEALTH_CHANGE,
                        Severity.WARNING,
                        "Line health changed",
                    )
                ]
                if worse
                else [],
            )
        )
    store.save_polls(polls)


def campaign(day: str, *, down_avg: float, up_avg: float, verdict: str) -> dict[str, object]:
    return {
        "date": day,
        "provider": "Kabel Test GmbH",
        "tariff": "Kabel 500",
        "download_max": 500.0,
        "download_normal": 400.0,
        "download_min": 250.0,
        "upload_max": 50.0,
        "upload_normal": 35.0,
        "upload_min": 15.0,
        "download_measured_avg": down_avg,
        "upload_measured_avg": up_avg,
        "measurement_count": 30,
        "verdict_download": verdict,
        "verdict_upload": "ok",
        "measurements": json.dumps([]),
        "source": "pdf",
    }


# ---------------------------------------------------------------------------
# The period report on the demo line.


def test_demo_report_german_every_section_with_its_numbers(demo_store: HistoryStore) -> None:
    start = END - timedelta(days=30)
    data = gather_report_data(demo_store, start, END, time_zone=ZONE, now=END)
    letter = Letter("Max Müller", "K-4711", "Hauptstraße 1\n10115 Berlin")
    content = render_report(data, "de", letter)
    text = pdf_words(content)
    de = TEXTS["de"]

    for key in (
        "report_title",
        "sec_connection",
        "sec_latest",
        "sec_notes",
        "sec_comparison",
        "sec_history",
        "sec_thresholds",
        "sec_complaint",
    ):
        assert de[key] in text, key
    assert 3 <= page_count(content) <= 5
    assert "Seite 1 von" in text

    # The numbers, checked against the store read the ordinary way.
    summaries = demo_store.snapshots(start, END, limit=100_000)
    assert len(summaries) == 30 * 96
    assert "Messungen 2.880" in text
    counts = Counter(summary.health for summary in summaries)
    poor = counts[LineHealth.MARGINAL] + counts[LineHealth.CRITICAL]
    assert poor > 0  # the demo has bad nights every tenth day
    pct = f"{100 * poor / len(summaries):.1f}".replace(".", ",")
    assert f"In {pct} % der Messungen ({poor} von 2.880)" in text
    for health, word in ((LineHealth.GOOD, "gut"), (LineHealth.TOLERATED, "toleriert")):
        assert f"{counts[health]:,}".replace(",", ".") in text, word
    lowest_snr = min(s.ds_snr_min for s in summaries if s.ds_snr_min is not None)
    assert f"{lowest_snr:.1f} dB".replace(".", ",") in text
    assert data.history.ds_snr_min is not None
    assert data.history.ds_snr_min.value == lowest_snr

    # Connection and latest status with every channel.
    assert "Kabelnetz Demo GmbH" in text
    assert "Cable 1000" in text
    assert "DOCSight Demo Router" in text
    latest = demo_store.snapshot_at(END - timedelta(seconds=1))
    assert latest is not None
    assert data.latest is not None
    assert data.latest.summary.id == latest.summary.id
    assert "Downstream (25)" in text
    assert "Upstream (5)" in text
    for item in latest.downstream[:3]:
        assert f"{item.channel.power_dbmv:.1f}".replace(".", ",") in text
    assert "134.975-324.975" in text  # the OFDM block

    # Notes: the bad nights drop channels 19-24 to 64QAM, upstream 3 and 4 to 16QAM.
    assert "Die Downstream-Kanäle 19, 20, 21, 22, 23, 24 fielen zeitweise auf 64QAM zurück" in text
    assert "Die Upstream-Kanäle 3, 4 fielen zeitweise auf 16QAM zurück" in text
    # Before and after, at the middle of the period.
    assert "Der Zeitraum vor und nach dem 28.02.2026 12:00" in text
    # Thresholds from the profile.
    assert "Vodafone Kabel Deutschland" in text
    assert "-4,0 .. 13,0" in text
    # The letter with the sender and proper umlauts.
    assert "Max Müller Hauptstraße 1 10115 Berlin" in text
    assert "Kundennummer: K-4711" in text
    assert "anhaltende Störung" in text
    assert "Mit freundlichen Grüßen Max Müller" in text


def test_demo_report_english(demo_store: HistoryStore) -> None:
    data = gather_report_data(demo_store, END - timedelta(days=7), END, time_zone=ZONE, now=END)
    text = pdf_words(render_report(data, "en"))
    for key in ("report_title", "sec_latest", "sec_history", "sec_complaint"):
        assert TEXTS["en"][key] in text
    assert "Measurements 672" in text
    assert "Page 1 of" in text
    assert "At times downstream channels 19, 20, 21, 22, 23, 24 fell back to 64QAM" in text
    assert "Dear Sir or Madam," in text
    assert "Channels most often worse than good" in text


def test_channel_figures_match_the_stores_own_decoding(demo_store: HistoryStore) -> None:
    """The blob slicing gives what reading every snapshot one by one gives."""
    start = END - timedelta(days=2)
    data = gather_report_data(demo_store, start, END, time_zone=ZONE)
    expected: dict[tuple[Direction, int], dict[str, object]] = {}
    for summary in demo_store.snapshots(start, END, limit=1000):
        snapshot = demo_store.snapshot_at(summary.ts)
        assert snapshot is not None
        for item in (*snapshot.downstream, *snapshot.upstream):
            channel = item.channel
            figures = expected.setdefault(
                (channel.direction, channel.channel_id),
                {"health": Counter(), "power": [], "snr": [], "modulations": set()},
            )
            figures["health"][item.health.value] += 1  # type: ignore[index]
            figures["power"].append(channel.power_dbmv)  # type: ignore[attr-defined]
            if channel.snr_db is not None:
                figures["snr"].append(channel.snr_db)  # type: ignore[attr-defined]
            figures["modulations"].add(channel.modulation)  # type: ignore[attr-defined]
    assert len(data.history.channels) == len(expected) == 30
    for stats in data.history.channels:
        figures = expected[(stats.direction, stats.channel_id)]
        health = figures["health"]
        assert stats.health_counts == tuple(
            health[name]  # type: ignore[index]
            for name in ("good", "tolerated", "warning", "critical")
        )
        assert stats.samples == 192
        assert stats.power_min == min(figures["power"])  # type: ignore[type-var]
        assert stats.power_max == max(figures["power"])  # type: ignore[type-var]
        assert stats.snr_min == (min(figures["snr"]) if figures["snr"] else None)  # type: ignore[type-var]
        assert set(stats.modulations) == figures["modulations"]
    worst = data.history.worst_channels
    assert worst
    assert worst == sorted(worst, key=lambda s: -s.not_good)
    assert all(stats.not_good for stats in worst)


def test_demo_history_extremes_and_events(demo_store: HistoryStore) -> None:
    start = END - timedelta(days=30)
    data = gather_report_data(demo_store, start, END, time_zone=ZONE)
    history = data.history
    summaries = demo_store.snapshots(start, END, limit=100_000)
    assert history.first == summaries[0].ts
    assert history.last == summaries[-1].ts
    power = [s.ds_power_avg for s in summaries]
    assert history.ds_power_min is not None
    assert history.ds_power_min.value <= min(p for p in power if p is not None)
    assert history.ds_power_min.ts >= start.astimezone(UTC)
    events = demo_store.events(start=start, end=END, limit=100_000)
    assert history.events_of() == len(events)
    assert history.events_of(severities=("warning",)) == sum(
        1 for e in events if e.severity == "warning"
    )
    # The demo's three speed tests a day (15 % skipped) and its campaigns of the period.
    assert 60 <= len(data.speedtests) <= 90
    assert [row["date"] for row in data.bnetz] == sorted(row["date"] for row in data.bnetz)
    assert all(isinstance(row["measurements"], list) for row in data.bnetz)
    assert "pdf" not in data.bnetz[0]


def test_compare_at_splits_the_period(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 48, bad=set(range(10, 20)))
    split = start + timedelta(hours=24)
    data = gather_report_data(store, start, start + timedelta(hours=48), compare_at=split)
    comparison = data.comparison
    assert comparison is not None
    assert comparison.at == split
    assert comparison.before.snapshots == comparison.after.snapshots == 24
    assert comparison.before.problem_events == 10
    assert comparison.after.problem_events == 0
    assert comparison.before.poor_pct == pytest.approx(100 * 10 / 24)
    assert comparison.after.poor_pct == 0
    assert comparison.before.ds_snr_min == 30.0
    assert comparison.after.ds_snr_min == 37.5
    text = pdf_words(render_report(data, "en"))
    assert "The period before and after 2026-03-02 00:00." in text
    # A split with no measurements on one side gives no comparison.
    late = gather_report_data(
        store, start, start + timedelta(days=5), compare_at=start + timedelta(days=3)
    )
    assert late.comparison is None
    assert TEXTS["en"]["sec_comparison"] not in pdf_words(render_report(late, "en"))


def test_german_umlauts_survive_the_pdf(store: HistoryStore) -> None:
    """Core fonts, Windows-1252: ä ö ü ß come back through pdfminer.six unchanged."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 24, bad={5, 6})
    baseline = None
    polls = []
    for hour in range(20, 23):  # lost codewords, for the note about the transmission
        result = analysis(
            [ds(1, power=3.0, snr=38.0, corrected=10_000, uncorrected=500 * (hour - 20))],
            at=start + timedelta(hours=hour, minutes=30),
            baseline=baseline,
        )
        baseline = result.baseline
        polls.append((result, []))
    store.save_polls(polls)
    data = gather_report_data(store, start, start + timedelta(days=1), time_zone=ZONE)
    content = render_report(data, "de", Letter(name="Jürgen Weiß", address="Öhringer Straße 5"))
    text = pdf_words(content)
    for word in ("Dämpfung", "Störung", "Übertragung", "ß", "Grüßen", "Jürgen Weiß", "Öhringer"):
        assert word in text, word
    # The loud level and the weak SNR are explained, with German decimal commas.
    assert "Der Downstream-Pegel erreichte 15,0 dBmV" in text
    assert "Der niedrigste Downstream-SNR betrug 30,0 dB" in text
    assert "Der Upstream-Pegel erreichte 52,0 dBmV" in text
    assert "Downstream-Kanal 2 fiel zeitweise auf 64QAM zurück" in text
    assert "Acme CM-1" in text


def test_empty_period(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    data = gather_report_data(store, start, start + timedelta(days=30))
    assert data.latest is None
    assert data.history.snapshots == 0
    assert data.history.channels == ()
    assert data.comparison is None
    for language in LANGUAGES:
        text = pdf_words(render_report(data, language))
        assert TEXTS[language]["no_latest"] in text
        assert TEXTS[language]["no_data"] in text
        assert TEXTS[language]["c_greeting"] in text
    letter = complaint_text(data, "en")
    assert "No measurements were recorded in this period." in letter
    assert "(0 measurements)" in letter


def test_a_measurement_before_the_period_is_not_its_latest(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 2)
    data = gather_report_data(store, start + timedelta(days=1), start + timedelta(days=2))
    assert data.latest is None
    with pytest.raises(ValueError, match="before"):
        gather_report_data(store, start, start)


# ---------------------------------------------------------------------------
# The complaint letter.


def test_complaint_text_with_a_bnetz_deviation(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 72, bad={3, 4, 30})
    store.insert_rows(
        "bnetz_measurements",
        [
            campaign("2026-03-02", down_avg=310.0, up_avg=40.0, verdict="deviation"),
            campaign("2026-03-03", down_avg=480.0, up_avg=48.0, verdict="ok"),
        ],
    )
    data = gather_report_data(store, start, start + timedelta(days=3), time_zone=ZONE)
    letter = Letter("Erika Mustermann", "123-456", "Beispielweg 2\n12345 Musterstadt")

    english = complaint_text(data, "en", letter)
    assert english.startswith("Erika Mustermann\nBeispielweg 2\n12345 Musterstadt\n")
    assert "Customer number: 123-456" in english
    assert "(72 measurements)" in english
    assert "In 4.2 % of the measurements (3 of 72)" in english
    # pct = avg / max * 100 = 310 / 500 = 62 %; only the deviating direction of that campaign.
    assert (
        "Campaign of 2026-03-02, download: on average 310.0 Mbit/s, 62.0 % of the contractual "
        "maximum of 500 Mbit/s (deviation found)." in english
    )
    assert "2026-03-03" not in english
    assert "upload: on average" not in english
    assert "§57(4) TKG" in english
    assert "1. send a technician" in english
    assert "Bundesnetzagentur" in english
    assert english.rstrip().endswith("Kind regards\nErika Mustermann")
    # Channel 2's 64QAM is still good on SC-QAM: only the graded channels count.
    assert "Most affected channels: DS 1, US 1." in english

    german = complaint_text(data, "de", letter)
    assert "Betreff: Beschwerde über wiederkehrende Störungen" in german
    assert "In 4,2 % der Messungen (3 von 72)" in german
    assert (
        "Messkampagne vom 02.03.2026, Download: im Mittel 310,0 Mbit/s, das sind 62,0 %" in german
    )
    assert "§57 Abs. 4 TKG" in german
    assert german.rstrip().endswith("Mit freundlichen Grüßen\nErika Mustermann")


def test_complaint_text_without_deviation_or_letter_details(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 24)
    store.insert_rows(
        "bnetz_measurements", [campaign("2026-03-01", down_avg=480, up_avg=48, verdict="ok")]
    )
    data = gather_report_data(store, start, start + timedelta(days=1))
    text = complaint_text(data, "en")
    assert text.startswith("Subject: Complaint")
    assert "None of the measurements in this period was marginal or critical." in text
    assert "TKG" not in text
    assert "Customer number" not in text
    assert "uncorrectable" not in text  # no codeword counters on this line
    assert text.rstrip().endswith("Kind regards")


def test_complaint_mentions_uncorrectable_errors(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    baseline = None
    polls = []
    for hour in range(3):
        result = analysis(
            [ds(i, corrected=10_000, uncorrected=500 * hour) for i in range(1, 5)],
            at=start + timedelta(hours=hour),
            baseline=baseline,
        )
        baseline = result.baseline
        polls.append((result, []))
    store.save_polls(polls)
    data = gather_report_data(store, start, start + timedelta(days=1))
    assert data.history.uncorr_pct_max is not None
    assert data.history.uncorr_pct_max.value > 3
    text = complaint_text(data, "en")
    assert "of the codewords were lost to uncorrectable transmission errors" in text
    notes_text = pdf_words(render_report(data, "en"))
    assert "could not be corrected" in notes_text


# ---------------------------------------------------------------------------
# The incident report.


def test_incident_report_with_speedtests_bnetz_and_journal(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=ZONE)
    hourly_line(store, start.astimezone(UTC), 96, bad={20, 21, 50})
    (incident_id, other_id) = store.insert_rows(
        "incidents",
        [
            {
                "name": "Abendliche Aussetzer",
                "description": "Videokonferenzen brechen ab, Übertragung stockt.",
                "status": "resolved",
                "start_date": "2026-03-02",
                "end_date": "2026-03-03",
                "created_at": "2026-03-02T19:00:00Z",
                "updated_at": "2026-03-03T19:00:00Z",
            },
            {
                "name": "Something else",
                "status": "open",
                "start_date": "2026-03-01",
                "created_at": "2026-03-01T19:00:00Z",
                "updated_at": "2026-03-01T19:00:00Z",
            },
        ],
    )
    store.insert_rows(
        "journal_entries",
        [
            {
                "date": "2026-03-02",
                "title": "Hotline angerufen",
                "description": "Techniker für Freitag zugesagt.",
                "incident_id": incident_id,
                "created_at": "2026-03-02T20:00:00Z",
                "updated_at": "2026-03-02T20:00:00Z",
            },
            {
                "date": "2026-03-02",
                "title": "Not about this incident",
                "incident_id": other_id,
                "created_at": "2026-03-02T20:00:00Z",
                "updated_at": "2026-03-02T20:00:00Z",
            },
        ],
    )
    speeds = [(80.5, 20.0, 30.0), (420.0, 45.0, 12.0), (455.5, 47.0, 10.0), (99.9, 30.0, 25.0)]
    store.insert_rows(
        "speedtest_results",
        [
            {
                "ts": iso_z(datetime(2026, 3, 2, 8 + 3 * index, tzinfo=ZONE)),
                "download_mbps": down,
                "upload_mbps": up,
                "ping_ms": ping,
                "server_name": "Test Server",
                "isp": "Kabel Test GmbH",
            }
            for index, (down, up, ping) in enumerate(speeds)
        ]
        + [
            # Outside the incident's days.
            {"ts": iso_z(datetime(2026, 3, 5, 8, tzinfo=ZONE)), "download_mbps": 1.0}
        ],
    )
    store.insert_rows(
        "bnetz_measurements",
        [campaign("2026-03-03", down_avg=300.0, up_avg=40.0, verdict="deviation")],
    )

    data = gather_incident_data(store, incident_id, time_zone=ZONE, now=start + timedelta(days=10))
    assert data.start == datetime(2026, 3, 2, tzinfo=ZONE)
    assert data.end == datetime(2026, 3, 4, tzinfo=ZONE)
    assert [row["title"] for row in data.journal] == ["Hotline angerufen"]
    assert len(data.speedtests) == 4
    assert [row["download_mbps"] for row in data.slowest_speedtests] == [80.5, 99.9, 420.0, 455.5]
    assert data.deviating_campaigns == data.bnetz

    text = pdf_words(render_incident_report(data, "de", Letter(name="Jörg Schäfer")))
    de = TEXTS["de"]
    for key in (
        "incident_title",
        "sec_incident",
        "sec_connection",
        "sec_history",
        "sec_speedtests",
        "sec_bnetz",
        "sec_journal",
        "sec_complaint",
    ):
        assert de[key] in text, key
    assert "Abendliche Aussetzer" in text
    assert "behoben" in text
    assert "Übertragung stockt" in text
    assert "4 Geschwindigkeitstests: Download im Mittel 264,0 Mbit/s (niedrigster 80,5)" in text
    assert "Ping im Mittel 19,2 ms" in text
    assert "80,50" in text
    assert "Test Server" in text
    assert "Kabel Test GmbH / Kabel 500" in text
    assert "300,0 Mbit/s" in text
    assert "60,0 %" in text  # 300 / 500
    assert "Abweichung" in text
    assert "Hotline angerufen" in text
    assert "Techniker für Freitag zugesagt." in text
    assert "Not about this incident" not in text
    assert "§57 Abs. 4 TKG" in text
    assert "Jörg Schäfer" in text
    # 48 hourly polls in the incident's two days, three of them bad.
    assert "Messungen 48" in text

    english = pdf_words(render_incident_report(data, "en"))
    assert "Incident report" in english
    assert "resolved" in english
    assert "4 speed tests: download on average 264.0 Mbit/s (lowest 80.5)" in english
    assert "deviation" in english
    assert "no deviation" in english  # the upload of that campaign


def test_incident_report_of_an_open_incident_without_data(store: HistoryStore) -> None:
    (incident_id,) = store.insert_rows(
        "incidents",
        [
            {
                "name": "Still open",
                "status": "open",
                "created_at": "2026-03-05T10:00:00Z",
                "updated_at": "2026-03-05T10:00:00Z",
            }
        ],
    )
    now = datetime(2026, 3, 6, 12, tzinfo=UTC)
    data = gather_incident_data(store, incident_id, now=now)
    assert data.start == datetime(2026, 3, 5, tzinfo=UTC)
    assert data.end == now + timedelta(seconds=1)
    text = pdf_words(render_incident_report(data, "en"))
    assert "Still open" in text
    assert TEXTS["en"]["st_none"] in text
    assert TEXTS["en"]["bn_none"] in text
    assert TEXTS["en"]["jr_none"] in text
    with pytest.raises(IncidentNotFoundError):
        gather_incident_data(store, incident_id + 1, now=now)


def test_incident_period_is_at_least_a_day() -> None:
    incident = {
        "start_date": "2026-03-05",
        "end_date": "2026-03-01",  # a typo in the journal
        "created_at": "2026-03-05T10:00:00Z",
    }
    start, end = incident_period(incident, time_zone=UTC, now=datetime(2026, 3, 9, tzinfo=UTC))
    assert end - start == timedelta(days=1)


# ---------------------------------------------------------------------------
# The LLM export.


def test_llm_export_full_and_update_windows(store: HistoryStore) -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    hourly_line(store, now - timedelta(hours=60), 60, bad={58})
    store.save_events(
        [
            Event(now - timedelta(hours=h), EventType.ERROR_SPIKE, Severity.WARNING, f"spike {h}h")
            for h in (1, 10, 47, 50)
        ]
    )
    store.insert_rows(
        "speedtest_results",
        [
            {
                "ts": iso_z(now - timedelta(hours=3 * index + 1)),
                "download_mbps": 100.0 + index,
                "upload_mbps": 40.0,
                "ping_ms": 11.0,
                "isp": "Kabel Test GmbH",
            }
            for index in range(12)
        ],
    )
    store.insert_rows(
        "incidents",
        [
            {
                "name": "Night drops",
                "description": "Every night",
                "status": "open",
                "start_date": "2026-03-01",
                "created_at": "2026-03-01T00:00:00Z",
                "updated_at": "2026-03-01T00:00:00Z",
            }
        ],
    )
    store.insert_rows(
        "journal_entries",
        [
            {
                "date": "2026-03-02",
                "title": "Called the hotline",
                "description": "A | pipe",
                "created_at": "2026-03-02T00:00:00Z",
                "updated_at": "2026-03-02T00:00:00Z",
            }
        ],
    )

    full = llm_export(store, "full", now=now, time_zone=ZONE)
    assert full.startswith("# DOCSight cable line data (full)")
    for heading in (
        "## Context",
        "## Overview",
        "## Summary",
        "## Downstream channels",
        "## Upstream channels",
        "## Events (last 48 h)",
        "## Speed tests (last 10)",
        "## Incident journal",
        "## Cross-source correlation",
        "## Reference values",
        "## Questions",
    ):
        assert heading in full, heading
    assert "spike 1h" in full
    assert "spike 10h" in full
    assert "spike 47h" in full
    assert "spike 50h" not in full
    tests = full.split("## Speed tests (last 10)")[1].split("##")[0]
    downloads = re.findall(r"\| (\d+\.\d\d) \| 40\.00 \|", tests)
    assert downloads == [f"{100 + index:.2f}" for index in range(10)]  # the ten newest
    assert "- Provider: Kabel Test GmbH" in full
    assert "- Modem: Acme CM-1, firmware 1.2.3, DOCSIS 3.1" in full
    assert "Incident **Night drops** (open, 2026-03-01 to now): Every night" in full
    assert "- 2026-03-02 Called the hotline: A | pipe" in full
    assert "| 256QAM |" in full
    assert "Downstream power min / avg / max (dBmV) | 3.0 / 3.5 / 4.0" in full
    assert re.search(r"\n4\. What should I ask my provider", full)

    update = llm_export(store, "update", now=now, time_zone=ZONE)
    assert "## Events (last 6 h)" in update
    assert "spike 1h" in update
    assert "spike 10h" not in update
    assert "## Speed tests (last 3)" in update
    assert "| 100.00 |" in update
    assert "| 103.00 |" not in update
    assert "## Incident journal" not in update
    assert "## Cross-source correlation" in update
    # Each speed test sits next to the poll closest to it (polls are hourly, tests at :00).
    correlation = update.split("## Cross-source correlation")[1].split("##")[0]
    assert correlation.count("| good |") == 3

    with pytest.raises(ValueError, match="mode"):
        llm_export(store, "everything", now=now)


def test_llm_export_of_an_empty_store(store: HistoryStore) -> None:
    text = llm_export(store, "full", now=datetime(2026, 3, 10, tzinfo=UTC))
    assert "- Provider: unknown" in text
    assert "- No measurement recorded yet." in text
    assert "No events." in text
    assert "No speed tests." in text
    assert "No journal entries." in text
    assert "No speed test has a line measurement within an hour." in text
    assert "## Downstream channels" not in text


def test_llm_export_tariff_from_bnetz(store: HistoryStore) -> None:
    store.insert_rows(
        "bnetz_measurements", [campaign("2026-03-01", down_avg=400, up_avg=40, verdict="ok")]
    )
    text = llm_export(store, "update", now=datetime(2026, 3, 10, tzinfo=UTC))
    assert "- Provider: Kabel Test GmbH" in text
    assert "- Tariff: Kabel 500 (500/50 Mbit/s)" in text


# ---------------------------------------------------------------------------
# Words, numbers and characters.


def test_every_language_has_every_text() -> None:
    keys = set(TEXTS["en"])
    for language, words in TEXTS.items():
        assert set(words) == keys, language
        for key, text in words.items():
            assert pdf_text(text) == text, (language, key)  # all Windows-1252


def test_languages_and_numbers() -> None:
    assert resolve_language("de-AT") == "de"
    assert resolve_language("de_CH") == "de"
    assert resolve_language("fr") == "en"
    assert resolve_language(None) == "en"
    de = Lang("de", ZONE)
    en = Lang("en", ZONE)
    assert de.num(1234.56) == "1.234,6"
    assert en.num(1234.56) == "1,234.6"
    assert de.num(None) == "k. A."
    when = datetime(2026, 3, 17, 11, 5, tzinfo=UTC)
    assert de.time(when) == "17.03.2026 12:05"
    assert en.time(when) == "2026-03-17 12:05"
    assert en.time(None) == "n/a"
    assert de.day("2026-03-02") == "02.03.2026"
    assert de.day("2026-03-02T23:30:00+00:00") == "03.03.2026"
    assert en.day(when) == "2026-03-17"
    assert en.day(None) == "n/a"
    assert en.issue("ds_power_critical") == "downstream power outside the critical limits"
    assert en.issue("something_new") == "something_new"
    assert de.health("marginal") == "grenzwertig"


def test_pdf_text_maps_what_the_core_fonts_lack() -> None:
    assert pdf_text("SNR ≥ 33 dB → gut, \u22124 dBmV") == "SNR >= 33 dB -> gut, -4 dBmV"
    typographic = "„Zitat“ \u2013 5 € … ß"  # en dash: in Windows-1252, kept
    assert pdf_text(typographic) == typographic
    assert pdf_text("Router 🚀 kaputt") == "Router ? kaputt"


def test_journal_text_outside_the_font_does_not_break_the_pdf(store: HistoryStore) -> None:
    (incident_id,) = store.insert_rows(
        "incidents",
        [
            {
                "name": "Ausfall 🚨 ≥ 2 h",
                "status": "odd-status",
                "start_date": "2026-03-01",
                "end_date": "2026-03-01",
                "created_at": "2026-03-01T00:00:00Z",
                "updated_at": "2026-03-01T00:00:00Z",
            }
        ],
    )
    data = gather_incident_data(store, incident_id, now=datetime(2026, 3, 5, tzinfo=UTC))
    text = pdf_words(render_incident_report(data, "de"))
    assert "Ausfall ? >= 2 h" in text
    assert "odd-status" in text


def test_notes_for_a_good_line_and_for_restarts_and_spikes(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    hourly_line(store, start, 24)
    data = gather_report_data(store, start, start + timedelta(days=1))
    text = pdf_words(render_report(data, "en"))
    assert "No measurement in this period was worse than tolerated." in text
    assert TEXTS["en"]["hist_no_bad_channels"] in text
    store.save_events(
        [
            Event(start + timedelta(hours=2), EventType.MODEM_RESTART_DETECTED, Severity.INFO, "r"),
            Event(start + timedelta(hours=3), EventType.ERROR_SPIKE, Severity.WARNING, "s"),
            Event(start + timedelta(hours=4), EventType.ERROR_SPIKE, Severity.WARNING, "s"),
        ]
    )
    data = gather_report_data(store, start, start + timedelta(days=1))
    text = pdf_words(render_report(data, "en"))
    assert "The modem restarted 1 times in this period." in text
    assert "2 bursts of uncorrectable errors were recorded." in text
    assert "No measurement in this period was worse than tolerated." not in text
    assert "among them 2 error bursts and 1 modem restarts" in complaint_text(data, "en")


def test_odd_bnetz_rows_and_lonely_speed_tests(store: HistoryStore) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    store.save_polls([(analysis([ds(1)], at=start + timedelta(hours=1)), [])])  # no upstream
    broken = campaign("2026-03-01", down_avg=300, up_avg=40, verdict="deviation")
    broken["download_measured_avg"] = None  # a protocol without an average
    broken["measurements"] = "not json"
    store.insert_rows("bnetz_measurements", [broken])
    store.insert_rows(
        "speedtest_results",
        [
            {"ts": iso_z(start + timedelta(hours=1)), "download_mbps": 50.0},
            {"ts": iso_z(start + timedelta(hours=5)), "download_mbps": 60.0},  # no poll nearby
        ],
    )
    data = gather_report_data(store, start, start + timedelta(days=1))
    assert data.bnetz[0]["measurements"] == []
    assert data.deviating_campaigns == data.bnetz
    assert "TKG" not in complaint_text(data, "en")  # no figure to cite
    export = llm_export(store, "full", now=start + timedelta(hours=6))
    assert "Upstream power min / avg / max (dBmV) | - |" in export
    correlation = export.split("## Cross-source correlation")[1].split("##")[0]
    assert "| 50.00 |" in correlation
    assert "| 60.00 |" not in correlation


def test_llm_export_of_the_demo_line(demo_store: HistoryStore) -> None:
    text = llm_export(demo_store, "full", now=END, time_zone=ZONE)
    assert "| 33 | OFDM | 134.975-324.975 |" in text
    assert "| 1 | SC-QAM | 114 |" in text
    assert "| 5 | OFDMA | 18-44 |" in text
    assert "- Provider: Kabelnetz Demo GmbH" in text
    assert "- Tariff: Cable 1000 (1000/50 Mbit/s)" in text
    assert "Incident **Recurring night-time dropouts**" in text


def test_channels_without_levels_at_times(store: HistoryStore) -> None:
    """A level the modem did not report is left out of the channel's range, not read as -327 dB."""
    start = datetime(2026, 3, 1, tzinfo=UTC)
    store.save_polls(
        [
            (analysis([ds(1, power=None, snr=None), ds(2, power=None)], at=start), []),
            (analysis([ds(1, power=5.5, snr=36.0), ds(2, power=None)], at=start + POLL_GAP), []),
        ]
    )
    data = gather_report_data(store, start, start + timedelta(days=1))
    first, second = data.history.channels
    assert (first.power_min, first.power_max, first.snr_min) == (5.5, 5.5, 36.0)
    assert (second.power_min, second.power_max, second.snr_min) == (None, None, 40.0)
