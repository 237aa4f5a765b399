"""Which source column holds which of our fields.

Every tabular format (CSV, SODA, GeoJSON properties, plain JSON) is reduced to
rows of ``{column: value}``; this module looks at the column names and a
sample of values once per payload and returns a :class:`Plan`. Names are
compared case-, space-, punctuation- and camelCase-insensitively, so
``Event Clearance Date``, ``event_clearance_date`` and ``eventClearanceDate``
are one name. A feed's ``fields`` table (or ``--map``) overrides any guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.values import clean, is_url, parse_point, time_shape
from rtcc_desktop.model.records import fields_for

#: Synthetic column that adapters fill with a GeoJSON geometry.
GEOMETRY = "@geometry"
#: Synthetic column with the containing groups of a nested registry ("Mobile, Alabama").
REGION = "@region"

# Names tried for each field, best first (already normalised: lower case, single spaces).
_NAMES: dict[str, tuple[str, ...]] = {
    "source_id": (
        "id", "incident id", "event id", "cad event number", "cad event id", "event number", "incident number",
        "incident no", "call number", "call id", "cfs number", "cfs id", "call for service number", "master incident number",
        "incident tracking identifier", "camera id", "cctv id", "cam id", "read id", "detection id", "shot id",
        "flag id", "respond id", "response id", "report number", "cad cdw id", "record id", "uid", "guid", "uuid",
    ),
    "time": (
        "datetime", "date time", "date and time", "event datetime", "event date time", "event time", "event date",
        "incident datetime", "incident date time", "incident time", "incident date", "call datetime", "call date time",
        "call time", "call received", "call received time", "received time", "time received", "received datetime",
        "received date", "original time queued", "time queued", "queued time", "reported datetime", "reported date",
        "reported time", "report date", "occurred datetime", "occurred date", "occurred time", "occurred on",
        "event clearance date", "dispatch time", "read time", "read datetime", "read date", "capture time",
        "captured at", "detected at", "detection time", "activation time", "timestamp", "time stamp", "dt",
        "date", "time",
    ),
    "lat": ("latitude", "lat", "y", "lat y", "latitude y", "gps latitude", "gps lat", "point y", "lat dd", "latitude deg"),
    "lon": (
        "longitude", "lon", "long", "lng", "x", "long x", "longitude x", "gps longitude", "gps lon", "gps long",
        "point x", "lon dd", "longitude deg",
    ),
    "type": (
        "type", "call type", "event type", "incident type", "final call type", "final type", "event clearance description",
        "initial type description", "initial call type", "nature", "nature code", "problem", "problem type",
        "offense", "offense type", "crime type", "category", "event clearance group", "type description",
        "alert type", "detection type",
    ),
    "priority": ("priority", "call priority", "priority level", "priority code", "incident priority", "initial priority", "final priority", "pri"),
    "address": (
        "address", "full address", "street address", "incident address", "location address", "block address",
        "hundred block location", "hundred block", "block", "location", "location description", "location name",
        "camera location", "intersection", "addr", "place", "street",
    ),
    "narrative": ("narrative", "notes", "note", "comments", "comment", "remarks", "details", "detail", "summary", "synopsis", "description"),
    "agency": ("agency", "agency name", "agency code", "department", "dept", "ori", "responding agency", "owning agency"),
    "rounds": (
        "rounds", "rounds fired", "number of rounds", "num rounds", "shots", "shots fired", "shot count", "number of shots",
        "num shots", "rounds detected",
    ),
    "plate": (
        "plate", "plate number", "plate no", "license plate", "license plate number", "licence plate", "lp", "lpn",
        "plate hash", "plate read", "plate text", "tag", "tag number", "vrm", "registration", "plate id",
    ),
    "state": ("state", "plate state", "registration state", "lp state", "plate region", "issuing state"),
    "camera": (
        "camera", "camera name", "camera id", "reader", "reader name", "reader id", "device", "device name", "device id",
        "unit", "unit id", "lpr camera", "site", "site name",
    ),
    "name": ("name", "camera name", "cam name", "title", "label", "camera title", "description", "location name"),
    "owner": ("owner", "owner name", "operator", "owned by", "owner agency", "business", "business name"),
    "contact": ("contact", "contact name", "contact phone", "phone", "email", "contact email", "point of contact", "poc"),
    "heading": ("heading", "bearing", "azimuth", "camera heading", "camera bearing", "heading deg", "view heading"),
    "fov_deg": ("fov deg", "fov", "field of view", "fov degrees", "view angle"),
    "range_m": ("range m", "range", "view range", "range meters", "view distance"),
    "stream_url": (
        "stream url", "stream", "live url", "live stream", "video url", "video", "hls", "hls url", "m3u8", "rtsp",
        "rtsp url", "mjpeg", "mjpeg url", "feed url", "rtmp", "rtmpt",
    ),
    "substream_url": ("substream url", "substream", "sub stream", "sub stream url", "secondary stream"),
    "snapshot_url": (
        "snapshot url", "snapshot", "image url", "image", "screenshot address", "screenshot url", "screenshot",
        "still url", "still image", "jpeg url", "jpg", "thumbnail", "thumbnail url", "picture",
    ),
    "access": ("access",),
    "ownership": ("ownership",),
}
# Per-kind differences: a camera's "description" is its name, not a narrative.
_KIND_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("camera", "type"): ("type", "camera type"),
    ("camera", "narrative"): ("narrative", "notes", "note", "comments", "comment", "remarks", "details"),
    ("camera", "address"): _NAMES["address"] + ("description",),
}
_GENERIC_URL = ("url", "camera url", "link", "href", "uri", "web url", "camera link")
_URL_HINT = ("format", "stream format", "encoding", "media type", "content type", "stream type")
_STATUS = ("camera status", "status", "operational status", "state of camera")
#: Camera status values that mean the camera does not exist or is out of service.
NOT_IN_SERVICE = frozenset(
    {"removed", "void", "voided", "decommissioned", "retired", "abandoned", "desired", "planned", "proposed", "deleted", "not installed"}
)
_URL_FIELDS = frozenset({"stream_url", "substream_url", "snapshot_url"})
_TEXT_FIELDS = frozenset({"type", "priority", "address", "narrative", "agency", "camera", "name", "owner", "contact", "state"})
_ID_EXCLUDE = re.compile(r"^(?:object id|objectid|oid|fid|gid|row id|rowid|ogc fid|census.*|zip.*|phone.*)$")
_TIME_EXCLUDE = re.compile(r"updated|modified|turn on|status|edit|load|import|export|birth|dob|expir")
_SAMPLE = 400
#: Names of columns that hold both coordinates, best first.
_POINT_NAMES = ("location", "point", "geometry", "the geom", "geom", "coordinates", "geolocation", "geocoded location",
                "incident location", "report location", "mapped location", "shape", "wkt")


def norm(name: str) -> str:
    """Compare-ready column name: ``"Event_Clearance-Date "`` and ``eventClearanceDate`` → ``"event clearance date"``."""
    text = name.strip().strip("\ufeff")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@dataclass
class Plan:
    """How to read our fields out of one payload's rows; built once, applied per row."""

    columns: dict[str, list[str]] = field(default_factory=dict)  # field -> columns, first non-blank wins
    time_parts: list[str] = field(default_factory=list)  # joined with a space, e.g. ["Date", "Time"]
    point: str | None = None  # one column holding both coordinates
    urls: list[str] = field(default_factory=list)  # camera URL columns sorted by what the URL returns
    url_hint: str | None = None  # a column that names the stream format (M3U8, IMAGE_STREAM, ...)
    status: str | None = None  # camera in-service status column
    region: str | None = None  # nested-registry grouping, used as narrative when there is none

    def describe(self) -> dict[str, str]:
        """Field → column text, for logs and the import summary."""
        out = {f: " | ".join(cols) for f, cols in self.columns.items()}
        if self.time_parts:
            out["time"] = " + ".join(self.time_parts)
        if self.point:
            out["lat"] = out["lon"] = self.point
        if self.urls:
            out["urls"] = " | ".join(self.urls)
        return out


