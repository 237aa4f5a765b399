"""Open one SQLite connection tuned for a cache that is written while it is read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from rtcc_desktop.model.priority import priority_level

#: How long a writer waits for another process's write lock before failing.
BUSY_TIMEOUT_S = 10.0
#: Page cache per connection (KiB). Readers need little; the writer's R*Tree
#: and index inserts slow down once the hot index pages no longer fit
#: (bench/ingest.py: 37k → 42k records/s at 1M rows with the larger cache).
CACHE_KIB = 64 * 1024
WRITER_CACHE_KIB = 256 * 1024
#: WAL pages before an automatic checkpoint (default 1000): fewer
#: checkpoints copy each hot index page fewer times during bulk ingest.
WAL_AUTOCHECKPOINT = 10_000
#: Memory-mapped reads; not used on ":memory:".
MMAP_BYTES = 256 * 1024 * 1024


def connect(path: str | Path, cache_kib: int = CACHE_KIB) -> Database:
    """A sqlite-utils ``Database`` on ``path`` (``":memory:"`` allowed).

    ``check_same_thread=False`` because the Store hands its one connection
    between threads under a lock. WAL lets the UI's reader connections see
    committed rows while a feed writes; in WAL, ``synchronous=NORMAL`` can
    lose the last commits on power loss but never corrupts the file, and the
    feed cursor is rolled back with the rows, so a re-sync fills the gap.
    """
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = Database(conn)
    if not memory:
        db.enable_wal()
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES:d}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT:d}")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = {-cache_kib:d}")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    # SQL reads CAD priority exactly as the map, wall and geofences do ("High" is 1)
    conn.create_function("priority_level", 1, priority_level, deterministic=True)
    return db
