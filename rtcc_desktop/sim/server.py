"""The simulator's HTTP side: routes, conditional GET, faults, MJPEG streaming.

Each connection runs on its own ``rtcc-sim-conn-N`` thread. The server keeps
track of open connections so ``stop()`` can close idle keep-alive sockets and
end video streams and injected delays at once, then join every thread.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import socket
import sys
import threading
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from rtcc_desktop.sim import payloads
from rtcc_desktop.sim.faults import DROPPED, Planned
from rtcc_desktop.sim.soda import SodaError
from rtcc_desktop.sim.video import FPS

if TYPE_CHECKING:
    from rtcc_desktop.sim.simulator import Simulator

log = logging.getLogger(__name__)

BOUNDARY = "frame"
_VIDEO = re.compile(r"^/video/([A-Za-z0-9_-]+)\.mjpg$")
_SNAPSHOT = re.compile(r"^/snapshot/([A-Za-z0-9_-]+)\.jpg$")
_TILE = re.compile(r"^/tiles/(\d{1,2})/(\d{1,8})/(\d{1,8})\.png$")


class SimServer(ThreadingHTTPServer):
    """ThreadingHTTPServer whose connection threads are named, tracked and joined."""

    daemon_threads = True
    block_on_close = False  # stop() closes and joins connections itself

    def __init__(self, address: tuple[str, int], sim: "Simulator") -> None:
        self.sim = sim
        self._conn_lock = threading.Lock()
        self._conns: dict[threading.Thread, socket.socket] = {}
        self._seq = itertools.count(1)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        t = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"rtcc-sim-conn-{next(self._seq)}",
            daemon=True,
        )
        with self._conn_lock:
            self._conns[t] = request
        t.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._conns.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            log.debug("connection from %s ended: %s", client_address, exc)
        else:
            log.exception("error serving %s", client_address)

    def close_connections(self, timeout: float = 5.0) -> list[str]:
        """Shut every open connection and join its thread; returns names still alive."""
        with self._conn_lock:
            items = list(self._conns.items())
        for _t, sock in items:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t, _ in items:
            t.join(timeout)
        return [t.name for t, _ in items if t.is_alive()]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "RTCC-Sim/1.0"
    timeout = 120  # idle keep-alive connections and stalled writers give up
    disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stalls
    server: SimServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s %s", self.address_string(), self._masked(format % args))

    def _masked(self, text: str) -> str:
        """``text`` with the app token blanked out: tokens never reach a log."""
        token = self.server.sim.token
        return text.replace(token, "***") if token else text

    # ------------------------------------------------------------------ plumbing
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        sim = self.server.sim
        url = urlsplit(self.path)
        self._path, self._query = url.path, self._masked(url.query)
        self._params = dict(parse_qsl(url.query, keep_blank_values=True))
        plan = sim.faults.plan(self._path)
        self._plan = plan
        self._fault = ",".join(plan.names) or None
        if plan.delay_s > 0 and sim.stop_event.wait(plan.delay_s):
            self._drop()
            return
        if plan.drop:
            self._drop()
            return
        if plan.fail_status is not None:
            headers = {"Retry-After": f"{plan.retry_after:g}"} if plan.retry_after is not None else {}
            message = "Too many requests" if plan.fail_status == 429 else "Internal error" if plan.fail_status >= 500 else "Request failed"
            self._json(plan.fail_status, {"error": True, "message": message, "status": plan.fail_status}, headers)
            return
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # a simulator bug: say so instead of hanging up
            log.exception("simulator failed on %s", self._masked(self.path))
            self.close_connection = True
            self._json(500, {"error": True, "message": "simulator error (see its log)", "status": 500})

    def _drop(self) -> None:
        self.close_connection = True
        self.server.sim.faults.log(self._path, DROPPED, self._query, self._fault)

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        plan: Planned = self._plan
        declared = len(body)
        cut = plan.truncate and status == 200 and not self._path.startswith(("/video/", "/snapshot/", "/tiles/"))
        if cut:
            body = body[: len(body) // 2]
            if not plan.truncate_full_length:
                declared = len(body)
        # log first: a client that has its answer must find it in the log
        self.server.sim.faults.log(self._path, status, self._query, self._fault)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(declared))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if cut and plan.truncate_full_length:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, payloads.dumps(data), "application/json; charset=utf-8", headers)

    def _feed(self, body: bytes, ctype: str, last_change: float) -> None:
        """200 with validators, or 304 when the client's copy is current."""
        sim = self.server.sim
        # a rename_field fault is a change too: never answer 304 across it
        last_change = max(last_change, sim.faults.schema_changed_at(sim.clock.now()))
        etag = '"' + hashlib.sha1(body).hexdigest()[:24] + '"'
        last_modified = formatdate(int(last_change), usegmt=True)
        validators = {"ETag": etag, "Last-Modified": last_modified, "Cache-Control": "no-cache"}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        fresh = False
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            fresh = "*" in tags or etag in tags or f"W/{etag}" in tags
        elif ims is not None:
            try:
                fresh = int(last_change) <= parsedate_to_datetime(ims).timestamp()
            except (TypeError, ValueError, IndexError):
                fresh = False
        if fresh:
            self._send(304, b"", ctype, validators)
        else:
            self._send(200, body, ctype, validators)

    # ------------------------------------------------------------------ routes
    def _route(self) -> None:
        sim = self.server.sim
        path = self._path
        if path == "/health":
            self._json(200, sim.health())
        elif path == "/":
            self._json(200, sim.index())
        elif path.startswith("/resource/"):
            self._cad()
        elif path == "/gunshots.geojson":
            self._gunshots()
        elif path == "/alpr.json":
            self._alpr()
        elif path == "/cameras.geojson":
            body = payloads.cameras_body(sim.registry, sim.base_url or "", sim.faults.renames(path))
            self._feed(body, "application/geo+json", sim.start_epoch)
        elif path == "/hotlist.csv":
            self._feed(payloads.hotlist_body(sim.registry), "text/csv; charset=utf-8", sim.start_epoch)
        elif m := _VIDEO.match(path):
            self._video(m.group(1))
        elif m := _SNAPSHOT.match(path):
            self._snapshot(m.group(1))
        elif m := _TILE.match(path):
            self._tile(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        else:
            self._json(404, {"error": True, "message": f"no such path: {path}", "status": 404})

    def _cad(self) -> None:
        sim = self.server.sim
        if self._path != "/resource/cad.json":
            self._json(404, {"code": "not_found", "error": True, "message": "Dataset not found", "status": 404})
            return
        if sim.token is not None:
            given = self.headers.get("X-App-Token") or self._params.get("$$app_token")
            if not given:
                message = "An app token is required for this dataset (send it in the X-App-Token header)"
                self._json(403, {"code": "permission_denied", "error": True, "message": message, "status": 403})
                return
            if given != sim.token:
                self._json(403, {"code": "invalid_app_token", "error": True, "message": "Invalid app_token specified", "status": 403})
                return
        now = sim.clock.now()
        renames = sim.faults.renames("/resource/cad.json")
        try:
            body = payloads.cad_body(sim.timeline, now, self._params, renames, self._plan.duplicate)
        except SodaError as exc:
            self._json(400, exc.body())
            return
        self._feed(body, "application/json; charset=utf-8", sim.timeline.last_change("cad", now))

    def _gunshots(self) -> None:
        sim = self.server.sim
        now = sim.clock.now()
        try:
            since = payloads.parse_since(self._params.get("since"))
        except payloads.BadRequest as exc:
            self._json(400, {"error": True, "message": str(exc), "status": 400})
            return
        body = payloads.gunshots_body(sim.timeline, now, since, self._plan.duplicate, sim.faults.renames(self._path))
        self._feed(body, "application/geo+json", sim.timeline.last_change("gunshot", now))

    def _alpr(self) -> None:
        sim = self.server.sim
        now = sim.clock.now()
        try:
            since = payloads.parse_since(self._params.get("since"))
            limit = int(self._params.get("limit") or payloads.MAX_LIMIT)
            offset = int(self._params.get("offset") or 0)
            body = payloads.alpr_body(sim.timeline, now, since, limit, offset, self._plan.duplicate, sim.faults.renames(self._path))
        except ValueError as exc:  # BadRequest, or int() of junk
            self._json(400, {"error": True, "message": str(exc), "status": 400})
            return
        self._feed(body, "application/json; charset=utf-8", sim.timeline.last_change("alpr", now))

    def _camera_or_error(self, cam_id: str) -> dict | None:
        cam = self.server.sim.registry.camera(cam_id)
        if cam is None:
            self._json(404, {"error": True, "message": f"no camera {cam_id}", "status": 404})
            return None
        if cam["access"] != "live":
            self._json(
                403,
                {
                    "error": True,
                    "message": f"{cam['name']} is a private camera: request footage from {cam['owner']} ({cam['contact']})",
                    "status": 403,
                },
            )
            return None
        return cam

    def _size(self) -> str:
        return "sub" if self._params.get("size") == "sub" else "main"

    def _snapshot(self, cam_id: str) -> None:
        cam = self._camera_or_error(cam_id)
        if cam is None:
            return
        sim = self.server.sim
        jpg = sim.render(sim.frames.jpeg, cam["id"], cam["name"], sim.clock.now(), self._size())
        self._send(200, jpg, "image/jpeg", {"Cache-Control": "no-cache, no-store"})

    def _video(self, cam_id: str) -> None:
        cam = self._camera_or_error(cam_id)
        if cam is None:
            return
        sim = self.server.sim
        size = self._size()
        cut_at = self._plan.truncate_frames if self._plan.truncate else None
        self.close_connection = True
        sim.faults.log(self._path, 200, self._query, self._fault)
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache, no-store")
        self.send_header("Pragma", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        period = 1.0 / FPS
        sent = 0
        stop = sim.stop_event
        next_at = sim.monotonic()
        try:
            while not stop.is_set():
                jpg = sim.render(sim.frames.jpeg, cam["id"], cam["name"], sim.clock.now(), size)
                part = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpg)}\r\n\r\n".encode("ascii")
                if cut_at is not None and sent >= cut_at:
                    self.wfile.write(part + jpg[: len(jpg) // 2])
                    self.wfile.flush()
                    return
                self.wfile.write(part + jpg + b"\r\n")
                self.wfile.flush()
                sent += 1
                next_at += period
                delay = next_at - sim.monotonic()
                if delay < 0:  # fell behind (slow client): skip ahead, never burst
                    next_at, delay = sim.monotonic(), 0.0
                if stop.wait(delay):
                    return
        except OSError as exc:  # viewer closed the stream, or stop() shut the socket
            log.debug("stream %s ended: %s", cam_id, exc)

    def _tile(self, z: int, x: int, y: int) -> None:
        try:
            png = self.server.sim.render(self.server.sim.tiles.tile, z, x, y)
        except ValueError as exc:
            self._json(404, {"error": True, "message": str(exc), "status": 404})
            return
        self._send(200, png, "image/png", {"Cache-Control": "public, max-age=86400"})

