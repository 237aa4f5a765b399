"""One wall monitor: its frameless kiosk window, the map pane (banner, ticker) and the video panes."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

from rtcc_desktop.ui.map_view import MapView
from rtcc_desktop.ui.wall_strip import Ticker
from rtcc_desktop.ui.wall_style import plain_label

log = logging.getLogger(__name__)


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
        self.banner = plain_label("", "focusBanner", self)
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
        self.message = plain_label("", "paneMessage", self)
        self.message.setWordWrap(True)
        self.message.hide()
        lay.addWidget(self.message)
        if grid is not None:
            lay.addWidget(grid, 1)
        else:
            lay.addWidget(plain_label("Video unavailable on this computer", "paneMessage", self), 1)

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


__all__ = ["MapPane", "VideoPane", "WallScreen"]
