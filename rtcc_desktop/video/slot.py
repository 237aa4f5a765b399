"""The one-frame mailbox between a capture thread and the painter.

A capture thread overwrites the slot with every new frame; the painter takes
whatever is newest. Frames are dropped, never queued, so a slow painter sees
fresh video instead of a growing delay.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """A published frame. ``image`` is never written again after publication."""

    image: np.ndarray  # tile-sized, BGRA (uint8, C-contiguous)
    seq: int  # 1, 2, 3, ... per slot
    captured: float  # time.monotonic() when the frame left the decoder
    wall: float  # time.time() at the same moment (for the on-screen clock)


class FrameSlot:
    """Lock + newest frame + sequence number + capture timestamp."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._seq = 0  # never goes back, even after clear(): readers compare against it
        self._taken_seq = 0
        self.overwritten = 0  # frames replaced before anyone took them

    @property
    def seq(self) -> int:
        """Sequence of the newest frame published (0: none yet); cheap to poll per tick."""
        return self._seq

    def put(self, image: np.ndarray, captured: float, wall: float) -> int:
        """Publish ``image`` as the newest frame; returns its sequence number."""
        with self._lock:
            old = self._frame
            if old is not None and self._taken_seq < old.seq:
                self.overwritten += 1
            self._seq += 1
            self._frame = Frame(image, self._seq, captured, wall)
            return self._seq

    def take(self, after_seq: int = 0) -> Frame | None:
        """The newest frame if it is newer than ``after_seq``, else None."""
        with self._lock:
            frame = self._frame
            if frame is None or frame.seq <= after_seq:
                return None
            self._taken_seq = frame.seq
            return frame

    def peek(self) -> Frame | None:
        """The newest frame without marking it taken (snapshots, tests)."""
        return self._frame

    def clear(self) -> None:
        with self._lock:
            self._frame = None
