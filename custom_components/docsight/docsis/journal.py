"""The incident journal: what the user noted about the line, and the incidents it belongs to.

The journal is the user's own record for a complaint ("the internet dropped
during a video call", "called the hotline"), so its rules are strict where a
mistake would be silent: every write is one transaction of the store (an
import lands whole or not at all), every field is validated before anything
is written, and attachments are checked by their content, not only by the
name they arrived with.

Entries and incidents live in the store's ``journal_entries``, ``incidents``
and ``journal_attachments`` tables (schema in :mod:`.storage`).  Dates are
calendar days (``YYYY-MM-DD``): a journal entry is about a day, not an
instant.  Deleting an entry deletes its attachments (``ON DELETE CASCADE``);
deleting an incident keeps its entries and unassigns them (``SET NULL``).

Exports come as CSV (re-importable: the same header the importer
recognises), JSON and Markdown.  The CSV importer reads what people keep in a
spreadsheet: comma, semicolon or tab separated, UTF-8 or Windows-1252, German
or English headers, dates as ``2025-03-17``, ``17.03.2025``, ``17.03.`` or
``17. März 2025``, and month rows such as ``März 2025`` that give the year to
the short dates below them.  A preview parses and validates without writing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
import csv
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
import io
import json
from pathlib import PurePath
import re
import sqlite3
from typing import Any, Final

from .errors import ReasonError
from .storage import HistoryStore, iso_z, parse_z

# -- limits -------------------------------------------------------------------

MAX_TITLE_LENGTH: Final = 200
MAX_DESCRIPTION_LENGTH: Final = 10_000
MAX_NAME_LENGTH: Final = 200
# Screenshots of the modem page, the provider's letters as PDF: 10 MB is
# plenty, and each attachment is a blob in the history database.
MAX_ATTACHMENT_SIZE: Final = 10 * 1024 * 1024
MAX_ATTACHMENTS_PER_ENTRY: Final = 10
MAX_FILENAME_LENGTH: Final = 120
MAX_IMPORT_SIZE: Final = 5 * 1024 * 1024
MAX_IMPORT_ROWS: Final = 10_000
MAX_LIST_LIMIT: Final = 5000

INCIDENT_STATUSES: Final = ("open", "in_progress", "escalated", "resolved", "closed")
EXPORT_FORMATS: Final = ("csv", "json", "markdown")

# Allowed attachment types by file extension; the content must agree.
ATTACHMENT_TYPES: Final[Mapping[str, str]] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
}

_ICON = re.compile(r"^mdi:[a-z0-9]+(?:-[a-z0-9]+)*$")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


class JournalError(ReasonError):
    """A journal request that cannot be carried out."""


# -- records ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment's metadata (its bytes are read separately)."""

    id: int
    entry_id: int
    filename: str
    mime_type: str
    size: int
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by services and exports."""
        return {**asdict(self), "created_at": iso_z(self.created_at)}


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One journal entry with its attachments' metadata."""

    id: int
    date: date
    title: str
    description: str
    icon: str | None
    incident_id: int | None
    created_at: datetime
    updated_at: datetime
    is_demo: bool
    attachments: tuple[Attachment, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by services and exports."""
        return {
            "id": self.id,
            "date": self.date.isoformat(),
            "title": self.title,
            "description": self.description,
            "icon": self.icon,
            "incident_id": self.incident_id,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
            "is_demo": self.is_demo,
            "attachments": [attachment.to_json() for attachment in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident: a named problem over a period, grouping journal entries."""

    id: int
    name: str
    description: str
    status: str
    start_date: date | None
    end_date: date | None
    icon: str | None
    created_at: datetime
    updated_at: datetime
    is_demo: bool
    entry_count: int

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by services and exports."""
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "start_date": None if self.start_date is None else self.start_date.isoformat(),
            "end_date": None if self.end_date is None else self.end_date.isoformat(),
            "icon": self.icon,
            "created_at": iso_z(self.created_at),
            "updated_at": iso_z(self.updated_at),
            "is_demo": self.is_demo,
            "entry_count": self.entry_count,
        }


# -- validation ---------------------------------------------------------------


def _text(value: Any, what: str, limit: int, *, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise JournalError("field_required", f"{what} must not be empty", field=what)
    if len(text) > limit:
        raise JournalError(
            "field_too_long",
            f"{what} is longer than {limit} characters",
            field=what,
            limit=str(limit),
        )
    return text


def _icon(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _ICON.match(value):
        raise JournalError("invalid_icon", f"not an icon name: {value!r}", icon=str(value))
    return value


def _day(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise JournalError(
            "invalid_date", f"{what} is not a date: {value!r}", value=str(value)
        ) from None


def _optional_day(value: Any, what: str) -> date | None:
    return None if value is None or value == "" else _day(value, what)


def _status(value: Any) -> str:
    if value not in INCIDENT_STATUSES:
        raise JournalError(
            "invalid_status",
            f"incident status must be one of {', '.join(INCIDENT_STATUSES)}",
            status=str(value),
        )
    return str(value)


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise JournalError(
            "invalid_period",
            f"end {end} is before start {start}",
            start=start.isoformat(),
            end=end.isoformat(),
        )


def _now(now: datetime | None) -> str:
    return iso_z(now or datetime.now(UTC))


# -- entries ------------------------------------------------------------------

_ENTRY_COLUMNS = "id, date, title, description, icon, incident_id, created_at, updated_at, is_demo"
_ENTRY_FIELDS = frozenset({"date", "title", "description", "icon", "incident_id"})


def _entry(row: Sequence[Any], attachments: tuple[Attachment, ...] = ()) -> JournalEntry:
    return JournalEntry(
        id=row[0],
        date=date.fromisoformat(row[1]),
        title=row[2],
        description=row[3],
        icon=row[4],
        incident_id=row[5],
        created_at=parse_z(row[6]),
        updated_at=parse_z(row[7]),
        is_demo=bool(row[8]),
        attachments=attachments,
    )


def _require_incident(db: sqlite3.Connection, incident_id: int | None) -> None:
    if incident_id is not None and (
        db.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone() is None
    ):
        raise JournalError(
            "incident_not_found", f"no incident {incident_id}", incident_id=str(incident_id)
        )


def _entry_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Validate entry fields (only those given) into their stored form."""
    unknown = set(values) - _ENTRY_FIELDS
    if unknown:
        raise ValueError(f"unknown journal entry fields: {sorted(unknown)}")
    checked: dict[str, Any] = {}
    if "date" in values:
        checked["date"] = _day(values["date"], "date").isoformat()
    if "title" in values:
        checked["title"] = _text(values["title"], "title", MAX_TITLE_LENGTH, required=True)
    if "description" in values:
        checked["description"] = _text(
            values["description"], "description", MAX_DESCRIPTION_LENGTH, required=False
        )
    if "icon" in values:
        checked["icon"] = _icon(values["icon"])
    if "incident_id" in values:
        checked["incident_id"] = (
            None if values["incident_id"] is None else int(values["incident_id"])
        )
    return checked


def create_entry(
    store: HistoryStore,
    *,
    day: date | str,
    title: str,
    description: str = "",
    icon: str | None = None,
    incident_id: int | None = None,
    now: datetime | None = None,
) -> JournalEntry:
    """Validate and store a new entry; return it."""
    values = _entry_values(
        {
            "date": day,
            "title": title,
            "description": description,
            "icon": icon,
            "incident_id": incident_id,
        }
    )
    stamp = _now(now)
    db = store.connection
    with store.transaction():
        _require_incident(db, values["incident_id"])
        cursor = db.execute(
            "INSERT INTO journal_entries"
            " (date, title, description, icon, incident_id, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                values["date"],
                values["title"],
                values["description"],
                values["icon"],
                values["incident_id"],
                stamp,
                stamp,
            ),
        )
    return get_entry(store, int(cursor.lastrowid or 0))