def sample_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows spread through the payload, so a blank first page does not mislead."""
    if len(rows) <= _SAMPLE:
        return list(rows)
    step = len(rows) / _SAMPLE
    return [rows[int(i * step)] for i in range(_SAMPLE)]


def build_plan(
    kind: str,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    fields: dict[str, str] | None = None,
    *,
    point: str | None = None,
) -> Plan:
    """Decide which column feeds each field of ``kind``.

    ``point`` forces a combined-location column (GeoJSON geometry). Raises
    :class:`AdapterError` when ``fields`` names a column the data lacks, or when
    a field the kind cannot do without has no column at all.
    """
    wanted = fields_for(kind)
    unknown = [f for f in (fields or {}) if f not in wanted]
    if unknown:
        raise AdapterError(f"fields: {unknown[0]!r} is not a {kind} field; use one of: {', '.join(wanted)}")
    profile = _Profile(columns, sample_rows(rows))
    plan = Plan(point=point)
    _apply_mapping(plan, dict(fields or {}), profile)
    taken = {c for cols in plan.columns.values() for c in cols} | set(plan.time_parts)
    if plan.point:
        taken.add(plan.point)
    _detect_coordinates(plan, kind, profile, taken)
    if "time" in wanted and kind != "camera" and not plan.time_parts:
        plan.time_parts = _time_columns(profile, _names(kind, "time"), taken)
        taken |= set(plan.time_parts)
    for ours in wanted:
        if ours not in plan.columns and ours not in ("lat", "lon", "time"):
            _detect_field(plan, kind, ours, profile, taken)
    if kind == "camera":
        used = {c for cols in plan.columns.values() for c in cols}
        plan.urls = profile.all_matching(_GENERIC_URL, exclude=taken | used, require_url=True)
        plan.urls += sorted(profile.url_columns - taken - used - set(plan.urls), key=profile.columns.index)
        plan.url_hint = profile.best("hint", _URL_HINT, exclude=taken)
        plan.status = profile.best("status", _STATUS, exclude=taken)
    if REGION in profile.columns:
        plan.region = REGION
    _require(kind, plan, profile)
    return plan


def _apply_mapping(plan: Plan, mapping: dict[str, str], profile: _Profile) -> None:
    """The feed's own ``fields`` table; lat and lon naming one column means a combined point."""
    if mapping.get("lat") and mapping.get("lat") == mapping.get("lon"):
        plan.point = _resolve(mapping.pop("lat"), "lat", profile)
        mapping.pop("lon")
    elif "lat" in mapping or "lon" in mapping:
        plan.point = None  # mapped coordinates win over a geometry
    for ours, spec in mapping.items():
        if ours == "time" and spec not in profile.columns and "+" in spec:
            plan.time_parts = [_resolve(part.strip(), ours, profile) for part in spec.split("+")]
        elif ours == "time":
            plan.time_parts = [_resolve(spec, ours, profile)]
        else:
            plan.columns[ours] = [_resolve(spec, ours, profile)]


