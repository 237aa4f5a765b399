"""Geofences: named polygons and circles that raise an alert when something happens inside.

Points are tested by ray casting on lon/lat, which is exact enough at city
scale (a fence is a few km across; the error of treating degrees as a plane
there is centimetres). Circles use the haversine distance. Fences are kept in
the store's database (table ``geofences``) so every workstation on the same
cache sees the same ones.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Final, Iterable, Sequence

from rtcc_desktop.analysis.tables import db_of, reading, table_exists, writing
from rtcc_desktop.model.geo import BBox, box_around, haversine_m
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.timeutil import iso_now

log = logging.getLogger(__name__)

TABLE: Final[str] = "geofences"
#: Kinds a fence watches unless told otherwise.
DEFAULT_KINDS: Final[tuple[str, ...]] = ("gunshot", "cad")
#: CAD incidents at this priority or more urgent (1 is most urgent) alert.
DEFAULT_MAX_PRIORITY: Final[int] = 2
MAX_VERTICES: Final[int] = 10_000
#: A fence drawn on the map: at most this many vertices, and a circle this wide (a city, not a county).
MAX_DRAWN_VERTICES: Final[int] = 1_000
MIN_RADIUS_M: Final[float] = 5.0
MAX_RADIUS_M: Final[float] = 50_000.0


class GeofenceError(ValueError):
    """A fence that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class Geofence:
    """A polygon (``points`` as (lat, lon) vertices) or a circle (``center`` + ``radius_m``)."""

    name: str
    points: tuple[tuple[float, float], ...] = ()
    center: tuple[float, float] | None = None
    radius_m: float | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS
    max_priority: int = DEFAULT_MAX_PRIORITY
    active: bool = True
    id: int | None = None
    #: Bookkeeping from the database (shown in the panel; not part of what the fence is).
    created: str | None = field(default=None, compare=False)
    created_by: str | None = field(default=None, compare=False)
    bbox: BBox = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = (self.name or "").strip()
        if not name:
            raise GeofenceError("a geofence needs a name")
        object.__setattr__(self, "name", name)
        if self.center is not None:
            if self.points:
                raise GeofenceError(f"geofence {name!r}: give either polygon points or a circle, not both")
            lat, lon = (float(v) for v in self.center)
            _check_point(name, lat, lon)
            if self.radius_m is None or not (self.radius_m > 0) or math.isinf(self.radius_m):
                raise GeofenceError(f"geofence {name!r}: a circle needs a positive radius in metres")
            object.__setattr__(self, "center", (lat, lon))
            object.__setattr__(self, "bbox", box_around(lat, lon, float(self.radius_m)))
        else:
            pts = [(float(a), float(b)) for a, b in self.points]
            if len(pts) > 1 and pts[0] == pts[-1]:
                pts.pop()  # closed ring given: the closing vertex is implied
            if len(pts) < 3:
                raise GeofenceError(f"geofence {name!r}: a polygon needs at least 3 points")
            if len(pts) > MAX_VERTICES:
                raise GeofenceError(f"geofence {name!r}: more than {MAX_VERTICES} points")
            for lat, lon in pts:
                _check_point(name, lat, lon)
            object.__setattr__(self, "points", tuple(pts))
            lats = [p[0] for p in pts]
            lons = [p[1] for p in pts]
            object.__setattr__(self, "bbox", BBox(min(lons), min(lats), max(lons), max(lats)))
        object.__setattr__(self, "kinds", tuple(self.kinds))

    @property
    def shape(self) -> str:
        return "circle" if self.center is not None else "polygon"

    def contains(self, lat: float | None, lon: float | None) -> bool:
        """True when (lat, lon) is inside (a point on a polygon's edge may go either way)."""
        if lat is None or lon is None:
            return False
        if not self.bbox.contains(lat, lon):
            return False
        if self.center is not None:
            assert self.radius_m is not None
            return haversine_m(self.center[0], self.center[1], lat, lon) <= self.radius_m
        return point_in_polygon(lat, lon, self.points)

    def watches(self, kind: str, priority: Any = None) -> bool:
        """Whether a record of ``kind`` (and, for CAD, ``priority``) inside this fence alerts."""
        if kind not in self.kinds:
            return False
        if kind == "cad":
            p = priority_level(priority)
            return p is not None and p <= self.max_priority
        return True

    @classmethod
    def from_geojson(cls, name: str, geometry: dict[str, Any], **kw: Any) -> "Geofence":
        """A Polygon geometry (``[lon, lat]`` rings, outer ring used) or a Point plus ``radius_m``."""
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if gtype == "Feature":
            return cls.from_geojson(name, geometry.get("geometry") or {}, **kw)
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        try:
            if gtype == "Polygon":
                ring = coords[0]  # type: ignore[index]
                return cls(name, points=tuple((float(p[1]), float(p[0])) for p in ring), **kw)
            if gtype == "Point":
                return cls(name, center=(float(coords[1]), float(coords[0])), **kw)  # type: ignore[index]
        except (TypeError, IndexError, ValueError) as exc:
            raise GeofenceError(f"geofence {name!r}: bad GeoJSON coordinates ({exc})") from None
        raise GeofenceError(f"geofence {name!r}: GeoJSON type {gtype!r} not supported (use Polygon or Point)")


