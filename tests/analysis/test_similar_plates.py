"""Plate search with wildcards and ALPR look-alike characters."""

from __future__ import annotations

import fnmatch
import itertools
import random

import pytest

from rtcc_desktop.analysis import plates as P
from rtcc_desktop.analysis.near import ReasonRequired
from rtcc_desktop.store import open_store


def _read(i: int, plate: str, time: str, state: str | None = "WA") -> dict:
    return {"source": "test", "source_id": f"r{i}", "time": time, "plate": plate, "state": state, "camera": "CAM1"}


@pytest.fixture
def store():
    s = open_store(":memory:")
    yield s
    s.close()


# --------------------------------------------------------------------------- pure matching


@pytest.mark.parametrize(
    ("plate", "pattern", "expected"),
    [
        ("ABC123", "ABC123", 0),
        ("A8C123", "ABC123", 1),  # 8 read for B
        ("A8C1Z3", "ABC123", 2),  # and Z for 2
        ("0DQ0", "O0OD", 4),  # the whole 0/O/D/Q class, every position swapped
        ("0DQ0", "0DOD", 2),
        ("I1L", "1LI", 3),
        ("I1L", "I1I", 1),
        ("5G", "S6", 2),
        ("XBC123", "ABC123", None),  # X looks like nothing else
        ("ABC1234", "ABC123", None),  # length matters without a wildcard
        ("ABC1234", "ABC123*", 0),
        ("ZZABC", "*ABC", 0),
        ("A8C", "?BC", 1),
        ("ABC", "A?C", 0),
        ("AC", "A?C", None),  # ? is exactly one character
        ("ABQ123", "*B0*", 1),
    ],
)
def test_substitutions_count_only_lookalike_characters(plate, pattern, expected):
    assert P.substitutions(plate, pattern) == expected


def test_without_similar_a_lookalike_is_no_match():
    assert P.substitutions("A8C123", "ABC123", similar=False) is None
    assert P.substitutions("ABC123", "ABC123", similar=False) == 0


def test_star_takes_the_alignment_with_fewest_substitutions():
    # "*0" could align the final O (1 substitution) or the final 0 (exact)
    assert P.substitutions("O0", "*0") == 0
    assert P.substitutions("0O", "*0") == 1


def test_glob_turns_lookalikes_into_character_classes():
    assert P.to_glob("AB0*", similar=True) == "A[8B][0ODQ]*"
    assert P.to_glob("AB0*", similar=False) == "AB0*"
    assert P.to_glob("A[1", similar=True) == "A[[][1IL]"


def test_pattern_is_normalised_like_stored_plates():
    assert P.normalise_pattern(" ab-c 1**2 ") == "ABC1*2"
    for bad in ("", "  ", "*", "?*?", "-"):
        with pytest.raises(P.PatternError):
            P.normalise_pattern(bad)


def _python_glob_match(plate: str, glob: str) -> bool:
    # fnmatch understands [...] the way SQLite GLOB does for these characters
    return fnmatch.fnmatchcase(plate, glob)


def test_every_match_falls_inside_the_index_ranges():
    """The ranges are an optimisation: they must never hide a plate that matches."""
    rng = random.Random(7)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-:@[^_"
    plates = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(4000)]
    patterns = ["AB1", "?B0*", "8?", "??1*", "O0D", "A*1", "Q?I?", "1", "?", "S5*"]
    for pattern, similar in itertools.product(patterns, (True, False)):
        if not pattern.strip("*?"):
            continue
        q = P.plan(pattern, similar)
        for plate in plates:
            if P.substitutions(plate, q.pattern, similar) is None:
                assert not _python_glob_match(plate, q.glob), (plate, q)
                continue
            assert _python_glob_match(plate, q.glob), (plate, q.glob)
            if q.ranges:
                assert any(lo <= plate and (hi is None or plate < hi) for lo, hi in q.ranges), (plate, pattern, q.ranges)


def test_ranges_stay_few_for_a_typical_plate():
    assert 0 < len(P.plan("ABC1234", True).ranges) <= P.MAX_RANGES
    assert len(P.plan("?BC1234", True).ranges) <= P.MAX_RANGES
    assert P.plan("*123", True).ranges == ()


# --------------------------------------------------------------------------- against a store