def _detect_coordinates(plan: Plan, kind: str, profile: _Profile, taken: set[str]) -> None:
    """Separate latitude/longitude columns, else one column holding both."""
    if plan.point:
        return
    patterns = {"lat": r"^(?:lat|latitude)\b|\blatitude\b", "lon": r"^(?:lon|lng|long|longitude)\b|\blongitude\b"}
    for ours in ("lat", "lon"):
        if ours not in plan.columns:
            col = profile.best(ours, _names(kind, ours), exclude=taken, fuzzy=patterns[ours])
            if col:
                plan.columns[ours] = [col]
                taken.add(col)
    if "lat" not in plan.columns or "lon" not in plan.columns:
        for ours in ("lat", "lon"):
            taken.difference_update(plan.columns.pop(ours, []))
        plan.point = profile.point_column(exclude=taken)
        if plan.point:
            taken.add(plan.point)


def _detect_field(plan: Plan, kind: str, ours: str, profile: _Profile, taken: set[str]) -> None:
    names = _names(kind, ours)
    if kind == "camera" and ours in _URL_FIELDS:
        cols = profile.all_matching(names, exclude=taken, require_url=True)
    elif ours == "source_id":
        best = profile.best(ours, names, exclude=taken, fuzzy=r"(?:^| )(?:id|number|no|num)$", unique=True)
        cols = [best] if best else []
    elif ours == "plate":
        best = profile.best(ours, names, exclude=taken, fuzzy=r"\bplate\b")
        cols = [best] if best else []
    else:
        best = profile.best(ours, names, exclude=taken, text=ours in _TEXT_FIELDS)
        cols = [best] if best else []
    if cols:
        plan.columns[ours] = cols
        if ours not in ("name", "address"):  # one column may be both a camera's name and its address
            taken.update(cols)


def _names(kind: str, ours: str) -> tuple[str, ...]:
    return _KIND_NAMES.get((kind, ours), _NAMES.get(ours, (ours,)))


def _resolve(spec: str, ours: str, profile: _Profile) -> str:
    if spec in profile.columns:
        return spec
    wanted = norm(spec)
    for col in profile.columns:
        if norm(col) == wanted:
            return col
    raise AdapterError(
        f"field {ours!r} is mapped to column {spec!r}, which is not in the data; "
        f"available columns: {_listing(profile.columns)}"
    )


def _listing(columns: Sequence[str]) -> str:
    shown = [c for c in columns if not c.startswith("@")]
    text = ", ".join(repr(c) for c in shown[:60])
    return text + (f", ... ({len(shown)} in all)" if len(shown) > 60 else "") if shown else "(none)"


def _require(kind: str, plan: Plan, profile: _Profile) -> None:
    if not profile.rows:
        return  # an empty page is not an error
    missing = []
    if kind in ("cad", "alpr", "gunshot") and not plan.time_parts:
        missing.append("time")
    if kind in ("gunshot", "camera") and not plan.point and not ("lat" in plan.columns and "lon" in plan.columns):
        missing.append("lat/lon")
    if kind == "alpr" and "plate" not in plan.columns:
        missing.append("plate")
    if missing:
        hint = " ".join(f"--map {m.split('/')[0]}=<column>" for m in missing)
        raise AdapterError(
            f"no column found for {', '.join(missing)} (a {kind} record needs it); "
            f"available columns: {_listing(profile.columns)}; name it in the feed's fields or with {hint}"
        )


