"""The incident journal: entries, incidents, attachments, exports and the CSV import."""

from __future__ import annotations

from collections.abc import Iterator
import csv
from datetime import UTC, date, datetime
import io
import json

import pytest

from custom_components.docsight.docsis import journal
from custom_components.docsight.docsis.journal import (
    MAX_ATTACHMENT_SIZE,
    MAX_ATTACHMENTS_PER_ENTRY,
    JournalError,
    parse_csv_import,
    parse_import_date,
)
from custom_components.docsight.docsis.storage import HistoryStore

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


@pytest.fixture
def store() -> Iterator[HistoryStore]:
    store = HistoryStore.open(":memory:")
    yield store
    store.close()


def _key(err: pytest.ExceptionInfo[JournalError]) -> str:
    return err.value.key


# -- entries ---------------------------------------------------------------------


def test_entry_crud(store: HistoryStore) -> None:
    assert journal.create_entry(store, day=NOW, title="From a time").date == date(2026, 3, 17)
    entry = journal.create_entry(
        store,
        day="2026-03-02",
        title="  Called the hotline ",
        description="Ticket 4711",
        icon="mdi:phone",
        now=NOW,
    )
    assert entry.title == "Called the hotline"
    assert entry.date == date(2026, 3, 2)
    assert entry.created_at == entry.updated_at == NOW
    assert not entry.is_demo
    assert entry.to_json()["date"] == "2026-03-02"

    later = NOW.replace(hour=13)
    updated = journal.update_entry(
        store, entry.id, {"title": "Hotline call", "icon": None}, now=later
    )
    assert updated.title == "Hotline call"
    assert updated.icon is None
    assert updated.description == "Ticket 4711"
    assert updated.updated_at == later
    assert updated.created_at == NOW
    assert journal.update_entry(store, entry.id, {}).title == "Hotline call"

    journal.delete_entry(store, entry.id)
    with pytest.raises(JournalError) as err:
        journal.get_entry(store, entry.id)
    assert _key(err) == "entry_not_found"
    for call in (
        lambda: journal.delete_entry(store, entry.id),
        lambda: journal.update_entry(store, entry.id, {"title": "x"}),
    ):
        with pytest.raises(JournalError) as err:
            call()
        assert _key(err) == "entry_not_found"


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"title": "   "}, "field_required"),
        ({"title": "x" * 201}, "field_too_long"),
        ({"description": "x" * 10_001}, "field_too_long"),
        ({"day": "2026-02-30"}, "invalid_date"),
        ({"day": "yesterday"}, "invalid_date"),
        ({"icon": "phone"}, "invalid_icon"),
        ({"icon": "mdi:Phone"}, "invalid_icon"),
        ({"incident_id": 99}, "incident_not_found"),
    ],
)
def test_entry_validation_writes_nothing(store: HistoryStore, fields: dict, key: str) -> None:
    arguments = {"day": date(2026, 3, 1), "title": "ok", **fields}
    with pytest.raises(JournalError) as err:
        journal.create_entry(store, **arguments)
    assert _key(err) == key
    assert journal.list_entries(store) == []


def test_update_validates_and_keeps_old_values(store: HistoryStore) -> None:
    entry = journal.create_entry(store, day=date(2026, 3, 1), title="Keep me")
    with pytest.raises(JournalError):
        journal.update_entry(store, entry.id, {"title": "", "description": "new"})
    with pytest.raises(JournalError):
        journal.update_entry(store, entry.id, {"incident_id": 42})
    with pytest.raises(ValueError, match="unknown"):
        journal.update_entry(store, entry.id, {"is_demo": 1})
    assert journal.get_entry(store, entry.id) == entry


