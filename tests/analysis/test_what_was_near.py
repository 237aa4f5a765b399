""""What was near", checked against brute-force haversine on real DC ShotSpotter and Seattle ALPR data."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from rtcc_desktop.analysis.near import ReasonRequired, parse_ref, require_reason, what_was_near
from rtcc_desktop.feeds.adapters import iter_file, parse_payload
from rtcc_desktop.model.geo import haversine_m
from rtcc_desktop.model.timeutil import from_iso, to_iso
from rtcc_desktop.model.validate import FeedContext
from rtcc_desktop.store import open_store

DC_FIELDS = {"source_id": "Incident ID", "time": "Date Time", "type": "Type", "lat": "Latitude-100meter", "lon": "Longitude-100meter"}
SEA_FIELDS = {"time": "dt", "plate": "plate_hash", "lat": "lat", "lon": "lon", "camera": "device", "address": "address"}


@pytest.fixture(scope="module")
def real_store(realdata, tmp_path_factory):
    """One store holding all 39k DC gunshots and 93k Seattle ALPR reads."""
    store = open_store(tmp_path_factory.mktemp("near") / "real.sqlite")
    dc = realdata / "gunshot_dc_shotspotter_foia" / "dc_shotspotter_2006_2013.csv"
    batch = parse_payload(dc.read_bytes(), "csv", FeedContext(source="dc-shotspotter", kind="gunshot", timezone="America/New_York"), DC_FIELDS)
    store.upsert("gunshot", batch.records, rejects=batch.rejects)
    sea = realdata / "alpr_seattle_spd_uwchr" / "spd-alpr-pub.csv.gz"
    ctx = FeedContext(source="spd-alpr", kind="alpr", timezone="America/Los_Angeles", time_format="%m/%d/%Y - %H:%M:%S")
    batch = parse_payload(iter_file(sea), "csv", ctx, SEA_FIELDS, delimiter="|")
    store.upsert("alpr", batch.records, rejects=batch.rejects)
    yield store
    store.close()


def _all_located(store, kind: str) -> list[dict]:
    table = {"gunshot": "gunshots", "alpr": "plate_reads"}[kind]
    cur = store.db.execute(f"SELECT id, time, lat, lon FROM {table} WHERE lat IS NOT NULL")
    return [{"kind": kind, "id": r[0], "time": r[1], "lat": r[2], "lon": r[3]} for r in cur]


def _brute_force(rows, lat, lon, radius_m, since, until, exclude):
    out = set()
    for r in rows:
        if f"{r['kind']}:{r['id']}" == exclude:
            continue
        if since is not None and not (since <= r["time"] <= until):
            continue
        if haversine_m(lat, lon, r["lat"], r["lon"]) <= radius_m:
            out.add(r["id"])
    return out


@pytest.mark.parametrize(("radius_m", "minutes"), [(400.0, 12 * 60), (1500.0, 3 * 24 * 60), (250.0, None)])
def test_near_a_dc_gunshot_matches_brute_force(real_store, radius_m, minutes):
    shots = _all_located(real_store, "gunshot")
    rng = random.Random(11)
    found_any = 0
    for centre in rng.sample(shots, 8):
        ref = f"gunshot:{centre['id']}"
        res = what_was_near(
            real_store, reason="test 1", actor="t", record=ref, radius_m=radius_m, minutes=minutes,
            kinds=["gunshot"], limit_per_kind=100_000,
        )
        since = until = None
        if minutes is not None:
            t = from_iso(centre["time"])
            since, until = to_iso(t - timedelta(minutes=minutes)), to_iso(t + timedelta(minutes=minutes))
        expected = _brute_force(shots, centre["lat"], centre["lon"], radius_m, since, until, ref)
        got = res.groups["gunshot"]
        assert {r["id"] for r in got} == expected, ref
        assert [r["distance_m"] for r in got] == sorted(r["distance_m"] for r in got)
        assert not res.truncated["gunshot"]
        found_any += len(got)
    assert found_any > 0  # the check compared real neighbours, not empty sets


def test_near_a_point_in_seattle_covers_alpr_reads_and_groups_by_kind(real_store):
    reads = _all_located(real_store, "alpr")
    rng = random.Random(5)
    total = 0
    for centre in rng.sample(reads, 6):
        lat, lon = centre["lat"] + 0.0004, centre["lon"] - 0.0004  # a map point beside the read
        res = what_was_near(
            real_store, reason="test 2", actor="t", lat=lat, lon=lon, at=centre["time"], radius_m=300.0, minutes=30,
            limit_per_kind=100_000,
        )
        t = from_iso(centre["time"])
        since, until = to_iso(t - timedelta(minutes=30)), to_iso(t + timedelta(minutes=30))
        assert {r["id"] for r in res.groups["alpr"]} == _brute_force(reads, lat, lon, 300.0, since, until, None)
        assert res.groups["gunshot"] == [] and res.groups["cad"] == []  # DC shots are not in Seattle
        assert set(res.groups) == {"alpr", "gunshot", "cad"}
        total += res.total
    assert total > 0


def test_paging_per_kind_and_the_centre_left_out(real_store):
    shots = _all_located(real_store, "gunshot")
    centre = shots[1000]
    ref = f"gunshot:{centre['id']}"
    full = what_was_near(real_store, reason="r", actor="t", record=ref, radius_m=500, kinds=["gunshot"], limit_per_kind=100_000)
    ids = [r["id"] for r in full.groups["gunshot"]]
    assert len(ids) > 60 and centre["id"] not in ids
    paged = []
    for off in range(0, len(ids), 25):
        page = what_was_near(real_store, reason="r", actor="t", record=ref, radius_m=500, kinds=["gunshot"], limit_per_kind=25, offset=off)
        paged += [r["id"] for r in page.groups["gunshot"]]
        assert page.truncated["gunshot"] == (off + 25 < len(ids))
    assert paged == ids


def test_every_search_is_audited_and_refused_without_a_reason(real_store):
    before = len(real_store.audit_list(limit=100_000))
    with pytest.raises(ReasonRequired, match="reason or case number"):
        what_was_near(real_store, reason="", actor="ana", lat=38.9, lon=-77.0, radius_m=100)
    assert len(real_store.audit_list(limit=100_000)) == before
    res = what_was_near(real_store, reason="CCN 13-104455", actor="ana", record="gunshot:1", radius_m=800, minutes=120)
    entry = real_store.audit_list(limit=1)[0]
    assert (entry["actor"], entry["action"], entry["reason"], entry["result_count"]) == ("ana", "query near", "CCN 13-104455", res.total)
    assert entry["params"]["near_record"] == "gunshot:1" and entry["params"]["radius_m"] == 800
    assert entry["params"]["minutes"] == 120 and entry["params"]["since"] < entry["params"]["until"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"record": "gunshot:999999999"}, "does not exist"),
        ({"record": "shot:1"}, "KIND:ID"),
        ({}, "record or a point"),
        ({"lat": 38.9, "lon": -77.0, "radius_m": 0}, "radius"),
        ({"lat": 38.9, "lon": -77.0, "minutes": -5}, "minutes"),
        ({"lat": 38.9, "lon": -77.0, "kinds": []}, "at least one kind"),
    ],
)
def test_bad_requests_say_what_is_wrong(real_store, kwargs, message):
    args = {"reason": "r", "actor": "t", "radius_m": 100.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        what_was_near(real_store, **args)


def test_reason_helpers():
    assert require_reason("  case   42 ") == "case 42"
    with pytest.raises(ReasonRequired):
        require_reason(None)
    assert parse_ref("alpr:7") == ("alpr", 7)
