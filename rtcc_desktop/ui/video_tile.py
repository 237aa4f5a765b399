"""One tile of the video grid: paints its stream's newest frame and an overlay.

The tile never talks to a capture thread directly: on each display tick the
grid calls :meth:`VideoTile.poll`, which takes the slot's newest frame when
its sequence number changed and schedules a repaint of this tile only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetrics,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QMenu, QSizePolicy, QWidget

from rtcc_desktop.video.slot import Frame
from rtcc_desktop.video.state import StreamState
from rtcc_desktop.video.stream import Stream

log = logging.getLogger(__name__)

#: MIME type of a camera dragged from the map, the camera list or another tile.
CAMERA_MIME = "application/x-rtcc-camera"

#: BGRA bytes are Qt's RGB32 on little-endian machines (every platform we ship).
_FRAME_FORMAT = QImage.Format.Format_RGB32 if sys.byteorder == "little" else QImage.Format.Format_ARGB32

#: How often the overlay text (clock, fps, state) is refreshed, in seconds.
OVERLAY_REFRESH_S = 0.5

BACKGROUND = QColor(12, 12, 14)
TEXT = QColor(235, 235, 235)
BAND = QColor(0, 0, 0, 150)
SELECTED = QColor(64, 156, 255)
STATE_COLOURS = {
    StreamState.CONNECTING: QColor(200, 200, 200),
    StreamState.STALLED: QColor(255, 190, 60),
    StreamState.RECONNECTING: QColor(255, 150, 60),
    StreamState.OFFLINE: QColor(240, 80, 80),
    StreamState.REQUEST_FOOTAGE: QColor(120, 190, 255),
    StreamState.ENDED: QColor(180, 180, 180),
    StreamState.PAUSED: QColor(150, 150, 150),
}

_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_VCENTER = Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter

PaintObserver = Callable[[int, Stream, Frame, float], None]


def camera_from_mime(data: bytes) -> dict[str, Any] | None:
    """The camera record carried by a drop, or None when it is not one."""
    try:
        value = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict):
        return None
    if not any(value.get(k) for k in ("name", "stream_url", "substream_url", "snapshot_url", "id")):
        return None
    return value


def state_text(stream: Stream | None) -> str:
    """The words a tile shows for its stream's state ('' when live)."""
    if stream is None:
        return "Drop a camera here"
    state = stream.state
    if state is StreamState.LIVE:
        return ""
    if state is StreamState.REQUEST_FOOTAGE:
        cam = stream.camera
        lines = ["REQUEST FOOTAGE"]
        owner = str(cam.get("owner") or "").strip()
        contact = str(cam.get("contact") or "").strip()
        if owner:
            lines.append(owner)
        if contact:
            lines.append(contact)
        return "\n".join(lines)
    words = {
        StreamState.IDLE: "",
        StreamState.CONNECTING: "CONNECTING…",
        StreamState.STALLED: "STALLED",
        StreamState.RECONNECTING: "RECONNECTING…",
        StreamState.OFFLINE: "OFFLINE",
        StreamState.PAUSED: "PAUSED",
        StreamState.ENDED: "ENDED",
        StreamState.STOPPED: "STOPPED",
    }
    return words.get(state, state.value.upper())


