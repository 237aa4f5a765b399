"""CSV adapter on the real CAD, gunshot, ALPR and camera exports, plus hostile files.

Expected times are worked out by hand from the source text and the feed's
zone (e.g. 11:58:30 PM PDT = 06:58:30Z next day).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path

import pytest

from rtcc_desktop.feeds.adapters import AdapterError, Batch, iter_file, parse_payload
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.validate import FeedContext

SEATTLE = BBox(-122.5, 47.4, -121.9, 48.0)
DC = BBox(-77.2, 38.75, -76.85, 39.05)
KC = BBox(-94.8, 38.8, -94.3, 39.4)

SPD_CSV = "cad_seattle_spd_911_csv/Seattle_Police_Department_911_Incident_Response.csv"
FIRE_CSV = "cad_seattle_fire_911_csv/Seattle_Real_Time_Fire_911_Calls_MVA_subset.csv"
DC_CSV = "gunshot_dc_shotspotter_foia/dc_shotspotter_2006_2013.csv"
KC_CSV = "gunshot_kansascity_shotspotter_foia/kansas-city-shotspotter-activations.csv"
ALPR_GZ = "alpr_seattle_spd_uwchr/spd-alpr-pub.csv.gz"
AUSTIN_CSV = "cameras_austin_tx_csv/Traffic_Cameras.csv"
CALGARY_CSV = "cameras_calgary_csv/Traffic_Cameras.csv"


def ctx(kind: str, tz: str | None = None, bbox: BBox | None = None, **kw: object) -> FeedContext:
    return FeedContext(source="test", kind=kind, timezone=tz, bbox=bbox, **kw)  # type: ignore[arg-type]


def by_id(batch: Batch) -> dict[str, dict]:
    return {r["source_id"]: r for r in batch.records}


def read_rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    """The file as plain dicts, read independently of the adapter."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


# ----------------------------------------------------------------- real CAD files


@pytest.fixture(scope="module")
def spd(realdata: Path) -> Batch:
    return parse_payload(iter_file(realdata / SPD_CSV), "csv", ctx("cad", "America/Los_Angeles", SEATTLE))


def test_seattle_spd_csv_imports_every_row_in_utc(spd: Batch) -> None:
    assert (len(spd.records), len(spd.rejects)) == (706, 0)
    rec = by_id(spd)["16000104006"]  # first data line: 03/25/2016 11:58:30 PM, PDT (UTC-7)
    assert rec["time"] == "2016-03-26T06:58:30Z"
    assert (rec["lat"], rec["lon"]) == (47.598347, -122.32245)
    assert rec["type"] == "THEFT - CAR PROWL"
    assert rec["address"] == "S KING ST / 8 AV S"
    # the clearance time, not the often-empty 'At Scene Time', is the record's time
    assert spd.mapping["time"] == "Event Clearance Date"
    assert min(r["time"] for r in spd.records) == "2016-03-25T07:00:16Z"


@pytest.fixture(scope="module")
def fire(realdata: Path) -> Batch:
    return parse_payload(iter_file(realdata / FIRE_CSV), "csv", ctx("cad", "America/Los_Angeles", SEATTLE))


def test_seattle_fire_rejects_exactly_the_hour_24_times(fire: Batch, realdata: Path) -> None:
    # SOURCE.txt: 25 Datetime values like ' 2011-10-24T24:22:00+0000' (hour 24)
    assert len(fire.rejects) == 25
    assert all("has hour 24" in reason for reason, _ in fire.rejects)
    assert {raw["Datetime"].strip()[11:13] for _, raw in fire.rejects} == {"24"}


def test_seattle_fire_honours_the_utc_offset_written_in_the_file(fire: Batch) -> None:
    # '11/09/2011 10:04:00 PM +0000' is already UTC: the feed's zone must not shift it again
    assert by_id(fire)["F110104134"]["time"] == "2011-11-09T22:04:00Z"


