"""The wall's live figures, STALE marking and priority events: plain Python, no Qt.

Everything here runs on the wall's store worker (its own read connection)
with bounded queries: counts over the time index, and incremental scans from
a cursor, at most a few pages per refresh. The GUI thread gets a finished
:class:`WallFigures` and only draws it. ``now`` is always passed in, so tests
(and a wall replaying a recorded day) control the clock.

It sits in ``ui/`` because it belongs to the wall, but imports no Qt and is
tested without a display.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Final

from rtcc_desktop.analysis.tables import reading
from rtcc_desktop.model.priority import priority_class
from rtcc_desktop.model.timeutil import from_iso, to_iso, utc_now
from rtcc_desktop.wall_layout import WallLayout

log = logging.getLogger(__name__)

PRIORITY_CLASSES: Final[tuple[str, ...]] = ("p1", "p2", "p3", "p4", "p0")
#: Which feed kinds each figure depends on (its STALE marking follows theirs).
FIGURE_KINDS: Final[dict[str, str]] = {"cad_open": "cad", "gunshots_1h": "gunshot", "gunshots_24h": "gunshot", "hotlist_today": "alpr"}
#: Plate reads matched against the hot lists per refresh (the rest wait for the next one).
HOT_SCAN_PAGE: Final = 20_000
#: New rows looked at per kind per refresh for priority events.
EVENT_PAGE: Final = 2_000
EVENT_PAGES: Final = 3
RECENT_CAD_SCAN: Final = 300
#: An edit raises a priority event only for a call of the last day (the calls primed as already raised).
EDIT_WINDOW: Final = timedelta(hours=24)
#: Raised calls remembered; past this, the ones older than EDIT_WINDOW are forgotten.
MAX_RAISED: Final = 20_000


@dataclass(frozen=True)
class FeedStatus:
    """One feed on the wall: its colour, whether its data is STALE, and why."""

    name: str
    kind: str
    status: str  # green / amber / red (feeds.health)
    stale: bool
    age_s: float | None  # since the last successful poll; None = never
    limit_s: float  # interval_s x stale_factor
    reason: str
    lag_s: float | None = None


@dataclass(frozen=True)
class PriorityEvent:
    """Something the wall zooms to and puts on the ticker. Text fields are feed text (untrusted)."""

    ref: str  # "kind:id" of the record
    kind: str  # gunshot | cad | hotlist
    time: str  # canonical UTC
    lat: float | None
    lon: float | None
    title: str
    where: str
    #: When an EDIT of the record made it a priority event (a call raised to P1), canonical UTC; else None.
    raised_at: str | None = None

    @property
    def news_time(self) -> str:
        """When the wall learned of it: the edit for a raised call, else the record's time (freshness, order)."""
        return self.raised_at if self.raised_at and self.raised_at > self.time else self.time


@dataclass(frozen=True)
class WallFigures:
    """One refresh of the strip, computed at ``computed_at`` (the injected clock)."""

    computed_at: str
    cad_open: dict[str, int]
    gunshots_1h: int
    gunshots_24h: int
    hotlist_today: int
    feeds: tuple[FeedStatus, ...]
    #: figure name → names of the feeds that make it STALE (empty: fresh).
    stale: dict[str, tuple[str, ...]]
    #: figure name → True when no enabled feed of its kind is configured.
    no_feed: dict[str, bool] = field(default_factory=dict)
    #: Priority events that arrived since the last refresh (the map follows these).
    events: tuple[PriorityEvent, ...] = ()
    #: On the first refresh only: the last day's newest events, to fill the ticker.
    history: tuple[PriorityEvent, ...] = ()
    open_hours: float = 4.0

    @property
    def cad_open_total(self) -> int:
        return sum(self.cad_open.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "computed_at": self.computed_at,
            "cad_open": dict(self.cad_open),
            "cad_open_total": self.cad_open_total,
            "gunshots_1h": self.gunshots_1h,
            "gunshots_24h": self.gunshots_24h,
            "hotlist_today": self.hotlist_today,
            "stale": {k: list(v) for k, v in self.stale.items()},
            "feeds": [{"name": f.name, "kind": f.kind, "status": f.status, "stale": f.stale, "age_s": f.age_s} for f in self.feeds],
        }


