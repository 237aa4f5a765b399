"""The incident timeline: one lane per source, a live "now" line, zoom and pan on time.

Level of detail keeps it smooth with millions of rows. Zoomed out, each lane
is drawn as density bars re-binned from a per-minute histogram that SQL
computes once (``GROUP BY substr(time, 1, 16)`` over the time index) and then
extends with each new row's minute; zoomed in, when a lane has few enough
events in view, its individual events are fetched (bounded) and drawn as
points you can hover and click. Every query runs on a store worker thread;
the GUI thread only re-draws what came back.

Shift+drag (or dragging the shaded region) sets the shared time window.
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from rtcc_desktop.analysis.tables import reading, table_exists
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.timeutil import utc_now
from rtcc_desktop.ui.display_zone import local_time, utc_offset_s
from rtcc_desktop.ui.store_worker import StoreWorker

log = logging.getLogger(__name__)

UTC = timezone.utc


@dataclass(frozen=True)
class Lane:
    """One row of the timeline and where its events come from."""

    key: str
    label: str
    table: str
    time_col: str
    ref_sql: str  # SQL giving "kind:id"
    text_sql: str  # SQL giving a one-line summary for the tooltip
    extra_sql: str = "NULL"  # CAD priority, for colour
    where: str = "1"


LANES: Final[tuple[Lane, ...]] = (
    Lane("cad", "CAD", "incidents", "time", "'cad:' || id",
         "coalesce('P' || priority || ' ', '') || coalesce(type, 'incident') || coalesce(' — ' || address, '')", "priority"),
    Lane("gunshot", "Gunshots", "gunshots", "time", "'gunshot:' || id",
         "coalesce(type, 'Gunshot') || coalesce(' (' || CAST(rounds AS INT) || ' rounds)', '') || coalesce(' — ' || address, '')"),
    Lane("alpr", "ALPR reads", "plate_reads", "time", "'alpr:' || id",
         "plate || coalesce(' ' || state, '') || coalesce(' — ' || camera, '') || coalesce(' — ' || address, '')"),
    Lane("hotlist", "Hot-list hits", "alerts", "record_time", "record", "summary", where="rule GLOB 'hotlist:*'"),
    Lane("camera", "Camera events", "cameras", "time", "'camera:' || id",
         "coalesce(name, 'camera') || coalesce(' — ' || address, '')", where="time IS NOT NULL"),
)
LANE_INDEX: Final[dict[str, int]] = {lane.key: i for i, lane in enumerate(LANES)}

#: Per lane, at most this many individual events are drawn; more become density bars.
MAX_ITEMS: Final[int] = 1000
#: Density bars across the view (about one per 3-4 pixels on a wall screen).
BINS: Final[int] = 400
#: Lanes whose history is read straight from SQL each time (small tables).
DIRECT_LANES: Final[frozenset[str]] = frozenset({"hotlist", "camera"})

LANE_COLOURS: Final[dict[str, tuple[int, int, int]]] = {
    "cad": (90, 160, 255),
    "gunshot": (230, 60, 200),
    "alpr": (80, 200, 220),
    "hotlist": (255, 60, 60),
    "camera": (110, 210, 110),
}
PRIORITY_COLOURS: Final[dict[int, tuple[int, int, int]]] = {1: (255, 60, 60), 2: (255, 150, 40), 3: (240, 220, 60)}
#: CAD points are drawn in these colour groups (0 = lower or unknown priority).
PRIORITY_GROUPS: Final[tuple[int, ...]] = (1, 2, 3, 0)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(max(0.0, epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- worker side (no Qt)


@dataclass
class LaneData:
    """What one lane shows for one view: events, or density bars."""

    mode: str  # "items" | "bins" | "empty"
    total: int = 0
    xs: np.ndarray = field(default_factory=lambda: np.zeros(0))  # event times, or bin starts (epoch s)
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # per bin
    width: float = 0.0  # bin width (s)
    refs: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    priorities: list[int | None] = field(default_factory=list)


@dataclass
class TimelineData:
    t0: float
    t1: float
    lanes: dict[str, LaneData]


class _Histogram:
    """Sorted (epoch minute, count) pairs of one lane, extended as rows arrive."""

    def __init__(self) -> None:
        self.minutes = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)
        self.cum = np.zeros(1, dtype=np.int64)
        self.last_id = 0

    def add(self, keys: list[str], counts: list[int]) -> None:
        if not keys:
            return
        minutes = np.array(keys, dtype="datetime64[m]").astype(np.int64)
        m = np.concatenate([self.minutes, minutes])
        c = np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)])
        uniq, inv = np.unique(m, return_inverse=True)
        self.minutes = uniq
        self.counts = np.bincount(inv, weights=c).astype(np.int64)
        self.cum = np.concatenate([[0], np.cumsum(self.counts)])

    def total(self, t0: float, t1: float) -> int:
        i = int(np.searchsorted(self.minutes, math.floor(t0 / 60), "left"))
        j = int(np.searchsorted(self.minutes, math.ceil(t1 / 60), "left"))
        return int(self.cum[j] - self.cum[i])

    def bins(self, t0: float, t1: float, nbins: int) -> tuple[np.ndarray, np.ndarray, float]:
        """Counts in ``nbins`` equal bins over [t0, t1) (never finer than a minute)."""
        m0, m1 = math.floor(t0 / 60), math.ceil(t1 / 60)
        width_min = max(1, math.ceil((m1 - m0) / max(1, nbins)))
        n = max(1, math.ceil((m1 - m0) / width_min))
        i = int(np.searchsorted(self.minutes, m0, "left"))
        j = int(np.searchsorted(self.minutes, m1, "left"))
        idx = (self.minutes[i:j] - m0) // width_min
        counts = np.bincount(idx, weights=self.counts[i:j], minlength=n)[:n].astype(np.int64)
        starts = (m0 + np.arange(n) * width_min) * 60.0
        return starts, counts, width_min * 60.0


class TimelineSource:
    """Answers "what is in [t0, t1)" per lane; lives on (and is only used by) a store worker."""

    def __init__(self, max_items: int = MAX_ITEMS, nbins: int = BINS) -> None:
        self.max_items = max_items
        self.nbins = nbins
        self.hist: dict[str, _Histogram] = {}
        self.markers: list[tuple[float, str, str]] = []  # in-memory camera events (t, ref, text)
        self.stale = True

    def _update(self, conn: Any) -> None:
        """Build each lane's minute histogram once, then add only rows newer than last time."""
        for lane in LANES:
            if lane.key in DIRECT_LANES:
                continue
            h = self.hist.setdefault(lane.key, _Histogram())
            top = conn.execute(f"SELECT coalesce(max(id), 0) FROM {lane.table}").fetchone()[0]
            if top < h.last_id:  # rows were purged: start again
                h = self.hist[lane.key] = _Histogram()
            if top == h.last_id:
                continue
            rows = conn.execute(
                f"SELECT substr({lane.time_col}, 1, 16) AS m, count(*) FROM {lane.table} "
                f"WHERE id > ? AND id <= ? AND {lane.time_col} IS NOT NULL GROUP BY m",
                (h.last_id, top),
            ).fetchall()
            h.add([r[0] for r in rows], [r[1] for r in rows])
            h.last_id = top
        self.stale = False

    def rebuild(self) -> None:
        """Forget the histograms (after a purge or an import that rewrote times)."""
        self.hist.clear()
        self.stale = True

    def fetch(self, store: Any, t0: float, t1: float, lanes: tuple[str, ...] | None = None) -> TimelineData:
        """Per-lane events or density bars for the view [t0, t1)."""
        out: dict[str, LaneData] = {}
        with reading(store) as conn:
            self._update(conn)
            for lane in LANES:
                if lanes is not None and lane.key not in lanes:
                    continue
                if lane.key in DIRECT_LANES:
                    out[lane.key] = self._direct(conn, lane, t0, t1)
                else:
                    out[lane.key] = self._lane(conn, lane, t0, t1)
        return TimelineData(t0, t1, out)

    def _items(self, conn: Any, lane: Lane, t0: float, t1: float, limit: int) -> LaneData:
        rows = conn.execute(
            f"SELECT unixepoch({lane.time_col}), {lane.ref_sql}, {lane.text_sql}, {lane.extra_sql} FROM {lane.table} "
            f"WHERE {lane.time_col} >= ? AND {lane.time_col} < ? AND {lane.where} ORDER BY {lane.time_col} LIMIT ?",
            (_iso(t0), _iso(t1 + 1), limit),
        ).fetchall()
        return LaneData(
            "items" if rows else "empty",
            total=len(rows),
            xs=np.array([r[0] for r in rows], dtype=float),
            refs=[str(r[1]) for r in rows],
            texts=[str(r[2] or "") for r in rows],
            priorities=[priority_level(r[3]) for r in rows],
        )

    def _sql_bins(self, conn: Any, lane: Lane, t0: float, t1: float) -> LaneData:
        """Density of a small table straight from SQL (GROUP BY time bucket)."""
        width = max(60.0, math.ceil((t1 - t0) / max(1, self.nbins) / 60.0) * 60.0)
        n = max(1, math.ceil((t1 - t0) / width))
        rows = conn.execute(
            f"SELECT CAST((unixepoch({lane.time_col}) - ?) / ? AS INTEGER) AS b, count(*) FROM {lane.table} "
            f"WHERE {lane.time_col} >= ? AND {lane.time_col} < ? AND {lane.where} GROUP BY b",
            (t0, width, _iso(t0), _iso(t1 + 1)),
        ).fetchall()
        counts = np.zeros(n, dtype=np.int64)
        for b, c in rows:
            if 0 <= b < n:
                counts[b] += c
        return LaneData("bins", total=int(counts.sum()), xs=t0 + np.arange(n) * width, counts=counts, width=width)

    def _lane(self, conn: Any, lane: Lane, t0: float, t1: float) -> LaneData:
        h = self.hist[lane.key]
        total = h.total(t0, t1)
        if total == 0:
            return LaneData("empty")
        if total <= self.max_items:
            return self._items(conn, lane, t0, t1, self.max_items)
        starts, counts, width = h.bins(t0, t1, self.nbins)
        return LaneData("bins", total=total, xs=starts, counts=counts, width=width)

    def _direct(self, conn: Any, lane: Lane, t0: float, t1: float) -> LaneData:
        data = LaneData("empty")
        if table_exists(conn, lane.table):
            a, b = _iso(t0), _iso(t1 + 1)
            total = conn.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {lane.table} WHERE {lane.time_col} >= ? AND {lane.time_col} < ? "
                f"AND {lane.where} LIMIT ?)",
                (a, b, self.max_items + 1),
            ).fetchone()[0]
            if total > self.max_items:
                return self._sql_bins(conn, lane, t0, t1)
            data = self._items(conn, lane, t0, t1, self.max_items)
        if lane.key == "camera" and self.markers:
            ts = [m[0] for m in self.markers]
            i, j = bisect_left(ts, t0), bisect_right(ts, t1)
            extra = self.markers[i:j][: self.max_items]
            if extra:
                data = LaneData(
                    "items",
                    total=data.total + len(extra),
                    xs=np.concatenate([data.xs, np.array([m[0] for m in extra], dtype=float)]),
                    refs=data.refs + [m[1] for m in extra],
                    texts=data.texts + [m[2] for m in extra],
                    priorities=data.priorities + [None] * len(extra),
                )
        return data


