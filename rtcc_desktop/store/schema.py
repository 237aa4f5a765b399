"""The cache's tables, indexes and forward migrations.

The schema version lives in ``PRAGMA user_version``: it is the number of
entries of :data:`MIGRATIONS` already applied. Migrations only ever move
forward and each one fills in what it adds from the rows already stored, so
a file made by any older release opens with all its data searchable.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Final

from sqlite_utils import Database
from sqlite_utils.db import Table

from rtcc_desktop.model.records import KINDS, NUMERIC_FIELDS, TABLES, fields_for
from rtcc_desktop.store.errors import SchemaTooNewError
from rtcc_desktop.store.plate_index import (
    PLATE_INDEX,
    PLATE_NAMES,
    create_plate_index,
    create_plate_names_mark,
    merge_plate_names,
)

log = logging.getLogger(__name__)

#: Columns stored for each kind, in table order (``id`` is the rowid alias).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {kind: fields_for(kind) + ("source",) for kind in KINDS}

#: Kinds whose ``time`` is required (cameras may have none).
TIMED_KINDS: Final[frozenset[str]] = frozenset({"cad", "alpr", "gunshot"})

#: Searchable text of incidents (FTS5).
FTS_COLUMNS: Final[tuple[str, ...]] = ("type", "address", "narrative")

#: Feed bookkeeping columns a caller may set (``name`` is the key).
FEED_FIELDS: Final[tuple[str, ...]] = (
    "cursor",
    "etag",
    "last_modified",
    "last_success",
    "last_error",
    "last_error_at",
    "rows_in",
    "rows_rejected",
)

#: rtree time bounds for a located record without a time (cameras): every
#: time window overlaps it, and the exact filter on ``time`` then drops it.
NO_TIME_MIN: Final[float] = -1e10
NO_TIME_MAX: Final[float] = 1e10


def rtree_name(kind: str) -> str:
    return f"{TABLES[kind]}_rtree"


def fts_name() -> str:
    return "incidents_fts"


def _table(db: Database, name: str) -> Table:
    table = db[name]
    assert isinstance(table, Table)
    return table


# --------------------------------------------------------------------------- migrations


def _m1_core_tables(db: Database) -> None:
    """Record tables keyed by (source, source_id), feed state, rejects, audit log."""
    for kind in KINDS:
        table = TABLES[kind]
        columns: dict[str, type] = {"id": int}
        for name in COLUMNS[kind]:
            columns[name] = float if name in NUMERIC_FIELDS else str
        not_null = {"source", "source_id"}
        if kind in TIMED_KINDS:
            not_null.add("time")
        if kind == "alpr":
            not_null.add("plate")
        if kind in ("gunshot", "camera"):
            not_null |= {"lat", "lon"}
        t = _table(db, table)
        t.create(columns, pk="id", not_null=not_null, strict=True)
        t.create_index(["source", "source_id"], index_name=f"{table}_natural_key", unique=True)
        # text order of canonical UTC times is time order: a range scan works
        t.create_index(["time"], index_name=f"{table}_time")

    _table(db, "feed_state").create(
        {
            "name": str,
            "cursor": str,
            "etag": str,
            "last_modified": str,
            "last_success": str,
            "last_error": str,
            "last_error_at": str,
            "rows_in": int,
            "rows_rejected": int,
        },
        pk="name",
        strict=True,
    )
    rejects = _table(db, "rejects")
    rejects.create(
        {"id": int, "time": str, "source": str, "kind": str, "reason": str, "raw": str},
        pk="id",
        not_null={"time", "kind", "reason"},
        strict=True,
    )
    rejects.create_index(["kind", "time"], index_name="rejects_kind_time")
    _table(db, "audit_log").create(
        {
            "id": int,
            "time": str,
            "actor": str,
            "action": str,
            "params": str,
            "reason": str,
            "result_count": int,
        },
        pk="id",
        not_null={"time", "actor", "action"},
        strict=True,
    )


def _m2_spatial_index(db: Database) -> None:
    """One 3-D R*Tree (lat, lon, epoch seconds) per table.

    A point is stored as a zero-size box; R*Tree keeps 32-bit floats rounded
    outward, so queries re-check the exact columns. Rows without a location
    are not indexed (they can never be "near" anything). New rows are added
    by :func:`index_new_rows` in the upsert's transaction (one set-based
    statement per batch); triggers keep updates and deletes in sync.
    """
    for kind in KINDS:
        table, rtree = TABLES[kind], rtree_name(kind)
        db.executescript(
            f"""
            CREATE VIRTUAL TABLE {rtree} USING rtree(id, min_lat, max_lat, min_lon, max_lon, min_t, max_t);
            CREATE TRIGGER {table}_rtree_au AFTER UPDATE OF lat, lon, time ON {table}
              WHEN old.lat IS NOT new.lat OR old.lon IS NOT new.lon OR old.time IS NOT new.time BEGIN
                DELETE FROM {rtree} WHERE id = old.id;
                INSERT INTO {rtree} SELECT new.id, new.lat, new.lat, new.lon, new.lon,
                    coalesce(unixepoch(new.time), {NO_TIME_MIN}), coalesce(unixepoch(new.time), {NO_TIME_MAX})
                  WHERE new.lat IS NOT NULL AND new.lon IS NOT NULL;
            END;
            CREATE TRIGGER {table}_rtree_ad AFTER DELETE ON {table} BEGIN
                DELETE FROM {rtree} WHERE id = old.id;
            END;
            """
        )
        _index_rtree(db.conn, kind, 0)


def _m3_incident_text(db: Database) -> None:
    """FTS5 over incident type, address and narrative (external content).

    sqlite-utils creates and fills the index. Our triggers replace its
    per-row ones: they skip updates that leave the text alone, and new rows
    are indexed in bulk by :func:`index_new_rows`, because FTS5 flushes its
    buffer at every trigger's statement savepoint (measured: 26k vs 61k
    incidents/s).
    """
    _table(db, "incidents").enable_fts(
        list(FTS_COLUMNS), fts_version="FTS5", create_triggers=False, tokenize="unicode61 remove_diacritics 2"
    )
    cols = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in FTS_COLUMNS)
    fts = fts_name()
    db.executescript(
        f"""
        CREATE TRIGGER incidents_fts_au AFTER UPDATE OF {cols} ON incidents WHEN {changed} BEGIN
            INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
            INSERT INTO {fts} (rowid, {cols}) VALUES (new.id, {new});
        END;
        CREATE TRIGGER incidents_fts_ad AFTER DELETE ON incidents BEGIN
            INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});
        END;
        """
    )


def _m4_plate_index(db: Database) -> None:
    """Plates are stored upper-case, so a BINARY index serves exact and prefix GLOB.

    Replaced by the (block, plate) index of :func:`_m7_plate_blocks`; kept
    so files of every schema version migrate the same way.
    """
    _table(db, "plate_reads").create_index(["plate"], index_name="plate_reads_plate")


def _m6_plate_names(db: Database) -> None:
    """One row per distinct plate, so a leading-wildcard search reads plates, not reads.

    Real feeds repeat plates (a car passes many cameras): 5M synthetic reads
    hold 250k plates, and a ``*X*`` pattern then scans 20x less. New reads'
    plates are merged in bulk (:func:`~rtcc_desktop.store.plate_index.merge_plate_names`,
    from migration 7), a corrected plate by trigger; purges remove plates that
    no read holds any more (:func:`prune_plate_names`), so the table never
    outlives retention.
    """
    db.execute(f"CREATE TABLE {PLATE_NAMES} (plate TEXT PRIMARY KEY NOT NULL) STRICT, WITHOUT ROWID")
    db.execute(f"INSERT OR IGNORE INTO {PLATE_NAMES} (plate) SELECT DISTINCT plate FROM plate_reads")
    db.executescript(
        f"""
        CREATE TRIGGER plate_reads_names_au AFTER UPDATE OF plate ON plate_reads
          WHEN old.plate IS NOT new.plate BEGIN
            INSERT OR IGNORE INTO {PLATE_NAMES} (plate) VALUES (new.plate);
        END;
        """
    )


def prune_plate_names(conn: sqlite3.Connection) -> int:
    """Drop plates no stored read holds any more (after a purge); returns how many.

    One scan of the plate index (1.6 s at 5M reads) rather than a lookup
    per distinct plate, which the block index would make one seek per block.
    """
    return conn.execute(
        f"DELETE FROM {PLATE_NAMES} WHERE plate NOT IN (SELECT plate FROM plate_reads INDEXED BY {PLATE_INDEX})"
    ).rowcount


#: Records changed by an UPDATE after they were inserted (see :func:`_m5_change_log`).
CHANGE_LOG: Final[str] = "record_changes"


def _m5_change_log(db: Database) -> None:
    """A change number for every record UPDATE, so consumers see edits, not only inserts.

    Rows keep their rowid when a feed re-sends them (upsert on source,
    source_id), so a rowid cursor never sees a CAD call upgraded to P1 or a
    corrected plate read. Triggers log each update as (kind, record_id)
    under a fresh AUTOINCREMENT ``seq`` (never reused, even after purges);
    a record keeps only its latest entry. Inserts cost nothing extra: no
    column or index is added to the record tables, and the upsert's WHERE
    already skips rewriting unchanged rows, so re-read pages log nothing.
    """
    db.executescript(
        f"""
        CREATE TABLE {CHANGE_LOG} (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, record_id INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX {CHANGE_LOG}_record ON {CHANGE_LOG} (kind, record_id);
        """
    )
    for kind in KINDS:
        table = TABLES[kind]
        # DELETE + INSERT, not INSERT OR REPLACE: the upsert's own ON CONFLICT would override a trigger's
        db.executescript(
            f"""
            CREATE TRIGGER {table}_changes_au AFTER UPDATE ON {table} BEGIN
                DELETE FROM {CHANGE_LOG} WHERE kind = '{kind}' AND record_id = new.id;
                INSERT INTO {CHANGE_LOG} (kind, record_id) VALUES ('{kind}', new.id);
            END;
            CREATE TRIGGER {table}_changes_ad AFTER DELETE ON {table} BEGIN
                DELETE FROM {CHANGE_LOG} WHERE kind = '{kind}' AND record_id = old.id;
            END;
            """
        )


def _m7_plate_blocks(db: Database) -> None:
    """Swap the ``(plate)`` index for ``(block, plate)``: see :mod:`rtcc_desktop.store.plate_index`.

    A plain plate index made ingest slower the larger the store grew (every
    batch rewrote most of its pages); this one keeps a batch's writes in
    the newest block. New plates join ``plate_names`` in bulk from now on,
    after a merge mark set to the newest read (every plate so far is listed).
    """
    db.execute("DROP INDEX IF EXISTS plate_reads_plate")
    create_plate_index(db.conn)
    create_plate_names_mark(db.conn)


#: A new record's R*Tree box ends at the next full hour, not at its own time.
#: Live feeds insert in time order, so exact ends stretched every ancestor
#: node's box (and rewrote it) on almost every insert; ends shared by a
#: whole hour let most inserts leave the ancestors alone (bench/ingest.py:
#: R*Tree upkeep 8.7 → 7.5 µs per plate read). Boxes only grow, and every
#: query re-checks the exact time, so results do not change; a one-hour
#: window probes about twice the entries (near() on 5M reads: see README).
RTREE_END_SLACK_S: Final[int] = 3600


def _index_rtree(conn: sqlite3.Connection, kind: str, after_id: int) -> None:
    # OR REPLACE: a row may already be there if the update trigger put it in
    slack = RTREE_END_SLACK_S
    conn.execute(
        f"INSERT OR REPLACE INTO {rtree_name(kind)} "
        f"SELECT id, lat, lat, lon, lon, coalesce(unixepoch(time), {NO_TIME_MIN}), "
        f"coalesce((unixepoch(time) / {slack} + 1) * {slack}, {NO_TIME_MAX}) "
        f"FROM {TABLES[kind]} WHERE id > ? AND lat IS NOT NULL AND lon IS NOT NULL",
        (after_id,),
    )


def index_new_rows(conn: sqlite3.Connection, kind: str, after_id: int) -> None:
    """Add rows with ``id > after_id`` to the R*Tree, incidents to FTS, plates to plate_names (in bulk).

    Every insert path must call this in the same transaction; the Store's
    upsert is the only one. Rows must be new (never indexed): the FTS
    external-content index cannot tell a duplicate insert.
    """
    _index_rtree(conn, kind, after_id)
    if kind == "cad":
        cols = ", ".join(FTS_COLUMNS)
        conn.execute(
            f"INSERT INTO {fts_name()} (rowid, {cols}) SELECT id, {cols} FROM incidents WHERE id > ?", (after_id,)
        )
    elif kind == "alpr":
        merge_plate_names(conn, after_id)


#: Ordered forward migrations; the schema version is how many have run.
MIGRATIONS: Final[tuple[Callable[[Database], None], ...]] = (
    _m1_core_tables,
    _m2_spatial_index,
    _m3_incident_text,
    _m4_plate_index,
    _m5_change_log,
    _m6_plate_names,
    _m7_plate_blocks,
)
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _check_not_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"this cache file has schema version {version}, but this RTCC Desktop only knows "
            f"versions up to {SCHEMA_VERSION}: it was written by a newer release. "
            "Upgrade RTCC Desktop, or open a different cache file."
        )


def migrate(db: Database, target: int | None = None) -> int:
    """Bring the file up to ``target`` (default: latest) in one write transaction; return the old version.

    An up-to-date file is only read, so opening a reader never waits for a
    writer. Otherwise ``BEGIN IMMEDIATE`` makes two processes opening the
    same new file take turns instead of both creating tables.
    """
    target = SCHEMA_VERSION if target is None else min(target, SCHEMA_VERSION)
    version = schema_version(db)
    _check_not_newer(version)
    if version >= target:
        return version
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(db)  # another process may have migrated meanwhile
        _check_not_newer(version)
        for number in range(version, target):
            step = MIGRATIONS[number]
            log.info("store: migrating schema %d -> %d (%s)", number, number + 1, step.__name__)
            step(db)
            conn.execute(f"PRAGMA user_version = {number + 1:d}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return version