def update_entry(
    store: HistoryStore,
    entry_id: int,
    changes: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> JournalEntry:
    """Change the given fields of an entry (``incident_id`` None unassigns it)."""
    values = _entry_values(changes)
    db = store.connection
    with store.transaction():
        _require_entry(db, entry_id)
        if "incident_id" in values:
            _require_incident(db, values["incident_id"])
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.execute(
                f"UPDATE journal_entries SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 - names from _ENTRY_FIELDS
                (*values.values(), _now(now), entry_id),
            )
    return get_entry(store, entry_id)


def delete_entry(store: HistoryStore, entry_id: int) -> None:
    """Delete an entry and its attachments."""
    with store.transaction():
        _require_entry(store.connection, entry_id)
        store.connection.execute("DELETE FROM journal_entries WHERE id = ?", (entry_id,))


def _require_entry(db: sqlite3.Connection, entry_id: int) -> None:
    if db.execute("SELECT 1 FROM journal_entries WHERE id = ?", (entry_id,)).fetchone() is None:
        raise JournalError(
            "entry_not_found", f"no journal entry {entry_id}", entry_id=str(entry_id)
        )


def get_entry(store: HistoryStore, entry_id: int) -> JournalEntry:
    """Return one entry with its attachments."""
    row = store.connection.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM journal_entries WHERE id = ?",  # noqa: S608 - constant columns
        (entry_id,),
    ).fetchone()
    if row is None:
        raise JournalError(
            "entry_not_found", f"no journal entry {entry_id}", entry_id=str(entry_id)
        )
    return _entry(row, tuple(_attachments(store.connection, [entry_id]).get(entry_id, ())))


