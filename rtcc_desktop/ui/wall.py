"""Wall-display mode for supervisors: map, camera tours and live figures, full screen, locked.

:class:`WallWindow` puts one frameless full-screen window on each monitor the
layout names (``rtcc_desktop.wall_layout``): the map, which zooms to the
newest priority event and backs out to the overview after a dwell, with a
ticker of the latest alerts; video panes playing a saved tour, a saved view or
the first live cameras; and a strip of live figures (open CAD incidents by
priority, gunshots in the last hour and 24 h, hot-list hits today, feed
health). Figures are computed on the wall's own store worker with bounded
queries; the GUI thread only draws them. Anything older than its feed's
interval × ``stale_factor`` is marked STALE in plain sight and clears by
itself when the feed recovers. A dead feed or camera never blanks the wall:
the last values stay, marked.

Kiosk lock: no editing controls, mouse input is swallowed, Escape and window
close do nothing. Leaving takes the exit keys (default Ctrl+Alt+Shift+Q) and
then the supervisor PIN, checked against its PBKDF2 hash on a short-lived
thread; a run of wrong PINs locks the dialog out for a while.

The parts: ``analysis.wall_figures`` (the figures, no Qt), ``wall_strip`` (figure
strip and ticker), ``wall_screen`` (a monitor's window and its panes),
``wall_lock`` (the kiosk lock and PIN dialog), ``wall_style`` (style sheet and
label helpers) and ``wall_selftest``; this module wires them together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QScreen
from PySide6.QtWidgets import QWidget

from rtcc_desktop import paths
from rtcc_desktop.analysis.geofence import Geofence, list_geofences
from rtcc_desktop.analysis.wall_figures import FigureState, MapFollower, PriorityEvent, WallFigures, compute_figures, fmt_age
from rtcc_desktop.model.timeutil import UTC, from_iso, utc_now
from rtcc_desktop.ui.bus import Bus, TimeWindow
from rtcc_desktop.ui.display_zone import set_display_zone
from rtcc_desktop.ui.map_controller import MapController
from rtcc_desktop.ui.map_page import PageOptions, attribution_html
from rtcc_desktop.ui.map_view import MapView
from rtcc_desktop.ui.store_worker import StoreWorker
from rtcc_desktop.ui.wall_lock import KeyGuard, PinCheck, PinDialog
from rtcc_desktop.ui.wall_screen import MapPane, VideoPane, WallScreen
from rtcc_desktop.ui.wall_strip import Clock, FigureStrip, Ticker
from rtcc_desktop.ui.wall_style import local_hhmm, wall_style
from rtcc_desktop.wall_layout import Pane, WallLayout, check_video_names, default_views_path, load_wall_layout

log = logging.getLogger(__name__)

#: Cameras the wall keeps in its registry (for resolving saved views and auto panes).
MAX_CAMERAS = 20_000
CAMERA_PAGE = 5_000
#: Least time between two figure jobs started by store changes (seconds).
MIN_JOB_GAP_S = 1.0
#: The overview is re-fitted this often while no event is focused (new records may lie outside it).
REFIT_S = 300.0
#: How often the wall re-reads the geofences it outlines (drawn at the analysts' consoles).
FENCES_EVERY_S = 60.0
#: The wall's map page is drawn this much larger than the analyst's.
MAP_ZOOM_FACTOR = 1.5


class WallWindow(QObject):
    """The wall on one or several monitors. See the module docstring; :func:`open_wall` builds one from the app."""

    #: The supervisor unlocked the wall and it closed.
    left = Signal()
    #: A new :class:`WallFigures` was drawn.
    figures_updated = Signal(object)
    #: The map moved: ("focus", ref) or ("overview", "").
    map_moved = Signal(str, str)

    def __init__(
        self,
        db_path: str | Path,
        *,
        layout: WallLayout,
        config: Any = None,
        bus: Bus | None = None,
        tile_source: Any = None,
        live_board: Any = None,
        tz: tzinfo | None = None,
        clock: Clock = utc_now,
        screens: Sequence[QScreen] | None = None,
        video: bool = True,
        stream_factory: Any = None,
        views_path: str | Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.layout = layout
        self.config = config
        self.live_board = live_board
        self.clock = clock
        self.tz = tz or _centre_zone(config)
        set_display_zone(self.tz)
        #: Mistakes to fix (missing tours or views), reported by the self-test.
        self.problems: list[str] = []
        #: How the layout was fitted to the monitors present (e.g. two panes sharing one).
        self.notes: list[str] = []
        self.figures: WallFigures | None = None
        self.last_error: str | None = None
        self._closed = False
        self._shown = False
        self._state = FigureState()
        self._job_pending = False
        self._job_again = False
        self._scheduled = False
        self._last_job = 0.0
        self._last_ok: datetime | None = None
        self._refresh_due = 0.0
        self._fences_due = 0.0
        self._fences_shown: tuple[Any, ...] | None = None
        self._wrong = 0
        self._lockout_until = 0.0
        self._pin_check = PinCheck(self)
        self.pin_dialog: PinDialog | None = None
        self._cameras: dict[str, dict[str, Any]] = {}
        self._cameras_pending = False
        self._video_started: set[int] = set()
        self._external_bus = bus
        self._last_refit = time.monotonic()
        self._style = wall_style()

        if tile_source is None:
            from rtcc_desktop.ui.main_window import make_tile_source

            url = getattr(getattr(config, "map", None), "tile_url", None) or "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
            tile_source = make_tile_source(url)
            self._owned_tiles: Any = tile_source
        else:
            self._owned_tiles = None
        self.tile_source = tile_source

        self.worker = StoreWorker(self.db_path, name="rtcc-wall-store", parent=self)
        self.map_worker = StoreWorker(self.db_path, name="rtcc-wall-map", parent=self)
        self.worker.failed.connect(lambda what, msg: log.warning("wall: %s failed: %s", what, msg))
        self.bus = Bus(self)
        self.bus.set_window(TimeWindow(preset=layout.map.window, live=True))
        if bus is not None:
            bus.store_changed.connect(self._relay_store_changed)
        self.bus.store_changed.connect(self._on_store_changed)

        f = layout.follow
        self.follower = MapFollower(f.dwell_s, f.overview_s, f.max_age_s)
        self.map_view: MapView | None = None
        self.map_pane: MapPane | None = None
        self.map_controller: MapController | None = None
        self.strips: list[FigureStrip] = []
        self.tickers: list[Ticker] = []
        self.video_panes: dict[int, VideoPane] = {}
        self.windows: list[WallScreen] = []
        self._build(list(screens) if screens is not None else list(QGuiApplication.screens()), video, stream_factory, views_path)

        self._guard = KeyGuard(self)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    # ------------------------------------------------------------------ building
    def _build(self, screens: list[QScreen], video: bool, stream_factory: Any, views_path: str | Path | None) -> None:
        n = max(1, len(screens))
        by_screen: dict[int, list[Pane]] = {}
        for pane in self.layout.panes:
            idx = pane.screen - 1
            if idx >= n:
                self.notes.append(f"screen {pane.screen} ({pane.show}) is not connected ({n} monitor(s)); "
                                  f"it shares monitor {n}")
                idx = n - 1
            by_screen.setdefault(idx, []).append(pane)
        self._screen_of: dict[int, QScreen | None] = {}
        vpath = views_path if views_path is not None else (self.layout.views_file or default_views_path())
        for idx in sorted(by_screen):
            win = WallScreen(idx)
            win.setStyleSheet(self._style)
            self._screen_of[len(self.windows)] = screens[idx] if idx < len(screens) else None
            for pane in by_screen[idx]:
                strip = None
                if pane.strip != "none":
                    strip = FigureStrip(self.layout.title, pane.strip, self.tz, self.clock, win)
                    self.strips.append(strip)
                if pane.show == "map":
                    widget: QWidget = self._build_map(pane, win)
                else:
                    widget = self._build_video(pane, win, video, stream_factory, vpath)
                win.add_pane(widget, strip, pane.strip)
            self.windows.append(win)
        notice = "" if self.layout.lock.pin_hash else "No supervisor PIN set: the wall is not locked"
        for strip in self.strips:
            strip.set_notice(notice)
        for p in self.notes:
            log.info("wall: %s", p)

    def _build_map(self, pane: Pane, parent: QWidget) -> QWidget:
        ov = self.layout.map.overview
        lat, lon, zoom = ov if isinstance(ov, tuple) else (41.8781, -87.6298, 12)
        attribution = attribution_html(getattr(getattr(self.config, "map", None), "attribution", None))
        self.map_view = MapView(self.tile_source, options=PageOptions(lat=lat, lon=lon, zoom=zoom, attribution=attribution), parent=parent)
        self.map_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        from PySide6.QtWebEngineWidgets import QWebEngineView

        web = self.map_view.findChild(QWebEngineView)
        if web is not None:  # markers, legend and labels readable from across the room
            web.setZoomFactor(MAP_ZOOM_FACTOR)
            web.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.map_controller = MapController(self.map_view, self.bus, self.map_worker, tz=self.tz, parent=self)
        self.map_controller.loaded.connect(self._map_loaded)
        ticker = Ticker(self.layout.ticker_items, self.tz, parent) if pane.ticker else None
        if ticker is not None:
            self.tickers.append(ticker)
        self.map_pane = MapPane(self.map_view, ticker, parent)
        return self.map_pane

    def _build_video(self, pane: Pane, parent: QWidget, video: bool, stream_factory: Any, views_path: Path | str) -> QWidget:
        grid = None
        if video:
            try:
                from rtcc_desktop.ui.video_grid import VideoGrid

                grid = VideoGrid(parent, views_path=views_path, camera_resolver=self._resolve_camera, show_toolbar=False,
                                 stream_factory=stream_factory, snapshot_dir=paths.data_dir() / "snapshots", tz=self.tz)
                grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            except Exception:  # the wall still shows the map and figures
                log.exception("wall: video grid unavailable")
        vp = VideoPane(grid, parent)
        self.video_panes[pane.screen] = vp
        if grid is not None:
            missing = check_video_names(_only(self.layout, pane), grid.tour_names(), grid.view_names())
            if missing:
                self.problems.extend(missing)
                for m in missing:
                    log.warning("wall: %s", m)
                vp.set_message("; ".join(m.split(": ", 1)[1] for m in missing) + f" ({views_path})")
        return vp

    # ------------------------------------------------------------------ showing
    def show(self, *, full_screen: bool = True, size: tuple[int, int] | None = None) -> None:
        """Put each window on its monitor (full screen), or at ``size`` (self-test, tests)."""
        for i, win in enumerate(self.windows):
            screen = self._screen_of.get(i)
            if screen is not None:
                win.setScreen(screen)
                win.setGeometry(screen.geometry())
            if size is not None:
                win.resize(*size)
            if full_screen and size is None:
                win.showFullScreen()
            else:
                win.show()
        if not self._shown:
            for win in self.windows:
                win.installEventFilter(self._guard)
                handle = win.windowHandle()
                if handle is not None:
                    handle.installEventFilter(self._guard)
        self._shown = True
        if self.map_controller is not None:
            self.map_controller.start()
        self._timer.start()
        self._load_cameras()
        self.refresh_now()
        if self.windows:
            self.windows[0].activateWindow()
            self.windows[0].setFocus()

    def owns(self, widget: QWidget | None) -> bool:
        return widget is not None and any(widget is w for w in self.windows)

    # ------------------------------------------------------------------ ticking
    def _tick(self) -> None:
        if self._closed:
            return
        for strip in self.strips:
            strip.tick()
        now = time.monotonic()
        if now >= self._refresh_due:
            self.refresh_now()
        if now >= self._fences_due and self.map_view is not None:
            self._fences_due = now + FENCES_EVERY_S
            self.worker.submit(lambda store: list_geofences(store, active_only=True), self._fences_loaded, what="wall geofences")
        self._mark_outdated()
        self._follow_step(now)
        if not self.follower.focusing and now - self._last_refit > REFIT_S:
            self._overview()

    def refresh_now(self) -> None:
        """Recompute the figures on the worker (coalesced: one job at a time)."""
        if self._closed:
            return
        if self._job_pending:
            self._job_again = True
            return
        self._job_pending = True
        self._last_job = time.monotonic()
        self._refresh_due = self._last_job + self.layout.refresh_s
        now = self.clock()
        config, layout, tz, state, board = self.config, self.layout, self.tz, self._state, self.live_board

        def job(store: Any) -> WallFigures:
            live = board.snapshot() if board is not None else None
            return compute_figures(store, config, layout, now, tz, state, live)

        self.worker.submit(job, self._figures_done, self._figures_failed, what="wall figures")

    def _figures_done(self, f: WallFigures) -> None:
        self._job_pending = False
        if self._closed:
            return
        self.figures = f
        self.last_error = None
        self._last_ok = from_iso(f.computed_at)
        for strip in self.strips:
            strip.set_figures(f, self._outdated_reason())
        if f.events or f.history:
            new = list(f.events)
            fresh = {e.ref for e in new if self._is_fresh(e)}
            for ticker in self.tickers:
                ticker.add(list(f.history) + new, fresh)
            if self.layout.follow.enabled and self.map_view is not None:
                for e in new:
                    if (e.kind in self.layout.follow.kinds) and e.ref in fresh:
                        self.follower.offer(e)
                self._follow_step(time.monotonic())
        self.figures_updated.emit(f)
        self._again()

    def _fences_loaded(self, fences: list[Geofence]) -> None:
        """Outline the active geofences on the wall's map (only when they changed)."""
        shown = tuple(fences)
        if self._closed or self.map_view is None or shown == self._fences_shown:
            return
        self._fences_shown = shown
        self.map_view.set_geofences(fences)

    def _figures_failed(self, exc: BaseException) -> None:
        self._job_pending = False
        self.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("wall: figures not updated: %s", self.last_error)
        self._mark_outdated()
        self._again()

    def _again(self) -> None:
        if self._job_again and not self._closed and not self._scheduled:
            self._job_again = False
            self._scheduled = True
            wait = max(0.0, MIN_JOB_GAP_S - (time.monotonic() - self._last_job))
            QTimer.singleShot(int(wait * 1000) + 1, self._scheduled_refresh)

    def _is_fresh(self, e: PriorityEvent) -> bool:
        try:  # a call raised to P1 by an edit is news from the edit, not from the call's time
            return (self.clock() - from_iso(e.news_time)).total_seconds() <= self.layout.follow.max_age_s
        except ValueError:
            return False

    def _outdated_reason(self) -> str | None:
        """Why every figure is STALE: the figures themselves have not been refreshed for too long."""
        limit = max(3 * self.layout.refresh_s, 30.0)
        if self._last_ok is None:
            return None if self.last_error is None else f"store unreadable: {self.last_error}"
        age = (self.clock() - self._last_ok).total_seconds()
        if age <= limit:
            return None
        why = f": {self.last_error}" if self.last_error else ""
        return f"figures not updated for {fmt_age(age)}{why}"

    def _mark_outdated(self) -> None:
        reason = self._outdated_reason()
        if reason and self.figures is not None:
            for strip in self.strips:
                strip.set_figures(self.figures, reason)

    def _on_store_changed(self, kind: str, _rowid: int) -> None:
        if kind in ("cad", "gunshot", "alpr"):
            wait = MIN_JOB_GAP_S - (time.monotonic() - self._last_job)
            if self._job_pending:
                self._job_again = True
            elif wait <= 0:
                self.refresh_now()
            elif not self._scheduled:
                self._scheduled = True
                QTimer.singleShot(int(wait * 1000) + 1, self._scheduled_refresh)
        if kind == "camera" and (not self._cameras or self._video_waiting()):
            self._load_cameras()

    def _scheduled_refresh(self) -> None:
        self._scheduled = False
        self.refresh_now()

    @Slot(str, int)
    def _relay_store_changed(self, kind: str, rowid: int) -> None:
        self.bus.store_changed.emit(kind, rowid)

    # ------------------------------------------------------------------ map following
    def _follow_step(self, now: float) -> None:
        if self.map_view is None:
            return
        move = self.follower.step(now, self.clock())
        if move is None:
            return
        what, ev = move
        if what == "focus" and ev is not None and ev.lat is not None and ev.lon is not None:
            self.map_view.set_view(ev.lat, ev.lon, self.layout.follow.zoom)
            self.map_view.select(ev.ref, lat=ev.lat, lon=ev.lon, pan=False)
            if self.map_pane is not None:
                where = f" · {ev.where}" if ev.where else ""
                self.map_pane.show_banner(f"{local_hhmm(ev.time, self.tz)}  {ev.title}{where}")
            self.map_moved.emit("focus", ev.ref)
        else:
            self._overview()

    def _map_loaded(self, _info: Any) -> None:
        """Fit now, and again while the page settles (records still arriving, the view still sizing)."""
        self._overview()
        for ms in (2000, 6000):
            QTimer.singleShot(ms, self._overview)

    def _overview(self) -> None:
        if self.map_view is None or self._closed:
            return
        self._last_refit = time.monotonic()
        if self.follower.focusing:
            return
        self.map_view.select("")
        ov = self.layout.map.overview
        if isinstance(ov, tuple):
            self.map_view.set_view(*ov)
        else:
            self.map_view.send("fit")
        if self.map_pane is not None:
            self.map_pane.show_banner("")
        self.map_moved.emit("overview", "")

    # ------------------------------------------------------------------ video
    def _resolve_camera(self, key: str) -> dict[str, Any] | None:
        return self._cameras.get(key)

    def _video_waiting(self) -> bool:
        return any(p.show == "video" and p.screen not in self._video_started for p in self.layout.panes)

    def _load_cameras(self) -> None:
        if self._cameras_pending or self._closed or not self.video_panes:
            return
        self._cameras_pending = True

        def job(store: Any) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            after = 0
            while len(out) < MAX_CAMERAS:
                got = store.changes_since("camera", after, CAMERA_PAGE)
                out.extend(got)
                if len(got) < CAMERA_PAGE:
                    break
                after = int(got[-1]["id"])
            return out

        def done(cams: list[dict[str, Any]]) -> None:
            self._cameras_pending = False
            from rtcc_desktop.video.views import camera_key

            reg: dict[str, dict[str, Any]] = {}
            for c in cams:
                for key in (camera_key(c), f"{c.get('source')}:{c.get('source_id')}" if c.get("source_id") else None):
                    if key:
                        reg[key] = c
            self._cameras = reg
            self._start_video(cams)

        def failed(exc: BaseException) -> None:
            self._cameras_pending = False
            log.warning("wall: camera registry not loaded: %s", exc)

        self.worker.submit(job, done, failed, what="wall cameras")

    def _start_video(self, cams: list[dict[str, Any]]) -> None:
        for pane in self.layout.panes:
            vp = self.video_panes.get(pane.screen)
            if pane.show != "video" or vp is None or vp.grid is None or pane.screen in self._video_started or self._closed:
                continue
            grid: Any = vp.grid
            if pane.tour:
                if grid.start_tour(pane.tour):
                    self._video_started.add(pane.screen)
            elif pane.view:
                if grid.apply_view(pane.view):
                    self._video_started.add(pane.screen)
            elif pane.auto:
                live = [c for c in cams if c.get("access") == "live" and (c.get("stream_url") or c.get("snapshot_url"))]
                if live:
                    grid.show_cameras(live[: pane.auto])
                    self._video_started.add(pane.screen)
                    vp.set_message("")
                else:
                    vp.set_message("Waiting for live cameras from the camera feed…")

    # ------------------------------------------------------------------ kiosk lock
    def lockout_left(self) -> float:
        return max(0.0, self._lockout_until - time.monotonic())

    def _wrong_pin(self) -> int:
        self._wrong += 1
        n = self._wrong
        if self._wrong >= self.layout.lock.max_attempts:
            self._wrong = 0
            self._lockout_until = time.monotonic() + self.layout.lock.lockout_s
            log.warning("wall: %d wrong supervisor PINs; locked out for %g s", n, self.layout.lock.lockout_s)
        return n

    def request_leave(self) -> None:
        """The exit keys were pressed: ask for the supervisor PIN (one dialog at a time)."""
        if self._closed or (self.pin_dialog is not None and self.pin_dialog.isVisible()):
            return
        parent = next((w for w in self.windows if w.isActiveWindow()), self.windows[0] if self.windows else None)
        if parent is None:
            return
        dlg = PinDialog(self, parent)
        dlg.setStyleSheet(self._style)
        dlg.finished.connect(lambda _r: self._dialog_finished(dlg))
        self.pin_dialog = dlg
        dlg.open()
        dlg.edit.setFocus()

    def _dialog_finished(self, dlg: PinDialog) -> None:
        if self.pin_dialog is dlg:
            self.pin_dialog = None
        dlg.deleteLater()

    def _unlocked(self) -> None:
        """Right PIN: leave once the dialog's own call has returned (it is a child of a wall window)."""
        log.info("wall: supervisor unlocked the wall")
        self._wrong = 0
        QTimer.singleShot(0, self._leave)

    def _leave(self) -> None:
        if self._closed:
            return
        # Listeners first (e.g. show the analyst window), then close: closing the last visible
        # window first would end the application's event loop.
        self.left.emit()
        self.close()

    # ------------------------------------------------------------------ state for tests and the self-test
    def status(self) -> dict[str, Any]:
        video = {}
        for screen, vp in self.video_panes.items():
            grid: Any = vp.grid
            video[screen] = grid.health() if grid is not None else None
        return {
            "windows": len(self.windows),
            "map_ready": bool(self.map_view is not None and self.map_view.is_ready),
            "map_counts": self.map_view.counts if self.map_view is not None else {},
            "figures": self.figures.as_dict() if self.figures is not None else None,
            "ticker": self.tickers[0].texts() if self.tickers else [],
            "video": video,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "locked": bool(self.layout.lock.pin_hash),
            "following": self.follower.current.ref if self.follower.current is not None else None,
        }

    def grab(self) -> QImage:
        """One picture of every wall window, placed as the monitors are."""
        shots = [(w.geometry(), w.grab()) for w in self.windows]
        if not shots:
            return QImage()
        left = min(g.x() for g, _ in shots)
        top = min(g.y() for g, _ in shots)
        right = max(g.x() + p.width() for g, p in shots)
        bottom = max(g.y() + p.height() for g, p in shots)
        out = QImage(right - left, bottom - top, QImage.Format.Format_RGB32)
        out.fill(Qt.GlobalColor.black)
        painter = QPainter(out)
        for g, pix in shots:
            painter.drawPixmap(QPoint(g.x() - left, g.y() - top), pix)
        painter.end()
        return out

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        """Close every wall window and stop the wall's workers (no PIN: for the app and tests)."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        for win in self.windows:
            win.removeEventFilter(self._guard)
            handle = win.windowHandle()
            if handle is not None:
                handle.removeEventFilter(self._guard)
        if self._external_bus is not None:
            try:
                self._external_bus.store_changed.disconnect(self._relay_store_changed)
            except (RuntimeError, TypeError):
                pass
        if self.pin_dialog is not None:
            try:
                self.pin_dialog.reject()
            except RuntimeError:
                pass
        self._pin_check.join()
        if self.map_controller is not None:
            self.map_controller.stop()
        for vp in self.video_panes.values():
            grid: Any = vp.grid
            if grid is not None:
                grid.shutdown()
        if self.map_view is not None:
            self.map_view.shutdown()
        for win in self.windows:
            win.allow_close = True
            win.close()
        self.worker.stop()
        self.map_worker.stop()
        for win in self.windows:  # pages go before their profiles: delete now, in order
            win.deleteLater()
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if self._owned_tiles is not None:
            self._owned_tiles.cache.close()

    @property
    def closed(self) -> bool:
        return self._closed


def _only(layout: WallLayout, pane: Pane) -> WallLayout:
    from dataclasses import replace

    return replace(layout, panes=(pane,))


def _centre_zone(config: Any) -> tzinfo:
    from rtcc_desktop.model.timeutil import zone

    name = getattr(getattr(config, "centre", None), "timezone", None)
    try:
        return zone(name)
    except ValueError:
        return UTC


# --------------------------------------------------------------------------- entry points


def open_wall(
    window: Any,
    *,
    layout: WallLayout | None = None,
    layout_path: str | Path | None = None,
    clock: Clock = utc_now,
    show: bool = True,
    full_screen: bool = True,
    size: tuple[int, int] | None = None,
    on_leave: Callable[[], None] | None = None,
) -> WallWindow:
    """Open the wall beside a running :class:`MainWindow` (or a Session that has ``.window``).

    It shares the window's store file, config, feed live board, tile source
    and store-change notices. ``on_leave`` runs after the supervisor unlocks
    (default: show the analyst window). The wall closes itself when the main
    window shuts down. Raises ``WallLayoutError`` for a bad layout file.
    """
    mw = window if isinstance(window, QWidget) else window.window  # a MainWindow, or a Session holding one
    if layout is None:
        layout = load_wall_layout(layout_path)
    views_path = None
    grid = getattr(mw, "video_grid", None)
    views = getattr(getattr(grid, "_views", None), "path", None)
    if views is not None and layout.views_file is None:
        views_path = views  # the analyst's own saved views and tours
    wall = WallWindow(
        mw.db_path,
        layout=layout,
        config=getattr(mw, "config", None),
        bus=getattr(mw, "bus", None),
        tile_source=getattr(mw, "tile_source", None),
        live_board=getattr(mw, "live_board", None),
        tz=getattr(mw, "tz", None),
        clock=clock,
        views_path=views_path,
        parent=None,
    )
    add_hook = getattr(mw, "add_shutdown_hook", None)
    if add_hook is not None:
        add_hook(wall.close)

    def leave() -> None:
        if on_leave is not None:
            on_leave()
        else:
            mw.show()
            mw.raise_()
            mw.activateWindow()

    wall.left.connect(leave)
    if show:
        wall.show(full_screen=full_screen, size=size)
    return wall


__all__ = ["WallWindow", "open_wall"]
