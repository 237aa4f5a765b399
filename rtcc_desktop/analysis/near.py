""""What was near": every plate read, gunshot and incident around a place and time.

The question an analyst asks after a shooting: which cars passed, which other
shots and calls were there, within R metres and ±T minutes. It reaches into
people's movements, so it is never run without a reason or case number, and
every run is written to the audit log with how many results it returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Iterable

from rtcc_desktop.model.records import KINDS
from rtcc_desktop.model.timeutil import from_iso, to_iso, utc_now

#: Kinds searched unless told otherwise (cameras have no time).
DEFAULT_KINDS: Final[tuple[str, ...]] = ("alpr", "gunshot", "cad")
MAX_RADIUS_M: Final[float] = 50_000.0
MAX_MINUTES: Final[float] = 7 * 24 * 60.0
MAX_REASON: Final[int] = 500


class ReasonRequired(ValueError):
    """A search of personal data was asked for without a reason or case number."""


def require_reason(reason: str | None, what: str = "search") -> str:
    """The trimmed reason, or :class:`ReasonRequired` with a message the analyst can act on."""
    text = " ".join((reason or "").split())
    if not text:
        raise ReasonRequired(
            f"a {what} needs a reason or case number (it is recorded in the audit log); "
            "enter one, e.g. a CAD or case number"
        )
    return text[:MAX_REASON]


def parse_ref(ref: str) -> tuple[str, int]:
    """``"gunshot:42"`` → ``("gunshot", 42)``; ValueError with the expected form otherwise."""
    kind, _, rid = (ref or "").strip().partition(":")
    if kind not in KINDS or not rid.isdigit():
        raise ValueError(f"record {ref!r}: use KIND:ID, e.g. gunshot:42 (kinds: {', '.join(KINDS)})")
    return kind, int(rid)


@dataclass
class NearResult:
    """Results grouped by kind, nearest first within each, plus what was asked."""

    lat: float
    lon: float
    radius_m: float
    since: str | None
    until: str | None
    centre_ref: str | None
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    truncated: dict[str, bool] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.groups.values())

    def records(self) -> list[dict[str, Any]]:
        """All groups as one list, nearest first."""
        out = [r for rows in self.groups.values() for r in rows]
        out.sort(key=lambda r: (r.get("distance_m", 0.0), r["kind"], r["id"]))
        return out


def what_was_near(
    store: Any,
    *,
    reason: str | None,
    actor: str,
    radius_m: float,
    minutes: float | None = None,
    record: str | dict[str, Any] | None = None,
    lat: float | None = None,
    lon: float | None = None,
    at: str | datetime | None = None,
    kinds: Iterable[str] = DEFAULT_KINDS,
    limit_per_kind: int = 1000,
    offset: int = 0,
) -> NearResult:
    """Everything within ``radius_m`` and ±``minutes`` of a record (``"kind:id"`` or a record
    dict) or of a point (``lat``/``lon``, at time ``at``; default now), grouped by kind.

    The centre record itself is left out of its own results. Without
    ``minutes`` there is no time limit. Raises :class:`ReasonRequired` without
    a reason, ValueError for a bad radius/record/point; writes one audit entry
    per search (refused ones are not searches and are not logged).
    """
    why = require_reason(reason, "'what was near' search")
    if not (isinstance(radius_m, (int, float)) and 0 < radius_m <= MAX_RADIUS_M):
        raise ValueError(f"radius must be between 0 and {MAX_RADIUS_M:.0f} metres, got {radius_m!r}")
    if minutes is not None and not (0 < minutes <= MAX_MINUTES):
        raise ValueError(f"± minutes must be between 0 and {MAX_MINUTES:.0f}, got {minutes!r}")
    centre_ref: str | None = None
    centre_time: datetime | None = None
    if record is not None:
        if isinstance(record, str):
            kind, rid = parse_ref(record)
            rec = store.get(kind, rid)
            if rec is None:
                raise ValueError(f"record {record} does not exist (it may have been purged)")
        else:
            rec = record
        centre_ref = f"{rec['kind']}:{rec['id']}"
        if rec.get("lat") is None or rec.get("lon") is None:
            raise ValueError(f"record {centre_ref} has no location, so nothing can be near it")
        lat, lon = float(rec["lat"]), float(rec["lon"])
        if rec.get("time"):
            centre_time = from_iso(rec["time"])
    else:
        if lat is None or lon is None:
            raise ValueError("give a record or a point (lat and lon)")
        lat, lon = float(lat), float(lon)
        if at is not None:
            centre_time = at if isinstance(at, datetime) else from_iso(at)
    since = until = None
    if minutes is not None:
        t = centre_time or utc_now()
        since = to_iso(t - timedelta(minutes=minutes))
        until = to_iso(t + timedelta(minutes=minutes))
    chosen = [k for k in KINDS if k in set(kinds)]
    if not chosen:
        raise ValueError(f"choose at least one kind to search ({', '.join(DEFAULT_KINDS)})")
    result = NearResult(lat, lon, float(radius_m), since, until, centre_ref)
    for kind in chosen:
        if centre_ref is not None and centre_ref.startswith(kind + ":"):
            # the centre sits somewhere in the zero-distance run: read from the
            # start so dropping it cannot shift one result between pages
            rows = store.near(lat, lon, radius_m, since=since, until=until, kinds=[kind],
                              limit=offset + limit_per_kind + 2, offset=0)
            rows = [r for r in rows if f"{r['kind']}:{r['id']}" != centre_ref][offset:]
        else:
            # one extra row tells us whether there is a next page
            rows = store.near(lat, lon, radius_m, since=since, until=until, kinds=[kind],
                              limit=limit_per_kind + 1, offset=offset)
        result.truncated[kind] = len(rows) > limit_per_kind
        result.groups[kind] = rows[:limit_per_kind]
    params: dict[str, Any] = {
        "lat": round(lat, 6),
        "lon": round(lon, 6),
        "radius_m": radius_m,
        "kinds": chosen,
        "limit_per_kind": limit_per_kind,
        "offset": offset,
    }
    if centre_ref:
        params["near_record"] = centre_ref
    if minutes is not None:
        params.update(minutes=minutes, since=since, until=until)
    store.audit(actor, "query near", params, why, result.total)
    return result