def list_entries(
    store: HistoryStore,
    *,
    start: date | None = None,
    end: date | None = None,
    incident_id: int | None = None,
    unassigned: bool = False,
    search: str | None = None,
    include_demo: bool = True,
    limit: int = 500,
) -> list[JournalEntry]:
    """Return entries in [start, end] (days, both inclusive), oldest first.

    ``incident_id`` keeps one incident's entries, ``unassigned`` those of no
    incident; ``search`` matches title and description (case-insensitive).
    """
    _check_period(start, end)
    clauses: list[str] = []
    params: list[Any] = []
    if start is not None:
        clauses.append("date >= ?")
        params.append(start.isoformat())
    if end is not None:
        clauses.append("date <= ?")
        params.append(end.isoformat())
    if incident_id is not None:
        clauses.append("incident_id = ?")
        params.append(incident_id)
    if unassigned:
        clauses.append("incident_id IS NULL")
    if search:
        clauses.append("(title LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')")
        pattern = "%" + re.sub(r"([%_\\])", r"\\\1", search) + "%"
        params.extend((pattern, pattern))
    if not include_demo:
        clauses.append("is_demo = 0")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    params.append(max(1, min(limit, MAX_LIST_LIMIT)))
    rows = store.connection.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM journal_entries {where}"  # noqa: S608 - fixed clauses, bound values
        " ORDER BY date, id LIMIT ?",
        params,
    ).fetchall()
    attachments = _attachments(store.connection, [row[0] for row in rows])
    return [_entry(row, tuple(attachments.get(row[0], ()))) for row in rows]


_ASSIGN = "UPDATE journal_entries SET incident_id = ?, updated_at = ? WHERE date >= ? AND date <= ?"
_ASSIGN_UNASSIGNED = _ASSIGN + " AND incident_id IS NULL"


def assign_entries(
    store: HistoryStore,
    incident_id: int | None,
    start: date,
    end: date,
    *,
    only_unassigned: bool = False,
    now: datetime | None = None,
) -> int:
    """Assign every entry dated in [start, end] to an incident (None: unassign); return how many."""
    _check_period(start, end)
    db = store.connection
    with store.transaction():
        _require_incident(db, incident_id)
        sql = _ASSIGN_UNASSIGNED if only_unassigned else _ASSIGN
        cursor = db.execute(sql, (incident_id, _now(now), start.isoformat(), end.isoformat()))
    return cursor.rowcount


# -- incidents ----------------------------------------------------------------

_INCIDENT_FIELDS = frozenset({"name", "description", "status", "start_date", "end_date", "icon"})
_INCIDENT_QUERY = (
    "SELECT i.id, i.name, i.description, i.status, i.start_date, i.end_date, i.icon,"
    " i.created_at, i.updated_at, i.is_demo,"
    " (SELECT count(*) FROM journal_entries e WHERE e.incident_id = i.id)"
    " FROM incidents i"
)


def _incident(row: Sequence[Any]) -> Incident:
    return Incident(
        id=row[0],
        name=row[1],
        description=row[2],
        status=row[3],
        start_date=None if row[4] is None else date.fromisoformat(row[4]),
        end_date=None if row[5] is None else date.fromisoformat(row[5]),
        icon=row[6],
        created_at=parse_z(row[7]),
        updated_at=parse_z(row[8]),
        is_demo=bool(row[9]),
        entry_count=int(row[10]),
    )


