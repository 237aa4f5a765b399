"""How typed search text becomes FTS5 and GLOB patterns."""

from __future__ import annotations

from rtcc_desktop.store.search_syntax import MAX_WORDS, fts_query, plate_glob, prefix_upper_bound


def test_fts_words_are_quoted_and_the_last_is_a_prefix() -> None:
    assert fts_query("shots fired 14th st") == '"shots" "fired" "14th" "st"*'
    assert fts_query("shots fired ") == '"shots" "fired"'
    assert fts_query('a" OR b') == '"a" "OR" "b"*'
    assert fts_query("NEAR(") == '"NEAR"'
    assert fts_query(["rear", "window"]) == '"rear" "window"*'
    assert fts_query(" ;-- ") is None
    assert fts_query("w " * 100).count('"') == 2 * MAX_WORDS


def test_plate_patterns() -> None:
    assert plate_glob("ab-1 2*") == ("AB12*", "AB12", True)
    assert plate_glob("abc123") == ("ABC123", "ABC123", False)
    assert plate_glob("?B**1") == ("?B*1", "", True)
    assert plate_glob("A[B*") == ("A[[]B*", "A[B", True)


def test_prefix_upper_bound() -> None:
    assert prefix_upper_bound("AB1") == "AB2"
    assert prefix_upper_bound("AZ") == "A["
    assert prefix_upper_bound("") is None