def test_seattle_fire_keeps_one_record_per_incident_and_rows_without_coordinates(fire: Batch, realdata: Path) -> None:
    rows = [r for r in read_rows(realdata / FIRE_CSV) if "T24:" not in r["Datetime"]]
    numbered = {r["Incident Number"] for r in rows if r["Incident Number"]}
    unnumbered = {(r["Datetime"], r["Type"], r["Address"], r["Latitude"], r["Longitude"]) for r in rows if not r["Incident Number"]}
    assert len(fire.records) == len(numbered) + len(unnumbered)
    assert fire.duplicates == len(rows) - len(fire.records) > 0  # exact repeats of one incident, e.g. F110092350 x8
    assert len(fire.records) + len(fire.rejects) + fire.duplicates == 13771
    # 25 rows have no Latitude/Longitude (their 'Report Location' is the (0, 0) placeholder):
    # a CAD call without a place is still a call, stored without a location
    no_place = [r for r in fire.records if r["lat"] is None]
    assert by_id(fire)["F110118532"]["lat"] is None
    assert 0 < len(no_place) <= 25


# ------------------------------------------------------------- real gunshot files


@pytest.fixture(scope="module")
def dc(realdata: Path) -> Batch:
    return parse_payload(iter_file(realdata / DC_CSV), "csv", ctx("gunshot", "America/New_York", DC))


def test_dc_shotspotter_rejects_only_the_null_island_row(dc: Batch) -> None:
    assert (len(dc.records), len(dc.rejects)) == (39065, 1)
    reason, raw = dc.rejects[0]
    assert raw["Incident ID"] == "49-49693"
    assert "(0,0)" in reason and "missing-value" in reason


def test_dc_shotspotter_times_follow_eastern_daylight_saving(dc: Batch) -> None:
    recs = by_id(dc)
    assert recs["53-3"]["time"] == "2006-01-27T08:35:11Z"  # 03:35:11.313 EST (UTC-5)
    assert recs["51-13393"]["time"] == "2010-07-01T05:55:24Z"  # 01:55:24.29 EDT (UTC-4)
    assert (recs["53-3"]["lat"], recs["53-3"]["lon"]) == (38.861, -77.001)
    assert recs["53-3"]["type"] == "Single Gunshot"


@pytest.fixture(scope="module")
def kc(realdata: Path) -> Batch:
    return parse_payload(iter_file(realdata / KC_CSV), "csv", ctx("gunshot", "America/Chicago", KC))


def test_kansas_city_combines_separate_date_and_time_columns(kc: Batch) -> None:
    assert kc.mapping["time"] == "Date + Time"
    recs = by_id(kc)
    assert recs["816-65422"]["time"] == "2016-01-01T06:08:22Z"  # 1/1/2016 0:08:22 CST (UTC-6)
    assert recs["816-189252"]["time"] == "2020-07-04T05:01:05Z"  # 7/4/2020 0:01:05 CDT (UTC-5)


def test_kansas_city_rejects_the_row_whose_columns_are_shifted(kc: Batch) -> None:
    # SOURCE.txt: one row has Latitude=-94.559 and no Longitude: its District value is
    # missing, so every later value moved one column left
    assert (len(kc.records), len(kc.rejects)) == (9648, 1)
    reason, raw = kc.rejects[0]
    assert raw["Respond ID"] == "816-137108"
    assert "7 fields" in reason and "header has 8" in reason


# ------------------------------------------------------------------- real ALPR file


@pytest.fixture(scope="module")
def alpr(realdata: Path) -> Batch:
    return parse_payload(iter_file(realdata / ALPR_GZ), "csv", ctx("alpr", "America/Los_Angeles", SEATTLE))


def test_alpr_gz_pipe_file_imports_every_read(alpr: Batch, realdata: Path) -> None:
    assert (len(alpr.records), len(alpr.rejects), alpr.duplicates) == (93490, 0, 0)
    assert alpr.mapping["plate"] == "plate_hash" and alpr.mapping["camera"] == "device"
    first = alpr.records[0]  # 10/07/2021 - 16:30:51, PDT
    assert first["time"] == "2021-10-07T23:30:51Z"
    assert first["plate"] == "1EA44336207B9A32FBD46CED905E9BDC3DC7045E"
    assert first["camera"] == "SPD2020621MDC"
    assert (first["lat"], first["lon"]) == (47.8128394, -122.2948006)
    assert first["address"] == "I-5 N Alderwood Manor WA 98036 United States"


