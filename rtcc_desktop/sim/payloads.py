"""Feed bodies exactly as the simulator serves them, built from the timeline.

Kept apart from the HTTP code so the field names of every feed are in one
place. Field names (the contract with ``feeds_toml()``):

- CAD (SODA JSON): ``incident_number, call_type, priority, address, narrative,
  datetime, latitude, longitude, agency`` plus system fields ``:id,
  :created_at, :updated_at``. Numbers are strings and nulls are left out, as
  Socrata does; ``datetime`` is a floating timestamp in America/Chicago.
- Gunshots (GeoJSON): properties ``id, time, rounds, type, agency``.
- ALPR (JSON array): ``read_id, plate, state, read_time, lat, lon,
  camera_id, agency``.
- Cameras (GeoJSON): properties ``id, name, owner, contact, ownership,
  access, heading, fov_deg, range_m, address, agency, stream_url,
  substream_url, snapshot_url``.
- Hot list (CSV): ``plate, state, reason, expiry``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from typing import Any

from rtcc_desktop.sim.events import Timeline, soda_fixed, soda_floating, utc_iso
from rtcc_desktop.sim.registry import Registry
from rtcc_desktop.sim.soda import MAX_LIMIT, run_query

CAD_COLUMNS = ("incident_number", "call_type", "priority", "address", "narrative", "datetime", "latitude", "longitude", "agency")
GUNSHOT_PROPERTIES = ("id", "time", "rounds", "type", "agency")
ALPR_FIELDS = ("read_id", "plate", "state", "read_time", "lat", "lon", "camera_id", "agency")
CAMERA_PROPERTIES = (
    "id", "name", "owner", "contact", "ownership", "access", "heading", "fov_deg", "range_m",
    "address", "agency", "stream_url", "substream_url", "snapshot_url",
)
HOTLIST_FIELDS = ("plate", "state", "reason", "expiry")


class BadRequest(ValueError):
    """A query parameter the simulator cannot use (answered with 400)."""


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_since(value: str | None) -> float | None:
    """``since`` as epoch seconds; naive times are UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"since: {value!r} is not an ISO 8601 time (e.g. 2024-05-01T18:00:00Z)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def rename(row: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """The ``rename_field`` fault: the same row with some keys under new names."""
    return {renames.get(k, k): v for k, v in row.items()} if renames else row


def duplicate(rows: list[Any]) -> list[Any]:
    """Every 5th row twice, next to itself (the ``duplicate_rows`` fault)."""
    out: list[Any] = []
    for k, row in enumerate(rows):
        out.append(row)
        if k % 5 == 0:
            out.append(row)
    return out


def cad_rows(timeline: Timeline, now: float, renames: dict[str, str]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Every published CAD row at ``now`` (all columns) and the column names in use."""
    rows = []
    for inc in timeline.visible_incidents(now):
        priority, text, updated = inc.state(now)
        row: dict[str, Any] = {
            ":id": inc.row_id,
            ":created_at": soda_fixed(inc.time),
            ":updated_at": soda_fixed(updated),
            "incident_number": inc.number,
            "call_type": inc.call_type,
            "priority": str(priority),
            "address": inc.address,
            "narrative": text,
            "datetime": soda_floating(inc.time),
            "latitude": None if inc.lat is None else str(inc.lat),
            "longitude": None if inc.lon is None else str(inc.lon),
            "agency": inc.agency,
        }
        rows.append(rename(row, renames))
    columns = tuple(renames.get(c, c) for c in CAD_COLUMNS)
    return rows, columns


def cad_body(timeline: Timeline, now: float, params: dict[str, str], renames: dict[str, str], dup: bool) -> bytes:
    """The SODA response for ``params`` (raises :class:`~rtcc_desktop.sim.soda.SodaError`)."""
    rows, columns = cad_rows(timeline, now, renames)
    page = run_query(rows, params, columns)
    return dumps(duplicate(page) if dup else page)


def gunshots_body(timeline: Timeline, now: float, since: float | None, dup: bool, renames: dict[str, str]) -> bytes:
    features = []
    for g in timeline.visible_gunshots(now, since):
        features.append(
            {
                "type": "Feature",
                "id": g.id,
                "geometry": {"type": "Point", "coordinates": [g.lon, g.lat]},
                "properties": rename(
                    {
                        "id": g.id,
                        "time": utc_iso(g.time),
                        "rounds": g.rounds,
                        "type": "Single Gunshot" if g.rounds == 1 else "Multiple Gunshots",
                        "agency": g.agency,
                    },
                    renames,
                ),
            }
        )
    return dumps({"type": "FeatureCollection", "features": duplicate(features) if dup else features})


def alpr_body(
    timeline: Timeline, now: float, since: float | None, limit: int, offset: int, dup: bool, renames: dict[str, str]
) -> bytes:
    if limit < 0 or offset < 0:
        raise BadRequest("limit and offset must not be negative")
    reads = timeline.visible_reads(now, since)[offset : offset + min(limit, MAX_LIMIT)]
    rows = [
        rename(
            {
                "read_id": r.read_id,
                "plate": r.plate,
                "state": r.state,
                "read_time": utc_iso(r.time),
                "lat": r.lat,
                "lon": r.lon,
                "camera_id": r.camera_id,
                "agency": r.agency,
            },
            renames,
        )
        for r in reads
    ]
    return dumps(duplicate(rows) if dup else rows)


def cameras_body(registry: Registry, base_url: str, renames: dict[str, str]) -> bytes:
    features = []
    for cam in registry.cameras(base_url):
        features.append(
            {
                "type": "Feature",
                "id": cam["id"],
                "geometry": {"type": "Point", "coordinates": [cam["lon"], cam["lat"]]},
                "properties": rename({k: cam[k] for k in CAMERA_PROPERTIES}, renames),
            }
        )
    return dumps({"type": "FeatureCollection", "features": features})


def hotlist_body(registry: Registry) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HOTLIST_FIELDS, lineterminator="\r\n")
    w.writeheader()
    for row in registry.hotlist:
        w.writerow(row)
    return buf.getvalue().encode("utf-8")
