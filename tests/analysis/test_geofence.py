"""Geofences: point-in-polygon, circles, and keeping them in the store."""

from __future__ import annotations

import pytest

from rtcc_desktop.analysis import geofence as G
from rtcc_desktop.model.geo import destination
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.store import open_store

# A block of downtown Seattle, and an L-shaped (concave) fence around it.
SQUARE = ((47.60, -122.34), (47.60, -122.33), (47.61, -122.33), (47.61, -122.34))
L_SHAPE = ((47.60, -122.34), (47.60, -122.32), (47.605, -122.32), (47.605, -122.33), (47.61, -122.33), (47.61, -122.34))


@pytest.fixture
def store():
    s = open_store(":memory:")
    yield s
    s.close()


def test_square_contains_inside_not_outside():
    f = G.Geofence("block", points=SQUARE)
    assert f.contains(47.605, -122.335)
    assert not f.contains(47.615, -122.335)
    assert not f.contains(47.605, -122.325)
    assert not f.contains(None, None)


def test_concave_polygon_notch_is_outside():
    f = G.Geofence("L", points=L_SHAPE)
    assert f.contains(47.602, -122.325)  # in the foot of the L
    assert f.contains(47.608, -122.335)  # in the upright
    assert not f.contains(47.608, -122.325)  # in the notch


def test_closed_ring_and_geojson_polygon_give_the_same_fence():
    ring = [[lon, lat] for lat, lon in SQUARE] + [[SQUARE[0][1], SQUARE[0][0]]]
    g = G.Geofence.from_geojson("block", {"type": "Polygon", "coordinates": [ring]})
    assert g.points == SQUARE
    assert g.contains(47.605, -122.335)


def test_circle_uses_real_metres():
    f = G.Geofence("school", center=(38.9, -77.0), radius_m=300)
    lat_in, lon_in = destination(38.9, -77.0, 45, 290)
    lat_out, lon_out = destination(38.9, -77.0, 45, 310)
    assert f.contains(lat_in, lon_in)
    assert not f.contains(lat_out, lon_out)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"points": ((47.6, -122.3), (47.61, -122.3))},
        {"center": (47.6, -122.3)},
        {"center": (47.6, -122.3), "radius_m": -5},
        {"points": ((95.0, 0.0), (47.6, -122.3), (47.7, -122.3))},
        {"points": SQUARE, "center": (47.6, -122.3), "radius_m": 10},
    ],
)
def test_unusable_fences_are_refused_with_a_reason(kwargs):
    with pytest.raises(G.GeofenceError, match="geofence 'x'"):
        G.Geofence("x", **kwargs)


def test_priority_text_forms():
    assert [priority_level(v) for v in ("1", "P2", "Priority 3", 2.0, "High", None, "")] == [1, 2, 3, 2, 1, None, None]


def test_fence_watches_gunshots_and_urgent_calls_only():
    f = G.Geofence("block", points=SQUARE)
    assert f.watches("gunshot")
    assert f.watches("cad", "1") and f.watches("cad", "P2")
    assert not f.watches("cad", "3") and not f.watches("cad", None)
    assert not f.watches("alpr")


def test_fences_persist_update_and_switch_off(store):
    saved = G.save_geofence(store, G.Geofence("block", points=SQUARE))
    G.save_geofence(store, G.Geofence("school", center=(47.62, -122.35), radius_m=250, kinds=("gunshot",)))
    assert saved.id is not None
    v1 = G.geofence_version(store)
    names = [f.name for f in G.list_geofences(store)]
    assert names == ["block", "school"]
    # same name replaces the shape
    G.save_geofence(store, G.Geofence("block", points=L_SHAPE))
    block = next(f for f in G.list_geofences(store) if f.name == "block")
    assert block.points == L_SHAPE and block.id == saved.id
    assert G.geofence_version(store) != v1
    assert G.set_active(store, "school", False)
    assert [f.name for f in G.list_geofences(store, active_only=True)] == ["block"]
    school = next(f for f in G.list_geofences(store) if f.name == "school")
    assert school.kinds == ("gunshot",) and school.radius_m == 250 and not school.active
    assert G.delete_geofence(store, "block") and not G.delete_geofence(store, "block")
    assert not G.set_active(store, "nope", True)


def test_fences_found_for_a_point(store):
    fences = [G.Geofence("block", points=SQUARE), G.Geofence("far", center=(40.0, -100.0), radius_m=100)]
    assert [f.name for f in G.fences_containing(fences, 47.605, -122.335)] == ["block"]
