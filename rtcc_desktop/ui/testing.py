"""Helpers for tests, the self-test and the benchmarks: wait on the page without blocking Qt."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QWidget


def spin(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(predicate: Callable[[], bool], timeout_s: float = 20.0, step_ms: int = 20) -> bool:
    """Run the event loop until ``predicate()`` is true; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        spin(step_ms)
    return True


def js_eval(view: Any, code: str, timeout_s: float = 15.0) -> Any:
    """Evaluate ``code`` in a MapView's page and return the result (JSON-decoded if it is JSON text)."""
    box: list[Any] = []
    view.run_js(code, box.append)
    if not wait_until(lambda: bool(box), timeout_s):
        raise TimeoutError(f"page did not answer within {timeout_s} s: {code[:80]}")
    value = box[0]
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def dispose(widget: QWidget) -> None:
    """Close a window holding a web view and delete it now (its page before its profile)."""
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
