"""Backups of a modem's history database, and restoring them safely.

A backup is a ``.tar.gz`` with exactly two members:

* ``backup_meta.json``: ``{"magic": "docsight-backup", "format_version": 1,
  "timestamp", "app_version", "tables": {name: row count}}`` plus what the
  caller adds (the entry's title, whether it was scheduled);
* ``history.db``: a consistent copy of the database made with ``VACUUM
  INTO`` (a transactionally consistent snapshot taken on the store's own
  connection, so a poll being written is either in it or not), with the
  demo's made-up rows removed: a backup is the user's evidence, not a demo.

Restoring treats the archive as hostile until proven otherwise.  Nothing is
extracted with :meth:`tarfile.TarFile.extractall`; each member must be a
regular file with one of the two known names (no absolute path, no ``..``,
no link, device or directory), no name may repeat, sizes are bounded, the
meta file must carry the magic value and a format version this code knows,
and the database must pass ``PRAGMA integrity_check``, have a schema this
code can open, and hold the row counts the meta file promises.  All of that
happens in a staging folder next to the target; only then is the staged
file swapped in with :func:`os.replace` (atomic on one file system) and the
old ``-wal``/``-shm`` files removed.  So a bad archive changes nothing.

The caller must have closed every connection to the target database first
(the Home Assistant layer unloads the entry, restores, and sets it up again).
"""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
import gzip
import json
import os
from pathlib import Path, PurePosixPath
import re
import shutil
import sqlite3
import tarfile
import tempfile
from typing import IO, Any, Final
import zlib

from .errors import ReasonError
from .storage import ALL_TABLES, SCHEMA_VERSION, HistoryStore, iso_z

MAGIC: Final = "docsight-backup"
FORMAT_VERSION: Final = 1
META_NAME: Final = "backup_meta.json"
DB_NAME: Final = "history.db"
KNOWN_NAMES: Final = frozenset({META_NAME, DB_NAME})
ARCHIVE_PREFIX: Final = "docsight_backup_"
ARCHIVE_SUFFIX: Final = ".tar.gz"
# What a backup file name may look like: ours, never a path.
ARCHIVE_NAME: Final = re.compile(r"^docsight_backup_[0-9A-Za-z_.-]{1,80}\.tar\.gz$")

MAX_META_SIZE: Final = 64 * 1024
# Guards against a decompression bomb; a history of ten years with a poll
# every five minutes is well under 1 GB.
MAX_DB_SIZE: Final = 8 * 1024**3
_COPY_CHUNK = 1024 * 1024


class BackupError(ReasonError):
    """A backup cannot be made, read or restored."""


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup archive and what its meta file says."""

    path: Path
    size: int
    timestamp: str
    app_version: str
    format_version: int
    tables: dict[str, int]
    extra: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form listed by the services."""
        return {
            "name": self.path.name,
            "size": self.size,
            "timestamp": self.timestamp,
            "app_version": self.app_version,
            "format_version": self.format_version,
            "tables": self.tables,
            **self.extra,
        }


# -- creating -------------------------------------------------------------------


def snapshot_database(store: HistoryStore, target: Path) -> None:
    """Write a consistent copy of the store's database to ``target`` (on the store's thread).

    ``VACUUM INTO`` reads inside one transaction of the store's connection,
    so the copy is exactly the committed state at one moment, compacted.
    """
    target.unlink(missing_ok=True)
    store.connection.execute("VACUUM INTO ?", (str(target),))


def prepare_copy(path: Path) -> dict[str, int]:
    """Remove the demo rows from a copy, make it self-contained, and return its row counts."""
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = DELETE")
        db.execute("BEGIN IMMEDIATE")
        # Children before parents, as the store's purge does.
        for table in reversed(ALL_TABLES):
            db.execute(f"DELETE FROM {table} WHERE is_demo = 1")  # noqa: S608 - table names are constants
        db.execute("COMMIT")
        db.execute("VACUUM")
        return _counts(db)
    finally:
        db.close()


def _counts(db: sqlite3.Connection) -> dict[str, int]:
    return {
        table: int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - constants
        for table in ALL_TABLES
    }


def archive_name(when: datetime, folder: Path) -> Path:
    """Return a new archive path in ``folder`` for a backup made at ``when``."""
    stem = ARCHIVE_PREFIX + when.astimezone(UTC).strftime("%Y-%m-%d_%H%M%S")
    path = folder / f"{stem}{ARCHIVE_SUFFIX}"
    number = 2
    while path.exists():
        path = folder / f"{stem}_{number}{ARCHIVE_SUFFIX}"
        number += 1
    return path


