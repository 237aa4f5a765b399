"""Bounded read queries: near a point, in a time window, by plate, by words.

Each function takes a plain ``sqlite3.Connection`` and returns record dicts
with ``kind`` and ``id``. Spatial and time filters are probed through the
R*Tree (32-bit, rounded outward) and then re-checked on the exact columns.
"""

from __future__ import annotations

import heapq
import math
import sqlite3
from collections.abc import Iterable
from typing import Any, Final

from rtcc_desktop.model.geo import EARTH_RADIUS_M, BBox, box_around, haversine_m
from rtcc_desktop.model.records import KINDS, TABLES
from rtcc_desktop.store.bounds import epoch_of
from rtcc_desktop.store.plate_index import PLATE_INDEX, PLATE_NAMES, block_filter, blocks_json, newest_plates_sql, tail
from rtcc_desktop.store.schema import CHANGE_LOG, rtree_name
from rtcc_desktop.store.search_syntax import fts_query, plate_glob, prefix_upper_bound

Record = dict[str, Any]

#: Above this many R*Tree hits a bbox query walks the time index instead.
BBOX_RTREE_MAX: Final[int] = 20_000

#: Up to this many full-text matches are sorted; more walk the time index.
TEXT_SORT_MAX: Final[int] = 5_000

_KIND_ORDER: Final[dict[str, int]] = {k: i for i, k in enumerate(KINDS)}

# Same formula as model.geo.haversine_m, so SQL's order and Python's distances agree.
_HAVERSINE_SQL: Final[str] = (
    f"2 * {EARTH_RADIUS_M!r} * asin(min(1.0, sqrt("
    "pow(sin((radians(t.lat) - :p1) / 2), 2)"
    " + :cos_p1 * cos(radians(t.lat)) * pow(sin(radians(t.lon - :qlon) / 2), 2))))"
)


def fetch(conn: sqlite3.Connection, kind: str, sql: str, params: Any = ()) -> list[Record]:
    """Run ``sql`` and return each row as a dict that starts with ``kind``."""
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [{"kind": kind, **dict(zip(names, row, strict=True))} for row in cur]


def _time_sql(since: str | None, until: str | None, column: str = "t.time") -> str:
    parts = []
    if since is not None:
        parts.append(f"{column} >= :since")
    if until is not None:
        parts.append(f"{column} <= :until")
    return "".join(f" AND {p}" for p in parts)


def _rtree_sql(has_time_since: bool, has_time_until: bool) -> str:
    sql = "r.min_lat <= :north AND r.max_lat >= :south AND r.min_lon <= :east AND r.max_lon >= :west"
    if has_time_since:
        sql += " AND r.max_t >= :t0"
    if has_time_until:
        sql += " AND r.min_t <= :t1"
    return sql


def _window(since: str | None, until: str | None) -> dict[str, Any]:
    """Named parameters for a time window; the R*Tree bounds are widened a second."""
    params: dict[str, Any] = {"since": since, "until": until}
    if since is not None:
        params["t0"] = epoch_of(since) - 1
    if until is not None:
        params["t1"] = epoch_of(until) + 1
    return params


