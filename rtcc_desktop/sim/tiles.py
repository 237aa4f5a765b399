"""Base-map tiles of the simulated city (256 px XYZ, Web Mercator), drawn with OpenCV.

The demo map works with no internet: the tiles show the same streets the
events are placed on. Rendered tiles are kept in an LRU cache; tiles away
from the city are one shared plain-land PNG.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import cv2
import numpy as np

from rtcc_desktop.sim.city import PRIMARY, RESIDENTIAL, SECONDARY, City

TILE = 256
MAX_ZOOM = 22
CACHE_TILES = 1024
SHIFT = 4  # sub-pixel bits for cv2 drawing
LABEL_ZOOM = 16

# OpenCV colours are BGR; these follow the usual OSM palette.
LAND = (233, 239, 242)
PARK = (204, 240, 200)
WATER = (223, 211, 170)
TEXT = (60, 60, 60)
_STYLE = {
    # class: (fill, casing, width in metres, minimum width in px, draw from zoom)
    PRIMARY: ((164, 214, 252), (80, 150, 220), 16.0, 2.0, 0),
    SECONDARY: ((191, 250, 247), (130, 170, 170), 12.0, 1.5, 11),
    RESIDENTIAL: ((255, 255, 255), (190, 190, 190), 9.0, 1.0, 13),
}


def lonlat_to_px(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Global Web Mercator pixel coordinates at zoom ``z``."""
    n = TILE * (1 << z)
    x = (lon + 180.0) / 360.0 * n
    s = np.sin(np.radians(lat))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * n
    return x, y


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a tile in degrees."""
    n = 1 << z

    def lat(yy: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y)


class TileRenderer:
    """PNG tiles for one city."""

    def __init__(self, city: City) -> None:
        self.city = city
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._blank = _png(np.full((TILE, TILE, 3), LAND, np.uint8))
        self._streets = []
        for st in city.streets:
            lat, lon = np.array([city.to_latlon(x, y) for x, y in st.pts]).T
            self._streets.append((st, lon, lat, (lon.min(), lat.min(), lon.max(), lat.max())))
        self._polys = [
            (PARK, [np.array([city.to_latlon(x, y) for x, y in p]) for p in city.parks]),
            (WATER, [np.array([city.to_latlon(x, y) for x, y in p]) for p in city.water_areas]),
        ]
        self._creeks = [np.array([city.to_latlon(x, y) for x, y in c]) for c in city.creeks]
        bb = city.bbox
        self._extent = (bb.west, bb.south, bb.east, bb.north)

    def tile(self, z: int, x: int, y: int) -> bytes:
        """PNG bytes of tile z/x/y; ``ValueError`` if it does not exist."""
        if not (0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            raise ValueError(f"no tile {z}/{x}/{y}")
        key = (z, x, y)
        with self._lock:
            data = self._cache.get(key)
            if data is not None:
                self._cache.move_to_end(key)
                return data
        w, s, e, n = tile_bounds(z, x, y)
        cw, cs, ce, cn = self._extent
        if e < cw or w > ce or n < cs or s > cn:
            return self._blank
        data = _png(self._render(z, x, y, (w, s, e, n)))
        with self._lock:
            self._cache[key] = data
            while len(self._cache) > CACHE_TILES:
                self._cache.popitem(last=False)
        return data

    def _render(self, z: int, tx: int, ty: int, bounds: tuple[float, float, float, float]) -> np.ndarray:
        img = np.full((TILE, TILE, 3), LAND, np.uint8)
        ox, oy = tx * TILE, ty * TILE
        m_per_px = 156_543.034 * math.cos(math.radians(self.city.center[0])) / (1 << z)
        scale = 1 << SHIFT

        def pts(latlon: np.ndarray) -> np.ndarray:
            px, py = lonlat_to_px(latlon[:, 1], latlon[:, 0], z)
            return (np.stack([(px - ox) * scale, (py - oy) * scale], axis=1)).round().astype(np.int32)

        for colour, polys in self._polys:
            for poly in polys:
                cv2.fillPoly(img, [pts(poly)], colour, cv2.LINE_AA, SHIFT)
        creek_w = max(1, int(round(8 / m_per_px)))
        for creek in self._creeks:
            cv2.polylines(img, [pts(creek)], False, WATER, creek_w, cv2.LINE_AA, SHIFT)

        # pad the culling box by the widest line
        pad = 30 * m_per_px / 111_320.0 * 2
        w, s, e, n = bounds
        visible = [
            (st, lon, lat)
            for st, lon, lat, (x0, y0, x1, y1) in self._streets
            if x1 >= w - pad and x0 <= e + pad and y1 >= s - pad and y0 <= n + pad and z >= _STYLE[st.cls][4]
        ]
        order = (RESIDENTIAL, SECONDARY, PRIMARY)
        lines = {cls: [pts(np.stack([lat, lon], axis=1)) for st, lon, lat in visible if st.cls == cls] for cls in order}
        for cls in order:  # casings under fills, minor roads under major ones
            fill, casing, width_m, min_px, _ = _STYLE[cls]
            width = max(min_px, width_m / m_per_px)
            if lines[cls] and z >= 14:
                cv2.polylines(img, lines[cls], False, casing, int(round(width + 2)), cv2.LINE_AA, SHIFT)
            if lines[cls]:
                cv2.polylines(img, lines[cls], False, fill if z >= 12 else casing, max(1, int(round(width))), cv2.LINE_AA, SHIFT)
        if z >= LABEL_ZOOM:
            self._labels(img, visible, z, ox, oy, m_per_px)
        return img

    def _labels(self, img: np.ndarray, visible: list, z: int, ox: int, oy: int, m_per_px: float) -> None:
        """Street names at fixed points along each street, only where they fit whole in the tile."""
        font, fs = cv2.FONT_HERSHEY_SIMPLEX, 0.4
        every_m = 250 * m_per_px
        for st, _lon, _lat in visible:
            (tw, th), base = cv2.getTextSize(st.name, font, fs, 1)
            d = every_m / 2
            while d < st.length:
                x, y, heading = st.point_at(d)
                d += every_m
                lat, lon = self.city.to_latlon(x, y)
                px, py = lonlat_to_px(np.array([lon]), np.array([lat]), z)
                cx, cy = float(px[0]) - ox, float(py[0]) - oy
                vertical = not 45 <= heading % 180 <= 135  # heading ~0 or ~180: a north-south street
                bw, bh = (th + base + 4, tw + 4) if vertical else (tw + 4, th + base + 4)
                x0, y0 = int(cx - bw / 2), int(cy - bh / 2)
                if x0 < 0 or y0 < 0 or x0 + bw > TILE or y0 + bh > TILE:
                    continue
                label: np.ndarray = np.zeros((th + base + 4, tw + 4, 3), np.uint8)
                label[:] = img[y0 : y0 + bh, x0 : x0 + bw].transpose(1, 0, 2)[::-1] if vertical else img[y0 : y0 + bh, x0 : x0 + bw]
                cv2.putText(label, st.name, (2, th + 2), font, fs, (255, 255, 255), 3, cv2.LINE_AA)
                cv2.putText(label, st.name, (2, th + 2), font, fs, TEXT, 1, cv2.LINE_AA)
                if vertical:
                    label = cv2.rotate(label, cv2.ROTATE_90_CLOCKWISE)
                img[y0 : y0 + bh, x0 : x0 + bw] = label


def _png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:  # pragma: no cover
        raise RuntimeError("PNG encoding failed")
    return buf.tobytes()
