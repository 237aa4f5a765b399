"""The multi-camera video grid: layouts, maximise, drag-and-drop, views and tours.

Capture runs in ``rtcc_desktop.video`` threads (one per visible stream); this
widget only decides which streams run and paints their newest frames on a
display timer, repainting just the tiles whose slot changed. Hidden tiles,
and the whole grid when it is hidden or minimised, stop decoding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QInputDialog,
    QLabel,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop import paths
from rtcc_desktop.ui.video_tile import CAMERA_MIME, PaintObserver, VideoTile
from rtcc_desktop.video.layouts import LAYOUT_ORDER, LAYOUTS, MAX_TILES, Cell, layout_for_count
from rtcc_desktop.video.options import CaptureOptions
from rtcc_desktop.video.snapshot import AuditHook
from rtcc_desktop.video.state import StreamState
from rtcc_desktop.video.stream import Stream
from rtcc_desktop.video.urls import CredentialLookup, keyring_lookup
from rtcc_desktop.video.views import SavedView, Tour, ViewsError, ViewStore, camera_key

log = logging.getLogger(__name__)

__all__ = ["CAMERA_MIME", "VideoGrid"]

#: Display refresh rate of the grid (tiles repaint only when their slot changed).
REFRESH_HZ = 30.0

StreamFactory = Callable[[dict[str, Any]], Stream]
CameraResolver = Callable[[str], "dict[str, Any] | None"]

DARK_STYLE = """
VideoGrid, #videoArea { background: #0c0c0e; }
QToolBar { background: #1a1b1e; border: 0; spacing: 2px; padding: 2px; }
QToolBar QToolButton { color: #d8d8d8; background: transparent; padding: 3px 7px; border-radius: 3px; }
QToolBar QToolButton:checked { background: #2f5f9e; color: white; }
QToolBar QToolButton:hover { background: #33363b; }
QToolBar QLabel { color: #9a9a9a; padding: 0 4px; }
QComboBox { background: #26282c; color: #d8d8d8; border: 1px solid #3a3d42; padding: 1px 6px; min-width: 90px; }
QComboBox QAbstractItemView { background: #26282c; color: #d8d8d8; selection-background-color: #2f5f9e; }
"""


def _camera_of(item: Any) -> dict[str, Any] | None:
    """A camera dict from a record or a visibility result (anything with ``.camera``)."""
    if isinstance(item, dict):
        return item
    camera = getattr(item, "camera", None)
    return camera if isinstance(camera, dict) else None


class VideoGrid(QWidget):
    """A wall of camera tiles the analyst arranges; see the module docstring."""

    layoutChanged = Signal(str)
    maximisedChanged = Signal(int)  # tile index, or -1 when back to the grid
    snapshotSaved = Signal(str)  # path of the PNG
    message = Signal(str)  # short status text for the main window

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        views_path: str | Path | None = None,
        snapshot_dir: str | Path | None = None,
        audit: AuditHook | None = None,
        camera_resolver: CameraResolver | None = None,
        options: CaptureOptions | None = None,
        credential_lookup: CredentialLookup | None = keyring_lookup,
        refresh_hz: float = REFRESH_HZ,
        stream_factory: StreamFactory | None = None,
        show_toolbar: bool = True,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("videoGrid")
        self._tz = tz
        self.options = options or CaptureOptions()
        self.audit = audit
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else paths.data_dir() / "snapshots"
        self.camera_resolver = camera_resolver
        self._lookup = credential_lookup
        self._stream_factory = stream_factory or self._default_stream
        self._views = ViewStore(views_path)
        self._views.load()
        self._tiles: list[VideoTile] = []
        self._layout_name = "2x2"
        self._maximised: int | None = None
        self._selected = 0
        self._exposed = False
        self._closed = False
        self._known: dict[str, dict[str, Any]] = {}
        self._retired: list[Stream] = []
        self._paint_observer: PaintObserver | None = None
        self._watched_window: QWidget | None = None
        self._tour: Tour | None = None
        self._tour_pos = 0

        self.setStyleSheet(DARK_STYLE)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._area = QWidget(self)
        self._area.setObjectName("videoArea")
        self._area.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._area.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._grid = QGridLayout(self._area)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)

        self.toolbar = QToolBar("Video", self)
        self._build_toolbar()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.toolbar)
        outer.addWidget(self._area, 1)
        self.toolbar.setVisible(show_toolbar)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(max(5, round(1000 / refresh_hz)))
        self._timer.timeout.connect(self._tick)
        self._tour_timer = QTimer(self)
        self._tour_timer.timeout.connect(self._next_tour_view)
        app = QCoreApplication.instance()
        if app is not None:  # a grid inside a main window gets no closeEvent of its own
            app.aboutToQuit.connect(self.shutdown)
        self._apply_layout()

    # ------------------------------------------------------------- toolbar
    def _build_toolbar(self) -> None:
        group = QActionGroup(self)
        group.setExclusive(True)
        self._layout_actions: dict[str, QAction] = {}
        for n, name in enumerate(LAYOUT_ORDER, start=1):
            action = QAction(name, self)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"Layout {name} (Ctrl+{n})")
            action.triggered.connect(lambda _=False, name=name: self.set_layout(name))
            group.addAction(action)
            self.addAction(action)  # shortcut works wherever focus is inside the grid
            self.toolbar.addAction(action)
            self._layout_actions[name] = action
        restore = QAction("Restore", self)
        restore.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        restore.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        restore.triggered.connect(self.restore)
        self.addAction(restore)
        self.toolbar.addSeparator()
        snap = QAction("Snapshot", self)
        snap.setToolTip("Save the selected tile as PNG evidence (with SHA-256)")
        snap.triggered.connect(lambda: self.snapshot())
        self.toolbar.addAction(snap)
        self.toolbar.addSeparator()
        self.toolbar.addWidget(QLabel("View"))
        self._view_box = QComboBox(self)
        self._view_box.setObjectName("viewBox")
        self._view_box.activated.connect(self._view_chosen)
        self.toolbar.addWidget(self._view_box)
        save_view = QAction("Save view…", self)
        save_view.triggered.connect(self._ask_save_view)
        self.toolbar.addAction(save_view)
        self.toolbar.addWidget(QLabel("Tour"))
        self._tour_box = QComboBox(self)
        self._tour_box.setObjectName("tourBox")
        self.toolbar.addWidget(self._tour_box)
        self._tour_action = QAction("Start tour", self)
        self._tour_action.setCheckable(True)
        self._tour_action.toggled.connect(self._tour_toggled)
        self.toolbar.addAction(self._tour_action)
        self._refresh_view_boxes()

    def _refresh_view_boxes(self) -> None:
        self._view_box.blockSignals(True)
        self._view_box.clear()
        self._view_box.addItem("—")
        self._view_box.addItems(sorted(self._views.views))
        self._view_box.blockSignals(False)
        self._tour_box.clear()
        self._tour_box.addItems(sorted(self._views.tours))

    def _view_chosen(self, row: int) -> None:
        if row > 0:
            self.stop_tour()
            self.apply_view(self._view_box.itemText(row))

    def _ask_save_view(self) -> None:
        name, ok = QInputDialog.getText(self, "Save view", "Name of this view:")
        if ok and name.strip():
            try:
                self.save_view(name.strip())
            except (ViewsError, OSError) as exc:
                self.message.emit(f"View not saved: {exc}")

    def _tour_toggled(self, on: bool) -> None:
        if on and self._tour is None:
            name = self._tour_box.currentText()
            if not name or not self.start_tour(name):
                self._tour_action.setChecked(False)
        elif not on:
            self.stop_tour()

    def set_time_zone(self, tz: tzinfo | None) -> None:
        """Show the tiles' clocks in ``tz`` (the centre's zone) from now on."""
        self._tz = tz
        for tile in self._tiles:
            tile.tz = tz

    # -------------------------------------------------------------- tiles
    def _tile(self, index: int) -> VideoTile:
        while len(self._tiles) <= index:
            tile = VideoTile(len(self._tiles), self._area, tz=self._tz)
            tile.hide()
            tile.paint_observer = self._paint_observer
            tile.doubleClicked.connect(self.toggle_maximise)
            tile.clicked.connect(self.select_tile)
            tile.cameraDropped.connect(self._dropped)
            tile.snapshotRequested.connect(self.snapshot)
            tile.clearRequested.connect(lambda i: self.set_camera(i, None))
            self._tiles.append(tile)
        return self._tiles[index]

    def tiles(self) -> list[VideoTile]:
        """The tiles of the current layout, in order (cell 0 is the big one)."""
        return [self._tile(i) for i in range(LAYOUTS[self._layout_name].size)]

    def tile(self, index: int) -> VideoTile:
        return self._tile(index)

    def streams(self) -> list[Stream]:
        """Streams of the current layout's tiles (None-free)."""
        return [t.stream for t in self.tiles() if t.stream is not None]

    @property
    def layout_name(self) -> str:
        return self._layout_name

    @property
    def maximised(self) -> int | None:
        """Index of the maximised tile, or None when the grid shows the layout."""
        return self._maximised

    def _apply_layout(self) -> None:
        layout = LAYOUTS[self._layout_name]
        for tile in self._tiles:
            self._grid.removeWidget(tile)
        if self._maximised is not None:
            cells: Sequence[tuple[int, Cell]] = [(self._maximised, Cell(0, 0))]
            rows = cols = 1
        else:
            cells = list(enumerate(layout.cells))
            rows, cols = layout.rows, layout.cols
        wanted = {i for i, _ in cells}
        for i, cell in cells:
            self._grid.addWidget(self._tile(i), cell.row, cell.col, cell.rowspan, cell.colspan)
        for r in range(max(self._grid.rowCount(), 6)):
            self._grid.setRowStretch(r, 1 if r < rows else 0)
        for c in range(max(self._grid.columnCount(), 6)):
            self._grid.setColumnStretch(c, 1 if c < cols else 0)
        for i, tile in enumerate(self._tiles):
            tile.setVisible(i in wanted)
        for name, action in self._layout_actions.items():
            action.setChecked(name == self._layout_name)
        self._sync_activity()

    def set_layout(self, name: str) -> None:
        """Switch to layout ``name`` ("1", "2x2", "3x3", "4x4", "1+5", "1+7", "5x5", "6x6")."""
        if name not in LAYOUTS:
            raise ValueError(f"unknown layout {name!r}; expected one of {', '.join(LAYOUT_ORDER)}")
        changed = name != self._layout_name or self._maximised is not None
        self._layout_name = name
        if self._maximised is not None:
            self._maximised = None
            self.maximisedChanged.emit(-1)
        self._apply_layout()
        if changed:
            self.layoutChanged.emit(name)

    def select_tile(self, index: int) -> None:
        """Mark a tile as the target of toolbar actions (snapshot)."""
        self._selected = index
        for tile in self._tiles:
            selected = tile.index == index
            if tile.selected != selected:
                tile.selected = selected
                tile.update()

    def toggle_maximise(self, index: int) -> None:
        """Double-click: the tile fills the grid on its main stream, or goes back."""
        if self._maximised is None:
            self.maximise(index)
        else:
            self.restore()

    def maximise(self, index: int) -> None:
        if self._closed or index >= len(self._tiles):
            return
        self._maximised = index
        self.select_tile(index)
        self._apply_layout()
        self.maximisedChanged.emit(index)

    def _leave_maximised(self) -> bool:
        """Forget the maximised tile without re-laying out (the caller does); True if there was one."""
        was = self._maximised is not None
        self._maximised = None
        return was

    def restore(self) -> None:
        """Back from a maximised tile to the layout (and the substream)."""
        if self._maximised is None:
            return
        self._maximised = None
        self._apply_layout()
        self.maximisedChanged.emit(-1)

    # ----------------------------------------------------------- cameras
    def _default_stream(self, camera: dict[str, Any]) -> Stream:
        return Stream(camera, options=self.options, credential_lookup=self._lookup)

    def _retire(self, stream: Stream) -> None:
        """Stop a stream that left the grid without waiting; shutdown() joins it."""
        stream.request_stop()
        self._retired = [s for s in self._retired if not s.join(0)]
        self._retired.append(stream)

    def set_camera(self, index: int, camera: dict[str, Any] | None) -> None:
        """Put ``camera`` in tile ``index`` (None empties it); the same camera keeps its stream."""
        if self._closed or not 0 <= index < MAX_TILES:
            return
        cams: list[dict[str, Any] | None] = [t.stream.camera if t.stream is not None else None for t in self._tiles]
        cams += [None] * (index + 1 - len(cams))
        cams[index] = camera
        self._assign_all(cams)

    def _assign_all(self, cams: Sequence[dict[str, Any] | None]) -> None:
        """Give tile i camera ``cams[i]``; running streams follow their camera to its new tile."""
        if self._closed:
            return
        pool: dict[str, Stream] = {}
        for tile in self._tiles:
            stream = tile.stream
            if stream is None:
                continue
            key = camera_key(stream.camera)
            if key and key not in pool:
                pool[key] = stream
            else:
                tile.set_stream(None)
                self._retire(stream)
        used: set[str] = set()
        for i in range(max(len(self._tiles), len(cams))):
            camera = cams[i] if i < len(cams) else None
            tile = self._tile(i)
            new: Stream | None = None
            if camera is not None:
                key = camera_key(camera)
                if key and key in pool and key not in used:
                    new = pool[key]
                    used.add(key)
                else:
                    new = self._stream_factory(camera)
                if key:
                    self._known[key] = camera
            if tile.stream is not new:
                tile.set_stream(new)
        for key, stream in pool.items():
            if key not in used:
                self._retire(stream)
        self._sync_activity()

    def show_cameras(self, cameras: Iterable[Any]) -> None:
        """Fill the grid with ``cameras`` in order, on the smallest layout that fits.

        Accepts camera dicts or ``cameras_seeing`` results (best first: the
        first camera gets the big tile in 1+5 / 1+7). A camera already on
        screen keeps its running stream, even when it moves to another tile.
        """
        if self._closed:
            return
        cams = [c for c in (_camera_of(item) for item in cameras) if c is not None]
        name = layout_for_count(len(cams))
        self.stop_tour()
        was_maximised = self._leave_maximised()
        self._assign_all(cams[: LAYOUTS[name].size])
        self.set_layout(name)
        if was_maximised:
            self.maximisedChanged.emit(-1)

    def cameras(self) -> list[dict[str, Any] | None]:
        """The camera in each tile of the current layout (None for empty tiles)."""
        return [t.stream.camera if t.stream is not None else None for t in self.tiles()]

    def _dropped(self, index: int, camera: dict[str, Any]) -> None:
        self.set_camera(index, camera)
        self.select_tile(index)
        self.message.emit(f"{camera.get('name') or 'Camera'} → tile {index + 1}")

    # ---------------------------------------------------------- activity
    def _active_indices(self) -> set[int]:
        if not self._exposed or self._closed:
            return set()
        window = self.window()
        if window is not None and window.isMinimized():
            return set()
        if self._maximised is not None:
            return {self._maximised}
        return set(range(LAYOUTS[self._layout_name].size))

    def _sync_activity(self) -> None:
        """Run exactly the streams a user can see; pause the rest (release their sources)."""
        active = self._active_indices()
        for i, tile in enumerate(self._tiles):
            stream = tile.stream
            if stream is None:
                continue
            stream.set_main_stream(i == self._maximised)
            if i in active:
                stream.resume()
            else:
                stream.pause()
        if active and not self._timer.isActive():
            self._timer.start()
        elif not active and self._timer.isActive():
            self._timer.stop()

    def _tick(self) -> None:
        now = time.monotonic()
        for i in self._active_indices():
            if i < len(self._tiles):
                self._tiles[i].poll(now)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self._exposed = True
        self._watch_window()
        self._sync_activity()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt API
        super().hideEvent(event)
        self._exposed = False
        self._sync_activity()

    def _watch_window(self) -> None:
        window = self.window()
        if window is not self and window is not self._watched_window:
            if self._watched_window is not None:
                self._watched_window.removeEventFilter(self)
            window.installEventFilter(self)
            self._watched_window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self._watched_window and event.type() == QEvent.Type.WindowStateChange:
            self._sync_activity()
        return False

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt API
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:  # the grid is its own window
            self._sync_activity()

    # ----------------------------------------------------------- actions
    def snapshot(self, index: int | None = None) -> Path | None:
        """Save tile ``index`` (default: maximised or selected) as PNG + SHA-256; audited."""
        if index is None:
            index = self._maximised if self._maximised is not None else self._selected
        stream = self._tile(index).stream if 0 <= index < MAX_TILES else None
        if stream is None:
            self.message.emit("Snapshot: no camera in that tile")
            return None
        try:
            path = stream.snapshot(self.snapshot_dir, audit=self.audit)
        except Exception as exc:  # noqa: BLE001 - disk full, permissions: tell the analyst
            log.warning("snapshot of %s failed: %s", stream.name, exc)
            self.message.emit(f"Snapshot failed: {exc}")
            return None
        if path is None:
            self.message.emit(f"Snapshot: no picture from {stream.name} yet")
            return None
        self.snapshotSaved.emit(str(path))
        self.message.emit(f"Snapshot saved: {path}")
        return path

    def set_paint_observer(self, observer: PaintObserver | None) -> None:
        """Call ``observer(tile, stream, frame, painted_at)`` after each new frame is painted."""
        self._paint_observer = observer
        for tile in self._tiles:
            tile.paint_observer = observer

    # ------------------------------------------------------ views, tours
    def view_names(self) -> list[str]:
        return sorted(self._views.views)

    def tour_names(self) -> list[str]:
        return sorted(self._views.tours)

    def save_view(self, name: str) -> SavedView:
        """Remember the current layout and its cameras as ``name`` (written to the file)."""
        keys = [camera_key(c) if c is not None else None for c in self.cameras()]
        view = self._views.put_view(SavedView(name, self._layout_name, keys))
        self._views.save()
        self._refresh_view_boxes()
        return view

    def delete_view(self, name: str) -> None:
        self._views.remove_view(name)
        self._views.save()
        self._refresh_view_boxes()

    def _resolve(self, key: str | None) -> dict[str, Any] | None:
        if not key:
            return None
        camera = None
        if self.camera_resolver is not None:
            try:
                camera = self.camera_resolver(key)
            except Exception:  # noqa: BLE001 - a broken resolver must not break the grid
                log.warning("camera resolver failed for %s", key, exc_info=True)
        return camera if camera is not None else self._known.get(key)

    def apply_view(self, name: str) -> bool:
        """Show saved view ``name``; cameras that cannot be found leave their tile empty."""
        view = self._views.views.get(name)
        if view is None:
            return False
        was_maximised = self._leave_maximised()
        size = LAYOUTS[view.layout].size
        cams = [self._resolve(key) for key in view.cameras[:size]]
        missing = sum(1 for key, cam in zip(view.cameras, cams) if key and cam is None)
        self._assign_all(cams)
        self.set_layout(view.layout)
        if was_maximised:
            self.maximisedChanged.emit(-1)
        if missing:
            self.message.emit(f"View {name}: {missing} camera(s) not found")
        return True

    def save_tour(self, name: str, views: Sequence[str], dwell_s: float) -> Tour:
        tour = self._views.put_tour(Tour(name, list(views), dwell_s))
        self._views.save()
        self._refresh_view_boxes()
        return tour

    def delete_tour(self, name: str) -> None:
        self._views.remove_tour(name)
        self._views.save()
        self._refresh_view_boxes()

    def reload_views(self) -> None:
        """Read the views file again (another window may have saved to it)."""
        self._views.load()
        self._refresh_view_boxes()

    def start_tour(self, name: str) -> bool:
        """Cycle through the tour's views, ``dwell_s`` seconds each."""
        tour = self._views.tours.get(name)
        if tour is None:
            return False
        self._tour = tour
        self._tour_pos = 0
        self.apply_view(tour.views[0])
        self._tour = tour  # apply_view does not stop tours, but keep it explicit
        self._tour_timer.start(round(tour.dwell_s * 1000))
        self._tour_action.blockSignals(True)
        self._tour_action.setChecked(True)
        self._tour_action.blockSignals(False)
        return True

    def stop_tour(self) -> None:
        self._tour = None
        self._tour_timer.stop()
        self._tour_action.blockSignals(True)
        self._tour_action.setChecked(False)
        self._tour_action.blockSignals(False)

    @property
    def touring(self) -> str | None:
        return self._tour.name if self._tour is not None else None

    def _next_tour_view(self) -> None:
        tour = self._tour
        if tour is None:
            return
        self._tour_pos = (self._tour_pos + 1) % len(tour.views)
        self.apply_view(tour.views[self._tour_pos])

    # ----------------------------------------------------------- health
    def health(self) -> dict[str, Any]:
        """For the self-test: tiles in the layout, how many are live, fps per tile, errors."""
        tiles = self.tiles()
        fps: list[float | None] = []
        states: list[str] = []
        names: list[str | None] = []
        errors: list[dict[str, Any]] = []
        live = 0
        for tile in tiles:
            stream = tile.stream
            if stream is None:
                fps.append(None)
                states.append("empty")
                names.append(None)
                continue
            state = stream.state
            live += state is StreamState.LIVE
            fps.append(round(stream.fps(), 2))
            states.append(state.value)
            names.append(stream.name)
            if stream.last_error:
                errors.append({"tile": tile.index, "camera": stream.name, "error": stream.last_error})
        return {
            "tiles": len(tiles),
            "layout": self._layout_name,
            "live": live,
            "fps": fps,
            "states": states,
            "cameras": names,
            "errors": errors,
        }

    # --------------------------------------------------------- shutdown
    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop every capture thread and wait for them; True when all ended.

        All threads are told first and joined after, so the wait is the
        slowest thread's, not the sum. Default timeout: the open timeout plus
        a second (a thread blocked in FFmpeg leaves when its timeout fires).
        """
        if timeout is None:
            timeout = max(self.options.open_timeout_s, self.options.read_timeout_s) + 1.0
        self._closed = True
        self._timer.stop()
        self._tour_timer.stop()
        self._tour = None
        streams = [t.stream for t in self._tiles if t.stream is not None] + self._retired
        for stream in streams:
            stream.request_stop()
        deadline = time.monotonic() + timeout
        ok = True
        for stream in streams:
            ok = stream.join(max(0.0, deadline - time.monotonic())) and ok
        self._retired = [s for s in self._retired if not s.join(0)]
        if not ok:
            log.warning("video grid: some capture threads did not stop within %.1f s", timeout)
        if self._watched_window is not None:
            self._watched_window.removeEventFilter(self)
            self._watched_window = None
        return ok

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)
