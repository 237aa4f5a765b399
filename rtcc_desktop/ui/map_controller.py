"""Feeds the map from the store and answers the map's actions.

Every query runs on the map's own :class:`StoreWorker` (its own read
connection), and records are turned into page JSON there too, so the GUI
thread only forwards finished messages. A store-change notice pulls just the
delta after the map's cursor for that kind; one delta per kind is in flight
at a time and further notices are coalesced into one more pull.

Edits follow the same way: a feed that re-sends a row with changes (a call
raised to P1, a location fixed) keeps its rowid, so each notice also pulls
the records edited after the map's change-log cursor (``updates_since``) and
sends them again: the page replaces a marker sent under the same ref, and
removes the ones an edit moved out of the window or left without a location.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from datetime import timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from rtcc_desktop.identity import current_user
from rtcc_desktop.model.records import KINDS
from rtcc_desktop.model.timeutil import from_iso, to_iso, utc_now
from rtcc_desktop.ui.bus import Bus, TimeWindow, parse_ref
from rtcc_desktop.ui.map_payload import encode_rows, iso_to_ms, to_page, to_page_many, to_row, to_rows
from rtcc_desktop.ui.map_view import MapView
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)

EVENT_KINDS = ("cad", "gunshot", "alpr")
#: Most records of one kind the map loads for a window (beyond this: narrow the window).
MAX_PER_KIND = 60_000
MAX_CAMERAS = 20_000
PAGE = 10_000
DELTA_PAGE = 5_000
#: Records per message to the page (keeps each QWebChannel message moderate).
CHUNK = 2_000
#: Compact event rows per message (about 45 bytes each).
ROW_CHUNK = 10_000
NEAR_RADIUS_M = 250.0
CAMERA_RADIUS_M = 300.0
NEAR_MINUTES = 30
PRUNE_EVERY_MS = 15_000


class _HotPlates:
    """The hot-list matcher, reloaded when the lists change; used on the worker thread only."""

    def __init__(self) -> None:
        self._matcher: Any = None
        self._version: str | None = None
        self._checked = 0.0

    def mark(self, store: Any, records: Iterable[dict[str, Any]]) -> None:
        now = time.monotonic()
        if now - self._checked > 10.0:
            self._checked = now
            try:
                from rtcc_desktop.analysis import hotlist

                version = hotlist.hotlist_version(store)
                if version != self._version or self._matcher is None:
                    self._matcher = hotlist.HotlistMatcher.load(store)
                    self._version = version
            except Exception:  # no hot-list tables yet, or the analysis package is absent
                log.debug("hot list not available", exc_info=True)
                self._matcher = None
        if self._matcher is None:
            return
        for rec in records:
            if rec.get("kind") == "alpr" and rec.get("plate"):
                try:
                    if self._matcher.match(rec["plate"], rec.get("state")):
                        rec["hot"] = True
                except Exception:
                    log.debug("hot-list match failed", exc_info=True)


class MapController(QObject):
    """Glue: store worker → map page, bus ↔ map, and the map's search actions."""

    #: A short line for the status bar.
    status = Signal(str)
    #: The window's records are on the page: {kind: n, "truncated": [kinds]}.
    loaded = Signal(object)

    def __init__(self, view: MapView, bus: Bus, worker: StoreWorker, *, tz: tzinfo | None = None,
                 max_per_kind: int = MAX_PER_KIND, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.bus, self.worker = view, bus, worker
        self.tz = tz
        self.max_per_kind = max_per_kind
        self._gen = 0
        self._cursors: dict[str, int] | None = None
        self._in_flight: set[str] = set()
        self._again: set[str] = set()
        #: Edits applied up to this change number (None until the first load).
        self._change_cursor: int | None = None
        self._edits_in_flight = False
        self._edits_again = False
        self._hot = _HotPlates()
        self._started = False
        self.last_load: dict[str, Any] = {}

        bus.store_changed.connect(self._on_store_changed)
        bus.window_changed.connect(self._on_window_changed)
        bus.selected.connect(self._on_selected)
        view.record_selected.connect(self._page_selected)
        view.cameras_seeing_requested.connect(self.cameras_seeing)
        view.what_was_near_requested.connect(self.what_was_near)
        view.cameras_near_requested.connect(self.cameras_near)
        view.search_around_requested.connect(self.search_around)
        view.details_requested.connect(self.details)
        self._prune_timer = QTimer(self)
        self._prune_timer.setInterval(PRUNE_EVERY_MS)
        self._prune_timer.timeout.connect(self._prune)

    # ------------------------------------------------------------------ loading
    def start(self) -> None:
        """Load the current window (cameras too) and follow store changes."""
        self._started = True
        self._prune_timer.start()
        self.reload(full=True)

    def stop(self) -> None:
        self._started = False
        self._prune_timer.stop()

    def reload(self, *, full: bool = False) -> None:
        """Re-query the window; ``full`` also reloads cameras."""
        self._gen += 1
        gen, window, tz, hot, cap = self._gen, self.bus.window, self.tz, self._hot, self.max_per_kind
        since, until = window.iso_bounds()

        def job(store: Any) -> dict[str, Any]:
            # read before the records: an edit in between is pulled again and replaces itself
            change_seq = store.max_change_seq()
            rowids = store.max_rowids()
            out: dict[str, Any] = {"rowids": rowids, "change_seq": change_seq, "records": [], "rows": [], "counts": {},
                                   "truncated": []}
            kinds = EVENT_KINDS + (("camera",) if full else ())
            for kind in kinds:
                rows: list[dict[str, Any]] = []
                if kind == "camera":
                    after = 0
                    while True:
                        got = store.changes_since("camera", after, DELTA_PAGE)
                        rows.extend(got)
                        if len(got) < DELTA_PAGE:
                            break
                        if len(rows) >= MAX_CAMERAS:
                            out["truncated"].append(kind)
                            break
                        after = got[-1]["id"]
                else:
                    while True:
                        want = min(PAGE, cap - len(rows))
                        if want <= 0:
                            if store.between(since, until, kinds=[kind], limit=1, offset=len(rows)):
                                out["truncated"].append(kind)
                            break
                        got = store.between(since, until, kinds=[kind], limit=want, offset=len(rows))
                        rows.extend(got)
                        if len(got) < want:
                            break
                hot.mark(store, rows)
                page = to_page_many(rows, tz=tz) if kind == "camera" else to_rows(rows)
                out["counts"][kind] = len(page)
                out["records" if kind == "camera" else "rows"].extend(page)
            recs, evs = out.pop("records"), out.pop("rows")
            out["chunks"] = ([("records", _encode(recs[i : i + CHUNK])) for i in range(0, len(recs), CHUNK)]
                             + [("rows", encode_rows(evs[i : i + ROW_CHUNK])) for i in range(0, len(evs), ROW_CHUNK)])
            return out

        self.worker.submit(job, lambda res: self._loaded(gen, full, res), what="map window load")

    def _loaded(self, gen: int, full: bool, res: dict[str, Any]) -> None:
        if gen != self._gen:
            return
        self.view.reset(keep=() if full else ("camera",))
        chunks = res["chunks"]
        for i, (shape, chunk) in enumerate(chunks):
            send = self.view.apply_rows if shape == "rows" else self.view.apply_encoded
            send(chunk, more=i < len(chunks) - 1)
        cursors = dict(self._cursors or {})
        for kind, top in res["rowids"].items():
            if kind in EVENT_KINDS or full:
                cursors[kind] = int(top)
        for kind in KINDS:
            cursors.setdefault(kind, int(res["rowids"].get(kind, 0)))
        self._cursors = cursors
        seq = int(res["change_seq"])
        # a window change keeps the cameras: their edits not pulled yet are pulled after the load
        behind = not full and self._change_cursor is not None and self._change_cursor < seq
        if not behind:
            self._change_cursor = seq
        self.last_load = {**res["counts"], "truncated": res["truncated"]}
        if res["truncated"]:
            self.status.emit(
                f"Map shows the first {self.max_per_kind:,} records of {', '.join(res['truncated'])} "
                "in this window; choose a shorter time window to see all"
            )
        self.loaded.emit(dict(self.last_load))
        for kind in list(self._again):  # notices that came while loading
            self._again.discard(kind)
            self._pull(kind)
        if self._edits_again or behind:
            self._edits_again = False
            self._pull_edits()

    # ------------------------------------------------------------------ deltas
    def _on_store_changed(self, kind: str, max_rowid: int) -> None:
        if not self._started or kind not in KINDS:
            return
        if self._cursors is None:  # pulled once the first load has set the cursors
            self._again.add(kind)
            self._edits_again = True
            return
        if max_rowid > self._cursors.get(kind, 0):
            self._pull(kind)
        self._pull_edits()  # the notice may be for edits only (max_rowid unchanged)

    def _pull(self, kind: str) -> None:
        if self._cursors is None:
            self._again.add(kind)
            return
        if kind in self._in_flight:
            self._again.add(kind)
            return
        self._in_flight.add(kind)
        after, gen, window, tz, hot = self._cursors.get(kind, 0), self._gen, self.bus.window, self.tz, self._hot

        def job(store: Any) -> tuple[int, str | None, bool]:
            rows = store.changes_since(kind, after, DELTA_PAGE)
            top = rows[-1]["id"] if rows else after
            now = utc_now()
            keep = [r for r in rows if kind == "camera" or window.contains(r.get("time"), now)]
            hot.mark(store, keep)
            if kind == "camera":
                page = to_page_many(keep, tz=tz)
                return top, _encode(page) if page else None, len(rows) >= DELTA_PAGE
            evs = to_rows(keep)
            return top, encode_rows(evs) if evs else None, len(rows) >= DELTA_PAGE

        def done(res: tuple[int, str | None, bool]) -> None:
            self._in_flight.discard(kind)
            top, encoded, more = res
            if self._cursors is not None:
                self._cursors[kind] = max(self._cursors.get(kind, 0), int(top))
            if gen == self._gen and encoded:
                (self.view.apply_encoded if kind == "camera" else self.view.apply_rows)(encoded)
            if more or kind in self._again:
                self._again.discard(kind)
                self._pull(kind)

        def failed(exc: BaseException) -> None:
            self._in_flight.discard(kind)
            self.status.emit(f"Map could not read new {kind} records: {exc}")

        self.worker.submit(job, done, failed, what=f"map delta {kind}")

    def _pull_edits(self) -> None:
        """Send the records edited since the change cursor again (all kinds, one pull in flight)."""
        if self._change_cursor is None or self._edits_in_flight:
            self._edits_again = True
            return
        self._edits_in_flight = True
        after, gen, window, tz, hot = self._change_cursor, self._gen, self.bus.window, self.tz, self._hot

        def job(store: Any) -> dict[str, Any]:
            recs = store.updates_since(after, KINDS, DELTA_PAGE)
            top = max((int(r["change_seq"]) for r in recs), default=after)
            now = utc_now()
            events = [r for r in recs if r["kind"] != "camera" and window.contains(r.get("time"), now)]
            hot.mark(store, events)
            rows, cams, gone = [], [], []
            for r in recs:
                ref = f"{r['kind']}:{int(r['id'])}"
                if r["kind"] == "camera":
                    page = to_page(r, tz=tz)
                    if page is None:
                        gone.append(ref)
                    else:
                        cams.append(page)
                    continue
                row = to_row(r) if window.contains(r.get("time"), now) else None
                if row is None:  # out of the window now, or no location any more
                    gone.append(ref)
                else:
                    rows.append(row)
            return {"top": top, "more": len(recs) >= DELTA_PAGE, "refs": {f"{r['kind']}:{int(r['id'])}" for r in recs},
                    "rows": encode_rows(rows) if rows else None, "cams": _encode(cams) if cams else None, "gone": gone}

        def done(res: dict[str, Any]) -> None:
            self._edits_in_flight = False
            if gen == self._gen:  # else the load that replaced this window set the cursor
                self._change_cursor = max(self._change_cursor or 0, int(res["top"]))
                if res["gone"]:
                    self.view.send("remove", refs=res["gone"])
                if res["rows"]:
                    self.view.apply_rows(res["rows"])
                if res["cams"]:
                    self.view.apply_encoded(res["cams"])
                sel = self.bus.selection
                if sel and sel in res["refs"]:  # the ring follows a moved (or removed) record
                    self.view.select(sel, pan=False)
                if res["more"]:
                    self._edits_again = True
                if self._edits_again:
                    self._edits_again = False
                    self._pull_edits()
            # a stale pull leaves _edits_again to the load that replaced its window

        def failed(exc: BaseException) -> None:
            self._edits_in_flight = False
            self.status.emit(f"Map could not read edited records: {exc}")

        self.worker.submit(job, done, failed, what="map edits")

    def _on_window_changed(self, _window: TimeWindow) -> None:
        if self._started:
            self.reload(full=False)

    def _prune(self) -> None:
        window = self.bus.window
        if window.live:
            since, _ = window.iso_bounds()
            self.view.prune(iso_to_ms(since), None)

    def details(self, ref: str) -> None:
        """A popup on the page opened: send the record's text (events travel without it)."""
        parsed = parse_ref(ref)
        if parsed is None:
            return
        kind, rid = parsed
        tz, hot = self.tz, self._hot

        def job(store: Any) -> dict[str, Any] | None:
            rec = store.get(kind, rid)
            if rec is None:
                return None
            hot.mark(store, [rec])
            return to_page(rec, tz=tz)

        self.worker.submit(job, lambda page: self.view.send_details(ref, page),
                           self._failed("record details"), what="map popup details")

    # ------------------------------------------------------------------ selection
    def _page_selected(self, ref: str) -> None:
        self.bus.select(ref)

    def _on_selected(self, ref: str) -> None:
        if not ref:
            self.view.select("")
            return
        parsed = parse_ref(ref)
        if parsed is None:
            return
        kind, rid = parsed

        def job(store: Any) -> dict[str, Any] | None:
            return store.get(kind, rid)

        def done(rec: dict[str, Any] | None) -> None:
            if self.bus.selection != ref:
                return
            if rec is None or rec.get("lat") is None:
                self.view.select(ref)
                return
            self.view.select(ref, lat=float(rec["lat"]), lon=float(rec["lon"]))

        self.worker.submit(job, done, what="map select")

    # ------------------------------------------------------------------ actions
    def cameras_seeing(self, ref: str) -> None:
        """Cameras whose view covers the record's location → video grid and map."""
        parsed = parse_ref(ref)
        if parsed is None:
            return
        kind, rid = parsed

        def job(store: Any) -> dict[str, Any]:
            rec = store.get(kind, rid)
            if rec is None or rec.get("lat") is None:
                return {"rec": rec, "seeing": [], "near": 0}
            lat, lon = float(rec["lat"]), float(rec["lon"])
            cams = store.near(lat, lon, CAMERA_RADIUS_M, kinds=["camera"], limit=500)
            seeing, reasons = _cameras_seeing(lat, lon, cams)
            return {"rec": rec, "seeing": seeing, "near": len(cams), "reasons": reasons}

        def done(res: dict[str, Any]) -> None:
            rec = res["rec"]
            if rec is None or rec.get("lat") is None:
                self.status.emit(f"{ref} has no location: cannot look for cameras")
                return
            seeing = res["seeing"]
            self.view.highlight([(c["lat"], c["lon"]) for c in seeing], centre=(rec["lat"], rec["lon"]), radius_m=CAMERA_RADIUS_M)
            if seeing:
                self.bus.cameras_requested.emit(seeing, f"cameras that see {ref}")
                self.status.emit(f"{len(seeing)} camera(s) can see {ref}; shown in the video grid")
            else:
                why = f" ({res['reasons'][0]})" if res.get("reasons") else ""
                self.status.emit(f"No camera sees {ref}: {res['near']} camera(s) within {CAMERA_RADIUS_M:.0f} m{why}")

        self.worker.submit(job, done, self._failed("cameras that see this"), what="cameras seeing")

    def what_was_near(self, ref: str) -> None:
        """Records within 250 m and ±30 min of the record → results list and map rings."""
        parsed = parse_ref(ref)
        if parsed is None:
            return
        kind, rid = parsed

        def job(store: Any) -> dict[str, Any]:
            rec = store.get(kind, rid)
            if rec is None or rec.get("lat") is None:
                return {"rec": rec, "rows": []}
            since = until = None
            if rec.get("time"):
                t = from_iso(rec["time"])
                since, until = to_iso(t - timedelta(minutes=NEAR_MINUTES)), to_iso(t + timedelta(minutes=NEAR_MINUTES))
            rows = store.near(float(rec["lat"]), float(rec["lon"]), NEAR_RADIUS_M, since=since, until=until, limit=500)
            rows = [r for r in rows if not (r["kind"] == kind and r["id"] == rid)]
            _audit(store, "map what was near", {"ref": ref, "radius_m": NEAR_RADIUS_M, "minutes": NEAR_MINUTES}, len(rows))
            return {"rec": rec, "rows": rows}

        def done(res: dict[str, Any]) -> None:
            rec = res["rec"]
            if rec is None or rec.get("lat") is None:
                self.status.emit(f"{ref} has no location: nothing to search around")
                return
            rows = res["rows"]
            span = f" within ±{NEAR_MINUTES} min" if rec.get("time") else ""
            title = f"Near {ref}: {len(rows)} record(s) within {NEAR_RADIUS_M:.0f} m{span}"
            self.view.highlight([(r["lat"], r["lon"]) for r in rows if r.get("lat") is not None],
                                centre=(rec["lat"], rec["lon"]), radius_m=NEAR_RADIUS_M)
            self.bus.results_ready.emit(title, rows)
            self.status.emit(title)

        self.worker.submit(job, done, self._failed("what was near"), what="what was near")

    def cameras_near(self, lat: float, lon: float) -> None:
        """Cameras within 300 m of a map point → video grid and map."""

        def job(store: Any) -> list[dict[str, Any]]:
            return store.near(lat, lon, CAMERA_RADIUS_M, kinds=["camera"], limit=200)

        def done(cams: list[dict[str, Any]]) -> None:
            self.view.highlight([(c["lat"], c["lon"]) for c in cams], centre=(lat, lon), radius_m=CAMERA_RADIUS_M)
            self.status.emit(f"{len(cams)} camera(s) within {CAMERA_RADIUS_M:.0f} m of {lat:.5f}, {lon:.5f}")
            if cams:
                self.bus.cameras_requested.emit(cams, f"cameras near {lat:.5f}, {lon:.5f}")

        self.worker.submit(job, done, self._failed("cameras near here"), what="cameras near")

    def search_around(self, lat: float, lon: float) -> None:
        """Records within 250 m of a map point in the current time window."""
        since, until = self.bus.window.iso_bounds()

        def job(store: Any) -> list[dict[str, Any]]:
            rows = store.near(lat, lon, NEAR_RADIUS_M, since=since, until=until, limit=500)
            _audit(store, "map search around", {"lat": lat, "lon": lon, "radius_m": NEAR_RADIUS_M, "since": since, "until": until}, len(rows))
            return rows

        def done(rows: list[dict[str, Any]]) -> None:
            title = f"Around {lat:.5f}, {lon:.5f}: {len(rows)} record(s) within {NEAR_RADIUS_M:.0f} m"
            self.view.highlight([(r["lat"], r["lon"]) for r in rows if r.get("lat") is not None], centre=(lat, lon), radius_m=NEAR_RADIUS_M)
            self.bus.results_ready.emit(title, rows)
            self.status.emit(title)

        self.worker.submit(job, done, self._failed("search around here"), what="search around")

    def _failed(self, what: str):  # type: ignore[no-untyped-def]
        def report(exc: BaseException) -> None:
            self.status.emit(f"Map: {what} failed: {exc}")

        return report


def _cameras_seeing(lat: float, lon: float, cams: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Cameras that see the point (analysis.visibility), with reasons for the near misses."""
    try:
        from rtcc_desktop.analysis.visibility import cameras_seeing
    except ImportError:  # analysis not installed: distance only
        return [c for c in cams if c.get("distance_m", 1e9) <= (c.get("range_m") or 150)], []
    seeing, reasons = [], []
    for s in cameras_seeing(lat, lon, cams, max_range_m=CAMERA_RADIUS_M):
        if s.in_view:
            cam = dict(s.camera)
            cam["distance_m"] = s.distance_m
            cam["why"] = s.reason
            seeing.append(cam)
        else:
            reasons.append(f"{s.camera.get('name') or s.camera.get('id')}: {s.reason}")
    return seeing, reasons


def _encode(page: list[dict[str, Any]]) -> str:
    """JSON for the page, made on the worker so the GUI thread only forwards it."""
    return json.dumps(page, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _audit(store: Any, action: str, params: dict[str, Any], n: int) -> None:
    """Location searches are written to the audit log, like the CLI's."""
    try:
        store.audit(current_user(), action, params, "map action", n)
    except Exception:  # a read-only store must not break the search
        log.debug("audit failed", exc_info=True)
