"""The analyst's main window: the live map in the middle, panels docked around it.

Panels are docks registered by name (``register_dock``): the video grid, the
alert queue, feed health, investigative search, the timeline and the event
list. They are linked through the :class:`Bus`: selecting a record anywhere
selects it everywhere, and double-clicking it (event list, search results,
alert, timeline) centres the map on it and fills the video grid with the
cameras that can see it, best first (:meth:`MainWindow.show_record`). Layout,
geometry, the last map view, the layers and the time window are saved with
QSettings and restored on the next start. Every store read goes through a
:class:`StoreWorker`; the GUI thread never waits on the database or the network.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QDateTime, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QFrame,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSystemTrayIcon,
    QToolBar,
    QWidget,
)

from rtcc_desktop import paths
from rtcc_desktop.identity import current_user
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.timeutil import zone
from rtcc_desktop.tiles.cache import TileCache, cache_path_for
from rtcc_desktop.tiles.source import TileSource
from rtcc_desktop.ui.alerts_panel import COLUMNS as ALERT_COLUMNS
from rtcc_desktop.ui.alerts_panel import AlertsPanel
from rtcc_desktop.ui.bus import PRESET_LABELS, PRESETS, Bus, TimeWindow, parse_ref
from rtcc_desktop.ui.display_zone import set_display_zone, utc_offset_s
from rtcc_desktop.ui.event_list import EventList
from rtcc_desktop.ui.geofence_panel import GeofencePanel
from rtcc_desktop.ui.hotlist_panel import HotlistPanel
from rtcc_desktop.ui.map_controller import CAMERA_RADIUS_M, MapController
from rtcc_desktop.ui.map_page import PageOptions
from rtcc_desktop.ui.map_view import LAYERS, MapView
from rtcc_desktop.ui.prefetch import PrefetchDialog
from rtcc_desktop.ui.search_panel import SearchPanel
from rtcc_desktop.ui.status import KIND_NAMES, Clock, FeedBadges, FeedHealthPanel
from rtcc_desktop.ui.store_worker import StoreWorker
from rtcc_desktop.ui.timeline import Timeline
from rtcc_desktop.wall_layout import default_views_path

log = logging.getLogger(__name__)

ORGANISATION = "RTCC Desktop"
APPLICATION = "RTCC Desktop"
#: Bump when the dock layout changes incompatibly (old saved states are then ignored).
STATE_VERSION = 1
POLL_MS = 3000
#: With no saved map view, keep zooming to the data for this long after the first records.
AUTOFIT_S = 8.0
#: Showing a record fills the grid with at most this many cameras (1+7: the best one big).
MAX_RECORD_CAMERAS = 8
#: Showing a record zooms the map in at least this far (a block or two around it).
RECORD_ZOOM = 16
#: Cameras kept for resolving saved views ("camera:<id>" keys).
MAX_REGISTRY_CAMERAS = 20_000

Area = Qt.DockWidgetArea


def default_settings() -> QSettings:
    """The app's settings store (tests point QSettings at a temp folder first)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def make_tile_source(tile_url: str, *, cache_dir: str | Path | None = None) -> TileSource:
    """A cached tile source for ``tile_url`` (cache file per source under the data folder)."""
    base = Path(cache_dir) if cache_dir is not None else paths.data_dir() / "tiles"
    cache = TileCache(cache_path_for(tile_url, base), url_template=tile_url)
    return TileSource(tile_url, cache)



def placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("placeholder")
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class CustomWindowDialog(QDialog):
    """Pick a fixed start/end, shown in the centre's time zone."""

    def __init__(self, tz: tzinfo, start: datetime, end: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Custom time window")
        self._tz = tz
        self.start_edit = QDateTimeEdit(self)
        self.end_edit = QDateTimeEdit(self)
        for edit, value in ((self.start_edit, start), (self.end_edit, end)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            local = value.astimezone(tz)
            edit.setDateTime(QDateTime(local.year, local.month, local.day, local.hour, local.minute, 0))
        form = QFormLayout(self)
        form.addRow(QLabel(f"Times are in the centre's zone ({getattr(tz, 'key', tz)})."))
        form.addRow("From", self.start_edit)
        form.addRow("To", self.end_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _value(self, edit: QDateTimeEdit) -> datetime:
        q = edit.dateTime()
        d, t = q.date(), q.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), tzinfo=self._tz).astimezone(timezone.utc)

    def values(self) -> tuple[datetime, datetime]:
        return self._value(self.start_edit), self._value(self.end_edit)


class MainWindow(QMainWindow):
    """See the module docstring. ``db_path`` is the SQLite cache the views read."""

    #: Emitted once every built-in panel has data (map ready and loaded).
    panels_live = Signal()

    def __init__(
        self,
        db_path: str | Path,
        *,
        config: Any = None,
        bus: Bus | None = None,
        tile_source: TileSource | None = None,
        settings: QSettings | None = None,
        live_board: Any = None,
        page_dir: Path | None = None,
        video: bool = True,
        views_path: str | Path | None = None,
        wall_layout: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("RTCC Desktop")
        self.db_path = Path(db_path)
        self.config = config
        self.settings = settings or default_settings()
        self.bus = bus or Bus(self)
        self.live_board = live_board
        self._docks: dict[str, QDockWidget] = {}
        self._dock_actions: dict[str, QAction] = {}
        self._shutdown_hooks: list[Callable[[], None]] = []
        self._closed = False
        self._health_pending = False
        self._map_loaded = False
        self._autofit_until: float | None = None
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(400)
        self._fit_timer.timeout.connect(self.fit_map)
        self.health_rows: list[Any] = []
        self.counts: dict[str, int] = {}
        #: The wall layout file "Wall mode" opens (None: the default one).
        self.wall_layout = wall_layout
        self.wall: Any = None
        self.alert_engine: Any = None
        self._views_path = Path(views_path) if views_path is not None else default_views_path()
        self._show_gen = 0
        self._cameras_by_key: dict[str, dict[str, Any]] = {}
        self._cameras_pending = False
        self._cameras_again = False

        self.tz = self._centre_zone()
        set_display_zone(self.tz)  # every table and axis shows the centre's time, whatever the machine's zone
        map_cfg = getattr(config, "map", None)
        tile_url = getattr(map_cfg, "tile_url", None) or "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        self.tile_source = tile_source or make_tile_source(tile_url)
        self._owns_tiles = tile_source is None

        # Workers: one for the panels' small reads, one for the map's loads and deltas.
        self.store_worker = StoreWorker(self.db_path, name="rtcc-store", parent=self)
        self.map_worker = StoreWorker(self.db_path, name="rtcc-store-map", parent=self)

        saved_view = self._saved_view()
        self._had_saved_view = saved_view is not None
        lat, lon, zoom = saved_view or (41.8781, -87.6298, 12)
        self._start_view = (lat, lon, zoom)
        options = PageOptions(lat=lat, lon=lon, zoom=zoom, attribution=getattr(map_cfg, "attribution", None),
                              tz=getattr(self.tz, "key", "UTC"))
        self.map_view = MapView(self.tile_source, options=options, page_dir=page_dir, parent=self)
        self.setCentralWidget(self.map_view)
        self.map_controller = MapController(self.map_view, self.bus, self.map_worker, tz=self.tz, parent=self)

        self._restored_state = False
        self._build_docks(video)
        self._build_actions()
        self._build_status_bar()
        self._wire()

        self.resize(1600, 1000)
        self._default_state = self.saveState(STATE_VERSION)
        self.restore_settings()

        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh_status)
        self._poll.start()
        self.map_controller.start()
        self.refresh_status()
        self._load_cameras()

    # ------------------------------------------------------------------ docks
    def register_dock(self, name: str, title: str, widget: QWidget, area: Area = Area.RightDockWidgetArea,
                      *, visible: bool = True, shortcut: str | None = None) -> QDockWidget:
        """Add a panel by name; it gets a View-menu entry and its place is saved."""
        if name in self._docks:
            raise ValueError(f"a panel named {name!r} is already registered")
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        dock.setVisible(visible)
        self._docks[name] = dock
        action = dock.toggleViewAction()
        action.setText(title)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        self._dock_actions[name] = action
        if hasattr(self, "_panels_menu"):
            self._panels_menu.addAction(action)
            self.restoreDockWidget(dock)  # a late panel takes its saved place
        return dock

    def set_panel(self, name: str, widget: QWidget) -> QWidget | None:
        """Replace a panel's widget (e.g. the timeline placeholder); returns the old one."""
        dock = self._docks[name]
        old = dock.widget()
        dock.setWidget(widget)
        if old is not None:
            old.setParent(None)
            old.deleteLater()
        return old

    def dock(self, name: str) -> QDockWidget:
        return self._docks[name]

    def docks(self) -> dict[str, QDockWidget]:
        return dict(self._docks)

    def panel(self, name: str) -> QWidget | None:
        """The panel in dock ``name`` (the widget itself when the dock scrolls it)."""
        widget = self._docks[name].widget()
        if isinstance(widget, QScrollArea) and widget.widget() is not None:
            return widget.widget()
        return widget

    def _build_docks(self, video: bool) -> None:
        self.video_grid: Any = None
        if video:
            try:
                from rtcc_desktop.ui.video_grid import VideoGrid

                # Saved views and tours go to the same file the wall plays them from.
                self.video_grid = VideoGrid(self, views_path=self._views_path, audit=self._audit_snapshot,
                                            camera_resolver=self._cameras_by_key.get, tz=self.tz)
            except Exception:  # the grid is optional: a placeholder keeps the layout
                log.exception("video grid unavailable")
        vg = self.video_grid or placeholder("Video grid unavailable. Camera video will show here.")
        self.register_dock("video", "Video", vg, Area.RightDockWidgetArea, shortcut="Ctrl+Shift+V")
        self.register_dock("alerts", "Alerts", placeholder("Alerts will appear here: hot-list hits and geofence events."),
                           Area.RightDockWidgetArea, shortcut="Ctrl+Shift+A")
        self.health_panel = FeedHealthPanel(self, tz=self.tz)
        self.register_dock("health", "Feed health", self.health_panel, Area.RightDockWidgetArea, shortcut="Ctrl+Shift+F")
        self.register_dock("search", "Search", placeholder("Plate, \u201cwhat was near\u201d and text search."),
                           Area.RightDockWidgetArea, shortcut="Ctrl+Shift+G")
        self.tabifyDockWidget(self._docks["alerts"], self._docks["health"])
        self.tabifyDockWidget(self._docks["health"], self._docks["search"])
        # Fences are drawn on the map; the panel lists them and saves them through the store worker.
        self.geofences = GeofencePanel(self.store_worker, actor=current_user(), map_view=self.map_view)
        self.geofences.message.connect(self.show_message)
        self.add_shutdown_hook(self.geofences.shutdown)
        self.register_dock("geofences", "Geofences", self.geofences, Area.RightDockWidgetArea)
        self.tabifyDockWidget(self._docks["search"], self._docks["geofences"])
        # Hot lists: own worker, so a big import never holds up the event list and alerts.
        self.hotlists = HotlistPanel(db_path=self.db_path, actor=current_user())
        self.hotlists.message.connect(self.show_message)
        self.add_shutdown_hook(self.hotlists.shutdown)
        self.register_dock("hotlists", "Hot lists", self.hotlists, Area.RightDockWidgetArea)
        self.tabifyDockWidget(self._docks["search"], self._docks["hotlists"])
        self._docks["alerts"].raise_()
        self.register_dock("timeline", "Timeline", placeholder("Timeline of incidents, gunshots and plate reads in the time window."),
                           Area.BottomDockWidgetArea, shortcut="Ctrl+Shift+T")
        self.register_dock("events", "Events", placeholder("Event list: every record in the time window, newest first."),
                           Area.BottomDockWidgetArea, shortcut="Ctrl+Shift+E")
        self.splitDockWidget(self._docks["timeline"], self._docks["events"], Qt.Orientation.Horizontal)
        self._build_panels()
        self._default_sizes()

    def _default_sizes(self) -> None:
        """First-start proportions: video and alerts beside the map, timeline and events below, across the window.

        Qt only honours these once the window has its real size, so they are applied
        again right after the first show when no saved layout was restored.
        """
        w, h = max(self.width(), 1200), max(self.height(), 800)
        bottom = max(230, int(h * 0.26))
        self.resizeDocks([self._docks["timeline"]], [bottom], Qt.Orientation.Vertical)
        self.resizeDocks([self._docks["video"]], [max(560, int(w * 0.39))], Qt.Orientation.Horizontal)
        column = h - bottom - 90  # menu, toolbar and status bar
        self.resizeDocks([self._docks["video"], self._docks["alerts"]], [int(column * 0.57), int(column * 0.43)], Qt.Orientation.Vertical)
        self.resizeDocks([self._docks["timeline"], self._docks["events"]], [int(w * 0.4), int(w * 0.6)], Qt.Orientation.Horizontal)

    def _build_panels(self) -> None:
        """The real panels in their docks, each wired to the bus and to :meth:`show_record`."""
        # The timeline re-reads its lanes on every store change: its own worker keeps that
        # off the queue the event list and alerts share. Searches may be slow: their own too.
        self.timeline = Timeline(db_path=self.db_path)
        self.events = EventList(self.store_worker)
        self.search = SearchPanel(db_path=self.db_path)
        tray = None
        if QSystemTrayIcon.isSystemTrayAvailable() and not QGuiApplication.windowIcon().isNull():
            tray = QSystemTrayIcon(QGuiApplication.windowIcon(), self)
            tray.setToolTip("RTCC Desktop")
            tray.show()
        self.tray = tray
        self.alerts = AlertsPanel(self.store_worker, tray=tray)
        self._fit_alert_columns()
        # The search forms are taller than the alert queue they share a column with: scroll them
        # rather than squeeze the video grid above.
        search_scroll = QScrollArea()
        search_scroll.setObjectName("searchScroll")
        search_scroll.setWidgetResizable(True)
        search_scroll.setFrameShape(QFrame.Shape.NoFrame)
        search_scroll.setWidget(self.search)
        for name, panel in (("timeline", self.timeline), ("events", self.events), ("search", search_scroll), ("alerts", self.alerts)):
            self.set_panel(name, panel)

        self.timeline.attach_bus(self.bus)
        self.events.attach_bus(self.bus)
        self.search.attach_bus(self.bus)
        self.bus.selected.connect(self.alerts.select_record)
        self.alerts.recordSelected.connect(self.bus.select)
        self.alerts.newCountChanged.connect(self._alert_count_changed)
        self.alerts.notified.connect(lambda text: self.show_message(f"Alert: {text}", 15000))
        for signal in (self.events.recordActivated, self.search.recordActivated, self.timeline.recordActivated,
                       self.alerts.jumpRequested):
            signal.connect(self.show_record)
        self.search.searchFailed.connect(lambda msg: self.show_message(f"Search: {msg}"))
        self.search.resultsReady.connect(self._search_results)

    def _fit_alert_columns(self) -> None:
        """In the narrow right column, put what an analyst reads first first: event time, the alert, its state."""
        header = self.alerts.table.horizontalHeader()
        keys = [key for _title, key in ALERT_COLUMNS]
        for pos, key in enumerate(("record_time", "summary", "state", "assignee", "rule", "created")):
            if key in keys:
                header.moveSection(header.visualIndex(keys.index(key)), pos)
        if "summary" in keys:
            col = keys.index("summary")
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, 360)
        header.setStretchLastSection(True)

    def attach_alert_engine(self, engine: Any) -> None:
        """Show the running AlertEngine's new alerts in the alerts panel (the session starts and stops it)."""
        self.alert_engine = engine
        self.alerts.attach_engine(engine)
        self.alerts.refresh()

    def _alert_count_changed(self, n: int) -> None:
        title = f"Alerts ({n})" if n else "Alerts"
        self._docks["alerts"].setWindowTitle(title)
        self._docks["alerts"].setToolTip(f"{n} new alert(s)" if n else "No new alerts")

    # ------------------------------------------------------------------ actions
    def _action(self, text: str, slot: Callable[..., Any], shortcut: str | QKeySequence.StandardKey | None = None,
                *, checkable: bool = False, tip: str = "") -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(checkable)
        if tip:
            act.setStatusTip(tip)
            act.setToolTip(f"{tip} ({QKeySequence(shortcut).toString()})" if shortcut else tip)
        act.triggered.connect(slot)
        self.addAction(act)  # shortcuts work even when the menu bar is hidden
        return act

    def _build_actions(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.act_prefetch = self._action("Save map area for offline use…", self.prefetch_tiles, "Ctrl+Shift+P",
                                         tip="Download the visible area's map tiles into the cache")
        self.act_retry_tiles = self._action("Retry map tiles now", self.retry_tiles, tip="Try the tile server again")
        file_menu.addAction(self.act_prefetch)
        file_menu.addAction(self.act_retry_tiles)
        file_menu.addSeparator()
        self.act_quit = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.act_quit)

        view = mb.addMenu("&View")
        self._panels_menu = view.addMenu("Panels")
        for name in self._docks:
            self._panels_menu.addAction(self._dock_actions[name])
        self.act_show_all = self._action("Show all panels", self.show_all_panels, "Ctrl+Shift+S")
        self.act_reset = self._action("Reset layout", self.reset_layout, "Ctrl+Shift+R", tip="Put every panel back where it started")
        view.addAction(self.act_show_all)
        view.addAction(self.act_reset)
        view.addSeparator()
        self.act_heat = self._action("Heat map", self.map_view.set_heat, "Ctrl+H", checkable=True, tip="Show incidents and gunshots as a heat map")
        self.act_home = self._action("Fit map to data", lambda: self.fit_map(force=True), "Ctrl+0", tip="Zoom the map to show every record")
        self.act_reload = self._action("Reload map data", lambda: self.map_controller.reload(full=True), "F5")
        self.act_clear = self._action("Clear selection", self.bus.clear_selection, "Esc")
        self.act_fullscreen = self._action("Full screen", self.toggle_full_screen, "F11", checkable=True)
        self.act_wall = self._action("Wall mode", self.enter_wall_mode, "Ctrl+Shift+W",
                                     tip="Hide this window and show the video-wall display (leaving it brings this window back)")
        for a in (self.act_heat, self.act_home, self.act_reload, self.act_clear, self.act_fullscreen):
            view.addAction(a)
        view.addSeparator()
        view.addAction(self.act_wall)

        time_menu = mb.addMenu("&Time")
        self._window_group = QActionGroup(self)
        self._window_actions: dict[str, QAction] = {}
        for i, preset in enumerate(PRESETS, start=1):
            act = self._action(PRESET_LABELS[preset], lambda _=False, p=preset: self.bus.set_preset(p), f"Ctrl+{i}", checkable=True,
                               tip=f"Show the {PRESET_LABELS[preset].lower()}")
            self._window_group.addAction(act)
            self._window_actions[preset] = act
            time_menu.addAction(act)
        self.act_custom = self._action("Custom…", self.choose_custom_window, f"Ctrl+{len(PRESETS) + 1}", checkable=True,
                                       tip="Pick a start and end time")
        self._window_group.addAction(self.act_custom)
        self._window_actions["custom"] = self.act_custom
        time_menu.addAction(self.act_custom)
        time_menu.addSeparator()
        self.act_live = self._action("Follow now (live)", self.bus.set_live, "Ctrl+L", checkable=True,
                                     tip="Keep the window's end at the current time")
        time_menu.addAction(self.act_live)

        help_menu = mb.addMenu("&Help")
        help_menu.addAction(self._action("Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents))

        tb = QToolBar("Time window", self)
        tb.setObjectName("toolbar-time")
        tb.setMovable(False)
        tb.addWidget(QLabel("Time window:"))
        for preset in list(PRESETS) + ["custom"]:
            tb.addAction(self._window_actions[preset])
        tb.addSeparator()
        tb.addAction(self.act_live)
        tb.addSeparator()
        tb.addAction(self.act_heat)
        tb.addAction(self.act_home)
        self.window_label = QLabel(self)
        tb.addWidget(self.window_label)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.time_toolbar = tb

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.feed_badges = FeedBadges(self)
        self.counts_label = QLabel("Loading…", self)
        self.tiles_label = QLabel(self)
        self.offline_label = QLabel(self)
        self.offline_label.setObjectName("offlineLabel")
        self.offline_label.hide()
        self.clock = Clock(self.tz, self)
        sb.addPermanentWidget(self.feed_badges)
        sb.addPermanentWidget(self.counts_label)
        sb.addPermanentWidget(self.tiles_label)
        sb.addPermanentWidget(self.offline_label)
        sb.addPermanentWidget(self.clock)
        self._update_tiles_label()

    def _wire(self) -> None:
        self.bus.window_changed.connect(self._window_changed)
        self.bus.message.connect(self.show_message)
        self.bus.results_ready.connect(lambda title, _rows: self.show_message(title))
        self.bus.cameras_requested.connect(self._show_cameras)
        self.map_controller.status.connect(self.show_message)
        self.map_controller.loaded.connect(self._map_data_loaded)
        self.map_view.applied.connect(self._map_applied)
        self.map_view.tile_served.connect(lambda _o: self._update_tiles_label())
        self.map_view.offline_changed.connect(self._offline_changed)
        self.map_view.layer_toggled.connect(self._layer_toggled)
        self.map_view.load_failed.connect(self.show_message)
        self.map_view.search_around_requested.connect(self._search_around)
        self.act_clear.triggered.connect(lambda: self.map_view.drawing and self.geofences.cancel_draw())  # Esc also stops drawing
        self.bus.store_changed.connect(self._store_changed)
        self.store_worker.failed.connect(lambda what, msg: self.show_message(f"{what} failed: {msg}"))
        self.map_worker.failed.connect(lambda what, msg: self.show_message(f"{what} failed: {msg}"))
        if self.video_grid is not None:
            self.video_grid.message.connect(self.show_message)

    # ------------------------------------------------------------------ behaviour
    def show_message(self, text: str, ms: int = 8000) -> None:
        self.statusBar().showMessage(text, ms)

    def _centre_zone(self) -> tzinfo:
        name = self.settings.value("centre/timezone") or getattr(getattr(self.config, "centre", None), "timezone", None) or "UTC"
        try:
            return zone(str(name))
        except ValueError:
            log.warning("unknown centre time zone %r; using UTC", name)
            return timezone.utc

    def set_time_zone(self, name: str) -> None:
        """Show times in ``name`` (IANA) from now on, and remember it."""
        self.tz = zone(name)
        self.settings.setValue("centre/timezone", name)
        self.clock.set_zone(self.tz)
        self.health_panel.tz = self.tz
        self.map_controller.tz = self.tz
        self.map_view.set_time_zone(name)
        if self.video_grid is not None:
            self.video_grid.set_time_zone(self.tz)
        set_display_zone(self.tz)
        self.timeline.axis.utcOffset = -utc_offset_s()
        for view in self.findChildren(QAbstractItemView):
            view.viewport().update()

    def _window_changed(self, window: TimeWindow) -> None:
        act = self._window_actions.get(window.preset)
        if act is not None:
            act.setChecked(True)
        self.act_live.setChecked(window.live)
        self.act_live.setEnabled(True)
        self.window_label.setText(window.label)

    def choose_custom_window(self) -> None:
        since, until = self.bus.window.bounds()
        dlg = CustomWindowDialog(self.tz, since, until or datetime.now(timezone.utc), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            try:
                self.bus.set_custom(*dlg.values())
            except ValueError as exc:
                QMessageBox.warning(self, "Custom time window", str(exc))
        self._window_changed(self.bus.window)

    def _show_cameras(self, cameras: list[Any], why: str) -> None:
        if self.video_grid is not None:
            self._docks["video"].show()
            self._docks["video"].raise_()
            self.video_grid.show_cameras(cameras)
        self.show_message(f"{len(cameras)} camera(s): {why}")

    def show_record(self, ref: str) -> None:
        """Select ``ref`` everywhere, centre the map on it and fill the grid with the cameras that see it.

        What a double-click does in the event list, search results, alert queue
        and timeline: the one step analysts take most. The record and the
        cameras near it are read on the store worker; the ranking is
        ``analysis.visibility.cameras_seeing`` (in view first, nearest first).
        When no camera has it in view, the nearest ones within range are shown
        instead, and the status bar says so.
        """
        parsed = parse_ref(ref)
        if parsed is None or self._closed:
            return
        ref = f"{parsed[0]}:{parsed[1]}"
        if self.bus.selection != ref:
            self.bus.select(ref)
        self._show_gen += 1
        gen, (kind, rid) = self._show_gen, parsed

        def job(store: Any) -> tuple[dict[str, Any] | None, list[Any]]:
            rec = store.get(kind, rid)
            if rec is None or rec.get("lat") is None or rec.get("lon") is None:
                return rec, []
            from rtcc_desktop.analysis.visibility import cameras_seeing

            lat, lon = float(rec["lat"]), float(rec["lon"])
            cams = store.near(lat, lon, CAMERA_RADIUS_M, kinds=["camera"], limit=500)
            return rec, cameras_seeing(lat, lon, cams, max_range_m=CAMERA_RADIUS_M)

        def done(res: tuple[dict[str, Any] | None, list[Any]]) -> None:
            if gen != self._show_gen or self._closed:
                return  # the analyst has already asked for another record
            rec, sightings = res
            if rec is None:
                self.show_message(f"{ref} is no longer in the cache")
                return
            if rec.get("lat") is None or rec.get("lon") is None:
                self.show_message(f"{ref} has no location: it cannot be shown on the map or matched to cameras")
                return
            lat, lon = float(rec["lat"]), float(rec["lon"])
            zoom = max(RECORD_ZOOM, int((self.map_view.last_view or {}).get("zoom", 0)))
            self.map_view.set_view(lat, lon, zoom)
            seeing = [s for s in sightings if s.in_view][:MAX_RECORD_CAMERAS]
            # None has it in view: the nearest ones may still show who came and went (a canvass).
            shown = seeing or sightings[:MAX_RECORD_CAMERAS]
            self.map_view.highlight([(s.camera["lat"], s.camera["lon"]) for s in shown], centre=(lat, lon),
                                    radius_m=CAMERA_RADIUS_M, fit=False)
            if seeing:
                self._show_cameras(seeing, f"the cameras that see {ref}, best first")
            elif shown:
                first = shown[0]
                self._show_cameras(shown, f"no camera has {ref} in view; the nearest within {CAMERA_RADIUS_M:.0f} m "
                                          f"({first.camera.get('name') or 'camera'}: {first.reason})")
            else:
                self.show_message(f"No camera within {CAMERA_RADIUS_M:.0f} m of {ref}", 12000)

        self.store_worker.submit(job, done, what="show record")

    def _search_results(self, _title: str, rows: list[dict[str, Any]]) -> None:
        """Ring a page of search results on the map (and bring them into view)."""
        points = [(float(r["lat"]), float(r["lon"])) for r in rows if r.get("lat") is not None and r.get("lon") is not None]
        if points:
            self.map_view.highlight(points, fit=True)

    def _search_around(self, lat: float, lon: float) -> None:
        """The map's "Search around here": the point goes to the search panel, ready for a reasoned search."""
        self.search.set_point(lat, lon)
        dock = self._docks["search"]
        dock.show()
        dock.raise_()

    def _audit_snapshot(self, action: str, params: dict[str, Any]) -> None:
        """Evidence snapshots from the video grid go to the audit log (written on the store worker)."""
        actor = current_user()
        self.store_worker.submit(lambda store: store.audit(actor, action, dict(params), "video snapshot", 1), what="snapshot audit")

    def _store_changed(self, kind: str, _rowid: int) -> None:
        if kind == "camera":
            self._load_cameras()

    def _load_cameras(self) -> None:
        """Keep the camera registry saved views resolve "camera:<id>" keys with (read on the worker)."""
        if self.video_grid is None or self._closed:
            return
        if self._cameras_pending:
            self._cameras_again = True
            return
        self._cameras_pending = True

        def job(store: Any) -> dict[str, dict[str, Any]]:
            from rtcc_desktop.video.views import camera_key

            out: dict[str, dict[str, Any]] = {}
            after, seen = 0, 0
            while seen < MAX_REGISTRY_CAMERAS:
                got = store.changes_since("camera", after, 5000)
                for c in got:
                    for key in (camera_key(c), f"{c.get('source')}:{c.get('source_id')}" if c.get("source_id") else None):
                        if key:
                            out[key] = c
                seen += len(got)
                if len(got) < 5000:
                    break
                after = int(got[-1]["id"])
            return out

        def done(reg: dict[str, dict[str, Any]]) -> None:
            self._cameras_pending = False
            self._cameras_by_key.clear()  # the grid holds this dict's .get: update it in place
            self._cameras_by_key.update(reg)
            if self._cameras_again:
                self._cameras_again = False
                self._load_cameras()

        def failed(exc: BaseException) -> None:
            self._cameras_pending = False
            log.warning("camera registry not loaded: %s", exc)

        self.store_worker.submit(job, done, failed, what="camera registry")

    # ------------------------------------------------------------------ wall mode
    def enter_wall_mode(self) -> Any:
        """Hide this window and show the wall display; leaving the wall (supervisor PIN) shows it again."""
        if self.wall is not None and not self.wall.closed:
            return self.wall
        from rtcc_desktop.ui.wall import open_wall
        from rtcc_desktop.wall_layout import WallLayoutError

        try:
            wall = open_wall(self, layout_path=self.wall_layout, show=False, on_leave=self._wall_left)
        except (WallLayoutError, OSError, ValueError) as exc:
            log.warning("wall mode could not start: %s", exc)
            QMessageBox.warning(self, "Wall mode", f"Wall mode could not start:\n\n{exc}")
            return None
        self.wall = wall
        wall.show()  # first, so the app never has no visible window
        self.hide()
        return wall

    def _wall_left(self) -> None:
        self.wall = None
        self.show()
        self.raise_()
        self.activateWindow()

    def _offline_changed(self, offline: bool, reason: str) -> None:
        if offline:
            self.offline_label.setText("● Map offline")
            self.offline_label.setToolTip(f"Map tiles: {reason}. Cached areas still show; others show an OFFLINE tile.")
            self.offline_label.show()
            self.show_message(f"Map offline: {reason}. Showing cached tiles only (File → Retry map tiles now).", 15000)
        else:
            self.offline_label.hide()
            self.show_message("Map tiles back online")

    def _update_tiles_label(self) -> None:
        s = self.map_view.tile_stats
        self.tiles_label.setText(f"Tiles {s.get('network', 0)} net · {s.get('cache', 0)} cache")
        self.tiles_label.setToolTip(f"Map tiles this session: {s.get('network', 0)} downloaded, {s.get('cache', 0)} from the "
                                    f"offline cache, {s.get('offline', 0)} unavailable")

    def _layer_toggled(self, name: str, on: bool) -> None:
        if name == "heat":
            self.act_heat.setChecked(on)

    def _map_data_loaded(self, info: dict[str, Any]) -> None:
        if not self._map_loaded:
            self._map_loaded = True
            self._maybe_live()

    def _map_applied(self, _seq: int, counts: dict[str, Any]) -> None:
        """With no saved view, zoom to the data as the first records arrive (for a few seconds)."""
        if self._had_saved_view or self._autofit_until == 0.0 or self.map_view.explicit_view:
            return
        if not any(isinstance(counts.get(k), int) and counts[k] > 0 for k in ("cad", "gunshot", "alpr", "camera")):
            return
        now = time.monotonic()
        if self._autofit_until is None:
            self._autofit_until = now + AUTOFIT_S
        if now <= self._autofit_until:
            self._fit_timer.start()
        else:
            self._autofit_until = 0.0

    def fit_map(self, force: bool = False) -> None:
        """Zoom to the data; automatic fits (``force`` False) stop once the analyst moves the map."""
        self.map_view.send("fit", force=bool(force))

    def retry_tiles(self) -> None:
        self.tile_source.reset_backoff()
        self.map_view.send("retiles")

    def prefetch_tiles(self) -> None:
        view = self.map_view.last_view
        if not view:
            self.show_message("The map is not ready yet")
            return
        w, s, e, n = view["bbox"]
        try:
            bbox = BBox(max(-180.0, w), max(-85.0, s), min(180.0, e), min(85.0, n))
        except ValueError:
            return
        dlg = PrefetchDialog(self.tile_source, bbox, int(view["zoom"]), self)
        dlg.exec()
        if dlg.report is not None:
            self.show_message(f"Offline map: {dlg.report.summary()}")

    def show_all_panels(self) -> None:
        for dock in self._docks.values():
            dock.show()

    def reset_layout(self) -> None:
        """Every panel back to its first place, visible."""
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in self._docks.values():
            if dock.isFloating():
                dock.setFloating(False)
            dock.show()
        self._docks["alerts"].raise_()
        self._default_sizes()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._restored_state and not getattr(self, "_sized", False):
            self._sized = True
            QTimer.singleShot(0, self._default_sizes)

    def toggle_full_screen(self, on: bool | None = None) -> None:
        on = not self.isFullScreen() if on is None or not isinstance(on, bool) else on
        self.showFullScreen() if on else self.showNormal()
        self.act_fullscreen.setChecked(on)

    def show_shortcuts(self) -> None:
        lines = []
        for act in self.actions():
            if not act.shortcut().isEmpty():
                lines.append(f"{act.shortcut().toString(QKeySequence.SequenceFormat.NativeText):<16} {act.text().replace('&', '')}")
        for name, act in self._dock_actions.items():
            if not act.shortcut().isEmpty():
                lines.append(f"{act.shortcut().toString(QKeySequence.SequenceFormat.NativeText):<16} show/hide {act.text()}")
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(sorted(lines)))

    # ------------------------------------------------------------------ status polling
    def refresh_status(self) -> None:
        """Counts and feed health, read on the store worker (skipped while one is pending)."""
        if self._health_pending or self._closed:
            return
        self._health_pending = True
        config, board = self.config, self.live_board

        def job(store: Any) -> tuple[dict[str, int], list[Any]]:
            counts = store.counts()
            rows: list[Any] = []
            if config is not None and getattr(config, "feeds", None):
                from rtcc_desktop.feeds.health import feed_health

                rows = feed_health(store, config, live=board.snapshot() if board is not None else None)
            return counts, rows

        def done(res: tuple[dict[str, int], list[Any]]) -> None:
            self._health_pending = False
            self.counts, self.health_rows = res
            self.counts_label.setText(" · ".join(f"{KIND_NAMES[k]} {n:,}" for k, n in self.counts.items() if k in KIND_NAMES))
            self.feed_badges.set_health(self.health_rows)
            self.health_panel.set_health(self.health_rows)
            self._maybe_live()

        def failed(exc: BaseException) -> None:
            self._health_pending = False
            self.counts_label.setText("Store unavailable")
            self.counts_label.setToolTip(str(exc))

        self.store_worker.submit(job, done, failed, what="status")

    def _maybe_live(self) -> None:
        if self._map_loaded and self.counts and not getattr(self, "_live_emitted", False):
            self._live_emitted = True
            self.panels_live.emit()

    # ------------------------------------------------------------------ settings
    def _saved_view(self) -> tuple[float, float, int] | None:
        raw = self.settings.value("map/view")
        if not raw:
            return None
        try:
            d = json.loads(str(raw))
            lat, lon, zoom = float(d["lat"]), float(d["lon"]), int(d["zoom"])
        except (ValueError, KeyError, TypeError):
            return None
        if -85 <= lat <= 85 and -180 <= lon <= 180 and 0 <= zoom <= 22:
            return lat, lon, zoom
        return None

    def restore_settings(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray) and not geo.isEmpty():
            self.restoreGeometry(geo)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            if self.restoreState(state, STATE_VERSION):
                self._restored_state = True
            else:
                log.info("saved window layout is from another version; using the default")
        preset = str(s.value("time/preset") or "24h")
        live = str(s.value("time/live", "true")).lower() in ("true", "1")
        window = TimeWindow(preset=preset if preset in PRESETS else "24h", live=live,
                            anchor=None if live else datetime.now(timezone.utc))
        self.bus.set_window(window)
        self._window_changed(self.bus.window)
        raw_layers = s.value("map/layers")
        if raw_layers:
            try:
                layers = {k: bool(v) for k, v in json.loads(str(raw_layers)).items() if k in LAYERS}
            except (ValueError, AttributeError):
                layers = {}
            if layers:
                self.map_view.set_layers(layers)
                self.act_heat.setChecked(layers.get("heat", False))

    def _at_start_view(self, view: dict[str, Any]) -> bool:
        lat, lon, zoom = self._start_view
        return int(view["zoom"]) == zoom and abs(float(view["lat"]) - lat) < 1e-3 and abs(float(view["lon"]) - lon) < 1e-3

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(STATE_VERSION))
        view = self.map_view.last_view
        if view and (self._had_saved_view or not self._at_start_view(view)):
            # A map closed before it ever moved keeps no view: the next start zooms to the data again.
            s.setValue("map/view", json.dumps({"lat": view["lat"], "lon": view["lon"], "zoom": view["zoom"]}))
        s.setValue("map/layers", json.dumps(self.map_view.layers))
        w = self.bus.window
        if w.preset in PRESETS:
            s.setValue("time/preset", w.preset)
            s.setValue("time/live", "true" if w.live else "false")
        s.sync()

    # ------------------------------------------------------------------ shutdown
    def add_shutdown_hook(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` when the window closes (e.g. stop the sync engine and simulator)."""
        self._shutdown_hooks.append(fn)

    def shutdown(self) -> None:
        """Stop timers, threads and the page; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._poll.stop()
        self.map_controller.stop()
        if self.wall is not None:
            self.wall.close()
            self.wall = None
        for panel in (self.timeline, self.events, self.search, self.alerts):
            try:
                panel.shutdown()  # the alerts panel stops listening to the engine here
            except Exception:
                log.exception("panel shutdown failed")
        if self.tray is not None:
            self.tray.hide()
        if self.video_grid is not None:
            self.video_grid.shutdown()
        self.map_view.shutdown()
        for hook in self._shutdown_hooks:
            try:
                hook()
            except Exception:
                log.exception("shutdown hook failed")
        self.store_worker.stop()
        self.map_worker.stop()
        if self._owns_tiles:
            self.tile_source.cache.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self._closed:
            self.save_settings()
        self.shutdown()
        super().closeEvent(event)
