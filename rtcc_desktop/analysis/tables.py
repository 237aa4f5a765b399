"""How the analysis package reaches the store's database for its own tables.

Hot lists, geofences and alerts live in the same SQLite file as the records
(one backup, one retention policy), in tables the store does not know about.
The Store serialises its one connection with a lock and runs each write in
``BEGIN IMMEDIATE``; everything here goes through that same lock so an
analysis write can never interleave with a feed's upsert on the connection.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import Any, Iterator


def db_of(store: Any) -> Any:
    """The store's sqlite-utils ``Database``."""
    return store.db


@contextmanager
def reading(store: Any) -> Iterator[sqlite3.Connection]:
    """The store's connection, held for a read (no other thread uses it meanwhile)."""
    with store.reading() as conn:
        yield conn


@contextmanager
def writing(store: Any) -> Iterator[sqlite3.Connection]:
    """One write transaction on the store's connection; rolled back whole on error."""
    with store.writing() as conn:
        yield conn


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
