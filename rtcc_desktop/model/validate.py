"""Validation that every record passes before it is stored.

A row that fails is not guessed at or repaired: the reason goes to the
``rejects`` table with the raw payload, and the rest of the batch goes in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.records import (
    CAMERA_ACCESS,
    CAMERA_OWNERSHIP,
    KIND_FIELDS,
    NUMERIC_FIELDS,
    derive_source_id,
    fields_for,
)
from rtcc_desktop.model.timeutil import TimeParseError, parse_time, to_iso

#: Within this many degrees of (0, 0) a point is taken as a missing-value default.
NULL_ISLAND_DEG = 1.0
MAX_TEXT = 8000

_PLATE_STRIP = re.compile(r"[\s\-\.·]+")
_TIME_REQUIRED = {"cad", "alpr", "gunshot"}
_LOCATION_REQUIRED = {"gunshot", "camera"}


class RejectError(ValueError):
    """The row cannot be stored; ``str(err)`` is the reason shown to the user."""


@dataclass(frozen=True)
class FeedContext:
    """What a feed's configuration says about its rows."""

    source: str
    kind: str
    agency: str | None = None
    timezone: str | None = None
    bbox: BBox | None = None
    time_format: str | None = None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _number(name: str, v: Any) -> float | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        raise RejectError(f"{name} is not a number: {v!r}")
    try:
        x = float(str(v).strip()) if not isinstance(v, (int, float)) else float(v)
    except ValueError:
        raise RejectError(f"{name} is not a number: {v!r}") from None
    if math.isnan(x) or math.isinf(x):
        raise RejectError(f"{name} is not a finite number: {v!r}")
    return x


def normalise_plate(text: Any) -> str:
    """Upper-case, without spaces, dashes or dots: how plates are compared."""
    return _PLATE_STRIP.sub("", str(text)).upper()


def check_location(lat: float | None, lon: float | None, bbox: BBox | None) -> None:
    """Reject impossible, null-island, swapped or out-of-area coordinates."""
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        raise RejectError(f"only one coordinate given (lat={lat!r}, lon={lon!r})")
    if abs(lat) > 90 and abs(lon) <= 90:
        raise RejectError(f"latitude {lat} out of range: lat/lon appear swapped")
    if not (-90 <= lat <= 90):
        raise RejectError(f"latitude {lat} out of range -90..90")
    if not (-180 <= lon <= 180):
        raise RejectError(f"longitude {lon} out of range -180..180")
    if abs(lat) < NULL_ISLAND_DEG and abs(lon) < NULL_ISLAND_DEG:
        raise RejectError(f"location ({lat}, {lon}) is at or near (0,0): a missing-value default")
    if bbox is not None and not bbox.contains(lat, lon):
        if bbox.contains(lon, lat):
            raise RejectError(f"location ({lat}, {lon}) is outside the service area; lat/lon appear swapped")
        if bbox.contains(-lat, lon) or bbox.contains(lat, -lon) or bbox.contains(-lat, -lon):
            raise RejectError(f"location ({lat}, {lon}) is outside the service area; a coordinate has the wrong sign")
        raise RejectError(
            f"location ({lat}, {lon}) is outside the service area "
            f"{bbox.west},{bbox.south},{bbox.east},{bbox.north}"
        )


def normalise(raw: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
    """Turn one row in our field vocabulary into a storable record.

    ``raw`` already uses our field names (the adapter mapped them); values are
    still as the source sent them. Raises :class:`RejectError` with the reason.
    """
    kind = ctx.kind
    allowed = fields_for(kind)
    rec: dict[str, Any] = {}
    for name in allowed:
        v = raw.get(name)
        if name in NUMERIC_FIELDS:
            rec[name] = _number(name, v)
        elif _blank(v):
            rec[name] = None
        else:
            s = str(v).strip()
            rec[name] = s[:MAX_TEXT]

    # time
    if _blank(raw.get("time")):
        if kind in _TIME_REQUIRED:
            raise RejectError("time is missing")
        rec["time"] = None
    else:
        try:
            rec["time"] = to_iso(parse_time(raw["time"], ctx.timezone, ctx.time_format))
        except TimeParseError as e:
            raise RejectError(str(e)) from None

    # location
    lat, lon = rec["lat"], rec["lon"]
    if kind in _LOCATION_REQUIRED and (lat is None or lon is None):
        raise RejectError("location is missing")
    check_location(lat, lon, ctx.bbox)

    if kind == "alpr":
        if _blank(rec.get("plate")):
            raise RejectError("plate is missing")
        rec["plate"] = normalise_plate(rec["plate"])
        if rec.get("state"):
            rec["state"] = str(rec["state"]).upper()[:8]
    if kind == "camera":
        if rec.get("heading") is not None:
            rec["heading"] = rec["heading"] % 360.0
        for name in ("fov_deg", "range_m"):
            if rec.get(name) is not None and rec[name] <= 0:
                raise RejectError(f"{name} must be positive, got {rec[name]}")
        if rec.get("fov_deg") is not None and rec["fov_deg"] > 360:
            raise RejectError(f"fov_deg must be at most 360, got {rec['fov_deg']}")
        access = (rec.get("access") or "").lower()
        ownership = (rec.get("ownership") or "public").lower()
        if ownership not in CAMERA_OWNERSHIP:
            raise RejectError(f"ownership must be public or private, got {rec['ownership']!r}")
        if not access:
            access = "live" if (rec.get("stream_url") or rec.get("snapshot_url") or rec.get("substream_url")) else "request"
        if access not in CAMERA_ACCESS:
            raise RejectError(f"access must be live or request, got {rec['access']!r}")
        rec["access"], rec["ownership"] = access, ownership
        if not rec.get("name"):
            rec["name"] = rec.get("source_id") or rec.get("address")

    if _blank(rec.get("agency")):
        rec["agency"] = ctx.agency or "UNSPECIFIED"
    if _blank(rec.get("source_id")):
        rec["source_id"] = derive_source_id(kind, rec)
    rec["source"] = ctx.source
    return rec


__all__ = ["FeedContext", "RejectError", "normalise", "normalise_plate", "check_location", "KIND_FIELDS"]