def test_list_filters(store: HistoryStore) -> None:
    incident = journal.create_incident(store, name="Dropouts")
    store.insert_rows(
        "journal_entries",
        [
            {
                "date": "2026-01-05",
                "title": "Demo row",
                "created_at": "2026-01-05T00:00:00Z",
                "updated_at": "2026-01-05T00:00:00Z",
            }
        ],
        is_demo=True,
    )
    journal.create_entry(store, day=date(2026, 1, 10), title="Drop 100% at 19:30")
    journal.create_entry(
        store,
        day=date(2026, 1, 20),
        title="Second",
        description="slow_evening",
        incident_id=incident.id,
    )
    journal.create_entry(store, day=date(2026, 2, 1), title="Third")

    def titles(**kwargs: object) -> list[str]:
        return [entry.title for entry in journal.list_entries(store, **kwargs)]  # type: ignore[arg-type]

    assert titles() == ["Demo row", "Drop 100% at 19:30", "Second", "Third"]
    assert titles(include_demo=False) == ["Drop 100% at 19:30", "Second", "Third"]
    assert titles(start=date(2026, 1, 10), end=date(2026, 1, 20)) == [
        "Drop 100% at 19:30",
        "Second",
    ]
    assert titles(incident_id=incident.id) == ["Second"]
    assert titles(unassigned=True, include_demo=False) == ["Drop 100% at 19:30", "Third"]
    assert titles(search="100%") == ["Drop 100% at 19:30"]
    assert titles(search="w_e") == ["Second"]  # "_" is a literal, not a wildcard
    assert titles(search="w%e") == []  # and "%" too
    assert titles(limit=2) == ["Demo row", "Drop 100% at 19:30"]
    with pytest.raises(JournalError) as err:
        journal.list_entries(store, start=date(2026, 2, 1), end=date(2026, 1, 1))
    assert _key(err) == "invalid_period"


def test_assign_by_date_range(store: HistoryStore) -> None:
    first = journal.create_incident(store, name="First")
    second = journal.create_incident(store, name="Second")
    for day in (1, 5, 10, 15):
        journal.create_entry(store, day=date(2026, 3, day), title=f"Day {day}")
    assert journal.assign_entries(store, first.id, date(2026, 3, 5), date(2026, 3, 10)) == 2
    assert journal.get_incident(store, first.id).entry_count == 2
    # Only the unassigned ones, when asked.
    assert (
        journal.assign_entries(
            store, second.id, date(2026, 3, 1), date(2026, 3, 31), only_unassigned=True
        )
        == 2
    )
    assert [e.title for e in journal.list_entries(store, incident_id=second.id)] == [
        "Day 1",
        "Day 15",
    ]
    # None unassigns.
    assert journal.assign_entries(store, None, date(2026, 3, 1), date(2026, 3, 5)) == 2
    assert [e.title for e in journal.list_entries(store, unassigned=True)] == ["Day 1", "Day 5"]
    with pytest.raises(JournalError) as err:
        journal.assign_entries(store, 99, date(2026, 3, 1), date(2026, 3, 5))
    assert _key(err) == "incident_not_found"
    with pytest.raises(JournalError) as err:
        journal.assign_entries(store, first.id, date(2026, 3, 5), date(2026, 3, 1))
    assert _key(err) == "invalid_period"


# -- incidents -----------------------------------------------------------------------


def test_incident_crud(store: HistoryStore) -> None:
    incident = journal.create_incident(
        store,
        name="Evening dropouts",
        description="Every evening",
        start_date="2026-03-01",
        icon="mdi:weather-night",
        now=NOW,
    )
    assert incident.status == "open"
    assert incident.start_date == date(2026, 3, 1)
    assert incident.end_date is None
    assert incident.to_json()["start_date"] == "2026-03-01"
    entry = journal.create_entry(store, day=date(2026, 3, 2), title="x", incident_id=incident.id)

    resolved = journal.update_incident(
        store, incident.id, {"status": "resolved", "end_date": date(2026, 3, 9)}
    )
    assert resolved.status == "resolved"
    assert resolved.end_date == date(2026, 3, 9)
    assert resolved.entry_count == 1
    assert resolved.to_json()["end_date"] == "2026-03-09"
    assert journal.update_incident(store, incident.id, {}).status == "resolved"

    # The end must not come before the start, whichever of them changes.
    with pytest.raises(JournalError) as err:
        journal.update_incident(store, incident.id, {"start_date": "2026-03-10"})
    assert _key(err) == "invalid_period"
    with pytest.raises(JournalError) as err:
        journal.update_incident(store, incident.id, {"status": "fixed"})
    assert _key(err) == "invalid_status"
    with pytest.raises(ValueError, match="unknown"):
        journal.update_incident(store, incident.id, {"colour": "red"})

    journal.delete_incident(store, incident.id)
    assert journal.get_entry(store, entry.id).incident_id is None  # kept, unassigned
    for call in (
        lambda: journal.get_incident(store, incident.id),
        lambda: journal.delete_incident(store, incident.id),
        lambda: journal.update_incident(store, incident.id, {"name": "x"}),
    ):
        with pytest.raises(JournalError) as err:
            call()
        assert _key(err) == "incident_not_found"