def _incident_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _INCIDENT_FIELDS
    if unknown:
        raise ValueError(f"unknown incident fields: {sorted(unknown)}")
    checked: dict[str, Any] = {}
    if "name" in values:
        checked["name"] = _text(values["name"], "name", MAX_NAME_LENGTH, required=True)
    if "description" in values:
        checked["description"] = _text(
            values["description"], "description", MAX_DESCRIPTION_LENGTH, required=False
        )
    if "status" in values:
        checked["status"] = _status(values["status"])
    for name in ("start_date", "end_date"):
        if name in values:
            day = _optional_day(values[name], name)
            checked[name] = None if day is None else day.isoformat()
    if "icon" in values:
        checked["icon"] = _icon(values["icon"])
    return checked


def create_incident(
    store: HistoryStore,
    *,
    name: str,
    description: str = "",
    status: str = "open",
    start_date: date | str | None = None,
    end_date: date | str | None = None,
    icon: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Validate and store a new incident; return it."""
    values = _incident_values(
        {
            "name": name,
            "description": description,
            "status": status,
            "start_date": start_date,
            "end_date": end_date,
            "icon": icon,
        }
    )
    _check_stored_period(values["start_date"], values["end_date"])
    stamp = _now(now)
    with store.transaction():
        cursor = store.connection.execute(
            "INSERT INTO incidents"
            " (name, description, status, start_date, end_date, icon, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*values.values(), stamp, stamp),
        )
    return get_incident(store, int(cursor.lastrowid or 0))


def _check_stored_period(start: str | None, end: str | None) -> None:
    _check_period(
        None if start is None else date.fromisoformat(start),
        None if end is None else date.fromisoformat(end),
    )


def update_incident(
    store: HistoryStore,
    incident_id: int,
    changes: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> Incident:
    """Change the given fields of an incident."""
    values = _incident_values(changes)
    db = store.connection
    with store.transaction():
        row = db.execute(
            "SELECT start_date, end_date FROM incidents WHERE id = ?", (incident_id,)
        ).fetchone()
        if row is None:
            raise JournalError(
                "incident_not_found", f"no incident {incident_id}", incident_id=str(incident_id)
            )
        _check_stored_period(values.get("start_date", row[0]), values.get("end_date", row[1]))
        if values:
            assignments = ", ".join(f"{name} = ?" for name in values)
            db.execute(
                f"UPDATE incidents SET {assignments}, updated_at = ? WHERE id = ?",  # noqa: S608 - names from _INCIDENT_FIELDS
                (*values.values(), _now(now), incident_id),
            )
    return get_incident(store, incident_id)


def delete_incident(store: HistoryStore, incident_id: int) -> None:
    """Delete an incident; its entries stay, unassigned."""
    db = store.connection
    with store.transaction():
        _require_incident(db, incident_id)
        db.execute("DELETE FROM incidents WHERE id = ?", (incident_id,))


def get_incident(store: HistoryStore, incident_id: int) -> Incident:
    """Return one incident with its entry count."""
    row = store.connection.execute(_INCIDENT_QUERY + " WHERE i.id = ?", (incident_id,)).fetchone()
    if row is None:
        raise JournalError(
            "incident_not_found", f"no incident {incident_id}", incident_id=str(incident_id)
        )
    return _incident(row)


def list_incidents(
    store: HistoryStore, *, status: Iterable[str] | None = None, include_demo: bool = True
) -> list[Incident]:
    """Return incidents, oldest start first (undated last), optionally by status."""
    clauses: list[str] = []
    params: list[Any] = []
    if status is not None:
        chosen = [_status(value) for value in status]
        clauses.append(f"i.status IN ({','.join('?' * len(chosen))})")
        params.extend(chosen)
    if not include_demo:
        clauses.append("i.is_demo = 0")
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = store.connection.execute(
        _INCIDENT_QUERY + where + " ORDER BY i.start_date IS NULL, i.start_date, i.id", params
    )
    return [_incident(row) for row in rows]


# -- attachments --------------------------------------------------------------


def _attachments(db: sqlite3.Connection, entry_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {}
    # In slices: SQLite limits the number of bound parameters.
    for offset in range(0, len(entry_ids), 500):
        chunk = entry_ids[offset : offset + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, entry_id, filename, mime_type, length(data), created_at FROM journal_attachments WHERE entry_id IN ({marks}) ORDER BY id"  # noqa: S608 - placeholders only
        rows = db.execute(sql, chunk)
        for row in rows:
            found.setdefault(row[1], []).append(
                Attachment(row[0], row[1], row[2], row[3], int(row[4]), parse_z(row[5]))
            )
    return found


def sniff_mime_type(data: bytes) -> str | None:
    """Return the type the content itself shows, or None if it is none of the allowed ones."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def safe_filename(name: str) -> str:
    """Return the last component of ``name`` without characters a file system would mind."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = _UNSAFE_FILENAME.sub("_", base).strip(" .")
    if not cleaned:
        raise JournalError("invalid_filename", f"not a usable file name: {name!r}", filename=name)
    if len(cleaned) > MAX_FILENAME_LENGTH:
        stem, dot, suffix = cleaned.rpartition(".")
        keep = MAX_FILENAME_LENGTH - len(suffix) - 1
        cleaned = stem[:keep] + dot + suffix if dot and keep > 0 else cleaned[:MAX_FILENAME_LENGTH]
    return cleaned


def attachment_type(filename: str, data: bytes) -> str:
    """Return the MIME type to store, or raise when the file is not allowed.

    The extension picks the type; the content must be of that type (a text
    type accepts any UTF-8 text), so a renamed executable is refused.
    """
    if len(data) > MAX_ATTACHMENT_SIZE:
        raise JournalError(
            "attachment_too_large",
            f"{filename} is {len(data)} bytes, more than {MAX_ATTACHMENT_SIZE}",
            filename=filename,
            size=str(len(data)),
            limit=str(MAX_ATTACHMENT_SIZE),
        )
    if not data:
        raise JournalError("attachment_empty", f"{filename} is empty", filename=filename)
    suffix = PurePath(filename).suffix.lower()
    declared = ATTACHMENT_TYPES.get(suffix)
    if declared is None:
        raise JournalError(
            "attachment_type",
            f"{filename}: {suffix or 'no extension'} is not an allowed attachment type",
            filename=filename,
            allowed=", ".join(sorted(ATTACHMENT_TYPES)),
        )
    sniffed = sniff_mime_type(data)
    matches = sniffed == declared or (sniffed == "text/plain" and declared.startswith("text/"))
    if not matches:
        raise JournalError(
            "attachment_mismatch",
            f"{filename}: the content is not {declared}",
            filename=filename,
            mime_type=declared,
        )
    return declared


def add_attachment(
    store: HistoryStore,
    entry_id: int,
    filename: str,
    data: bytes,
    *,
    now: datetime | None = None,
) -> Attachment:
    """Validate and attach a file to an entry; return its metadata."""
    name = safe_filename(filename)
    mime_type = attachment_type(name, data)
    db = store.connection
    stamp = _now(now)
    with store.transaction():
        _require_entry(db, entry_id)
        (count,) = db.execute(
            "SELECT count(*) FROM journal_attachments WHERE entry_id = ?", (entry_id,)
        ).fetchone()
        if count >= MAX_ATTACHMENTS_PER_ENTRY:
            raise JournalError(
                "too_many_attachments",
                f"entry {entry_id} already has {count} attachments",
                limit=str(MAX_ATTACHMENTS_PER_ENTRY),
            )
        cursor = db.execute(
            "INSERT INTO journal_attachments (entry_id, filename, mime_type, data, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (entry_id, name, mime_type, sqlite3.Binary(data), stamp),
        )
    return Attachment(
        int(cursor.lastrowid or 0), entry_id, name, mime_type, len(data), parse_z(stamp)
    )


def get_attachment(store: HistoryStore, attachment_id: int) -> tuple[Attachment, bytes]:
    """Return an attachment's metadata and bytes."""
    row = store.connection.execute(
        "SELECT id, entry_id, filename, mime_type, data, created_at"
        " FROM journal_attachments WHERE id = ?",
        (attachment_id,),
    ).fetchone()
    if row is None:
        raise JournalError(
            "attachment_not_found",
            f"no attachment {attachment_id}",
            attachment_id=str(attachment_id),
        )
    data = bytes(row[4])
    return Attachment(row[0], row[1], row[2], row[3], len(data), parse_z(row[5])), data


def delete_attachment(store: HistoryStore, attachment_id: int) -> None:
    """Delete one attachment."""
    with store.transaction():
        cursor = store.connection.execute(
            "DELETE FROM journal_attachments WHERE id = ?", (attachment_id,)
        )
        if cursor.rowcount == 0:
            raise JournalError(
                "attachment_not_found",
                f"no attachment {attachment_id}",
                attachment_id=str(attachment_id),
            )


# -- export -------------------------------------------------------------------

CSV_COLUMNS: Final = ("date", "title", "description", "icon", "incident", "attachments")
# A spreadsheet runs a cell starting with one of these as a formula; exported
# cells get a leading apostrophe, which the importer takes off again.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_journal(
    store: HistoryStore,
    fmt: str,
    *,
    start: date | None = None,
    end: date | None = None,
    include_demo: bool = True,
    now: datetime | None = None,
) -> str:
    """Return the journal (entries in [start, end] and the incidents) as CSV, JSON or Markdown."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}")
    entries = list_entries(
        store, start=start, end=end, include_demo=include_demo, limit=MAX_LIST_LIMIT
    )
    incidents = list_incidents(store, include_demo=include_demo)
    names = {incident.id: incident.name for incident in incidents}
    if fmt == "csv":
        return _export_csv(entries, names)
    if fmt == "json":
        return json.dumps(
            {
                "format": "docsight.journal/1",
                "exported_at": _now(now),
                "incidents": [incident.to_json() for incident in incidents],
                "entries": [entry.to_json() for entry in entries],
            },
            ensure_ascii=False,
            indent=2,
        )
    return _export_markdown(entries, incidents, names, _now(now))


def _export_csv(entries: Sequence[JournalEntry], names: Mapping[int, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.date.isoformat(),
                _csv_cell(entry.title),
                _csv_cell(entry.description),
                entry.icon or "",
                _csv_cell(names.get(entry.incident_id, "") if entry.incident_id else ""),
                _csv_cell(" | ".join(item.filename for item in entry.attachments)),
            ]
        )
    return out.getvalue()


def _md(text: str) -> str:
    """Escape what Markdown would otherwise format in a single-line value."""
    return re.sub(r"([\\`*_\[\]#<>|])", r"\\\1", text.replace("\n", " "))


def _export_markdown(
    entries: Sequence[JournalEntry],
    incidents: Sequence[Incident],
    names: Mapping[int, str],
    stamp: str,
) -> str:
    lines = ["# DOCSight journal", "", f"Exported {stamp}.", ""]
    if incidents:
        lines += ["## Incidents", ""]
        for incident in incidents:
            period = " to ".join(
                day.isoformat() for day in (incident.start_date, incident.end_date) if day
            )
            lines.append(f"### {_md(incident.name)}")
            lines.append("")
            lines.append(
                f"Status: {incident.status}"
                + (f" · {period}" if period else "")
                + f" · {incident.entry_count} entries"
            )
            if incident.description:
                lines += ["", incident.description]
            lines.append("")
    lines += ["## Entries", ""]
    if not entries:
        lines += ["No entries.", ""]
    for entry in entries:
        lines.append(f"### {entry.date.isoformat()}: {_md(entry.title)}")
        lines.append("")
        if entry.incident_id:
            lines += [f"Incident: {_md(names.get(entry.incident_id, str(entry.incident_id)))}", ""]
        if entry.description:
            lines += [entry.description, ""]
        if entry.attachments:
            files = ", ".join(_md(item.filename) for item in entry.attachments)
            lines += [f"Attachments: {files}", ""]
    return "\n".join(lines)


# -- CSV import ---------------------------------------------------------------

MONTHS_DE: Final[Mapping[str, int]] = {
    "januar": 1,
    "jänner": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "april": 4,
    "mai": 5,
    "juni": 6,
    "juli": 7,
    "august": 8,
    "september": 9,
    "oktober": 10,
    "november": 11,
    "dezember": 12,
}
_MONTH_NAME = "|".join(sorted(MONTHS_DE, key=len, reverse=True))
_MONTH_ROW = re.compile(rf"^({_MONTH_NAME})\s*\(?\s*(\d{{4}})?\s*\)?$", re.IGNORECASE)
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4}|\d{2})?(?!\d)")
_NAMED = re.compile(rf"^(\d{{1,2}})\.?\s+({_MONTH_NAME})\.?\s*(\d{{4}})?(?!\d)", re.IGNORECASE)

_HEADERS: Final[Mapping[str, frozenset[str]]] = {
    "date": frozenset({"datum", "date", "tag", "day", "wann", "when"}),
    "title": frozenset({"titel", "title", "ereignis", "event", "betreff", "subject", "was"}),
    "description": frozenset(
        {"beschreibung", "description", "details", "notiz", "notizen", "note", "notes", "text"}
    ),
    "icon": frozenset({"icon", "symbol"}),
}


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One data row of an import file, parsed and checked."""

    line: int
    date: date | None
    title: str
    description: str
    icon: str | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form shown in a preview."""
        return {
            "line": self.line,
            "date": None if self.date is None else self.date.isoformat(),
            "title": self.title,
            "description": self.description,
            "icon": self.icon,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What an import would do: every data row, valid or with its error."""

    delimiter: str
    columns: dict[str, int]
    rows: tuple[ImportRow, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> tuple[ImportRow, ...]:
        """Return the rows that can be imported."""
        return tuple(row for row in self.rows if row.error is None)

    @property
    def errors(self) -> tuple[ImportRow, ...]:
        """Return the rows that cannot."""
        return tuple(row for row in self.rows if row.error is not None)

    def to_json(self, *, sample: int = 50) -> dict[str, Any]:
        """Return the JSON form: counts, the first rows, and every error."""
        return {
            "delimiter": self.delimiter,
            "columns": self.columns,
            "total": len(self.rows),
            "valid": len(self.valid),
            "invalid": len(self.errors),
            "rows": [row.to_json() for row in self.rows[:sample]],
            "errors": [row.to_json() for row in self.errors],
        }


def parse_import_date(text: str, year: int | None) -> date | None:
    """Parse a date as people write it; ``year`` completes a date without one.

    ISO (``2025-03-17``), German numeric (``17.03.2025``, ``17.3.25``,
    ``17.03.``), with a month name (``17. März 2025``, ``3 Mai``), and the
    start of a range (``17.03. - 19.03.``).  Returns None when unparseable.
    """
    text = text.strip()
    day: int
    month: int
    found_year: int | None
    if match := _ISO.match(text):
        found_year, month, day = (int(part) for part in match.groups())
    elif match := _DOTTED.match(text):
        day, month = int(match[1]), int(match[2])
        found_year = None if match[3] is None else int(match[3])
        if found_year is not None and found_year < 100:
            found_year += 2000
    elif match := _NAMED.match(text):
        day, month = int(match[1]), MONTHS_DE[match[2].lower()]
        found_year = None if match[3] is None else int(match[3])
    else:
        return None
    chosen = found_year if found_year is not None else year
    if chosen is None:
        return None
    try:
        return date(chosen, month, day)
    except ValueError:
        return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves CSV as Windows-1252; it decodes any byte but
        # five, which are not text in a journal anyway.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise JournalError(
                "import_encoding", "the file is neither UTF-8 nor Windows-1252"
            ) from None


