"""The plate index: reads grouped in blocks by arrival, then by plate.

Plates arrive in random order, so a plain ``(plate)`` index takes each
read's entry on a random page: a batch of 5,000 reads dirtied ~2,700 of a
1M-read index's ~3,400 pages and every one was written again at commit
(bench/ingest.py: 44k plate reads/s at 800k reads, falling as the store
grows). Keyed ``(id >> BLOCK_BITS, plate)`` instead, new reads (new rowids)
only touch the newest block's few hundred pages, however large the store.

A lookup by plate then seeks once per block (``IN`` the block list, then
``plate = ?``): 77 seeks at 5M reads, well under a millisecond. Every query
that finds reads by plate must name the blocks with :func:`block_filter`
and bind :func:`blocks_json`; without them SQLite cannot use the index and
scans every read.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Final

#: Reads per block: 2**16 rowids, ~280 index pages.
BLOCK_BITS: Final[int] = 16
#: Name of the (block, plate) index, for ``INDEXED BY``.
PLATE_INDEX: Final[str] = "plate_reads_block_plate"
#: The index's first column; queries must spell it the same way to use it.
BLOCK_EXPR: Final[str] = f"id >> {BLOCK_BITS}"


def create_plate_index(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE INDEX IF NOT EXISTS {PLATE_INDEX} ON plate_reads (({BLOCK_EXPR}), plate)")


def blocks_json(conn: sqlite3.Connection) -> str:
    """Every block holding a stored read, as a JSON array for ``json_each``.

    From the lowest to the highest rowid held: each is one rowid lookup
    (asked apart: a single ``SELECT min(id), max(id)`` scans the table),
    and blocks emptied by retention purges fall out of the range.
    """
    low, high = conn.execute(
        "SELECT (SELECT min(id) FROM plate_reads), (SELECT max(id) FROM plate_reads)"
    ).fetchone()
    if low is None:
        return "[]"
    return json.dumps(list(range(int(low) >> BLOCK_BITS, (int(high) >> BLOCK_BITS) + 1)))


def block_filter(alias: str, param: str) -> str:
    """SQL: the read ``alias`` lies in one of the blocks bound to ``param`` (from :func:`blocks_json`)."""
    return f"({alias}.{BLOCK_EXPR}) IN (SELECT value FROM json_each({param}))"
