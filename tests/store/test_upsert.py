"""Upserts: no duplicates, honest counts, rejects kept, cursor committed with the rows."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.store import Store, UpsertResult, open_store

Rec = Callable[..., dict[str, Any]]
Check = Callable[[Store], None]


def _reads(rec: Rec, n: int, start: int = 0, lat: float = 41.88) -> list[dict[str, Any]]:
    return [
        rec("alpr", f"r{i}", time=f"2024-05-01T10:{i % 60:02d}:00Z", plate=f"AB{i:04d}", lat=lat, lon=-87.63)
        for i in range(start, start + n)
    ]


def test_reupserting_the_same_rows_updates_and_never_duplicates(store: Store, rec: Rec) -> None:
    first = store.upsert("alpr", _reads(rec, 10))
    assert first == UpsertResult(inserted=10, updated=0, rejected=0, max_rowid=10)
    again = store.upsert("alpr", _reads(rec, 10))
    assert (again.inserted, again.updated, again.max_rowid) == (0, 10, 10)
    mixed = store.upsert("alpr", _reads(rec, 10, start=5))  # 5 old, 5 new
    assert (mixed.inserted, mixed.updated, mixed.max_rowid) == (5, 5, 15)
    assert store.counts()["alpr"] == 15
    assert len(store.near(41.88, -87.63, 10, limit=100)) == 15


def test_same_source_id_from_two_sources_are_two_records(store: Store, rec: Rec) -> None:
    r1 = rec("gunshot", "1", source="city-a", time="2024-05-01T10:00:00Z", lat=38.9, lon=-77.0)
    r2 = rec("gunshot", "1", source="city-b", time="2024-05-01T10:00:00Z", lat=38.9, lon=-77.0)
    assert store.upsert("gunshot", [r1, r2]).inserted == 2


def test_changed_row_is_updated_in_place_with_its_indexes(store: Store, rec: Rec, check_indexes: Check) -> None:
    old = rec("cad", "c1", time="2024-05-01T10:00:00Z", lat=38.90, lon=-77.00, type="THEFT", narrative="bike taken")
    res = store.upsert("cad", [old])
    new = dict(old, lat=38.95, narrative="car stolen", priority="1")
    assert store.upsert("cad", [new]) == UpsertResult(0, 1, 0, res.max_rowid)
    got = store.get("cad", res.max_rowid)
    assert got is not None and (got["lat"], got["narrative"], got["priority"]) == (38.95, "car stolen", "1")
    assert store.near(38.90, -77.00, 100) == []
    assert [r["id"] for r in store.near(38.95, -77.00, 100)] == [res.max_rowid]
    assert store.text("bike") == []
    assert [r["source_id"] for r in store.text("stolen")] == ["c1"]
    check_indexes(store)


def test_duplicate_rows_in_one_batch_keep_the_last(store: Store, rec: Rec, check_indexes: Check) -> None:
    a = rec("cad", "c1", time="2024-05-01T10:00:00Z", lat=38.9, lon=-77.0, narrative="first words")
    b = dict(a, narrative="second words", lat=39.0)
    res = store.upsert("cad", [a, b])
    assert (res.inserted, res.updated) == (1, 1)
    assert [r["narrative"] for r in store.text("words")] == ["second words"]
    assert store.text("first") == []
    assert [r["lat"] for r in store.near(39.0, -77.0, 10)] == [39.0]
    check_indexes(store)


def test_rejects_are_stored_with_reason_and_raw_payload(store: Store, rec: Rec) -> None:
    raw = {"plate": "???", "time": "yesterday", "nested": [1, 2.5, None], "note": 'quote " and \u00e9'}
    res = store.upsert("alpr", _reads(rec, 2), feed="alpr-feed", rejects=[("time 'yesterday' unreadable", raw)])
    assert res.rejected == 1
    store.add_rejects("other-feed", "gunshot", [("location is missing", "line 7: ,,,")])
    rows = store.rejects_list(limit=10)
    assert [(r["source"], r["kind"], r["reason"], r["raw"]) for r in rows] == [
        ("other-feed", "gunshot", "location is missing", "line 7: ,,,"),
        ("alpr-feed", "alpr", "time 'yesterday' unreadable", raw),
    ]
    assert rows[0]["time"].endswith("Z")
    assert [r["reason"] for r in store.rejects_list(kind="alpr")] == ["time 'yesterday' unreadable"]


def test_cursor_is_committed_with_the_rows(store: Store, rec: Rec) -> None:
    assert store.feed_state("alpr-feed") is None
    store.upsert("alpr", _reads(rec, 3), feed="alpr-feed", cursor="2024-05-01T10:02:00.000")
    state = store.feed_state("alpr-feed")
    assert state is not None and state["cursor"] == "2024-05-01T10:02:00.000"
    store.upsert("alpr", [], feed="alpr-feed")  # no cursor given: the old one stays
    assert store.feed_state("alpr-feed")["cursor"] == "2024-05-01T10:02:00.000"  # type: ignore[index]


def test_failing_record_mid_batch_rolls_back_rows_rejects_and_cursor(
    store: Store, rec: Rec, check_indexes: Check
) -> None:
    store.upsert("alpr", _reads(rec, 3), feed="alpr-feed", cursor="c-1")
    batch = _reads(rec, 120, start=3)  # several multi-row statements
    batch[77]["lat"] = "not a latitude"  # the cache's typed columns refuse it
    with pytest.raises(sqlite3.Error):
        store.upsert("alpr", batch, feed="alpr-feed", cursor="c-2", rejects=[("bad", {"x": 1})])
    assert store.counts()["alpr"] == 3
    assert store.feed_state("alpr-feed")["cursor"] == "c-1"  # type: ignore[index]
    assert store.rejects_list() == []
    assert len(store.near(41.88, -87.63, 10)) == 3
    # the store is still usable and the same batch goes in once fixed
    batch[77]["lat"] = 41.88
    res = store.upsert("alpr", batch, feed="alpr-feed", cursor="c-2")
    assert (res.inserted, res.max_rowid) == (120, 123)
    assert store.feed_state("alpr-feed")["cursor"] == "c-2"  # type: ignore[index]
    check_indexes(store)


def test_record_without_natural_key_fails_the_whole_batch(store: Store, rec: Rec) -> None:
    batch = _reads(rec, 3)
    batch[1]["source_id"] = None
    with pytest.raises(sqlite3.IntegrityError):
        store.upsert("alpr", batch, feed="f", cursor="x")
    assert store.counts()["alpr"] == 0 and store.feed_state("f") is None


def test_feed_health_fields_update_independently(store: Store) -> None:
    store.update_feed_health("cad-feed", last_error="HTTP 503", last_error_at="2024-05-01T10:00:00Z")
    store.update_feed_health("cad-feed", etag='W/"abc"', rows_in=120, rows_rejected=3)
    state = store.feed_state("cad-feed")
    assert state == {
        "cursor": None,
        "etag": 'W/"abc"',
        "last_modified": None,
        "last_success": None,
        "last_error": "HTTP 503",
        "last_error_at": "2024-05-01T10:00:00Z",
        "rows_in": 120,
        "rows_rejected": 3,
    }
    with pytest.raises(ValueError, match="unknown feed_state field"):
        store.update_feed_health("cad-feed", password="x")


def test_unknown_kind_is_refused(store: Store, rec: Rec) -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        store.upsert("drone", [rec("cad", "x", time="2024-05-01T10:00:00Z")])


def test_changes_since_and_max_rowids_give_ui_deltas(store: Store, rec: Rec) -> None:
    store.upsert("alpr", _reads(rec, 5))
    mark = store.max_rowids()["alpr"]
    store.upsert("alpr", _reads(rec, 4, start=5))
    delta = store.changes_since("alpr", mark)
    assert [r["source_id"] for r in delta] == ["r5", "r6", "r7", "r8"]
    assert all(r["kind"] == "alpr" for r in delta)
    assert [r["id"] for r in store.changes_since("alpr", mark, limit=2)] == [mark + 1, mark + 2]
    assert store.max_rowids() == {"cad": 0, "alpr": 9, "gunshot": 0, "camera": 0}


def test_reader_store_sees_committed_rows_while_writers_share_one_store(tmp_path: Path, rec: Rec) -> None:
    path = tmp_path / "shared.sqlite"
    writer = open_store(path)
    reader = open_store(path)
    errors: list[BaseException] = []

    def write(start: int) -> None:
        try:
            for b in range(10):
                writer.upsert("alpr", _reads(rec, 20, start=start + 20 * b), feed=f"f{start}", cursor=str(b))
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(s,), name=f"rtcc-test-writer-{s}") for s in (0, 10_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert reader.counts()["alpr"] == 400
        assert reader.feed_state("f10000")["cursor"] == "9"  # type: ignore[index]
    finally:
        reader.close()
        writer.close()


def test_big_batch_with_repeats_and_changes(store: Store, rec: Rec, check_indexes: Check) -> None:
    # larger than one multi-row statement, with a remainder, repeats and changed rows
    assert store.upsert("alpr", _reads(rec, 120)).inserted == 120
    batch = _reads(rec, 120, start=60)  # r60..r119 exist, r120..r179 are new
    for r in batch[:30]:
        r["lat"] = 41.95  # moved
    batch += [dict(r, plate="DUP1") for r in batch[-10:]]  # the last ten new reads again, changed
    res = store.upsert("alpr", batch)
    assert (res.inserted, res.updated, res.max_rowid) == (60, 70, 180)
    assert store.counts()["alpr"] == 180
    assert len(store.near(41.95, -87.63, 10, limit=1000)) == 30
    assert sorted(r["source_id"] for r in store.plates("DUP1")) == sorted(f"r{i}" for i in range(170, 180))
    check_indexes(store)
