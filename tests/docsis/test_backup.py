"""Backups: a round trip keeps the user's rows, and every hostile archive changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
import gzip
import hashlib
import io
import json
from pathlib import Path
import sqlite3
import tarfile
from typing import Any

import pytest

from custom_components.docsight.docsis import backup, journal
from custom_components.docsight.docsis.backup import (
    DB_NAME,
    FORMAT_VERSION,
    MAGIC,
    META_NAME,
    BackupError,
    create_backup,
    delete_backup,
    list_backups,
    prune_backups,
    read_info,
    resolve_archive,
    restore_backup,
    validate_backup,
)
from custom_components.docsight.docsis.demo_history import seed_demo_history
from custom_components.docsight.docsis.storage import ALL_TABLES, SCHEMA_VERSION, HistoryStore

NOW = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def source(tmp_path: Path) -> Iterator[HistoryStore]:
    """A store with two days of demo history and some rows of the user's own."""
    store = HistoryStore.open(tmp_path / "source" / "history.db")
    seed_demo_history(store, days=2, end=NOW, time_zone=UTC)
    incident = journal.create_incident(store, name="Evening dropouts", start_date="2026-03-01")
    entry = journal.create_entry(
        store, day=date(2026, 3, 2), title="Called the hotline", incident_id=incident.id
    )
    journal.add_attachment(store, entry.id, "ticket.txt", b"Ticket 4711")
    # A user entry assigned to a demo incident: it stays, unassigned.
    demo_incident = next(item for item in journal.list_incidents(store) if item.is_demo)
    journal.create_entry(
        store, day=date(2026, 3, 3), title="Line down again", incident_id=demo_incident.id
    )
    yield store
    store.close()


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Path]:
    """An entry's database with a row of its own, closed (as a restore needs it)."""
    path = tmp_path / "target" / "history.db"
    store = HistoryStore.open(path)
    journal.create_entry(store, day=date(2025, 1, 1), title="Old target entry")
    store.close()
    return path


@pytest.fixture
def good_archive(source: HistoryStore, tmp_path: Path) -> Path:
    return create_backup(
        source, tmp_path / "backups", app_version="0.1.0", now=NOW, extra={"entry_title": "Demo"}
    ).path


def test_create_writes_meta_and_drops_demo_rows(source: HistoryStore, good_archive: Path) -> None:
    assert good_archive.name == "docsight_backup_2026-03-17_120000.tar.gz"
    with tarfile.open(good_archive, "r:gz") as tar:
        names = tar.getnames()
        meta = json.loads(tar.extractfile(META_NAME).read())  # type: ignore[union-attr]
    assert names == [META_NAME, DB_NAME]
    assert meta["magic"] == MAGIC
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["timestamp"] == "2026-03-17T12:00:00Z"
    assert meta["app_version"] == "0.1.0"
    assert meta["entry_title"] == "Demo"
    assert set(meta["tables"]) == set(ALL_TABLES)
    # Only the user's rows: no demo snapshot, one incident, two entries, one attachment.
    assert meta["tables"]["snapshots"] == 0
    assert meta["tables"]["events"] == 0
    assert meta["tables"]["incidents"] == 1
    assert meta["tables"]["journal_entries"] == 2
    assert meta["tables"]["journal_attachments"] == 1
    # The live store still has its demo history: only the copy was cleaned.
    assert source.snapshot_count(is_demo=True) > 0
    # No temporary files are left next to the archive.
    assert sorted(p.name for p in good_archive.parent.iterdir()) == [good_archive.name]


def test_round_trip(good_archive: Path, target: Path) -> None:
    before = _sha(target)
    info = restore_backup(good_archive, target)
    assert _sha(target) != before
    assert info.tables["journal_entries"] == 2
    store = HistoryStore.open(target)
    try:
        entries = journal.list_entries(store)
        assert [entry.title for entry in entries] == ["Called the hotline", "Line down again"]
        assert entries[0].incident_id is not None
        assert entries[1].incident_id is None  # its demo incident was not backed up
        assert entries[0].attachments[0].filename == "ticket.txt"
        _meta, data = journal.get_attachment(store, entries[0].attachments[0].id)
        assert data == b"Ticket 4711"
        assert store.snapshot_count() == 0
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    # Nothing of the staging is left, and no stale journal files.
    assert sorted(p.name for p in target.parent.iterdir()) == ["history.db"]


