"""An MBTiles-layout tile cache in SQLite, safe to use from several threads.

MBTiles (``metadata`` + ``tiles`` with TMS-flipped rows) keeps the file usable
by other tools (QGIS, mbutil) for offline maps. Each thread gets its own
connection; WAL lets readers go on while one tile is written.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tiles (
    zoom_level INTEGER NOT NULL,
    tile_column INTEGER NOT NULL,
    tile_row INTEGER NOT NULL,
    tile_data BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);
"""

_LOOPBACK = re.compile(r"^(https?://)(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?", re.I)


def tms_row(z: int, y: int) -> int:
    """XYZ row → MBTiles (TMS) row: MBTiles counts rows from the south."""
    return (1 << z) - 1 - y


def cache_path_for(url_template: str, base_dir: str | Path) -> Path:
    """One cache file per tile source, so different base maps never mix.

    Loopback servers (the demo simulator picks a new port each run) share one
    file, so the demo's tiles stay cached across runs.
    """
    key = _LOOPBACK.sub(r"\1loopback", url_template.strip())
    slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"^https?://", "", key.lower())).strip("-")[:40]
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return Path(base_dir) / f"tiles-{slug}-{digest}.mbtiles"


class TileCache:
    """Read and write tiles by XYZ address; rows are stored TMS-flipped."""

    def __init__(self, path: str | Path, *, name: str = "rtcc base map", url_template: str | None = None) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[sqlite3.Connection] = []
        self._closed = False
        con = self._con()
        with con:
            con.executescript(SCHEMA)
            meta = {"name": name, "format": "png", "type": "baselayer", "version": "1.1", "minzoom": "0", "maxzoom": "19"}
            if url_template:
                meta["rtcc_url_template"] = url_template
            con.executemany("INSERT OR IGNORE INTO metadata (name, value) VALUES (?, ?)", list(meta.items()))

    def _con(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError("tile cache is closed")
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
            if self.path != ":memory:":
                con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
            with self._lock:
                self._conns.append(con)
        return con

    def get(self, z: int, x: int, y: int) -> bytes | None:
        """The cached tile, or None."""
        row = self._con().execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, tms_row(z, y)),
        ).fetchone()
        return bytes(row[0]) if row else None

    def has(self, z: int, x: int, y: int) -> bool:
        row = self._con().execute(
            "SELECT 1 FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, tms_row(z, y)),
        ).fetchone()
        return row is not None

    def put(self, z: int, x: int, y: int, data: bytes) -> None:
        """Store (or replace) a tile; retried briefly if another thread holds the write lock."""
        con = self._con()
        for attempt in range(5):
            try:
                with con:
                    con.execute(
                        "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)",
                        (z, x, tms_row(z, y), sqlite3.Binary(data)),
                    )
                return
            except sqlite3.OperationalError as exc:  # database is locked
                if "locked" not in str(exc) or attempt == 4:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def count(self) -> int:
        return int(self._con().execute("SELECT COUNT(*) FROM tiles").fetchone()[0])

    def metadata(self) -> dict[str, str]:
        return dict(self._con().execute("SELECT name, value FROM metadata").fetchall())

    def close(self) -> None:
        """Close every thread's connection (call once no worker uses the cache)."""
        with self._lock:
            conns, self._conns = self._conns, []
            self._closed = True
        for con in conns:
            try:
                con.close()
            except sqlite3.ProgrammingError:  # closed from another thread already
                pass
