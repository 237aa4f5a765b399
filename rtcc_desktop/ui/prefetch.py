"""Pre-fetch the base map of an area for offline use: a dialog and one worker thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.tiles.math import count_tiles
from rtcc_desktop.tiles.source import MAX_PREFETCH_TILES, PrefetchReport, TileSource


class Prefetcher(QObject):
    """Runs ``TileSource.prefetch`` on thread ``rtcc-tile-prefetch``; progress as queued signals."""

    progress = Signal(int, int)
    finished = Signal(object)  # PrefetchReport, or an Exception
    _progress_any = Signal(int, int)
    _finished_any = Signal(object)

    def __init__(self, source: TileSource, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress_any.connect(self.progress, Qt.ConnectionType.QueuedConnection)
        self._finished_any.connect(self._done, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, bbox: BBox, zmin: int, zmax: int) -> None:
        if self.running:
            raise RuntimeError("a pre-fetch is already running")
        self._stop.clear()

        def run() -> None:
            try:
                rep = self.source.prefetch(bbox, zmin, zmax, stop=self._stop, progress=self._progress_any.emit)
            except Exception as exc:  # reported in the dialog
                self._finished_any.emit(exc)
            else:
                self._finished_any.emit(rep)

        self._thread = threading.Thread(target=run, name="rtcc-tile-prefetch", daemon=True)
        self._thread.start()

    @Slot(object)
    def _done(self, result: object) -> None:
        self.finished.emit(result)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel and join (the tile being downloaded finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


class PrefetchDialog(QDialog):
    """Choose zoom levels for the visible area, see the tile count, download with progress."""

    def __init__(self, source: TileSource, bbox: BBox, zoom: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save map area for offline use")
        self.bbox = bbox
        self.prefetcher = Prefetcher(source, self)
        self.report: PrefetchReport | None = None
        self.zmin = QSpinBox(self)
        self.zmax = QSpinBox(self)
        for box in (self.zmin, self.zmax):
            box.setRange(0, source.max_zoom)
        self.zmin.setValue(max(0, zoom - 1))
        self.zmax.setValue(min(source.max_zoom, zoom + 3))
        self.count = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setVisible(False)
        self.result = QLabel(self)
        self.result.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Area", QLabel(f"{bbox.west:.4f}, {bbox.south:.4f} → {bbox.east:.4f}, {bbox.north:.4f} (the visible map)"))
        form.addRow("From zoom", self.zmin)
        form.addRow("To zoom", self.zmax)
        form.addRow("Tiles", self.count)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close, self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Download")
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.bar)
        lay.addWidget(self.result)
        lay.addWidget(self.buttons)
        self.zmin.valueChanged.connect(self._recount)
        self.zmax.valueChanged.connect(self._recount)
        self.prefetcher.progress.connect(self._progress)
        self.prefetcher.finished.connect(self._finished)
        self._recount()

    def tiles(self) -> int:
        lo, hi = sorted((self.zmin.value(), self.zmax.value()))
        return count_tiles(self.bbox, lo, hi)

    def _recount(self) -> None:
        n = self.tiles()
        too_many = n > MAX_PREFETCH_TILES
        self.count.setText(f"{n:,}" + (f" — more than {MAX_PREFETCH_TILES:,}: zoom in or lower the top zoom" if too_many else ""))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not too_many and not self.prefetcher.running)

    def start(self) -> None:
        lo, hi = sorted((self.zmin.value(), self.zmax.value()))
        self.bar.setRange(0, max(1, self.tiles()))
        self.bar.setValue(0)
        self.bar.setVisible(True)
        self.result.setText("Downloading…")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.prefetcher.start(self.bbox, lo, hi)

    @Slot(int, int)
    def _progress(self, done: int, total: int) -> None:
        self.bar.setMaximum(max(1, total))
        self.bar.setValue(done)

    @Slot(object)
    def _finished(self, result: object) -> None:
        if isinstance(result, PrefetchReport):
            self.report = result
            text = result.summary()
            if result.errors:
                text += f". First error: {result.errors[0]}"
            self.result.setText(text)
        else:
            self.result.setText(f"Pre-fetch failed: {result}")
        self._recount()

    def done(self, code: int) -> None:  # noqa: D102 - closing cancels the download
        self.prefetcher.stop()
        super().done(code)