def test_incident_validation_and_listing(store: HistoryStore) -> None:
    with pytest.raises(JournalError) as err:
        journal.create_incident(store, name="x", start_date="2026-03-05", end_date="2026-03-01")
    assert _key(err) == "invalid_period"
    with pytest.raises(JournalError) as err:
        journal.create_incident(store, name="")
    assert _key(err) == "field_required"
    journal.create_incident(store, name="Undated")
    journal.create_incident(store, name="Later", start_date="2026-03-05", status="escalated")
    journal.create_incident(store, name="Earlier", start_date="2026-01-05", status="closed")
    assert [i.name for i in journal.list_incidents(store)] == ["Earlier", "Later", "Undated"]
    assert [i.name for i in journal.list_incidents(store, status=["escalated", "closed"])] == [
        "Earlier",
        "Later",
    ]
    assert journal.list_incidents(store, include_demo=False)
    with pytest.raises(JournalError):
        journal.list_incidents(store, status=["bogus"])


# -- attachments ------------------------------------------------------------------------


def test_attachments(store: HistoryStore) -> None:
    entry = journal.create_entry(store, day=date(2026, 3, 2), title="Letters")
    png = journal.add_attachment(store, entry.id, "C:\\Users\\me\\modem page.PNG", PNG, now=NOW)
    assert png.filename == "modem page.PNG"
    assert png.mime_type == "image/png"
    assert png.size == len(PNG)
    pdf = journal.add_attachment(store, entry.id, "letter.pdf", PDF)
    csv_file = journal.add_attachment(store, entry.id, "../../speed.csv", b"a;b\n1;2\n")
    assert csv_file.filename == "speed.csv"
    assert csv_file.mime_type == "text/csv"
    assert [a.id for a in journal.get_entry(store, entry.id).attachments] == [
        png.id,
        pdf.id,
        csv_file.id,
    ]
    meta, data = journal.get_attachment(store, pdf.id)
    assert data == PDF
    assert meta.to_json()["mime_type"] == "application/pdf"
    journal.delete_attachment(store, pdf.id)
    with pytest.raises(JournalError) as err:
        journal.get_attachment(store, pdf.id)
    assert _key(err) == "attachment_not_found"
    with pytest.raises(JournalError) as err:
        journal.delete_attachment(store, pdf.id)
    assert _key(err) == "attachment_not_found"
    # Deleting the entry deletes its attachments.
    journal.delete_entry(store, entry.id)
    assert store.counts()["journal_attachments"] == 0


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_ATTACHMENT_SIZE, "attachment_too_large"),
        ("empty.txt", b"", "attachment_empty"),
        ("tool.exe", b"MZ\x90\x00", "attachment_type"),
        ("noext", b"hello", "attachment_type"),
        ("fake.png", b"MZ\x90\x00 renamed executable", "attachment_mismatch"),
        ("fake.pdf", PNG, "attachment_mismatch"),
        ("binary.txt", b"\x00\x01\x02", "attachment_mismatch"),
        ("latin1.txt", "Störung".encode("latin-1"), "attachment_mismatch"),
        ("...", PNG, "invalid_filename"),
        ("/", PNG, "invalid_filename"),
    ],
)
def test_attachment_refused(store: HistoryStore, filename: str, data: bytes, key: str) -> None:
    entry = journal.create_entry(store, day=date(2026, 3, 2), title="x")
    with pytest.raises(JournalError) as err:
        journal.add_attachment(store, entry.id, filename, data)
    assert _key(err) == key
    assert store.counts()["journal_attachments"] == 0


