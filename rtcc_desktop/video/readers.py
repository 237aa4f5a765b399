"""Readers that turn one source into decoded frames: OpenCV/FFmpeg, or HTTP polling.

A reader is opened by a capture thread, read until it fails, and released.
Errors leave as :class:`SourceError` with a message that is already masked
(no credentials), so the stream can record and show it as it is.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import requests

from rtcc_desktop.video.options import CaptureOptions
from rtcc_desktop.video.sources import Source
from rtcc_desktop.video.urls import CredentialLookup, mask_text, mask_url, with_credentials

log = logging.getLogger(__name__)

#: Largest snapshot we accept; a camera answering with something bigger is broken.
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024
#: A file claiming an fps outside this range is paced at DEFAULT_FPS instead.
FPS_RANGE = (0.5, 240.0)
DEFAULT_FPS = 25.0


class SourceError(Exception):
    """The source failed (refused, timed out, sent garbage); the message is safe to show."""


class EndOfSource(Exception):
    """A play-once file reached its end."""


class FrameReader(Protocol):
    skipped: int  # frames skipped to keep real-time pace (counted as dropped)

    def read(self, stop: threading.Event) -> np.ndarray | None:
        """The next decoded BGR frame; None only when ``stop`` was set while waiting."""
        ...

    def release(self) -> None: ...


def valid_frame(frame: object) -> bool:
    """True for a non-empty 8-bit grey, BGR or BGRA image."""
    return (
        isinstance(frame, np.ndarray)
        and frame.dtype == np.uint8
        and frame.size > 0
        and (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (3, 4)))
        and frame.shape[0] > 0
        and frame.shape[1] > 0
    )


class OpenCVReader:
    """RTSP, HTTP MJPEG, HLS, files and devices through ``cv2.VideoCapture``.

    Files are paced at their own frame rate (like a live camera) and loop or
    end; when the thread falls behind, whole frames are skipped with
    ``grab()`` so the picture stays current instead of lagging.
    """

    def __init__(
        self,
        source: Source,
        options: CaptureOptions,
        lookup: CredentialLookup | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.skipped = 0
        self._shown_target = mask_url(source.target)
        self._cap = self._open(lookup)
        self._pace = source.kind == "file"
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if FPS_RANGE[0] <= fps <= FPS_RANGE[1] else DEFAULT_FPS
        self._interval = 1.0 / self.fps
        self._t0 = time.monotonic()
        self._index = 0  # frames of the timeline consumed so far (read or skipped)

    def _open(self, lookup: CredentialLookup | None) -> cv2.VideoCapture:
        target = self.source.target
        opts = self.options
        if self.source.kind == "device":
            cap = cv2.VideoCapture(int(target), cv2.CAP_ANY)
        else:
            if self.source.kind == "file" and not Path(str(target)).is_file():
                raise SourceError(f"file not found: {self._shown_target}")
            url = with_credentials(str(target), lookup) if self.source.is_network else str(target)
            params = [
                cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                int(opts.open_timeout_s * 1000),
                cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                int(opts.read_timeout_s * 1000),
                cv2.CAP_PROP_N_THREADS,
                int(opts.decode_threads),
            ]
            try:
                cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
            except cv2.error as exc:
                raise SourceError(f"cannot open {self._shown_target}: {mask_text(str(exc))}") from None
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot open {self._shown_target}")
        return cap

    def read(self, stop: threading.Event) -> np.ndarray | None:
        if self._pace:
            due = self._t0 + self._index * self._interval
            now = time.monotonic()
            if due > now:
                if stop.wait(due - now):
                    return None
            else:
                behind = int((now - due) / self._interval)  # whole frames late: skip them
                for _ in range(behind):
                    if not self._cap.grab():
                        break
                    self._index += 1
                    self.skipped += 1
        frame = self._next()
        self._index += 1
        return frame

    def _next(self) -> np.ndarray:
        try:
            ok, frame = self._cap.read()
        except cv2.error as exc:
            raise SourceError(f"decode error: {mask_text(str(exc))}") from None
        if ok and valid_frame(frame):
            return frame
        if self.source.kind != "file":
            raise SourceError("no frame: stream ended, timed out or sent data that does not decode")
        if self._index == 0:
            raise SourceError(f"no frame decodes in {self._shown_target}")
        if not self.source.loop:
            raise EndOfSource()
        # Loop: rewind; the pacing timeline carries on, so the loop point has no jump in time.
        if not self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            raise SourceError(f"cannot rewind {self._shown_target}")
        ok, frame = self._cap.read()
        if not ok or not valid_frame(frame):
            raise SourceError(f"cannot read {self._shown_target} after rewinding")
        return frame

    def release(self) -> None:
        self._cap.release()


class SnapshotReader:
    """A JPEG (or PNG) snapshot URL polled every ``poll_s`` seconds with requests."""

    def __init__(
        self,
        source: Source,
        options: CaptureOptions,
        lookup: CredentialLookup | None = None,
    ) -> None:
        self.source = source
        self.options = options
        self.skipped = 0
        self._shown_target = mask_url(source.target)
        self._url = with_credentials(str(source.target), lookup)
        self._poll_s = source.poll_s if source.poll_s > 0 else options.snapshot_poll_s
        self._session = requests.Session()
        self._next_due = time.monotonic()
        try:
            self._first: np.ndarray | None = self._fetch()  # open == the first successful poll
        except BaseException:
            self._session.close()
            raise

    def _fetch(self) -> np.ndarray:
        opts = self.options
        try:
            with self._session.get(
                self._url, timeout=(opts.open_timeout_s, opts.read_timeout_s), stream=True
            ) as resp:
                if resp.status_code != 200:
                    raise SourceError(f"HTTP {resp.status_code} from {self._shown_target}")
                data = bytearray()
                for chunk in resp.iter_content(65536):
                    data += chunk
                    if len(data) > MAX_SNAPSHOT_BYTES:
                        raise SourceError(f"snapshot larger than {MAX_SNAPSHOT_BYTES} bytes")
        except requests.RequestException as exc:
            raise SourceError(f"{type(exc).__name__}: {mask_text(str(exc))}") from None
        frame = cv2.imdecode(np.frombuffer(bytes(data), dtype=np.uint8), cv2.IMREAD_COLOR)
        if frame is None or not valid_frame(frame):
            raise SourceError(f"not an image ({len(data)} bytes) from {self._shown_target}")
        return np.asarray(frame)

    def read(self, stop: threading.Event) -> np.ndarray | None:
        if self._first is not None:
            frame, self._first = self._first, None
            self._next_due = time.monotonic() + self._poll_s
            return frame
        wait = self._next_due - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return None
        now = time.monotonic()
        self._next_due += self._poll_s
        if self._next_due < now:  # a slow answer: poll again one period from now, not in a burst
            self._next_due = now + self._poll_s
        return self._fetch()

    def release(self) -> None:
        self._session.close()


def open_reader(
    source: Source, options: CaptureOptions, lookup: CredentialLookup | None = None
) -> FrameReader:
    """The right reader for ``source``, opened; raises :class:`SourceError`."""
    if source.kind == "snapshot":
        return SnapshotReader(source, options, lookup)
    return OpenCVReader(source, options, lookup)
