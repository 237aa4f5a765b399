"""Per-stream counters and a smoothed frame rate, read by tiles and the self-test."""

from __future__ import annotations

from dataclasses import dataclass


class FpsMeter:
    """Frames per second from an EMA of frame intervals (steady under jitter)."""

    def __init__(self, smoothing: float = 0.2) -> None:
        self.smoothing = smoothing
        self._interval: float | None = None
        self._last: float | None = None

    def tick(self, now: float) -> None:
        if self._last is not None:
            dt = now - self._last
            if dt > 0:
                if self._interval is None:
                    self._interval = dt
                else:
                    self._interval += self.smoothing * (dt - self._interval)
        self._last = now

    def fps(self, now: float) -> float:
        """Smoothed rate; decays when frames stop coming, so a frozen stream reads low."""
        if self._interval is None or self._last is None:
            return 0.0
        interval = max(self._interval, now - self._last)
        return 1.0 / interval if interval > 0 else 0.0

    def reset(self) -> None:
        self._interval = None
        self._last = None


@dataclass(frozen=True)
class StreamStats:
    """A consistent copy of one stream's figures at one moment."""

    name: str
    state: str
    url: str  # masked
    fps: float
    captured: int  # frames decoded and published to the slot
    shown: int  # frames a tile painted
    dropped: int  # frames never shown: overwritten in the slot or skipped to keep pace
    produced: int  # frames the source produced while we watched (captured + skipped)
    reconnects: int
    last_error: str | None
    frame_age_s: float | None  # seconds since the newest frame (None: none yet)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)