def test_alpr_na_means_no_location_not_a_bad_number(alpr: Batch) -> None:
    # SOURCE.txt: 24,705 reads have no address/lat/lon (written 'NA' by R)
    unplaced = [r for r in alpr.records if r["lat"] is None]
    assert len(unplaced) == 24705
    assert all(r["lon"] is None and r["address"] is None for r in unplaced)


# ----------------------------------------------------------------- real camera files


def test_austin_cameras_reject_the_ones_not_in_service(realdata: Path) -> None:
    batch = parse_payload(iter_file(realdata / AUSTIN_CSV), "csv", ctx("camera"))
    assert (len(batch.records), len(batch.rejects)) == (413, 99)
    statuses = Counter(raw["Camera Status"] for _, raw in batch.rejects)
    assert statuses == {"DESIRED": 95, "REMOVED": 3, "VOID": 1}  # SOURCE.txt's counts
    assert all("not in service" in reason for reason, _ in batch.rejects)
    cam = by_id(batch)["134"]
    assert cam["name"] == "6TH ST / RED RIVER ST"
    assert (cam["lat"], cam["lon"]) == (30.2664757, -97.7371902)
    assert cam["snapshot_url"] == "http://162.89.4.145/CCTVImages/CCTV134.jpg"
    assert cam["access"] == "live" and cam["ownership"] == "public"


def test_calgary_cameras_read_wkt_points_and_labelled_urls(realdata: Path) -> None:
    batch = parse_payload(iter_file(realdata / CALGARY_CSV), "csv", ctx("camera", bbox=BBox(-114.4, 50.8, -113.8, 51.3)))
    assert (len(batch.records), len(batch.rejects)) == (137, 0)
    cam = next(r for r in batch.records if r["name"] == "Camera 30")
    # 'POINT (-113.958331 50.9504395)' is WKT: longitude first
    assert (cam["lat"], cam["lon"]) == (50.9504395, -113.958331)
    assert cam["snapshot_url"] == "http://trafficcam.calgary.ca/loc29.jpg"
    assert cam["address"] == "114 Avenue / 52 Street SE"


# -------------------------------------------------------------- hostile hand-made files


def cad_csv(*rows: str, header: str = "Incident Number,Datetime,Type,Address,Latitude,Longitude,Notes") -> str:
    return "\n".join((header,) + rows) + "\n"


SEATTLE_CTX = ctx("cad", "America/Los_Angeles", SEATTLE)


def test_renamed_columns_are_still_found(realdata: Path) -> None:
    text = (realdata / SPD_CSV).read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    head = head.replace("Latitude", "LAT").replace("Longitude", "lng").replace("Event Clearance Date", "event_clearance_date ")
    batch = parse_payload(head + "\n" + rest, "csv", SEATTLE_CTX)
    assert (len(batch.records), len(batch.rejects)) == (706, 0)
    assert by_id(batch)["16000104006"]["lat"] == 47.598347


def test_unrecognisable_time_column_is_a_clear_error_not_706_rejects(realdata: Path) -> None:
    text = (realdata / SPD_CSV).read_text(encoding="utf-8")
    renamed = text.replace("Event Clearance Date", "Cleared", 1).replace("At Scene Time", "On Scene", 1)
    with pytest.raises(AdapterError, match=r"no column found for time.*'Cleared'"):
        parse_payload(renamed, "csv", SEATTLE_CTX)
    fixed = parse_payload(renamed, "csv", SEATTLE_CTX, fields={"time": "Cleared"})
    assert by_id(fixed)["16000104006"]["time"] == "2016-03-26T06:58:30Z"


def test_mapped_column_missing_from_the_data_names_field_column_and_choices() -> None:
    data = cad_csv("A1,2024-05-01 10:00:00,THEFT,1 MAIN ST,47.6,-122.3,")
    with pytest.raises(AdapterError) as err:
        parse_payload(data, "csv", SEATTLE_CTX, fields={"time": "Original Time Queued"})
    msg = str(err.value)
    assert "'time'" in msg and "'Original Time Queued'" in msg and "'Datetime'" in msg and "'Address'" in msg


