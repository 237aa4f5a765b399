"""Plain-JSON adapter on the nested OpenTrafficCamMap registry, envelopes and hostile input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.feeds.adapters import AdapterError, Batch, parse_payload
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.validate import FeedContext

USA = "cameras_usa_opentrafficcammap/USA.json"
CAMS = FeedContext(source="otcm", kind="camera")


@pytest.fixture(scope="module")
def usa_raw(realdata: Path) -> dict[str, Any]:
    return json.loads((realdata / USA).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def usa(realdata: Path) -> Batch:
    return parse_payload((realdata / USA).read_bytes(), "json", CAMS)


def flat(raw: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(state, county, cam) for state, counties in raw.items() for county, cams in counties.items() for cam in cams]


def test_nested_registry_yields_every_distinct_camera(usa: Batch, usa_raw: dict[str, Any]) -> None:
    cams = flat(usa_raw)
    assert len(cams) == 7029  # SOURCE.txt
    distinct = {json.dumps(c, sort_keys=True) for _, _, c in cams}
    assert len(usa.rejects) == 0
    assert len(usa.records) == len(distinct)  # exact repeats collapse, nothing else does
    assert usa.duplicates == len(cams) - len(distinct) > 0


def test_cameras_sharing_a_name_and_place_stay_apart(usa: Batch) -> None:
    # the registry lists several cameras at one spot under one name, told apart by URL
    same_spot = [r for r in usa.records if (r["name"], r["lat"], r["lon"]) == ("I-65 I-65 MP 182 SB", 32.50064, -86.41786)]
    assert len(same_spot) >= 2
    assert len({(r["stream_url"], r["snapshot_url"]) for r in same_spot}) == len(same_spot)


def test_hls_goes_to_stream_url_and_images_to_snapshot_url(usa: Batch, usa_raw: dict[str, Any]) -> None:
    first = usa.records[0]
    assert first["name"] == first["address"] == "I-10 McDonald Rd"
    assert first["stream_url"] == "https://cdn3.wowza.com/5/eEFlQ3ltMitMdTdk/mobile-fastly/mob-cam-c095.stream/playlist.m3u8"
    assert first["snapshot_url"] is None and first["access"] == "live"
    assert first["narrative"] == "Mobile, Alabama"
    assert (first["lat"], first["lon"]) == (30.53555, -88.23918)
    formats = Counter(c["format"] for _, _, c in {json.dumps(c, sort_keys=True): ("", "", c) for _, _, c in flat(usa_raw)}.values())
    assert sum(1 for r in usa.records if r["stream_url"]) == formats["M3U8"]
    assert sum(1 for r in usa.records if r["snapshot_url"]) == formats["IMAGE_STREAM"]
    # an image endpoint without an extension is still a snapshot because the registry says IMAGE_STREAM
    alaska = next(r for r in usa.records if (r["snapshot_url"] or "").startswith("https://511.alaska.gov/map/Cctv/"))
    assert alaska["stream_url"] is None


def test_registry_with_a_service_area_rejects_the_other_states(realdata: Path) -> None:
    alabama = BBox(-88.5, 30.1, -84.8, 35.1)
    batch = parse_payload((realdata / USA).read_bytes(), "json", FeedContext(source="al", kind="camera", bbox=alabama))
    states = Counter(r["narrative"].rsplit(", ", 1)[-1] for r in batch.records)
    assert states["Alabama"] == 587  # every Alabama camera, plus a few just over the border
    assert sum(states.values()) - 587 < 10
    assert len(batch.rejects) > 6000 and all("outside the service area" in reason for reason, _ in batch.rejects)


def test_urls_with_spaces_in_the_path_are_kept_and_encoded(usa: Batch) -> None:
    licking = next(r for r in usa.records if r["name"] == "I-70 EB Licking county rest area")
    assert licking["snapshot_url"] == "https://itscameras.dot.state.oh.us/images/rest_area/I-70%20EB%20at%20MM%20130%20Licking%20County%20PTZ.jpg"
    assert licking["narrative"] == "other, Ohio"


ROWS = [
    {"id": "G1", "detected_at": "2024-05-01T10:00:00-05:00", "lat": 39.05, "lon": -94.57, "rounds": 3, "type": "Multiple Gunshots"},
    {"id": "G2", "detected_at": "2024-05-01T10:02:00-05:00", "lat": -94.57, "lon": 39.05, "rounds": 1},
]
GUNSHOT = FeedContext(source="kc", kind="gunshot", timezone="America/Chicago", bbox=BBox(-94.8, 38.8, -94.3, 39.4))


@pytest.mark.parametrize("wrap", [lambda r: r, lambda r: {"data": r}, lambda r: {"records": r}, lambda r: {"meta": {"n": 2}, "results": r}])
def test_arrays_and_envelopes_read_the_same(wrap: Any) -> None:
    batch = parse_payload(json.dumps(wrap(ROWS)), "json", GUNSHOT)
    assert [(r["source_id"], r["time"], r["rounds"]) for r in batch.records] == [("G1", "2024-05-01T15:00:00Z", 3.0)]
    assert len(batch.rejects) == 1 and "swapped" in batch.rejects[0][0] and batch.rejects[0][1] == ROWS[1]


def test_nested_location_objects_are_read() -> None:
    rows = [{"id": "N1", "time": 1714575600, "position": {"lat": 39.05, "lng": -94.57}},
            {"id": "N2", "time": 1714575600, "where": {"type": "Point", "coordinates": [-94.57, 39.05]}}]
    batch = parse_payload(json.dumps(rows[:1]), "json", GUNSHOT)
    assert (batch.records[0]["lat"], batch.records[0]["lon"], batch.records[0]["time"]) == (39.05, -94.57, "2024-05-01T15:00:00Z")
    batch = parse_payload(json.dumps(rows[1:]), "json", GUNSHOT)
    assert (batch.records[0]["lat"], batch.records[0]["lon"]) == (39.05, -94.57)


def test_feature_collection_given_as_json_is_read_as_geojson() -> None:
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-94.57, 39.05]}, "properties": {"id": "F1", "time": "2024-05-01 10:00"}}]}
    assert parse_payload(json.dumps(fc), "json", GUNSHOT).records[0]["lat"] == 39.05


def test_duplicates_keep_the_last_and_non_objects_are_rejected() -> None:
    rows: list[Any] = [dict(ROWS[0], rounds=2), "oops", dict(ROWS[0], rounds=7)]
    batch = parse_payload(json.dumps(rows), "json", GUNSHOT)
    assert [(r["source_id"], r["rounds"]) for r in batch.records] == [("G1", 7.0)]
    assert batch.duplicates == 1
    assert batch.rejects == [("record is a str, not an object", "oops")]


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ('[{"id": "G1", "lat": 39.05,', "truncated"),
        ("[1, 2, 3]", "int values, not objects"),
        ('"just text"', "not an array of objects"),
        ('{"error": true, "message": "Dataset not found"}', "Dataset not found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("", "empty"),
    ],
)
def test_unusable_payloads_raise(payload: str | bytes, match: str) -> None:
    with pytest.raises(AdapterError, match=match):
        parse_payload(payload, "json", GUNSHOT)


def test_script_in_camera_name_stays_text() -> None:
    rows = [{"name": "<script>alert(1)</script>", "latitude": 39.05, "longitude": -94.57, "url": "http://cam/x.jpg"}]
    batch = parse_payload(json.dumps(rows), "json", CAMS)
    assert batch.records[0]["name"] == "<script>alert(1)</script>"
    assert batch.records[0]["snapshot_url"] == "http://cam/x.jpg"


def test_missing_coordinates_for_cameras_is_a_clear_error() -> None:
    with pytest.raises(AdapterError, match=r"no column found for lat/lon.*'where'"):
        parse_payload(json.dumps([{"name": "cam", "where": "Main & 1st"}]), "json", CAMS)
