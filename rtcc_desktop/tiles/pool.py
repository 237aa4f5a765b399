"""A small fixed pool of named worker threads that stop on an Event and are joined.

Used for tile requests: several tiles download at once, none on the GUI thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

_STOP = object()


class WorkerPool:
    """``submit(fn)`` runs ``fn()`` on one of ``size`` threads named ``{name}-{i}``."""

    def __init__(self, name: str = "rtcc-tiles", size: int = 4) -> None:
        self._jobs: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(size)]
        for t in self._threads:
            t.start()

    def submit(self, fn: Callable[[], None]) -> bool:
        """Queue a job; False once the pool is stopping."""
        if self._stop.is_set():
            return False
        self._jobs.put(fn)
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is _STOP or self._stop.is_set():
                break
            try:
                job()  # type: ignore[operator]
            except Exception:  # a bad job must not kill the worker
                log.exception("worker job failed")

    def stop(self, timeout: float = 10.0) -> None:
        """Drop queued jobs, let running ones finish, and join every thread."""
        self._stop.set()
        try:
            while True:
                self._jobs.get_nowait()
        except queue.Empty:
            pass
        for _ in self._threads:
            self._jobs.put(_STOP)
        for t in self._threads:
            t.join(timeout)

    @property
    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)
