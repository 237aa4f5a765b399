"""Store records → the JSON the map page draws (no Qt here).

Two shapes. Events (CAD, gunshots, ALPR reads) travel as compact rows,
``[kind code, id, lat, lon, epoch seconds, style]``: all the page needs to
place, colour, cluster, time-filter and heat-map a point, at about a sixth of
the size of a full record. A full record (:func:`to_page`) also carries the
popup's title and fields; cameras always travel this way (cones, styles), and
the page asks for an event's full record when its popup opens.

Python decides what a popup shows (labels and values as plain text); the page
only puts that text on screen with textContent. Stream URLs never go to the
page: they can hold credentials.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime, timezone, tzinfo
from typing import Any

from rtcc_desktop.model.geo import destination
from rtcc_desktop.model.priority import priority_class

#: Longest text one popup field shows (a CAD narrative can be 8,000 characters).
MAX_FIELD = 600
KIND_LABELS = {"cad": "CAD incident", "gunshot": "Gunshot detection", "alpr": "ALPR read", "camera": "Camera"}
#: Kinds sent as compact rows, by code (the page's ROW_KINDS must match).
ROW_KINDS = ("cad", "gunshot", "alpr")
_ROW_CODE = {kind: code for code, kind in enumerate(ROW_KINDS)}


def iso_to_ms(text: str | None) -> int | None:
    """Canonical UTC text → epoch milliseconds (what the page compares and formats)."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z
    except (TypeError, ValueError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000


def cone_polygon(lat: float, lon: float, heading: float | None, fov_deg: float | None, range_m: float | None) -> list[list[float]]:
    """The camera's field of view as a polygon (apex + arc), or [] when its aim is unknown."""
    if heading is None and (fov_deg is None or fov_deg < 359):
        return []
    fov = 60.0 if fov_deg is None else max(1.0, min(360.0, float(fov_deg)))
    rng = 60.0 if range_m is None else max(1.0, float(range_m))
    if fov >= 359.0:
        steps = 36
        return [list(_r(destination(lat, lon, i * 10.0, rng))) for i in range(steps)]
    start = float(heading or 0.0) - fov / 2.0
    steps = max(4, int(math.ceil(fov / 6.0)))
    pts = [[round(lat, 6), round(lon, 6)]]
    for i in range(steps + 1):
        pts.append(list(_r(destination(lat, lon, start + fov * i / steps, rng))))
    return pts


def _r(p: tuple[float, float]) -> tuple[float, float]:
    return round(p[0], 6), round(p[1], 6)


def _text(value: Any) -> str:
    s = value if type(value) is str else str(value)
    return s if len(s) <= MAX_FIELD else s[: MAX_FIELD - 1] + "…"


def local_time(iso: str | None, tz: tzinfo | None) -> str | None:
    """Canonical UTC text → the centre's local time, e.g. ``2024-05-01 14:03:07 CDT``.

    The page formats marker times itself (from ``t``, in the centre's zone);
    this is for text built in Python. No strftime: under PySide it goes through
    an import hook on every call.
    """
    if not iso:
        return None
    try:
        dt = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    d = dt.astimezone(tz or timezone.utc)
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d} {d.tzname() or ''}".rstrip()


def is_hot(rec: dict[str, Any], hot_plates: frozenset[str] | set[str]) -> bool:
    """An ALPR read that matches the hot list (by plate, or flagged by the feed)."""
    if rec.get("kind") != "alpr":
        return False
    for flag in ("hot", "hotlist", "hit", "alert"):
        v = rec.get(flag)
        if v not in (None, "", 0, False, "0", "false", "no"):
            return True
    plate = rec.get("plate")
    return bool(plate) and str(plate).upper() in hot_plates


