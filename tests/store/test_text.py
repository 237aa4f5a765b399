"""text(): full-text search over incidents that hostile or half-typed input cannot break."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rtcc_desktop.store import Store, queries

Rec = Callable[..., dict[str, Any]]


@pytest.fixture
def incidents(store: Store, rec: Rec) -> Store:
    rows = [
        ("c1", "01", "SHOTS FIRED", "1400 BLOCK OF 14TH ST NW", "caller heard three shots near the alley"),
        ("c2", "02", "BURGLARY", "22 N CLARK ST", "rear window forced, caller says a OR b"),
        ("c3", "03", "THEFT", "500 W MADISON ST", 'bike taken; suspect "NEAR(" the station'),
        ("c4", "04", "SUSPICIOUS PERSON", "14 E CAFÉ ST", "male in blue hoodie near parked cars"),
    ]
    store.upsert(
        "cad",
        [
            rec("cad", sid, time=f"2024-05-01T10:{m}:00Z", type=t, address=a, narrative=n, lat=41.88, lon=-87.63)
            for sid, m, t, a, n in rows
        ],
    )
    return store


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["source_id"] for r in rows]


def test_all_words_must_match_in_any_field_newest_first(incidents: Store) -> None:
    assert ids(incidents.text("caller")) == ["c2", "c1"]
    assert ids(incidents.text("caller shots")) == ["c1"]
    assert ids(incidents.text("14th alley")) == ["c1"]  # address + narrative
    assert ids(incidents.text("burglary")) == ["c2"]  # type, any case
    assert all(r["kind"] == "cad" for r in incidents.text("caller"))


def test_last_word_is_a_prefix_while_typing(incidents: Store) -> None:
    assert ids(incidents.text("hood")) == ["c4"]
    assert ids(incidents.text("hood ")) == []  # a finished word must match whole
    assert ids(incidents.text("cafe")) == ["c4"]  # accents folded


@pytest.mark.parametrize(
    "hostile",
    ['a" OR b', "NEAR(", 'NEAR("', "*", '"', "'", "-", "^", "AND", "OR", "NOT", ")", "a:b", "{x}", "\x00", "💥", ";--"],
)
def test_hostile_input_never_breaks_the_query(incidents: Store, hostile: str) -> None:
    rows = incidents.text(hostile)
    assert isinstance(rows, list)
    assert len(rows) <= 4


def test_query_syntax_is_taken_as_words(incidents: Store) -> None:
    # "a OR b" would match everything with a or b; as words it needs all three
    assert ids(incidents.text('a" OR b')) == ["c2"]
    assert ids(incidents.text("NEAR(")) == ["c4", "c3", "c1"]  # just the word "near"
    assert ids(incidents.text("NEAR(alley")) == ["c1"]
    assert ids(incidents.text("blue -hoodie")) == ["c4"]  # not a NOT
    assert incidents.text("") == [] and incidents.text("  ;; ") == []


def test_word_list_and_paging(incidents: Store) -> None:
    assert ids(incidents.text(["rear", "window"])) == ["c2"]
    everything = incidents.text("st")
    assert ids(everything) == ["c4", "c3", "c2", "c1"]
    assert incidents.text("st", limit=2, offset=1) == everything[1:3]


@pytest.mark.parametrize("sort_max", [0, 1_000_000])
def test_many_or_few_matches_give_the_same_newest_first_page(
    incidents: Store, rec: Rec, monkeypatch: pytest.MonkeyPatch, sort_max: int
) -> None:
    incidents.upsert(
        "cad",
        [
            rec("cad", f"x{i}", time=f"2024-04-{1 + i % 28:02d}T08:00:00Z", narrative="caller on scene")
            for i in range(60)
        ],
    )
    monkeypatch.setattr(queries, "TEXT_SORT_MAX", sort_max)
    rows = incidents.text("caller", limit=10, offset=5)
    cad = incidents.between(None, None, kinds="cad")
    everything = sorted([(r["time"], r["id"]) for r in cad if "caller" in (r["narrative"] or "")], reverse=True)
    assert [(r["time"], r["id"]) for r in rows] == everything[5:15]
