"""Loopback camera servers for the video tests, fed with frames of the real clips.

:class:`MjpegServer` speaks what IP cameras speak: ``multipart/x-mixed-replace``
MJPEG at ``/video.mjpg`` and single JPEGs at ``/snapshot.jpg``. Its faults are
scripted per test (refuse with 503, go silent mid-stream, send random bytes
as JPEG parts, demand Basic auth). :class:`SilentServer` accepts TCP
connections and never says a word.
"""

from __future__ import annotations

import base64
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2

BOUNDARY = "rtccframe"


def encode_clip(path: Path, count: int, quality: int = 80) -> list[bytes]:
    """The first ``count`` frames of a real clip as JPEG bytes."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames: list[bytes] = []
    try:
        while len(frames) < count:
            ok, frame = cap.read()
            if not ok:
                break
            ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            frames.append(buf.tobytes())
    finally:
        cap.release()
    assert frames, f"no frames decoded from {path}"
    return frames


def free_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MjpegServer:
    """An MJPEG camera on 127.0.0.1 with switchable faults.

    ``refuse``: this many next requests get 503. ``frames_per_connection``:
    after that many frames the connection stays open but silent. ``garbage``:
    parts carry random bytes instead of JPEG. ``auth``: "user:password"
    required (Basic), else 401.
    """

    def __init__(self, frames: list[bytes], fps: float = 12.5, port: int = 0) -> None:
        self.frames = frames
        self.fps = fps
        self.refuse = 0
        self.frames_per_connection: int | None = None
        self.garbage = False
        self.auth: str | None = None
        self.requests: list[str] = []
        self.auth_headers: list[str | None] = []
        self.frames_sent = 0
        self._closing = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="test-mjpeg-server", daemon=True)

    def start(self) -> MjpegServer:
        self._thread.start()
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def video_url(self) -> str:
        return f"{self.base}/video.mjpg"

    @property
    def snapshot_url(self) -> str:
        return f"{self.base}/snapshot.jpg"

    def stop(self) -> None:
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- serving
    def _payload(self, i: int) -> bytes:
        if self.garbage:
            return os.urandom(len(self.frames[0]))
        return self.frames[i % len(self.frames)]

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(h.path)
            self.auth_headers.append(h.headers.get("Authorization"))
            refuse = self.refuse > 0
            if refuse:
                self.refuse -= 1
        if refuse:
            h.send_response(503)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if self.auth is not None:
            expected = "Basic " + base64.b64encode(self.auth.encode()).decode()
            if h.headers.get("Authorization") != expected:
                h.send_response(401)
                h.send_header("WWW-Authenticate", 'Basic realm="camera"')
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
        if h.path.startswith("/snapshot"):
            body = self._payload(len(self.requests))
            h.send_response(200)
            h.send_header("Content-Type", "image/jpeg")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
            return
        if not h.path.startswith("/video"):
            h.send_error(404)
            return
        h.send_response(200)
        h.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()
        interval = 1.0 / self.fps
        next_at = time.monotonic()
        i = 0
        try:
            while not self._closing.is_set():
                if self.frames_per_connection is not None and i >= self.frames_per_connection:
                    self._closing.wait(60)  # silent, connection kept open
                    return
                data = self._payload(i)
                h.wfile.write(
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(data)}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
                h.wfile.flush()
                with self._lock:
                    self.frames_sent += 1
                i += 1
                next_at += interval
                self._closing.wait(max(0.0, next_at - time.monotonic()))
        except OSError:
            return  # the client went away


class SilentServer:
    """Accepts TCP connections and never sends a byte (a hung camera)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="test-silent-server", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        for conn in self._conns:
            conn.close()
        self._thread.join(5)