def test_similar_search_ranks_exact_then_fewest_substitutions_then_newest(store):
    reads = [
        ("ABC123", "2024-01-01T00:00:00Z"),
        ("A8C123", "2024-01-02T00:00:00Z"),
        ("ABC1Z3", "2024-01-03T00:00:00Z"),
        ("A8C1Z3", "2024-01-04T00:00:00Z"),
        ("XBC123", "2024-01-05T00:00:00Z"),
        ("ABC123", "2024-01-06T00:00:00Z"),
        ("ABC12", "2024-01-07T00:00:00Z"),
    ]
    store.upsert("alpr", [_read(i, p, t) for i, (p, t) in enumerate(reads)])
    got = P.similar_plates(store, "abc-123")
    assert [(r["plate"], r["time"][:10], r["substitutions"]) for r in got] == [
        ("ABC123", "2024-01-06", 0),
        ("ABC123", "2024-01-01", 0),
        ("ABC1Z3", "2024-01-03", 1),
        ("A8C123", "2024-01-02", 1),
        ("A8C1Z3", "2024-01-04", 2),
    ]
    assert got[0]["match"] == 1.0 and got[2]["match"] < 1.0 and got[-1]["match"] < got[2]["match"]
    assert all(r["kind"] == "alpr" and isinstance(r["id"], int) for r in got)


def test_similar_search_with_wildcards_and_state(store):
    store.upsert(
        "alpr",
        [
            _read(1, "7ABC100", "2024-01-01T00:00:00Z", "WA"),
            _read(2, "7A8C199", "2024-01-02T00:00:00Z", "WA"),
            _read(3, "7ABC1", "2024-01-03T00:00:00Z", "OR"),
            _read(4, "8ABC100", "2024-01-04T00:00:00Z", "WA"),
        ],
    )
    assert {r["plate"] for r in P.similar_plates(store, "7ABC1*")} == {"7ABC100", "7A8C199", "7ABC1"}
    assert {r["plate"] for r in P.similar_plates(store, "7ABC1*", state="or")} == {"7ABC1"}
    assert {r["plate"] for r in P.similar_plates(store, "?ABC100")} == {"7ABC100", "8ABC100"}
    assert {r["plate"] for r in P.similar_plates(store, "*C1??")} == {"7ABC100", "7A8C199", "8ABC100"}


def test_similar_search_matches_brute_force_on_random_plates(store):
    rng = random.Random(3)
    chars = "0123456789ABCDEFGHJKLMNPRSTUVWXYZOQI"
    plates = ["".join(rng.choice(chars) for _ in range(rng.choice((5, 6, 7)))) for _ in range(3000)]
    # plant look-alikes of one plate
    plates += ["B0L5", "8OL5", "BDI5", "BQ1S", "B0L55"]
    store.upsert("alpr", [_read(i, p, f"2024-01-01T{i % 24:02d}:{i % 60:02d}:00Z") for i, p in enumerate(plates)])
    for pattern in ("B0L5", "B0L5*", "?0L5", "*L5", "1*", "??Z?0"):
        expected = sorted(
            ((p, P.substitutions(p, pattern)) for p in plates if P.substitutions(p, pattern) is not None),
            key=lambda ps: ps[1],
        )
        got = P.similar_plates(store, pattern, limit=100_000)
        assert sorted((r["plate"], r["substitutions"]) for r in got) == sorted(expected), pattern
        subs = [r["substitutions"] for r in got]
        assert subs == sorted(subs)
    planted = {r["plate"]: r["substitutions"] for r in P.similar_plates(store, "B0L5")}
    assert planted == {"B0L5": 0, "8OL5": 2, "BDI5": 2, "BQ1S": 3}


def test_pages_join_up_without_gaps_or_repeats(store):
    store.upsert("alpr", [_read(i, p, f"2024-02-01T00:{i:02d}:00Z") for i, p in enumerate(["AB1", "A81", "ABI", "A8L"] * 10)])
    full = P.similar_plates(store, "AB1", limit=1000)
    assert len(full) == 40
    paged = [r for off in range(0, 40, 7) for r in P.similar_plates(store, "AB1", limit=7, offset=off)]
    assert [r["id"] for r in paged] == [r["id"] for r in full]
    assert P.similar_plates(store, "AB1", limit=7, offset=40) == []


def test_a_pattern_matching_too_many_plates_is_refused_with_advice(store):
    store.upsert("alpr", [_read(i, f"Z{i:05d}", "2024-01-01T00:00:00Z") for i in range(50)])
    with pytest.raises(P.PatternError, match="more characters"):
        P.similar_plates(store, "Z*", max_plates=20)
    assert len(P.similar_plates(store, "Z0000?", max_plates=20)) == 10


