"""Schema 3: a history file of schema 2 is migrated in place, keeping its rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
import sqlite3

import pytest

from custom_components.docsight.docsis import storage
from custom_components.docsight.docsis.sources import bqm, speedtest as st
from custom_components.docsight.docsis.storage import HistoryStore
from tests.docsis.factories import analysis, ds
from tests.sim.bqm import day_csv
from tests.sim.speedtest_tracker import make_result

T0 = datetime(2026, 3, 17, 12, 0, tzinfo=UTC)


def _schema_2_file(path: Path) -> None:
    """Write a history file exactly as schema 2 left it, with demo rows in it."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        for version in (1, 2):
            db.executescript(storage._MIGRATIONS[version])
        db.execute("PRAGMA user_version = 2")
        db.execute(
            "INSERT INTO speedtest_results (ts, source_id, download_mbps, is_demo)"
            " VALUES ('2026-03-01T08:00:10Z', 'demo-1', 230.5, 1)"
        )
        db.execute(
            "INSERT INTO bqm_graphs (date, sent_polls, lost_polls, is_demo)"
            " VALUES ('2026-03-01', 86400, 12, 1)"
        )
    finally:
        db.close()


def test_schema_2_file_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    _schema_2_file(path)
    store = HistoryStore.open(path)
    try:
        assert store.schema_version == 3
        demo = store.rows("speedtest_results")
        assert demo == [
            {
                "id": 1,
                "ts": "2026-03-01T08:00:10Z",
                "source_id": "demo-1",
                "download_mbps": 230.5,
                "upload_mbps": None,
                "ping_ms": None,
                "jitter_ms": None,
                "packet_loss_pct": None,
                "server_name": None,
                "isp": None,
                "data": "{}",
                "is_demo": 1,
                "source": None,
            }
        ]
        assert store.rows("bqm_graphs")[0]["source"] is None
        # The new columns work, and keep a source's rows unique.
        result = st.parse_result(make_result(1, T0))
        assert st.insert_results(store, "tracker", [result, result]) == 1
        day = bqm.parse_csv(day_csv(T0.date()))
        bqm.save_day(store, "share", day, None)
        bqm.save_day(store, "share", day, None)
        assert bqm.day_count(store, "share") == 1
        store.save_poll(analysis([ds(1)], at=T0), [])
    finally:
        store.close()
    indexes = {
        row[0]
        for row in sqlite3.connect(path).execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'"
        )
    }
    assert {"speedtest_results_source", "bqm_graphs_source_date"} <= indexes


def test_a_failing_migration_leaves_schema_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.db"
    _schema_2_file(path)
    broken = {**storage._MIGRATIONS, 3: storage._MIGRATIONS[3] + "; CREATE TABLE state (x)"}
    monkeypatch.setattr(storage, "_MIGRATIONS", broken)
    with pytest.raises(storage.StoreError):
        HistoryStore.open(path)
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        columns = {row[1] for row in db.execute("PRAGMA table_info(speedtest_results)")}
        assert "source" not in columns
    finally:
        db.close()