def test_restore_onto_missing_target(good_archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "fresh" / "history.db"
    restore_backup(good_archive, target)
    store = HistoryStore.open(target)
    assert len(journal.list_entries(store)) == 2
    store.close()


def test_restore_folds_a_stale_wal_first(good_archive: Path, tmp_path: Path) -> None:
    """A crashed store leaves a -wal; it must never be applied to the restored file."""
    target = tmp_path / "crashed" / "history.db"
    store = HistoryStore.open(target)
    store.connection.execute("PRAGMA wal_autocheckpoint = 0")
    journal.create_entry(store, day=date(2025, 1, 1), title="Only in the WAL")
    wal = Path(f"{target}-wal")
    assert wal.stat().st_size > 0
    # Simulate a crash: keep the WAL, copy the files away before close() folds it.
    crashed = {p: p.read_bytes() for p in (target, wal)}
    store.close()
    for path, data in crashed.items():
        path.write_bytes(data)
    restore_backup(good_archive, target)
    assert not wal.exists()
    store = HistoryStore.open(target)
    assert [e.title for e in journal.list_entries(store)] == [
        "Called the hotline",
        "Line down again",
    ]
    assert store.integrity_check() == "ok"
    store.close()


def test_list_validate_delete(good_archive: Path, source: HistoryStore) -> None:
    folder = good_archive.parent
    second = create_backup(source, folder, app_version="0.1.0", now=NOW).path
    assert second.name == "docsight_backup_2026-03-17_120000_2.tar.gz"
    (folder / "docsight_backup_garbage.tar.gz").write_bytes(b"not a tar")
    (folder / "notes.txt").write_text("ignored")
    listed = list_backups(folder)
    assert [info.path.name for info in listed] == [second.name, good_archive.name]
    assert listed[1].to_json()["entry_title"] == "Demo"
    assert listed[0].to_json()["size"] == second.stat().st_size
    assert validate_backup(good_archive).tables["journal_entries"] == 2
    delete_backup(folder, second.name)
    assert not second.exists()
    assert list_backups(folder / "missing") == []
    with pytest.raises(BackupError) as err:
        read_info(folder / "docsight_backup_garbage.tar.gz")
    assert err.value.key == "corrupt_archive"


@pytest.mark.parametrize(
    "name",
    [
        "../docsight_backup_x.tar.gz",
        "/etc/passwd",
        "docsight_backup_x.tar",
        "sub/docsight_backup_x.tar.gz",
        "docsight_backup_..tar.gz",
        "other.tar.gz",
    ],
)
def test_resolve_refuses_paths(tmp_path: Path, name: str) -> None:
    with pytest.raises(BackupError) as err:
        resolve_archive(tmp_path, name)
    assert err.value.key == "invalid_name"


def test_resolve_missing_and_symlink(tmp_path: Path, good_archive: Path) -> None:
    with pytest.raises(BackupError) as err:
        resolve_archive(tmp_path, "docsight_backup_missing.tar.gz")
    assert err.value.key == "not_found"
    link = tmp_path / "docsight_backup_link.tar.gz"
    link.symlink_to(good_archive)
    with pytest.raises(BackupError) as err:
        resolve_archive(tmp_path, link.name)
    assert err.value.key == "not_found"


def test_prune_keeps_newest_of_matching(source: HistoryStore, tmp_path: Path) -> None:
    folder = tmp_path / "pruned"
    made = [
        create_backup(
            source,
            folder,
            app_version="x",
            now=NOW.replace(hour=hour),
            extra={"entry_id": "A", "scheduled": True},
        ).path.name
        for hour in range(1, 5)
    ]
    manual = create_backup(
        source, folder, app_version="x", now=NOW, extra={"entry_id": "A", "scheduled": False}
    ).path.name
    other = create_backup(
        source, folder, app_version="x", now=NOW, extra={"entry_id": "B", "scheduled": True}
    ).path.name
    deleted = prune_backups(folder, 2, match={"entry_id": "A", "scheduled": True})
    assert sorted(deleted) == made[:2]
    left = {info.path.name for info in list_backups(folder)}
    assert left == {*made[2:], manual, other}


# -- hostile archives -------------------------------------------------------------------


def _meta(**changes: Any) -> bytes:
    meta: dict[str, Any] = {
        "magic": MAGIC,
        "format_version": FORMAT_VERSION,
        "timestamp": "2026-03-17T12:00:00Z",
        "app_version": "0.1.0",
        "tables": {},
    }
    meta.update(changes)
    return json.dumps({k: v for k, v in meta.items() if v is not None}).encode()


def _good_db(tmp_path: Path) -> tuple[bytes, dict[str, int]]:
    path = tmp_path / "crafted-source.db"
    path.unlink(missing_ok=True)
    store = HistoryStore.open(path)
    journal.create_entry(store, day=date(2026, 1, 1), title="From the archive")
    counts = store.counts()
    store.connection.execute("PRAGMA journal_mode = DELETE")
    store.close()
    return path.read_bytes(), counts


def _add(tar: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.type = kind
    tar.addfile(info, io.BytesIO(data))


def _link(tar: tarfile.TarFile, name: str, target: str, kind: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


def _write(path: Path, build: Callable[[tarfile.TarFile], None]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        build(tar)
    return path


def _crafted(tmp_path: Path, case: str) -> Path:
    db, counts = _good_db(tmp_path)
    meta = _meta(tables=counts)
    archive = tmp_path / f"docsight_backup_{case}.tar.gz"

    def standard(tar: tarfile.TarFile) -> None:
        _add(tar, META_NAME, meta)
        _add(tar, DB_NAME, db)

    builders: dict[str, Callable[[tarfile.TarFile], None]] = {
        "traversal": lambda tar: (standard(tar), _add(tar, "../escaped.db", db)),
        "traversal_inner": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, "x/../history.db", db),
        ),
        "absolute": lambda tar: (_add(tar, META_NAME, meta), _add(tar, "/etc/history.db", db)),
        "symlink": lambda tar: (
            _add(tar, META_NAME, meta),
            _link(tar, DB_NAME, "/etc/passwd", tarfile.SYMTYPE),
        ),
        "hardlink": lambda tar: (
            _add(tar, META_NAME, meta),
            _link(tar, DB_NAME, META_NAME, tarfile.LNKTYPE),
        ),
        "device": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, b"", tarfile.CHRTYPE),
        ),
        "directory": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, b"", tarfile.DIRTYPE),
        ),
        "unknown_name": lambda tar: (standard(tar), _add(tar, "config.json", b"{}")),
        "duplicate": lambda tar: (standard(tar), _add(tar, DB_NAME, db)),
        "wrong_magic": lambda tar: (
            _add(tar, META_NAME, _meta(magic="other")),
            _add(tar, DB_NAME, db),
        ),
        "newer_version": lambda tar: (
            _add(tar, META_NAME, _meta(format_version=FORMAT_VERSION + 1, tables=counts)),
            _add(tar, DB_NAME, db),
        ),
        "bad_version": lambda tar: (
            _add(tar, META_NAME, _meta(format_version="1", tables=counts)),
            _add(tar, DB_NAME, db),
        ),
        "meta_not_json": lambda tar: (_add(tar, META_NAME, b"{nope"), _add(tar, DB_NAME, db)),
        "meta_incomplete": lambda tar: (
            _add(tar, META_NAME, _meta(tables=None)),
            _add(tar, DB_NAME, db),
        ),
        "meta_too_large": lambda tar: (
            _add(tar, META_NAME, b" " * (backup.MAX_META_SIZE + 1)),
            _add(tar, DB_NAME, db),
        ),
        "no_meta": lambda tar: _add(tar, DB_NAME, db),
        "no_database": lambda tar: _add(tar, META_NAME, meta),
        "corrupt_database": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, _corrupt(db)),
        ),
        "inconsistent_index": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, _broken_index(tmp_path, db)),
        ),
        "not_a_database": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, b"SQLite format 3\x00" + b"\xff" * 4000),
        ),
        "counts_differ": lambda tar: (
            _add(tar, META_NAME, _meta(tables={**counts, "journal_entries": 99})),
            _add(tar, DB_NAME, db),
        ),
        "newer_schema": lambda tar: (
            _add(tar, META_NAME, meta),
            _add(tar, DB_NAME, _with_user_version(tmp_path, db, SCHEMA_VERSION + 1)),
        ),
    }
    return _write(archive, builders[case])