# --------------------------------------------------------------------------- widgets


class _TimeViewBox(pg.ViewBox):
    """Pans and zooms on time only; Shift+drag draws the time-window region."""

    def __init__(self, on_region_drag: Callable[[float, float, bool], None]) -> None:
        super().__init__(enableMenu=False)
        self._on_region_drag = on_region_drag
        self.setMouseEnabled(x=True, y=False)

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802 - Qt name
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self._on_region_drag(min(a, b), max(a, b), ev.isFinish())
            return
        super().mouseDragEvent(ev, axis)


class Timeline(QWidget):
    """The timeline panel. Wire ``recordSelected`` and ``timeWindowSelected`` to the bus
    (or call :meth:`attach_bus`); call :meth:`refresh` on store changes."""

    #: An event was clicked: "kind:id".
    recordSelected = Signal(str)
    #: An event was double-clicked: "kind:id" (show it: centre the map, fill the video grid).
    recordActivated = Signal(str)
    #: The user set a time window on the timeline: (since, until) aware UTC datetimes.
    timeWindowSelected = Signal(object, object)
    #: A fetch was drawn (for tests and the self-test): number of lanes drawn.
    dataDrawn = Signal(int)

    def __init__(
        self,
        worker: StoreWorker | None = None,
        *,
        db_path: str | Path | None = None,
        max_items: int = MAX_ITEMS,
        nbins: int = BINS,
        clock: Callable[[], datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._own_worker = worker is None
        self.worker = worker if worker is not None else StoreWorker(db_path, name="rtcc-timeline")
        self.source = TimelineSource(max_items=max_items, nbins=nbins)
        self._clock = clock
        self._data: TimelineData | None = None
        self._in_flight = False
        self._wanted: tuple[float, float] | None = None
        self._selected = ""
        self._closed = False

        self.follow = QCheckBox("Follow now")
        self.follow.setChecked(True)
        self.follow.setToolTip("Keep the right edge of the timeline at the current time")
        self.status = QLabel("")
        self.clear_btn = QPushButton("Clear window")
        self.clear_btn.setToolTip("Remove the time window set on the timeline (Shift+drag sets one)")
        self.clear_btn.clicked.connect(self.clear_window)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        bar.addWidget(self.follow)
        bar.addWidget(self.clear_btn)
        bar.addStretch(1)
        bar.addWidget(self.status)

        self.view = _TimeViewBox(self._region_dragged)
        # the axis labels in the centre's zone (pyqtgraph wants seconds WEST of UTC)
        self.axis = pg.DateAxisItem(orientation="bottom", utcOffset=-utc_offset_s())
        self.plot = pg.PlotWidget(viewBox=self.view, axisItems={"bottom": self.axis})
        self.plot.setBackground((22, 24, 28))
        self.plot.setMouseTracking(True)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        left = self.plot.getAxis("left")
        left.setTicks([[(i, lane.label) for i, lane in enumerate(LANES)]])
        left.setWidth(110)
        self.view.invertY(True)  # first lane (CAD) on top
        self.view.setYRange(-0.7, len(LANES) - 0.3, padding=0)
        self.view.setLimits(yMin=-1, yMax=len(LANES), minXRange=10, maxXRange=20 * 365 * 86400)

        self.now_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((255, 255, 255, 180), width=1, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.now_line, ignoreBounds=True)
        self.region = pg.LinearRegionItem(orientation="vertical", brush=pg.mkBrush(255, 210, 80, 40))
        self.region.setZValue(-10)
        self.region.hide()
        self.region.sigRegionChangeFinished.connect(self._region_moved)
        self.plot.addItem(self.region, ignoreBounds=True)
        self._bars: dict[str, pg.BarGraphItem] = {}
        # one scatter per colour: a single brush per item keeps pyqtgraph's symbol
        # atlas to one entry (per-point brushes re-render a symbol per point)
        self._dots: dict[tuple[str, int], pg.ScatterPlotItem] = {}
        for lane in LANES:
            bars = pg.BarGraphItem(x0=[], x1=[], y0=[], height=[], brush=pg.mkBrush(*LANE_COLOURS[lane.key], 150), pen=None)
            self.plot.addItem(bars)
            self._bars[lane.key] = bars
            for p in (PRIORITY_GROUPS if lane.key == "cad" else (0,)):
                colour = PRIORITY_COLOURS.get(p, LANE_COLOURS[lane.key])
                dots = pg.ScatterPlotItem(size=8, pen=pg.mkPen(0, 0, 0, 160), brush=pg.mkBrush(*colour))
                self.plot.addItem(dots)
                self._dots[(lane.key, p)] = dots
        self.highlight = pg.ScatterPlotItem(size=16, pen=pg.mkPen(255, 255, 255, width=2), brush=None)
        self.plot.addItem(self.highlight)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.plot, 1)

        self._debounce = QTimer(self, singleShot=True, interval=40)
        self._debounce.timeout.connect(self._request)
        self._tick = QTimer(self, interval=1000)
        self._tick.timeout.connect(self._on_tick)
        self.view.sigXRangeChanged.connect(lambda *_: self._debounce.start())
        self.view.sigRangeChangedManually.connect(self._manual_range)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._clicked)

        now = self._clock().timestamp()
        self._last_now = now
        self.now_line.setPos(now)
        self.set_range(now - 3600, now + 120)
        self._tick.start()

    # ------------------------------------------------------------------ public API
    def set_range(self, t0: float | datetime, t1: float | datetime) -> None:
        """Show [t0, t1] (epoch seconds or aware datetimes)."""
        a = t0.timestamp() if isinstance(t0, datetime) else float(t0)
        b = t1.timestamp() if isinstance(t1, datetime) else float(t1)
        self.view.setXRange(a, b, padding=0)

    def lane_totals(self) -> dict[str, int]:
        """Events per lane in the view last drawn ({} before the first draw); for the self-test."""
        if self._data is None:
            return {}
        return {key: int(ld.total) for key, ld in self._data.lanes.items()}

    def x_range(self) -> tuple[float, float]:
        (a, b), _ = self.view.viewRange()
        return float(a), float(b)

    def refresh(self) -> None:
        """New rows in the store: fetch the current view again (cheap: only the new rows are read)."""
        self._debounce.start()

    def on_store_changed(self, kind: str = "", max_rowid: int = 0) -> None:
        """Slot for ``Bus.store_changed`` (new rows, or edits of stored ones: the same notice).

        The view is fetched again, so events drawn one by one show an edited
        priority or time at once. Zoomed-out density keeps an edited row in
        the minute it first had (the histogram grows by rowid) until
        :meth:`rebuild`: a corrected time moves one count among thousands.
        """
        self.refresh()

    def rebuild(self) -> None:
        """Re-read every lane from scratch (after retention purges old rows)."""
        src = self.source
        self.worker.submit(lambda store: src.rebuild(), what="timeline rebuild")
        self.refresh()

    def set_follow(self, on: bool) -> None:
        self.follow.setChecked(on)

    def add_camera_event(self, when: datetime, ref: str, text: str) -> None:
        """Put a camera event (stream lost, motion, ...) on the camera lane."""
        t = when.timestamp()
        src = self.source

        def add(store: Any) -> None:
            ts = [m[0] for m in src.markers]
            src.markers.insert(bisect_right(ts, t), (t, ref, text))
            del src.markers[: max(0, len(src.markers) - 10_000)]

        self.worker.submit(add, what="timeline camera event")
        self.refresh()

    def set_window(self, since: datetime | None, until: datetime | None) -> None:
        """Show the shared time window as the shaded region (None until = up to now)."""
        if since is None:
            self.region.hide()
            return
        end = (until or self._clock()).timestamp()
        self.region.blockSignals(True)
        self.region.setRegion((since.timestamp(), end))
        self.region.blockSignals(False)
        self.region.show()

    def on_window_changed(self, window: Any) -> None:
        """Slot for ``Bus.window_changed`` (a bus ``TimeWindow``)."""
        since, until = window.bounds(self._clock())
        self.set_window(since, until)

    def clear_window(self) -> None:
        self.region.hide()

    def select(self, ref: str) -> None:
        """Ring the selected event when it is drawn ("" clears)."""
        self._selected = ref
        self._draw_highlight()

    def attach_bus(self, bus: Any) -> None:
        """Connect to the main window's selection/time-window bus (``ui/bus.py``)."""
        self.recordSelected.connect(bus.select)
        self.timeWindowSelected.connect(lambda a, b: bus.set_custom(a, b))
        bus.selected.connect(self.select)
        bus.window_changed.connect(self.on_window_changed)
        bus.store_changed.connect(self.on_store_changed)

    def shutdown(self) -> None:
        """Stop timers (and the worker, when this widget made it)."""
        self._closed = True
        self._tick.stop()
        self._debounce.stop()
        if self._own_worker:
            self.worker.stop()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------ fetch / draw
    def _request(self) -> None:
        if self._closed:
            return
        self._wanted = self.x_range()
        if self._in_flight:
            return
        self._in_flight = True
        t0, t1 = self._wanted
        src = self.source
        self.worker.submit(lambda store: src.fetch(store, t0, t1), self._arrived, self._failed, what="timeline")

    def _arrived(self, data: TimelineData) -> None:
        self._in_flight = False
        if self._closed:
            return
        self._apply(data)
        if self._wanted is not None and self._wanted != (data.t0, data.t1):
            self._request()

    def _failed(self, exc: BaseException) -> None:
        self._in_flight = False
        self.status.setText(f"timeline: {exc}")
        log.warning("timeline fetch failed: %s", exc)

    def _apply(self, data: TimelineData) -> None:
        """Draw one fetch (GUI thread; no queries here)."""
        self._data = data
        shown = 0
        for key, lane_data in data.lanes.items():
            y = LANE_INDEX[key]
            bars = self._bars[key]
            groups = PRIORITY_GROUPS if key == "cad" else (0,)
            if lane_data.mode == "bins":
                counts = lane_data.counts.astype(float)
                peak = counts.max() if counts.size else 0.0
                h = np.sqrt(counts / peak) * 0.8 if peak > 0 else counts
                keep = counts > 0
                x0 = lane_data.xs[keep]
                bars.setOpts(x0=x0, x1=x0 + lane_data.width, y0=np.full(x0.size, y - 0.4), height=h[keep])
                for g in groups:
                    self._dots[(key, g)].clear()
            else:
                bars.setOpts(x0=[], x1=[], y0=[], height=[])
                if key == "cad" and lane_data.mode == "items":
                    pri = np.array([p if p in PRIORITY_COLOURS else 0 for p in lane_data.priorities], dtype=int)
                    for g in groups:
                        idx = np.flatnonzero(pri == g)
                        self._set_dots(self._dots[(key, g)], lane_data.xs[idx], y, [lane_data.refs[i] for i in idx])
                elif lane_data.mode == "items":
                    self._set_dots(self._dots[(key, 0)], lane_data.xs, y, lane_data.refs)
                else:
                    for g in groups:
                        self._dots[(key, g)].clear()
            shown += 1
        total = sum(ld.total for ld in data.lanes.values())
        detail = "events" if all(ld.mode != "bins" for ld in data.lanes.values()) else "events (density)"
        self.status.setText(f"{total:,} {detail} in view")
        self._draw_highlight()
        self.dataDrawn.emit(shown)

    @staticmethod
    def _set_dots(dots: pg.ScatterPlotItem, xs: np.ndarray, y: float, refs: list[str]) -> None:
        if xs.size == 0:
            dots.clear()
        else:
            dots.setData(x=xs, y=np.full(xs.size, float(y)), data=refs)

    def _draw_highlight(self) -> None:
        pos = self._position_of(self._selected) if self._selected else None
        if pos is None:
            self.highlight.setData(x=[], y=[])
        else:
            self.highlight.setData(x=[pos[0]], y=[pos[1]])

    def _position_of(self, ref: str) -> tuple[float, float] | None:
        if self._data is None:
            return None
        for key, ld in self._data.lanes.items():
            if ld.mode == "items" and ref in ld.refs:
                return float(ld.xs[ld.refs.index(ref)]), float(LANE_INDEX[key])
        return None

    # ------------------------------------------------------------------ now line
    def _on_tick(self) -> None:
        now = self._clock().timestamp()
        self.now_line.setPos(now)
        if self.follow.isChecked():
            a, b = self.x_range()
            shift = now - self._last_now
            if shift > 0:
                self.view.setXRange(a + shift, b + shift, padding=0)
        self._last_now = now

    def _manual_range(self, *_: Any) -> None:
        # panning back in time stops following; bringing "now" back into view resumes it
        a, b = self.x_range()
        now = self._clock().timestamp()
        self.follow.setChecked(a <= now <= b + (b - a) * 0.05)

    # ------------------------------------------------------------------ mouse
    def _lane_at(self, y: float) -> str | None:
        i = int(round(y))
        if 0 <= i < len(LANES) and abs(y - i) <= 0.45:
            return LANES[i].key
        return None

    def _nearest_item(self, x: float, y: float, tol_px: float = 6.0) -> tuple[str, int] | None:
        key = self._lane_at(y)
        if key is None or self._data is None:
            return None
        ld = self._data.lanes.get(key)
        if ld is None or ld.mode != "items" or ld.xs.size == 0:
            return None
        px = self.view.viewPixelSize()[0] or 1.0
        i = int(np.argmin(np.abs(ld.xs - x)))
        return (key, i) if abs(ld.xs[i] - x) <= tol_px * px else None

    def ref_at(self, x: float, y: float) -> str | None:
        """The event drawn at view coordinates (x = epoch s, y = lane), if any."""
        hit = self._nearest_item(x, y)
        if hit is None or self._data is None:
            return None
        return self._data.lanes[hit[0]].refs[hit[1]]

    def describe_at(self, x: float, y: float) -> str:
        """Hover text for view coordinates: the event's summary, or a bar's count and span."""
        key = self._lane_at(y)
        if key is None or self._data is None:
            return ""
        ld = self._data.lanes.get(key)
        if ld is None:
            return ""
        if ld.mode == "items":
            hit = self._nearest_item(x, y)
            if hit is None:
                return ""
            t = local_time(float(ld.xs[hit[1]]))
            return f"{t:%Y-%m-%d %H:%M:%S}  {ld.texts[hit[1]]}"
        if ld.mode == "bins" and ld.width > 0:
            i = int((x - ld.xs[0]) // ld.width) if ld.xs.size else -1
            if 0 <= i < ld.counts.size:
                a = local_time(float(ld.xs[i]))
                b = local_time(float(ld.xs[i] + ld.width))
                return f"{LANES[LANE_INDEX[key]].label}: {int(ld.counts[i]):,} between {a:%Y-%m-%d %H:%M} and {b:%H:%M} (zoom in for each event)"
        return ""

    def _hover(self, scene_pos: QPointF) -> None:
        p = self.view.mapSceneToView(scene_pos)
        self.plot.setToolTip(self.describe_at(p.x(), p.y()))

    def _clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        p = self.view.mapSceneToView(ev.scenePos())
        ref = self.ref_at(p.x(), p.y())
        if ref:
            self.select(ref)
            self.recordSelected.emit(ref)
            if ev.double():
                self.recordActivated.emit(ref)

    # ------------------------------------------------------------------ time window
    def _region_dragged(self, a: float, b: float, finished: bool) -> None:
        self.region.blockSignals(True)
        self.region.setRegion((a, b))
        self.region.blockSignals(False)
        self.region.show()
        if finished:
            self._region_moved()

    def _region_moved(self, *_: Any) -> None:
        a, b = self.region.getRegion()
        if b - a < 1:
            return
        self.timeWindowSelected.emit(datetime.fromtimestamp(a, UTC), datetime.fromtimestamp(b, UTC))
