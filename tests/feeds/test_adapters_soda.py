"""SODA adapter on the real Seattle SPD 911 responses and Socrata's error bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtcc_desktop.feeds.adapters import AdapterError, Batch, parse_payload
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.validate import FeedContext

SODA = "cad_seattle_spd_911_soda_json"
SEATTLE = BBox(-122.5, 47.4, -121.9, 48.0)
CTX = FeedContext(source="spd", kind="cad", agency="SPD", timezone="America/Los_Angeles", bbox=SEATTLE)


@pytest.fixture(scope="module")
def page(realdata: Path) -> Batch:
    return parse_payload((realdata / SODA / "crimes-page.json").read_bytes(), "soda", CTX)


def test_real_page_imports_all_1000_rows(page: Batch) -> None:
    assert (len(page.records), len(page.rejects), page.duplicates) == (1000, 0, 0)
    assert page.mapping["source_id"] == "cad_event_number"
    assert page.max_updated_at is None  # this page was fetched without system fields


def test_floating_timestamps_are_read_in_the_feed_zone(page: Batch) -> None:
    rec = next(r for r in page.records if r["source_id"] == "10000246471")
    assert rec["time"] == "2010-07-18T03:50:00Z"  # 2010-07-17T20:50:00 PDT (UTC-7)
    assert (rec["lat"], rec["lon"]) == (47.658324899, -122.404612874)
    assert rec["type"] == "THEFT - MISCELLANEOUS"
    assert rec["address"] == "36XX BLOCK OF DISCOVERY PARK BLVD"
    assert rec["agency"] == "SPD" and rec["source"] == "spd"
    # SOURCE.txt: event_clearance_date 2010-07-17T19:23 .. 2010-07-19T00:28 local
    times = sorted(r["time"] for r in page.records)
    assert (times[0], times[-1]) == ("2010-07-18T02:23:00Z", "2010-07-19T07:28:00Z")


def test_bom_inside_a_value_is_not_part_of_the_id(realdata: Path) -> None:
    # SOURCE.txt: crimes-first.json has cad_cdw_id "\ufeff15736"
    batch = parse_payload((realdata / SODA / "crimes-first.json").read_bytes(), "soda", CTX, fields={"source_id": "cad_cdw_id"})
    assert [r["source_id"] for r in batch.records] == ["15736"]
    assert batch.records[0]["time"] == "2010-07-18T03:49:00Z"


@pytest.mark.parametrize(
    ("name", "message"),
    [("filtered-count.json", "Internal error"), ("filtered-first.json", r"Unrecognized arguments \[limit\]")],
)
def test_real_error_bodies_raise_with_the_server_message(realdata: Path, name: str, message: str) -> None:
    with pytest.raises(AdapterError, match=message):
        parse_payload((realdata / SODA / name).read_bytes(), "soda", CTX)


def test_code_message_error_body_raises() -> None:
    body = {"code": "query.soql.no-such-column", "error": True, "message": "No such column: foo", "data": {}}
    with pytest.raises(AdapterError, match="No such column: foo"):
        parse_payload(json.dumps(body), "soda", CTX)


def test_count_response_is_not_mistaken_for_rows(realdata: Path) -> None:
    with pytest.raises(AdapterError, match="no column found for time"):
        parse_payload((realdata / SODA / "crimes-count.json").read_bytes(), "soda", CTX)


def test_truncated_page_is_an_adapter_error(realdata: Path) -> None:
    data = (realdata / SODA / "crimes-page.json").read_bytes()
    with pytest.raises(AdapterError, match="not valid JSON.*truncated"):
        parse_payload(data[: len(data) // 2], "soda", CTX)


def test_object_instead_of_array_is_an_adapter_error(realdata: Path) -> None:
    with pytest.raises(AdapterError, match="not a JSON array"):
        parse_payload((realdata / SODA / "crimes-views.json").read_bytes(), "soda", CTX)


def test_empty_page_is_an_empty_batch() -> None:
    batch = parse_payload(b"[]", "soda", CTX)
    assert (batch.records, batch.rejects, batch.max_updated_at) == ([], [], None)


def row(i: str, updated: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {":id": f"row-{i}", ":updated_at": updated, "event_clearance_date": "2024-05-01T10:00:00.000",
                               "event_clearance_description": "THEFT", "location": {"type": "Point", "coordinates": [-122.33, 47.61]}}
    base.update(extra)
    return base


def test_system_fields_give_cursor_and_last_resort_id() -> None:
    rows = [
        row("a", "2024-05-01T17:00:05.000Z"),
        row("b", "2024-05-01T17:00:09.123Z", event_clearance_date="garbage"),  # rejected, still seen
        row("c", "2024-05-01T17:00:09.000Z"),
    ]
    batch = parse_payload(json.dumps(rows), "soda", CTX)
    assert batch.max_updated_at == "2024-05-01T17:00:09.123Z"
    assert [r["source_id"] for r in batch.records] == ["row-a", "row-c"]
    assert batch.records[0]["time"] == "2024-05-01T17:00:00Z"
    assert (batch.records[0]["lat"], batch.records[0]["lon"]) == (47.61, -122.33)  # Point is [lon, lat]
    assert "unrecognised time 'garbage'" in batch.rejects[0][0]


def test_point_objects_with_bad_coordinates_are_rejected_truthfully() -> None:
    rows = [
        row("s", "2024-05-01T17:00:00.000Z", location={"type": "Point", "coordinates": [47.61, -122.33]}),  # lat/lon order
        row("z", "2024-05-01T17:00:00.000Z", location={"type": "Point", "coordinates": [0, 0]}),
        row("l", "2024-05-01T17:00:00.000Z", location={"type": "LineString", "coordinates": [[0, 0], [1, 1]]}),
        row("o", "2024-05-01T17:00:00.000Z", location={"latitude": "45.52", "longitude": "-122.68"}),  # Portland
    ]
    batch = parse_payload(json.dumps(rows), "soda", CTX)
    reasons = {raw[":id"]: reason for reason, raw in batch.rejects}
    assert "swapped" in reasons["row-s"]
    assert "(0,0)" in reasons["row-z"]
    assert "LineString, not a Point" in reasons["row-l"]
    assert "outside the service area" in reasons["row-o"]
    assert batch.records == []


def test_duplicate_ids_in_a_page_keep_the_last() -> None:
    rows = [
        row("x", "2024-05-01T17:00:00.000Z", cad_event_number="E1", event_clearance_description="PROWLER"),
        row("y", "2024-05-01T17:00:01.000Z", cad_event_number="E1", event_clearance_description="BURGLARY"),
    ]
    batch = parse_payload(json.dumps(rows), "soda", CTX)
    assert [(r["source_id"], r["type"]) for r in batch.records] == [("E1", "BURGLARY")]
    assert batch.duplicates == 1


def test_script_in_text_stays_text() -> None:
    evil = "<img src=x onerror=alert(1)><script>steal()</script>"
    batch = parse_payload(json.dumps([row("h", "2024-05-01T17:00:00.000Z", hundred_block_location=evil)]), "soda", CTX)
    assert batch.records[0]["address"] == evil
