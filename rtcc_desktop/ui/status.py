"""Status bar pieces and the feed-health panel.

Feed health comes from ``rtcc_desktop.feeds.health`` (green / amber / red with
lag); it is read on a store worker and only drawn here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from rtcc_desktop.ui.map_payload import local_time

STATUS_COLOURS = {"green": "#30d158", "amber": "#ffb340", "red": "#ff453a"}
KIND_NAMES = {"cad": "CAD", "gunshot": "Gunshots", "alpr": "ALPR", "camera": "Cameras"}


def fmt_lag(lag_s: float | None) -> str:
    """12 s, 4 min, 3 h: short enough for a badge."""
    if lag_s is None:
        return "no data"
    if lag_s < 90:
        return f"{lag_s:.0f} s"
    if lag_s < 5400:
        return f"{lag_s / 60:.0f} min"
    if lag_s < 172800:
        return f"{lag_s / 3600:.0f} h"
    return f"{lag_s / 86400:.0f} d"


def _get(h: Any, name: str, default: Any = None) -> Any:
    return h.get(name, default) if isinstance(h, dict) else getattr(h, name, default)


class FeedBadges(QWidget):
    """One coloured badge per feed: ● name lag."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lay = QHBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self._badges: dict[str, QLabel] = {}
        self._none = QLabel("No feeds configured")
        self._lay.addWidget(self._none)

    def set_health(self, rows: Iterable[Any]) -> None:
        seen = set()
        for h in rows:
            name = str(_get(h, "name", "?"))
            seen.add(name)
            badge = self._badges.get(name)
            if badge is None:
                badge = QLabel(self)
                badge.setObjectName("feedBadge")
                badge.setTextFormat(Qt.TextFormat.RichText)
                self._badges[name] = badge
                self._lay.addWidget(badge)
            status = str(_get(h, "status", "red"))
            colour = STATUS_COLOURS.get(status, STATUS_COLOURS["red"])
            # Feed names are from our own config, but escape anyway: the label is rich text.
            safe = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            text = f'<span style="color:{colour}">●</span> {safe} <span style="color:#9aa3ad">{fmt_lag(_get(h, "lag_s"))}</span>'
            if badge.text() != text:  # a relayout of the status bar each time otherwise
                badge.setText(text)
            tip = f"{name}: {status} — {_get(h, 'reason', '') or ''}"
            if badge.toolTip() != tip:
                badge.setToolTip(tip)
            badge.setProperty("status", status)
        for name in list(self._badges):
            if name not in seen:
                self._badges.pop(name).deleteLater()
        self._none.setVisible(not self._badges)

    def status_of(self, name: str) -> str | None:
        badge = self._badges.get(name)
        return None if badge is None else badge.property("status")


class Clock(QLabel):
    """The centre's local time, ticking each second."""

    def __init__(self, tz: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clockLabel")
        self._tz = tz
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)
        self._timer.start(1000)
        self.tick()

    def set_zone(self, tz: tzinfo) -> None:
        self._tz = tz
        self.tick()

    def tick(self) -> None:
        now = datetime.now(self._tz)
        self.setText(now.strftime("%H:%M:%S ") + (now.tzname() or ""))
        self.setToolTip(now.strftime("%A %d %B %Y, %H:%M:%S %Z") + f" ({getattr(self._tz, 'key', self._tz)})")


class FeedHealthPanel(QWidget):
    """The feed-health dock: one row per feed with status, lag, counts and the last error."""

    COLUMNS = ("Feed", "Kind", "Status", "Lag", "Rows in", "Rejected", "Last success", "Reason / last error")

    def __init__(self, parent: QWidget | None = None, tz: tzinfo | None = None) -> None:
        super().__init__(parent)
        self.tz = tz
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        hdr = self.table.horizontalHeader()
        hdr.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hdr.setStretchLastSection(True)
        self.empty = QLabel("No feeds configured. Add [[feeds]] to the config file, or run with --demo.")
        self.empty.setObjectName("placeholder")
        self.empty.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(self.table)
        self.table.hide()
        self._shown: list[tuple[str, list[str]]] = []

    def set_health(self, rows: list[Any]) -> None:
        """Show ``rows``, touching only cells whose text changed.

        This runs every few seconds on the GUI thread; rebuilding every item
        made the ResizeToContents header re-measure the table 30+ times per
        refresh (the biggest GUI-thread cost in bench/map_stall.py).
        """
        table = [
            (
                str(_get(h, "status", "")),
                [
                    str(v)
                    for v in (
                        _get(h, "name", ""), KIND_NAMES.get(_get(h, "kind", ""), _get(h, "kind", "")),
                        str(_get(h, "status", "")).upper(), fmt_lag(_get(h, "lag_s")),
                        f"{_get(h, 'rows_in', 0):,}", f"{_get(h, 'rows_rejected', 0):,}",
                        local_time(_get(h, "last_success"), self.tz) or "never",
                        _get(h, "last_error") or _get(h, "reason") or "",
                    )
                ],
            )
            for h in rows
        ]
        if table == self._shown:
            return
        self._shown = table
        view = self.table
        view.setUpdatesEnabled(False)
        try:
            if view.rowCount() != len(table):
                view.setRowCount(len(table))
            for i, (status, values) in enumerate(table):
                for j, text in enumerate(values):
                    item = view.item(i, j)
                    if item is None:
                        item = QTableWidgetItem(text)  # plain text item: feed errors are shown as text
                        view.setItem(i, j, item)
                    elif item.text() != text:
                        item.setText(text)
                    if j == 2:
                        item.setForeground(QColor(STATUS_COLOURS.get(status, "#e3e6ea")))
        finally:
            view.setUpdatesEnabled(True)
        view.setVisible(bool(rows))
        self.empty.setVisible(not rows)
