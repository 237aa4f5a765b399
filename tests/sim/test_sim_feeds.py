"""What a user sees in the simulated feeds: same seed same city, believable, valid rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from simhelp import START, get, soda

from rtcc_desktop.config import parse_config
from rtcc_desktop.model.geo import haversine_m
from rtcc_desktop.model.validate import normalise
from rtcc_desktop.sim import Simulator

FEED_PATHS = ("/resource/cad.json", "/gunshots.geojson", "/alpr.json", "/hotlist.csv")


def _payloads(sim: Simulator) -> dict[str, bytes]:
    out = {p: get(sim, p).content for p in FEED_PATHS}
    out["cad-all"] = get(sim, "/resource/cad.json", **{"$select": ":*, *", "$limit": 50000}).content
    out["cameras"] = get(sim, "/cameras.geojson").content.replace(sim.base_url.encode(), b"BASE")
    return out


def test_same_seed_and_start_serve_identical_data():
    a, b = Simulator(seed=3, start=START), Simulator(seed=3, start=START)
    c = Simulator(seed=4, start=START)
    for s in (a, b, c):
        s.clock.freeze(at=START)
        s.start()
    try:
        pa, pb, pc = _payloads(a), _payloads(b), _payloads(c)
        assert pa == pb
        assert pa["cad-all"] != pc["cad-all"] and pa["/alpr.json"] != pc["/alpr.json"]
        # and it stays identical as simulated time moves on
        a.clock.advance(900)
        b.clock.advance(900)
        assert _payloads(a) == _payloads(b)
    finally:
        for s in (a, b, c):
            s.stop()


def test_history_is_there_at_once_and_everything_is_in_the_past(sim):
    start = datetime(2024, 5, 1, 18, tzinfo=timezone.utc)
    oldest_allowed = start - timedelta(seconds=sim.history * 60 / sim.rate_per_min + 1)
    cad = soda(sim, select=":*, *", limit=50000)
    shots = get(sim, "/gunshots.geojson").json()["features"]
    reads = get(sim, "/alpr.json").json()
    assert len(cad) > 150 and len(reads) > 150 and len(shots) > 10
    times = [datetime.fromisoformat(r[":created_at"].replace("Z", "+00:00")) for r in cad]
    times += [datetime.fromisoformat(f["properties"]["time"].replace("Z", "+00:00")) for f in shots]
    times += [datetime.fromisoformat(r["read_time"].replace("Z", "+00:00")) for r in reads]
    assert all(oldest_allowed <= t <= start for t in times)


def test_new_events_appear_as_time_passes(sim):
    before = {r["read_id"] for r in get(sim, "/alpr.json").json()}
    cad_before = {r["incident_number"] for r in soda(sim, limit=50000)}
    sim.clock.advance(600)
    reads = get(sim, "/alpr.json").json()
    new = [r for r in reads if r["read_id"] not in before]
    assert len(new) > 50  # 30 events a minute, about half are plate reads
    assert before <= {r["read_id"] for r in reads}
    assert all("2024-05-01T18:00:00Z" < r["read_time"] <= "2024-05-01T18:10:00Z" for r in new)
    assert len({r["incident_number"] for r in soda(sim, limit=50000)} - cad_before) > 40


def test_cad_rows_look_like_socrata(sim):
    rows = soda(sim, select=":*, *", limit=50000)
    first = rows[0]
    assert set(first) >= {":id", ":created_at", ":updated_at", "incident_number", "call_type", "priority"}
    assert set(first) >= {"address", "narrative", "datetime", "agency"}
    assert first[":id"].startswith("row-")
    assert all(isinstance(r["priority"], str) and r["priority"] in "1234" for r in rows)
    assert all(r[":updated_at"].endswith(".000Z") and not r["datetime"].endswith("Z") for r in rows)
    # floating local time: 18:00Z on 1 May is 13:00 in Oxford, Alabama (CDT)
    latest = max(rows, key=lambda r: r[":created_at"])
    utc = datetime.fromisoformat(latest[":created_at"].replace("Z", "+00:00"))
    assert latest["datetime"] == (utc - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%S.000")
    assert {r["agency"] for r in rows} >= {"OXFORD PD", "ANNISTON PD", "CALHOUN CO SO"}
    assert len({r["call_type"] for r in rows}) >= 10
    plain = soda(sim, limit=5)
    assert not any(k.startswith(":") for r in plain for k in r)  # system fields only when selected
    # a few calls did not geocode: Socrata leaves null fields out of the row
    assert any("latitude" not in r for r in rows) or len(rows) < 100


def test_some_calls_are_updated_later_with_a_newer_updated_at(sim):
    rows = soda(sim, select=":*, *", limit=50000)
    updated = [r for r in rows if r[":updated_at"] > r[":created_at"]]
    assert updated, "no CAD call was ever updated"
    assert all(" | " in r["narrative"] for r in updated)
    number = updated[0]["incident_number"]
    # the same call before its update had the original narrative
    sim.clock.freeze(at=updated[0][":updated_at"].replace(".000Z", "Z"))
    sim.clock.advance(-1)
    earlier = soda(sim, select=":*, *", where=f"incident_number = '{number}'")
    assert earlier and earlier[0][":updated_at"] < updated[0][":updated_at"]
    assert earlier[0]["narrative"] != updated[0]["narrative"]


def test_hotlist_plates_show_up_in_plate_reads():
    s = Simulator(seed=7, start=START, history=3000)
    s.clock.freeze(at=START)
    s.start()
    try:
        text = get(s, "/hotlist.csv").text
        reader = csv.DictReader(io.StringIO(text))
        hot = list(reader)
        assert reader.fieldnames == ["plate", "state", "reason", "expiry"]
        assert len(hot) == 5 and all(h["state"] in ("AL", "GA") for h in hot)
        reads = get(s, "/alpr.json").json()
        plates = {h["plate"] for h in hot}
        hits = [r for r in reads if r["plate"] in plates]
        assert hits and len(hits) < len(reads) / 10
        assert {r["state"] for r in reads} == {"AL", "GA"}
        no_location = [r for r in reads if r["lat"] is None]
        assert 0 < len(no_location) < len(reads) / 20
        assert {r["camera_id"] for r in reads} & {rd.id for rd in s.alpr_readers()}
    finally:
        s.stop()


def test_gunshots_come_with_nearby_shots_fired_calls(sim):
    shots = get(sim, "/gunshots.geojson").json()["features"]
    calls = [r for r in soda(sim, limit=50000) if r["call_type"] == "SHOTS FIRED" and "latitude" in r]
    paired = 0
    for f in shots:
        lon, lat = f["geometry"]["coordinates"]
        t = datetime.fromisoformat(f["properties"]["time"].replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=-5)))
        for c in calls:
            ct = datetime.fromisoformat(c["datetime"]).replace(tzinfo=timezone(timedelta(hours=-5)))
            if timedelta(0) < ct - t <= timedelta(minutes=3) and haversine_m(lat, lon, float(c["latitude"]), float(c["longitude"])) < 400:
                paired += 1
                break
        p = f["properties"]
        assert p["type"] == ("Single Gunshot" if p["rounds"] == 1 else "Multiple Gunshots")
    assert 0 < paired < len(shots)


def test_since_returns_only_later_events(sim):
    reads = get(sim, "/alpr.json").json()
    cut = reads[len(reads) // 2]["read_time"]
    later = get(sim, "/alpr.json", since=cut).json()
    assert later == [r for r in reads if r["read_time"] > cut]
    page = get(sim, "/alpr.json", since=cut, limit=5, offset=5).json()
    assert page == later[5:10]
    shots = get(sim, "/gunshots.geojson").json()["features"]
    cut = shots[len(shots) // 2]["properties"]["time"]
    assert get(sim, "/gunshots.geojson", since=cut).json()["features"] == [f for f in shots if f["properties"]["time"] > cut]
    assert get(sim, "/alpr.json", since="yesterday").status_code == 400


def test_cameras_registry(sim):
    fc = get(sim, "/cameras.geojson").json()
    cams = [f["properties"] for f in fc["features"]]
    assert 14 <= len(cams) <= 20 and cams == [{k: c[k] for k in cams[0]} for c in sim.cameras()]
    public = [c for c in cams if c["ownership"] == "public"]
    private = [c for c in cams if c["ownership"] == "private"]
    assert public and all(c["access"] == "live" and c["stream_url"] for c in public)
    request_only = [c for c in private if c["access"] == "request"]
    assert request_only and all(c["stream_url"] is None and c["contact"] for c in request_only)
    assert any(c["access"] == "live" for c in private)
    for c in cams:
        assert 0 <= c["heading"] < 360 and 0 < c["fov_deg"] <= 180 and c["range_m"] > 0
        if c["stream_url"]:
            assert c["stream_url"].startswith(sim.base_url + "/video/") and c["substream_url"].endswith("?size=sub")


def _raw_rows(sim: Simulator, kind: str, url: str) -> list[dict]:
    data = get(sim, url[len(sim.base_url) :] + ("?$limit=50000" if kind == "cad" else "")).json()
    if isinstance(data, dict):  # GeoJSON
        rows = []
        for f in data["features"]:
            lon, lat = f["geometry"]["coordinates"]
            rows.append({**f["properties"], "_lat": lat, "_lon": lon})
        return rows
    return data


def test_feeds_toml_is_a_valid_config_and_every_row_passes_validation(sim):
    sim.clock.advance(300)
    config = parse_config(sim.feeds_toml(), name="sim")
    assert {f.kind for f in config.feeds} == {"cad", "gunshot", "alpr", "camera"}
    assert {f.format for f in config.feeds} == {"soda", "geojson", "json"}
    assert config.map.tile_url == sim.base_url + "/tiles/{z}/{x}/{y}.png"
    for feed in config.feeds:
        assert tuple(feed.bbox) == tuple(sim.bbox)
        rows = _raw_rows(sim, feed.kind, feed.url)
        assert rows, feed.name
        for row in rows:
            raw = {ours: row.get(theirs) for ours, theirs in feed.fields.items()}
            if "_lat" in row:
                raw["lat"], raw["lon"] = row["_lat"], row["_lon"]
            rec = normalise(raw, feed.context())  # raises RejectError on a bad row
            assert rec["source_id"] == raw["source_id"]


def test_token_goes_in_the_config_only_by_name():
    with Simulator(seed=7, start=START, token="s3cret-token") as s:
        text = s.feeds_toml()
        assert "s3cret-token" not in text and 'token_env = "RTCC_SIM_TOKEN"' in text
        assert parse_config(text).feed("sim-cad").token_env == "RTCC_SIM_TOKEN"


@pytest.mark.parametrize("seed", [1, 2])
def test_every_event_sits_inside_the_service_area(seed):
    with Simulator(seed=seed, start=START) as s:
        s.clock.freeze(at=START)
        bbox = s.bbox
        cad = [r for r in soda(s, limit=50000) if "latitude" in r]
        points = [(float(r["latitude"]), float(r["longitude"])) for r in cad]
        points += [tuple(reversed(f["geometry"]["coordinates"])) for f in get(s, "/gunshots.geojson").json()["features"]]
        points += [(r["lat"], r["lon"]) for r in get(s, "/alpr.json").json() if r["lat"] is not None]
        points += [(c["lat"], c["lon"]) for c in s.cameras()]
        assert all(bbox.contains(lat, lon) for lat, lon in points)
        # the city is around Oxford, AL and about 8-10 km across
        assert haversine_m(bbox.south, bbox.west, bbox.north, bbox.east) < 20_000
        assert bbox.contains(33.6145, -85.8350)
