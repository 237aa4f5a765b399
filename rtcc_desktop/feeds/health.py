"""Is each feed healthy? One answer for the CLI ``feeds`` table and the UI status bar.

Health is worked out from what the store keeps per feed (``feed_state``), so
another process (``rtcc-desktop feeds``) sees the same colours as the running
app. The sync engine adds what only it knows (failures in a row, newest record
time) through :class:`LiveStats`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Mapping

from rtcc_desktop.model.records import TABLES
from rtcc_desktop.model.timeutil import from_iso, to_iso, utc_now

if TYPE_CHECKING:
    from rtcc_desktop.config import Config, FeedConfig

log = logging.getLogger(__name__)

Status = Literal["green", "amber", "red"]

#: This many failed polls in a row turn a feed red.
RED_AFTER_FAILURES: Final = 3
#: Data older than this many poll intervals turns a feed amber.
STALE_INTERVALS: Final = 3


@dataclass(frozen=True)
class FeedHealth:
    """One row of the feed-health table."""

    name: str
    kind: str
    status: Status
    reason: str
    last_success: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    lag_s: float | None = None
    rows_in: int = 0
    rows_rejected: int = 0
    consecutive_failures: int = 0
    newest_time: str | None = None
    interval_s: float | None = None


@dataclass
class LiveStats:
    """What the running engine knows about a feed beyond ``feed_state``."""

    consecutive_failures: int = 0
    newest_time: str | None = None
    last_poll_at: str | None = None
    polls: int = 0


class LiveBoard:
    """Thread-safe per-feed :class:`LiveStats`, written by sync workers, read by the UI."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[str, LiveStats] = {}

    def record(self, name: str, *, ok: bool, newest_time: str | None, at: str) -> LiveStats:
        with self._lock:
            s = self._stats.setdefault(name, LiveStats())
            s.polls += 1
            s.last_poll_at = at
            s.consecutive_failures = 0 if ok else s.consecutive_failures + 1
            if newest_time and (s.newest_time is None or newest_time > s.newest_time):
                s.newest_time = newest_time
            return replace(s)

    def seed_newest(self, name: str, newest_time: str | None) -> None:
        with self._lock:
            s = self._stats.setdefault(name, LiveStats())
            if newest_time and (s.newest_time is None or newest_time > s.newest_time):
                s.newest_time = newest_time

    def snapshot(self) -> dict[str, LiveStats]:
        with self._lock:
            return {k: replace(v) for k, v in self._stats.items()}


