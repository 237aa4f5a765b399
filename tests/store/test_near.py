"""near(): checked against brute-force haversine over the real DC ShotSpotter release."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from rtcc_desktop.model.geo import haversine_m
from rtcc_desktop.store import Store, open_store

Rec = Callable[..., dict[str, Any]]
Loaded = tuple[Store, list[dict[str, Any]], dict[str, int]]


@pytest.fixture(scope="module")
def dc(tmp_path_factory: pytest.TempPathFactory, dc_shotspotter: Any) -> Iterator[Loaded]:
    records, rejects = dc_shotspotter
    store = open_store(tmp_path_factory.mktemp("dc") / "dc.sqlite")
    for i in range(0, len(records), 5000):
        store.upsert("gunshot", records[i : i + 5000], feed="dc-shotspotter", rejects=rejects if i == 0 else ())
    ids = {sid: rid for sid, rid in store.db.execute("SELECT source_id, id FROM gunshots")}
    yield store, records, ids
    store.close()


def brute_force(
    records: list[dict[str, Any]], ids: dict[str, int], lat: float, lon: float, radius: float,
    since: str | None = None, until: str | None = None,
) -> list[tuple[float, int]]:
    hits = []
    for r in records:
        if since is not None and r["time"] < since or until is not None and r["time"] > until:
            continue
        d = haversine_m(lat, lon, r["lat"], r["lon"])
        if d <= radius:
            hits.append((d, ids[r["source_id"]]))
    return sorted(hits)


def test_real_file_loads_with_its_known_bad_row_rejected(dc: Loaded) -> None:
    store, records, ids = dc
    assert store.counts()["gunshot"] == len(records) == len(ids) == 39_065
    rejects = store.rejects_list()
    assert len(rejects) == 1
    assert "(0,0)" in rejects[0]["reason"]
    assert rejects[0]["raw"]["Latitude-100meter"] == "0.001"


POINTS = [
    (38.843, -76.985, "busiest 100 m cell, 118 detections at one coordinate"),
    (38.8612, -77.0014, "between grid points"),
    (38.9665, -77.0245, "northern edge, a lone detection ~60 m away"),
    (38.95, -77.25, "outside coverage"),
]


@pytest.mark.parametrize("lat, lon, why", POINTS)
@pytest.mark.parametrize("radius", [120.0, 600.0, 2500.0])
def test_near_matches_brute_force_haversine(dc: Loaded, lat: float, lon: float, why: str, radius: float) -> None:
    store, records, ids = dc
    expected = brute_force(records, ids, lat, lon, radius)
    got = store.near(lat, lon, radius, kinds=["gunshot"], limit=100_000)
    assert [(r["distance_m"], r["id"]) for r in got] == expected, why
    assert len(got) > 0 or why == "outside coverage"
    assert all(r["kind"] == "gunshot" and r["source"] == "dc-shotspotter" for r in got)


def test_near_with_a_time_window_matches_brute_force(dc: Loaded) -> None:
    store, records, ids = dc
    since, until = "2011-07-01T00:00:00Z", "2011-07-08T12:00:00Z"
    expected = brute_force(records, ids, 38.87, -76.99, 3000, since, until)
    assert 0 < len(expected) < 1000
    got = store.near(38.87, -76.99, 3000, since=since, until=until)
    assert [(r["distance_m"], r["id"]) for r in got] == expected
    # aware datetimes in another zone mean the same instants
    dc_zone = ZoneInfo("America/New_York")  # UTC-4 in July
    got_dt = store.near(
        38.87, -76.99, 3000,
        since=datetime(2011, 6, 30, 20, tzinfo=dc_zone), until=datetime(2011, 7, 8, 8, tzinfo=dc_zone),
    )
    assert [r["id"] for r in got_dt] == [r["id"] for r in got]


def test_one_hour_window_finds_exactly_that_hour(dc: Loaded) -> None:
    store, records, ids = dc
    target = records[20_000]
    since = target["time"][:14] + "00:00Z"
    until = target["time"][:14] + "59:59Z"
    expected = brute_force(records, ids, target["lat"], target["lon"], 500, since, until)
    got = store.near(target["lat"], target["lon"], 500, since=since, until=until)
    assert ids[target["source_id"]] in [r["id"] for r in got]
    assert [(r["distance_m"], r["id"]) for r in got] == expected


def test_paging_returns_consecutive_slices_nearest_first(dc: Loaded) -> None:
    store, records, ids = dc
    everything = store.near(38.843, -76.985, 800, limit=100_000)
    assert len(everything) > 300
    pages = [store.near(38.843, -76.985, 800, limit=100, offset=o) for o in range(0, 300, 100)]
    assert [r["id"] for p in pages for r in p] == [r["id"] for r in everything[:300]]
    distances = [r["distance_m"] for r in everything]
    assert distances == sorted(distances)


def test_kinds_filter_and_untimed_cameras(tmp_path: Path, rec: Rec) -> None:
    with open_store(tmp_path / "k.sqlite") as store:
        store.upsert("gunshot", [rec("gunshot", "g", time="2024-05-01T10:00:00Z", lat=41.8800, lon=-87.63)])
        store.upsert("cad", [rec("cad", "c", time="2024-05-01T10:05:00Z", lat=41.8801, lon=-87.63)])
        store.upsert("camera", [rec("camera", "cam", lat=41.8802, lon=-87.63, name="Corner", access="live")])
        assert [r["kind"] for r in store.near(41.88, -87.63, 100)] == ["gunshot", "cad", "camera"]
        assert [r["kind"] for r in store.near(41.88, -87.63, 100, kinds="camera")] == ["camera"]
        assert [r["kind"] for r in store.near(41.88, -87.63, 100, kinds=["cad", "gunshot"])] == ["gunshot", "cad"]
        window = store.near(41.88, -87.63, 100, since="2024-05-01T09:00:00Z", until="2024-05-01T11:00:00Z")
        assert [r["kind"] for r in window] == ["gunshot", "cad"]  # a camera has no time to fall in a window
        assert store.near(41.88, -87.63, 5) == [store.near(41.88, -87.63, 100)[0]]
        with pytest.raises(ValueError, match="unknown kind"):
            store.near(41.88, -87.63, 100, kinds=["drones"])
        with pytest.raises(ValueError, match="aware"):
            store.near(41.88, -87.63, 100, since=datetime(2024, 5, 1))
        with pytest.raises(ValueError):
            store.near(41.88, -87.63, -1)


def test_near_reaches_across_the_antimeridian(tmp_path: Path, rec: Rec) -> None:
    """Adak and Attu sit either side of 180°: a circle there must not stop at the date line."""
    with open_store(tmp_path / "am.sqlite") as store:
        store.upsert("gunshot", [
            rec("gunshot", "east", time="2024-05-01T10:00:00Z", lat=51.90, lon=-179.995),
            rec("gunshot", "west", time="2024-05-01T10:00:00Z", lat=51.90, lon=179.995),
            rec("gunshot", "far", time="2024-05-01T10:00:00Z", lat=51.90, lon=-179.80),
        ])
        got = store.near(51.90, 179.999, 2000)
        assert [r["source_id"] for r in got] == ["west", "east"]
        assert got[1]["distance_m"] == pytest.approx(haversine_m(51.90, 179.999, 51.90, -179.995), rel=1e-9)
        assert [r["source_id"] for r in store.near(51.90, -179.999, 2000)] == ["east", "west"]
