"""A scripted HTTP server on 127.0.0.1 for feed tests: canned replies and a request log.

Each path gets a queue of :class:`Reply` objects (the last one repeats) or a
function of the request. Every request is logged, so tests count retries by
reading the server's log, as an operator would.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait before sending anything (read timeouts)
    drop: bool = False  # close the connection without a response


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Request], Reply]


class LoopbackServer:
    def __init__(self) -> None:
        self.log: list[Request] = []
        self._routes: dict[str, list[Reply] | Handler] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                req = Request(
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                    {k: v for k, v in self.headers.items()},
                )
                reply = server._reply(req)
                if reply.delay_s:
                    server._closing.wait(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="rtcc-test-http")

    def _reply(self, req: Request) -> Reply:
        with self._lock:
            self.log.append(req)
            route = self._routes.get(req.path)
            if route is None:
                return Reply(404, b'{"error": true, "message": "no such path"}')
            if callable(route):
                return route(req)
            return route.pop(0) if len(route) > 1 else route[0]

    def route(self, path: str, *replies: Reply | Handler) -> None:
        with self._lock:
            if len(replies) == 1 and callable(replies[0]):
                self._routes[path] = replies[0]
            else:
                self._routes[path] = list(replies)  # type: ignore[arg-type]

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "LoopbackServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(5)


class FakeSoda:
    """A tiny Socrata dataset: ``$select``, ``$order``, ``$limit``, ``$offset`` and the
    keyset ``$where`` forms the sync engine sends, over rows the test edits live."""

    _WHERE = re.compile(
        r"^:updated_at (>=|>) '((?:[^']|'')*)'(?: OR \(:updated_at = '((?:[^']|'')*)' AND :id > '((?:[^']|'')*)'\))?$"
    )

    def __init__(self, server: LoopbackServer, path: str = "/resource/test.json") -> None:
        self.rows: dict[str, dict] = {}
        self.lock = threading.Lock()
        self.path = path
        self.truncate_next = 0
        server.route(path, self._serve)

    def put(self, row_id: str, updated_at: str, **values: object) -> None:
        with self.lock:
            self.rows[row_id] = {":id": row_id, ":updated_at": updated_at, **values}

    def _serve(self, req: Request) -> Reply:
        q = req.query
        with self.lock:
            rows = sorted(self.rows.values(), key=lambda r: (r[":updated_at"], r[":id"]))
            if q.get("$order", ":id").replace(" ", "") == ":id":
                rows = sorted(self.rows.values(), key=lambda r: r[":id"])
            where = q.get("$where")
            if where:
                m = self._WHERE.match(where)
                if not m:
                    return Reply(400, json.dumps({"error": True, "message": f"unsupported $where {where}"}).encode())
                op, at, rid = m.group(1), m.group(2).replace("''", "'"), m.group(4)
                if op == ">=":
                    rows = [r for r in rows if r[":updated_at"] >= at]
                else:
                    rid = rid.replace("''", "'") if rid is not None else None
                    rows = [
                        r for r in rows
                        if r[":updated_at"] > at or (rid is not None and r[":updated_at"] == at and r[":id"] > rid)
                    ]
            offset, limit = int(q.get("$offset", 0)), int(q.get("$limit", 1000))
            rows = rows[offset : offset + limit]
            if ":*" not in q.get("$select", ""):
                rows = [{k: v for k, v in r.items() if not k.startswith(":")} for r in rows]
            body = json.dumps(rows).encode()
            if self.truncate_next:
                self.truncate_next -= 1
                body = body[: len(body) // 2]
        return Reply(200, body)