@dataclass
class FigureState:
    """What the worker keeps between refreshes (touched on the worker thread only)."""

    day_start: str | None = None
    hot_version: str | None = None
    hot_top: int = 0  # plate_reads scanned up to this id
    hot_count: int = 0
    hot_scan_after: int = 0  # resumes a long first scan
    hot_scan_until: int = 0
    matcher: Any = None
    matcher_loaded: str = ""
    cursors: dict[str, int] | None = None  # priority-event cursors per kind
    change_cursor: int = 0  # edits (store change log) looked at up to here
    #: "cad:id" → time of the calls already priority events (raised on arrival or by an edit, or
    #: already urgent when the wall opened): an edit raises a call once.
    raised: dict[str, str] = field(default_factory=dict)
    primed: bool = False


# --------------------------------------------------------------------------- staleness


def feed_statuses(store: Any, config: Any, layout: WallLayout, now: datetime, live: Mapping[str, Any] | None = None) -> list[FeedStatus]:
    """Per enabled feed: health colour plus STALE when its last success is older than interval x factor."""
    feeds = [f for f in getattr(config, "feeds", ()) if getattr(f, "enabled", True)]
    if not feeds:
        return []
    from rtcc_desktop.feeds.health import assess

    out = []
    for f in feeds:
        state = store.feed_state(f.name)
        h = assess(f.name, f.kind, f.interval_s, state, live=(live or {}).get(f.name), now=now)
        limit = float(f.interval_s) * layout.stale_factor
        last = (state or {}).get("last_success")
        age = None
        if last:
            try:
                age = max(0.0, (now - from_iso(last)).total_seconds())
            except ValueError:
                age = None
        stale = age is None or age > limit
        if age is None:
            reason = "never synced"
        elif stale:
            reason = f"no update for {fmt_age(age)} (expected every {fmt_age(float(f.interval_s))})"
        else:
            reason = h.reason
        out.append(FeedStatus(f.name, f.kind, h.status, stale, age, limit, reason, h.lag_s))
    return out


def figure_staleness(feeds: Iterable[FeedStatus], config: Any) -> tuple[dict[str, tuple[str, ...]], dict[str, bool]]:
    """Which feeds make each figure STALE, and which figures have no feed at all."""
    feeds = list(feeds)
    kinds_configured = {f.kind for f in getattr(config, "feeds", ()) if getattr(f, "enabled", True)}
    stale: dict[str, tuple[str, ...]] = {}
    no_feed: dict[str, bool] = {}
    for fig, kind in FIGURE_KINDS.items():
        stale[fig] = tuple(f.name for f in feeds if f.kind == kind and f.stale)
        no_feed[fig] = kind not in kinds_configured
    return stale, no_feed


def fmt_age(seconds: float | None) -> str:
    """45 s, 14 min, 3 h 05 min, 2 d: what a supervisor reads at a glance."""
    if seconds is None:
        return "never"
    s = int(round(seconds))
    if s < 90:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 172800:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m:02d} min" if m else f"{h} h"
    return f"{s // 86400} d"


# --------------------------------------------------------------------------- counts


def _count(conn: Any, table: str, since: str, until: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table} WHERE time >= ? AND time <= ?", (since, until)).fetchone()
    return int(row[0])


def cad_open_counts(conn: Any, since: str, until: str) -> dict[str, int]:
    """Incidents in the open window, by priority class p1..p4 (p0: unknown priority)."""
    out = {k: 0 for k in PRIORITY_CLASSES}
    for prio, n in conn.execute("SELECT priority, count(*) FROM incidents WHERE time >= ? AND time <= ? GROUP BY priority", (since, until)):
        out[priority_class(prio)] += int(n)
    return out


def local_day_start(now: datetime, tz: tzinfo) -> datetime:
    """Midnight of ``now``'s day in the centre's zone (as an aware datetime)."""
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


# --------------------------------------------------------------------------- hot list


def _hot_matcher(store: Any, state: FigureState, now_iso: str) -> Any:
    from rtcc_desktop.analysis import hotlist as hl

    version = hl.hotlist_version(store)
    if state.matcher is None or version != state.hot_version or now_iso[:13] != state.matcher_loaded[:13]:
        changed = version != state.hot_version
        state.matcher = hl.HotlistMatcher.load(store, now_iso)
        state.matcher_loaded = now_iso
        if changed:
            state.hot_version = version
            state.day_start = None  # recount today with the new lists
    return state.matcher


