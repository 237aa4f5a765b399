"""Fetch tiles from an XYZ URL, keep them in the cache, and say where each came from.

Blocking calls only: the UI calls :meth:`TileSource.get` on a worker thread,
never on the GUI thread. After a network failure the source stops trying the
network for ``offline_backoff_s`` so a dead link does not make every tile wait
for a timeout; cached tiles are served all the while.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

import requests

from rtcc_desktop import __version__
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.tiles.cache import TileCache
from rtcc_desktop.tiles.math import count_tiles, tiles_in_bbox, valid_tile

log = logging.getLogger(__name__)

TileOrigin = Literal["cache", "network", "offline"]

#: OpenStreetMap's tile usage policy asks for an identifying User-Agent.
USER_AGENT = f"RTCC-Desktop/{__version__} (analyst workstation; tile cache)"
#: A pre-fetch larger than this is refused (tile servers forbid bulk scraping).
MAX_PREFETCH_TILES = 20000

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


@dataclass(frozen=True)
class TileResult:
    data: bytes
    origin: TileOrigin
    mime: str = "image/png"
    #: Why the network was not used or failed (for the status bar), else "".
    error: str = ""


@dataclass
class PrefetchReport:
    requested: int = 0
    fetched: int = 0
    already_cached: int = 0
    failed: int = 0
    cancelled: bool = False
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.requested} tiles: {self.fetched} downloaded, "
            f"{self.already_cached} already cached, {self.failed} failed"
        )
        return text + (" (cancelled)" if self.cancelled else "")


def sniff_mime(data: bytes) -> str | None:
    """The image type of ``data``, or None when it is not an image (e.g. an HTML error page)."""
    if data.startswith(_PNG):
        return "image/png"
    if data.startswith(_JPEG):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class TileSource:
    """Cache first, then the network; the offline tile when neither has it."""

    def __init__(
        self,
        url_template: str,
        cache: TileCache,
        *,
        subdomains: str = "abc",
        max_zoom: int = 19,
        timeout_s: float = 6.0,
        offline_backoff_s: float = 15.0,
        offline_tile: bytes | None = None,
        session_factory: Callable[[], requests.Session] | None = None,
    ) -> None:
        if "{z}" not in url_template or "{x}" not in url_template or "{y}" not in url_template:
            raise ValueError(f"tile URL {url_template!r} must contain {{z}}, {{x}} and {{y}}")
        self.url_template = url_template
        self.cache = cache
        self.subdomains = subdomains or "a"
        self.max_zoom = max_zoom
        self.timeout_s = timeout_s
        self.offline_backoff_s = offline_backoff_s
        self.offline_tile = offline_tile or offline_tile_png()
        self._session_factory = session_factory or requests.Session
        self._local = threading.local()
        self._lock = threading.Lock()
        self._stats = {"network": 0, "cache": 0, "offline": 0, "errors": 0}
        self._offline_until = 0.0
        self.last_error = ""

    # ------------------------------------------------------------------ helpers
    def url_for(self, z: int, x: int, y: int) -> str:
        s = self.subdomains[(x + y) % len(self.subdomains)]
        return self.url_template.format(z=z, x=x, y=y, s=s, r="")

    def _session(self) -> requests.Session:
        sess = getattr(self._local, "session", None)
        if sess is None:
            sess = self._session_factory()
            sess.headers["User-Agent"] = USER_AGENT
            self._local.session = sess
        return sess

    def _count(self, key: str) -> None:
        with self._lock:
            self._stats[key] += 1

    @property
    def stats(self) -> dict[str, int]:
        """Tiles served from network, cache and as offline placeholders so far."""
        with self._lock:
            return dict(self._stats)

    @property
    def offline(self) -> bool:
        """True while the network is being skipped after a failure."""
        return time.monotonic() < self._offline_until

    def reset_backoff(self) -> None:
        """Try the network again on the next miss (e.g. after the user asks to retry)."""
        self._offline_until = 0.0

    # ------------------------------------------------------------------ fetching
    def fetch(self, z: int, x: int, y: int) -> bytes:
        """Download one tile (no cache); raises ``OSError`` with the reason on failure."""
        url = self.url_for(z, x, y)
        if url.lower().startswith("file://"):
            return self._read_file(url, z, x, y)
        try:
            resp = self._session().get(url, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise OSError(f"cannot reach the tile server: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise FileNotFoundError(f"tile server answered HTTP {resp.status_code} for z{z}/{x}/{y}")
        data = resp.content
        if sniff_mime(data) is None:
            raise OSError(f"tile server sent something that is not an image for z{z}/{x}/{y}")
        return data

    @staticmethod
    def _read_file(url: str, z: int, x: int, y: int) -> bytes:
        """A ``file://`` template: tiles from a local folder (e.g. an exported tile set)."""
        path = Path(unquote(urlsplit(url).path))
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"no tile file {path} for z{z}/{x}/{y}") from None
        if sniff_mime(data) is None:
            raise FileNotFoundError(f"{path} is not an image")
        return data

    def get(self, z: int, x: int, y: int) -> TileResult:
        """One tile for the map, from the cache, the network or the offline placeholder."""
        if not valid_tile(z, x, y, self.max_zoom):
            self._count("offline")
            return TileResult(self.offline_tile, "offline", error=f"no such tile z{z}/{x}/{y}")
        data = self.cache.get(z, x, y)
        if data is not None:
            self._count("cache")
            return TileResult(data, "cache", sniff_mime(data) or "image/png")
        if self.offline:
            self._count("offline")
            return TileResult(self.offline_tile, "offline", error=self.last_error or "offline")
        try:
            data = self.fetch(z, x, y)
        except FileNotFoundError as exc:  # the server is up but has no such tile
            self._count("errors")
            self._count("offline")
            return TileResult(self.offline_tile, "offline", error=str(exc))
        except OSError as exc:
            self.last_error = str(exc)
            self._offline_until = time.monotonic() + self.offline_backoff_s
            self._count("errors")
            self._count("offline")
            log.info("tile fetch failed (%s); serving cached tiles only for %.0f s", exc, self.offline_backoff_s)
            return TileResult(self.offline_tile, "offline", error=str(exc))
        self._offline_until = 0.0
        self.last_error = ""
        try:
            self.cache.put(z, x, y, data)
        except Exception:  # a full disk must not blank the map: serve it uncached
            log.exception("could not cache tile z%s/%s/%s", z, x, y)
        self._count("network")
        return TileResult(data, "network", sniff_mime(data) or "image/png")

    def prefetch(
        self,
        bbox: BBox,
        zmin: int,
        zmax: int,
        *,
        stop: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        max_tiles: int = MAX_PREFETCH_TILES,
    ) -> PrefetchReport:
        """Download every missing tile of ``bbox`` for zooms ``zmin..zmax`` (for offline use)."""
        zmin, zmax = max(0, zmin), min(self.max_zoom, zmax)
        total = count_tiles(bbox, zmin, zmax)
        if total > max_tiles:
            raise ValueError(
                f"{total} tiles is more than the limit of {max_tiles}; choose a smaller area or fewer zoom levels"
            )
        rep = PrefetchReport(requested=total)
        done = 0
        for z in range(zmin, zmax + 1):
            for x, y in tiles_in_bbox(bbox, z):
                if stop is not None and stop.is_set():
                    rep.cancelled = True
                    return rep
                if self.cache.has(z, x, y):
                    rep.already_cached += 1
                else:
                    try:
                        self.cache.put(z, x, y, self.fetch(z, x, y))
                        rep.fetched += 1
                    except OSError as exc:
                        rep.failed += 1
                        if len(rep.errors) < 5:
                            rep.errors.append(str(exc))
                done += 1
                if progress is not None:
                    progress(done, total)
        return rep


