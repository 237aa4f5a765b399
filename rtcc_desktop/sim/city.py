"""A small made-up city around Oxford, Alabama: streets, parks, water, agencies.

Everything the simulator shows is placed on this one street network, so CAD
addresses, gunshot points, ALPR readers, cameras and the base-map tiles all
agree with each other. The network depends only on the seed and the centre.
Geometry is kept in local metres (x east, y north of the centre) and turned
into WGS84 with an equirectangular projection, exact enough over 10 km.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field

import numpy as np

from rtcc_desktop.model.geo import BBox

M_PER_DEG_LAT = 111_320.0

#: Street classes, drawn and weighted differently.
PRIMARY, SECONDARY, RESIDENTIAL = "primary", "secondary", "residential"

OXFORD_PD, ANNISTON_PD, CALHOUN_SO = "OXFORD PD", "ANNISTON PD", "CALHOUN CO SO"
AGENCIES = (OXFORD_PD, ANNISTON_PD, CALHOUN_SO)

# (name, class, axis, base offset m, span from, span to, wobble amplitude m)
_MAIN_ROADS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("Quintard Ave", PRIMARY, "ns", 250, -4300, 4900, 90),
    ("Snow St", SECONDARY, "ns", -1100, -3100, 2600, 40),
    ("Leon Smith Pkwy", SECONDARY, "ns", -2750, -4100, 2500, 120),
    ("Friendship Rd", SECONDARY, "ns", 2350, -4300, 1500, 90),
    ("Noble St", SECONDARY, "ns", -450, 2700, 4900, 10),
    ("Main St", SECONDARY, "ew", 200, -2700, 2200, 30),
    ("Hamric Dr", PRIMARY, "ew", -1900, -3900, 3900, 100),
    ("Choccolocco Rd", SECONDARY, "ew", -3350, -2000, 3900, 110),
    ("US Hwy 78", PRIMARY, "ew", 2750, -3900, 3900, 90),
    ("Golden Springs Rd", SECONDARY, "ew", 4050, -1700, 3600, 50),
)

_NS_NAMES = (
    "Wilson St", "Mitchell St", "Hale St", "Davis St", "Bell St", "Hagan St", "Elm St",
    "Lee St", "Walker St", "Forney St", "Hudson St", "Grace St", "Brown St", "Clark St",
    "Gordon St", "Spring St", "Pine St", "Cedar St", "Maple St", "Walnut St", "Poplar St",
    "Bynum St", "Moore St", "Harris St", "Boozer St", "Haynes St", "Magnolia St",
    "Allen St", "Cole St", "Reid St",
)
_EW_NAMES = (
    "1st Ave", "2nd Ave", "3rd Ave", "4th Ave", "5th Ave", "6th Ave", "7th Ave", "8th Ave",
    "Oak Ave", "Church Ave", "College Ave", "Greenbrier Rd", "Airport Rd", "Coleman Rd",
    "Sunset Dr", "Hillcrest Ave", "Fairway Dr", "Parker Ave", "Cooper Ave", "Woodland Ave",
    "Mulberry Ave", "Kelly Ave", "Wikle Ave", "Burton Ave", "Glenwood Ter", "Lakeview Dr",
    "Watson Ave", "Dogwood Dr", "Pinecrest Dr", "Ridge Rd", "Summit Ave", "Valley Ave",
    "Keith Ave", "Tyler Ave", "Byrd Ave",
)

# Areas (x0, y0, x1, y1 in metres) that get a grid of side streets.
_GRID_AREAS = ((-2650.0, -3100.0, 2650.0, 2550.0), (-1700.0, 2900.0, 1700.0, 4700.0))
_BLOCK_M = 200.0
_EXTENT = (-4000.0, -4400.0, 4000.0, 5000.0)  # x0, y0, x1, y1 of the whole city


Polyline = list[tuple[float, float]]


@dataclass(frozen=True)
class Street:
    """One named street as a polyline in local metres."""

    name: str
    cls: str
    pts: tuple[tuple[float, float], ...]
    cum: tuple[float, ...] = field(default=(), compare=False)

    @classmethod
    def make(cls, name: str, kind: str, pts: list[tuple[float, float]]) -> "Street":
        cum = [0.0]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            cum.append(cum[-1] + math.hypot(x1 - x0, y1 - y0))
        return cls(name, kind, tuple(pts), tuple(cum))

    @property
    def length(self) -> float:
        return self.cum[-1]

    def point_at(self, d: float) -> tuple[float, float, float]:
        """(x, y, heading°) at distance ``d`` along the street from its first point."""
        d = min(max(d, 0.0), self.length)
        i = max(0, min(len(self.pts) - 2, bisect.bisect_right(self.cum, d) - 1))
        (x0, y0), (x1, y1) = self.pts[i], self.pts[i + 1]
        seg = self.cum[i + 1] - self.cum[i] or 1.0
        f = (d - self.cum[i]) / seg
        heading = (math.degrees(math.atan2(x1 - x0, y1 - y0)) + 360.0) % 360.0
        return x0 + f * (x1 - x0), y0 + f * (y1 - y0), heading


@dataclass(frozen=True)
class Crossing:
    """Where two streets meet."""

    x: float
    y: float
    a: Street
    b: Street
    da: float  # distance along a
    db: float  # distance along b


@dataclass(frozen=True)
class Spot:
    """A place on the street network with a street address."""

    lat: float
    lon: float
    x: float
    y: float
    street: Street
    heading: float
    address: str
    agency: str


class City:
    """The street network for one seed, with helpers to place things on it."""

    def __init__(self, seed: int = 1, center: tuple[float, float] = (33.6145, -85.8350)) -> None:
        self.seed = seed
        self.center = (float(center[0]), float(center[1]))
        self._coslat = math.cos(math.radians(self.center[0]))
        rng = random.Random(f"rtcc-sim:{seed}:city")
        self.streets: list[Street] = []
        self._main_roads(rng)
        # (along, across) coordinates of each main road, per axis, for keeping side streets off them
        self._mains: dict[str, list[tuple[list[float], list[float]]]] = {"ns": [], "ew": []}
        for spec, st in zip(_MAIN_ROADS, self.streets, strict=True):
            axis = spec[2]
            pairs = sorted((p[1], p[0]) if axis == "ns" else (p[0], p[1]) for p in st.pts)
            self._mains[axis].append(([a for a, _ in pairs], [c for _, c in pairs]))
        self.parks, self.water_areas, self.creeks = self._green_and_blue(rng)
        self._side_streets(rng)
        self.crossings = self._find_crossings()
        self._weights: dict[str, list[float]] = {}
        self._segments: np.ndarray | None = None  # every street segment, for near()

    # ------------------------------------------------------------------ projection
    def to_latlon(self, x: float, y: float) -> tuple[float, float]:
        lat = self.center[0] + y / M_PER_DEG_LAT
        lon = self.center[1] + x / (M_PER_DEG_LAT * self._coslat)
        return lat, lon

    def to_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.center[1]) * M_PER_DEG_LAT * self._coslat, (lat - self.center[0]) * M_PER_DEG_LAT

    @property
    def bbox(self) -> BBox:
        """The service area: the whole city plus a 300 m margin."""
        x0, y0, x1, y1 = _EXTENT
        s, w = self.to_latlon(x0 - 300, y0 - 300)
        n, e = self.to_latlon(x1 + 300, y1 + 300)
        return BBox(round(w, 5), round(s, 5), round(e, 5), round(n, 5))

    # ------------------------------------------------------------------ generation
    def _main_roads(self, rng: random.Random) -> None:
        for name, kind, axis, base, a, b, amp in _MAIN_ROADS:
            base += rng.uniform(-60, 60)
            slope = rng.uniform(-0.02, 0.02)
            w1, p1 = rng.uniform(5000, 8000), rng.uniform(0, 2 * math.pi)
            w2, p2 = rng.uniform(1400, 2400), rng.uniform(0, 2 * math.pi)
            pts = []
            n = max(2, int((b - a) / 50) + 1)
            for k in range(n):
                t = a + (b - a) * k / (n - 1)
                off = base + slope * t + amp * math.sin(2 * math.pi * t / w1 + p1) + amp / 4 * math.sin(2 * math.pi * t / w2 + p2)
                pts.append((off, t) if axis == "ns" else (t, off))
            self.streets.append(Street.make(name, kind, pts))

    def _clear_of_main(self, axis: str, value: float, lo: float, hi: float) -> bool:
        """True when a side-street block at ``value`` from ``lo`` to ``hi`` keeps off parallel main roads."""
        for along, across in self._mains[axis]:
            i0, i1 = bisect.bisect_left(along, lo - 60), bisect.bisect_right(along, hi + 60)
            if any(abs(c - value) < 110 for c in across[i0:i1]):
                return False
        x0, y0, x1, y1 = (value, lo, value, hi) if axis == "ns" else (lo, value, hi, value)
        for park in self.parks:  # parks are rectangles: no streets through them
            px = [p[0] for p in park]
            py = [p[1] for p in park]
            if x1 > min(px) - 20 and x0 < max(px) + 20 and y1 > min(py) - 20 and y0 < max(py) + 20:
                return False
        return True

    def _side_streets(self, rng: random.Random) -> None:
        names = {"ns": list(_NS_NAMES), "ew": list(_EW_NAMES)}
        rng.shuffle(names["ns"])
        rng.shuffle(names["ew"])
        for axis in ("ns", "ew"):
            lines: dict[int, list[tuple[float, float]]] = {}
            for x0, y0, x1, y1 in _GRID_AREAS:
                across = (x0, x1) if axis == "ns" else (y0, y1)
                along = (y0, y1) if axis == "ns" else (x0, x1)
                for k in range(math.ceil(across[0] / _BLOCK_M), math.floor(across[1] / _BLOCK_M) + 1):
                    lines.setdefault(k, []).append(along)
            name_i = 0
            for k in sorted(lines):
                value = k * _BLOCK_M + rng.uniform(-20, 20)
                if rng.random() < 0.1:
                    continue
                name = names[axis][name_i % len(names[axis])]
                used = False
                for lo, hi in lines[k]:
                    run: list[float] = []
                    blocks = int((hi - lo) // _BLOCK_M)
                    for j in range(blocks + 1):
                        a = lo + j * _BLOCK_M
                        ok = j < blocks and rng.random() < 0.88 and self._clear_of_main(axis, value, a, a + _BLOCK_M)
                        if ok:
                            run.append(a)
                            continue
                        if len(run) >= 2:
                            a0, b0 = run[0], run[-1] + _BLOCK_M
                            pts = [(value, a0), (value, b0)] if axis == "ns" else [(a0, value), (b0, value)]
                            self.streets.append(Street.make(name, RESIDENTIAL, pts))
                            used = True
                        run = []
                name_i += used

    def _find_crossings(self) -> list[Crossing]:
        out: list[Crossing] = []
        boxes = [_box(s) for s in self.streets]
        for i, a in enumerate(self.streets):
            ax0, ay0, ax1, ay1 = boxes[i]
            for j in range(i + 1, len(self.streets)):
                b = self.streets[j]
                bx0, by0, bx1, by1 = boxes[j]
                if a.name == b.name or bx1 < ax0 or bx0 > ax1 or by1 < ay0 or by0 > ay1:
                    continue
                hit = _first_intersection(a, b, boxes[j])
                if hit is not None:
                    out.append(Crossing(hit[0], hit[1], a, b, hit[2], hit[3]))
        return out

    def _green_and_blue(self, rng: random.Random) -> tuple[list[Polyline], list[Polyline], list[Polyline]]:
        """Two parks, a lake in the larger one, and a creek across the south."""
        cx, cy = 700 + rng.uniform(-150, 150), -1000 + rng.uniform(-120, 120)
        park = [(cx - 260, cy - 180), (cx + 260, cy - 180), (cx + 260, cy + 180), (cx - 260, cy + 180)]
        lake = [
            (cx + 170 * math.cos(t) + 10 * math.sin(3 * t), cy + 95 * math.sin(t))
            for t in (2 * math.pi * k / 32 for k in range(32))
        ]
        px, py = -1800 + rng.uniform(-100, 100), 3500 + rng.uniform(-100, 100)
        park2 = [(px - 150, py - 110), (px + 150, py - 110), (px + 150, py + 110), (px - 150, py + 110)]
        phase = rng.uniform(0, 2 * math.pi)
        creek = [(x, -3900 + 0.18 * x + 140 * math.sin(x / 700 + phase)) for x in range(-4000, 4001, 100)]
        return [park, park2], [lake], [[(float(x), float(y)) for x, y in creek]]

    # ------------------------------------------------------------------ placing things
    def agency_at(self, x: float, y: float) -> str:
        """Which agency answers calls at a point: city limits, then the county."""
        if y > 2850:
            return ANNISTON_PD
        if -2900 <= x <= 2900 and -3250 <= y <= 2850:
            return OXFORD_PD
        return CALHOUN_SO

    def address(self, street: Street, d: float, side: int) -> str:
        """A house number along ``street``: about 1000 numbers a mile, even one side."""
        number = 100 + 2 * int(d / 3.2) + (side & 1)
        return f"{number} {street.name}"

    def spot(self, rng: random.Random, main_bias: float = 1.0) -> Spot:
        """A random place on a street, busier roads more likely (``main_bias`` > 1 favours them)."""
        weights = self._weights.get(f"{main_bias}")
        if weights is None:
            boost = {PRIMARY: 3.0 * main_bias, SECONDARY: 2.0 * main_bias, RESIDENTIAL: 1.0}
            weights = list(_accumulate(s.length * boost[s.cls] for s in self.streets))
            self._weights[f"{main_bias}"] = weights
        street = self.streets[bisect.bisect_left(weights, rng.random() * weights[-1])]
        d = rng.uniform(0, street.length)
        return self.spot_on(street, d, rng.randint(0, 1), offset_m=rng.uniform(-8, 8))

    def spot_on(self, street: Street, d: float, side: int = 0, offset_m: float = 0.0) -> Spot:
        x, y, heading = street.point_at(d)
        h = math.radians(heading + 90)
        x, y = x + offset_m * math.sin(h), y + offset_m * math.cos(h)
        lat, lon = self.to_latlon(x, y)
        return Spot(lat, lon, x, y, street, heading, self.address(street, d, side), self.agency_at(x, y))

    def near(self, x: float, y: float, rng: random.Random, radius_m: float) -> Spot:
        """A street spot within about ``radius_m`` of (x, y), for follow-up calls."""
        if self._segments is None:
            rows = [
                (*street.pts[k], *street.pts[k + 1], i, street.cum[k])
                for i, street in enumerate(self.streets)
                for k in range(len(street.pts) - 1)
            ]
            self._segments = np.array(rows, dtype=np.float64)
        seg = self._segments
        x0, y0, x1, y1 = seg[:, 0], seg[:, 1], seg[:, 2], seg[:, 3]
        dx, dy = x1 - x0, y1 - y0
        length2 = np.maximum(dx * dx + dy * dy, 1e-9)
        f = np.clip(((x - x0) * dx + (y - y0) * dy) / length2, 0.0, 1.0)
        dist2 = (x0 + f * dx - x) ** 2 + (y0 + f * dy - y) ** 2
        k = int(np.argmin(dist2))
        street = self.streets[int(seg[k, 4])]
        along = float(seg[k, 5] + f[k] * math.sqrt(length2[k]))
        return self.spot_on(street, along + rng.uniform(-radius_m, radius_m), rng.randint(0, 1))

    def main_crossings(self) -> list[Crossing]:
        """Crossings of two main roads, then of a main road and a side street."""
        mains = [c for c in self.crossings if c.a.cls != RESIDENTIAL and c.b.cls != RESIDENTIAL]
        rest = [c for c in self.crossings if (c.a.cls != RESIDENTIAL) != (c.b.cls != RESIDENTIAL)]
        return mains + rest

    def crossing_name(self, c: Crossing) -> str:
        return f"{c.a.name} & {c.b.name}"


def _accumulate(values: object) -> list[float]:
    out, total = [], 0.0
    for v in values:  # type: ignore[attr-defined]
        total += v
        out.append(total)
    return out


def _box(street: Street) -> tuple[float, float, float, float]:
    xs = [p[0] for p in street.pts]
    ys = [p[1] for p in street.pts]
    return min(xs), min(ys), max(xs), max(ys)


def _first_intersection(a: Street, b: Street, bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    bminx, bminy, bmaxx, bmaxy = bbox
    for i in range(len(a.pts) - 1):
        (x1, y1), (x2, y2) = a.pts[i], a.pts[i + 1]
        if max(x1, x2) < bminx or min(x1, x2) > bmaxx or max(y1, y2) < bminy or min(y1, y2) > bmaxy:
            continue
        for j in range(len(b.pts) - 1):
            (x3, y3), (x4, y4) = b.pts[j], b.pts[j + 1]
            den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
            if abs(den) < 1e-9:
                continue
            t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
            u = -((x1 - x2) * (y1 - y3) - (y1 - y2) * (x1 - x3)) / den
            if 0 <= t <= 1 and 0 <= u <= 1:
                px, py = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
                da = a.cum[i] + t * (a.cum[i + 1] - a.cum[i])
                db = b.cum[j] + u * (b.cum[j + 1] - b.cum[j])
                return px, py, da, db
    return None
