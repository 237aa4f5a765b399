"""Geometry on the WGS84 sphere: real metres, bearings, boxes and camera views."""

from __future__ import annotations

import math
from typing import NamedTuple

EARTH_RADIUS_M = 6_371_008.8


class BBox(NamedTuple):
    """A service area or query box in degrees: west, south, east, north."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east

    @classmethod
    def parse(cls, value: str | list[float] | tuple[float, ...]) -> "BBox":
        """Read ``W,S,E,N`` (string or 4 numbers) and check it is a real box."""
        if isinstance(value, str):
            parts: list[str | float] = [p.strip() for p in value.split(",")]
        else:
            parts = list(value)
        if len(parts) != 4:
            raise ValueError(f"bbox needs 4 numbers west,south,east,north; got {value!r}")
        try:
            w, s, e, n = (float(p) for p in parts)
        except (TypeError, ValueError):
            raise ValueError(f"bbox values must be numbers; got {value!r}") from None
        if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
            raise ValueError(f"bbox {value!r} is out of range (lon ±180, lat ±90)")
        if w >= e or s >= n:
            raise ValueError(f"bbox {value!r} must be west<east and south<north")
        return cls(w, s, e, n)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north [0, 360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def box_around(lat: float, lon: float, radius_m: float) -> BBox:
    """The lat/lon box that surely contains every point within ``radius_m``.

    Used as the R*Tree prefilter; the exact haversine test follows.
    """
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    coslat = math.cos(math.radians(lat))
    if coslat < 1e-6 or abs(lat) + dlat >= 90:
        return BBox(-180.0, max(-90.0, lat - dlat), 180.0, min(90.0, lat + dlat))
    dlon = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * coslat)))
    return BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def angle_diff_deg(a: float, b: float) -> float:
    """Smallest absolute difference between two bearings, in degrees [0, 180]."""
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


def destination(lat: float, lon: float, bearing: float, distance_m: float) -> tuple[float, float]:
    """The point reached going ``distance_m`` along ``bearing`` (for FOV cones)."""
    d = distance_m / EARTH_RADIUS_M
    b = math.radians(bearing)
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0
