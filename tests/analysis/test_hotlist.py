"""Hot-list import (tolerant headers, every bad row reported) and matching."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.store import open_store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
NOW_ISO = "2025-06-01T12:00:00Z"


@pytest.fixture
def store():
    s = open_store(":memory:")
    yield s
    s.close()


def test_common_header_spellings_and_delimiters_are_understood():
    for text in (
        "Plate,State,Reason,Expiry\nabc-123,wa,STOLEN,2025-12-31\n",
        "License Plate;Plate State;Alert Type;Expiration Date\nABC 123;WA;STOLEN;12/31/2025\n",
        "\ufeffTAG\tST\tNOTES\tValid Until\nABC123\tWA\tSTOLEN\t2025-12-31\n",
        "lp|jurisdiction|category|exp\nABC.123|WA|STOLEN|2025-12-31 23:59:59\n",
    ):
        parsed = H.parse_hotlist(text)
        assert parsed.bad_rows == [], text
        [e] = parsed.entries
        assert (e.plate, e.state, e.reason, e.expiry, e.line) == ("ABC123", "WA", "STOLEN", "2025-12-31T23:59:59Z", 2)


def test_headerless_file_is_read_as_plate_state_reason_expiry():
    parsed = H.parse_hotlist("ABC123,WA,STOLEN,2026-01-01\nXYZ9,,AMBER ALERT,\n")
    assert not parsed.header
    assert [(e.plate, e.state, e.reason, e.expiry) for e in parsed.entries] == [
        ("ABC123", "WA", "STOLEN", "2026-01-01T23:59:59Z"),
        ("XYZ9", None, "AMBER ALERT", None),
    ]


def test_every_unusable_row_is_reported_with_its_line_number():
    text = (
        "plate,state,reason,expiry\n"
        "GOOD1,WA,STOLEN,2026-01-01\n"
        ",WA,no plate,\n"
        "BAD PLATE WITH WORDS,WA,too long,\n"
        "GOOD2,WA,x,not-a-date\n"
        "\n"
        "GOOD1,WA,again,\n"
        "GOOD1,OR,other state is another entry,\n"
        "Ω€,WA,not letters,\n"
    )
    parsed = H.parse_hotlist(text)
    assert [e.plate for e in parsed.entries] == ["GOOD1", "GOOD1"]
    lines = dict(parsed.bad_rows)
    assert sorted(lines) == [3, 4, 5, 7, 9]
    assert "missing" in lines[3]
    assert "not 1-12 letters" in lines[4]
    assert "not a date" in lines[5]
    assert "repeats line 2" in lines[7]
    # nothing silently dropped: every data row is either an entry or a bad row
    assert len(parsed.entries) + len(parsed.bad_rows) == 7


def test_a_header_without_a_plate_column_is_an_error_not_a_guess():
    with pytest.raises(H.HotlistError, match="no plate column"):
        H.parse_hotlist("state,reason\nWA,STOLEN\n")
    with pytest.raises(H.HotlistError, match="no rows"):
        H.parse_hotlist("\n\n")


def test_import_reports_and_reimport_replaces_the_list(store, tmp_path):
    f = tmp_path / "stolen.csv"
    f.write_text("plate,state,reason,expiry\nAAA111,WA,STOLEN,2030-01-01\nBBB222,,WANTED,2020-01-01\n,,,\n")
    rep = H.import_hotlist(store, f, "NCIC stolen", confusion=True)
    assert (rep.imported, rep.expired, rep.rejected, rep.replaced) == (2, 1, 0, 0)
    assert "imported 2" in rep.summary()
    f.write_text("plate\nCCC333\nDDD-444\nnot a plate!\n")
    rep2 = H.import_hotlist(store, f, "NCIC stolen")
    assert (rep2.imported, rep2.rejected, rep2.replaced, rep2.list_id) == (2, 1, 2, rep.list_id)
    assert "line 4" in rep2.summary()
    [info] = H.list_hotlists(store)
    assert (info.name, info.entries, info.rejected, info.confusion, info.active) == ("NCIC stolen", 2, 1, False, True)


def test_unreadable_file_is_a_clear_error(store, tmp_path):
    with pytest.raises(H.HotlistError, match="cannot read"):
        H.import_hotlist(store, tmp_path / "missing.csv", "x")
    with pytest.raises(H.HotlistError, match="needs a name"):
        H.import_hotlist_text(store, "plate\nA1\n", "  ")


def test_matching_exact_confusion_state_and_expiry(store):
    H.import_hotlist_text(store, "plate,state,reason,expiry\nABC123,WA,STOLEN,2030-01-01\nOLD1,,GONE,2025-05-01\n", "exact-only", now=NOW)
    H.import_hotlist_text(store, "plate,reason\nXY8B0,AMBER\n", "fuzzy", confusion=True, now=NOW)
    m = H.HotlistMatcher.load(store, NOW_ISO)
    [hit] = m.match("ABC123", "WA", NOW_ISO)
    assert (hit.list_name, hit.reason, hit.substituted) == ("exact-only", "STOLEN", False)
    assert m.match("ABC123", "OR", NOW_ISO) == []  # listed for another state
    assert len(m.match("ABC123", None, NOW_ISO)) == 1  # read without a state still hits
    assert m.match("A8C123", "WA", NOW_ISO) == []  # list without confusion: exact only
    assert m.match("OLD1", None, NOW_ISO) == []  # expired
    [fuzzy] = m.match("XYBBO", None, NOW_ISO)
    assert fuzzy.substituted and fuzzy.plate == "XY8B0"
    assert m.match("XY8B0", None, NOW_ISO)[0].substituted is False
    # an entry that expires after the matcher was loaded stops matching
    assert m.match("ABC123", "WA", "2030-01-02T00:00:00Z") == []


def test_switching_a_list_off_changes_the_version_and_the_matches(store):
    H.import_hotlist_text(store, "plate\nABC123\n", "a", now=NOW)
    v1 = H.hotlist_version(store)
    assert H.set_hotlist(store, "a", active=False)
    assert H.hotlist_version(store) != v1
    assert H.HotlistMatcher.load(store, NOW_ISO).match("ABC123", None, NOW_ISO) == []
    assert H.delete_hotlist(store, "a") and H.list_hotlists(store) == []
    assert not H.set_hotlist(store, "a", active=True)
