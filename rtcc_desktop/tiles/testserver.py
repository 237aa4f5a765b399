"""A loopback XYZ tile server for tests and benchmarks (127.0.0.1 only, bounded, stoppable)."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rtcc_desktop.tiles.source import _png

_PATH = re.compile(r"^/tiles/(\d+)/(\d+)/(\d+)\.png$")


def coloured_tile(z: int, x: int, y: int) -> bytes:
    """A small PNG whose colour depends on the address (so tests can tell tiles apart)."""
    colour = bytes(((z * 40) % 256, (x * 70) % 256, (y * 90) % 256))
    row = colour * 16
    return _png(16, 16, [row] * 16)


class TileServer:
    """Serves ``/tiles/{z}/{x}/{y}.png`` on 127.0.0.1; counts requests; ``missing`` gives 404s."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.missing: set[tuple[int, int, int]] = set()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                owner.requests.append(self.path)
                m = _PATH.match(self.path.split("?")[0])
                if not m:
                    self.send_error(404)
                    return
                z, x, y = (int(g) for g in m.groups())
                if (z, x, y) in owner.missing:
                    self.send_error(404)
                    return
                body = coloured_tile(z, x, y)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url_template = f"http://127.0.0.1:{self.port}/tiles/{{z}}/{{x}}/{{y}}.png"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="rtcc-test-tileserver", daemon=True)

    def start(self) -> TileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket: later requests are refused."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()

    def __enter__(self) -> TileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
