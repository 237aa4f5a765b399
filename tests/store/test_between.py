"""between(): the timeline query, across kinds, optionally inside a map box."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from rtcc_desktop.store import Store, queries

Rec = Callable[..., dict[str, Any]]
BOX = (-87.70, 41.85, -87.60, 41.90)  # W, S, E, N


@pytest.fixture
def mixed(store: Store, rec: Rec) -> tuple[Store, list[dict[str, Any]]]:
    rnd = random.Random(7)
    made: list[dict[str, Any]] = []
    for kind in ("cad", "alpr", "gunshot"):
        batch = []
        for i in range(400):
            extra = {"plate": f"P{i:05d}"} if kind == "alpr" else {}
            batch.append(
                rec(
                    kind, f"{kind}{i}",
                    time=f"2024-05-{1 + i % 3:02d}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00Z",
                    lat=round(rnd.uniform(41.80, 41.95), 5), lon=round(rnd.uniform(-87.75, -87.55), 5),
                    **extra,
                )
            )
        store.upsert(kind, batch)
        made += [dict(r, kind=kind) for r in batch]
    store.upsert("camera", [rec("camera", "cam1", lat=41.87, lon=-87.65, name="Cam", access="live")])
    return store, made


def expected(
    made: list[dict[str, Any]], since: str, until: str, box: tuple[float, ...] | None
) -> list[tuple[str, str]]:
    order = {"cad": 0, "alpr": 1, "gunshot": 2}
    rows = [
        r for r in made
        if since <= r["time"] <= until
        and (box is None or (box[1] <= r["lat"] <= box[3] and box[0] <= r["lon"] <= box[2]))
    ]
    rows.sort(key=lambda r: (r["time"], order[r["kind"]], int(r["source_id"].lstrip("cadlprgunshot"))))
    return [(r["kind"], r["source_id"]) for r in rows]


def got(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["kind"], r["source_id"]) for r in rows]


def test_window_is_inclusive_and_merged_oldest_first(mixed: tuple[Store, list[dict[str, Any]]]) -> None:
    store, made = mixed
    since, until = "2024-05-02T06:00:00Z", "2024-05-02T18:00:00Z"
    want = expected(made, since, until, None)
    assert 100 < len(want) < 600
    assert got(store.between(since, until)) == want
    times = [r["time"] for r in store.between(since, until)]
    assert times == sorted(times)


def test_kinds_and_box(mixed: tuple[Store, list[dict[str, Any]]]) -> None:
    store, made = mixed
    since, until = "2024-05-01T00:00:00Z", "2024-05-03T23:59:59Z"
    only_shots = [x for x in expected(made, since, until, BOX) if x[0] == "gunshot"]
    assert len(only_shots) > 10
    assert got(store.between(since, until, kinds=["gunshot"], bbox=BOX)) == only_shots


@pytest.mark.parametrize("rtree_max", [0, 1_000_000])
def test_box_gives_the_same_answer_by_either_index(
    mixed: tuple[Store, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch, rtree_max: int
) -> None:
    store, made = mixed
    monkeypatch.setattr(queries, "BBOX_RTREE_MAX", rtree_max)
    since, until = "2024-05-01T12:00:00Z", "2024-05-03T12:00:00Z"
    assert got(store.between(since, until, bbox=BOX)) == expected(made, since, until, BOX)


def test_paging_across_kinds(mixed: tuple[Store, list[dict[str, Any]]]) -> None:
    store, _ = mixed
    since, until = "2024-05-01T00:00:00Z", "2024-05-03T23:59:59Z"
    everything = store.between(since, until, limit=100_000)
    assert len(everything) == 1200
    pages = [store.between(since, until, limit=250, offset=o) for o in range(0, 1200, 250)]
    assert [r["id"] for p in pages for r in p] == [r["id"] for r in everything]
    assert [(r["kind"], r["id"]) for p in pages for r in p] == [(r["kind"], r["id"]) for r in everything]
    assert len(store.between(since, until)) == 1200  # default limit 10000 holds them all
    assert len(store.between(since, until, limit=10)) == 10


def test_open_ends_and_untimed_cameras(mixed: tuple[Store, list[dict[str, Any]]]) -> None:
    store, made = mixed
    everything = store.between(None, None, limit=100_000)
    assert everything[0]["kind"] == "camera"  # no time: only without a window, first
    assert len(everything) == 1201
    assert store.between(None, None, kinds="camera", bbox=BOX)[0]["source_id"] == "cam1"
    late = store.between("2024-05-03T12:00:00Z", None)
    assert late and all(r["time"] >= "2024-05-03T12:00:00Z" for r in late)
    early = store.between(None, "2024-05-01T12:00:00Z")
    assert early and all(r["kind"] != "camera" and r["time"] <= "2024-05-01T12:00:00Z" for r in early)


def test_bad_arguments_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="bbox"):
        store.between(None, None, bbox=(-87.6, 41.9, -87.7, 41.8))
    with pytest.raises(ValueError):
        store.between("not a time", None)
    with pytest.raises(ValueError, match=">= 0"):
        store.between(None, None, limit=-1)