def _time_columns(profile: _Profile, names: tuple[str, ...], taken: set[str]) -> list[str]:
    """The column with full timestamps, or a date column joined with a time-of-day column."""
    candidates = profile.ranked(names, exclude=taken, fuzzy=r"\b(?:date|time|datetime|timestamp|when)\b",
                                fuzzy_exclude=_TIME_EXCLUDE)
    shapes = {c: profile.time_shape(c) for c in candidates}
    first_known = next((c for c in candidates if shapes[c]), None)
    if first_known is None:
        return candidates[:1]
    if shapes[first_known] == "datetime":
        return [first_known]
    date = next((c for c in candidates if shapes[c] == "date"), None)
    clock = next((c for c in candidates if shapes[c] == "clock"), None)
    full = next((c for c in candidates if shapes[c] == "datetime"), None)
    if date and clock:
        return [date, clock]
    return [full or first_known]


class _Profile:
    """Column names plus what a sample of their values looks like."""

    def __init__(self, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
        self.columns = list(columns)
        self.rows = rows
        self.normed = {c: norm(c) for c in self.columns if not c.startswith((":", "@"))}  # system/synthetic
        self._values: dict[str, list[Any]] = {}
        self.url_columns = {c for c in self.normed if self._mostly(c, is_url)}
        self.point_columns = {
            c for c in self.normed
            if self._mostly(c, _is_point) or (self.normed[c] in _POINT_NAMES and any(_is_point(v) for v in self.values(c)))
        }

    def values(self, col: str) -> list[Any]:
        if col not in self._values:
            vals = (clean(r.get(col)) for r in self.rows)
            self._values[col] = [v for v in vals if v is not None]
        return self._values[col]

    def _mostly(self, col: str, test: Callable[[Any], bool]) -> bool:
        vals = self.values(col)
        return bool(vals) and sum(1 for v in vals if test(v)) * 2 > len(vals)

    def time_shape(self, col: str) -> str | None:
        counts: dict[str | None, int] = {}
        for v in self.values(col)[:100]:
            shape = time_shape(v)
            counts[shape] = counts.get(shape, 0) + 1
        if not counts:
            return None
        shape, n = max(counts.items(), key=lambda kv: kv[1])
        return shape if n * 2 > sum(counts.values()) else None

    def ranked(self, names: tuple[str, ...], *, exclude: set[str], fuzzy: str | None = None,
               fuzzy_exclude: re.Pattern[str] | None = None) -> list[str]:
        """Columns matching ``names`` in that order, then any matching the ``fuzzy`` pattern."""
        pool = [c for c in self.normed if c not in exclude]
        out: list[str] = []
        for name in names:
            out += [c for c in pool if self.normed[c] == name and c not in out]
        if fuzzy:
            rx = re.compile(fuzzy)
            out += [
                c for c in pool
                if c not in out and rx.search(self.normed[c]) and not (fuzzy_exclude and fuzzy_exclude.search(self.normed[c]))
            ]
        return out

    def best(self, ours: str, names: tuple[str, ...], *, exclude: set[str], fuzzy: str | None = None,
             unique: bool = False, text: bool = False) -> str | None:
        """The first ranked column; fuzzy id matches must hold distinct values to count."""
        exact = self.ranked(names, exclude=exclude)
        if text:
            exact = [c for c in exact if c not in self.url_columns and c not in self.point_columns]
        if exact:
            return exact[0]
        if not fuzzy:
            return None
        for col in self.ranked((), exclude=exclude, fuzzy=fuzzy):
            if ours == "source_id" and _ID_EXCLUDE.match(self.normed[col]):
                continue
            vals = self.values(col)
            if unique and (not vals or len({str(v) for v in vals}) != len(vals)):
                continue
            return col
        return None

    def all_matching(self, names: tuple[str, ...], *, exclude: set[str], require_url: bool) -> list[str]:
        cols = self.ranked(names, exclude=exclude)
        return [c for c in cols if not require_url or c in self.url_columns]

    def point_column(self, *, exclude: set[str]) -> str | None:
        prefer = _POINT_NAMES
        cands = [c for c in self.point_columns if c not in exclude]
        cands.sort(key=lambda c: (prefer.index(self.normed[c]) if self.normed[c] in prefer else len(prefer), self.columns.index(c)))
        return cands[0] if cands else None


def _is_point(value: Any) -> bool:
    try:
        return parse_point(value) is not None
    except ValueError:
        return True  # a non-point geometry is still a geometry column
