"""The live map widget: a QWebEngineView showing our folium page, fed over QWebChannel.

The page is built once and never reloaded while the app runs. Python sends
JSON messages (deltas, prune, select, highlight) through the bridge's ``push``
signal; messages wait in a queue until the page says it is ready (as Anki's
web views do). The page calls back through a narrow bridge object that has
only the few slots the page needs, and each slot checks its arguments: the
page shows untrusted feed text, so nothing it sends is trusted either.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rtcc_desktop.analysis.geofence import Geofence, GeofenceError, describe_rule, parse_drawn
from rtcc_desktop.tiles.source import TileSource
from rtcc_desktop.ui.bus import parse_ref
from rtcc_desktop.ui.map_page import PageOptions, build_page
from rtcc_desktop.ui.tile_scheme import SCHEME, TileSchemeHandler

log = logging.getLogger(__name__)

LAYERS = ("cad", "gunshot", "alpr", "hotlist", "camera", "heat", "geofence")
DRAW_SHAPES = ("polygon", "circle")
#: A drawn shape's JSON larger than this is refused unread (1,000 vertices need ~50 kB).
MAX_DRAWN_JSON = 200_000


def _finite(*values: float) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


class MapBridge(QObject):
    """The only object the page can reach. Keep it small: every slot is an entry point."""

    #: Python → page: one JSON message.
    push = Signal(str)

    def __init__(self, view: MapView) -> None:
        super().__init__(view)
        self._view = view

    @Slot()
    def ready(self) -> None:
        self._view._page_ready()

    @Slot(str)
    def select(self, ref: str) -> None:
        if parse_ref(ref):
            self._view.record_selected.emit(ref)

    @Slot(str)
    def camerasSeeing(self, ref: str) -> None:  # noqa: N802 (JS-facing name)
        if parse_ref(ref):
            self._view.cameras_seeing_requested.emit(ref)

    @Slot(str)
    def details(self, ref: str) -> None:
        """A popup opened for a record the page has no text for: the app answers with a "details" message."""
        if parse_ref(ref):
            self._view.details_requested.emit(ref)

    @Slot(str)
    def whatWasNear(self, ref: str) -> None:  # noqa: N802
        if parse_ref(ref):
            self._view.what_was_near_requested.emit(ref)

    @Slot(float, float)
    def camerasNear(self, lat: float, lon: float) -> None:  # noqa: N802
        if _finite(lat, lon) and -90 <= lat <= 90 and -180 <= lon <= 180:
            self._view.cameras_near_requested.emit(lat, lon)

    @Slot(float, float)
    def searchAround(self, lat: float, lon: float) -> None:  # noqa: N802
        if _finite(lat, lon) and -90 <= lat <= 90 and -180 <= lon <= 180:
            self._view.search_around_requested.emit(lat, lon)

    @Slot(str)
    def viewChanged(self, text: str) -> None:  # noqa: N802
        try:
            d = json.loads(text)
            lat, lon, zoom = float(d["lat"]), float(d["lon"]), int(d["zoom"])
            bbox = [float(v) for v in d["bbox"]][:4]
        except (ValueError, KeyError, TypeError):
            return
        if _finite(lat, lon, *bbox) and len(bbox) == 4 and 0 <= zoom <= 22:
            self._view._view_changed({"lat": lat, "lon": lon, "zoom": zoom, "bbox": bbox})

    @Slot(str, int)
    def layerToggled(self, name: str, on: int) -> None:  # noqa: N802 (JS sends 1 or 0)
        if name in LAYERS:
            self._view._layer_toggled(name, bool(on))

    @Slot(str)
    def geofenceDrawn(self, text: str) -> None:  # noqa: N802
        """The analyst finished drawing a fence: checked in Python before anything is saved."""
        self._view._geofence_drawn(text)

    @Slot(str)
    def geofenceDrawing(self, shape: str) -> None:  # noqa: N802
        """Draw mode started on the page (from Python, or from the map's right-click menu)."""
        if shape in DRAW_SHAPES:
            self._view._geofence_started(shape)

    @Slot()
    def geofenceCancelled(self) -> None:  # noqa: N802
        self._view._geofence_cancelled()

    @Slot(str)
    def geofenceDelete(self, name: str) -> None:  # noqa: N802
        if isinstance(name, str) and 0 < len(name) <= 500:
            self._view.geofence_delete_requested.emit(name)

    @Slot(str)
    def applied(self, text: str) -> None:
        try:
            d = json.loads(text)
            seq = int(d.get("seq") or 0)
            counts = {str(k): v for k, v in dict(d.get("counts") or {}).items()}
        except (ValueError, TypeError, AttributeError):
            return
        self._view._applied(seq, counts)


class MapPage(QWebEnginePage):
    """Collects JS console errors, keeps the page on our file, and opens links outside."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject, page_url: QUrl) -> None:
        super().__init__(profile, parent)
        self._page_url = page_url
        self.console_errors: list[str] = []
        self.console_messages: list[str] = []

    def javaScriptConsoleMessage(self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str) -> None:  # noqa: N802
        text = f"{Path(source).name or source}:{line}: {message}"
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.console_errors.append(text)
            log.warning("map page error: %s", text)
        else:
            self.console_messages.append(text)
            log.debug("map page: %s", text)

    def acceptNavigationRequest(self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool) -> bool:  # noqa: N802
        url = QUrl(url)
        if not is_main_frame:
            return False
        if url.isLocalFile() and url.toLocalFile() == self._page_url.toLocalFile():
            return True
        if nav_type == QWebEnginePage.NavigationType.NavigationTypeLinkClicked and url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)  # e.g. the OpenStreetMap attribution link
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:  # noqa: N802
        return None


class MapView(QWidget):
    """The map panel. Feed it with :meth:`apply_rows` (events) and :meth:`apply_records` (cameras, or
    records with their popup text); listen to its signals."""

    #: The page has loaded and connected its channel.
    ready = Signal()
    #: The page could not load (message says why).
    load_failed = Signal(str)
    #: Page → app: the analyst picked a record ("kind:id").
    record_selected = Signal(str)
    cameras_seeing_requested = Signal(str)
    what_was_near_requested = Signal(str)
    #: Page → app: a popup needs the record's text ("kind:id"); answer with :meth:`send_details`.
    details_requested = Signal(str)
    cameras_near_requested = Signal(float, float)
    search_around_requested = Signal(float, float)
    #: The visible area changed: {lat, lon, zoom, bbox: [w, s, e, n]}.
    view_changed = Signal(object)
    #: The page finished applying message ``seq``; counts per layer.
    applied = Signal(int, object)
    #: A layer was switched on/off in the page's layer control: (name, 1 or 0).
    layer_toggled = Signal(str, int)
    #: Base map: a tile came from "cache", "network" or "offline".
    tile_served = Signal(str)
    #: Base map offline (1, reason) / back online (0, "").
    offline_changed = Signal(int, str)
    #: A fence was drawn on the map (already checked): {shape: "polygon", points: [[lat, lon], ...]}
    #: or {shape: "circle", center: [lat, lon], radius_m}.
    geofence_drawn = Signal(object)
    #: The page sent a drawn shape that cannot be used: why (nothing is saved).
    geofence_rejected = Signal(str)
    #: Draw mode started on the page: "polygon" or "circle".
    geofence_draw_started = Signal(str)
    #: Drawing was cancelled on the page (Esc) or from Python.
    geofence_draw_cancelled = Signal()
    #: The fence popup's "Delete" was clicked: the fence's name (ask before deleting).
    geofence_delete_requested = Signal(str)

    def __init__(self, tile_source: TileSource, *, options: PageOptions | None = None, page_dir: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapView")
        self._ready = False
        self._queue: list[str] = []
        self._seq = 0
        self._last_counts: dict[str, Any] = {}
        self._last_ack = 0
        self._last_view: dict[str, Any] | None = None
        self._layers: dict[str, bool] = {name: name != "heat" for name in LAYERS}
        self._shut = False
        self._drawing: str | None = None
        self.explicit_view = False
        self.tile_stats = {"network": 0, "cache": 0, "offline": 0}

        self._own_dir = page_dir is None
        self._dir = Path(tempfile.mkdtemp(prefix="rtcc-map-")) if page_dir is None else page_dir
        self._page_path = build_page(self._dir, options)
        page_url = QUrl.fromLocalFile(str(self._page_path))

        # Children are deleted in creation order: view (and the page it owns) before the profile.
        self._view = QWebEngineView(self)
        self._view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._profile = QWebEngineProfile(self)  # off the record: nothing of the page stays on disk
        self._profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self._tiles = TileSchemeHandler(tile_source, parent=self)
        self._profile.installUrlSchemeHandler(SCHEME, self._tiles)
        self._page = MapPage(self._profile, self._view, page_url)
        s = self._page.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
        self._page.setBackgroundColor(Qt.GlobalColor.black)
        self._channel = QWebChannel(self._page)
        self._bridge = MapBridge(self)
        self._channel.registerObject("bridge", self._bridge)
        self._page.setWebChannel(self._channel)
        self._view.setPage(self._page)
        self._page.loadFinished.connect(self._load_finished)
        self._tiles.tile_served.connect(self._count_tile)
        self._tiles.offline_changed.connect(self.offline_changed)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._view)
        self._view.load(page_url)

    # ------------------------------------------------------------------ state
    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def page(self) -> MapPage:
        return self._page

    @property
    def js_errors(self) -> list[str]:
        return list(self._page.console_errors)

    @property
    def counts(self) -> dict[str, Any]:
        """Per-layer counts the page last reported."""
        return dict(self._last_counts)

    @property
    def last_ack(self) -> int:
        """Sequence number of the last message the page acknowledged (deltas: once drawn)."""
        return self._last_ack

    @property
    def last_view(self) -> dict[str, Any] | None:
        return self._last_view

    @property
    def layers(self) -> dict[str, bool]:
        return dict(self._layers)

    @property
    def tile_source(self) -> TileSource:
        return self._tiles.source

    @property
    def offline(self) -> bool:
        return self._tiles.offline

    @property
    def queued(self) -> int:
        return len(self._queue)

    # ------------------------------------------------------------------ python → page
    def send(self, op: str, **payload: Any) -> int:
        """Queue one message for the page; returns its sequence number."""
        self._seq += 1
        payload["op"] = op
        payload["seq"] = self._seq
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        if self._ready:
            self._bridge.push.emit(text)
        else:
            self._queue.append(text)
        return self._seq

    def apply_records(self, page_records: list[dict[str, Any]], *, more: bool = False) -> int:
        """Add or update markers (records already made by ``map_payload.to_page``).

        ``more`` says another chunk follows at once: the page applies them together.
        """
        return self.send("delta", records=page_records, more=more)

    def apply_encoded(self, records_json: str, *, more: bool = False) -> int:
        """Like :meth:`apply_records` with the records already JSON-encoded (off the GUI thread)."""
        self._seq += 1
        text = f'{{"op":"delta","seq":{self._seq},"more":{"true" if more else "false"},"records":{records_json}}}'
        if self._ready:
            self._bridge.push.emit(text)
        else:
            self._queue.append(text)
        return self._seq

    def apply_rows(self, rows_json: str, *, more: bool = False) -> int:
        """Add or update event markers from compact rows (``map_payload.encode_rows``, made off the GUI thread).

        Rows carry no popup text: the page asks for it (:attr:`details_requested`) when a popup opens.
        """
        self._seq += 1
        text = f'{{"op":"delta","seq":{self._seq},"more":{"true" if more else "false"},"rows":{rows_json}}}'
        if self._ready:
            self._bridge.push.emit(text)
        else:
            self._queue.append(text)
        return self._seq

    def send_details(self, ref: str, page_record: dict[str, Any] | None) -> int:
        """A record's popup text (``map_payload.to_page``), or None when the store no longer has it."""
        return self.send("details", ref=ref, rec=page_record)

    def prune(self, since_ms: int | None, until_ms: int | None = None) -> int:
        """Drop timed markers outside [since, until]; cameras stay."""
        return self.send("prune", since=since_ms, until=until_ms)

    def reset(self, keep: tuple[str, ...] = ("camera",)) -> int:
        """Remove every marker except the ``keep`` layers."""
        return self.send("reset", keep=list(keep))

    def select(self, ref: str, *, lat: float | None = None, lon: float | None = None, pan: bool = True) -> int:
        """Ring the record (and pan to it); ``""`` clears the ring."""
        return self.send("select", ref=ref, lat=lat, lon=lon, pan=pan)

    def highlight(self, points: list[tuple[float, float]], *, centre: tuple[float, float] | None = None, radius_m: float | None = None, fit: bool = True) -> int:
        """Mark search results / cameras with dashed rings (and the searched circle)."""
        return self.send("highlight", points=[[float(a), float(b)] for a, b in points],
                         centre=list(centre) if centre else None, radius=radius_m, fit=fit)

    def set_heat(self, on: bool) -> int:
        self._layers["heat"] = bool(on)
        return self.send("heat", on=bool(on))

    def set_layers(self, visible: dict[str, bool]) -> int:
        clean = {k: bool(v) for k, v in visible.items() if k in LAYERS}
        self._layers.update(clean)
        return self.send("layers", visible=clean)

    def set_time_zone(self, name: str) -> int:
        """Show marker times in IANA zone ``name`` (the centre's)."""
        return self.send("config", tz=str(name))

    def set_view(self, lat: float, lon: float, zoom: int) -> int:
        """Centre and zoom the map (an explicit view: the main window stops auto-fitting)."""
        self.explicit_view = True
        return self.send("view", lat=float(lat), lon=float(lon), zoom=int(zoom))

    # ------------------------------------------------------------------ geofences
    @property
    def drawing(self) -> str | None:
        """The shape being drawn on the page ("polygon"/"circle"), or None."""
        return self._drawing

    def draw_geofence(self, shape: str) -> int:
        """Put the page in draw mode for a polygon or a circle (the result arrives as :attr:`geofence_drawn`)."""
        if shape not in DRAW_SHAPES:
            raise ValueError(f"shape must be one of {DRAW_SHAPES}")
        self._drawing = shape
        return self.send("draw", shape=shape)

    def cancel_geofence_draw(self) -> int:
        """Leave draw mode and clear any shape drawn but not yet saved."""
        self._drawing = None
        return self.send("drawCancel")

    def set_geofences(self, fences: list[Geofence]) -> int:
        """Show these fences (replacing those shown) on the "Geofences" layer, each with its name."""
        return self.send("geofences", fences=[geofence_to_page(f) for f in fences])

    def show_geofence(self, name: str) -> int:
        """Bring a fence into view and flash its outline."""
        return self.send("geofenceShow", name=str(name))

    def run_js(self, code: str, callback: Callable[[Any], None] | None = None) -> None:
        """Evaluate JS in the page (tests and the self-test read state this way).
        """
        if callback is None:
            self._page.runJavaScript(code)
        else:
            self._page.runJavaScript(code, 0, callback)

    # ------------------------------------------------------------------ page → python
    @Slot(bool)
    def _load_finished(self, ok: bool) -> None:
        if not ok and not self._shut:
            self.load_failed.emit(f"the map page {self._page_path} did not load")

    def _page_ready(self) -> None:
        if self._ready:
            return  # the page never reloads; a second ready is ignored
        self._ready = True
        queued, self._queue = self._queue, []
        for text in queued:
            self._bridge.push.emit(text)
        self.ready.emit()

    def _geofence_drawn(self, text: str) -> None:
        self._drawing = None
        try:
            if not isinstance(text, str) or len(text) > MAX_DRAWN_JSON:
                raise GeofenceError("the drawn shape is too large")
            try:
                data = json.loads(text)  # NaN and Infinity parse here; parse_drawn refuses them
            except ValueError as exc:
                raise GeofenceError(f"the drawn shape is not valid JSON ({exc})") from None
            shape = parse_drawn(data)
        except GeofenceError as exc:
            log.warning("map: drawn geofence refused: %s", exc)
            self.send("drawCancel")  # take the unusable shape off the map
            self.geofence_rejected.emit(f"The drawn geofence cannot be used: {exc}. Nothing was saved.")
            return
        self.geofence_drawn.emit(shape)

    def _geofence_started(self, shape: str) -> None:
        self._drawing = shape
        self.geofence_draw_started.emit(shape)

    def _geofence_cancelled(self) -> None:
        self._drawing = None
        self.geofence_draw_cancelled.emit()

    def _view_changed(self, view: dict[str, Any]) -> None:
        self._last_view = view
        self.view_changed.emit(view)

    def _layer_toggled(self, name: str, on: bool) -> None:
        self._layers[name] = on
        self.layer_toggled.emit(name, 1 if on else 0)

    def _applied(self, seq: int, counts: dict[str, Any]) -> None:
        self._last_ack = max(self._last_ack, seq)
        self._last_counts = counts
        self.applied.emit(seq, counts)

    @Slot(str)
    def _count_tile(self, origin: str) -> None:
        self.tile_stats[origin] = self.tile_stats.get(origin, 0) + 1
        self.tile_served.emit(origin)

    # ------------------------------------------------------------------ teardown
    def shutdown(self) -> None:
        """Stop tile workers and drop the page before its profile; idempotent."""
        if self._shut:
            return
        self._shut = True
        self._tiles.stop()
        try:
            self._page.loadFinished.disconnect(self._load_finished)
        except (RuntimeError, TypeError):
            pass
        self._view.stop()
        if self._own_dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)


def geofence_to_page(fence: Geofence) -> dict[str, Any]:
    """What the page needs to draw a fence: its shape, name and rule (text the page sets as text)."""
    out: dict[str, Any] = {"name": fence.name, "shape": fence.shape, "active": bool(fence.active), "rule": describe_rule(fence)}
    if fence.center is not None:
        out["center"] = [fence.center[0], fence.center[1]]
        out["radius_m"] = float(fence.radius_m or 0)
    else:
        out["points"] = [[a, b] for a, b in fence.points]
    return out
