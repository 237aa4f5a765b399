"""One camera's capture: a thread that keeps only the newest frame, and its states.

A :class:`Stream` owns at most one running capture thread. The thread opens
the source, decodes, blacks out privacy masks, resizes to the tile's size and
publishes into a :class:`FrameSlot`; when the source fails it waits out an
exponential backoff with jitter and tries again, for as long as the stream is
wanted. Nothing a camera does (refusing, hanging, sending garbage) raises out
of the thread: it becomes a state and ``last_error``.

Every public method is meant for the GUI thread and returns at once, except
:meth:`Stream.stop` / :meth:`Stream.join`, which wait for the thread.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import re
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rtcc_desktop.video.backoff import Backoff
from rtcc_desktop.video.frames import to_display
from rtcc_desktop.video.masks import PrivacyMask
from rtcc_desktop.video.options import CaptureOptions
from rtcc_desktop.video.readers import EndOfSource, FrameReader, SourceError, open_reader, valid_frame
from rtcc_desktop.video.slot import FrameSlot
from rtcc_desktop.video.snapshot import AuditHook, save_snapshot
from rtcc_desktop.video.sources import Source, camera_urls, classify, needs_request
from rtcc_desktop.video.state import StreamState
from rtcc_desktop.video.stats import FpsMeter, StreamStats
from rtcc_desktop.video.urls import CredentialLookup, keyring_lookup, mask_text, mask_url

log = logging.getLogger(__name__)

_thread_ids = itertools.count(1)

#: Opens a reader for a source; replaceable in tests and benchmarks.
ReaderFactory = Callable[[Source, CaptureOptions, "CredentialLookup | None"], FrameReader]


def camera_from_target(target: str | int | Path, name: str | None = None) -> dict[str, Any]:
    """A minimal camera record for a bare URL, path or device index."""
    value: str | int = target if isinstance(target, int) else str(target)
    if name is None:
        name = Path(value).name if isinstance(value, str) and "://" not in value else mask_url(value)
    return {"name": name, "stream_url": value, "access": "live"}


def _lower_priority(nice: int) -> None:
    """Make the calling thread nicer (Linux threads have their own nice value)."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:  # a sandbox may forbid it; capture works the same, just not nicer
        log.debug("could not lower capture thread priority: %s", exc)


class _Worker:
    """One capture thread and the event that stops it."""

    def __init__(self, thread: threading.Thread, stop: threading.Event) -> None:
        self.thread = thread
        self.stop = stop