def _age_s(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    try:
        return max(0.0, (now - from_iso(iso)).total_seconds())
    except ValueError:
        return None


def _failures_from_state(state: Mapping[str, Any], interval_s: float, now: datetime) -> int:
    """Failed polls in a row, estimated from times when no engine is running here.

    A last error newer than the last success means the feed is failing; how
    long it has been failing, in poll intervals, estimates how many polls failed.
    """
    err_at, ok_at = state.get("last_error_at"), state.get("last_success")
    if not err_at or (ok_at and ok_at >= err_at):
        return 0
    if not ok_at:
        return RED_AFTER_FAILURES  # never worked
    failing_for = (from_iso(err_at) - from_iso(ok_at)).total_seconds()
    return max(1, 1 + int(failing_for // max(interval_s, 1e-3)))


def assess(
    name: str,
    kind: str,
    interval_s: float,
    state: Mapping[str, Any] | None,
    live: LiveStats | None = None,
    now: datetime | None = None,
) -> FeedHealth:
    """Colour and reason for one feed.

    red: several polls failed in a row. amber: the last poll failed, the feed
    has not succeeded yet, or our copy is older than 3× the poll interval (no
    successful poll for that long: a stalled worker or a hanging server).
    green otherwise. ``lag_s`` (age of the newest record) is reported but does
    not colour the feed: a quiet night with no calls is not a fault.
    """
    now = now or utc_now()
    st = dict(state or {})
    failures = live.consecutive_failures if live is not None and live.polls else None
    if failures is None:
        failures = int(st.get("consecutive_failures") or 0) if "consecutive_failures" in st else _failures_from_state(st, interval_s, now)
    newest = (live.newest_time if live else None) or st.get("newest_time")
    lag = _age_s(newest, now)
    since_ok = _age_s(st.get("last_success"), now)
    stale_after = STALE_INTERVALS * interval_s

    status: Status
    if failures >= RED_AFTER_FAILURES:
        status, reason = "red", f"{failures} polls failed in a row: {st.get('last_error') or 'unknown error'}"
    elif failures:
        status, reason = "amber", f"last poll failed: {st.get('last_error') or 'unknown error'}"
    elif since_ok is None:
        status, reason = "amber", "not synced yet"
    elif since_ok > stale_after:
        status, reason = "amber", f"last successful poll {since_ok:.0f} s ago (more than {STALE_INTERVALS}× the {interval_s:g} s interval)"
    else:
        status, reason = "green", "ok"
    return FeedHealth(
        name=name,
        kind=kind,
        status=status,
        reason=reason,
        last_success=st.get("last_success"),
        last_error=st.get("last_error"),
        last_error_at=st.get("last_error_at"),
        lag_s=lag,
        rows_in=int(st.get("rows_in") or 0),
        rows_rejected=int(st.get("rows_rejected") or 0),
        consecutive_failures=failures,
        newest_time=newest,
        interval_s=interval_s,
    )


def newest_stored_time(store: Any, kind: str, source: str) -> str | None:
    """Time of the newest stored record of one feed, read on a separate read-only connection.

    For the lag column when no engine is running in this process (the CLI);
    the engine keeps this figure itself, so the UI never waits for this query.
    """
    path = getattr(store, "path", None)
    if not path or str(path) == ":memory:" or kind not in TABLES:
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
        try:
            row = con.execute(f"SELECT max(time) FROM {TABLES[kind]} WHERE source = ?", (source,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        log.debug("newest time of %s not readable: %s", source, exc)
        return None
    return row[0] if row and row[0] else None


def feed_health(
    store: Any,
    config: "Config",
    now: datetime | None = None,
    live: Mapping[str, LiveStats] | None = None,
    *,
    query_newest: bool = True,
) -> list[FeedHealth]:
    """Health of every configured feed, in config order; feeds the config refused are red.

    ``live`` is the running engine's :attr:`SyncEngine.live` snapshot, when
    there is one. Without it the newest record time is read from the file
    (``query_newest``), which costs a query per feed.
    """
    now = now or utc_now()
    out: list[FeedHealth] = []
    for feed in config.feeds:
        stats = (live or {}).get(feed.name)
        if query_newest and (stats is None or stats.newest_time is None):
            stats = replace(stats) if stats is not None else LiveStats()
            stats.newest_time = newest_stored_time(store, feed.kind, feed.name)
        out.append(health_of(store, feed, now=now, live=stats))
    for name, message in config.feed_errors:
        out.append(
            FeedHealth(
                name=name,
                kind="?",
                status="red",
                reason=f"bad settings: {message}",
                last_error=f"bad settings: {message}",
                last_error_at=to_iso(now),
                consecutive_failures=RED_AFTER_FAILURES,
            )
        )
    return out


def health_of(store: Any, feed: "FeedConfig", now: datetime | None = None, live: LiveStats | None = None) -> FeedHealth:
    """Health of one feed from its stored state."""
    return assess(feed.name, feed.kind, feed.interval_s, store.feed_state(feed.name), live=live, now=now)


__all__ = [
    "FeedHealth",
    "LiveBoard",
    "LiveStats",
    "RED_AFTER_FAILURES",
    "STALE_INTERVALS",
    "assess",
    "feed_health",
    "health_of",
    "newest_stored_time",
]
