"""The wall's figure strip (open CAD, gunshots, hot-list hits, feed health, with STALE marks) and its alert ticker."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from rtcc_desktop.analysis.wall_figures import PRIORITY_CLASSES, PriorityEvent, WallFigures, fmt_age
from rtcc_desktop.ui.wall_style import local_hhmm, plain_label, set_prop

Clock = Callable[[], datetime]


# --------------------------------------------------------------------------- figure strip


class FigureTile(QFrame):
    """One figure: caption, big value, a STALE banner when its feed is behind."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("figureTile")
        self.setProperty("stale", False)
        self.caption = plain_label(caption, "figCaption", self)
        self.value = plain_label("–", "figValue", self)
        self.sub = plain_label("", "figSub", self)
        self.banner = plain_label("", "staleBanner", self)
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
        set_prop(self.value, "alarm", alarm)

    def set_sub(self, text: str) -> None:
        self.sub.setText(text)
        self.sub.setVisible(bool(text))

    def set_stale(self, reason: str | None) -> None:
        """Mark the figure STALE (with why) or clear the mark."""
        stale = bool(reason)
        self.banner.setText(f"STALE · {reason}" if stale else "")
        self.banner.setVisible(stale)
        set_prop(self, "stale", stale)

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
            v = plain_label("–", "prioValue", box)
            v.setProperty("prio", cls)
            c = plain_label("OTHER" if cls == "p0" else cls.upper(), "prioCaption", box)
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
        self.empty = plain_label("No feeds configured", "figSub", self)
        self.body.insertWidget(3, self.empty)

    def set_feeds(self, feeds: Sequence[Any]) -> None:
        names = [f.name for f in feeds]
        if list(self.rows) != names:  # rebuild only when the set of feeds changes
            for label in self.rows.values():
                self.grid.removeWidget(label)
                label.deleteLater()
            self.rows = {}
            for i, name in enumerate(names):
                label = plain_label("", "feedRow", self)
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
            set_prop(label, "state", state)
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
        self.title = plain_label(title, "wallTitle", self)
        self.clock_label = plain_label("", "wallClock", self)
        self.notice = plain_label("", "wallNotice", self)
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
        head = plain_label("LATEST\nALERTS", "tickerHead", self)
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
        self.empty = plain_label("No gunshots, urgent calls or hot-list hits in the last 24 h", "tickerEmpty", self)
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
                label.set_full(f"{local_hhmm(e.time, self._tz)}  {e.title}{where}")
                label.setToolTip(e.ref)
                set_prop(label, "kind", e.kind)
                set_prop(label, "fresh", e.ref in fresh)
                label.show()
            else:
                label.hide()
        self.empty.setVisible(not self._events)

    def texts(self) -> list[str]:
        """The full text of each shown item, newest first."""
        return [label.full for label in self.labels if not label.isHidden()]


__all__ = ["CadTile", "Clock", "FeedsTile", "FigureStrip", "FigureTile", "Ticker"]
