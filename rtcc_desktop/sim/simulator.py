"""The built-in simulator: a loopback HTTP server with a whole city's feeds.

``rtcc-desktop --demo`` and ``rtcc-desktop sim`` run on it, and the feed,
store and UI tests sync against it over a real socket.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, TypeVar

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.sim.city import OXFORD_PD, City
from rtcc_desktop.sim.clock import SimClock, to_epoch
from rtcc_desktop.sim.events import Timeline, utc_iso
from rtcc_desktop.sim.faults import Faults
from rtcc_desktop.sim.registry import Reader, Registry
from rtcc_desktop.sim.server import SimServer
from rtcc_desktop.sim.tiles import TileRenderer
from rtcc_desktop.sim.video import FrameSource

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_CENTER = (33.6145, -85.8350)
LOCAL_TIMEZONE = "America/Chicago"
TOKEN_ENV = "RTCC_SIM_TOKEN"
#: Threads that draw tiles and video frames. OpenCV sets up its fonts once per
#: thread (tens of ms), so drawing on a few long-lived threads instead of on
#: each connection's thread keeps every request fast.
RENDER_THREADS = 2

T = TypeVar("T")
_FEED_KEY_ORDER = (
    "name", "kind", "format", "url", "interval_s", "agency", "timezone", "bbox",
    "fields", "time_format", "page_size", "since_param", "token_env",
)


class Simulator:
    """A simulated city served on 127.0.0.1.

    Same ``seed`` and ``start`` give the same city and the same events. The
    simulated clock (``self.clock``) starts at ``start`` (default: now) and
    runs at real speed; tests may ``freeze``/``advance`` it. ``history``
    events are already in the past at ``start``.
    """

    #: Monotonic time source used to pace video (replaceable in tests).
    monotonic = staticmethod(time.monotonic)

    def __init__(
        self,
        port: int = 0,
        seed: int = 1,
        rate_per_min: float = 30.0,
        history: int = 500,
        center: tuple[float, float] = DEFAULT_CENTER,
        start: datetime | str | float | None = None,
        token: str | None = None,
    ) -> None:
        self.port = int(port)
        self.seed = int(seed)
        self.rate_per_min = float(rate_per_min)
        self.history = int(history)
        self.center = (float(center[0]), float(center[1]))
        self.token = token
        self.start_epoch = float(int(to_epoch(start)))
        self.clock = SimClock(self.start_epoch)
        self.city = City(self.seed, self.center)
        self.registry = Registry(self.city, self.seed, self.start_epoch)
        self.timeline = Timeline(self.city, self.registry, self.seed, self.rate_per_min, self.history, self.start_epoch)
        self.frames = FrameSource(self.seed)
        self.tiles = TileRenderer(self.city)
        self.faults = Faults()
        self.stop_event = threading.Event()
        self.base_url: str | None = None
        self._server: SimServer | None = None
        self._thread: threading.Thread | None = None
        self._render_pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> str:
        """Bind 127.0.0.1:port and serve on an ``rtcc-sim`` thread; returns the base URL."""
        with self._lock:
            if self._server is not None:
                assert self.base_url is not None
                return self.base_url
            self.stop_event.clear()
            server = SimServer((HOST, self.port), self)
            self._render_pool = ThreadPoolExecutor(RENDER_THREADS, thread_name_prefix="rtcc-sim-render")
            self._server = server
            self.port = server.server_address[1]
            self.base_url = f"http://{HOST}:{self.port}"
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="rtcc-sim", daemon=True
            )
            self._thread.start()
        log.info("simulator serving on %s (seed %s, %g events/min)", self.base_url, self.seed, self.rate_per_min)
        return self.base_url

    def stop(self) -> None:
        """Stop serving: end streams and delays, close sockets, join every thread."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self.stop_event.set()
        server.shutdown()
        if thread is not None:
            thread.join()
        stuck = server.close_connections()
        server.server_close()
        pool, self._render_pool = self._render_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if stuck:
            log.warning("simulator connections still open after stop: %s", ", ".join(stuck))
        log.info("simulator on %s stopped", self.base_url)

    def render(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a drawing job (tile, frame) on a render thread and wait for it."""
        pool = self._render_pool
        if pool is None:
            return fn(*args)
        try:
            future = pool.submit(fn, *args)
        except RuntimeError:  # pool shut down by stop(): draw here instead
            return fn(*args)
        return future.result()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __enter__(self) -> "Simulator":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ what it serves
    @property
    def bbox(self) -> BBox:
        """The service area every event lies in (west, south, east, north)."""
        return self.city.bbox

    def url(self, path: str) -> str:
        if self.base_url is None:
            raise RuntimeError("the simulator is not started; call start() first")
        return self.base_url + path

    def cameras(self) -> list[dict[str, Any]]:
        """The camera registry as /cameras.geojson serves it (one flat dict per camera)."""
        return self.registry.cameras(self.base_url or f"http://{HOST}:{self.port}")

    def alpr_readers(self) -> list[Reader]:
        """The fixed ALPR cameras plate reads come from (``camera_id`` values ``ALPR-nn``)."""
        return list(self.registry.readers)

    def hotlist(self) -> list[dict[str, str]]:
        """The demo hot list (plate, state, reason, expiry); these plates show up in ALPR reads."""
        return [dict(r) for r in self.registry.hotlist]

    def now_iso(self) -> str:
        """Simulated now, canonical UTC text."""
        return utc_iso(self.clock.now())

    def health(self) -> dict[str, Any]:
        now = self.clock.now()
        counts = self.timeline.counts(now)
        counts["camera"] = len(self.registry.cameras(""))
        return {
            "status": "ok",
            "service": "rtcc-desktop simulator",
            "seed": self.seed,
            "rate_per_min": self.rate_per_min,
            "start": utc_iso(self.start_epoch),
            "now": utc_iso(now),
            "clock": "frozen" if self.clock.frozen else "running",
            "counts": counts,
            "token_required": self.token is not None,
        }

    def index(self) -> dict[str, Any]:
        base = self.base_url or ""
        return {
            "service": "rtcc-desktop simulator",
            "endpoints": {
                "cad": f"{base}/resource/cad.json",
                "gunshots": f"{base}/gunshots.geojson",
                "alpr": f"{base}/alpr.json",
                "cameras": f"{base}/cameras.geojson",
                "hotlist": f"{base}/hotlist.csv",
                "video": f"{base}/video/<camera_id>.mjpg",
                "snapshot": f"{base}/snapshot/<camera_id>.jpg",
                "tiles": f"{base}/tiles/{{z}}/{{x}}/{{y}}.png",
                "health": f"{base}/health",
            },
        }

    def feeds_toml(
        self,
        interval_s: float = 5.0,
        *,
        prefix: str = "sim-",
        agency: str = OXFORD_PD,
        token_env: str = TOKEN_ENV,
        camera_interval_s: float = 300.0,
    ) -> str:
        """A settings file whose ``[[feeds]]`` point at this simulator (after ``start()``).

        When the simulator has a token, the CAD feed names ``token_env`` as the
        environment variable that holds it (the file never holds the token).
        """
        base = self.url("")
        bbox = list(self.bbox)
        q = json.dumps

        def table(pairs: dict[str, str]) -> str:
            return "{ " + ", ".join(f"{k} = {q(v)}" for k, v in pairs.items()) + " }"

        feeds: list[dict[str, Any]] = [
            dict(
                name=f"{prefix}cad",
                kind="cad",
                format="soda",
                url=f"{base}/resource/cad.json",
                interval_s=interval_s,
                timezone=LOCAL_TIMEZONE,
                time_format="%Y-%m-%dT%H:%M:%S.%f",
                fields=dict(
                    source_id="incident_number",
                    time="datetime",
                    type="call_type",
                    priority="priority",
                    address="address",
                    narrative="narrative",
                    lat="latitude",
                    lon="longitude",
                    agency="agency",
                ),
                page_size=1000,
                **({"token_env": token_env} if self.token is not None else {}),
            ),
            dict(
                name=f"{prefix}gunshots",
                kind="gunshot",
                format="geojson",
                url=f"{base}/gunshots.geojson",
                interval_s=interval_s,
                timezone="UTC",
                fields=dict(source_id="id", time="time", rounds="rounds", type="type", agency="agency"),
                since_param="since",
            ),
            dict(
                name=f"{prefix}alpr",
                kind="alpr",
                format="json",
                url=f"{base}/alpr.json",
                interval_s=interval_s,
                timezone="UTC",
                fields=dict(
                    source_id="read_id",
                    plate="plate",
                    state="state",
                    time="read_time",
                    lat="lat",
                    lon="lon",
                    camera="camera_id",
                    agency="agency",
                ),
                since_param="since",
            ),
            dict(
                name=f"{prefix}cameras",
                kind="camera",
                format="geojson",
                url=f"{base}/cameras.geojson",
                interval_s=camera_interval_s,
                timezone="UTC",
                fields=dict(
                    source_id="id",
                    name="name",
                    owner="owner",
                    contact="contact",
                    ownership="ownership",
                    access="access",
                    heading="heading",
                    fov_deg="fov_deg",
                    range_m="range_m",
                    address="address",
                    agency="agency",
                    stream_url="stream_url",
                    substream_url="substream_url",
                    snapshot_url="snapshot_url",
                ),
            ),
        ]
        lines = [
            f"# RTCC Desktop demo: the built-in simulator at {base} (seed {self.seed}).",
            "# Hot list (plate,state,reason,expiry): " + f"{base}/hotlist.csv",
            "",
            "[centre]",
            'name = "Oxford AL RTCC (simulated)"',
            f"timezone = {q(LOCAL_TIMEZONE)}",
            "",
            "[map]",
            f"tile_url = {q(base + '/tiles/{z}/{x}/{y}.png')}",
            'attribution = "Simulated city - RTCC Desktop demo"',
        ]
        for feed in feeds:
            lines += ["", "[[feeds]]"]
            feed.setdefault("agency", agency)
            feed["bbox"] = bbox
            for key in _FEED_KEY_ORDER:
                if key not in feed:
                    continue
                v = feed[key]
                if key == "fields":
                    lines.append(f"fields = {table(v)}")
                elif key == "bbox":
                    lines.append("bbox = [" + ", ".join(f"{x:.5f}" for x in v) + "]")
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    lines.append(f"{key} = {v!r}")
                else:
                    lines.append(f"{key} = {q(v)}")
        return "\n".join(lines) + "\n"


def run_forever(
    port: int = 8765,
    seed: int = 1,
    rate: float = 30.0,
    announce: Callable[[str], None] | None = None,
    *,
    history: int = 500,
    token: str | None = None,
    until: threading.Event | None = None,
    write_config: Path | None = None,
) -> None:
    """Serve the simulator until Ctrl+C (or ``until`` is set); what ``rtcc-desktop sim`` runs.

    ``write_config`` saves a feeds TOML pointing at this server, so
    ``rtcc-desktop --config PATH sync`` can be tried against it at once.
    """
    sim = Simulator(port=port, seed=seed, rate_per_min=rate, history=history, token=token)
    base = sim.start()
    if write_config is not None:
        # whole or not at all: a parent process waits for this file to learn our address
        write_config.parent.mkdir(parents=True, exist_ok=True)
        partial = write_config.with_name(write_config.name + ".partial")
        partial.write_text(sim.feeds_toml(), encoding="utf-8")
        os.replace(partial, write_config)
    lines = [
        f"RTCC simulator on {base} (seed {seed}, {rate:g} events/min). Ctrl+C stops it.",
        *([f"  feeds config written to {write_config}"] if write_config is not None else []),
        f"  CAD (SODA)  {base}/resource/cad.json",
        f"  gunshots    {base}/gunshots.geojson",
        f"  ALPR        {base}/alpr.json",
        f"  cameras     {base}/cameras.geojson",
        f"  hot list    {base}/hotlist.csv",
        f"  map tiles   {base}/tiles/{{z}}/{{x}}/{{y}}.png",
    ]
    log.info("simulator serving on %s", base)
    if announce is not None:
        for line in lines:
            announce(line)
    waiter = until or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        log.info("simulator interrupted")
    finally:
        sim.stop()
