"""Store reads off the GUI thread: one worker thread, its own read connection.

Like Anki's single database executor (``max_workers=1``): jobs run in order
on one thread that owns a read-only use of the store; each result (or error)
comes back to the GUI thread through a queued signal and is handed to the
caller's ``on_done`` / ``on_error`` there (Orange3's pattern). A view never
waits on a query.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

Job = Callable[[Any], Any]
_STOP = object()


def _default_opener(db_path: str | Path) -> Callable[[], Any]:
    def open_it() -> Any:
        from rtcc_desktop.store import open_store

        return open_store(db_path)

    return open_it


class StoreWorker(QObject):
    """Run ``fn(store)`` on the worker; get the result on the GUI thread.

    ``opener`` builds the store inside the worker thread (SQLite connections
    belong to the thread that made them); by default ``open_store(db_path)``.
    """

    #: (job id, ok, result-or-exception): internal, always queued to the GUI thread.
    _finished = Signal(int, int, object)
    #: A job failed and had no ``on_error``: (description of the job, message).
    failed = Signal(str, str)

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        opener: Callable[[], Any] | None = None,
        name: str = "rtcc-store",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if opener is None:
            if db_path is None:
                raise ValueError("StoreWorker needs db_path or opener")
            opener = _default_opener(db_path)
        self._opener = opener
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None, str]] = {}
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(
        self,
        fn: Job,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        what: str = "",
    ) -> int:
        """Queue ``fn(store)``; callbacks run later on the GUI thread. Returns a job id."""
        if self._stop.is_set():
            return 0
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error, what or getattr(fn, "__name__", "query"))
        self._jobs.put((job_id, fn))
        return job_id

    @property
    def pending(self) -> int:
        return len(self._callbacks)

    def _run(self) -> None:
        store = None
        open_error: BaseException | None = None
        try:
            store = self._opener()
        except BaseException as exc:  # reported to every job instead of killing the thread
            log.exception("store worker could not open the store")
            open_error = exc
        try:
            while not self._stop.is_set():
                item = self._jobs.get()
                if item is _STOP or self._stop.is_set():
                    break
                job_id, fn = item
                if open_error is not None:
                    self._finished.emit(job_id, 0, open_error)
                    continue
                try:
                    result = fn(store)
                except Exception as exc:
                    self._finished.emit(job_id, 0, exc)
                else:
                    self._finished.emit(job_id, 1, result)
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    log.exception("closing the worker's store failed")

    @Slot(int, int, object)
    def _deliver(self, job_id: int, ok: int, value: object) -> None:
        on_done, on_error, what = self._callbacks.pop(job_id, (None, None, ""))
        if self._stop.is_set():
            return
        if ok:
            if on_done is not None:
                on_done(value)
        elif on_error is not None:
            on_error(value)  # type: ignore[arg-type]
        else:
            log.error("store query %s failed: %s", what, value)
            self.failed.emit(what, str(value))

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the running job, drop the rest, close the connection, join the thread."""
        if self._stop.is_set() and not self._thread.is_alive():
            return
        self._stop.set()
        self._jobs.put(_STOP)
        self._thread.join(timeout)
        self._callbacks.clear()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()