def _corrupt(db: bytes) -> bytes:
    """Overwrite the middle of the b-tree pages: a file that opens but fails the check."""
    data = bytearray(db)
    page = 4096
    for offset in range(page * 2 + 100, min(len(data), page * 6), 7):
        data[offset] = 0xA5
    return bytes(data)


def _broken_index(tmp_path: Path, db: bytes) -> bytes:
    """A database that opens and reads, but whose index no longer matches its table."""
    path = tmp_path / "broken-index.db"
    path.write_bytes(db)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX journal_entries_date"
        " ON journal_entries(title)' WHERE name = 'journal_entries_date'"
    )
    connection.commit()
    connection.close()
    return path.read_bytes()


def _with_user_version(tmp_path: Path, db: bytes, version: int) -> bytes:
    path = tmp_path / "newer.db"
    path.write_bytes(db)
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {version}")
    connection.commit()
    connection.close()
    return path.read_bytes()


HOSTILE = {
    "traversal": "unsafe_member",
    "traversal_inner": "unsafe_member",
    "absolute": "unsafe_member",
    "symlink": "unsafe_member",
    "hardlink": "unsafe_member",
    "device": "unsafe_member",
    "directory": "unsafe_member",
    "unknown_name": "unknown_member",
    "duplicate": "unsafe_member",
    "wrong_magic": "bad_magic",
    "newer_version": "unsupported_version",
    "bad_version": "bad_meta",
    "meta_not_json": "bad_meta",
    "meta_incomplete": "bad_meta",
    "meta_too_large": "bad_meta",
    "no_meta": "missing_meta",
    "no_database": "missing_database",
    "corrupt_database": "corrupt_database",
    "inconsistent_index": "corrupt_database",
    "not_a_database": "corrupt_database",
    "counts_differ": "corrupt_database",
    "newer_schema": "unsupported_schema",
}