def _delimiter(text: str) -> str:
    sample = text[:4096]
    counts = {delimiter: sample.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda delimiter: (counts[delimiter], delimiter == ";"))


def _uncell(value: str) -> str:
    """Undo the export's formula guard."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def _header_columns(row: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        name = cell.strip().lower().rstrip(":")
        for key, words in _HEADERS.items():
            if name in words and key not in columns:
                columns[key] = index
    return columns


def parse_csv_import(data: bytes, *, default_year: int) -> ImportPreview:
    """Parse and check an import file without writing anything.

    ``default_year`` completes dates without a year that no month row above
    them gives one to (the caller passes the current year).
    """
    if len(data) > MAX_IMPORT_SIZE:
        raise JournalError(
            "import_too_large",
            f"the file has {len(data)} bytes, more than {MAX_IMPORT_SIZE}",
            size=str(len(data)),
            limit=str(MAX_IMPORT_SIZE),
        )
    text = _decode(data)
    delimiter = _delimiter(text)
    try:
        table = [
            (number, [_uncell(cell.strip()) for cell in row])
            for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1)
        ]
    except csv.Error as err:
        raise JournalError("import_unreadable", f"not a readable CSV file: {err}") from err
    table = [(number, row) for number, row in table if any(row)]
    if not table:
        raise JournalError("import_empty", "the file has no rows")

    columns: dict[str, int] = {}
    body = table
    for index, (_number, row) in enumerate(table):
        if _MONTH_ROW.match(row[0]) and not any(row[1:]):
            continue
        found = _header_columns(row)
        if "date" in found and ("title" in found or "description" in found):
            columns, body = found, table[:index] + table[index + 1 :]
        break
    if not columns:
        # No header: date, title, description in this order, if the first
        # data row starts with a date.
        columns = {"date": 0, "title": 1, "description": 2}
        first = next((row for _number, row in table if not _MONTH_ROW.match(row[0])), None)
        if first is None:
            raise JournalError("import_empty", "the file has no data rows")
        if parse_import_date(first[0], default_year) is None:
            raise JournalError(
                "import_no_columns", "no date and title columns found (and no header naming them)"
            )

    rows: list[ImportRow] = []
    year: int | None = None
    month: int | None = None
    for number, row in body:
        if (match := _MONTH_ROW.match(row[0])) and not any(row[1:]):
            new_month = MONTHS_DE[match[1].lower()]
            if match[2]:
                year = int(match[2])
            elif year is not None and month is not None and new_month < month:
                year += 1  # December, then January: a new year
            month = new_month
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise JournalError(
                "import_too_many_rows",
                f"more than {MAX_IMPORT_ROWS} rows",
                limit=str(MAX_IMPORT_ROWS),
            )
        rows.append(_import_row(number, row, columns, year or default_year))
    if not rows:
        raise JournalError("import_empty", "the file has no data rows")
    return ImportPreview(delimiter=delimiter, columns=columns, rows=tuple(rows))


def _import_row(
    number: int, row: Sequence[str], columns: Mapping[str, int], year: int
) -> ImportRow:
    def cell(key: str) -> str:
        index = columns.get(key)
        return row[index] if index is not None and index < len(row) else ""

    raw_date, title, description, icon = (
        cell("date"),
        cell("title"),
        cell("description"),
        cell("icon"),
    )
    if not title and description:
        # A journal kept as date + text: the first line becomes the title.
        title = description.splitlines()[0][:80]
    day = parse_import_date(raw_date, year)
    error = None
    if day is None:
        error = f"not a date: {raw_date!r}" if raw_date else "no date"
    else:
        try:
            _entry_values({"title": title, "description": description, "icon": icon or None})
        except JournalError as err:
            error = str(err)
    return ImportRow(number, day, title, description, icon or None, error)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import wrote."""

    imported: int
    skipped: int
    entry_ids: tuple[int, ...]


