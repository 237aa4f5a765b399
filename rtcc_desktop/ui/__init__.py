"""Every Qt widget of RTCC Desktop, and only here (see tests/test_architecture.py).

Importing this package also works around a PySide6 6.12.0 bug: ``SignalInstance.emit``
returns ``True`` without taking a reference, so every signal emitted from
Python drops one reference to ``True``; after a few hundred emits the
interpreter aborts with "bool_dealloc: deallocating True or False". The fix
below is only installed when the bug is detected at import time.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal, SignalInstance


def _emit_drops_true() -> bool:
    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    after = sys.getrefcount(True)
    if after < before:  # give back what the probe itself took
        for _ in range(before - after):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return True
    return False


def _install_emit_fix() -> bool:
    if getattr(SignalInstance.emit, "_rtcc_fixed", False) or not _emit_drops_true():
        return False
    original = SignalInstance.emit
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None

    def emit(self: SignalInstance, *args: object) -> object:
        result = original(self, *args)
        if result is True or result is False:
            incref(result)  # the reference emit() should have returned
        return result

    emit._rtcc_fixed = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    return True


EMIT_FIX_INSTALLED = _install_emit_fix()