def to_page(rec: dict[str, Any], *, hot_plates: frozenset[str] | set[str] = frozenset(), tz: tzinfo | None = None) -> dict[str, Any] | None:
    """One record as the page wants it, or None when it has no location.

    ``t`` (epoch ms) carries the time; the page shows it in the centre's zone.
    ``tz`` is kept for callers that format times here.
    """
    kind = rec.get("kind")
    lat, lon = rec.get("lat"), rec.get("lon")
    if kind not in KIND_LABELS or lat is None or lon is None or rec.get("id") is None:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    ref = f"{kind}:{int(rec['id'])}"
    out: dict[str, Any] = {"r": ref, "k": kind, "kl": KIND_LABELS[kind], "la": round(lat, 6), "lo": round(lon, 6)}
    t = iso_to_ms(rec.get("time"))
    out["t"] = t
    fields: list[tuple[str, Any]] = []
    if kind == "cad":
        cls = priority_class(rec.get("priority"))
        out["cls"] = cls
        out["w"] = 2 if cls == "p1" else 1
        out["ti"] = _text(rec.get("type") or "Incident")
        fields = [("Priority", rec.get("priority")), ("Address", rec.get("address")),
                  ("Agency", rec.get("agency")), ("Narrative", rec.get("narrative")), ("Source id", rec.get("source_id"))]
    elif kind == "gunshot":
        out["w"] = 2
        rounds = rec.get("rounds")
        out["ti"] = "Gunshot" + (f" · {int(rounds)} rounds" if isinstance(rounds, (int, float)) and not math.isnan(rounds) else "")
        fields = [("Rounds", rounds if rounds is None else _fmt_num(rounds)), ("Type", rec.get("type")),
                  ("Address", rec.get("address")), ("Agency", rec.get("agency")), ("Source id", rec.get("source_id"))]
    elif kind == "alpr":
        hot = is_hot(rec, hot_plates)
        out["hot"] = hot
        plate = rec.get("plate") or "?"
        out["ti"] = _text(f"{plate} ({rec['state']})" if rec.get("state") else plate)
        fields = [("Hot list", "HIT" if hot else None), ("Plate", plate), ("State", rec.get("state")),
                  ("Camera", rec.get("camera")), ("Address", rec.get("address")), ("Agency", rec.get("agency"))]
    else:  # camera
        own = (rec.get("ownership") or "public").lower()
        acc = (rec.get("access") or "request").lower()
        out["own"] = own if own in ("public", "private") else "public"
        out["acc"] = acc if acc in ("live", "request") else "request"
        out["ti"] = _text(rec.get("name") or rec.get("source_id") or "Camera")
        out["cone"] = cone_polygon(lat, lon, _num(rec.get("heading")), _num(rec.get("fov_deg")), _num(rec.get("range_m")))
        fields = [("Owner", rec.get("owner")), ("Ownership", own.capitalize()),
                  ("Access", "Live view" if acc == "live" else "Footage on request"),
                  ("Heading", _deg(rec.get("heading"))), ("Field of view", _deg(rec.get("fov_deg"))),
                  ("Range", None if rec.get("range_m") is None else f"{_fmt_num(rec['range_m'])} m"),
                  ("Address", rec.get("address")), ("Contact", rec.get("contact")), ("Agency", rec.get("agency"))]
    out["f"] = [[label, _text(value)] for label, value in fields if value is not None and value != ""]
    return out


def _num(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def _fmt_num(v: Any) -> str:
    x = _num(v)
    if x is None:
        return str(v)
    return str(int(x)) if x.is_integer() else f"{x:.1f}"


def _deg(v: Any) -> str | None:
    return None if v is None else f"{_fmt_num(v)}°"


def to_page_many(records: Iterable[dict[str, Any]], *, hot_plates: frozenset[str] | set[str] = frozenset(), tz: tzinfo | None = None) -> list[dict[str, Any]]:
    out = []
    for rec in records:
        item = to_page(rec, hot_plates=hot_plates, tz=tz)
        if item is not None:
            out.append(item)
    return out


def iso_to_s(text: str | None) -> int | None:
    """Canonical UTC text → epoch seconds (as :func:`iso_to_ms`, a thousand times smaller)."""
    ms = iso_to_ms(text)
    return None if ms is None else ms // 1000


def to_row(rec: dict[str, Any], *, hot_plates: frozenset[str] | set[str] = frozenset()) -> list[Any] | None:
    """One event as a compact page row, or None (no location, or not an event kind).

    ``[code, id, lat, lon, t, style]``: code indexes :data:`ROW_KINDS`; ``t`` is
    epoch seconds (or null); style is the CAD priority class 0-4 (``p0``..``p4``),
    1 for an ALPR read on the hot list, else 0. No feed text: popups fetch it.
    """
    code = _ROW_CODE.get(rec.get("kind"))  # type: ignore[arg-type]
    lat, lon, rid = rec.get("lat"), rec.get("lon"), rec.get("id")
    if code is None or lat is None or lon is None or rid is None:
        return None
    try:
        lat, lon, rid = float(lat), float(lon), int(rid)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if code == 0:
        style = _priority_code(rec.get("priority"))
    elif code == 2:
        style = 1 if is_hot(rec, hot_plates) else 0
    else:
        style = 0
    return [code, rid, round(lat, 6), round(lon, 6), iso_to_s(rec.get("time")), style]


_PRIORITY_CODES: dict[Any, int] = {}


def _priority_code(priority: Any) -> int:
    """:func:`priority_class` as 0-4; text spellings are remembered (a feed uses a handful)."""
    if type(priority) is not str:
        return int(priority_class(priority)[1])
    code = _PRIORITY_CODES.get(priority)
    if code is None:
        code = int(priority_class(priority)[1])
        if len(_PRIORITY_CODES) < 1024:
            _PRIORITY_CODES[priority] = code
    return code


def to_rows(records: Iterable[dict[str, Any]], *, hot_plates: frozenset[str] | set[str] = frozenset()) -> list[list[Any]]:
    out = []
    for rec in records:
        row = to_row(rec, hot_plates=hot_plates)
        if row is not None:
            out.append(row)
    return out


def encode_rows(rows: list[list[Any]]) -> str:
    """Rows as the JSON text :meth:`MapView.apply_rows` sends (made off the GUI thread)."""
    return json.dumps(rows, separators=(",", ":"), allow_nan=False)