def _hot_event(rec: dict[str, Any], hits: list[Any]) -> PriorityEvent:
    plate = str(rec.get("plate") or "?")
    st = f" {rec['state']}" if rec.get("state") else ""
    lists = ", ".join(sorted({h.list_name for h in hits}))
    where = str(rec.get("address") or rec.get("camera") or "")
    return PriorityEvent(f"alpr:{rec['id']}", "hotlist", str(rec["time"]), _f(rec.get("lat")), _f(rec.get("lon")),
                         f"HOT LIST {plate}{st} ({lists})", where)


def hotlist_hits_today(store: Any, state: FigureState, now: datetime, tz: tzinfo) -> tuple[int, list[PriorityEvent]]:
    """Plate reads since local midnight that hit an active hot list; incremental and bounded.

    Returns (count today, hits found among rows that arrived since the last call).
    """
    now_iso = to_iso(now)
    matcher = _hot_matcher(store, state, now_iso)
    day_start = to_iso(local_day_start(now, tz))
    new_events: list[PriorityEvent] = []
    with reading(store) as conn:
        top = int(conn.execute("SELECT coalesce(max(id), 0) FROM plate_reads").fetchone()[0])
        if state.day_start != day_start:  # new day or new lists: count today again from the start
            state.day_start = day_start
            state.hot_count = 0
            state.hot_scan_after = 0
            state.hot_scan_until = top
            state.hot_top = top
        if not matcher.size:
            state.hot_scan_after = state.hot_scan_until
            state.hot_top = top
            return 0, []
        budget = HOT_SCAN_PAGE
        # 1) a first (or recount) scan of today's rows up to hot_scan_until, resumable
        while state.hot_scan_after < state.hot_scan_until and budget > 0:
            rows = conn.execute(
                "SELECT id, time, plate, state, lat, lon, address, camera FROM plate_reads "
                "WHERE id > ? AND id <= ? AND time >= ? ORDER BY id LIMIT ?",
                (state.hot_scan_after, state.hot_scan_until, day_start, budget),
            ).fetchall()
            if not rows:
                state.hot_scan_after = state.hot_scan_until
                break
            for r in rows:
                if matcher.match(r[2], r[3], now_iso):
                    state.hot_count += 1
            state.hot_scan_after = int(rows[-1][0])
            budget -= len(rows)
        # 2) rows that arrived since the last call
        if budget > 0 and top > state.hot_top:
            rows = conn.execute(
                "SELECT id, time, plate, state, lat, lon, address, camera FROM plate_reads WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                (state.hot_top, top, budget),
            ).fetchall()
            for r in rows:
                rec = {"id": r[0], "time": r[1], "plate": r[2], "state": r[3], "lat": r[4], "lon": r[5], "address": r[6], "camera": r[7]}
                hits = matcher.match(r[2], r[3], now_iso)
                if hits and r[1] and r[1] >= day_start:
                    state.hot_count += 1
                    new_events.append(_hot_event(rec, hits))
            if rows:
                state.hot_top = int(rows[-1][0])
    return state.hot_count, new_events


# --------------------------------------------------------------------------- priority events


def _f(v: Any) -> float | None:
    try:
        return None if v is None else float(v)
    except (TypeError, ValueError):
        return None


def event_of(rec: dict[str, Any], cad_max_priority: int) -> PriorityEvent | None:
    """A gunshot or an urgent CAD incident as a priority event; None for anything else."""
    kind = rec.get("kind")
    if not rec.get("time") or rec.get("id") is None:
        return None
    where = str(rec.get("address") or "")
    if kind == "gunshot":
        rounds = _f(rec.get("rounds"))
        n = int(rounds) if rounds is not None and rounds == rounds else None  # NaN != NaN
        title = "GUNSHOT" + (f" · {n} round{'' if n == 1 else 's'}" if n is not None else "")
        return PriorityEvent(f"gunshot:{rec['id']}", "gunshot", str(rec["time"]), _f(rec.get("lat")), _f(rec.get("lon")), title, where)
    if kind == "cad":
        cls = priority_class(rec.get("priority"))
        if cls == "p0" or int(cls[1]) > cad_max_priority:
            return None
        title = f"P{cls[1]} {str(rec.get('type') or 'INCIDENT').upper()}"
        return PriorityEvent(f"cad:{rec['id']}", "cad", str(rec["time"]), _f(rec.get("lat")), _f(rec.get("lon")), title, where)
    return None