def near(
    conn: sqlite3.Connection,
    lat: float,
    lon: float,
    radius_m: float,
    since: str | None,
    until: str | None,
    kinds: Iterable[str],
    limit: int,
    offset: int,
) -> list[Record]:
    """Records within ``radius_m`` of a point, nearest first (ties by kind, id)."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"point ({lat}, {lon}) is not a valid latitude/longitude")
    if not radius_m >= 0 or math.isinf(radius_m):
        raise ValueError(f"radius_m must be a finite number >= 0, got {radius_m!r}")
    box = box_around(lat, lon, radius_m)
    west, east = box.west, box.east
    if west < -180.0 or east > 180.0:
        # the circle crosses the antimeridian (the Aleutians, Guam's neighbours):
        # take every longitude in its latitude band; haversine decides
        west, east = -180.0, 180.0
    p1 = math.radians(lat)
    params = {
        "north": box.north,
        "south": box.south,
        "east": east,
        "west": west,
        "p1": p1,
        "cos_p1": math.cos(p1),
        "qlon": lon,
        # SQL's floating point may differ from Python's in the last bits:
        # take a hair more here, decide exactly below.
        "radius": radius_m * (1 + 1e-9) + 1e-6,
        "k": limit + offset,
        **_window(since, until),
    }
    per_kind = []
    for kind in kinds:
        sql = (
            f"SELECT t.*, {_HAVERSINE_SQL} AS distance_m "
            f"FROM {rtree_name(kind)} r CROSS JOIN {TABLES[kind]} t ON t.id = r.id "
            f"WHERE {_rtree_sql(since is not None, until is not None)}"
            f"{_time_sql(since, until)} AND distance_m <= :radius "
            "ORDER BY distance_m, t.id LIMIT :k"
        )
        rows = []
        for rec in fetch(conn, kind, sql, params):
            rec["distance_m"] = haversine_m(lat, lon, rec["lat"], rec["lon"])
            if rec["distance_m"] <= radius_m:
                rows.append(rec)
        rows.sort(key=lambda r: (r["distance_m"], r["id"]))
        per_kind.append(rows)
    merged = heapq.merge(*per_kind, key=lambda r: (r["distance_m"], _KIND_ORDER[r["kind"]], r["id"]))
    return list(merged)[offset : offset + limit]


def _between_one(
    conn: sqlite3.Connection, kind: str, since: str | None, until: str | None, bbox: BBox | None, k: int
) -> list[Record]:
    table = TABLES[kind]
    params: dict[str, Any] = {"k": k, **_window(since, until)}
    if bbox is None:
        sql = f"SELECT t.* FROM {table} t WHERE 1{_time_sql(since, until)} ORDER BY t.time, t.id LIMIT :k"
        return fetch(conn, kind, sql, params)
    params.update(north=bbox.north, south=bbox.south, east=bbox.east, west=bbox.west, cap=BBOX_RTREE_MAX + 1)
    exact = (
        "t.lat BETWEEN :south AND :north AND t.lon BETWEEN :west AND :east" + _time_sql(since, until)
    )
    probe = _rtree_sql(since is not None, until is not None)
    hits = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM {rtree_name(kind)} r WHERE {probe} LIMIT :cap)", params)
    if hits.fetchone()[0] <= BBOX_RTREE_MAX:  # a small area: sort the few hits by time
        sql = (
            f"SELECT t.* FROM {rtree_name(kind)} r CROSS JOIN {table} t ON t.id = r.id "
            f"WHERE {probe} AND {exact} ORDER BY t.time, t.id LIMIT :k"
        )
    else:  # most of the map: walk the time index and stop after k matches
        sql = f"SELECT t.* FROM {table} t INDEXED BY {table}_time WHERE {exact} ORDER BY t.time, t.id LIMIT :k"
    return fetch(conn, kind, sql, params)


def between(
    conn: sqlite3.Connection,
    since: str | None,
    until: str | None,
    kinds: Iterable[str],
    bbox: BBox | None,
    limit: int,
    offset: int,
) -> list[Record]:
    """Records in a time window (both ends inclusive), oldest first, optionally in a box."""
    per_kind = [_between_one(conn, kind, since, until, bbox, limit + offset) for kind in kinds]
    merged = heapq.merge(*per_kind, key=lambda r: (r["time"] or "", _KIND_ORDER[r["kind"]], r["id"]))
    return list(merged)[offset : offset + limit]


def plates(conn: sqlite3.Connection, pattern: str, state: str | None, limit: int, offset: int) -> list[Record]:
    """Plate reads matching a ``*``/``?`` pattern, grouped by plate, newest read first.

    The matching distinct plates are walked in order (merged list and the
    newest reads' plates side by side) and each plate's reads fetched from
    the block index until the page is full, so a broad pattern returns its
    first page without touching every match. Plates before the offset are
    only counted.
    """
    glob, prefix, has_wildcards = plate_glob(pattern)
    upper = prefix_upper_bound(prefix) if prefix else None
    params: dict[str, Any] = {"glob": glob, "prefix": prefix, "upper": upper, **tail(conn)}

    def where(alias: str) -> str:
        if not has_wildcards:
            return f"{alias}.plate = :glob"
        # "+": keep SQLite from seeking with a range of its own made from the GLOB
        bounds = f"{alias}.plate >= :prefix AND " if prefix else ""
        bounds += f"{alias}.plate < :upper AND " if upper is not None else ""
        return f"{bounds}+{alias}.plate GLOB :glob"

    merged = conn.execute(f"SELECT n.plate FROM {PLATE_NAMES} n WHERE {where('n')} ORDER BY n.plate", params)
    newest = sorted({r[0] for r in conn.execute(newest_plates_sql(where), params)})
    of_plate = f"FROM plate_reads r INDEXED BY {PLATE_INDEX} WHERE r.plate = :plate AND {block_filter('r', ':blocks')}"
    if state:
        of_plate += " AND r.state = :state"
    args: dict[str, Any] = {"blocks": blocks_json(conn), "state": state.strip().upper() if state else None}
    rows: list[Record] = []
    skip, want = max(0, int(offset)), int(limit)
    try:
        last = None
        for plate in heapq.merge((r[0] for r in merged), newest):
            if want <= 0:
                break
            if plate == last:  # in the merged list and among the newest reads' plates
                continue
            last = plate
            args["plate"] = plate
            if skip:
                n = int(conn.execute(f"SELECT count(*) {of_plate}", args).fetchone()[0])
                if n <= skip:
                    skip -= n
                    continue
            page = fetch(conn, "alpr", f"SELECT r.* {of_plate} ORDER BY r.time DESC LIMIT :limit OFFSET :offset", {**args, "limit": want, "offset": skip})
            skip = 0
            rows.extend(page)
            want -= len(page)
    finally:
        merged.close()
    return rows


def text(conn: sqlite3.Connection, words: str | list[str] | tuple[str, ...], limit: int, offset: int) -> list[Record]:
    """Incidents whose type, address or narrative hold every word; newest first.

    Few matches are fetched and sorted; many (a common word) are found by
    walking the time index newest-first, which stops after one page.
    """
    query = fts_query(words)
    if query is None:
        return []
    params = {"q": query, "limit": limit, "offset": offset, "cap": TEXT_SORT_MAX + 1}
    matches = "SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :q"
    hits = conn.execute(f"SELECT count(*) FROM ({matches} LIMIT :cap)", params).fetchone()[0]
    index = "NOT INDEXED" if hits <= TEXT_SORT_MAX else "INDEXED BY incidents_time"
    sql = (
        f"SELECT t.* FROM incidents t {index} WHERE t.id IN ({matches}) "
        "ORDER BY t.time DESC, t.id DESC LIMIT :limit OFFSET :offset"
    )
    return fetch(conn, "cad", sql, params)


def changes_since(conn: sqlite3.Connection, kind: str, after_rowid: int, limit: int) -> list[Record]:
    sql = f"SELECT * FROM {TABLES[kind]} WHERE id > ? ORDER BY id LIMIT ?"
    return fetch(conn, kind, sql, (int(after_rowid), limit))


def updates_since(conn: sqlite3.Connection, after_seq: int, kinds: Iterable[str], limit: int) -> list[Record]:
    """Records of ``kinds`` UPDATEd after change ``after_seq``, oldest change first, each with ``change_seq``.

    The complement of :func:`changes_since` (inserts, by rowid): a feed's
    later edit of a row keeps its rowid. A record edited several times is
    listed once, at its latest change. ``+kind`` keeps the scan on the
    ``seq`` order rather than the (kind, record_id) index.
    """
    asked = set(kinds)
    wanted = [k for k in KINDS if k in asked]
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    top = conn.execute(
        f"SELECT max(seq) FROM (SELECT seq FROM {CHANGE_LOG} WHERE seq > ? AND +kind IN ({marks}) ORDER BY seq LIMIT ?)",
        (int(after_seq), *wanted, int(limit)),
    ).fetchone()[0]
    if top is None:
        return []
    out: list[Record] = []
    for kind in wanted:
        out += fetch(
            conn,
            kind,
            f"SELECT t.*, c.seq AS change_seq FROM {CHANGE_LOG} c JOIN {TABLES[kind]} t ON t.id = c.record_id "
            "WHERE c.seq > ? AND c.seq <= ? AND +c.kind = ?",
            (int(after_seq), int(top), kind),
        )
    out.sort(key=lambda r: int(r["change_seq"]))
    return out


def max_change_seq(conn: sqlite3.Connection) -> int:
    """The last change number handed out (0 before any update): where a "from now on" cursor starts."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (CHANGE_LOG,)).fetchone()
    return int(row[0]) if row else 0


def get(conn: sqlite3.Connection, kind: str, rowid: int) -> Record | None:
    rows = fetch(conn, kind, f"SELECT * FROM {TABLES[kind]} WHERE id = ?", (int(rowid),))
    return rows[0] if rows else None
