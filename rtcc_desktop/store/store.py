"""The Store: one SQLite cache file, one connection, every read and write.

A Store owns one connection and serialises everything on it with a lock, so
it may be shared between threads; for parallel reads (the UI while a feed
syncs) open a second Store on the same file: WAL lets it read committed rows
while this one writes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.records import KINDS, TABLES
from rtcc_desktop.model.timeutil import iso_now
from rtcc_desktop.store import queries
from rtcc_desktop.store.bounds import TimeArg, check_kind, iso_arg, kinds_arg, page
from rtcc_desktop.store.connection import CACHE_KIB, WRITER_CACHE_KIB, connect
from rtcc_desktop.store.errors import StoreError
from rtcc_desktop.store.schema import FEED_FIELDS, migrate, prune_plate_names
from rtcc_desktop.store.upserts import (
    UpsertResult,
    max_rowid,
    record_params,
    write_feed_fields,
    write_records,
    write_rejects,
)

log = logging.getLogger(__name__)

Record = dict[str, Any]

#: Rows deleted per transaction by purge_older_than.
PURGE_CHUNK = 20_000


class Store:
    """The local cache; see docs/interfaces.md for the calls other packages use."""

    def __init__(self, path: str | Path, *, writer: bool = False) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self.db: Database = connect(path, WRITER_CACHE_KIB if writer else CACHE_KIB)
        try:
            old = migrate(self.db)
        except BaseException:
            self.db.close()
            raise
        if old == 0:
            log.info("store: created cache %s", self.path)
        self._closed = False

    # ------------------------------------------------------------------ plumbing

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.db.close()

    @contextmanager
    def writing(self) -> Iterator[Any]:
        """One write transaction under the lock; rolled back whole on any error.

        ``BEGIN IMMEDIATE`` takes the file's write lock up front, so another
        process writing makes us wait (busy timeout) rather than fail midway.
        """
        with self._lock:
            self._check_open()
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """The connection, held for reads; other packages' own tables use it too."""
        with self._lock:
            self._check_open()
            yield self.db.conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")

    # ------------------------------------------------------------------ writes

    def upsert(
        self,
        kind: str,
        records: Iterable[Mapping[str, Any]],
        *,
        feed: str | None = None,
        cursor: Any = None,
        rejects: Iterable[tuple[str, Any]] = (),
    ) -> UpsertResult:
        """Store records, rejects and the feed cursor in ONE transaction.

        Rows are matched on (source, source_id): a re-read row updates the
        stored one. If anything fails nothing is kept, cursor included, so a
        sync that crashes re-reads the same page. ``cursor`` is written only
        when ``feed`` is given and ``cursor`` is not None.
        """
        check_kind(kind)
        params = record_params(kind, records)
        reject_list = list(rejects)
        reject_source = feed
        if reject_source is None and params:
            reject_source = params[0][-1]  # "source" is the last column
        with self.writing() as conn:
            inserted, updated, top = write_records(conn, kind, params)
            rejected = write_rejects(conn, iso_now(), reject_source, kind, reject_list)
            if feed is not None and cursor is not None:
                write_feed_fields(conn, feed, {"cursor": cursor})
        log.debug("store: %s +%d ~%d !%d (max id %d)", kind, inserted, updated, rejected, top)
        return UpsertResult(inserted, updated, rejected, top)

    def add_rejects(self, source: str, kind: str, rejects: Iterable[tuple[str, Any]]) -> int:
        """Keep rows that failed validation, with the reason and the raw payload."""
        check_kind(kind)
        reject_list = list(rejects)
        with self.writing() as conn:
            return write_rejects(conn, iso_now(), source, kind, reject_list)

    def rejects_list(self, kind: str | None = None, limit: int = 100, offset: int = 0) -> list[Record]:
        """Newest rejects first, ``raw`` decoded back from JSON (for the feed-health panel)."""
        limit, offset = page(limit, offset)
        where, params = ("WHERE kind = ?", [check_kind(kind)]) if kind else ("", [])
        with self.reading() as conn:
            sql = f"SELECT * FROM rejects {where} ORDER BY id DESC LIMIT ? OFFSET ?"
            cur = conn.execute(sql, [*params, limit, offset])
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur]
        for row in rows:
            row["raw"] = json.loads(row["raw"]) if row["raw"] is not None else None
        return rows

    def feed_state(self, name: str) -> dict[str, Any] | None:
        """A feed's cursor and health, or None before its first sync."""
        with self.reading() as conn:
            cur = conn.execute(f"SELECT {', '.join(FEED_FIELDS)} FROM feed_state WHERE name = ?", (name,))
            row = cur.fetchone()
        return dict(zip(FEED_FIELDS, row, strict=True)) if row else None

    def update_feed_health(self, name: str, **fields: Any) -> None:
        """Set some of a feed's bookkeeping fields (see ``FEED_FIELDS``); others are kept."""
        with self.writing() as conn:
            write_feed_fields(conn, name, fields)

    def audit(
        self, actor: str, action: str, params: Mapping[str, Any], reason: str | None, result_count: int | None
    ) -> int:
        """Record who looked up what and why (plate searches are personal data)."""
        with self.writing() as conn:
            cur = conn.execute(
                "INSERT INTO audit_log (time, actor, action, params, reason, result_count) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    iso_now(),
                    actor,
                    action,
                    json.dumps(dict(params), ensure_ascii=False, sort_keys=True, default=str),
                    reason,
                    result_count,
                ),
            )
            return int(cur.lastrowid or 0)

    def audit_list(self, limit: int = 100, offset: int = 0) -> list[Record]:
        """Audit entries, newest first, with ``params`` decoded."""
        limit, offset = page(limit, offset)
        with self.reading() as conn:
            cur = conn.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, row, strict=True)) for row in cur]
        for row in rows:
            row["params"] = json.loads(row["params"]) if row["params"] else {}
        return rows

    def purge_older_than(self, kind: str, cutoff_iso: TimeArg) -> int:
        """Delete records of ``kind`` whose time is before ``cutoff``; return how many.

        Their R*Tree and FTS entries go with them (triggers), and so do
        rejects of that kind recorded before the cutoff and plates no read
        holds any more: retention applies to raw payloads and plate lists
        too. Records without a time (cameras) are kept. Rows go
        in chunks, each its own transaction, so a big purge never holds up a
        feed for long; an interrupted purge just leaves less done.
        """
        check_kind(kind)
        cutoff = iso_arg(cutoff_iso, "cutoff")
        if cutoff is None:
            raise ValueError("purge_older_than needs a cutoff time")
        table = TABLES[kind]
        sql = f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE time < ? LIMIT ?)"
        total = 0
        while True:
            with self.writing() as conn:
                n = int(conn.execute(sql, (cutoff, PURGE_CHUNK)).rowcount)
                if n < PURGE_CHUNK:
                    conn.execute("DELETE FROM rejects WHERE kind = ? AND time < ?", (kind, cutoff))
                    if kind == "alpr" and total + n:
                        prune_plate_names(conn)
            total += n
            if n < PURGE_CHUNK:
                break
        log.info("store: purged %d %s records before %s", total, kind, cutoff)
        return total

    # ------------------------------------------------------------------ reads

    def near(
        self,
        lat: float,
        lon: float,
        radius_m: float,
        since: TimeArg = None,
        until: TimeArg = None,
        kinds: str | Iterable[str] | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> list[Record]:
        """Records within ``radius_m`` metres, nearest first, each with ``distance_m``.

        A time window (inclusive) excludes records without a time (cameras);
        leave it out to include them.
        """
        limit, offset = page(limit, offset)
        s, u = iso_arg(since, "since"), iso_arg(until, "until")
        with self.reading() as conn:
            return queries.near(conn, float(lat), float(lon), float(radius_m), s, u, kinds_arg(kinds), limit, offset)

    def between(
        self,
        since: TimeArg,
        until: TimeArg,
        kinds: str | Iterable[str] | None = None,
        bbox: BBox | Sequence[float] | None = None,
        limit: int = 10000,
        offset: int = 0,
    ) -> list[Record]:
        """Records with since <= time <= until, oldest first; ``bbox`` is (W, S, E, N).

        Either end may be None (open). With no window at all, records without
        a time (cameras) come first; any window excludes them.
        """
        limit, offset = page(limit, offset)
        s, u = iso_arg(since, "since"), iso_arg(until, "until")
        box = None if bbox is None else BBox.parse(tuple(bbox))
        with self.reading() as conn:
            return queries.between(conn, s, u, kinds_arg(kinds), box, limit, offset)

    def plates(self, pattern: str, state: str | None = None, limit: int = 1000, offset: int = 0) -> list[Record]:
        """Plate reads matching ``pattern`` (``*`` any run, ``?`` one character; any case)."""
        limit, offset = page(limit, offset)
        with self.reading() as conn:
            return queries.plates(conn, pattern, state, limit, offset)

    def text(self, words: str | list[str] | tuple[str, ...], limit: int = 1000, offset: int = 0) -> list[Record]:
        """Incidents containing all ``words`` in type, address or narrative; newest first."""
        limit, offset = page(limit, offset)
        with self.reading() as conn:
            return queries.text(conn, words, limit, offset)

    def changes_since(self, kind: str, after_rowid: int, limit: int = 5000) -> list[Record]:
        """Rows added after ``after_rowid``, in id order (the UI's delta pull)."""
        check_kind(kind)
        limit, _ = page(limit)
        with self.reading() as conn:
            return queries.changes_since(conn, kind, after_rowid, limit)

    def max_rowids(self) -> dict[str, int]:
        with self.reading() as conn:
            return {kind: max_rowid(conn, kind) for kind in KINDS}

    def updates_since(
        self, after_seq: int, kinds: str | Iterable[str] | None = None, limit: int = 5000
    ) -> list[Record]:
        """Records UPDATEd after change ``after_seq``, oldest change first, each with ``change_seq``.

        The complement of :meth:`changes_since`: a feed's edit of a stored row
        (same rowid) is logged under a fresh change number. A record edited
        several times comes once, at its latest change. Move the cursor to the
        largest ``change_seq`` returned; start it at :meth:`max_change_seq`.
        """
        limit, _ = page(limit)
        with self.reading() as conn:
            return queries.updates_since(conn, int(after_seq), kinds_arg(kinds), limit)

    def max_change_seq(self) -> int:
        """The last change number handed out (0 before any update): a "from now on" edit cursor."""
        with self.reading() as conn:
            return queries.max_change_seq(conn)

    def counts(self) -> dict[str, int]:
        with self.reading() as conn:
            return {kind: int(conn.execute(f"SELECT count(*) FROM {TABLES[kind]}").fetchone()[0]) for kind in KINDS}

    def get(self, kind: str, id: int) -> Record | None:  # noqa: A002 - the interface's name
        check_kind(kind)
        with self.reading() as conn:
            return queries.get(conn, kind, id)


def open_store(path: str | Path, *, writer: bool = False) -> Store:
    """Open (creating and migrating as needed) the cache at ``path``; ``":memory:"`` works.

    ``writer=True`` for the connection that ingests feeds: it gets a larger page cache.
    """
    return Store(path, writer=writer)
