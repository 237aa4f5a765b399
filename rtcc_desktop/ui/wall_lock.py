"""The wall's kiosk lock: keys swallowed but the exit keys, then the supervisor PIN, checked off the GUI thread."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from rtcc_desktop.ui.wall_style import plain_label
from rtcc_desktop.wall_layout import parse_keys, verify_pin

if TYPE_CHECKING:
    from rtcc_desktop.ui.wall import WallWindow


# --------------------------------------------------------------------------- PIN


class PinCheck(QObject):
    """Checks a PIN against its hash on a short-lived thread; the answer comes back queued."""

    done = Signal(int)  # 1 right, 0 wrong (int: see StoreWorker on PySide6 and bools)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._busy = False

    def start(self, pin: str, encoded: str) -> None:
        def run() -> None:
            ok = verify_pin(pin, encoded)
            self._busy = False  # before the answer goes out: the dialog re-enables itself on it
            self.done.emit(1 if ok else 0)

        self.join()
        self._busy = True
        self._thread = threading.Thread(target=run, name="rtcc-wall-pin", daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._busy

    def join(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class PinDialog(QDialog):
    """Ask for the supervisor PIN; wrong keeps the wall, right leaves it."""

    def __init__(self, wall: WallWindow, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("pinDialog")
        self.setModal(True)
        self._wall = wall
        lock = wall.layout.lock
        self.has_pin = bool(lock.pin_hash)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(28, 24, 28, 24)
        lay.setSpacing(14)
        if self.has_pin:
            lay.addWidget(plain_label("Supervisor PIN to leave wall mode", "", self))
        else:
            lay.addWidget(plain_label("Leave wall mode?\nNo supervisor PIN is set for this wall ([wall.lock] pin_hash).", "", self))
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setMaxLength(64)
        self.edit.setVisible(self.has_pin)
        lay.addWidget(self.edit)
        self.status = plain_label("", "pinStatus", self)
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.ok = QPushButton("Unlock" if self.has_pin else "Leave", self)
        self.cancel = QPushButton("Stay on the wall", self)
        for b in (self.ok, self.cancel):  # Return goes to the PIN field only, never to "Stay" while a check runs
            b.setAutoDefault(False)
            b.setDefault(False)
        row.addWidget(self.cancel)
        row.addStretch(1)
        row.addWidget(self.ok)
        lay.addLayout(row)
        self.ok.clicked.connect(self.try_unlock)
        self.edit.returnPressed.connect(self.try_unlock)
        self.cancel.clicked.connect(self.reject)
        self._idle = QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.setInterval(int(lock.idle_cancel_s * 1000))
        self._idle.timeout.connect(self.reject)
        self.edit.textEdited.connect(lambda _t: self._idle.start())
        self._idle.start()
        wall._pin_check.done.connect(self._checked)
        self._refresh_lockout()

    def _refresh_lockout(self) -> None:
        left = self._wall.lockout_left()
        if left > 0:
            self.status.setText(f"Too many wrong PINs: try again in {left:.0f} s")
            self.ok.setEnabled(False)
            self.edit.setEnabled(False)
            QTimer.singleShot(1000, self._refresh_lockout)
        elif not self._wall._pin_check.busy:
            self.ok.setEnabled(True)
            self.edit.setEnabled(True)

    def try_unlock(self) -> None:
        if not self.has_pin:
            self.accept()
            self._wall._unlocked()
            return
        if self._wall.lockout_left() > 0 or self._wall._pin_check.busy or not self.ok.isEnabled():
            return
        pin = self.edit.text()
        if not pin:
            self.status.setText("Type the PIN")
            return
        self.status.setText("Checking…")
        self.ok.setEnabled(False)
        self.edit.setEnabled(False)
        self._wall._pin_check.start(pin, self._wall.layout.lock.pin_hash or "")

    @Slot(int)
    def _checked(self, ok: int) -> None:
        if not self.isVisible():
            return
        self.edit.clear()
        if ok:
            self.status.setText("")
            self.accept()
            self._wall._unlocked()
            return
        tries = self._wall._wrong_pin()
        self.status.setText(f"Wrong PIN ({tries} of {self._wall.layout.lock.max_attempts})")
        self._refresh_lockout()
        self.edit.setFocus()

    def done(self, r: int) -> None:  # noqa: D401 - Qt override
        try:
            self._wall._pin_check.done.disconnect(self._checked)
        except (RuntimeError, TypeError):
            pass
        self._idle.stop()
        super().done(r)


# --------------------------------------------------------------------------- exit keys


class KeyGuard(QObject):
    """Event filter on each wall window and its QWindow: Escape and every other key do nothing; the exit keys ask for the PIN.

    Installed on the wall's own objects only: a Python filter on the whole
    application would see (and wrap) every half-built QObject, which crashes PySide.
    """

    def __init__(self, wall: WallWindow) -> None:
        super().__init__(wall)
        self._wall = wall
        mods, key = parse_keys(wall.layout.lock.exit_keys)
        self.exit_seq = QKeySequence("+".join((*mods, key)))
        self.swallowed = 0

    def is_exit(self, e: QKeyEvent) -> bool:
        combo = QKeySequence(e.keyCombination())
        return combo.matches(self.exit_seq) == QKeySequence.SequenceMatch.ExactMatch

    def eventFilter(self, obj: QObject, e: QEvent) -> bool:  # noqa: N802
        t = e.type()
        if t == QEvent.Type.ShortcutOverride:
            e.accept()  # no application shortcut fires on the wall
            return True
        if t == QEvent.Type.KeyPress:
            assert isinstance(e, QKeyEvent)
            if self.is_exit(e):
                self._wall.request_leave()
            else:
                self.swallowed += 1
            return True
        return t == QEvent.Type.KeyRelease


__all__ = ["KeyGuard", "PinCheck", "PinDialog"]
