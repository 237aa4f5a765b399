"""From source rows to a :class:`Batch` of validated records and rejects.

Every format ends here: each row is read through the payload's column
:class:`~rtcc_desktop.feeds.adapters.columns.Plan`, validated by
:func:`rtcc_desktop.model.validate.normalise`, and either kept or rejected
with its reason and the raw row. A later row with the same id replaces an
earlier one, as the store's upsert would.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, NamedTuple

from rtcc_desktop.feeds.adapters.columns import NOT_IN_SERVICE, Plan
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.values import clean, coerce_time, is_url, parse_point, split_labelled_url, url_role
from rtcc_desktop.model.records import fields_for
from rtcc_desktop.model.timeutil import TimeParseError, parse_time, zone
from rtcc_desktop.model.validate import FeedContext, RejectError, normalise

log = logging.getLogger(__name__)

_URL_FIELDS = ("stream_url", "substream_url", "snapshot_url")


@dataclass
class Batch:
    """One payload's outcome, ready for ``store.upsert``.

    ``max_updated_at`` is the largest Socrata ``:updated_at`` seen (kept or
    rejected rows alike), the cursor for the next incremental request.
    ``duplicates`` counts rows replaced by a later row with the same id, and
    ``mapping`` says which source column fed each field (for the import
    summary); both are additions to the pinned interface, with defaults.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[tuple[str, object]] = field(default_factory=list)
    max_updated_at: str | None = None
    duplicates: int = 0
    mapping: dict[str, str] = field(default_factory=dict)


class Row(NamedTuple):
    """A source row: what to store as the reject payload, and its flat column values."""

    raw: object
    values: dict[str, Any]
    problem: str | None = None  # a reason found while reading (e.g. a ragged CSV line)


def check_context(ctx: FeedContext) -> None:
    """Fail once for a bad kind or zone rather than rejecting every row for it."""
    try:
        fields_for(ctx.kind)
        zone(ctx.timezone)
    except ValueError as exc:
        raise AdapterError(str(exc)) from None


def assemble(rows: Iterable[Row], plan: Plan, ctx: FeedContext, *, updated_key: str | None = None) -> Batch:
    """Validate every row; keep the last record per id; collect rejects with reasons."""
    kept: dict[str, dict[str, Any]] = {}
    batch = Batch(mapping=plan.describe())
    newest: tuple[datetime, str] | None = None
    for row in rows:
        if updated_key:
            newest = _newer(newest, row.values.get(updated_key))
        try:
            if row.problem:
                raise RejectError(row.problem)
            ours = extract(plan, row.values, ctx)
            rec = normalise(ours, ctx)
        except RejectError as exc:
            batch.rejects.append((str(exc), row.raw))
            continue
        if ctx.kind == "camera" and clean(ours.get("source_id")) is None:
            rec["source_id"] = camera_id(rec)
        sid = rec["source_id"]
        if sid in kept:
            batch.duplicates += 1
            del kept[sid]  # the later row wins and takes the later position
        kept[sid] = rec
    batch.records = list(kept.values())
    batch.max_updated_at = newest[1] if newest else None
    log.debug(
        "%s: %d records, %d rejects, %d superseded duplicates; columns %s",
        ctx.source, len(batch.records), len(batch.rejects), batch.duplicates, batch.mapping,
    )
    return batch


def extract(plan: Plan, values: dict[str, Any], ctx: FeedContext) -> dict[str, Any]:
    """One row in our field vocabulary, values still as the source wrote them."""
    out: dict[str, Any] = {}
    for ours, cols in plan.columns.items():
        for col in cols:
            value = clean(values.get(col))
            if value is None:
                continue
            if ours in _URL_FIELDS:
                if not is_url(value):
                    _note(out, f"unusable {ours.replace('_', ' ')}: {str(value)[:200]}")
                    continue
                _label, value = split_labelled_url(value)
            if ours == "narrative" and "narrative" in out:
                _note(out, str(value), first=True)  # keep notes made before it
            else:
                out[ours] = value
            break
    if plan.time_parts:
        out["time"] = _time(plan.time_parts, values, ctx.time_format)
    if plan.point:
        value = clean(values.get(plan.point))
        point = parse_point(value)
        if point is None and value is not None:
            raise RejectError(f"location {str(value)[:80]!r} is not a point")
        if point is not None:
            out["lat"], out["lon"] = point
    if ctx.kind == "camera":
        _camera(plan, values, out)
    if plan.region and clean(values.get(plan.region)) is not None:
        _note(out, str(clean(values.get(plan.region))), first=True)
    return out


def _note(out: dict[str, Any], text: str, *, first: bool = False) -> None:
    """Add to the narrative, so what a row said but we could not use stays visible."""
    current = clean(out.get("narrative"))
    if current is None:
        out["narrative"] = text
    else:
        out["narrative"] = f"{text}; {current}" if first else f"{current}; {text}"


def _time(cols: list[str], values: dict[str, Any], time_format: str | None) -> Any:
    parts = [clean(values.get(c)) for c in cols]
    if all(p is None for p in parts):
        return None
    if len(parts) == 1:
        return coerce_time(parts[0], time_format)
    empty = [c for c, p in zip(cols, parts, strict=True) if p is None]
    if empty:
        raise RejectError(f"time is incomplete: {empty[0]!r} is empty")
    return coerce_time(" ".join(str(p) for p in parts), time_format)


def _camera(plan: Plan, values: dict[str, Any], out: dict[str, Any]) -> None:
    if plan.status:
        status = clean(values.get(plan.status))
        if isinstance(status, str) and status.lower().replace("_", " ") in NOT_IN_SERVICE:
            raise RejectError(f"camera status {status[:40]!r} means it is not in service")
    hint = clean(values.get(plan.url_hint)) if plan.url_hint else None
    for col in plan.urls:
        value = clean(values.get(col))
        if value is None:
            continue
        if not is_url(value):
            _note(out, f"unusable URL in {col}: {str(value)[:200]}")
            continue
        label, url = split_labelled_url(value)
        role = "stream_url" if url_role(url, hint) == "stream" else "snapshot_url"
        if not out.get(role):
            out[role] = url
        if label and not out.get("name"):
            out["name"] = label


def camera_id(rec: dict[str, Any]) -> str:
    """A stable id for a camera with none: name, place and URLs together.

    Registries list several cameras at one spot under one name (one per
    direction), told apart only by their URLs, so name and place alone would
    merge them.
    """
    parts = [rec.get("name"), rec.get("lat"), rec.get("lon")] + [rec.get(f) for f in _URL_FIELDS]
    text = "\x1f".join("" if p is None else (f"{p:.6f}" if isinstance(p, float) else str(p)) for p in parts)
    return "h:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _newer(best: tuple[datetime, str] | None, value: Any) -> tuple[datetime, str] | None:
    if not isinstance(value, str) or not value.strip():
        return best
    text = value.strip()
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))  # keeps milliseconds
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except ValueError:
        try:
            when = parse_time(text, tz=None)
        except (TimeParseError, ValueError):
            return best
    return (when, text) if best is None or when > best[0] else best
