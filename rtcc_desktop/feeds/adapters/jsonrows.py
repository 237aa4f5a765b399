"""Plain JSON: an array of objects, an envelope around one, or a nested registry.

Shapes read: ``[{...}, ...]``; ``{"data": [...]}`` (also ``records``,
``items``, ``results``, ``rows``, ``value``, ``cameras``); a single object;
and registries grouped by region such as OpenTrafficCamMap's
``{state: {county: [camera, ...]}}``, whose group names become the record's
``@region`` ("Mobile, Alabama").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rtcc_desktop.feeds.adapters.batch import Batch, Row, assemble
from rtcc_desktop.feeds.adapters.columns import REGION, build_plan
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.payload import server_error
from rtcc_desktop.model.validate import FeedContext

ENVELOPES = ("data", "records", "items", "results", "rows", "value", "result", "cameras", "incidents", "features")
MAX_DEPTH = 6


def parse(obj: Any, ctx: FeedContext, fields: dict[str, str] | None) -> Batch:
    """Rows of a plain-JSON payload as a :class:`Batch`."""
    message = server_error(obj)
    if message:
        raise AdapterError(f"server returned an error instead of data: {message}")
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        from rtcc_desktop.feeds.adapters import geojson  # a GeoJSON file named .json

        return geojson.parse(obj, ctx, fields)
    rows = list(rows_of(obj))
    return from_objects(rows, ctx, fields)


def from_objects(rows: list[Row], ctx: FeedContext, fields: dict[str, str] | None, *, updated_key: str | None = None,
                 extra_id: str | None = None) -> Batch:
    """Plan the columns over all rows, then assemble; ``extra_id`` is an id column of last resort."""
    columns = column_union(rows)
    plan = build_plan(ctx.kind, columns, [r.values for r in rows if not r.problem], fields)
    if extra_id and "source_id" not in plan.columns and extra_id in columns:
        plan.columns["source_id"] = [extra_id]
    return assemble(rows, plan, ctx, updated_key=updated_key)


def rows_of(obj: Any) -> Iterator[Row]:
    """Every record object in the payload, flattened, with non-objects flagged."""
    if isinstance(obj, list):
        if obj and not any(isinstance(x, dict) for x in obj):
            raise AdapterError(f"JSON array holds {type(obj[0]).__name__} values, not objects (records)")
        for item in obj:
            yield _row(item, None)
        return
    if not isinstance(obj, dict):
        raise AdapterError(f"JSON payload is a {type(obj).__name__}, not an array of objects")
    for key in ENVELOPES:
        if isinstance(obj.get(key), list):
            yield from rows_of(obj[key])
            return
    if obj and all(isinstance(v, (dict, list)) for v in obj.values()):
        found = False
        for item, path in _walk(obj, [], 0):
            found = True
            yield _row(item, path)
        if not found:
            raise AdapterError("JSON payload holds no records (no array of objects inside it)")
        return
    yield _row(obj, None)


def _walk(obj: Any, path: list[str], depth: int) -> Iterator[tuple[Any, list[str]]]:
    if depth > MAX_DEPTH:
        raise AdapterError(f"JSON payload is nested more than {MAX_DEPTH} levels deep")
    if isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict) and not _is_container(item):
                yield item, path
            elif isinstance(item, (dict, list)):
                yield from _walk(item, path, depth + 1)
            else:
                yield item, path
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, (dict, list)):
                yield from _walk(value, path + [str(key)], depth + 1)


def _is_container(obj: dict[str, Any]) -> bool:
    return bool(obj) and all(isinstance(v, list) and v and all(isinstance(x, dict) for x in v) for v in obj.values())


def _row(item: Any, path: list[str] | None) -> Row:
    if not isinstance(item, dict):
        return Row(item, {}, f"record is a {type(item).__name__}, not an object")
    values = flatten(item)
    if path:
        values[REGION] = ", ".join(reversed(path))
    return Row(item, values)


def flatten(obj: dict[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects as dotted columns; location-like objects stay whole for point parsing."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and not is_pointish(value) and depth < MAX_DEPTH:
            out.update(flatten(value, name, depth + 1))
        else:
            out[name] = value
    return out


def is_pointish(obj: dict[str, Any]) -> bool:
    """A GeoJSON geometry or a ``{latitude, longitude}`` object."""
    keys = {str(k).lower() for k in obj}
    return ("type" in keys and "coordinates" in keys) or {"latitude", "longitude"} <= keys or (
        "lat" in keys and bool(keys & {"lon", "lng"})
    )


def column_union(rows: list[Row]) -> list[str]:
    """Every column seen in any row, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row.values:
            seen.setdefault(key, None)
    return list(seen)