@pytest.mark.parametrize(("case", "key"), HOSTILE.items())
def test_hostile_archive_changes_nothing(tmp_path: Path, target: Path, case: str, key: str) -> None:
    archive = _crafted(tmp_path, case)
    before = _sha(target)
    folder_before = sorted(p.name for p in target.parent.iterdir())
    with pytest.raises(BackupError) as err:
        restore_backup(archive, target)
    assert err.value.key == key, err.value
    assert _sha(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == folder_before
    # Nothing escaped next to the archive or the target either.
    assert not (tmp_path / "escaped.db").exists()
    assert not (target.parent.parent / "escaped.db").exists()
    with pytest.raises(BackupError):
        validate_backup(archive)


def test_crafted_good_archive_restores(tmp_path: Path, target: Path) -> None:
    """The crafting helpers build a valid archive when nothing is wrong: the checks above bite."""
    db, counts = _good_db(tmp_path)
    archive = _write(
        tmp_path / "docsight_backup_ok.tar.gz",
        lambda tar: (_add(tar, META_NAME, _meta(tables=counts)), _add(tar, DB_NAME, db)),
    )
    restore_backup(archive, target)
    store = HistoryStore.open(target)
    assert [entry.title for entry in journal.list_entries(store)] == ["From the archive"]
    store.close()


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_gzip_changes_nothing(good_archive: Path, target: Path, cut: float) -> None:
    data = good_archive.read_bytes()
    broken = good_archive.with_name("docsight_backup_truncated.tar.gz")
    broken.write_bytes(data[: int(len(data) * cut)])
    before = _sha(target)
    with pytest.raises(BackupError) as err:
        restore_backup(broken, target)
    assert err.value.key in {"corrupt_archive", "missing_database"}
    assert _sha(target) == before


def test_not_gzip_and_plain_tar(tmp_path: Path, target: Path) -> None:
    junk = tmp_path / "docsight_backup_junk.tar.gz"
    junk.write_bytes(b"\x00" * 100)
    plain = tmp_path / "docsight_backup_plain.tar.gz"
    with tarfile.open(plain, "w") as tar:
        _add(tar, META_NAME, _meta())
    before = _sha(target)
    for archive in (junk, plain):
        with pytest.raises(BackupError) as err:
            restore_backup(archive, target)
        assert err.value.key == "corrupt_archive"
    assert _sha(target) == before


def test_gzip_bomb_is_bounded(
    tmp_path: Path, target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database bigger than the limit is refused while it is being unpacked."""
    monkeypatch.setattr(backup, "MAX_DB_SIZE", 10_000)
    archive = _write(
        tmp_path / "docsight_backup_bomb.tar.gz",
        lambda tar: (_add(tar, META_NAME, _meta()), _add(tar, DB_NAME, b"\x00" * 50_000)),
    )
    before = _sha(target)
    with pytest.raises(BackupError) as err:
        restore_backup(archive, target)
    assert err.value.key == "corrupt_archive"
    assert _sha(target) == before


def test_bounded_copy_stops_streams_that_lie(tmp_path: Path) -> None:
    with pytest.raises(BackupError):
        backup._copy_bounded(io.BytesIO(b"x" * 100), tmp_path / "out", 10)


def test_read_info_requires_meta_first(tmp_path: Path) -> None:
    db, _counts = _good_db(tmp_path)
    archive = _write(
        tmp_path / "docsight_backup_order.tar.gz",
        lambda tar: (_add(tar, DB_NAME, db), _add(tar, META_NAME, _meta())),
    )
    with pytest.raises(BackupError) as err:
        read_info(archive)
    assert err.value.key == "missing_meta"


def test_write_failure_leaves_no_partial_archive(
    source: HistoryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "failing"

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(tarfile.TarFile, "addfile", fail)
    with pytest.raises(OSError, match="disk full"):
        create_backup(source, folder, app_version="x", now=NOW)
    assert list(folder.iterdir()) == []


def test_snapshot_failure_leaves_nothing(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "closed.db")
    store.close()
    folder = tmp_path / "out"
    with pytest.raises(sqlite3.ProgrammingError):
        create_backup(store, folder, app_version="x", now=NOW)
    assert list(folder.iterdir()) == []


def test_gzip_module_is_what_the_archive_uses(good_archive: Path) -> None:
    # The format is plain gzip: any tool can open it.
    with gzip.open(good_archive) as raw:
        assert raw.read(512)[: len(META_NAME)] == META_NAME.encode()
