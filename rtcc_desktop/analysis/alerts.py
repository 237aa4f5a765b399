"""Alerts: a hot-list plate was read, or a gunshot / urgent call happened inside a geofence.

The engine runs on the store's change notice ``(kind, max_rowid)`` (the sync
engine's ``on_change``): it pulls the new rows with ``changes_since`` from
its own rowid cursor per kind, and the rows a feed later edited (a CAD call
upgraded to P1, a corrected plate read: same rowid) from the store's change
log with a second cursor, checks them against the active hot lists and
geofences, and writes what it finds to the ``alerts`` table.
``UNIQUE(rule, record)`` plus cursors committed in the same transaction
means a record never alerts twice for the same rule, even across restarts,
repeated edits, or when two engines share a file.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Final

from rtcc_desktop.analysis import geofence as gf
from rtcc_desktop.analysis import hotlist as hl
from rtcc_desktop.analysis.tables import db_of, reading, table_exists, writing
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.records import TABLES
from rtcc_desktop.model.timeutil import iso_now, to_iso, utc_now
from rtcc_desktop.store.queries import max_change_seq

log = logging.getLogger(__name__)

ALERTS: Final[str] = "alerts"
CURSORS: Final[str] = "alert_cursors"
STATES: Final[tuple[str, ...]] = ("new", "acknowledged", "assigned")
#: Kinds that can raise an alert.
WATCHED: Final[tuple[str, ...]] = ("alpr", "gunshot", "cad")
#: The ``alert_cursors`` row holding the change-log position (edits of stored records).
UPDATED: Final[str] = "updated"
BATCH: Final[int] = 5000
MAX_NOTE: Final[int] = 2000

Listener = Callable[[list[dict[str, Any]]], None]


class AlertError(ValueError):
    """An alert action that cannot be done (no such alert, bad state); the message says why."""


def ensure_tables(db: Any) -> None:
    """Create ``alerts`` and ``alert_cursors`` (and the hot-list/geofence tables) when missing."""
    names = set(db.table_names())
    if ALERTS not in names:
        db[ALERTS].create(
            {
                "id": int,
                "rule": str,  # "hotlist:<list>" or "geofence:<fence>"
                "record": str,  # "kind:id"
                "kind": str,
                "record_id": int,
                "record_time": str,
                "created": str,
                "state": str,
                "assignee": str,
                "notes": str,
                "summary": str,
                "detail": str,  # JSON
                "severity": str,
                "lat": float,
                "lon": float,
                "updated": str,
                "updated_by": str,
            },
            pk="id",
            not_null={"rule", "record", "kind", "record_id", "created", "state"},
        )
        db[ALERTS].create_index(["rule", "record"], index_name="alerts_rule_record", unique=True)
        db[ALERTS].create_index(["state", "id"], index_name="alerts_state")
        db[ALERTS].create_index(["record_time"], index_name="alerts_record_time")
        db[ALERTS].create_index(["created", "record_time"], index_name="alerts_created")
    if CURSORS not in names:
        db[CURSORS].create({"kind": str, "rowid": int}, pk="kind")
    hl.ensure_tables(db)
    gf.ensure_tables(db)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["detail"] = json.loads(row["detail"]) if row.get("detail") else {}
    except ValueError:
        row["detail"] = {}
    return row


def _rows(conn: Any, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql, list(args))
    names = [d[0] for d in cur.description]
    return [_decode(dict(zip(names, r))) for r in cur]


# --------------------------------------------------------------------------- queue actions


def list_alerts(
    store: Any,
    states: Iterable[str] | None = None,
    rule_kind: str | None = None,
    assignee: str | None = None,
    after_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Alerts newest first (raised, then event time); filter by state(s), rule kind
    (``hotlist``/``geofence``), assignee."""
    where: list[str] = ["1"]
    args: list[Any] = []
    if states:
        st = [s for s in states if s in STATES]
        where.append(f"state IN ({', '.join('?' * len(st))})" if st else "0")
        args += st
    if rule_kind:
        where.append("rule GLOB ?")
        args.append(rule_kind.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") + ":*")
    if assignee:
        where.append("assignee = ?")
        args.append(assignee)
    if after_id is not None:
        where.append("id > ?")
        args.append(int(after_id))
    with reading(store) as conn:
        if not table_exists(conn, ALERTS):
            return []
        return _rows(
            conn,
            f"SELECT * FROM {ALERTS} WHERE {' AND '.join(where)} "
            "ORDER BY created DESC, record_time DESC, id DESC LIMIT ? OFFSET ?",
            [*args, max(0, int(limit)), max(0, int(offset))],
        )


def newest_first_key(alert: dict[str, Any]) -> tuple[str, str, int]:
    """Sort key (use with reverse=True) matching :func:`list_alerts`' order."""
    return (alert.get("created") or "", alert.get("record_time") or "", int(alert["id"]))


def get_alert(store: Any, alert_id: int) -> dict[str, Any] | None:
    with reading(store) as conn:
        if not table_exists(conn, ALERTS):
            return None
        rows = _rows(conn, f"SELECT * FROM {ALERTS} WHERE id = ?", [int(alert_id)])
    return rows[0] if rows else None


def alert_counts(store: Any) -> dict[str, int]:
    """How many alerts are in each state (for the panel's badge)."""
    out = {s: 0 for s in STATES}
    with reading(store) as conn:
        if not table_exists(conn, ALERTS):
            return out
        for state, n in conn.execute(f"SELECT state, count(*) FROM {ALERTS} GROUP BY state"):
            out[state] = int(n)
    return out


def _update(store: Any, alert_id: int, actor: str, sets: dict[str, Any], note: str | None = None) -> dict[str, Any]:
    now = iso_now()
    with writing(store) as conn:
        if not table_exists(conn, ALERTS) or conn.execute(f"SELECT 1 FROM {ALERTS} WHERE id = ?", [int(alert_id)]).fetchone() is None:
            raise AlertError(f"there is no alert {alert_id}")
        cols = {**sets, "updated": now, "updated_by": actor}
        assignments = [f"{c} = ?" for c in cols]
        args = list(cols.values())
        if note is not None:
            assignments.append("notes = coalesce(notes, '') || ?")
            args.append(f"{now} {actor}: {note}\n")
        conn.execute(f"UPDATE {ALERTS} SET {', '.join(assignments)} WHERE id = ?", [*args, int(alert_id)])
    alert = get_alert(store, alert_id)
    assert alert is not None
    return alert


def acknowledge(store: Any, alert_id: int, actor: str) -> dict[str, Any]:
    """Mark an alert as seen by ``actor`` (an assigned alert stays assigned)."""
    current = get_alert(store, alert_id)
    if current is None:
        raise AlertError(f"there is no alert {alert_id}")
    state = "assigned" if current["state"] == "assigned" else "acknowledged"
    return _update(store, alert_id, actor, {"state": state}, note="acknowledged")


def assign(store: Any, alert_id: int, assignee: str, actor: str) -> dict[str, Any]:
    """Hand an alert to someone (a unit, a detective); the hand-over goes into the notes."""
    who = (assignee or "").strip()[:100]
    if not who:
        raise AlertError("give the name or unit the alert is assigned to")
    return _update(store, alert_id, actor, {"state": "assigned", "assignee": who}, note=f"assigned to {who}")


def add_note(store: Any, alert_id: int, text: str, actor: str) -> dict[str, Any]:
    """Append a timestamped note with its author."""
    note = " ".join((text or "").split())[:MAX_NOTE]
    if not note:
        raise AlertError("the note is empty")
    return _update(store, alert_id, actor, {}, note=note)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Candidate:
    """An alert the rules want to raise for one record (inserted unless already raised)."""

    rule: str
    record: dict[str, Any]
    summary: str
    detail: dict[str, Any]
    severity: str


def _where(rec: dict[str, Any]) -> str:
    return str(rec.get("address") or (f"{rec['lat']:.5f},{rec['lon']:.5f}" if rec.get("lat") is not None else "unknown location"))


def hotlist_candidates(matcher: hl.HotlistMatcher, rec: dict[str, Any], now_iso: str) -> list[Candidate]:
    """An alert per hot list whose active entry this plate read hits."""
    out = []
    for hit in matcher.match(rec.get("plate"), rec.get("state"), now_iso):
        how = f" (similar to listed {hit.plate})" if hit.substituted else ""
        summary = (
            f"Hot list {hit.list_name}: {rec.get('plate')}{' ' + rec['state'] if rec.get('state') else ''}{how} "
            f"at {_where(rec)}" + (f" by {rec['camera']}" if rec.get("camera") else "") + (f" — {hit.reason}" if hit.reason else "")
        )
        detail = {
            "list": hit.list_name,
            "list_id": hit.list_id,
            "listed_plate": hit.plate,
            "listed_state": hit.state,
            "reason": hit.reason,
            "expiry": hit.expiry,
            "substituted": hit.substituted,
            "plate": rec.get("plate"),
            "camera": rec.get("camera"),
        }
        out.append(Candidate(f"hotlist:{hit.list_name}", rec, summary, detail, "high"))
    return out


def geofence_candidates(fences: Iterable[gf.Geofence], rec: dict[str, Any]) -> list[Candidate]:
    """An alert per fence that contains this gunshot or urgent incident."""
    kind = rec["kind"]
    out = []
    for fence in fences:
        if not fence.watches(kind, rec.get("priority")) or not fence.contains(rec.get("lat"), rec.get("lon")):
            continue
        if kind == "gunshot":
            what = str(rec.get("type") or "Gunshot detection")
            severity = "high"
        else:
            p = priority_level(rec.get("priority"))
            what = f"P{p} {rec.get('type') or 'incident'}"
            severity = "high" if p is not None and p <= 1 else "medium"
        summary = f"Geofence {fence.name}: {what} at {_where(rec)}"
        detail = {"fence": fence.name, "fence_id": fence.id, "type": rec.get("type"), "priority": rec.get("priority")}
        out.append(Candidate(f"geofence:{fence.name}", rec, summary, detail, severity))
    return out


# --------------------------------------------------------------------------- engine


class AlertEngine:
    """Turns store-change notices into alerts; synchronous via :meth:`process`, or on its own thread.

    ``start_at="now"`` (default) starts a fresh engine at the current end of
    each table, so opening a large old cache does not alert on its history;
    ``"all"`` checks every stored record once. Later runs resume from the
    cursor saved with the alerts.
    """

    def __init__(
        self,
        store: Any,
        *,
        start_at: str = "now",
        clock: Callable[[], datetime] = utc_now,
        thread_name: str = "rtcc-alerts",
    ) -> None:
        if start_at not in ("now", "all"):
            raise ValueError("start_at must be 'now' or 'all'")
        self.store = store
        self.clock = clock  # "now" for hot-list expiry and alert times (the simulator's clock in demos)
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()  # one process() at a time
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._thread_name = thread_name
        self._hot_version: str | None = None
        self._loaded_at = ""
        self._matcher = hl.HotlistMatcher([])
        self._fence_version: str | None = None
        self._fences: list[gf.Geofence] = []
        self.last_error: str | None = None
        with writing(store) as conn:
            ensure_tables(db_of(store))
            have = {k for (k,) in conn.execute(f"SELECT kind FROM {CURSORS}")}
            tops = store_max_rowids(conn) if start_at == "now" else {}
            for kind in WATCHED:
                if kind not in have:
                    conn.execute(f"INSERT INTO {CURSORS} (kind, rowid) VALUES (?, ?)", [kind, tops.get(kind, 0)])
            if UPDATED not in have:
                # an engine from before the change log starts at 0: it missed no edit logged since the migration
                fresh = start_at == "now" and not have
                start = max_change_seq(conn) if fresh else 0
                conn.execute(f"INSERT INTO {CURSORS} (kind, rowid) VALUES (?, ?)", [UPDATED, start])

    # ------------------------------------------------------------------ listeners
    def subscribe(self, listener: Listener) -> None:
        """``listener(new_alerts)`` is called after each batch that raised alerts (on the engine's thread)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # ------------------------------------------------------------------ rules state
    def _refresh_rules(self, now_iso: str) -> None:
        v = hl.hotlist_version(self.store)
        if v != self._hot_version or now_iso < self._loaded_at:
            self._matcher = hl.HotlistMatcher.load(self.store, now_iso)
            self._hot_version = v
            self._loaded_at = now_iso
            log.info("alerts: %d hot-list entries active", self._matcher.size)
        fv = gf.geofence_version(self.store)
        if fv != self._fence_version:
            self._fences = gf.list_geofences(self.store, active_only=True)
            self._fence_version = fv
            log.info("alerts: %d geofences active", len(self._fences))

    def cursors(self) -> dict[str, int]:
        with reading(self.store) as conn:
            return {k: int(r) for k, r in conn.execute(f"SELECT kind, rowid FROM {CURSORS}")}

    # ------------------------------------------------------------------ work
    def process(self, kind: str | None = None, max_rowid: int | None = None) -> list[dict[str, Any]]:
        """Check every record added or edited since the cursors (all watched kinds); return the new alerts.

        ``kind``/``max_rowid`` are the notice's and only name what woke us:
        the cursors decide what is read, so a missed notice loses nothing.
        """
        new: list[dict[str, Any]] = []
        with self._lock:
            now_iso = to_iso(self.clock())
            self._refresh_rules(now_iso)
            cursors = self.cursors()
            for k in WATCHED:  # new records, by rowid
                new += self._drain(k, "id", partial(self.store.changes_since, k, limit=BATCH), cursors, now_iso)
            # edits of stored records: the change log, in change order
            new += self._drain(UPDATED, "change_seq", lambda after: self.store.updates_since(after, WATCHED, BATCH), cursors, now_iso)
        if new:
            log.info("alerts: %d new", len(new))
            for listener in list(self._listeners):
                try:
                    listener(new)
                except Exception:  # a broken view must not stop alerting
                    log.exception("alert listener failed")
        return new

    def _candidates(self, rows: list[dict[str, Any]], now_iso: str) -> list[Candidate]:
        cands: list[Candidate] = []
        for rec in rows:
            if rec["kind"] == "alpr":
                if self._matcher.size:
                    cands += hotlist_candidates(self._matcher, rec, now_iso)
            elif self._fences:
                cands += geofence_candidates(self._fences, rec)
        return cands

    def _drain(self, cursor: str, key: str, fetch: Callable[[int], list[dict[str, Any]]],
               cursors: dict[str, int], now_iso: str) -> list[dict[str, Any]]:
        """Read pages after ``cursors[cursor]`` until none is left; alert on each and move the cursor with it."""
        new: list[dict[str, Any]] = []
        while True:
            rows = fetch(cursors.get(cursor, 0))
            if not rows:
                return new
            top = max(int(r[key]) for r in rows)
            new += self._commit(cursor, top, self._candidates(rows, now_iso), now_iso)
            cursors[cursor] = top
            if len(rows) < BATCH:
                return new

    def _commit(self, kind: str, top: int, cands: list[Candidate], now_iso: str) -> list[dict[str, Any]]:
        """Insert the candidates (skipping ones raised before) and move the cursor, in one transaction."""
        ids: list[int] = []
        with writing(self.store) as conn:
            for c in cands:
                rec = c.record
                cur = conn.execute(
                    f"INSERT INTO {ALERTS} (rule, record, kind, record_id, record_time, created, state, summary, "
                    "detail, severity, lat, lon) VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?) "
                    "ON CONFLICT(rule, record) DO NOTHING RETURNING id",
                    [
                        c.rule,
                        f"{rec['kind']}:{rec['id']}",
                        rec["kind"],
                        int(rec["id"]),
                        rec.get("time"),
                        now_iso,
                        c.summary,
                        json.dumps(c.detail, ensure_ascii=False, default=str),
                        c.severity,
                        rec.get("lat"),
                        rec.get("lon"),
                    ],
                )
                row = cur.fetchone()
                if row:
                    ids.append(int(row[0]))
            conn.execute(f"UPDATE {CURSORS} SET rowid = max(rowid, ?) WHERE kind = ?", [top, kind])
        if not ids:
            return []
        with reading(self.store) as conn:
            return _rows(conn, f"SELECT * FROM {ALERTS} WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id", ids)

    # ------------------------------------------------------------------ notice + thread
    def notify(self, kind: str, max_rowid: int) -> None:
        """The store-change callback (any thread, returns at once): wake the engine's thread.

        Before :meth:`start` it processes synchronously instead, so it can be
        wired as a plain ``on_change`` in scripts and tests.
        """
        if kind not in WATCHED:
            return
        if self._thread is None:
            self.process(kind, max_rowid)
        else:
            self._wake.set()

    def start(self, sweep_s: float = 30.0) -> None:
        """Run on a thread that wakes on every notice (and every ``sweep_s`` for changes made elsewhere)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(sweep_s,), name=self._thread_name, daemon=True)
        self._thread.start()

    def _run(self, sweep_s: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(sweep_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.process()
                self.last_error = None
            except Exception as exc:  # keep alerting after a transient error (locked file, ...)
                self.last_error = str(exc)
                log.exception("alert engine: processing failed")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (the running batch finishes first) and join it."""
        t = self._thread
        if t is None:
            return
        self._stop.set()
        self._wake.set()
        t.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def store_max_rowids(conn: Any) -> dict[str, int]:
    """Current end of each watched table, read on a connection already held."""
    return {k: int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {TABLES[k]}").fetchone()[0]) for k in WATCHED}