class Stream:
    """A camera's capture thread, latest-frame slot, state and figures."""

    def __init__(
        self,
        camera: dict[str, Any] | str | int | Path,
        *,
        name: str | None = None,
        options: CaptureOptions | None = None,
        masks: Any = None,
        credential_lookup: CredentialLookup | None = keyring_lookup,
        loop: bool = True,
        target_size: tuple[int, int] | None = None,
        reader_factory: ReaderFactory = open_reader,
    ) -> None:
        if not isinstance(camera, dict):
            camera = camera_from_target(camera, name)
        self.camera: dict[str, Any] = camera
        self.name: str = str(name or camera.get("name") or mask_url(camera_urls(camera)[0]) or "camera")
        self.options = options or CaptureOptions()
        self.slot = FrameSlot()
        self._lookup = credential_lookup
        self._loop = loop
        self._reader_factory = reader_factory
        self._grid_url, self._main_url = camera_urls(camera)
        self._use_main = False
        self._size = target_size
        self._mask = PrivacyMask(masks if masks is not None else camera.get("privacy_masks"))
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._retiring: list[threading.Thread] = []
        self._fps = FpsMeter(self.options.fps_smoothing)
        self._stall_s = self.options.stall_after_s
        self._last_frame_at: float | None = None
        self._last_full: np.ndarray | None = None
        self.captured = 0
        self.shown = 0
        self.skipped = 0
        self.display_dropped = 0  # taken by a tile but replaced before it was painted
        self.reconnects = 0
        self.last_error: str | None = None
        self.history: deque[tuple[float, StreamState]] = deque(maxlen=64)
        initial = StreamState.REQUEST_FOOTAGE if needs_request(camera) else StreamState.IDLE
        self._state = initial
        self.history.append((time.monotonic(), initial))

    # ----------------------------------------------------------------- state
    @property
    def requires_request(self) -> bool:
        """Private camera without live access: the tile shows who to ask instead of video."""
        return self._state is StreamState.REQUEST_FOOTAGE

    @property
    def url(self) -> str:
        """The URL in use, masked (safe to show)."""
        return mask_url(self._current_target())

    @property
    def state(self) -> StreamState:
        """Current state; *stalled* when live but the newest frame is too old."""
        state = self._state
        if state is StreamState.LIVE:
            last = self._last_frame_at
            if last is not None and time.monotonic() - last > self._stall_after():
                return StreamState.STALLED
        return state

    @property
    def running(self) -> bool:
        """True while a capture thread is wanted (not paused, stopped or ended)."""
        return self._worker is not None and self._state is not StreamState.ENDED

    def _stall_after(self) -> float:
        return self._stall_s

    def _set_state(self, state: StreamState, stop: threading.Event | None = None) -> None:
        """Change state, unless the calling thread has already been told to stop."""
        with self._lock:
            if stop is not None and stop.is_set():
                return
            if self._state is not state:
                self._state = state
                self.history.append((time.monotonic(), state))
                log.debug("%s: %s", self.name, state.value)

    def seen_states(self) -> list[StreamState]:
        """States entered so far, oldest first (diagnostics and tests)."""
        return [s for _, s in list(self.history)]

    # ------------------------------------------------------------- controls
    def set_target_size(self, width: int, height: int) -> None:
        """Frames from now on are fitted into ``width`` x ``height`` pixels."""
        self._size = (int(width), int(height)) if width > 0 and height > 0 else None

    @property
    def target_size(self) -> tuple[int, int] | None:
        return self._size

    def set_main_stream(self, main: bool) -> None:
        """Play the main stream (maximised tile) or the substream (grid)."""
        if main == self._use_main:
            return
        before = self._current_target()
        self._use_main = main
        if self._current_target() != before and self._worker is not None:
            self._restart()

    @property
    def on_main_stream(self) -> bool:
        return self._use_main

    def start(self) -> None:
        """Begin capturing (no-op for request-footage cameras or when running)."""
        self.resume()

    def resume(self) -> None:
        """Start (again) after :meth:`pause`."""
        with self._lock:
            if self._worker is not None or self._state in (StreamState.REQUEST_FOOTAGE, StreamState.STOPPED):
                return
            if self._source_or_none() is None:
                self.last_error = self.last_error or "camera has no stream or snapshot URL"
                self._state = StreamState.OFFLINE
                self.history.append((time.monotonic(), StreamState.OFFLINE))
                return
            self._spawn_locked()

    def pause(self) -> None:
        """Stop decoding and release the source (hidden tile); returns at once."""
        with self._lock:
            if self._worker is None:
                return
            self._retire_locked()
            if self._state not in (StreamState.ENDED, StreamState.STOPPED):
                self._state = StreamState.PAUSED
                self.history.append((time.monotonic(), StreamState.PAUSED))

    def request_stop(self) -> None:
        """Tell the capture thread to finish; :meth:`join` waits for it."""
        with self._lock:
            if self._worker is not None:
                self._retire_locked()
            if self._state is not StreamState.REQUEST_FOOTAGE:
                self._state = StreamState.STOPPED
                self.history.append((time.monotonic(), StreamState.STOPPED))

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every capture thread this stream started; True when all ended.

        A thread blocked inside FFmpeg leaves when the open/read timeout fires,
        so ``timeout`` should exceed ``options.open_timeout_s`` to be sure.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            threads = list(self._retiring)
        for thread in threads:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(remaining)
        with self._lock:
            self._retiring = [t for t in self._retiring if t.is_alive()]
            return not self._retiring

    def stop(self, timeout: float | None = None) -> bool:
        """Stop for good and wait for the thread; True when it has ended."""
        self.request_stop()
        return self.join(timeout)

    def _restart(self) -> None:
        with self._lock:
            if self._worker is None:
                return
            self._retire_locked()
            self._fps.reset()
            self._spawn_locked()

    def _retire_locked(self) -> None:
        worker = self._worker
        assert worker is not None
        worker.stop.set()
        self._worker = None
        self._retiring = [t for t in self._retiring if t.is_alive()]
        self._retiring.append(worker.thread)

    def _spawn_locked(self) -> None:
        source = self._source_or_none()
        if source is None:
            return
        # A polled snapshot URL is "stalled" only after a few missed polls.
        poll = source.poll_s if source.kind == "snapshot" else 0.0
        self._stall_s = max(self.options.stall_after_s, 2.5 * poll)
        stop = threading.Event()
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name)[:24]
        thread = threading.Thread(
            target=self._run,
            args=(source, stop),
            name=f"rtcc-video-{next(_thread_ids)}-{safe}",
            daemon=True,  # a thread stuck in FFmpeg must never keep the app alive
        )
        self._worker = _Worker(thread, stop)
        self._fps.reset()
        self._state = StreamState.CONNECTING
        self.history.append((time.monotonic(), StreamState.CONNECTING))
        thread.start()

    def _current_target(self) -> str | int | None:
        return self._main_url if self._use_main else self._grid_url

    def _source_or_none(self) -> Source | None:
        target = self._current_target()
        if target is None:
            return None
        try:
            return classify(target, loop=self._loop, poll_s=self.options.snapshot_poll_s)
        except ValueError as exc:
            self.last_error = mask_text(str(exc))
            return None

    # --------------------------------------------------------- the thread
    def _run(self, source: Source, stop: threading.Event) -> None:
        _lower_priority(self.options.thread_nice)
        backoff = Backoff(self.options.backoff_base_s, self.options.backoff_max_s)
        shown = mask_url(source.target)
        log.info("%s: opening %s (%s)", self.name, shown, source.kind)
        options = self.options
        if self._use_main and options.decode_threads:
            # A maximised main stream (up to 4K) needs FFmpeg's threads; small substreams do not.
            options = dataclasses.replace(options, decode_threads=0)
        while not stop.is_set():
            frames = 0
            reader: FrameReader | None = None
            try:
                reader = self._reader_factory(source, options, self._lookup)
                frames = self._pump(reader, stop)
            except EndOfSource:
                self._set_state(StreamState.ENDED, stop)
                log.info("%s: end of %s", self.name, shown)
                return
            except SourceError as exc:
                self._fail(str(exc), stop)
            except Exception as exc:  # noqa: BLE001 - a camera must never kill its thread silently
                message = f"{type(exc).__name__}: {mask_text(str(exc))}"
                self._fail(message, stop)
                # The traceback without exc_info: its message could carry a URL with credentials.
                where = "".join(traceback.format_tb(exc.__traceback__))
                log.warning("%s: unexpected error from %s: %s\n%s", self.name, shown, message, where)
            finally:
                if reader is not None:
                    try:
                        reader.release()
                    except Exception:  # noqa: BLE001
                        log.debug("%s: release failed", self.name, exc_info=True)
            if stop.is_set():
                break
            if frames:
                backoff.reset()
            delay = backoff.next_delay()
            with self._lock:
                self.reconnects += 1
            failing = StreamState.OFFLINE if backoff.failures >= self.options.offline_after else StreamState.RECONNECTING
            self._set_state(failing, stop)
            log.info("%s: %s; retry in %.1f s", self.name, failing.value, delay)
            if stop.wait(delay):
                break

    def _fail(self, message: str, stop: threading.Event) -> None:
        with self._lock:
            if stop.is_set():
                return
            self.last_error = message
        log.info("%s: %s", self.name, message)

    def _pump(self, reader: FrameReader, stop: threading.Event) -> int:
        """Read, mask, resize and publish until the reader fails; frames published."""
        frames = 0
        skipped_before = reader.skipped
        while not stop.is_set():
            frame = reader.read(stop)
            if frame is None:
                break
            if not valid_frame(frame):
                raise SourceError("source sent a frame that is not an image")
            frame = self._mask.apply(frame)
            display = to_display(frame, self._size, self.options.exact_area_resize)
            now = time.monotonic()
            wall = time.time()
            with self._lock:
                if stop.is_set():
                    break
                skipped = reader.skipped - skipped_before
                skipped_before = reader.skipped
                self.skipped += skipped
                self.captured += 1
                self._last_full = frame
                self._last_frame_at = now
                self._fps.tick(now)
                if self._state is not StreamState.LIVE:
                    self._state = StreamState.LIVE
                    self.history.append((now, StreamState.LIVE))
                    self.last_error = None
            self.slot.put(display, now, wall)
            frames += 1
        return frames

    # ---------------------------------------------------------- figures
    def note_shown(self, count: int = 1) -> None:
        """A tile painted ``count`` new frames (called from the GUI thread)."""
        self.shown += count

    def note_display_dropped(self, count: int = 1) -> None:
        """A tile took a frame but a newer one replaced it before it was painted."""
        self.display_dropped += count

    def fps(self) -> float:
        """Smoothed capture rate (frames per second)."""
        with self._lock:
            return self._fps.fps(time.monotonic())

    def stats(self) -> StreamStats:
        """A consistent copy of this stream's figures."""
        now = time.monotonic()
        with self._lock:
            last = self._last_frame_at
            return StreamStats(
                name=self.name,
                state=self.state.value,
                url=mask_url(self._current_target()),
                fps=round(self._fps.fps(now), 2),
                captured=self.captured,
                shown=self.shown,
                dropped=self.slot.overwritten + self.skipped + self.display_dropped,
                produced=self.captured + self.skipped,
                reconnects=self.reconnects,
                last_error=self.last_error,
                frame_age_s=None if last is None else round(now - last, 3),
            )

    # --------------------------------------------------------- snapshots
    def last_frame(self) -> np.ndarray | None:
        """The newest full-size frame (privacy masks applied), or None."""
        return self._last_full

    def snapshot(
        self, directory: str | Path, audit: AuditHook | None = None, params: dict[str, Any] | None = None
    ) -> Path | None:
        """Save the newest full-size frame as evidence (see :func:`save_snapshot`).

        Returns None when there is no frame yet (camera offline or request-only).
        """
        frame = self._last_full
        if frame is None:
            return None
        extra: dict[str, Any] = {"url": mask_url(self._current_target())}
        for key in ("id", "source", "source_id"):
            if self.camera.get(key) is not None:
                extra[f"camera_{key}"] = self.camera[key]
        extra.update(params or {})
        return save_snapshot(frame, directory, self.name, audit=audit, params=extra)