def write_archive(
    copy: Path,
    folder: Path,
    *,
    app_version: str,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> BackupInfo:
    """Turn a snapshot copy into a backup archive in ``folder`` (blocking; any thread).

    The archive is written under a temporary name and renamed when complete,
    so a crash or a full disk never leaves a half archive that looks whole.
    ``copy`` is consumed (deleted) either way.
    """
    when = now or datetime.now(UTC)
    try:
        tables = prepare_copy(copy)
        meta = {
            **(extra or {}),
            "magic": MAGIC,
            "format_version": FORMAT_VERSION,
            "timestamp": iso_z(when),
            "app_version": app_version,
            "tables": tables,
        }
        folder.mkdir(parents=True, exist_ok=True)
        target = archive_name(when, folder)
        meta_bytes = json.dumps(meta, indent=2, sort_keys=True).encode()
        handle, temp_name = tempfile.mkstemp(prefix=".partial-", suffix=ARCHIVE_SUFFIX, dir=folder)
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                info = tarfile.TarInfo(META_NAME)
                info.size = len(meta_bytes)
                info.mtime = int(when.timestamp())
                info.mode = 0o600
                tar.addfile(info, _BytesReader(meta_bytes))
                info = tar.gettarinfo(str(copy), arcname=DB_NAME)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600
                with copy.open("rb") as source:
                    tar.addfile(info, source)
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    finally:
        copy.unlink(missing_ok=True)
    return read_info(target)


class _BytesReader:
    """The file object tarfile.addfile reads a member's bytes from."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._offset + size
        chunk = self._data[self._offset : end]
        self._offset += len(chunk)
        return chunk


def create_backup(
    store: HistoryStore,
    folder: Path,
    *,
    app_version: str,
    now: datetime | None = None,
    extra: Mapping[str, Any] | None = None,
) -> BackupInfo:
    """Snapshot the store and write its archive, all on the store's thread (the command line, tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".snapshot-", suffix=".db", dir=folder)
    os.close(handle)
    copy = Path(name)
    try:
        snapshot_database(store, copy)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    return write_archive(copy, folder, app_version=app_version, now=now, extra=extra)


# -- listing and deleting ------------------------------------------------------------


def resolve_archive(folder: Path, name: str) -> Path:
    """Return the archive called ``name`` in ``folder``: a bare backup file name, never a path."""
    if not ARCHIVE_NAME.match(name) or name != PurePosixPath(name).name or ".." in name:
        raise BackupError("invalid_name", f"not a backup file name: {name!r}", name=name)
    path = folder / name
    if not path.is_file() or path.is_symlink():
        raise BackupError("not_found", f"no backup {name}", name=name)
    return path


def read_info(path: Path) -> BackupInfo:
    """Read an archive's meta file (the first member; the database is not unpacked)."""
    try:
        with tarfile.open(str(path), mode="r:gz") as tar:
            member = tar.next()
            if member is None or member.name != META_NAME:
                raise BackupError("missing_meta", f"{path.name} does not start with {META_NAME}")
            meta = _read_meta(tar, member)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as err:
        raise BackupError("corrupt_archive", f"{path.name}: {err}", name=path.name) from err
    return _info(path, meta)


def _info(path: Path, meta: dict[str, Any]) -> BackupInfo:
    known = {"magic", "format_version", "timestamp", "app_version", "tables"}
    return BackupInfo(
        path=path,
        size=path.stat().st_size,
        timestamp=str(meta["timestamp"]),
        app_version=str(meta["app_version"]),
        format_version=int(meta["format_version"]),
        tables=dict(meta["tables"]),
        extra={key: value for key, value in meta.items() if key not in known},
    )


def list_backups(folder: Path) -> list[BackupInfo]:
    """Return the readable backups in ``folder``, newest first (unreadable files are skipped)."""
    found: list[BackupInfo] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        if not ARCHIVE_NAME.match(path.name) or not path.is_file() or path.is_symlink():
            continue
        with contextlib.suppress(BackupError):
            found.append(read_info(path))
    found.sort(key=lambda info: (info.timestamp, info.path.name), reverse=True)
    return found


def delete_backup(folder: Path, name: str) -> None:
    """Delete one backup by its file name."""
    resolve_archive(folder, name).unlink()


# -- validating and restoring ---------------------------------------------------------------


def _read_meta(tar: tarfile.TarFile, member: tarfile.TarInfo) -> dict[str, Any]:
    _check_member(member)
    if member.size > MAX_META_SIZE:
        raise BackupError("bad_meta", f"{META_NAME} is too large")
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - regular files always have a body
        raise BackupError("bad_meta", f"{META_NAME} has no content")
    try:
        meta = json.loads(source.read(MAX_META_SIZE + 1))
    except (ValueError, UnicodeDecodeError) as err:
        raise BackupError("bad_meta", f"{META_NAME} is not JSON: {err}") from err
    if not isinstance(meta, dict) or meta.get("magic") != MAGIC:
        raise BackupError("bad_magic", "not a DOCSight backup (wrong magic value)")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupError("bad_meta", f"invalid format version {version!r}")
    if version > FORMAT_VERSION:
        raise BackupError(
            "unsupported_version",
            f"backup format {version} is newer than this version ({FORMAT_VERSION})",
            version=str(version),
            supported=str(FORMAT_VERSION),
        )
    tables = meta.get("tables")
    if (
        not isinstance(meta.get("timestamp"), str)
        or not isinstance(meta.get("app_version"), str)
        or not isinstance(tables, dict)
        or not all(isinstance(count, int) for count in tables.values())
    ):
        raise BackupError("bad_meta", f"{META_NAME} lacks timestamp, app_version or tables")
    return meta


def _check_member(member: tarfile.TarInfo) -> None:
    """Refuse anything but a regular file with a known, plain name."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise BackupError("unsafe_member", f"absolute path in archive: {name}", member=name)
    if ".." in path.parts or "\\" in name:
        raise BackupError("unsafe_member", f"path escapes the archive: {name}", member=name)
    if not member.isreg():
        raise BackupError("unsafe_member", f"not a regular file: {name}", member=name)
    if name not in KNOWN_NAMES:
        raise BackupError("unknown_member", f"unexpected file in archive: {name}", member=name)


def _copy_bounded(source: IO[bytes], target: Path, limit: int) -> None:
    copied = 0
    with target.open("xb") as out:
        while chunk := source.read(_COPY_CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise BackupError("corrupt_archive", f"{target.name} is larger than its limit")
            out.write(chunk)


def extract_archive(archive: Path, staging: Path) -> BackupInfo:
    """Check every member of ``archive`` and unpack the database into ``staging``.

    Returns the archive's info; the staged database is ``staging / DB_NAME``.
    Raises BackupError for anything unsafe or malformed.
    """
    meta: dict[str, Any] | None = None
    seen: set[str] = set()
    try:
        with tarfile.open(str(archive), mode="r:gz") as tar:
            for member in tar:
                _check_member(member)
                if member.name in seen:
                    raise BackupError(
                        "unsafe_member", f"{member.name} appears twice", member=member.name
                    )
                seen.add(member.name)
                if member.name == META_NAME:
                    meta = _read_meta(tar, member)
                    continue
                if member.size > MAX_DB_SIZE:
                    raise BackupError("corrupt_archive", f"{DB_NAME} is too large")
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - regular files always have a body
                    raise BackupError("corrupt_archive", f"{DB_NAME} has no content")
                _copy_bounded(source, staging / DB_NAME, MAX_DB_SIZE)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise BackupError("corrupt_archive", f"{archive.name}: {err}", name=archive.name) from err
    if meta is None:
        raise BackupError("missing_meta", f"{archive.name} has no {META_NAME}")
    if DB_NAME not in seen:
        raise BackupError("missing_database", f"{archive.name} has no {DB_NAME}")
    return _info(archive, meta)


def check_database(path: Path, expected: Mapping[str, int] | None = None) -> None:
    """Check a staged database: integrity, a schema this code opens, the promised row counts."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:  # pragma: no cover - opening read-only does not read yet
        raise BackupError("corrupt_database", str(err), error=str(err)) from err
    try:
        verdict = str(db.execute("PRAGMA integrity_check").fetchone()[0])
        if verdict != "ok":
            raise BackupError("corrupt_database", verdict, error=verdict)
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if not 1 <= version <= SCHEMA_VERSION:
            raise BackupError(
                "unsupported_schema",
                f"database schema {version} is not one this version opens",
                version=str(version),
            )
        counts = _counts(db)
        if expected is not None:
            promised = {table: expected.get(table) for table in ALL_TABLES}
            if promised != counts:
                raise BackupError(
                    "corrupt_database",
                    f"row counts {counts} differ from the meta file's {promised}",
                    error="row counts differ from the meta file",
                )
    except sqlite3.Error as err:
        raise BackupError("corrupt_database", str(err), error=str(err)) from err
    finally:
        db.close()


def validate_backup(archive: Path) -> BackupInfo:
    """Run every check of a restore without touching anything; return the archive's info."""
    with tempfile.TemporaryDirectory(prefix=".validate-", dir=archive.parent) as staging:
        info = extract_archive(archive, Path(staging))
        check_database(Path(staging) / DB_NAME, info.tables)
    return info


def restore_backup(archive: Path, target: Path) -> BackupInfo:
    """Replace the database at ``target`` with the archive's, or change nothing.

    Every connection to ``target`` must be closed.  The archive is unpacked
    and checked in a staging folder next to ``target`` (same file system, so
    the final rename is atomic); a stale ``-wal`` of the old database is
    folded in first, so that no journal of the old file is ever applied to
    the new one; then the staged file replaces the old in one rename.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.parent))
    try:
        info = extract_archive(archive, staging)
        staged = staging / DB_NAME
        check_database(staged, info.tables)
        _settle_wal(target)
        staged.replace(target)
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return info


def _settle_wal(target: Path) -> None:
    """Fold a leftover write-ahead log into the old database (after a crash, say)."""
    if not Path(f"{target}-wal").exists() or not target.exists():
        return
    db = sqlite3.connect(str(target), isolation_level=None)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def prune_backups(folder: Path, keep: int, *, match: Mapping[str, Any]) -> list[str]:
    """Delete all but the newest ``keep`` backups whose meta has every key/value of ``match``.

    Returns the deleted names.  Backups of other entries, and manual ones
    when ``match`` names scheduled ones, are never touched.
    """
    mine = [
        info
        for info in list_backups(folder)
        if all(info.extra.get(key) == value for key, value in match.items())
    ]
    deleted = []
    for info in mine[max(keep, 0) :]:
        info.path.unlink(missing_ok=True)
        deleted.append(info.path.name)
    return deleted