# ---------------------------------------------------------------------- offline tile
_FONT = {  # 5x7 bitmap glyphs, enough for the word OFFLINE
    "O": ("01110", "10001", "10001", "10001", "10001", "10001", "01110"),
    "F": ("11111", "10000", "10000", "11110", "10000", "10000", "10000"),
    "L": ("10000", "10000", "10000", "10000", "10000", "10000", "11111"),
    "I": ("11111", "00100", "00100", "00100", "00100", "00100", "11111"),
    "N": ("10001", "11001", "10101", "10011", "10001", "10001", "10001"),
    "E": ("11111", "10000", "10000", "11110", "10000", "10000", "11111"),
}


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return _PNG + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


@lru_cache(maxsize=1)
def offline_tile_png() -> bytes:
    """A dark hatched 256x256 tile reading OFFLINE: shown where no tile can be had."""
    size, scale = 256, 4
    bg, hatch, ink = (38, 42, 48), (52, 57, 64), (150, 156, 166)
    px = [[bg] * size for _ in range(size)]
    for yy in range(size):
        for xx in range(size):
            if (xx + yy) % 16 == 0:
                px[yy][xx] = hatch
    word = "OFFLINE"
    w = len(word) * 6 * scale - scale
    x0, y0 = (size - w) // 2, (size - 7 * scale) // 2
    for i, ch in enumerate(word):
        for gy, line in enumerate(_FONT[ch]):
            for gx, bit in enumerate(line):
                if bit == "1":
                    for dy in range(scale):
                        for dx in range(scale):
                            px[y0 + gy * scale + dy][x0 + (i * 6 + gx) * scale + dx] = ink
    rows = [bytes(c for p in row for c in p) for row in px]
    return _png(size, size, rows)