def new_priority_events(store: Any, state: FigureState, layout: WallLayout, now: datetime | None = None) -> list[PriorityEvent]:
    """Priority events among rows added, or CAD calls edited up to a followed priority, since the last call.

    The first call only sets the cursors (and notes the calls already urgent).
    """
    kinds = [k for k in ("gunshot", "cad") if k in layout.follow.kinds]
    now = now or utc_now()
    if state.cursors is None:
        state.change_cursor = store.max_change_seq()  # before the rowids: an edit in between is looked at again
        tops = store.max_rowids()
        state.cursors = {k: int(tops.get(k, 0)) for k in ("gunshot", "cad")}
        if "cad" in kinds:
            _prime_raised(store, state, layout, now)
        return []
    tops = store.max_rowids()
    out: list[PriorityEvent] = []
    for kind in kinds:
        after = state.cursors.get(kind, 0)
        for _ in range(EVENT_PAGES):
            rows = store.changes_since(kind, after, EVENT_PAGE)
            for rec in rows:
                ev = event_of(rec, layout.follow.cad_max_priority)
                if ev is not None and ev.ref not in state.raised:  # not raised by an edit already
                    if kind == "cad":
                        state.raised[ev.ref] = ev.time
                    out.append(ev)
            if rows:
                after = int(rows[-1]["id"])
            if len(rows) < EVENT_PAGE:
                break
        else:  # a flood: skip what is left rather than fall ever further behind
            after = max(after, int(tops.get(kind, after)))
        state.cursors[kind] = after
    if "cad" in kinds:
        out += edited_priority_events(store, state, layout, now)
    return out


def _prime_raised(store: Any, state: FigureState, layout: WallLayout, now: datetime) -> None:
    """Note the last day's calls that are priority events already: a later edit of them is no news."""
    with reading(store) as conn:
        cur = conn.execute("SELECT id, time, priority FROM incidents WHERE time >= ?", (to_iso(now - EDIT_WINDOW),))
        for rid, time, prio in cur:
            if event_of({"kind": "cad", "id": rid, "time": time, "priority": prio}, layout.follow.cad_max_priority):
                state.raised[f"cad:{rid}"] = str(time)


def edited_priority_events(store: Any, state: FigureState, layout: WallLayout, now: datetime) -> list[PriorityEvent]:
    """CAD calls of the last day that an edit raised to a followed priority (each call once), from the change log."""
    since, now_iso = to_iso(now - EDIT_WINDOW), to_iso(now)
    out: list[PriorityEvent] = []
    for _ in range(EVENT_PAGES):
        rows = store.updates_since(state.change_cursor, ["cad"], EVENT_PAGE)
        for rec in rows:
            ev = event_of(rec, layout.follow.cad_max_priority)
            if ev is None or ev.ref in state.raised or ev.time < since:
                continue  # not urgent, already raised, or an old call's paperwork
            state.raised[ev.ref] = ev.time
            out.append(PriorityEvent(ev.ref, ev.kind, ev.time, ev.lat, ev.lon, ev.title, ev.where, raised_at=now_iso))
        if rows:
            state.change_cursor = max(state.change_cursor, max(int(r["change_seq"]) for r in rows))
        if len(rows) < EVENT_PAGE:
            break
    else:  # a flood of edits: skip the rest rather than fall behind
        state.change_cursor = max(state.change_cursor, store.max_change_seq())
    if len(state.raised) > MAX_RAISED:
        state.raised = {ref: t for ref, t in state.raised.items() if t >= since}
    return out


def recent_priority_events(store: Any, now: datetime, layout: WallLayout, n: int) -> list[PriorityEvent]:
    """The newest ``n`` priority events of the last 24 h (to fill the ticker when the wall opens)."""
    since, until = to_iso(now - timedelta(hours=24)), to_iso(now)
    out: list[PriorityEvent] = []
    with reading(store) as conn:
        if "gunshot" in layout.follow.kinds:
            cur = conn.execute("SELECT id, time, lat, lon, rounds, address FROM gunshots WHERE time >= ? AND time <= ? "
                               "ORDER BY time DESC LIMIT ?", (since, until, n))
            for r in cur.fetchall():
                ev = event_of({"kind": "gunshot", "id": r[0], "time": r[1], "lat": r[2], "lon": r[3], "rounds": r[4], "address": r[5]}, 1)
                if ev:
                    out.append(ev)
        if "cad" in layout.follow.kinds:
            cur = conn.execute("SELECT id, time, lat, lon, priority, type, address FROM incidents WHERE time >= ? AND time <= ? "
                               "ORDER BY time DESC LIMIT ?", (since, until, RECENT_CAD_SCAN))
            for r in cur.fetchall():
                ev = event_of({"kind": "cad", "id": r[0], "time": r[1], "lat": r[2], "lon": r[3], "priority": r[4], "type": r[5],
                               "address": r[6]}, layout.follow.cad_max_priority)
                if ev:
                    out.append(ev)
    out.sort(key=lambda e: e.time, reverse=True)
    return out[:n]


