"""EIDO adapter on NENA's published sample EIDOs, plus hostile ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.feeds.adapters import AdapterError, parse_payload
from rtcc_desktop.model.validate import FeedContext

SAMPLES = "schema_nena_eido_json/Samples"
CTX = FeedContext(source="eido", kind="cad", timezone="America/New_York")


@pytest.fixture(scope="module")
def transfer(realdata: Path) -> dict[str, Any]:
    return json.loads((realdata / SAMPLES / "Sample call transfer EIDO.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def older(realdata: Path) -> dict[str, Any]:
    return json.loads((realdata / SAMPLES / "Sample_EIDO_from_commit_0a0f33a7.json").read_text(encoding="utf-8"))


def test_call_transfer_sample(realdata: Path) -> None:
    batch = parse_payload((realdata / SAMPLES / "Sample call transfer EIDO.json").read_bytes(), "eido", CTX)
    assert len(batch.rejects) == 0
    (rec,) = batch.records
    assert rec["source_id"] == "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us"
    assert rec["time"] == "2021-04-30T18:40:00Z"  # callStartTimestamp 14:40:00.0-04:00
    # civic address from the PIDF-LO: HNO 42, PRD W, RD Cellular, STS Street, A3 Wilmington, A1 DE
    assert rec["address"] == "42 W Cellular Street, Wilmington, DE"
    assert (rec["lat"], rec["lon"]) == (None, None)
    assert rec["agency"] == "state.pa.us"
    assert rec["type"] == "emergency"  # no incident component: the call's standard type
    assert rec["narrative"] == "This is an example text."  # the call's Comment additional data


def test_older_sample_with_capitalised_keys_and_a_gml_position(realdata: Path) -> None:
    batch = parse_payload((realdata / SAMPLES / "Sample_EIDO_from_commit_0a0f33a7.json").read_bytes(), "eido", CTX)
    (rec,) = batch.records
    assert rec["source_id"] == "urn:emergency:uid:incidentid:0:psap.allegheny.pa.us"
    assert rec["time"] == "2020-10-29T18:40:04Z"  # LastUpdateTimeStamp of the incident component
    assert (rec["lat"], rec["lon"]) == (40.441345, -80.000266)  # gml:pos is "lat lon alt"
    assert rec["type"] == "CIVIL UNREST; REQUEST MUTUAL AID"
    assert rec["priority"] == "10: VERY HIGH PRIORITY"
    assert rec["agency"] == "psap.allegheny.pa.us"  # the agency flagged as incident owner


def test_a_list_of_eidos_and_the_last_of_a_repeated_incident(transfer: dict[str, Any], older: dict[str, Any]) -> None:
    updated = copy.deepcopy(older)
    updated["incidentComponent"][0]["incidentTypeInternalText"] = "CIVIL UNREST; RESOLVED"
    batch = parse_payload(json.dumps([transfer, older, updated]), "eido", CTX)
    assert [r["type"] for r in batch.records] == ["emergency", "CIVIL UNREST; RESOLVED"]
    assert batch.duplicates == 1


def test_notes_are_kept_as_text_even_when_they_hold_script(older: dict[str, Any]) -> None:
    eido = copy.deepcopy(older)
    eido["notesComponent"] = [{"$id": "n1", "notesActionComments": "<p>caller hung up</p><script>alert(1)</script>"}]
    (rec,) = parse_payload(json.dumps(eido), "eido", CTX).records
    assert rec["narrative"] == "<p>caller hung up</p><script>alert(1)</script>"


def test_bad_position_and_missing_time_are_rejected(older: dict[str, Any]) -> None:
    zero = copy.deepcopy(older)
    zero["locationInformationComponent"][0]["locationByValue"] = "<gml:pos>0.0 0.0</gml:pos>"
    timeless = copy.deepcopy(older)
    for obj in [timeless, *timeless["incidentComponent"]]:
        obj.pop("LastUpdateTimeStamp")
    timeless["incidentTrackingIdentifier"] = "other"
    batch = parse_payload(json.dumps([zero, timeless]), "eido", CTX)
    assert batch.records == []
    assert ["(0,0)" in batch.rejects[0][0], batch.rejects[1][0]] == [True, "time is missing"]


def test_fields_may_name_a_dotted_path(older: dict[str, Any]) -> None:
    batch = parse_payload(json.dumps(older), "eido", CTX, fields={"type": "incidentComponent.incidentTypeInternalCode"})
    assert batch.records[0]["type"] == "10-101"
    with pytest.raises(AdapterError, match="'priority' is mapped to 'incidentComponent.nope'"):
        parse_payload(json.dumps(older), "eido", CTX, fields={"priority": "incidentComponent.nope"})


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ('{"eidoVersion": "1.0", "incidentComponent": {"incidentTypeCommonRegistryText": "x"', "truncated"),
        ('{"name": "not an eido"}', "no EIDO objects"),
        ('{"error": true, "message": "Unauthorized"}', "Unauthorized"),
    ],
)
def test_unusable_payloads_raise(payload: str, match: str) -> None:
    with pytest.raises(AdapterError, match=match):
        parse_payload(payload, "eido", CTX)


def test_eido_feed_must_be_cad(older: dict[str, Any]) -> None:
    with pytest.raises(AdapterError, match="kind = cad"):
        parse_payload(json.dumps(older), "eido", FeedContext(source="e", kind="gunshot"))