def test_attachment_limits(store: HistoryStore) -> None:
    with pytest.raises(JournalError) as err:
        journal.add_attachment(store, 99, "a.png", PNG)
    assert _key(err) == "entry_not_found"
    entry = journal.create_entry(store, day=date(2026, 3, 2), title="x")
    exactly = b"\x89PNG\r\n\x1a\n" + b"\x00" * (MAX_ATTACHMENT_SIZE - 8)
    journal.add_attachment(store, entry.id, "max.png", exactly)
    for number in range(MAX_ATTACHMENTS_PER_ENTRY - 1):
        journal.add_attachment(store, entry.id, f"{number}.gif", b"GIF89a....")
    with pytest.raises(JournalError) as err:
        journal.add_attachment(store, entry.id, "one-more.jpg", b"\xff\xd8\xff\xe0")
    assert _key(err) == "too_many_attachments"


def test_sniffing_and_file_names() -> None:
    assert journal.sniff_mime_type(b"\xff\xd8\xff\xe1") == "image/jpeg"
    assert journal.sniff_mime_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert journal.sniff_mime_type(b"GIF87a") == "image/gif"
    assert journal.sniff_mime_type("Grüße".encode()) == "text/plain"
    assert journal.sniff_mime_type(b"\x7fELF\x00") is None
    assert journal.safe_filename('a<b>:c"d|e?.txt') == "a_b__c_d_e_.txt"
    long = journal.safe_filename("x" * 300 + ".pdf")
    assert len(long) == journal.MAX_FILENAME_LENGTH
    assert long.endswith(".pdf")
    assert len(journal.safe_filename("y" * 300)) == journal.MAX_FILENAME_LENGTH
    assert journal.attachment_type("photo.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"


# -- export --------------------------------------------------------------------------


@pytest.fixture
def filled(store: HistoryStore) -> HistoryStore:
    incident = journal.create_incident(
        store,
        name="Evening | dropouts",
        description="Since March",
        start_date="2026-03-01",
        end_date="2026-03-09",
    )
    journal.create_incident(store, name="Undated")
    entry = journal.create_entry(
        store,
        day=date(2026, 3, 2),
        title='=HYPERLINK("evil")',
        description="Line 1\nLine 2; with, separators",
        icon="mdi:phone",
        incident_id=incident.id,
    )
    journal.add_attachment(store, entry.id, "ticket.txt", b"4711")
    journal.create_entry(store, day=date(2026, 3, 20), title="Störung *again*")
    return store


def test_export_csv(filled: HistoryStore) -> None:
    text = journal.export_journal(filled, "csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(journal.CSV_COLUMNS)
    assert rows[1] == [
        "2026-03-02",
        '\'=HYPERLINK("evil")',  # a spreadsheet must not run it
        "Line 1\nLine 2; with, separators",
        "mdi:phone",
        "Evening | dropouts",
        "ticket.txt",
    ]
    assert rows[2][:2] == ["2026-03-20", "Störung *again*"]
    only_later = journal.export_journal(filled, "csv", start=date(2026, 3, 10))
    assert len(list(csv.reader(io.StringIO(only_later)))) == 2


def test_export_csv_round_trips_through_import(filled: HistoryStore) -> None:
    text = journal.export_journal(filled, "csv")
    preview = parse_csv_import(text.encode(), default_year=2000)
    assert not preview.errors
    assert [(row.date, row.title, row.description, row.icon) for row in preview.rows] == [
        (e.date, e.title, e.description, e.icon) for e in journal.list_entries(filled)
    ]


def test_export_json(filled: HistoryStore) -> None:
    data = json.loads(journal.export_journal(filled, "json", now=NOW))
    assert data["format"] == "docsight.journal/1"
    assert data["exported_at"] == "2026-03-17T12:00:00Z"
    assert [i["name"] for i in data["incidents"]] == ["Evening | dropouts", "Undated"]
    assert data["incidents"][0]["entry_count"] == 1
    assert data["entries"][0]["attachments"][0]["filename"] == "ticket.txt"
    assert data["entries"][1]["title"] == "Störung *again*"


def test_export_markdown(filled: HistoryStore, store: HistoryStore) -> None:
    text = journal.export_journal(filled, "markdown", now=NOW)
    assert text.startswith("# DOCSight journal\n\nExported 2026-03-17T12:00:00Z.")
    assert "### Evening \\| dropouts" in text
    assert "Status: open · 2026-03-01 to 2026-03-09 · 1 entries" in text
    assert "### 2026-03-20: Störung \\*again\\*" in text
    assert "Incident: Evening \\| dropouts" in text
    assert "Attachments: ticket.txt" in text
    assert "Line 1\nLine 2" in text


def test_export_empty_and_bad_format(store: HistoryStore) -> None:
    assert "No entries." in journal.export_journal(store, "markdown")
    assert "## Incidents" not in journal.export_journal(store, "markdown")
    with pytest.raises(ValueError, match="format"):
        journal.export_journal(store, "xml")


# -- import --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("2025-03-17", None, date(2025, 3, 17)),
        ("17.03.2025", None, date(2025, 3, 17)),
        ("7.3.25", None, date(2025, 3, 7)),
        ("17.03.", 2024, date(2024, 3, 17)),
        ("17.03.", None, None),
        ("17. März 2025", None, date(2025, 3, 17)),
        ("3 Mai", 2024, date(2024, 5, 3)),
        ("1. maerz", 2024, date(2024, 3, 1)),
        ("31. Dezember 2025", None, date(2025, 12, 31)),
        ("17.03. - 19.03.", 2025, date(2025, 3, 17)),
        ("17.03.2025 \u2013 20.03.2025", None, date(2025, 3, 17)),
        ("30.02.2025", None, None),
        ("gestern", 2025, None),
        ("", 2025, None),
    ],
)
def test_parse_import_date(text: str, year: int | None, expected: date | None) -> None:
    assert parse_import_date(text, year) == expected


