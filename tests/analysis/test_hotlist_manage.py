"""Managing hot lists by hand: one plate added or removed, entries browsed, who imported what."""

from __future__ import annotations

import pytest

from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.store import open_store

NOW_ISO = "2025-06-01T12:00:00Z"
CSV = "plate,state,reason,expiry\nABC123,WA,STOLEN VEHICLE,2030-01-01\nOLD1,,WARRANT,2024-01-01\nXYZ_9%,,bad,\nQ1,OR,100% sure,\n"


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "cache.sqlite")
    yield s
    s.close()


def test_a_typed_plate_is_checked_by_the_same_rules_as_an_imported_row():
    e = H.check_entry(" abc-123 ", "wa", "  stolen  ", "2030-01-01")
    assert (e.plate, e.state, e.reason, e.expiry) == ("ABC123", "WA", "stolen", "2030-01-01T23:59:59Z")
    assert H.check_entry("Q1").state is None
    parsed = H.parse_hotlist("plate,expiry\n,2030-01-01\nNOT A PLATE!!,\nA1,soon\n")
    import_reasons = [why for _, why in parsed.bad_rows]
    typed_reasons = []
    for plate, expiry in (("", "2030-01-01"), ("NOT A PLATE!!", None), ("A1", "soon")):
        with pytest.raises(H.HotlistError) as err:
            H.check_entry(plate, expiry=expiry)
        typed_reasons.append(str(err.value))
    assert typed_reasons == import_reasons


def test_adding_and_removing_one_plate_changes_the_matches_at_once(store):
    H.import_hotlist_text(store, CSV, "ncic")
    v0 = H.hotlist_version(store)
    added = H.add_entry(store, "ncic", "new-777", "wa", "AMBER ALERT", None, now_iso=NOW_ISO)
    assert (added["plate"], added["state"], added["reason"], added["expired"]) == ("NEW777", "WA", "AMBER ALERT", False)
    v1 = H.hotlist_version(store)
    assert v1 != v0
    assert [h.reason for h in H.HotlistMatcher.load(store, NOW_ISO).match("NEW777", "WA", NOW_ISO)] == ["AMBER ALERT"]
    assert H.get_hotlist(store, "ncic", NOW_ISO).entries == 4  # 3 imported (one row rejected) + 1

    with pytest.raises(H.HotlistError, match="already on"):
        H.add_entry(store, "ncic", "NEW777", "WA")
    H.add_entry(store, "ncic", "NEW777", None)  # without a state it is another entry, as in an import
    with pytest.raises(H.HotlistError, match="no hot list"):
        H.add_entry(store, "nope", "NEW777")
    with pytest.raises(H.HotlistError, match="not 1-12 letters"):
        H.add_entry(store, "ncic", "<script>")

    removed = H.remove_entry(store, "ncic", added["id"])
    assert removed is not None and removed["plate"] == "NEW777"
    assert H.hotlist_version(store) != v1
    assert [h.state for h in H.HotlistMatcher.load(store, NOW_ISO).match("NEW777", "WA", NOW_ISO)] == [None]
    assert H.remove_entry(store, "ncic", added["id"]) is None  # already gone
    H.import_hotlist_text(store, "plate\nZ9\n", "other")
    other_id = H.list_entries(store, "other")[0][0]["id"]
    assert H.remove_entry(store, "ncic", other_id) is None  # not an entry of that list
    assert H.get_hotlist(store, "ncic", NOW_ISO).entries == 4  # NEW777 without a state stays


def test_entries_filter_on_plate_state_reason_and_expiry(store):
    H.import_hotlist_text(store, CSV.replace("XYZ_9%,,bad,\n", ""), "ncic")

    def plates(text: str) -> list[str]:
        return [e["plate"] for e in H.list_entries(store, "ncic", text, now_iso=NOW_ISO)[0]]

    assert plates("") == ["ABC123", "OLD1", "Q1"]
    assert plates("abc-1") == ["ABC123"]  # a plate typed with a dash
    assert plates("or") == ["Q1"]  # state
    assert plates("stolen vehicle") == ["ABC123"]  # every word must match
    assert plates("2030") == ["ABC123"]  # expiry
    assert plates("100%") == ["Q1"] and plates("%") == ["Q1"]  # % is a character, not a wildcard
    assert plates("nothing-like-this") == []
    rows, total = H.list_entries(store, "ncic", "", limit=1, offset=1, now_iso=NOW_ISO)
    assert total == 3 and [(r["plate"], r["expired"]) for r in rows] == [("OLD1", True)]
    with pytest.raises(H.HotlistError, match="no hot list"):
        H.list_entries(store, "nope")


def test_lists_show_live_counts_and_who_imported_them(store):
    rep = H.import_hotlist_text(store, CSV, "ncic", actor="ana")
    assert rep.rejected == 1  # XYZ_9% is not a plate
    [info] = H.list_hotlists(store, NOW_ISO)
    assert (info.entries, info.expired, info.active_entries, info.rejected) == (3, 1, 2, 1)
    assert info.imported_by == "ana" and info.imported
    H.add_entry(store, "ncic", "LATE1", expiry="2020-01-01")
    info = H.get_hotlist(store, "ncic", NOW_ISO)
    assert (info.entries, info.expired, info.active_entries) == (4, 2, 2)
    assert H.get_hotlist(store, "missing") is None


def test_lists_stored_by_an_older_release_get_the_import_columns(store):
    with store.writing() as conn:
        conn.execute("CREATE TABLE hotlists (id INTEGER PRIMARY KEY, name TEXT NOT NULL, confusion INTEGER, active INTEGER, "
                     "source TEXT, created TEXT, updated TEXT, revision INTEGER, entries INTEGER, rejected INTEGER)")
        conn.execute("CREATE UNIQUE INDEX hotlists_name ON hotlists (name)")
        conn.execute("CREATE TABLE hotlist_entries (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES hotlists(id), "
                     "plate TEXT NOT NULL, canon TEXT NOT NULL, state TEXT, reason TEXT, expiry TEXT, line INTEGER)")
        conn.execute("INSERT INTO hotlists (name, confusion, active, created, updated, revision, entries, rejected) "
                     "VALUES ('old', 0, 1, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 1, 0, 0)")
    [old] = H.list_hotlists(store)
    assert (old.name, old.imported, old.imported_by) == ("old", "2024-01-01T00:00:00Z", None)
    H.import_hotlist_text(store, "plate\nA1\n", "new", actor="sam")
    assert "imported_by" in store.db["hotlists"].columns_dict
    assert {h.name: h.imported_by for h in H.list_hotlists(store)} == {"new": "sam", "old": None}