class VideoTile(QWidget):
    """Paints one stream; double-click maximises; accepts dropped cameras."""

    doubleClicked = Signal(int)
    clicked = Signal(int)
    cameraDropped = Signal(int, object)  # tile index, camera dict
    snapshotRequested = Signal(int)
    clearRequested = Signal(int)

    def __init__(self, index: int, parent: QWidget | None = None, *, tz: tzinfo | None = None) -> None:
        super().__init__(parent)
        self.index = index
        #: The centre's zone for the overlay clock (None: the machine's local time).
        self.tz = tz
        self.stream: Stream | None = None
        self.paint_observer: PaintObserver | None = None
        self.selected = False
        self._frame: Frame | None = None
        self._image: QImage | None = None
        self._last_seq = 0
        self._unpainted = False
        self._overlay_at = 0.0
        self._overlay_state: StreamState | None = None
        self._overlay: tuple[str, str, str, str] = ("", "", "", "")
        self._overlay_key: object = None
        self._overlay_parts: list[tuple[QPoint, QImage]] = []
        self.setObjectName(f"videoTile{index}")
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(48, 27))
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        # We paint every pixel ourselves: no background fill under each frame.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self._font = QFont(self.font())
        self._font.setPixelSize(12)
        self._font.setBold(True)
        self._big_font = QFont(self._font)
        self._big_font.setPixelSize(16)
        self._metrics = QFontMetrics(self._font)
        self._selected_pen = QPen(SELECTED, 2)

    # ------------------------------------------------------------ stream
    def set_stream(self, stream: Stream | None) -> None:
        """Show ``stream`` (already created; the grid starts and stops it)."""
        self.stream = stream
        self._frame = None
        self._image = None
        self._unpainted = False
        self._last_seq = 0  # paint whatever frame the stream already has
        if stream is not None:
            self._push_size()
        self._overlay_at = 0.0
        self.update()

    def _push_size(self) -> None:
        if self.stream is not None and self.width() > 0 and self.height() > 0:
            dpr = self.devicePixelRatioF()
            self.stream.set_target_size(round(self.width() * dpr), round(self.height() * dpr))

    def poll(self, now: float) -> bool:
        """Take a newer frame from the slot and repaint if anything changed."""
        stream = self.stream
        new_frame = whole = False
        if stream is not None and stream.slot.seq != self._last_seq:
            frame = stream.slot.take(self._last_seq)
            if frame is not None:
                if self._unpainted:
                    stream.note_display_dropped()
                old = self._image.size() if self._image is not None else None
                self._set_frame(frame)
                new_frame = True
                whole = old != self._image.size()
        state = stream.state if stream is not None else None
        if state is not self._overlay_state or now - self._overlay_at >= OVERLAY_REFRESH_S:
            self._overlay_at = now
            self._overlay_state = state
            overlay = self._overlay_texts()
            if overlay != self._overlay:
                self._overlay = overlay
                whole = True
        if whole:
            self.update()
        elif new_frame:
            placed = self._placement()
            if placed is not None:
                self.update(placed[1])  # same-size frame: the picture only, not the letterbox bars
            else:
                self.update()
        return new_frame or whole

    def _set_frame(self, frame: Frame) -> None:
        image = frame.image
        h, w = image.shape[:2]
        # Wraps the numpy buffer (no copy); the frame is immutable once published
        # and self._frame keeps it alive for as long as the QImage exists.
        qimage = QImage(image, w, h, image.strides[0], _FRAME_FORMAT)
        qimage.setDevicePixelRatio(self.devicePixelRatioF())
        self._frame = frame
        self._image = qimage
        self._last_seq = frame.seq
        self._unpainted = True

    def _overlay_texts(self) -> tuple[str, str, str, str]:
        stream = self.stream
        if stream is None:
            return ("", "", "", state_text(None))
        frame = self._frame
        stamp = frame.wall if frame is not None else time.time()
        clock = datetime.fromtimestamp(stamp, self.tz).strftime("%H:%M:%S") if frame is not None else ""
        fps = stream.fps()
        fps_text = f"{fps:.1f} fps" if stream.state in (StreamState.LIVE, StreamState.STALLED) else ""
        return (stream.name, clock, fps_text, state_text(stream))

    def state_text(self) -> str:
        """What the tile currently says about its stream ('' when live)."""
        return state_text(self.stream)

    # ------------------------------------------------------------ painting
    def _placement(self) -> tuple[QPoint, QRect] | None:
        """Where the current frame goes when it already fits the tile (a plain blit)."""
        image = self._image
        if image is None:
            return None
        size = image.deviceIndependentSize()
        iw, ih = int(size.width()), int(size.height())
        width, height = self.width(), self.height()
        if abs(iw - width) > 1 and abs(ih - height) > 1:
            return None  # the tile was resized and the next frame is not here yet
        x, y = (width - iw) // 2, (height - ih) // 2
        return QPoint(x, y), QRect(x, y, iw, ih)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        rect = self.rect()
        image = self._image
        if image is None:
            painter.fillRect(rect, BACKGROUND)
        else:
            placed = self._placement()
            if placed is not None:
                point, target = placed
                if not target.contains(event.rect()):  # a frame-only update skips the bars
                    self._fill_bars(painter, rect, target.x(), target.y(), target.width(), target.height())
                painter.drawImage(point, image)
            else:
                size = image.deviceIndependentSize()
                iw, ih = size.width(), size.height()
                scale = min(rect.width() / max(iw, 1), rect.height() / max(ih, 1))
                w, h = int(iw * scale), int(ih * scale)
                painter.fillRect(rect, BACKGROUND)
                painter.drawImage(QRect((rect.width() - w) // 2, (rect.height() - h) // 2, w, h), image)
        self._paint_overlay(painter, rect)
        painter.end()
        if self._unpainted and self._frame is not None and self.stream is not None:
            self._unpainted = False
            self.stream.note_shown()
            if self.paint_observer is not None:
                self.paint_observer(self.index, self.stream, self._frame, time.monotonic())

    @staticmethod
    def _fill_bars(painter: QPainter, rect: QRect, x: int, y: int, w: int, h: int) -> None:
        if y > 0:
            painter.fillRect(0, 0, rect.width(), y, BACKGROUND)
        if rect.height() > y + h:
            painter.fillRect(0, y + h, rect.width(), rect.height() - y - h, BACKGROUND)
        if x > 0:
            painter.fillRect(0, 0, x, rect.height(), BACKGROUND)
        if rect.width() > x + w:
            painter.fillRect(x + w, 0, rect.width() - x - w, rect.height(), BACKGROUND)

    def _paint_overlay(self, painter: QPainter, rect: QRect) -> None:
        key = (self._overlay, rect.width(), rect.height(), self.stream is not None)
        if self._overlay_key != key:
            self._overlay_key = key
            self._overlay_parts = self._render_overlay(rect)
        for point, image in self._overlay_parts:
            painter.drawImage(point, image)
        if self.selected:
            painter.setPen(self._selected_pen)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))

    def _render_overlay(self, rect: QRect) -> list[tuple[QPoint, QImage]]:
        """The overlay as a few small pre-drawn images.

        Text layout costs more than blitting, and the overlay changes at most
        twice a second while frames arrive 10-30 times: draw it once, blit it
        on every frame.
        """
        name, clock, fps, words = self._overlay
        width, height = rect.width(), rect.height()
        line_h = self._metrics.height() + 4
        parts: list[tuple[QPoint, QImage]] = []

        def band(w: int, h: int, fill: QColor) -> tuple[QImage, QPainter]:
            image = QImage(max(1, w), max(1, h), QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(fill)
            p = QPainter(image)
            p.setFont(self._font)
            p.setPen(TEXT)
            return image, p

        if name or clock:
            image, p = band(width, line_h, BAND)
            p.drawText(
                QRect(6, 0, width - 12, line_h),
                _LEFT,
                self._metrics.elidedText(name, Qt.TextElideMode.ElideRight, max(10, width - 90)),
            )
            p.drawText(QRect(6, 0, width - 12, line_h), _RIGHT, clock)
            p.end()
            parts.append((QPoint(0, 0), image))
        if fps:
            w = self._metrics.horizontalAdvance(fps) + 12
            image, p = band(w, line_h, BAND)
            p.drawText(QRect(6, 0, w, line_h), _VCENTER, fps)
            p.end()
            parts.append((QPoint(0, height - line_h), image))
        if words:
            stream = self.stream
            colour = STATE_COLOURS.get(stream.state, TEXT) if stream is not None else QColor(120, 120, 120)
            big = QFontMetrics(self._big_font)
            band_h = (big.height() + 4) * (words.count("\n") + 1) + 8
            image, p = band(width, band_h, BAND if stream is not None else BACKGROUND)
            p.setFont(self._big_font)
            p.setPen(colour)
            p.drawText(QRect(0, 0, width, band_h), _CENTER, words)
            p.end()
            parts.append((QPoint(0, (height - band_h) // 2), image))
        return parts

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._push_size()

    # ------------------------------------------------------------ input
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            self.doubleClicked.emit(self.index)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        mime = event.mimeData()
        camera = camera_from_mime(mime.data(CAMERA_MIME).data()) if mime.hasFormat(CAMERA_MIME) else None
        if camera is None:
            log.info("drop on tile %d ignored: not a camera record", self.index + 1)
            event.ignore()
            return
        event.acceptProposedAction()
        self.cameraDropped.emit(self.index, camera)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt API
        menu = QMenu(self)
        snap = QAction("Snapshot", menu)
        snap.setEnabled(self.stream is not None and self.stream.last_frame() is not None)
        snap.triggered.connect(lambda: self.snapshotRequested.emit(self.index))
        maxi = QAction("Maximise / restore", menu)
        maxi.triggered.connect(lambda: self.doubleClicked.emit(self.index))
        clear = QAction("Remove camera", menu)
        clear.setEnabled(self.stream is not None)
        clear.triggered.connect(lambda: self.clearRequested.emit(self.index))
        menu.addActions([snap, maxi, clear])
        menu.exec(event.globalPos())
