"""Retention (purge) and the audit log of who searched for what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from rtcc_desktop.store import Store

Rec = Callable[..., dict[str, Any]]
Check = Callable[[Store], None]


def test_purge_removes_old_rows_from_table_rtree_and_fts(store: Store, rec: Rec, check_indexes: Check) -> None:
    store.upsert(
        "cad",
        [
            rec("cad", f"c{d}", time=f"2024-05-{d:02d}T12:00:00Z", lat=41.88, lon=-87.63, narrative=f"day{d} lookout")
            for d in range(1, 11)
        ],
        rejects=[("time is missing", {"id": "x"})],
    )
    store.upsert("alpr", [rec("alpr", "a1", time="2024-05-01T12:00:00Z", plate="OLD1", lat=41.88, lon=-87.63)])
    store.upsert("camera", [rec("camera", "cam", lat=41.88, lon=-87.63, name="Cam", access="live")])

    removed = store.purge_older_than("cad", "2024-05-06T00:00:00Z")
    assert removed == 5
    assert store.counts() == {"cad": 5, "alpr": 1, "gunshot": 0, "camera": 1}
    assert {r["source_id"] for r in store.text("lookout")} == {f"c{d}" for d in range(6, 11)}
    assert store.text("day3") == []
    assert {r["source_id"] for r in store.near(41.88, -87.63, 10, kinds="cad")} == {f"c{d}" for d in range(6, 11)}
    assert len(store.rejects_list(kind="cad")) == 1  # recorded today, after the cutoff: kept
    check_indexes(store)

    # aware datetimes work too; cameras (no time) are never purged
    assert store.purge_older_than("alpr", datetime(2030, 1, 1, tzinfo=timezone.utc)) == 1
    assert store.purge_older_than("camera", datetime(2030, 1, 1, tzinfo=timezone.utc)) == 0
    assert store.plates("OLD1") == []
    check_indexes(store)


def test_purge_takes_old_rejects_of_that_kind(store: Store) -> None:
    store.add_rejects("feed", "alpr", [("plate is missing", {"plate": ""})])
    store.add_rejects("feed", "cad", [("time is missing", {})])
    # rejects are stamped now: a cutoff in the future removes them, for that kind only
    store.purge_older_than("alpr", "2099-01-01T00:00:00Z")
    assert [r["kind"] for r in store.rejects_list()] == ["cad"]


def test_purge_needs_a_cutoff(store: Store) -> None:
    with pytest.raises(ValueError):
        store.purge_older_than("cad", None)


def test_audit_log_newest_first_with_params(store: Store) -> None:
    first = store.audit("analyst7", "plates", {"pattern": "ABC*", "state": None}, "case 24-1187", 3)
    second = store.audit("analyst7", "near", {"lat": 41.88, "lon": -87.63, "radius_m": 500}, "shooting review", 12)
    assert second > first
    entries = store.audit_list()
    assert [(e["actor"], e["action"], e["params"], e["reason"], e["result_count"]) for e in entries] == [
        ("analyst7", "near", {"lat": 41.88, "lon": -87.63, "radius_m": 500}, "shooting review", 12),
        ("analyst7", "plates", {"pattern": "ABC*", "state": None}, "case 24-1187", 3),
    ]
    assert entries[0]["time"].endswith("Z")
    assert [e["action"] for e in store.audit_list(limit=1, offset=1)] == ["plates"]


def test_audit_params_are_stored_as_json_not_sql(store: Store) -> None:
    nasty = {"pattern": "'; DROP TABLE plate_reads; --", "when": datetime(2024, 5, 1, tzinfo=timezone.utc)}
    store.audit("x'); DROP TABLE audit_log; --", "plates", nasty, None, 0)
    entry = store.audit_list()[0]
    assert entry["actor"] == "x'); DROP TABLE audit_log; --"
    assert entry["params"] == {"pattern": "'; DROP TABLE plate_reads; --", "when": "2024-05-01 00:00:00+00:00"}
    assert store.counts()["alpr"] == 0  # table still there


def test_purge_in_chunks_removes_everything_old(
    store: Store, rec: Rec, check_indexes: Check, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rtcc_desktop.store.store.PURGE_CHUNK", 7)
    store.upsert(
        "gunshot",
        [
            rec("gunshot", f"g{i}", time=f"2024-05-01T{i // 60:02d}:{i % 60:02d}:00Z", lat=38.9, lon=-77.0)
            for i in range(100)
        ],
    )
    assert store.purge_older_than("gunshot", "2024-05-01T01:00:00Z") == 60
    assert store.counts()["gunshot"] == 40
    assert min(r["time"] for r in store.between(None, None)) == "2024-05-01T01:00:00Z"
    check_indexes(store)
