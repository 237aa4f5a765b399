"""plates(): wildcard search an analyst types, and reads that have no location."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rtcc_desktop.analysis.plates import similar_plates
from rtcc_desktop.store import Store
from rtcc_desktop.store.plate_index import known_plates_sql, merge_plate_names, tail

Rec = Callable[..., dict[str, Any]]

PLATES = [
    # plate, state, minute
    ("ABC1234", "IL", 1),
    ("ABC1299", "IL", 2),
    ("ABD1234", "IN", 3),
    ("XAB1234", "IL", 4),
    ("ABC1234", "WI", 5),
    ("ZZ9", "IL", 6),
    ("AB", "IL", 7),
]


@pytest.fixture
def reads(store: Store, rec: Rec) -> Store:
    store.upsert(
        "alpr",
        [
            rec("alpr", f"r{i}", plate=p, state=s, time=f"2024-05-01T10:{m:02d}:00Z", lat=41.88, lon=-87.63)
            for i, (p, s, m) in enumerate(PLATES)
        ],
    )
    return store


def found(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["plate"], r["time"][-6:-1]) for r in rows]


def test_exact_plate_newest_read_first(reads: Store) -> None:
    assert found(reads.plates("ABC1234")) == [("ABC1234", "05:00"), ("ABC1234", "01:00")]


def test_input_case_spaces_and_dashes_do_not_matter(reads: Store) -> None:
    assert found(reads.plates(" abc-1234 ")) == found(reads.plates("ABC1234"))
    assert found(reads.plates("abc 12*")) == found(reads.plates("ABC12*"))


def test_star_matches_any_run_and_question_mark_one_character(reads: Store) -> None:
    assert [p for p, _ in found(reads.plates("ABC*"))] == ["ABC1234", "ABC1234", "ABC1299"]
    assert [p for p, _ in found(reads.plates("AB?1234"))] == ["ABC1234", "ABC1234", "ABD1234"]
    assert [p for p, _ in found(reads.plates("*1234"))] == ["ABC1234", "ABC1234", "ABD1234", "XAB1234"]
    assert [p for p, _ in found(reads.plates("*AB*"))] == ["AB", "ABC1234", "ABC1234", "ABC1299", "ABD1234", "XAB1234"]
    assert [p for p, _ in found(reads.plates("AB*"))][0] == "AB"  # * may match nothing
    assert found(reads.plates("??9")) == [("ZZ9", "06:00")]
    assert reads.plates("ABC") == []  # no wildcard: exact


def test_state_filter(reads: Store) -> None:
    assert [(r["plate"], r["state"]) for r in reads.plates("ABC1234", state="wi")] == [("ABC1234", "WI")]
    assert [r["plate"] for r in reads.plates("AB*", state="IN")] == ["ABD1234"]


def test_glob_syntax_in_input_is_literal(reads: Store) -> None:
    assert reads.plates("[A-Z]*") == []
    assert reads.plates("AB[") == []


def test_paging(reads: Store) -> None:
    everything = reads.plates("*", limit=100)
    assert len(everything) == len(PLATES)
    assert reads.plates("*", limit=3, offset=2) == everything[2:5]
    assert all(r["kind"] == "alpr" and isinstance(r["id"], int) for r in everything)


def test_read_without_location_is_found_by_plate_but_not_by_place(store: Store, rec: Rec) -> None:
    store.upsert(
        "alpr",
        [
            rec("alpr", "here", plate="LOC1", time="2024-05-01T10:00:00Z", lat=41.88, lon=-87.63),
            rec("alpr", "nowhere", plate="NOLOC1", time="2024-05-01T10:00:00Z"),
        ],
    )
    assert [r["source_id"] for r in store.plates("NOLOC1")] == ["nowhere"]
    assert store.plates("NOLOC1")[0]["lat"] is None
    assert [r["source_id"] for r in store.near(41.88, -87.63, 50_000)] == ["here"]
    box = (-88.0, 41.5, -87.0, 42.0)
    assert [r["source_id"] for r in store.between(None, None, bbox=box)] == ["here"]
    assert [r["source_id"] for r in store.between("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", bbox=box)] == [
        "here"
    ]
    # without a box the read is in the timeline
    assert {r["source_id"] for r in store.between("2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z")} == {
        "here",
        "nowhere",
    }
    # it gains a location later: now it is on the map
    store.upsert("alpr", [rec("alpr", "nowhere", plate="NOLOC1", time="2024-05-01T10:00:00Z", lat=41.9, lon=-87.6)])
    assert [r["source_id"] for r in store.near(41.9, -87.6, 10)] == ["nowhere"]


def names(store: Store) -> set[str]:
    """Every distinct plate the store knows: merged into plate_names, or of reads newer than the merge."""
    with store.reading() as conn:
        return {r[0] for r in conn.execute(known_plates_sql(lambda _alias: "1"), tail(conn))}


def merged(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT plate FROM plate_names")}


def test_a_leading_wildcard_finds_plates_anywhere_in_the_text(reads: Store) -> None:
    assert sorted({r["plate"] for r in reads.plates("*B1234")}) == ["XAB1234"]
    assert sorted({r["plate"] for r in reads.plates("*1234")}) == ["ABC1234", "ABD1234", "XAB1234"]
    assert sorted({r["plate"] for r in reads.plates("*1234", state="in")}) == ["ABD1234"]
    assert found(reads.plates("*C12?4")) == [("ABC1234", "05:00"), ("ABC1234", "01:00")]


def test_plate_names_follow_inserts_corrections_and_purges(store: Store, rec: Rec) -> None:
    store.upsert("alpr", [rec("alpr", "a", plate="OLD1", time="2024-01-01T00:00:00Z"),
                          rec("alpr", "b", plate="KEEP1", time="2024-06-01T00:00:00Z")])
    assert names(store) == {"OLD1", "KEEP1"}
    # a feed corrects a misread plate: the new plate is searchable by a leading wildcard
    store.upsert("alpr", [rec("alpr", "b", plate="FIXED1", time="2024-06-01T00:00:00Z")])
    assert {r["plate"] for r in store.plates("*XED1")} == {"FIXED1"}
    # retention: once no read holds a plate, the plate list forgets it too
    store.purge_older_than("alpr", "2024-03-01T00:00:00Z")
    assert names(store) == {"FIXED1"}
    assert store.plates("*LD1") == []


@pytest.mark.parametrize("merge", [False, True], ids=["newest", "merged"])
def test_plates_are_searchable_before_and_after_their_merge_and_forgotten_after_a_purge(
    store: Store, rec: Rec, merge: bool
) -> None:
    store.upsert("alpr", [rec("alpr", "a", plate="OLD1", time="2024-01-01T00:00:00Z"),
                          rec("alpr", "b", plate="KEEP1", time="2024-06-01T00:00:00Z")])
    if merge:
        with store.writing() as conn:
            merge_plate_names(conn, after_id=0, force=True)
    assert merged(store) == ({"OLD1", "KEEP1"} if merge else set())
    assert {r["plate"] for r in store.plates("*LD1")} == {"OLD1"}
    assert {r["plate"] for r in similar_plates(store, "*EEP1")} == {"KEEP1"}
    assert {r["plate"] for r in similar_plates(store, "*EEP1", state="XX")} == set()
    store.purge_older_than("alpr", "2024-03-01T00:00:00Z")
    assert names(store) == {"KEEP1"}
    assert store.plates("*LD1") == []
    # a new read of a purged plate brings it back
    store.upsert("alpr", [rec("alpr", "c", plate="OLD1", time="2024-07-01T00:00:00Z")])
    assert [r["source_id"] for r in store.plates("OLD1")] == ["c"]


def test_reads_that_reuse_rowids_of_purged_reads_are_still_found(store: Store, rec: Rec) -> None:
    """Purging the newest reads frees their rowids; the merge mark must not hide new reads under them."""
    store.upsert("alpr", [rec("alpr", f"r{i}", plate=f"P{i}", time="2024-01-01T00:00:00Z") for i in range(5)])
    with store.writing() as conn:
        merge_plate_names(conn, after_id=0, force=True)  # mark at rowid 5
    assert store.purge_older_than("alpr", "2025-01-01T00:00:00Z") == 5
    store.upsert("alpr", [rec("alpr", "new", plate="NEW1", time="2025-06-01T00:00:00Z")])  # rowid 1 again
    assert [r["source_id"] for r in store.plates("*EW1")] == ["new"]
    assert [r["plate"] for r in similar_plates(store, "NEW1")] == ["NEW1"]
