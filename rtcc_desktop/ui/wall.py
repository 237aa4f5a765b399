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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QGuiApplication, QImage, QKeyEvent, QKeySequence, QPainter, QScreen
from PySide6.QtWidgets import (
    QBoxLayout,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop import paths
from rtcc_desktop.model.timeutil import UTC, from_iso, utc_now
from rtcc_desktop.ui.bus import Bus, TimeWindow
from rtcc_desktop.ui.map_controller import MapController
from rtcc_desktop.ui.map_page import PageOptions, attribution_html
from rtcc_desktop.ui.map_view import MapView
from rtcc_desktop.ui.resources import resource
from rtcc_desktop.ui.store_worker import StoreWorker
from rtcc_desktop.ui.wall_figures import (
    PRIORITY_CLASSES,
    FigureState,
    MapFollower,
    PriorityEvent,
    WallFigures,
    compute_figures,
    fmt_age,
)
from rtcc_desktop.wall_layout import (
    Pane,
    WallLayout,
    check_video_names,
    default_views_path,
    load_wall_layout,
    parse_keys,
    verify_pin,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Cameras the wall keeps in its registry (for resolving saved views and auto panes).
MAX_CAMERAS = 20_000
CAMERA_PAGE = 5_000
#: Least time between two figure jobs started by store changes (seconds).
MIN_JOB_GAP_S = 1.0
#: The overview is re-fitted this often while no event is focused (new records may lie outside it).
REFIT_S = 300.0
#: The wall's map page is drawn this much larger than the analyst's.
MAP_ZOOM_FACTOR = 1.5


def _polish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def _set_prop(widget: QWidget, name: str, value: Any) -> None:
    if widget.property(name) != value:
        widget.setProperty(name, value)
        _polish(widget)


def _plain(text: str = "", name: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that never interprets markup: feed text is untrusted."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if name:
        label.setObjectName(name)
    return label


def wall_style() -> str:
    try:
        return resource("wall", "wall.qss").read_text(encoding="utf-8")
    except OSError:
        log.warning("wall style sheet missing; the wall uses the default look")
        return ""


def _local_hhmm(iso: str, tz: tzinfo) -> str:
    try:
        return from_iso(iso).astimezone(tz).strftime("%H:%M")
    except ValueError:
        return "--:--"


# --------------------------------------------------------------------------- figure strip


class FigureTile(QFrame):
    """One figure: caption, big value, a STALE banner when its feed is behind."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figureTile")
        self.setProperty("stale", False)
        self.caption = _plain(caption, "figCaption", self)
        self.value = _plain("–", "figValue", self)
        self.sub = _plain("", "figSub", self)
        self.banner = _plain("", "staleBanner", self)
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.sub.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 8, 14, 8)
        lay.setSpacing(2)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.sub)
        lay.addWidget(self.banner)
        lay.addStretch(1)
        self.body = lay

    def set_value(self, text: str, *, alarm: bool = False) -> None:
        self.value.setText(text)
        _set_prop(self.value, "alarm", alarm)

    def set_sub(self, text: str) -> None:
        self.sub.setText(text)
        self.sub.setVisible(bool(text))

    def set_stale(self, reason: str | None) -> None:
        """Mark the figure STALE (with why) or clear the mark."""
        stale = bool(reason)
        self.banner.setText(f"STALE · {reason}" if stale else "")
        self.banner.setVisible(stale)
        _set_prop(self, "stale", stale)

    @property
    def stale(self) -> bool:
        return bool(self.property("stale"))


class CadTile(FigureTile):
    """Open CAD incidents: the total and one number per priority."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("OPEN CAD INCIDENTS", parent)
        self.value.hide()
        row = QHBoxLayout()
        row.setSpacing(18)
        self.prio: dict[str, QLabel] = {}
        self._cols: dict[str, QWidget] = {}
        for cls in PRIORITY_CLASSES:
            box = QWidget(self)
            box.setObjectName("prioBox")
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(0)
            v = _plain("–", "prioValue", box)
            v.setProperty("prio", cls)
            c = _plain("OTHER" if cls == "p0" else cls.upper(), "prioCaption", box)
            v.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            c.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            col.addWidget(v)
            col.addWidget(c)
            row.addWidget(box)
            self.prio[cls] = v
            self._cols[cls] = box
        row.addStretch(1)
        self.body.insertLayout(2, row)

    def set_counts(self, counts: dict[str, int], hours: float) -> None:
        for cls, label in self.prio.items():
            label.setText(f"{counts.get(cls, 0):,}")
        self._cols["p0"].setVisible(counts.get("p0", 0) > 0)
        total = sum(counts.values())
        self.caption.setText(f"OPEN CAD INCIDENTS · {total:,} IN {hours:g} H")


class FeedsTile(FigureTile):
    """Feed health: one line per feed, STALE ones in black on amber."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("FEEDS", parent)
        self.value.hide()
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        self.grid.setVerticalSpacing(2)
        self.body.insertLayout(2, self.grid)
        self.rows: dict[str, QLabel] = {}
        self.empty = _plain("No feeds configured", "figSub", self)
        self.body.insertWidget(3, self.empty)

    def set_feeds(self, feeds: Sequence[Any]) -> None:
        names = [f.name for f in feeds]
        if list(self.rows) != names:  # rebuild only when the set of feeds changes
            for label in self.rows.values():
                self.grid.removeWidget(label)
                label.deleteLater()
            self.rows = {}
            for i, name in enumerate(names):
                label = _plain("", "feedRow", self)
                self.grid.addWidget(label, i // 2, i % 2)
                self.rows[name] = label
        for f in feeds:
            label = self.rows[f.name]
            if f.stale:
                state, word = "stale", f"STALE {fmt_age(f.age_s)}" if f.age_s is not None else "STALE · never synced"
            else:
                state = {"green": "ok", "amber": "amber", "red": "red"}.get(f.status, "red")
                word = {"ok": "OK", "amber": "SLOW", "red": "FAILING"}[state] + f" · {fmt_age(f.age_s)}"
            label.setText(f"● {f.name}  {word}")
            label.setToolTip(f.reason)
            _set_prop(label, "state", state)
        self.empty.setVisible(not feeds)
        stale = [f.name for f in feeds if f.stale]
        self.set_stale(f"{', '.join(stale)} behind" if stale else None)


class FigureStrip(QFrame):
    """The live figures, a clock and the wall's title; horizontal or vertical."""

    def __init__(self, title: str, place: str, tz: tzinfo, clock: Clock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figureStrip")
        vertical = place in ("left", "right")
        self.setProperty("vertical", vertical)
        self._tz, self._clock = tz, clock
        direction = QBoxLayout.Direction.TopToBottom if vertical else QBoxLayout.Direction.LeftToRight
        lay = QBoxLayout(direction, self)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(12)
        head = QVBoxLayout()
        head.setSpacing(0)
        self.title = _plain(title, "wallTitle", self)
        self.clock_label = _plain("", "wallClock", self)
        self.notice = _plain("", "wallNotice", self)
        self.notice.setWordWrap(True)
        self.notice.hide()
        head.addWidget(self.title)
        head.addWidget(self.clock_label)
        head.addWidget(self.notice)
        head.addStretch(1)
        head_box = QWidget(self)
        head_box.setLayout(head)
        head.setContentsMargins(0, 0, 0, 0)
        if not vertical:
            head_box.setFixedWidth(300)
        lay.addWidget(head_box)
        self.cad = CadTile(self)
        self.g1 = FigureTile("GUNSHOTS · LAST HOUR", self)
        self.g24 = FigureTile("GUNSHOTS · 24 H", self)
        self.hot = FigureTile("HOT-LIST HITS TODAY", self)
        self.feeds = FeedsTile(self)
        for w, stretch in ((self.cad, 3), (self.g1, 1), (self.g24, 1), (self.hot, 1), (self.feeds, 3)):
            lay.addWidget(w, stretch)
        if vertical:
            lay.addStretch(1)
            self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
            self.setFixedWidth(520)
        else:
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        self.tick()

    def tiles(self) -> dict[str, FigureTile]:
        return {"cad_open": self.cad, "gunshots_1h": self.g1, "gunshots_24h": self.g24, "hotlist_today": self.hot, "feeds": self.feeds}

    def tick(self) -> None:
        now = self._clock().astimezone(self._tz)
        self.clock_label.setText(now.strftime("%H:%M:%S ") + (now.tzname() or ""))

    def set_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def set_figures(self, f: WallFigures, outdated: str | None = None) -> None:
        """Draw one refresh; ``outdated`` marks every figure STALE (the store could not be read)."""
        self.cad.set_counts(f.cad_open, f.open_hours)
        self.g1.set_value(f"{f.gunshots_1h:,}", alarm=f.gunshots_1h > 0)
        self.g24.set_value(f"{f.gunshots_24h:,}")
        self.hot.set_value(f"{f.hotlist_today:,}", alarm=f.hotlist_today > 0)
        self.feeds.set_feeds(f.feeds)
        for name, tile in self.tiles().items():
            if name == "feeds":
                if outdated:
                    tile.set_stale(outdated)
                continue
            behind = f.stale.get(name) or ()
            if outdated:
                tile.set_stale(outdated)
            elif behind:
                tile.set_stale(f"{', '.join(behind)} behind")
            else:
                tile.set_stale(None)
            tile.set_sub("no feed configured" if f.no_feed.get(name) else "")


# --------------------------------------------------------------------------- ticker


class _Elided(QLabel):
    """A plain-text label that ends in … when its text does not fit (ticker items)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.full = ""

    def set_full(self, text: str) -> None:
        self.full = text
        self._fit()

    def _fit(self) -> None:
        m = self.contentsMargins()
        width = max(20, self.width() - m.left() - m.right() - 24)
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, width))

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()


class Ticker(QFrame):
    """The latest priority events, newest first, in two rows; a fixed set of labels (nothing grows)."""

    COLUMNS = 3

    def __init__(self, items: int, tz: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticker")
        self._tz = tz
        self._events: list[PriorityEvent] = []
        self._max = items
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(12)
        head = _plain("LATEST\nALERTS", "tickerHead", self)
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(head)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        cols = min(self.COLUMNS, items)
        for c in range(cols):
            grid.setColumnStretch(c, 1)
        self.labels: list[_Elided] = []
        for i in range(items):
            label = _Elided("tickerItem", self)
            label.hide()
            grid.addWidget(label, i // cols, i % cols)
            self.labels.append(label)
        self.empty = _plain("No gunshots, urgent calls or hot-list hits in the last 24 h", "tickerEmpty", self)
        grid.addWidget(self.empty, 0, 0, 1, cols)
        lay.addLayout(grid, 1)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)

    def add(self, events: Sequence[PriorityEvent], fresh_refs: set[str] | None = None) -> None:
        """Merge new events (deduplicated by record), keep the newest ``items``."""
        if not events:
            return
        known = {e.ref: e for e in self._events}
        for e in events:
            known[e.ref] = e
        self._events = sorted(known.values(), key=lambda e: e.time, reverse=True)[: self._max]
        fresh = fresh_refs or set()
        for i, label in enumerate(self.labels):
            if i < len(self._events):
                e = self._events[i]
                where = f" · {e.where}" if e.where else ""
                label.set_full(f"{_local_hhmm(e.time, self._tz)}  {e.title}{where}")
                label.setToolTip(e.ref)
                _set_prop(label, "kind", e.kind)
                _set_prop(label, "fresh", e.ref in fresh)
                label.show()
            else:
                label.hide()
        self.empty.setVisible(not self._events)

    def texts(self) -> list[str]:
        """The full text of each shown item, newest first."""
        return [label.full for label in self.labels if not label.isHidden()]


# --------------------------------------------------------------------------- panes


class MapPane(QWidget):
    """The wall's map with the focus banner on top and the ticker under it."""

    def __init__(self, view: MapView, ticker: Ticker | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(view, 1)
        if ticker is not None:
            lay.addWidget(ticker)
        self.banner = _plain("", "focusBanner", self)
        self.banner.hide()

    def show_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self.banner.adjustSize()
        self.banner.move(max(24, (self.width() - self.banner.width()) // 2), 24)
        self.banner.raise_()


class VideoPane(QWidget):
    """A video grid without controls, and a line saying what is wrong when something is."""

    def __init__(self, grid: QWidget | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = grid
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.message = _plain("", "paneMessage", self)
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        if grid is not None:
            lay.addWidget(grid, 1)
        else:
            lay.addWidget(_plain("Video unavailable on this computer", "paneMessage", self), 1)

    def set_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))


class _Glass(QWidget):
    """A transparent pane over the whole screen that swallows mouse input (kiosk)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, True)
        self.setMouseTracking(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.PreventContextMenu)

    def event(self, e: QEvent) -> bool:
        if e.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                        QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.ContextMenu, QEvent.Type.TouchBegin,
                        QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd, QEvent.Type.DragEnter, QEvent.Type.Drop):
            e.accept()
            return True
        return super().event(e)


class WallScreen(QWidget):
    """One monitor's frameless window; it closes only when the controller allows it."""

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("wallScreen")
        self.setWindowTitle(f"RTCC wall · screen {index + 1}")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.index = index
        self.allow_close = False
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        self.glass = _Glass(self)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def add_pane(self, widget: QWidget, strip: QWidget | None, place: str) -> None:
        if strip is None:
            self.row.addWidget(widget, 1)
        else:
            box = QBoxLayout(QBoxLayout.Direction.TopToBottom if place in ("top", "bottom") else QBoxLayout.Direction.LeftToRight)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(0)
            first_strip = place in ("top", "left")
            if first_strip:
                box.addWidget(strip)
            box.addWidget(widget, 1)
            if not first_strip:
                box.addWidget(strip)
            self.row.addLayout(box, 1)
        self.glass.raise_()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.glass.setGeometry(self.rect())
        self.glass.raise_()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - kiosk: keys do nothing here
        event.accept()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.allow_close:
            super().closeEvent(event)
        else:
            log.info("wall: close refused (leave with the exit keys and the supervisor PIN)")
            event.ignore()


# --------------------------------------------------------------------------- PIN


class _PinCheck(QObject):
    """Checks a PIN against its hash on a short-lived thread; the answer comes back queued."""

    done = Signal(int)  # 1 right, 0 wrong (int: see StoreWorker on PySide6 and bools)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._busy = False

    def start(self, pin: str, encoded: str) -> None:
        def run() -> None:
            ok = verify_pin(pin, encoded)
            self._busy = False  # before the answer goes out: the dialog re-enables itself on it
            self.done.emit(1 if ok else 0)

        self.join()
        self._busy = True
        self._thread = threading.Thread(target=run, name="rtcc-wall-pin", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._busy

    def join(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class PinDialog(QDialog):
    """Ask for the supervisor PIN; wrong keeps the wall, right leaves it."""

    def __init__(self, wall: WallWindow, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("pinDialog")
        self.setModal(True)
        self._wall = wall
        lock = wall.layout.lock
        self.has_pin = bool(lock.pin_hash)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 24, 28, 24)
        lay.setSpacing(14)
        if self.has_pin:
            lay.addWidget(_plain("Supervisor PIN to leave wall mode", "", self))
        else:
            lay.addWidget(_plain("Leave wall mode?\nNo supervisor PIN is set for this wall ([wall.lock] pin_hash).", "", self))
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setMaxLength(64)
        self.edit.setVisible(self.has_pin)
        lay.addWidget(self.edit)
        self.status = _plain("", "pinStatus", self)
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.ok = QPushButton("Unlock" if self.has_pin else "Leave", self)
        self.cancel = QPushButton("Stay on the wall", self)
        for b in (self.ok, self.cancel):  # Return goes to the PIN field only, never to "Stay" while a check runs
            b.setAutoDefault(False)
            b.setDefault(False)
        row.addWidget(self.cancel)
        row.addStretch(1)
        row.addWidget(self.ok)
        lay.addLayout(row)
        self.ok.clicked.connect(self.try_unlock)
        self.edit.returnPressed.connect(self.try_unlock)
        self.cancel.clicked.connect(self.reject)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(int(lock.idle_cancel_s * 1000))
        self._idle.timeout.connect(self.reject)
        self.edit.textEdited.connect(lambda _t: self._idle.start())
        self._idle.start()
        wall._pin_check.done.connect(self._checked)
        self._refresh_lockout()

    def _refresh_lockout(self) -> None:
        left = self._wall.lockout_left()
        if left > 0:
            self.status.setText(f"Too many wrong PINs: try again in {left:.0f} s")
            self.ok.setEnabled(False)
            self.edit.setEnabled(False)
            QTimer.singleShot(1000, self._refresh_lockout)
        elif not self._wall._pin_check.busy:
            self.ok.setEnabled(True)
            self.edit.setEnabled(True)

    def try_unlock(self) -> None:
        if not self.has_pin:
            self.accept()
            self._wall._unlocked()
            return
        if self._wall.lockout_left() > 0 or self._wall._pin_check.busy or not self.ok.isEnabled():
            return
        pin = self.edit.text()
        if not pin:
            self.status.setText("Type the PIN")
            return
        self.status.setText("Checking…")
        self.ok.setEnabled(False)
        self.edit.setEnabled(False)
        self._wall._pin_check.start(pin, self._wall.layout.lock.pin_hash or "")

    @Slot(int)
    def _checked(self, ok: int) -> None:
        if not self.isVisible():
            return
        self.edit.clear()
        if ok:
            self.status.setText("")
            self.accept()
            self._wall._unlocked()
            return
        tries = self._wall._wrong_pin()
        self.status.setText(f"Wrong PIN ({tries} of {self._wall.layout.lock.max_attempts})")
        self._refresh_lockout()
        self.edit.setFocus()

    def done(self, r: int) -> None:  # noqa: D401 - Qt override
        try:
            self._wall._pin_check.done.disconnect(self._checked)
        except (RuntimeError, TypeError):
            pass
        self._idle.stop()
        super().done(r)


# --------------------------------------------------------------------------- the wall


class _KeyGuard(QObject):
    """Event filter on each wall window and its QWindow: Escape and every other key do nothing; the exit keys ask for the PIN.

    Installed on the wall's own objects only: a Python filter on the whole
    application would see (and wrap) every half-built QObject, which crashes PySide.
    """

    def __init__(self, wall: WallWindow) -> None:
        super().__init__(wall)
        self._wall = wall
        mods, key = parse_keys(wall.layout.lock.exit_keys)
        self.exit_seq = QKeySequence("+".join((*mods, key)))
        self.swallowed = 0

    def is_exit(self, e: QKeyEvent) -> bool:
        combo = QKeySequence(e.keyCombination())
        return combo.matches(self.exit_seq) == QKeySequence.SequenceMatch.ExactMatch

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:  # noqa: N802
        t = e.type()
        if t == QEvent.Type.ShortcutOverride:
            e.accept()  # no application shortcut fires on the wall
            return True
        if t == QEvent.Type.KeyPress:
            assert isinstance(e, QKeyEvent)
            if self.is_exit(e):
                self._wall.request_leave()
            else:
                self.swallowed += 1
            return True
        return t == QEvent.Type.KeyRelease


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
        self._wrong = 0
        self._lockout_until = 0.0
        self._pin_check = _PinCheck(self)
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

        self._guard = _KeyGuard(self)
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
                                 stream_factory=stream_factory, snapshot_dir=paths.data_dir() / "snapshots")
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
                self.map_pane.show_banner(f"{_local_hhmm(ev.time, self.tz)}  {ev.title}{where}")
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


def wall_self_test(session: Any, *, screenshot: str | Path | None = None, timeout_s: float = 60.0,
                   size: tuple[int, int] = (3840, 1080), layout: WallLayout | None = None) -> dict[str, Any]:
    """Open the wall on a running session, wait (bounded) until it is alive, check it, screenshot it, close it.

    Returns ``{"checks": [{name, ok, detail, fix}], "wall": status, "screenshot": path}``;
    the caller merges the checks into its own report.
    """
    from rtcc_desktop.ui.testing import spin, wait_until

    offscreen = QGuiApplication.platformName() in ("offscreen", "minimal")
    multi = len(QGuiApplication.screens()) > 1
    wall = open_wall(session, layout=layout, show=False)
    out: dict[str, Any] = {"checks": []}
    try:
        if offscreen or not multi:
            wall.show(full_screen=False, size=size)
        else:
            wall.show(full_screen=True)

        def video_live() -> bool:
            st = [v for v in wall.status()["video"].values() if v is not None]
            return all(v.get("live", 0) > 0 for v in st)

        def alive() -> bool:
            s = wall.status()
            counts = s["map_counts"] or {}
            return bool(s["map_ready"] and wall.figures is not None and any(counts.get(k, 0) for k in ("cad", "gunshot", "alpr"))
                        and video_live() and wall.figures.gunshots_24h > 0)

        wait_until(alive, timeout_s)
        wall.refresh_now()
        spin(2500)  # let tiles and the last figures paint
        s = wall.status()
        out["wall"] = s
        f = s["figures"] or {}

        def check(name: str, ok: bool, detail: str, fix: str) -> None:
            out["checks"].append({"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix})

        check("wall: windows", s["windows"] >= 1, f"{s['windows']} wall window(s)", "the layout placed no pane")
        check("wall: map", s["map_ready"] and any((s["map_counts"] or {}).get(k, 0) for k in ("cad", "gunshot", "alpr")),
              f"markers {s['map_counts']}", "the wall's map did not load or got no records")
        check("wall: figures", bool(f), f"open CAD {f.get('cad_open_total')}, gunshots 1 h {f.get('gunshots_1h')} / 24 h "
              f"{f.get('gunshots_24h')}, hot-list hits today {f.get('hotlist_today')}", "the figures worker never answered")
        stale = [x["name"] for x in f.get("feeds", []) if x.get("stale")]
        check("wall: feeds fresh", bool(f.get("feeds")) and not stale, f"stale: {', '.join(stale) or 'none'}",
              "feeds are behind; see the feed checks")
        vids = {k: v for k, v in s["video"].items() if v is not None}
        check("wall: video", all(v.get("live", 0) > 0 for v in vids.values()),
              "; ".join(f"screen {k}: {v.get('live')} of {v.get('tiles')} live" for k, v in vids.items()) or "no video pane",
              "no camera played on the wall")
        check("wall: layout", not s["problems"], "; ".join(s["problems"] + s["notes"]) or "as configured",
              f"fix the wall layout file {wall.layout.source}")
        if screenshot:
            path = Path(screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            img = wall.grab()
            ok = img.save(str(path))
            out["screenshot"] = str(path)
            check("wall: screenshot", ok, f"{path} ({img.width()}x{img.height()})", "could not write the PNG")
    finally:
        wall.close()
    return out


def run_wall_self_test(
    json_out: bool = False,
    screenshot: str | Path | None = None,
    db: str | Path | None = None,
    timeout_s: float = 60.0,
    layout_path: str | Path | None = None,
    size: tuple[int, int] = (3840, 1080),
) -> tuple[int, dict[str, Any]]:
    """``rtcc-desktop self-test --wall``: the wall on the simulator, checked; (exit code, report) like ``run_self_test``."""
    import os
    import shutil
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from rtcc_desktop.ui.app import ensure_app, open_session, temp_settings

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-wall-selftest-"))
    report: dict[str, Any] = {"ok": False, "checks": [], "wall": None, "lines": []}
    session = None
    try:
        ensure_app()
        layout = load_wall_layout(layout_path)
        session = open_session(Path(db) if db else tmp / "selftest.sqlite", demo=True, settings=temp_settings(tmp),
                               tile_cache_dir=tmp / "tiles")
        res = wall_self_test(session, screenshot=screenshot, timeout_s=timeout_s, size=size, layout=layout)
        report["checks"] = res["checks"]
        report["wall"] = res.get("wall")
        if res.get("screenshot"):
            report["screenshot"] = res["screenshot"]
    except Exception as exc:  # a crash or a bad layout is a failed check, with the reason
        log.exception("wall self-test failed")
        report["checks"].append({"name": "wall started", "ok": False, "detail": f"{type(exc).__name__}: {exc}",
                                 "fix": "fix the wall layout file named above" if "wall" in str(exc) else "run with -v"})
    finally:
        if session is not None:
            session.close()
        shutil.rmtree(tmp, ignore_errors=True)
    report["ok"] = bool(report["checks"]) and all(c["ok"] for c in report["checks"])
    report["seconds"] = round(time.monotonic() - started, 1)
    report["lines"] = [f"[{'PASS' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}" + (f" -> {c['fix']}" if not c["ok"] and c["fix"] else "")
                       for c in report["checks"]]
    return (0 if report["ok"] else 1), report


__all__ = ["FigureStrip", "PinDialog", "Ticker", "WallScreen", "WallWindow", "open_wall", "run_wall_self_test", "wall_self_test"]
