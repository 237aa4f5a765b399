"""Web-Mercator XYZ tile arithmetic (the scheme OpenStreetMap and Leaflet use)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from rtcc_desktop.model.geo import BBox

#: Web Mercator stops here; beyond it tiles do not exist.
MAX_LAT = 85.05112878


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point at zoom ``z`` (clamped to the world)."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    rad = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(rad)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> BBox:
    """The lon/lat box a tile covers (for tests and pre-fetch reports)."""
    n = 1 << z

    def lat_of(yy: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return BBox(x / n * 360.0 - 180.0, lat_of(y + 1), (x + 1) / n * 360.0 - 180.0, lat_of(y))


def valid_tile(z: int, x: int, y: int, max_zoom: int = 22) -> bool:
    """True when (z, x, y) names a tile that exists."""
    if not (0 <= z <= max_zoom):
        return False
    n = 1 << z
    return 0 <= x < n and 0 <= y < n


def tiles_in_bbox(bbox: BBox, z: int) -> Iterator[tuple[int, int]]:
    """Every (x, y) at zoom ``z`` that touches ``bbox``."""
    x0, y0 = lonlat_to_tile(bbox.west, bbox.north, z)
    x1, y1 = lonlat_to_tile(bbox.east, bbox.south, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def count_tiles(bbox: BBox, zmin: int, zmax: int) -> int:
    """How many tiles a pre-fetch of ``bbox`` over ``zmin..zmax`` would fetch."""
    total = 0
    for z in range(zmin, zmax + 1):
        x0, y0 = lonlat_to_tile(bbox.west, bbox.north, z)
        x1, y1 = lonlat_to_tile(bbox.east, bbox.south, z)
        total += (x1 - x0 + 1) * (y1 - y0 + 1)
    return total