SPREADSHEET = """\
Datum;Ereignis;Beschreibung
März 2025;;
17.03.;Ausfall;Internet weg von 19:30 bis 19:45
20.03.;Hotline;Ticket eröffnet
Dezember;;
31.12.;Techniker;
Januar;;
02.01.;;Modem getauscht, seitdem stabil
"""


def test_import_spreadsheet_with_month_rows(store: HistoryStore) -> None:
    preview = parse_csv_import(SPREADSHEET.encode("cp1252"), default_year=2030)
    assert preview.delimiter == ";"
    assert preview.columns == {"date": 0, "title": 1, "description": 2}
    assert not preview.errors
    assert [(row.date, row.title) for row in preview.rows] == [
        (date(2025, 3, 17), "Ausfall"),
        (date(2025, 3, 20), "Hotline"),
        (date(2025, 12, 31), "Techniker"),
        # January after December: the next year; the title comes from the text.
        (date(2026, 1, 2), "Modem getauscht, seitdem stabil"),
    ]
    assert preview.rows[0].line == 3
    assert preview.to_json()["valid"] == 4
    # A preview writes nothing.
    assert journal.list_entries(store) == []

    incident = journal.create_incident(store, name="Winter")
    result = journal.import_csv(
        store, SPREADSHEET.encode(), default_year=2030, incident_id=incident.id, now=NOW
    )
    assert result.imported == 4
    assert result.skipped == 0
    entries = journal.list_entries(store)
    assert [entry.id for entry in entries] == list(result.entry_ids)
    assert entries[1].description == "Ticket eröffnet"
    assert {entry.incident_id for entry in entries} == {incident.id}


