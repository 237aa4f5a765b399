"""Opening a cache file: creation, reopening, migrating old files, refusing newer ones."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from rtcc_desktop.store import SchemaTooNewError, StoreError, open_store, schema
from rtcc_desktop.store.connection import connect
from rtcc_desktop.store.schema import SCHEMA_VERSION, migrate, schema_version

Rec = Callable[..., dict[str, Any]]


def test_fresh_file_is_created_at_current_version_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.sqlite"
    with open_store(path) as s:
        assert s.counts() == {"cad": 0, "alpr": 0, "gunshot": 0, "camera": 0}
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()
    for table in ("incidents", "plate_reads", "gunshots", "cameras", "feed_state", "rejects", "audit_log"):
        assert table in names
    for table in ("incidents", "plate_reads", "gunshots", "cameras"):
        assert f"{table}_rtree" in names
    assert "incidents_fts" in names


def test_reopen_keeps_rows_and_does_not_migrate_again(tmp_path: Path, rec: Rec) -> None:
    path = tmp_path / "cache.sqlite"
    with open_store(path) as s:
        s.upsert("gunshot", [rec("gunshot", "g1", time="2024-05-01T10:00:00Z", lat=38.9, lon=-77.0)])
    with open_store(path) as s:
        assert s.counts()["gunshot"] == 1
        assert schema_version(s.db) == SCHEMA_VERSION
        assert [r["source_id"] for r in s.near(38.9, -77.0, 10)] == ["g1"]


def test_file_from_a_newer_release_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match=r"newer release.*Upgrade"):
        open_store(path)
    conn = sqlite3.connect(path)  # refused without touching the file
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()


def test_old_file_is_migrated_forward_and_its_rows_become_searchable(tmp_path: Path, rec: Rec) -> None:
    path = tmp_path / "old.sqlite"
    db: Database = connect(path)
    migrate(db, target=1)  # what the first release wrote: tables only, no search indexes
    db.conn.execute(
        "INSERT INTO incidents (source, source_id, time, lat, lon, type, narrative) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("cad", "c1", "2024-05-01T10:00:00Z", 38.9, -77.0, "BURGLARY", "rear window forced"),
    )
    db.conn.execute(
        "INSERT INTO plate_reads (source, source_id, time, plate) VALUES (?, ?, ?, ?)",
        ("alpr", "a1", "2024-05-01T10:00:00Z", "ABC1234"),
    )
    db.conn.commit()
    db.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1

    with open_store(path) as s:
        assert schema_version(s.db) == SCHEMA_VERSION
        assert [r["source_id"] for r in s.near(38.9, -77.0, 50)] == ["c1"]
        assert [r["source_id"] for r in s.text("window")] == ["c1"]
        assert [r["source_id"] for r in s.plates("ABC*")] == ["a1"]
        assert [r["source_id"] for r in s.plates("*C12*")] == ["a1"]  # via the distinct-plate list
        # and rows added after the migration are indexed like the old ones
        s.upsert("cad", [rec("cad", "c2", time="2024-05-02T10:00:00Z", lat=38.9, lon=-77.0, narrative="window")])
        assert {r["source_id"] for r in s.text("window")} == {"c1", "c2"}


def test_memory_database_works(rec: Rec) -> None:
    with open_store(":memory:") as s:
        s.upsert("alpr", [rec("alpr", "a1", time="2024-05-01T10:00:00Z", plate="XYZ123", lat=41.0, lon=-87.0)])
        assert s.counts()["alpr"] == 1
        assert s.plates("xyz123")[0]["kind"] == "alpr"


def test_closed_store_says_so(tmp_path: Path) -> None:
    s = open_store(tmp_path / "c.sqlite")
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        s.counts()


def test_failed_migration_leaves_the_file_as_it_was(tmp_path: Path, rec: Rec, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cache.sqlite"
    with open_store(path) as s:
        s.upsert("cad", [rec("cad", "c1", time="2024-05-01T10:00:00Z", narrative="kept")])

    def add_column_then_fail(db: Database) -> None:
        db.execute("ALTER TABLE incidents ADD COLUMN status TEXT")
        raise RuntimeError("disk full halfway")

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (add_column_then_fail,))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError, match="disk full"):
        open_store(path)
    monkeypatch.undo()
    with open_store(path) as s:
        assert schema_version(s.db) == SCHEMA_VERSION
        assert "status" not in s.db["incidents"].columns_dict
        assert [r["narrative"] for r in s.text("kept")] == ["kept"]


def test_stores_opened_at_once_on_a_new_file_create_it_once(tmp_path: Path) -> None:
    path = tmp_path / "race.sqlite"
    opened: list[object] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(open_store(path))
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=open_one, name=f"rtcc-test-open-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in opened:
        s.close()  # type: ignore[attr-defined]
    assert errors == [] and len(opened) == 4
    with open_store(path) as s:
        assert schema_version(s.db) == SCHEMA_VERSION
