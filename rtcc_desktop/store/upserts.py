"""Writing records, rejects and feed state: the statements on the ingest hot path.

A prepared multi-row ``INSERT ... ON CONFLICT(source, source_id) DO UPDATE``
runs with ``executemany``; the batch's new rows then go into the R*Tree and
FTS indexes with one set-based statement each. See bench/ingest.py for the
figures, including sqlite-utils' ``upsert_all`` for comparison (slower: it
builds its SQL per call and writes one row per statement).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from itertools import chain
from typing import Any, NamedTuple

from rtcc_desktop.model.records import TABLES
from rtcc_desktop.store.bounds import iso_arg
from rtcc_desktop.store.schema import COLUMNS, FEED_FIELDS, index_new_rows


class UpsertResult(NamedTuple):
    """What one upsert changed: the UI's change notice and the feed's health."""

    inserted: int
    updated: int  # rows that matched a stored (source, source_id), changed or not
    #               (a row repeated within the batch counts once more here)
    rejected: int
    max_rowid: int


#: Rows per INSERT statement: one statement per row spends ~15% of the
#: ingest CPU on per-statement overhead (bench/ingest.py).
ROWS_PER_STATEMENT = 50


@cache
def upsert_sql(kind: str, rows: int = 1) -> str:
    """The upsert of ``rows`` rows of ``kind``; the WHERE skips rewriting unchanged rows.

    Skipping no-op rewrites keeps a re-read page cheap and leaves the R*Tree
    and FTS triggers idle for it. A multi-row statement may not name the same
    (source, source_id) twice, hence :func:`dedupe`.
    """
    table, cols = TABLES[kind], COLUMNS[kind]
    values = [c for c in cols if c not in ("source", "source_id")]
    one_row = f"({', '.join('?' * len(cols))})"
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([one_row] * rows)} "
        f"ON CONFLICT(source, source_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in values)
        + " WHERE "
        + " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in values)
    )


def _execute_upsert(conn: sqlite3.Connection, kind: str, params: list[tuple[Any, ...]]) -> None:
    n = ROWS_PER_STATEMENT
    full = len(params) - len(params) % n
    if full:
        flat = [tuple(chain.from_iterable(params[i : i + n])) for i in range(0, full, n)]
        conn.executemany(upsert_sql(kind, n), flat)
    if full < len(params):
        conn.executemany(upsert_sql(kind), params[full:])


def record_params(kind: str, records: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Records → parameter tuples in column order (missing fields become NULL)."""
    cols = COLUMNS[kind]
    return [tuple(map(rec.get, cols)) for rec in records]


def max_rowid(conn: sqlite3.Connection, kind: str) -> int:
    return int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {TABLES[kind]}").fetchone()[0])


def dedupe(params: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Keep the last of rows sharing (source, source_id), in first-seen order.

    Within one batch a row must be inserted or updated, not both: new rows
    are indexed after the batch, the FTS update trigger may only remove
    text that was indexed, and one statement may not upsert a row twice.
    """
    latest = {(p[-1], p[0]): p for p in params}  # source is last, source_id first
    return params if len(latest) == len(params) else list(latest.values())


def write_records(conn: sqlite3.Connection, kind: str, params: list[tuple[Any, ...]]) -> tuple[int, int, int]:
    """Upsert rows inside the caller's transaction → (inserted, updated, new max rowid).

    ``id`` is an INTEGER PRIMARY KEY without AUTOINCREMENT, so new rows take
    ids above the old maximum and nothing else does: counting them tells
    inserts from updates without a lookup per row, and tells which rows to
    add to the R*Tree and FTS indexes.
    """
    before = max_rowid(conn, kind)
    if params:
        _execute_upsert(conn, kind, dedupe(params))
    table = TABLES[kind]
    inserted = int(conn.execute(f"SELECT count(*) FROM {table} WHERE id > ?", (before,)).fetchone()[0])
    if inserted:
        index_new_rows(conn, kind, before)
    return inserted, len(params) - inserted, max(before, max_rowid(conn, kind))


def raw_json(raw: Any) -> str:
    """The raw payload as JSON text; anything JSON cannot hold is kept as its repr."""
    try:
        return json.dumps(raw, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # e.g. circular structures
        return json.dumps(repr(raw), ensure_ascii=False)


def write_rejects(
    conn: sqlite3.Connection, now: str, source: str | None, kind: str, rejects: Iterable[tuple[str, Any]]
) -> int:
    rows = [(now, source, kind, str(reason), raw_json(raw)) for reason, raw in rejects]
    if rows:
        conn.executemany("INSERT INTO rejects (time, source, kind, reason, raw) VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def write_feed_fields(conn: sqlite3.Connection, name: str, fields: Mapping[str, Any]) -> None:
    """Insert or update some of a feed's bookkeeping columns, leaving the others."""
    unknown = sorted(set(fields) - set(FEED_FIELDS))
    if unknown:
        raise ValueError(f"unknown feed_state field(s) {', '.join(unknown)}; expected {', '.join(FEED_FIELDS)}")
    cols = [c for c in FEED_FIELDS if c in fields]
    values = [iso_arg(v, c) if isinstance(v, datetime) else v for c, v in ((c, fields[c]) for c in cols)]
    if not cols:
        conn.execute("INSERT INTO feed_state (name) VALUES (?) ON CONFLICT(name) DO NOTHING", (name,))
        return
    conn.execute(
        f"INSERT INTO feed_state (name, {', '.join(cols)}) VALUES (?{', ?' * len(cols)}) "
        f"ON CONFLICT(name) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols)}",
        (name, *values),
    )
