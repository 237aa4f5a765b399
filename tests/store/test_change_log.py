"""The change log: every UPDATE of a stored record gets a fresh change number (inserts do not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rtcc_desktop.store import Store
from rtcc_desktop.store.queries import max_change_seq, updates_since

Rec = Callable[..., dict[str, Any]]
T = "2024-05-01T10:00:00Z"


def _updates(store: Store, after: int = 0, kinds=("cad", "alpr", "gunshot", "camera"), limit: int = 100) -> list[tuple]:
    with store.reading() as conn:
        return [(r["kind"], r["source_id"], r["change_seq"]) for r in updates_since(conn, after, kinds, limit)]


def _top(store: Store) -> int:
    with store.reading() as conn:
        return max_change_seq(conn)


def test_inserts_and_unchanged_re_reads_log_nothing(store: Store, rec: Rec) -> None:
    rows = [rec("cad", f"c{i}", time=T, priority="3") for i in range(5)]
    store.upsert("cad", rows)
    store.upsert("cad", rows)  # the same page again: the upsert skips unchanged rows
    assert _updates(store) == [] and _top(store) == 0


def test_edits_are_listed_in_change_order_once_per_record_with_the_latest_values(
    store: Store, rec: Rec, check_indexes: Callable[[Store], None]
) -> None:
    store.upsert("cad", [rec("cad", "c1", time=T, priority="3"), rec("cad", "c2", time=T, priority="3")])
    store.upsert("alpr", [rec("alpr", "a1", time=T, plate="ABC1Z34")])
    store.upsert("cad", [rec("cad", "c2", time=T, priority="2")])
    store.upsert("alpr", [rec("alpr", "a1", time=T, plate="ABC1234", lat=47.6, lon=-122.3)])
    store.upsert("cad", [rec("cad", "c1", time=T, priority="1", narrative="UPGRADED")])
    store.upsert("cad", [rec("cad", "c2", time=T, priority="1")])  # c2 again: only its latest change is kept
    got = _updates(store)
    assert [(k, sid) for k, sid, _ in got] == [("alpr", "a1"), ("cad", "c1"), ("cad", "c2")]
    assert [seq for *_, seq in got] == sorted(seq for *_, seq in got) and got[-1][2] == _top(store) == 4
    with store.reading() as conn:
        latest = {r["source_id"]: r for r in updates_since(conn, 0, ["cad"], 100)}
    assert (latest["c1"]["priority"], latest["c1"]["narrative"], latest["c2"]["priority"]) == ("1", "UPGRADED", "1")
    # paging and the kind filter
    assert [sid for _, sid, _ in _updates(store, limit=1)] == ["a1"]
    assert [sid for _, sid, _ in _updates(store, after=got[0][2])] == ["c1", "c2"]
    assert _updates(store, kinds=["gunshot"]) == [] and _updates(store, kinds=[]) == []
    check_indexes(store)  # the R*Tree and FTS triggers still agree with the tables


def test_purged_records_leave_the_log_and_numbers_are_never_reused(store: Store, rec: Rec) -> None:
    store.upsert("cad", [rec("cad", "old", time="2020-01-01T00:00:00Z"), rec("cad", "new", time=T)])
    store.upsert("cad", [rec("cad", "old", time="2020-01-01T00:00:00Z", priority="1")])
    assert _top(store) == 1
    assert store.purge_older_than("cad", "2021-01-01T00:00:00Z") == 1
    assert _updates(store) == [] and _top(store) == 1
    store.upsert("cad", [rec("cad", "new", time=T, priority="1")])
    assert _updates(store) == [("cad", "new", 2)]  # a cursor at 1 still sees it
