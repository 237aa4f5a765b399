"""How the analysis package reaches the store's database for its own tables.

Hot lists, geofences and alerts live in the same SQLite file as the records
(one backup, one retention policy), in tables the store does not know about.
The Store serialises its one connection with a lock and runs each write in
``BEGIN IMMEDIATE``; everything here goes through that same lock so an
analysis write can never interleave with a feed's upsert on the connection.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_FALLBACK_LOCK = threading.RLock()


def db_of(store: Any) -> Any:
    """The store's sqlite-utils ``Database``."""
    db = getattr(store, "db", None)
    if db is None:
        raise TypeError(f"{type(store).__name__} exposes no sqlite-utils database as .db")
    return db


@contextmanager
def reading(store: Any) -> Iterator[sqlite3.Connection]:
    """The store's connection, held for a read (no other thread uses it meanwhile)."""
    read = getattr(store, "_read", None)
    if read is not None:
        with read() as conn:
            yield conn
        return
    with _FALLBACK_LOCK:
        yield db_of(store).conn


@contextmanager
def writing(store: Any) -> Iterator[sqlite3.Connection]:
    """One write transaction on the store's connection; rolled back whole on error."""
    write = getattr(store, "_write", None)
    if write is not None:
        with write() as conn:
            yield conn
        return
    with _FALLBACK_LOCK:
        conn = db_of(store).conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
