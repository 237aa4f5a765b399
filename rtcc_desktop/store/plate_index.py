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
from collections.abc import Callable
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


# --------------------------------------------------------------------------- distinct plates

#: Every distinct plate of the reads up to the merge mark (see :func:`merge_plate_names`).
PLATE_NAMES: Final[str] = "plate_names"
#: One row: ``upto``, the rowid up to which every read's plate is in :data:`PLATE_NAMES`.
PLATE_NAMES_MARK: Final[str] = "plate_names_mark"
#: New reads whose plates are merged into :data:`PLATE_NAMES` at once.
MERGE_READS: Final[int] = 50_000


def create_plate_names_mark(conn: sqlite3.Connection) -> None:
    """The merge mark, set to the newest read: a file migrated here has every plate listed."""
    conn.execute(f"CREATE TABLE {PLATE_NAMES_MARK} (upto INTEGER NOT NULL) STRICT")
    conn.execute(f"INSERT INTO {PLATE_NAMES_MARK} (upto) SELECT coalesce(max(id), 0) FROM plate_reads")


def _mark(conn: sqlite3.Connection) -> int:
    return int(conn.execute(f"SELECT upto FROM {PLATE_NAMES_MARK}").fetchone()[0])


def tail(conn: sqlite3.Connection) -> dict[str, object]:
    """Parameters ``tail`` (blocks JSON) and ``upto`` for :func:`tail_filter`: reads not merged yet."""
    upto = _mark(conn)
    high = conn.execute("SELECT max(id) FROM plate_reads").fetchone()[0]
    if high is None or high <= upto:
        return {"tail": "[]", "upto": upto}
    return {"tail": json.dumps(list(range(upto >> BLOCK_BITS, (int(high) >> BLOCK_BITS) + 1))), "upto": upto}


def tail_filter(alias: str) -> str:
    """SQL: read ``alias`` is newer than the merge mark (binds ``:tail`` and ``:upto`` from :func:`tail`)."""
    return f"{block_filter(alias, ':tail')} AND {alias}.id > :upto"


def newest_plates_sql(where: Callable[[str], str]) -> str:
    """SQL: plates (column ``plate``, repeats possible) of reads after the merge mark for which ``where(alias)`` holds.

    Read from the block index: at most ~:data:`MERGE_READS` reads. Binds
    ``:tail`` and ``:upto`` (:func:`tail`) besides ``where``'s own.
    """
    return f"SELECT t.plate AS plate FROM plate_reads t INDEXED BY {PLATE_INDEX} WHERE {tail_filter('t')} AND {where('t')}"


def known_plates_sql(where: Callable[[str], str]) -> str:
    """SQL: the distinct plates of stored reads for which ``where(alias)`` holds (column ``plate``).

    Merged plates come from :data:`PLATE_NAMES`, the rest from :func:`newest_plates_sql`.
    """
    return f"SELECT n.plate AS plate FROM {PLATE_NAMES} n WHERE {where('n')} UNION {newest_plates_sql(where)}"


def merge_plate_names(conn: sqlite3.Connection, after_id: int, force: bool = False) -> None:
    """After new reads (rowids above ``after_id``): merge their plates once enough have come.

    Most real plates are read once or twice (Seattle: 1.4 reads per plate),
    so adding each batch's plates to the sorted list dirtied a random page
    per new plate, every batch. Merged ``MERGE_READS`` reads at a time, in
    plate order, each page is written once per merge; until then searches
    read the newest plates from the block index (:func:`known_plates_sql`).
    """
    upto = _mark(conn)
    if after_id < upto:  # rowids reused below the mark (the newest reads were purged)
        upto = after_id
        conn.execute(f"UPDATE {PLATE_NAMES_MARK} SET upto = ?", (upto,))
    top = int(conn.execute("SELECT coalesce(max(id), 0) FROM plate_reads").fetchone()[0])
    if top - upto < (1 if force else MERGE_READS):
        return
    conn.execute(
        f"INSERT OR IGNORE INTO {PLATE_NAMES} (plate) SELECT DISTINCT t.plate FROM plate_reads t "
        f"INDEXED BY {PLATE_INDEX} WHERE {tail_filter('t')} ORDER BY t.plate",
        tail(conn),
    )
    conn.execute(f"UPDATE {PLATE_NAMES_MARK} SET upto = ?", (top,))
