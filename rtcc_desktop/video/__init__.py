"""Camera capture without widgets: sources → capture threads → latest-frame slots.

Importing this package sets three process-wide OpenCV defaults (each skipped
when the user set the matching environment variable):

- FFmpeg's own stderr logging off (``OPENCV_FFMPEG_LOGLEVEL``): FFmpeg prints
  failing URLs verbatim, credentials included; our logs report every failure,
  masked, through ``logging``;
- OpenCV's warnings to errors only (``OPENCV_LOG_LEVEL``), for the same reason;
- OpenCV's internal thread pool off (``OPENCV_FOR_THREADS_NUM``): we already run
  one thread per stream, and with a dozen streams the pool's hand-offs cost
  more CPU than they save (measured with bench/video_grid.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET; read when FFmpeg starts

import cv2  # noqa: E402

if "OPENCV_LOG_LEVEL" not in os.environ:
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
if "OPENCV_FOR_THREADS_NUM" not in os.environ:
    cv2.setNumThreads(1)

from rtcc_desktop.video.options import CaptureOptions  # noqa: E402
from rtcc_desktop.video.slot import Frame, FrameSlot  # noqa: E402
from rtcc_desktop.video.state import StreamState  # noqa: E402
from rtcc_desktop.video.stream import Stream  # noqa: E402

__all__ = ["CaptureOptions", "Frame", "FrameSlot", "Stream", "StreamState"]