def describe_rule(fence: Geofence) -> str:
    """What makes this fence alert, in words (panel column and map popup)."""
    parts = []
    if "gunshot" in fence.kinds:
        parts.append("gunshots")
    if "cad" in fence.kinds:
        parts.append("incidents P1" if fence.max_priority <= 1 else f"incidents P1–P{fence.max_priority}")
    other = [k for k in fence.kinds if k not in ("gunshot", "cad")]
    parts += other
    return ", ".join(parts) if parts else "nothing"


def _coord(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GeofenceError(f"{what} is not a number")
    v = float(value)
    if not math.isfinite(v):
        raise GeofenceError(f"{what} is not a finite number")
    return v


def _latlon(value: Any, what: str) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise GeofenceError(f"{what} is not a [lat, lon] pair")
    lat, lon = _coord(value[0], f"{what} latitude"), _coord(value[1], f"{what} longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeofenceError(f"{what} ({lat}, {lon}) is not a valid lat/lon")
    return lat, lon


def parse_drawn(data: Any) -> dict[str, Any]:
    """Check a shape drawn on the map page (untrusted: the page shows feed text).

    ``{"shape": "polygon", "points": [[lat, lon], ...]}`` or
    ``{"shape": "circle", "center": [lat, lon], "radius_m": r}``; returns the
    same shape with clean floats, or raises :class:`GeofenceError` saying what is wrong.
    """
    if not isinstance(data, dict):
        raise GeofenceError("the drawn shape is not an object")
    shape = data.get("shape")
    if shape == "circle":
        center = _latlon(data.get("center"), "the circle's centre")
        radius = _coord(data.get("radius_m"), "the circle's radius")
        if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
            raise GeofenceError(f"a circle's radius must be between {MIN_RADIUS_M:.0f} m and {MAX_RADIUS_M / 1000:.0f} km "
                                f"(got {radius:.0f} m)")
        return {"shape": "circle", "center": list(center), "radius_m": radius}
    if shape == "polygon":
        raw = data.get("points")
        if not isinstance(raw, list):
            raise GeofenceError("the polygon has no list of points")
        if len(raw) > MAX_DRAWN_VERTICES:
            raise GeofenceError(f"the polygon has more than {MAX_DRAWN_VERTICES} points")
        pts = [_latlon(p, f"point {i + 1}") for i, p in enumerate(raw)]
        distinct = list(dict.fromkeys(pts))
        if len(distinct) < 3:
            raise GeofenceError(f"a polygon needs at least 3 distinct points (got {len(distinct)})")
        if abs(_ring_area(pts)) < 1e-12:  # every point on one line: it encloses nothing
            raise GeofenceError("the polygon's points are all on one line: it encloses nothing")
        return {"shape": "polygon", "points": [list(p) for p in pts]}
    raise GeofenceError(f"unknown shape {shape!r} (polygon or circle)")


def fence_from_drawn(name: str, drawn: dict[str, Any], **kw: Any) -> Geofence:
    """A :class:`Geofence` from :func:`parse_drawn`'s result."""
    d = parse_drawn(drawn)
    if d["shape"] == "circle":
        return Geofence(name, center=tuple(d["center"]), radius_m=d["radius_m"], **kw)
    return Geofence(name, points=tuple(tuple(p) for p in d["points"]), **kw)


def _ring_area(pts: Sequence[tuple[float, float]]) -> float:
    """Shoelace area in degrees² (only its size against zero matters)."""
    return 0.5 * sum(pts[i - 1][1] * pts[i][0] - pts[i][1] * pts[i - 1][0] for i in range(len(pts)))


def _check_point(name: str, lat: float, lon: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeofenceError(f"geofence {name!r}: ({lat}, {lon}) is not a valid lat/lon")


def point_in_polygon(lat: float, lon: float, points: Sequence[tuple[float, float]]) -> bool:
    """Ray casting (even-odd rule) with x = lon, y = lat."""
    inside = False
    n = len(points)
    j = n - 1
    for i in range(n):
        yi, xi = points[i]
        yj, xj = points[j]
        if (yi > lat) != (yj > lat):
            x_cross = xi + (lat - yi) * (xj - xi) / (yj - yi)
            if lon < x_cross:
                inside = not inside
        j = i
    return inside


# --------------------------------------------------------------------------- persistence


def ensure_tables(db: Any) -> None:
    """Create ``geofences`` on a sqlite-utils Database when missing (idempotent); add newer columns."""
    if TABLE in db.table_names():
        if "created_by" not in db[TABLE].columns_dict:
            db.execute(f"ALTER TABLE {TABLE} ADD COLUMN created_by TEXT")
        return
    db[TABLE].create(
        {
            "id": int,
            "name": str,
            "shape": str,
            "points": str,
            "lat": float,
            "lon": float,
            "radius_m": float,
            "kinds": str,
            "max_priority": int,
            "active": int,
            "created": str,
            "updated": str,
            "revision": int,
            "created_by": str,
        },
        pk="id",
        not_null={"name", "shape"},
    )
    db[TABLE].create_index(["name"], index_name="geofences_name", unique=True)


def _row(fence: Geofence, now: str) -> dict[str, Any]:
    return {
        "name": fence.name,
        "shape": fence.shape,
        "points": json.dumps([list(p) for p in fence.points]) if fence.points else None,
        "lat": fence.center[0] if fence.center else None,
        "lon": fence.center[1] if fence.center else None,
        "radius_m": fence.radius_m if fence.center else None,
        "kinds": ",".join(fence.kinds),
        "max_priority": int(fence.max_priority),
        "active": 1 if fence.active else 0,
        "updated": now,
    }


def save_geofence(store: Any, fence: Geofence) -> Geofence:
    """Insert or replace the fence with this name; returns it with its id."""
    now = iso_now()
    row = _row(fence, now)
    cols = list(row)
    with writing(store) as conn:
        ensure_tables(db_of(store))
        cur = conn.execute(
            f"INSERT INTO {TABLE} ({', '.join(cols)}, created, revision) VALUES ({', '.join('?' * len(cols))}, ?, 1) "
            f"ON CONFLICT(name) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols if c != 'name')}, "
            "revision = revision + 1 RETURNING id",
            [*row.values(), now],
        )
        fid = int(cur.fetchone()[0])
    return replace(fence, id=fid)


def add_geofence(store: Any, fence: Geofence, created_by: str | None = None) -> Geofence:
    """Insert a new fence (one drawn on the map); a fence of the same name is an error, not replaced."""
    now = iso_now()
    row = {**_row(fence, now), "created": now, "revision": 1, "created_by": created_by}
    with writing(store) as conn:
        ensure_tables(db_of(store))
        if conn.execute(f"SELECT 1 FROM {TABLE} WHERE name = ?", [fence.name]).fetchone():
            raise GeofenceError(f"there is already a geofence called {fence.name!r}")
        cur = conn.execute(f"INSERT INTO {TABLE} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}) RETURNING id", list(row.values()))
        fid = int(cur.fetchone()[0])
    return replace(fence, id=fid, created=now, created_by=created_by)


def rename_geofence(store: Any, old: str, new: str) -> bool:
    """Give a fence a new name (its past alerts keep the old one); False when there is no ``old``."""
    name = (new or "").strip()
    if not name:
        raise GeofenceError("a geofence needs a name")
    with writing(store) as conn:
        if not table_exists(conn, TABLE):
            return False
        if name != old and conn.execute(f"SELECT 1 FROM {TABLE} WHERE name = ?", [name]).fetchone():
            raise GeofenceError(f"there is already a geofence called {name!r}")
        cur = conn.execute(f"UPDATE {TABLE} SET name = ?, updated = ?, revision = revision + 1 WHERE name = ?", [name, iso_now(), old])
        return cur.rowcount > 0


def _row_to_fence(r: dict[str, Any]) -> Geofence:
    kinds = tuple(k for k in (r.get("kinds") or "").split(",") if k) or DEFAULT_KINDS
    common: dict[str, Any] = dict(
        kinds=kinds,
        max_priority=int(r["max_priority"]) if r.get("max_priority") is not None else DEFAULT_MAX_PRIORITY,
        active=bool(r.get("active", 1)),
        id=int(r["id"]),
        created=r.get("created"),
        created_by=r.get("created_by"),
    )
    if r["shape"] == "circle":
        return Geofence(r["name"], center=(r["lat"], r["lon"]), radius_m=r["radius_m"], **common)
    pts = tuple((float(a), float(b)) for a, b in json.loads(r["points"] or "[]"))
    return Geofence(r["name"], points=pts, **common)


def list_geofences(store: Any, active_only: bool = False) -> list[Geofence]:
    """Every stored fence (or only the active ones), by name; a damaged row is logged and skipped."""
    with reading(store) as conn:
        if not table_exists(conn, TABLE):
            return []
        cur = conn.execute(f"SELECT * FROM {TABLE}" + (" WHERE active = 1" if active_only else "") + " ORDER BY name")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur]
    fences = []
    for r in rows:
        try:
            fences.append(_row_to_fence(r))
        except (GeofenceError, ValueError, TypeError) as exc:
            log.error("geofence %r in the database cannot be used: %s", r.get("name"), exc)
    return fences


def set_active(store: Any, name: str, active: bool) -> bool:
    """Switch a fence on or off; False when there is no fence of that name."""
    with writing(store) as conn:
        if not table_exists(conn, TABLE):
            return False
        cur = conn.execute(f"UPDATE {TABLE} SET active = ?, updated = ?, revision = revision + 1 WHERE name = ?", [1 if active else 0, iso_now(), name])
        return cur.rowcount > 0


def delete_geofence(store: Any, name: str) -> bool:
    """Remove a fence; its past alerts stay."""
    with writing(store) as conn:
        if not table_exists(conn, TABLE):
            return False
        return conn.execute(f"DELETE FROM {TABLE} WHERE name = ?", [name]).rowcount > 0


def geofence_version(store: Any) -> str:
    """Changes whenever a fence is saved, switched or removed (the alert engine reloads then)."""
    with reading(store) as conn:
        if not table_exists(conn, TABLE):
            return ""
        row = conn.execute(f"SELECT group_concat(id || ':' || revision, ',') FROM (SELECT id, revision FROM {TABLE} ORDER BY id)").fetchone()
    return row[0] or ""


def fences_containing(fences: Iterable[Geofence], lat: float | None, lon: float | None) -> list[Geofence]:
    """The fences a point falls in."""
    return [f for f in fences if f.contains(lat, lon)]
