"""Timeouts and retry settings for capture, in one place so tests can shorten them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CaptureOptions:
    """How patient a stream is.

    ``read_timeout_s`` is longer than ``stall_after_s`` so a stream that stops
    shows *stalled* for a while before it is dropped and reconnected. A thread
    blocked inside FFmpeg can only leave when one of these timeouts fires, so
    they also bound how long ``Stream.stop()`` may wait.
    """

    open_timeout_s: float = 8.0
    read_timeout_s: float = 6.0
    stall_after_s: float = 2.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    offline_after: int = 4  # consecutive failed attempts before the tile says "offline"
    snapshot_poll_s: float = 1.0  # JPEG snapshot URLs: seconds between requests
    decode_threads: int = 1  # FFmpeg threads per substream: 1 is cheapest for many (0: FFmpeg decides; main streams)
    fps_smoothing: float = 0.2  # EMA weight of the newest frame interval
    exact_area_resize: bool = False  # one INTER_AREA pass (about 5x the CPU; see frames.shrink)
    #: Linux: run capture threads this much "nicer" than the GUI thread, so on a
    #: CPU-starved box the painter keeps its share and frames are skipped at the
    #: source instead. Off by default: it also yields to every other process.
    thread_nice: int = 0

    def __post_init__(self) -> None:
        for name in ("open_timeout_s", "read_timeout_s", "stall_after_s", "backoff_base_s", "snapshot_poll_s"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be at least backoff_base_s")
        if not 0 <= self.thread_nice <= 19:
            raise ValueError("thread_nice must be 0..19")
        if self.decode_threads < 0:
            raise ValueError("decode_threads must be 0 (automatic) or more")
        if self.offline_after < 1:
            raise ValueError("offline_after must be at least 1")
        if not 0 < self.fps_smoothing <= 1:
            raise ValueError("fps_smoothing must be in (0, 1]")
