"""GeoJSON FeatureCollection: the geometry is the location, properties the rest.

Point coordinates are ``[lon, lat]`` (RFC 7946); they are used unless the
feed's ``fields`` map ``lat``/``lon`` to properties. A feature whose geometry
is not a point is rejected with that reason; a collection declared in a
projected CRS is refused as a whole, since its numbers are not degrees.
"""

from __future__ import annotations

from typing import Any

from rtcc_desktop.feeds.adapters.batch import Batch, Row, assemble
from rtcc_desktop.feeds.adapters.columns import GEOMETRY, build_plan
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.jsonrows import column_union, flatten
from rtcc_desktop.feeds.adapters.payload import server_error
from rtcc_desktop.model.validate import FeedContext

_WGS84_NAMES = ("crs84", "4326", "wgs84", "wgs 84")


def parse(obj: Any, ctx: FeedContext, fields: dict[str, str] | None) -> Batch:
    """Features of a FeatureCollection as a :class:`Batch`."""
    message = server_error(obj)
    if message:
        raise AdapterError(f"server returned an error instead of GeoJSON: {message}")
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        what = obj.get("type") if isinstance(obj, dict) and isinstance(obj.get("type"), str) else type(obj).__name__
        raise AdapterError(f"GeoJSON payload is not a FeatureCollection (got {str(what)[:40]})")
    features = obj.get("features")
    if not isinstance(features, list):
        raise AdapterError("GeoJSON FeatureCollection has no 'features' array")
    _check_crs(obj.get("crs"))
    rows = [_row(f) for f in features]
    plan = build_plan(ctx.kind, column_union(rows), [r.values for r in rows if not r.problem], fields, point=GEOMETRY)
    return assemble(rows, plan, ctx)


def _row(feature: Any) -> Row:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return Row(feature, {}, "item in 'features' is not a GeoJSON Feature")
    props = feature.get("properties")
    values = flatten(props) if isinstance(props, dict) else {}
    if "id" in feature and "id" not in values:
        values["id"] = feature["id"]
    values[GEOMETRY] = feature.get("geometry")
    return Row(feature, values)


def _check_crs(crs: Any) -> None:
    if not isinstance(crs, dict):
        return
    props = crs.get("properties")
    name = str(props.get("name", "")) if isinstance(props, dict) else ""
    if name and not any(tag in name.lower() for tag in _WGS84_NAMES):
        raise AdapterError(f"GeoJSON coordinates are in {name[:80]}, not WGS84 longitude/latitude; re-export as EPSG:4326")