def test_feed_text_cannot_break_the_query(store):
    store.upsert("alpr", [_read(1, "A[B]1", "2024-01-01T00:00:00Z"), _read(2, "A'B", "2024-01-01T00:00:00Z")])
    assert [r["plate"] for r in P.similar_plates(store, "A[B]1")] == ["A[B]1"]
    assert [r["plate"] for r in P.similar_plates(store, "A'8")] == ["A'B"]


def test_look_alike_search_seeks_only_its_own_ranges(store):
    """20k plates share the first letter; a search must not walk all of them.

    SQLite derives its own index range from a GLOB's literal prefix ("W*" here)
    and would prefer it to ours unless told not to.
    """
    rng = random.Random(1)
    store.upsert("alpr", [_read(i, "W" + "".join(rng.choice("ABCEFHJKMNPRTUVWXY0123456789") for _ in range(6)),
                                "2024-01-01T00:00:00Z") for i in range(20_000)])
    store.upsert("alpr", [_read(99_999, "WGLO790", "2024-01-02T00:00:00Z")])
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.db.conn.set_progress_handler(count, 1000)  # called every 1000 VM instructions
    try:
        rows = P.similar_plates(store, "W6L0790")
    finally:
        store.db.conn.set_progress_handler(None, 0)
    assert [r["plate"] for r in rows] == ["WGLO790"]
    assert steps < 20  # walking the 20k "W" plates takes several hundred


def test_audited_search_needs_a_reason_and_logs_what_was_asked(store):
    store.upsert("alpr", [_read(1, "ABC123", "2024-01-01T00:00:00Z"), _read(2, "A8C123", "2024-01-01T00:00:01Z")])
    with pytest.raises(ReasonRequired):
        P.audited_plate_search(store, "ABC123", reason="  ", actor="ana", similar=True)
    assert store.audit_list() == []
    rows = P.audited_plate_search(store, "ABC123", reason="case 24-1187", actor="ana", similar=True)
    assert len(rows) == 2
    rows = P.audited_plate_search(store, "ABC*", reason="case 24-1187", actor="ana", similar=False)
    assert [r["plate"] for r in rows] == ["ABC123"]
    log = store.audit_list()
    assert [(e["actor"], e["action"], e["reason"], e["result_count"]) for e in log] == [
        ("ana", "query plate", "case 24-1187", 1),
        ("ana", "query plate", "case 24-1187", 2),
    ]
    assert log[1]["params"]["pattern"] == "ABC123" and log[1]["params"]["similar"] is True


@pytest.mark.parametrize("walk_reads", [0, 10**9])
def test_both_ways_of_reading_a_page_give_the_brute_force_order(store, monkeypatch, walk_reads):
    """Walking the time index and joining plates must page identically (ties broken by id)."""
    monkeypatch.setattr(P, "WALK_READS", walk_reads)
    rng = random.Random(7)
    pool = ["5B1", "SB1", "58I", "S8L", "X5BQ", "Q5B", "5BZ", "AAA"]
    reads = []
    for i in range(600):
        plate = rng.choice(pool)
        # repeated times so the id tie-break shows
        reads.append(_read(i, plate, f"2024-03-{1 + i % 9:02d}T0{i % 3}:00:00Z", rng.choice(("WA", "OR"))))
    store.upsert("alpr", reads)
    for pattern, state in (("*5B*", None), ("*5B*", "or"), ("5B1", None)):
        full = P.similar_plates(store, pattern, state=state, limit=100_000)
        expected = sorted(full, key=lambda r: -r["id"])
        expected.sort(key=lambda r: r["time"], reverse=True)
        expected.sort(key=lambda r: r["substitutions"])
        assert [r["id"] for r in full] == [r["id"] for r in expected]
        want = {
            i for i, rd in enumerate(reads)
            if P.substitutions(rd["plate"], P.normalise_pattern(pattern)) is not None and (state is None or rd["state"] == state.upper())
        }
        assert {int(r["source_id"][1:]) for r in full} == want
        paged = [r for off in range(0, len(full) + 20, 37) for r in P.similar_plates(store, pattern, state=state, limit=37, offset=off)]
        assert [r["id"] for r in paged] == [r["id"] for r in full], (pattern, state)
