"""Shared bits of the video tests: the real clips, short timeouts, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2

from rtcc_desktop.video import CaptureOptions, Stream, StreamState

CLIPS = "video_intel_sample_videos"
CAR = "car-detection.mp4"  # 768x432, 12.5 fps
PERSON = "one-by-one-person-detection.mp4"  # 768x432, 10 fps
BOTTLE = "bottle-detection.mp4"  # 640x360, 29.83 fps

#: Short timeouts so every failure path finishes in a few seconds.
FAST = CaptureOptions(
    open_timeout_s=1.5,
    read_timeout_s=1.5,
    stall_after_s=0.5,
    backoff_base_s=0.1,
    backoff_max_s=0.4,
    offline_after=3,
    snapshot_poll_s=0.1,
)


def clip(realdata: Path, name: str) -> Path:
    return realdata / CLIPS / name


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, what: str = "condition") -> None:
    """Poll ``predicate`` until true; fail (not hang) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def watch_states(stream: Stream, until: Callable[[list[StreamState]], bool], timeout: float = 15.0) -> list[StreamState]:
    """Sample ``stream.state`` (which includes the derived *stalled*) until ``until(seen)``."""
    seen: list[StreamState] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = stream.state
        if not seen or seen[-1] is not state:
            seen.append(state)
        if until(seen):
            return seen
        time.sleep(0.01)
    raise AssertionError(f"states seen: {[s.value for s in seen]}")


def write_short_clip(src: Path, dst: Path, frames: int, fps: float = 25.0) -> Path:
    """A few real frames re-encoded as MJPG-in-AVI (a play-once file that ends quickly)."""
    cap = cv2.VideoCapture(str(src), cv2.CAP_FFMPEG)
    writer = None
    try:
        for _ in range(frames):
            ok, frame = cap.read()
            assert ok
            if writer is None:
                h, w = frame.shape[:2]
                writer = cv2.VideoWriter(str(dst), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
                assert writer.isOpened()
            writer.write(frame)
    finally:
        cap.release()
        if writer is not None:
            writer.release()
    return dst