def test_mapping_is_case_and_space_insensitive_and_overrides_detection() -> None:
    data = cad_csv("A1,2024-05-01 10:00:00,THEFT,1 MAIN ST,47.6,-122.3,call back",
                   header="Incident Number,Datetime,Type,Address,Latitude,Longitude,Final Type")
    batch = parse_payload(data, "csv", SEATTLE_CTX, fields={"type": "final type", "narrative": "TYPE"})
    rec = batch.records[0]
    assert (rec["type"], rec["narrative"]) == ("call back", "THEFT")


def test_unknown_field_in_mapping_is_refused() -> None:
    with pytest.raises(AdapterError, match="'plate' is not a cad field"):
        parse_payload(cad_csv("A1,2024-05-01 10:00:00,T,A,47.6,-122.3,"), "csv", SEATTLE_CTX, fields={"plate": "Type"})


def test_bad_coordinates_are_rejected_with_the_true_reason() -> None:
    data = cad_csv(
        "S1,2024-05-01 10:00:00,THEFT,1 MAIN ST,-122.33,47.61,",  # swapped
        "Z1,2024-05-01 10:00:00,THEFT,1 MAIN ST,0,0,",  # null island
        "O1,2024-05-01 10:00:00,THEFT,1 MAIN ST,40.71,-74.0,",  # New York, outside Seattle
        "W1,2024-05-01 10:00:00,THEFT,1 MAIN ST,47.61,122.33,",  # sign lost
        "G1,2024-05-01 10:00:00,THEFT,1 MAIN ST,47.61,-122.33,",  # good
    )
    batch = parse_payload(data, "csv", SEATTLE_CTX)
    reasons = {raw["Incident Number"]: reason for reason, raw in batch.rejects}
    assert "swapped" in reasons["S1"]
    assert "(0,0)" in reasons["Z1"]
    assert "outside the service area" in reasons["O1"] and "swapped" not in reasons["O1"]
    assert "wrong sign" in reasons["W1"]
    assert [r["source_id"] for r in batch.records] == ["G1"]


def test_duplicate_ids_keep_the_last_row() -> None:
    data = cad_csv(
        "D1,2024-05-01 10:00:00,PROWLER,1 MAIN ST,47.61,-122.33,first",
        "D2,2024-05-01 10:01:00,THEFT,2 MAIN ST,47.61,-122.33,",
        "D1,2024-05-01 10:05:00,BURGLARY,1 MAIN ST,47.61,-122.33,updated",
    )
    batch = parse_payload(data, "csv", SEATTLE_CTX)
    assert [r["source_id"] for r in batch.records] == ["D2", "D1"]
    assert (by_id(batch)["D1"]["type"], by_id(batch)["D1"]["narrative"]) == ("BURGLARY", "updated")
    assert batch.duplicates == 1


def test_script_in_a_narrative_stays_plain_text() -> None:
    evil = '"<script>alert(\'x\')</script> caller says ""help"""'
    batch = parse_payload(cad_csv(f"X1,2024-05-01 10:00:00,WELFARE,1 MAIN ST,47.61,-122.33,{evil}"), "csv", SEATTLE_CTX)
    assert batch.records[0]["narrative"] == "<script>alert('x')</script> caller says \"help\""


def test_bom_at_file_start_is_tolerated(realdata: Path) -> None:
    data = b"\xef\xbb\xbf" + (realdata / KC_CSV).read_bytes()
    batch = parse_payload(data, "csv", ctx("gunshot", "America/Chicago", KC))
    assert batch.mapping["type"] == "Type"
    assert (len(batch.records), len(batch.rejects)) == (9648, 1)


@pytest.mark.parametrize("delim", ["\t", ";", "|"])
def test_delimiter_is_sniffed(delim: str) -> None:
    data = cad_csv("T1,05/01/2024 10:00:00 AM,THEFT,\"1 MAIN ST, APT 2\",47.61,-122.33,").replace(",", delim)
    batch = parse_payload(data, "csv", SEATTLE_CTX)
    rec = batch.records[0]
    assert (rec["source_id"], rec["time"], rec["lat"]) == ("T1", "2024-05-01T17:00:00Z", 47.61)


