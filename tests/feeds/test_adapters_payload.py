"""What every format shares: the entry point, file reading, and value spellings."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rtcc_desktop.feeds.adapters import FORMATS, AdapterError, iter_file, parse_payload
from rtcc_desktop.model.validate import FeedContext

CAD = FeedContext(source="t", kind="cad", timezone="America/Chicago")


def test_formats_are_the_ones_config_accepts() -> None:
    from rtcc_desktop.config import FORMATS as CONFIG_FORMATS

    assert set(FORMATS) == set(CONFIG_FORMATS) == {"soda", "geojson", "csv", "eido", "json"}


def test_unknown_format_is_refused_with_the_choices() -> None:
    with pytest.raises(AdapterError, match="unknown format 'xml'.*soda, geojson, csv, eido, json"):
        parse_payload(b"<a/>", "xml", CAD)


def test_bad_zone_or_kind_fail_once_not_per_row() -> None:
    data = "id,time\n1,2024-05-01 10:00\n"
    with pytest.raises(AdapterError, match="unknown time zone 'Mars/Olympus'"):
        parse_payload(data, "csv", FeedContext(source="t", kind="cad", timezone="Mars/Olympus"))
    with pytest.raises(AdapterError, match="unknown kind 'drone'"):
        parse_payload(data, "csv", FeedContext(source="t", kind="drone"))


def test_iter_file_reads_gz_transparently(realdata: Path, tmp_path: Path) -> None:
    gz = realdata / "alpr_seattle_spd_uwchr" / "spd-alpr-pub.csv.gz"
    text = iter_file(gz)
    assert text.startswith(b"zipcode|dt|location|address|device|plate_hash|lon|lat|")
    assert text == gzip.decompress(gz.read_bytes())
    renamed = tmp_path / "reads.csv"  # gzip content under a plain name is still undone
    renamed.write_bytes(gz.read_bytes()[:100_000])
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"id,time\n1,2024-05-01\n")
    assert iter_file(plain) == b"id,time\n1,2024-05-01\n"
    with pytest.raises(AdapterError, match="gzip payload is damaged or truncated"):
        iter_file(renamed)


@pytest.mark.parametrize("missing", ["NA", "N/A", "null", "NULL", "#N/A", "  ", "NaN"])
def test_missing_value_spellings_mean_no_value(missing: str) -> None:
    data = f"id,time,lat,lon,type\n1,2024-05-01 10:00,{missing},{missing},{missing}\n"
    (rec,) = parse_payload(data, "csv", CAD).records
    assert (rec["lat"], rec["lon"], rec["type"]) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/01/2024 10:00:00 AM -0500", "2024-05-01T15:00:00Z"),  # the written offset wins over the zone
        ("05/01/2024 03:00:00 PM UTC", "2024-05-01T15:00:00Z"),
        ("05/01/2024 - 10:00:00", "2024-05-01T15:00:00Z"),  # CDT
        ("2024-05-01T10:00:00", "2024-05-01T15:00:00Z"),
        ("2024-05-01T10:00:00+02:00", "2024-05-01T08:00:00Z"),
        ("1714575600", "2024-05-01T15:00:00Z"),
        ("1/15/2024 10:00", "2024-01-15T16:00:00Z"),  # CST
    ],
)
def test_time_spellings(text: str, expected: str) -> None:
    (rec,) = parse_payload(f'id,time\n1,"{text}"\n', "csv", CAD).records
    assert rec["time"] == expected


def test_invalid_times_are_rejected_with_what_was_wrong() -> None:
    data = 'id,time\n1,2024-05-01T24:30:00\n2,13/45/2024 10:00\n3,\n'
    batch = parse_payload(data, "csv", CAD)
    reasons = [reason for reason, _ in batch.rejects]
    assert reasons == [
        "time has hour 24, which is not a valid clock time: '2024-05-01T24:30:00'",
        "unrecognised time '13/45/2024 10:00' (give the feed a time_format)",
        "time is missing",
    ]


@pytest.mark.parametrize(
    ("location", "lat", "lon"),
    [
        ("POINT (-94.57 39.05)", 39.05, -94.57),
        ("SRID=4326;POINT(-94.57 39.05)", 39.05, -94.57),
        ("(39.05, -94.57)", 39.05, -94.57),
        ("1 MAIN ST\nKANSAS CITY, MO\n(39.05, -94.57)", 39.05, -94.57),  # old Socrata location text
    ],
)
def test_combined_location_columns(location: str, lat: float, lon: float) -> None:
    data = 'id,time,Location\n1,2024-05-01 10:00,"' + location + '"\n'
    (rec,) = parse_payload(data, "csv", FeedContext(source="t", kind="gunshot", timezone="UTC")).records
    assert (rec["lat"], rec["lon"]) == (lat, lon)


def test_a_location_that_is_not_a_point_is_rejected() -> None:
    data = 'id,time,Location\n1,2024-05-01 10:00,"(39.05, -94.57)"\n2,2024-05-01 10:00,somewhere\n'
    batch = parse_payload(data, "csv", FeedContext(source="t", kind="gunshot", timezone="UTC"))
    assert [r["source_id"] for r in batch.records] == ["1"]
    assert batch.rejects[0][0] == "location 'somewhere' is not a point"


def test_mapping_both_coordinates_to_one_column_reads_it_as_a_point() -> None:
    data = 'id,time,Where,Geo\n1,2024-05-01 10:00,"(1, 1)","POINT (-94.57 39.05)"\n'
    batch = parse_payload(data, "csv", FeedContext(source="t", kind="gunshot"), fields={"lat": "Geo", "lon": "Geo"})
    assert (batch.records[0]["lat"], batch.records[0]["lon"]) == (39.05, -94.57)
    assert batch.mapping["lat"] == "Geo"


def test_camera_urls_sorted_by_what_they_return_and_unusable_ones_noted() -> None:
    data = (
        "Camera ID,Name,Latitude,Longitude,URL,Feed URL\n"
        "1,North,39.05,-94.57,http://cam/1/snap.jpg,rtsp://cam/1/live\n"
        "2,South,39.05,-94.57,http://cam/2/playlist.m3u8,\n"
        "3,East,39.05,-94.57,cam3.example/snap.jpg,\n"
        "4,West,39.05,-94.57,http://cam/streams/4.jpg,\n"
    )
    cams = {r["source_id"]: r for r in parse_payload(data, "csv", FeedContext(source="t", kind="camera")).records}
    assert (cams["1"]["snapshot_url"], cams["1"]["stream_url"]) == ("http://cam/1/snap.jpg", "rtsp://cam/1/live")
    assert (cams["2"]["snapshot_url"], cams["2"]["stream_url"]) == (None, "http://cam/2/playlist.m3u8")
    assert (cams["3"]["access"], cams["3"]["narrative"]) == ("request", "unusable URL in URL: cam3.example/snap.jpg")
    assert (cams["4"]["snapshot_url"], cams["4"]["stream_url"]) == ("http://cam/streams/4.jpg", None)
