"""The ``rtcctile:`` URL scheme: base-map tiles for the page, from cache or network.

The page asks for ``rtcctile://base/{z}/{x}/{y}.png``. The handler answers
asynchronously: the request goes to a worker pool (cache lookup, then a
download with requests), and the reply is made back on the GUI thread
through a queued signal. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

import itertools
import logging
import re

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject, Qt, Signal, Slot
from PySide6.QtWebEngineCore import QWebEngineUrlRequestJob, QWebEngineUrlScheme, QWebEngineUrlSchemeHandler

from rtcc_desktop.tiles.pool import WorkerPool
from rtcc_desktop.tiles.source import TileResult, TileSource

log = logging.getLogger(__name__)

SCHEME = b"rtcctile"
#: What the page's tile layer uses as its URL template.
PAGE_TILE_URL = "rtcctile://base/{z}/{x}/{y}.png"
_PATH = re.compile(r"^/(\d{1,2})/(\d{1,8})/(\d{1,8})\.png$")
_registered = False


def register_schemes() -> bool:
    """Register ``rtcctile:`` with Chromium; must run before QApplication exists.

    Safe to call more than once. Returns False (and logs) when it is too late.
    """
    global _registered
    if _registered:
        return True
    if QCoreApplication.instance() is not None:
        log.error("rtcctile scheme registered after QApplication was created; map tiles will not load")
        return False
    scheme = QWebEngineUrlScheme(SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    # The page is a local file; Chromium lets a file: page load only from local schemes.
    scheme.setFlags(QWebEngineUrlScheme.Flag.LocalScheme | QWebEngineUrlScheme.Flag.LocalAccessAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)
    _registered = True
    return True


class TileSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers tile requests from a :class:`TileSource` on worker threads."""

    #: Each served tile: "cache", "network" or "offline".
    tile_served = Signal(str)
    #: The map went offline (1, reason) or came back (0, "").
    offline_changed = Signal(int, str)

    _done = Signal(int, object)

    def __init__(self, source: TileSource, *, workers: int = 4, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self._pool = WorkerPool("rtcc-tiles", workers)
        self._jobs: dict[int, QWebEngineUrlRequestJob] = {}
        self._ids = itertools.count(1)
        self._offline = False
        self._stopped = False
        self._done.connect(self._reply, Qt.ConnectionType.QueuedConnection)

    @property
    def offline(self) -> bool:
        return self._offline

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802 (Qt override)
        if self._stopped:
            job.fail(QWebEngineUrlRequestJob.Error.RequestAborted)
            return
        url = job.requestUrl()
        m = _PATH.match(url.path())
        if url.host() != "base" or m is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        z, x, y = (int(g) for g in m.groups())
        key = next(self._ids)
        self._jobs[key] = job
        job.destroyed.connect(lambda *_a, k=key: self._jobs.pop(k, None))
        source, done = self.source, self._done

        def work() -> None:
            try:
                result = source.get(z, x, y)
            except Exception as exc:  # never leave the page waiting
                log.exception("tile z%s/%s/%s failed", z, x, y)
                result = TileResult(source.offline_tile, "offline", error=str(exc))
            done.emit(key, result)

        if not self._pool.submit(work):
            self._jobs.pop(key, None)
            job.fail(QWebEngineUrlRequestJob.Error.RequestAborted)

    @Slot(int, object)
    def _reply(self, key: int, result: TileResult) -> None:
        job = self._jobs.pop(key, None)
        if job is not None and not self._stopped:
            try:
                buf = QBuffer(job)
                buf.setData(QByteArray(result.data))
                buf.open(QIODevice.OpenModeFlag.ReadOnly)
                job.reply(result.mime.encode("ascii"), buf)
            except RuntimeError:  # the page cancelled the request and Qt deleted the job
                pass
        self.tile_served.emit(result.origin)
        offline = result.origin == "offline" and bool(result.error) and self.source.offline
        if result.origin == "network" and self._offline:
            self._offline = False
            self.offline_changed.emit(0, "")
        elif offline and not self._offline:
            self._offline = True
            self.offline_changed.emit(1, result.error)

    def stop(self) -> None:
        """Stop the workers (joined) and fail nothing further; call before the page goes."""
        self._stopped = True
        self._pool.stop()
        self._jobs.clear()
