"""The simulator's notion of "now", separate from the wall clock.

By default simulated time runs at real speed from ``start``. Tests freeze or
step it so two simulators serve byte-identical payloads and "new events
arrive" can be shown without sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


def to_epoch(value: datetime | str | float | int | None) -> float:
    """Accept what a caller is likely to have for a start time: epoch, ISO text or datetime."""
    if value is None:
        return float(int(time.time()))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "T", 1)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    raise TypeError(f"cannot use {value!r} as a time (give epoch seconds, ISO text or a datetime)")


class SimClock:
    """Simulated epoch seconds: ``start`` plus real time elapsed, unless frozen."""

    def __init__(self, start: float) -> None:
        self._lock = threading.Lock()
        self._origin = float(start)
        self._mono = time.monotonic()
        self._frozen: float | None = None

    def now(self) -> float:
        """Current simulated time in epoch seconds."""
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return self._origin + (time.monotonic() - self._mono)

    def freeze(self, at: datetime | str | float | None = None) -> None:
        """Stop time (at ``at``, or where it is now) so payloads stay put."""
        t = self.now() if at is None else to_epoch(at)
        with self._lock:
            self._frozen = t

    def advance(self, seconds: float) -> None:
        """Step time forward: new events become visible as if ``seconds`` had passed."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._origin += seconds

    def run(self) -> None:
        """Let a frozen clock run on at real speed from where it stands."""
        with self._lock:
            if self._frozen is None:
                return
            self._origin, self._mono, self._frozen = self._frozen, time.monotonic(), None

    @property
    def frozen(self) -> bool:
        with self._lock:
            return self._frozen is not None