def test_import_without_header_and_other_delimiters(store: HistoryStore) -> None:
    tab = "2025-01-01\tNew year\tquiet\n02.01.2025\tSecond\t\n"
    preview = parse_csv_import(tab.encode(), default_year=2030)
    assert preview.delimiter == "\t"
    assert [row.title for row in preview.rows] == ["New year", "Second"]
    comma = '\ufeffdate,title,description,icon\n2025-01-01,"Dropout, long",text,mdi:alert\n'
    preview = parse_csv_import(comma.encode(), default_year=2030)
    assert preview.delimiter == ","
    assert preview.columns == {"date": 0, "title": 1, "description": 2, "icon": 3}
    assert preview.rows[0].title == "Dropout, long"
    assert preview.rows[0].icon == "mdi:alert"


def test_import_with_errors_is_all_or_nothing(store: HistoryStore) -> None:
    text = (
        "Datum;Titel;Notiz\n01.02.2025;Good;\nsoon;Bad date;\n03.02.2025;;\n04.02.2025;Bad icon;\n"
    )
    text = text.replace("Notiz\n", "Notiz;Icon\n").replace(
        "04.02.2025;Bad icon;", "04.02.2025;Bad icon;;phone"
    )
    preview = parse_csv_import(text.encode(), default_year=2030)
    assert [(row.line, row.error is None) for row in preview.rows] == [
        (2, True),
        (3, False),
        (4, False),
        (5, False),
    ]
    assert preview.rows[1].error == "not a date: 'soon'"
    assert preview.rows[2].error == "title must not be empty"
    assert "icon" in str(preview.rows[3].error)
    assert preview.to_json()["invalid"] == 3
    with pytest.raises(JournalError) as err:
        journal.import_csv(store, text.encode(), default_year=2030)
    assert _key(err) == "import_invalid_rows"
    assert err.value.placeholders["count"] == "3"
    assert journal.list_entries(store) == []
    result = journal.import_csv(store, text.encode(), default_year=2030, skip_invalid=True)
    assert (result.imported, result.skipped) == (1, 3)


def test_import_missing_date_cell(store: HistoryStore) -> None:
    preview = parse_csv_import(b"Datum;Titel\n;Only a title\n01.01.2025;x\n", default_year=2030)
    assert preview.rows[0].error == "no date"


def test_import_rolls_back_on_failure(store: HistoryStore) -> None:
    """An import into a missing incident leaves no entry behind."""
    with pytest.raises(JournalError) as err:
        journal.import_csv(
            store, b"2025-01-01;a;b\n2025-01-02;c;d\n", default_year=2030, incident_id=5
        )
    assert _key(err) == "incident_not_found"
    assert journal.list_entries(store) == []


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "import_empty"),
        (b";;\n\n", "import_empty"),
        (b"M\xe4rz 2025;;\n", "import_empty"),
        (b"Name;Value\nfoo;bar\n", "import_no_columns"),
        (b"Datum;Titel\nM\xe4rz 2025;\n", "import_empty"),
        (b"x" * (journal.MAX_IMPORT_SIZE + 1), "import_too_large"),
        (b"Datum;Titel\n01.01.2025;\x81\x8d\x8f\x90\x9d\n", "import_encoding"),
        (b"Datum;Titel\n01.01.2025;" + b"x" * 200_000 + b"\n", "import_unreadable"),
    ],
)
def test_import_refused(data: bytes, key: str) -> None:
    with pytest.raises(JournalError) as err:
        parse_csv_import(data, default_year=2030)
    assert _key(err) == key


def test_import_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "MAX_IMPORT_ROWS", 3)
    data = "".join(f"2025-01-0{day};Day {day}\n" for day in range(1, 6)).encode()
    with pytest.raises(JournalError) as err:
        parse_csv_import(data, default_year=2030)
    assert _key(err) == "import_too_many_rows"
