import pytest

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.timeutil import parse_duration, parse_time, to_iso
from rtcc_desktop.model.validate import FeedContext, RejectError, normalise

SEATTLE = BBox(-122.5, 47.4, -122.2, 47.8)


def ctx(kind="cad", **kw):
    base = dict(source="t", kind=kind, agency="SPD", timezone="America/Los_Angeles", bbox=SEATTLE)
    base.update(kw)
    return FeedContext(**base)


def test_naive_time_takes_the_feed_zone_and_becomes_utc():
    r = normalise({"time": "2016-03-25T14:00:00.000", "lat": 47.6, "lon": -122.3}, ctx())
    assert r["time"] == "2016-03-25T21:00:00Z"  # PDT is UTC-7


def test_zoned_time_ignores_feed_zone():
    r = normalise({"time": "2016-03-25T14:00:00+00:00", "lat": 47.6, "lon": -122.3}, ctx())
    assert r["time"] == "2016-03-25T14:00:00Z"


def test_dst_gap_and_us_formats():
    assert to_iso(parse_time("03/13/2016 01:30:00 AM", "America/Chicago")) == "2016-03-13T07:30:00Z"
    assert to_iso(parse_time("1/2/2020 14:05", None)) == "2020-01-02T14:05:00Z"
    assert to_iso(parse_time(1_600_000_000)) == "2020-09-13T12:26:40Z"
    assert to_iso(parse_time(1_600_000_000_000)) == "2020-09-13T12:26:40Z"


@pytest.mark.parametrize(
    "lat,lon,reason",
    [
        (-122.3, 47.6, "swapped"),
        (47.6, 122.3, "wrong sign"),
        (-47.6, -122.3, "wrong sign"),
        (0.0, 0.0, "(0,0)"),
        (0.2, -0.1, "(0,0)"),
        (40.7, -74.0, "outside the service area"),
        (47.6, None, "only one coordinate"),
        (95, -122.3, "out of range"),
    ],
)
def test_bad_locations_are_rejected_never_guessed(lat, lon, reason):
    with pytest.raises(RejectError, match=reason):
        normalise({"time": "2020-01-01T00:00:00", "lat": lat, "lon": lon}, ctx())


def test_swapped_without_bbox_still_caught_when_impossible():
    with pytest.raises(RejectError, match="swapped"):
        normalise({"time": "2020-01-01", "lat": -122.3, "lon": 47.6}, ctx(bbox=None))


def test_plate_read_without_location_is_kept():
    r = normalise({"plate": "abc-123", "time": "2021-10-01 10:00:00", "camera": "cam 7"}, ctx("alpr"))
    assert r["plate"] == "ABC123" and r["lat"] is None and r["lon"] is None
    assert r["source_id"].startswith("h:")


def test_derived_ids_are_stable_and_distinct():
    a = normalise({"plate": "ABC123", "time": "2021-10-01 10:00:00", "camera": "c1"}, ctx("alpr"))
    b = normalise({"plate": "abc 123", "time": "2021-10-01T10:00:00", "camera": "c1"}, ctx("alpr"))
    c = normalise({"plate": "ABC123", "time": "2021-10-01 10:00:01", "camera": "c1"}, ctx("alpr"))
    assert a["source_id"] == b["source_id"] != c["source_id"]


def test_missing_time_and_garbage_time_are_rejected_with_reason():
    with pytest.raises(RejectError, match="time is missing"):
        normalise({"lat": 47.6, "lon": -122.3}, ctx("gunshot"))
    with pytest.raises(RejectError, match="unrecognised time"):
        normalise({"time": "yesterday-ish", "lat": 47.6, "lon": -122.3}, ctx())


def test_hostile_text_is_kept_verbatim_as_text():
    nasty = '<img src=x onerror="alert(1)"><script>boom()</script>'
    r = normalise({"time": "2020-01-01", "lat": 47.6, "lon": -122.3, "narrative": nasty}, ctx())
    assert r["narrative"] == nasty  # stored as data; escaping happens where it is shown


def test_camera_defaults_and_checks():
    r = normalise({"name": "Quintard", "lat": 47.6, "lon": -122.3, "heading": 370, "stream_url": "rtsp://x"}, ctx("camera"))
    assert r["heading"] == 10 and r["access"] == "live" and r["ownership"] == "public"
    r = normalise({"name": "Shop", "lat": 47.6, "lon": -122.3, "ownership": "Private"}, ctx("camera"))
    assert r["access"] == "request" and r["ownership"] == "private"
    with pytest.raises(RejectError, match="fov_deg"):
        normalise({"name": "x", "lat": 47.6, "lon": -122.3, "fov_deg": -5}, ctx("camera"))


def test_record_agency_wins_over_feed_agency():
    r = normalise({"time": "2020-01-01", "lat": 47.6, "lon": -122.3, "agency": "KCSO"}, ctx())
    assert r["agency"] == "KCSO"
    assert normalise({"time": "2020-01-01", "lat": 47.6, "lon": -122.3}, ctx(agency=None))["agency"] == "UNSPECIFIED"


def test_durations():
    assert parse_duration("15m").total_seconds() == 900
    assert parse_duration("24h").total_seconds() == 86400
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration("soon")