# --------------------------------------------------------------------------- one refresh


def compute_figures(
    store: Any,
    config: Any,
    layout: WallLayout,
    now: datetime,
    tz: tzinfo,
    state: FigureState,
    live: Mapping[str, Any] | None = None,
) -> WallFigures:
    """Every figure of the strip, the feeds' STALE marks and the new priority events."""
    now_iso = to_iso(now)
    with reading(store) as conn:
        open_since = to_iso(now - timedelta(hours=layout.open_hours))
        cad = cad_open_counts(conn, open_since, now_iso)
        g1 = _count(conn, "gunshots", to_iso(now - timedelta(hours=1)), now_iso)
        g24 = _count(conn, "gunshots", to_iso(now - timedelta(hours=24)), now_iso)
    hot_n, hot_events = hotlist_hits_today(store, state, now, tz)
    events = new_priority_events(store, state, layout, now)
    if "hotlist" in layout.follow.kinds:
        events += hot_events
    history: list[PriorityEvent] = []
    if not state.primed:  # first refresh: the ticker starts with the last day's events
        state.primed = True
        history = recent_priority_events(store, now, layout, layout.ticker_items)
    events.sort(key=lambda e: e.news_time)
    feeds = feed_statuses(store, config, layout, now, live)
    stale, no_feed = figure_staleness(feeds, config)
    return WallFigures(
        computed_at=now_iso,
        cad_open=cad,
        gunshots_1h=g1,
        gunshots_24h=g24,
        hotlist_today=hot_n,
        feeds=tuple(feeds),
        stale=stale,
        no_feed=no_feed,
        events=tuple(events),
        history=tuple(history),
        open_hours=layout.open_hours,
    )


# --------------------------------------------------------------------------- following


class MapFollower:
    """When to zoom to a priority event and when to back out (no Qt; ``now`` is monotonic seconds).

    Focus an event for ``dwell_s``, then show the overview for at least
    ``overview_s``; the newest event offered meanwhile is shown next, unless
    it has grown older than ``max_age_s`` by then (event time vs ``wall_now``).
    """

    def __init__(self, dwell_s: float, overview_s: float, max_age_s: float) -> None:
        self.dwell_s = dwell_s
        self.overview_s = overview_s
        self.max_age_s = max_age_s
        self.current: PriorityEvent | None = None
        self.pending: PriorityEvent | None = None
        self._until = 0.0  # focus ends / overview hold ends
        self.focusing = False
        self.shown = 0

    def offer(self, event: PriorityEvent) -> None:
        """A new priority event; only the newest waiting one is kept."""
        if event.lat is None or event.lon is None:
            return
        if self.current is not None and event.ref == self.current.ref:
            return
        if self.pending is None or event.news_time >= self.pending.news_time:
            self.pending = event

    def step(self, now: float, wall_now: datetime) -> tuple[str, PriorityEvent | None] | None:
        """("focus", event) or ("overview", None) when the map must move; else None."""
        if self.focusing and now >= self._until:
            self.focusing = False
            self.current = None
            self._until = now + self.overview_s
            return ("overview", None)
        if not self.focusing and self.pending is not None and now >= self._until:
            ev, self.pending = self.pending, None
            try:
                age = (wall_now - from_iso(ev.news_time)).total_seconds()
            except ValueError:
                age = self.max_age_s + 1
            if age > self.max_age_s:
                return None
            self.current = ev
            self.focusing = True
            self.shown += 1
            self._until = now + self.dwell_s
            return ("focus", ev)
        return None


__all__ = [
    "FeedStatus",
    "FigureState",
    "MapFollower",
    "PriorityEvent",
    "WallFigures",
    "compute_figures",
    "edited_priority_events",
    "event_of",
    "feed_statuses",
    "fmt_age",
    "hotlist_hits_today",
    "local_day_start",
    "new_priority_events",
    "recent_priority_events",
]
