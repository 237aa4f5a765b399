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

import bisect
import csv
import io
import json
import math
import re
import threading
import weakref
from datetime import datetime, timezone
from typing import Any

from rtcc_desktop.sim.events import Timeline, soda_fixed, soda_floating, utc_iso
from rtcc_desktop.sim.registry import Registry
from rtcc_desktop.sim.soda import DEFAULT_LIMIT, MAX_LIMIT, SodaError, fixed_literal, run_query

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


#: The keyset filter a syncing client sends (see feeds/sync.py soda_params).
_KEYSET = re.compile(r":updated_at > '((?:[^']|'')*)' OR \(:updated_at = '((?:[^']|'')*)' AND :id > '((?:[^']|'')*)'\)")
_SINCE = re.compile(r":updated_at >= '((?:[^']|'')*)'")
_KEYSET_ORDER = [":updated_at", ":id"]


class _Published:
    """The CAD rows published in one clock second, sorted by (:updated_at, :id), shared by requests.

    Rows only change when the clock passes a whole second (event and update
    times are whole seconds), so a full sync's pages reuse one build instead
    of rebuilding and sorting every row per page (a real SODA server answers
    a keyset page from an index, too).
    """

    def __init__(self, second: int, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
        self.second = second
        self.rows = sorted(rows, key=lambda r: (r[":updated_at"], r[":id"]))
        self.keys = [(r[":updated_at"], r[":id"]) for r in self.rows]
        self.columns = columns


_PUBLISHED: weakref.WeakKeyDictionary[Timeline, _Published] = weakref.WeakKeyDictionary()
_PUBLISHED_LOCK = threading.Lock()


def _published(timeline: Timeline, now: float) -> _Published:
    second = math.floor(now)
    with _PUBLISHED_LOCK:
        hit = _PUBLISHED.get(timeline)
        if hit is not None and hit.second == second:
            return hit
    rows, columns = cad_rows(timeline, second, {})
    built = _Published(second, rows, columns)
    with _PUBLISHED_LOCK:
        _PUBLISHED[timeline] = built
    return built


def _unquote(text: str) -> str:
    return text.replace("''", "'")


def _keyset_page(timeline: Timeline, now: float, params: dict[str, str]) -> list[dict[str, Any]] | None:
    """The page for a plain keyset query, found by bisection; None when the query is anything else."""
    allowed = {"$select", "$order", "$limit", "$where", "$$app_token", "$$exclude_system_fields"}
    if set(params) - allowed or [c.strip() for c in params.get("$order", "").split(",")] != _KEYSET_ORDER:
        return None
    where = params.get("$where", "").strip()
    try:
        limit = min(int(params.get("$limit", DEFAULT_LIMIT)), MAX_LIMIT)
        if limit < 0:
            return None
        pub = _published(timeline, now)
        if not where:
            start = 0
        elif m := _KEYSET.fullmatch(where):
            at, at2, row_id = (_unquote(g) for g in m.groups())
            if at != at2:
                return None
            start = bisect.bisect_right(pub.keys, (fixed_literal(at), row_id))
        elif m := _SINCE.fullmatch(where):
            start = bisect.bisect_left(pub.keys, (fixed_literal(_unquote(m.group(1))), ""))
        else:
            return None
    except (ValueError, SodaError):
        return None  # the general path answers with the proper error
    rest = {k: v for k, v in params.items() if k != "$where"}
    return run_query(pub.rows[start : start + limit], rest, pub.columns)


def cad_body(timeline: Timeline, now: float, params: dict[str, str], renames: dict[str, str], dup: bool) -> bytes:
    """The SODA response for ``params`` (raises :class:`~rtcc_desktop.sim.soda.SodaError`)."""
    page = None if renames else _keyset_page(timeline, now, params)
    if page is None:
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
