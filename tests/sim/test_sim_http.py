"""HTTP behaviour feed clients rely on: validators, tokens, and every injected fault."""

from __future__ import annotations

import json

import pytest
import requests
from simhelp import START, get

from rtcc_desktop.sim import Simulator

CAD = "/resource/cad.json"


@pytest.mark.parametrize("path", [CAD, "/gunshots.geojson", "/alpr.json", "/cameras.geojson", "/hotlist.csv"])
def test_conditional_get_gives_304_until_something_changes(sim, path):
    first = get(sim, path)
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    again = get(sim, path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == first.headers["ETag"]
    since = get(sim, path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    sim.clock.advance(1800)
    later = get(sim, path, headers={"If-None-Match": first.headers["ETag"]})
    later_ims = get(sim, path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    if path in ("/cameras.geojson", "/hotlist.csv"):  # fixed registries do not change with time
        assert later.status_code == 304 and later_ims.status_code == 304
    else:
        assert later.status_code == 200 and later.headers["ETag"] != first.headers["ETag"]
        assert later_ims.status_code == 200 and later.content == later_ims.content


def test_token_is_required_on_the_soda_endpoint_only():
    with Simulator(seed=7, start=START, token="s3cret") as s:
        missing = get(s, CAD)
        assert missing.status_code == 403
        assert missing.json()["error"] is True and "token" in missing.json()["message"].lower()
        wrong = get(s, CAD, headers={"X-App-Token": "guess"})
        assert wrong.status_code == 403 and wrong.json()["code"] == "invalid_app_token"
        assert get(s, CAD, headers={"X-App-Token": "s3cret"}).status_code == 200
        assert get(s, CAD, **{"$$app_token": "s3cret"}).status_code == 200
        assert get(s, "/alpr.json").status_code == 200
        assert s.faults.statuses(CAD) == [403, 403, 200, 200]
        assert not any("s3cret" in r.query for r in s.faults.requests())  # the token is never kept


def test_fail_next_answers_errors_then_recovers(sim):
    sim.faults.fail_next(2, status=500)
    first, second, third = (get(sim, CAD) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert first.json() == {"error": True, "message": "Internal error", "status": 500}
    assert sim.faults.statuses(CAD) == [500, 500, 200]
    assert [r.fault for r in sim.faults.requests(CAD)] == ["fail", "fail", None]


def test_rate_limit_with_retry_after(sim):
    sim.faults.fail_next(1, status=429, retry_after=7)
    r = get(sim, "/alpr.json")
    assert r.status_code == 429 and r.headers["Retry-After"] == "7"
    assert get(sim, "/alpr.json").status_code == 200


def test_faults_hit_only_their_path_and_never_tiles_or_health_by_default(sim):
    sim.faults.fail_next(1, path="/alpr.json")
    assert get(sim, CAD).status_code == 200
    assert get(sim, "/alpr.json").status_code == 500
    sim.faults.fail_next(1)
    assert get(sim, "/health").status_code == 200
    assert get(sim, "/tiles/14/4285/6556.png").status_code == 200
    assert sim.faults.pending() == 1
    assert get(sim, "/gunshots.geojson").status_code == 500
    assert sim.faults.pending() == 0


def test_delay_makes_a_client_time_out(sim):
    sim.faults.delay_next(1, seconds=3.0)
    with pytest.raises(requests.Timeout):
        get(sim, CAD, timeout=0.3)
    assert get(sim, CAD).status_code == 200


def test_a_long_delay_ends_when_the_simulator_stops():
    s = Simulator(seed=7, start=START)
    s.start()
    s.faults.delay_next(1, seconds=600)
    with pytest.raises(requests.Timeout):
        get(s, CAD, timeout=0.3)
    s.stop()  # the sleeping connection thread must end now (the conftest checks no rtcc- thread is left)


def test_truncated_body_is_a_200_that_does_not_parse(sim):
    whole = get(sim, CAD).content
    sim.faults.truncate_next(1)
    r = get(sim, CAD)
    assert r.status_code == 200 and len(r.content) == len(whole) // 2
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert get(sim, CAD).content == whole


def test_truncated_with_full_length_breaks_the_connection(sim):
    sim.faults.truncate_next(1, full_length=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(sim, "/alpr.json")
    assert get(sim, "/alpr.json").status_code == 200


def test_dropped_connection(sim):
    sim.faults.drop_connection_next(1)
    with pytest.raises(requests.ConnectionError):
        get(sim, "/gunshots.geojson")
    assert get(sim, "/gunshots.geojson").status_code == 200
    assert sim.faults.statuses("/gunshots.geojson") == [0, 200]


def test_renamed_field_is_a_schema_change(sim):
    before = get(sim, CAD)
    sim.faults.rename_field("datetime", "call_datetime")
    after = get(sim, CAD, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200, "a schema change must not be answered with 304"
    rows = after.json()
    assert all("call_datetime" in r and "datetime" not in r for r in rows)
    old_query = get(sim, CAD, **{"$order": "datetime"})
    assert old_query.status_code == 400 and "datetime" in old_query.json()["message"]
    assert get(sim, CAD, **{"$order": "call_datetime"}).status_code == 200
    sim.faults.rename_field("datetime", None)
    assert get(sim, CAD).content == before.content
    sim.faults.rename_field("plate", "tag", path="/alpr.json")
    reads = get(sim, "/alpr.json").json()
    assert all("tag" in r and "plate" not in r for r in reads)
    assert "datetime" in get(sim, CAD).json()[0]  # other feeds keep their schema


def test_duplicate_rows_repeat_rows_within_a_page(sim):
    clean = get(sim, CAD, **{"$limit": 20, "$select": ":*, *"}).json()
    sim.faults.duplicate_rows(1)
    dup = get(sim, CAD, **{"$limit": 20, "$select": ":*, *"}).json()
    assert len(dup) > len(clean)
    distinct = [r for k, r in enumerate(dup) if k == 0 or r != dup[k - 1]]
    assert distinct == clean  # the same rows in the same order, some of them twice
    sim.faults.duplicate_rows(1, path="/alpr.json")
    reads = get(sim, "/alpr.json").json()
    assert len(reads) > len({r["read_id"] for r in reads})
    assert get(sim, CAD, **{"$limit": 20, "$select": ":*, *"}).json() == clean


def test_reset_disarms_faults(sim):
    sim.faults.fail_next(5)
    sim.faults.rename_field("agency", "dept")
    sim.faults.reset()
    r = get(sim, CAD)
    assert r.status_code == 200 and "agency" in r.json()[0]


def test_health_index_and_unknown_paths(sim):
    h = get(sim, "/health").json()
    assert h["status"] == "ok" and h["now"] == START and h["clock"] == "frozen"
    assert h["counts"]["cad"] > 0 and h["counts"]["camera"] == len(sim.cameras())
    assert get(sim, "/").json()["endpoints"]["cad"] == sim.base_url + CAD
    missing = get(sim, "/nope")
    assert missing.status_code == 404 and missing.json()["error"] is True
    assert sim.faults.requests()[-1] == ("/nope", 404, "", None)