def import_csv(
    store: HistoryStore,
    data: bytes,
    *,
    default_year: int,
    incident_id: int | None = None,
    skip_invalid: bool = False,
    now: datetime | None = None,
) -> ImportResult:
    """Import a CSV file's rows as entries, all of them or none.

    Any invalid row refuses the whole import unless ``skip_invalid``; the
    rows go in one transaction, so a failure half-way leaves nothing behind.
    """
    preview = parse_csv_import(data, default_year=default_year)
    if preview.errors and not skip_invalid:
        first = preview.errors[0]
        raise JournalError(
            "import_invalid_rows",
            f"{len(preview.errors)} rows cannot be imported (line {first.line}: {first.error})",
            count=str(len(preview.errors)),
            line=str(first.line),
            error=str(first.error),
        )
    stamp = _now(now)
    db = store.connection
    ids: list[int] = []
    with store.transaction():
        _require_incident(db, incident_id)
        for row in preview.valid:
            assert row.date is not None  # noqa: S101 - valid rows have a date
            cursor = db.execute(
                "INSERT INTO journal_entries"
                " (date, title, description, icon, incident_id, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    row.date.isoformat(),
                    row.title,
                    row.description,
                    row.icon,
                    incident_id,
                    stamp,
                    stamp,
                ),
            )
            ids.append(int(cursor.lastrowid or 0))
    return ImportResult(imported=len(ids), skipped=len(preview.errors), entry_ids=tuple(ids))