def test_explicit_delimiter_wins_over_sniffing() -> None:
    data = "id,Datetime,Type\nA,2024-05-01 10:00,x;y;z\nB,2024-05-01 11:00,p;q\n"
    assert parse_payload(data, "csv", ctx("cad")).records[0]["type"] == "x;y;z"
    batch = parse_payload(data.replace(",", "|"), "csv", ctx("cad"), delimiter="pipe")
    assert (batch.records[0]["type"], batch.records[0]["time"]) == ("x;y;z", "2024-05-01T10:00:00Z")
    with pytest.raises(AdapterError, match="one character"):
        parse_payload(data, "csv", ctx("cad"), delimiter=";;")


def test_gzip_bytes_and_utf16_text_are_read(realdata: Path) -> None:
    plain = (realdata / CALGARY_CSV).read_bytes()
    expected = len(parse_payload(plain, "csv", ctx("camera")).records)
    assert len(parse_payload(gzip.compress(plain), "csv", ctx("camera")).records) == expected == 137
    utf16 = plain.decode("utf-8").encode("utf-16")
    assert len(parse_payload(utf16, "csv", ctx("camera")).records) == 137


def test_binary_garbage_is_an_adapter_error() -> None:
    with pytest.raises(AdapterError, match="binary"):
        parse_payload(bytes(range(256)) * 4, "csv", SEATTLE_CTX)


def test_truncated_gzip_is_an_adapter_error(realdata: Path) -> None:
    data = (realdata / ALPR_GZ).read_bytes()[:5000]
    with pytest.raises(AdapterError, match="gzip"):
        parse_payload(data, "csv", ctx("alpr"))


def test_unbalanced_quote_is_an_adapter_error_with_a_line_number() -> None:
    data = cad_csv('Q1,2024-05-01 10:00:00,THEFT,"1 MAIN ST,47.61,-122.33,') + ("x" * 200_000) + "\n"
    with pytest.raises(AdapterError, match="line"):
        parse_payload(data, "csv", SEATTLE_CTX)


def test_header_only_and_empty_payloads_give_empty_batches() -> None:
    assert parse_payload(cad_csv(), "csv", SEATTLE_CTX).records == []
    assert parse_payload("", "csv", SEATTLE_CTX).records == []


def test_alpr_rows_need_a_plate_and_report_it() -> None:
    data = "Plate,Read Time,Camera,Lat,Lon\nABC-123,2024-05-01 10:00:00,CAM 1,47.6,-122.3\n,2024-05-01 10:01:00,CAM 1,47.6,-122.3\n"
    batch = parse_payload(data, "csv", ctx("alpr", "America/Los_Angeles"))
    assert [r["plate"] for r in batch.records] == ["ABC123"]
    assert [reason for reason, _ in batch.rejects] == ["plate is missing"]


def test_a_feed_time_format_is_used_as_given() -> None:
    data = "id,when,lat,lon\nA,01.05.2024 10:00,47.6,-122.3\nB,2024-05-01 10:00,47.6,-122.3\n"
    batch = parse_payload(data, "csv", ctx("gunshot", "Europe/Berlin", time_format="%d.%m.%Y %H:%M"))
    assert batch.records[0]["time"] == "2024-05-01T08:00:00Z"
    assert len(batch.rejects) == 1 and "does not match format" in batch.rejects[0][0]


def test_text_csv_round_trip_keeps_raw_row_for_rejects() -> None:
    data = cad_csv("R1,not a time,THEFT,1 MAIN ST,47.61,-122.33,")
    batch = parse_payload(data, "csv", SEATTLE_CTX)
    reason, raw = batch.rejects[0]
    assert "unrecognised time 'not a time'" in reason
    assert raw == dict(zip(next(csv.reader(io.StringIO(cad_csv()))), ["R1", "not a time", "THEFT", "1 MAIN ST", "47.61", "-122.33", ""]))
