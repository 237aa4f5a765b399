"""Poll each feed, normalise, and store rows together with the feed's cursor.

One poll of one feed is :func:`sync_once`: fetch → ``parse_payload`` →
``store.upsert(kind, records, feed=, cursor=, rejects=)``. The cursor goes in
the same transaction as the rows it covers, so a crash (even SIGKILL) between
pages resumes exactly where the last committed page ended: nothing is lost
and, because upserts are keyed on ``(source, source_id)``, nothing doubles.

:class:`SyncEngine` runs one ``rtcc-sync-<name>`` thread per feed sharing one
HTTP session and one Store (whose single writer connection serialises
writes). A feed that fails never stops the others.

Socrata paging follows dev.socrata.com/docs/paging: a stable ``$order`` on
``:updated_at, :id`` and a keyset ``$where`` on both, so rows sharing one
``:updated_at`` are neither skipped nor read twice, however many there are.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import requests

from rtcc_desktop.config import Config, FeedConfig
from rtcc_desktop.feeds.adapters import AdapterError, Batch, parse_payload
from rtcc_desktop.feeds.adapters.payload import load_json, server_error
from rtcc_desktop.feeds.health import (
    FeedHealth,
    LiveBoard,
    feed_health,
    newest_stored_time,
)
from rtcc_desktop.feeds.http import (
    DEFAULT_TIMEOUT,
    Cancelled,
    Fetched,
    FetchError,
    fetch,
    make_session,
)
from rtcc_desktop.feeds.retention import RETENTION_EVERY_S, apply_retention
from rtcc_desktop.model.timeutil import iso_now
from rtcc_desktop.secrets import SecretError, mask_url, resolve_token
from rtcc_desktop.store import open_store

log = logging.getLogger(__name__)

OnChange = Callable[[str, int], None]

#: A page this large or larger whose every row is rejected is reported as a feed error.
DRIFT_MIN_ROWS: Final = 5
SODA_SELECT: Final = ":*, *"
SODA_ORDER: Final = ":updated_at, :id"


class SyncError(Exception):
    """A poll failed for a reason the user can act on; the message is shown as it is."""


@dataclass
class SyncReport:
    """What one poll of one feed did."""

    feed: str
    kind: str
    ok: bool = True
    error: str | None = None
    pages: int = 0
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    not_modified: bool = False
    stopped: bool = False
    cursor: str | None = None
    max_rowid: int = 0
    newest_time: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the CLI."""
        if not self.ok:
            return f"{self.feed}: FAILED: {self.error}"
        if self.not_modified:
            return f"{self.feed}: not modified"
        text = (
            f"{self.feed}: ok, {self.pages} page(s), {self.fetched} row(s): "
            f"{self.inserted} new, {self.updated} updated, {self.rejected} rejected"
        )
        if self.stopped:
            text += " (stopped early)"
        return text


# --------------------------------------------------------------------------- helpers


def _timeout(feed: FeedConfig) -> tuple[float, float]:
    return (min(DEFAULT_TIMEOUT[0], feed.timeout_s), feed.timeout_s)


def _soql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _load_soda_cursor(text: str | None) -> tuple[str, str | None] | None:
    """(updated_at, id) from the stored cursor; a bare timestamp has no id."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return (text, None)
    if isinstance(data, dict) and data.get("updated_at"):
        return (str(data["updated_at"]), None if data.get("id") is None else str(data["id"]))
    return (text, None) if isinstance(data, str) else None


def _dump_soda_cursor(updated_at: str, row_id: str | None) -> str:
    return json.dumps({"updated_at": updated_at, "id": row_id}, separators=(",", ":"))


def soda_params(cursor: tuple[str, str | None] | None, page_size: int) -> dict[str, str]:
    """SoQL for the next page after ``cursor``: ordered, keyset-filtered, limited."""
    params = {"$select": SODA_SELECT, "$order": SODA_ORDER, "$limit": str(page_size)}
    if cursor is not None:
        at, row_id = cursor
        if row_id is None:
            # only a time is known: re-read that instant (upserts make it harmless)
            params["$where"] = f":updated_at >= {_soql_quote(at)}"
        else:
            params["$where"] = (
                f":updated_at > {_soql_quote(at)} OR "
                f"(:updated_at = {_soql_quote(at)} AND :id > {_soql_quote(row_id)})"
            )
    return params


def _json_rows(content: bytes, where: str) -> list[Any]:
    """The page's rows (for the cursor); unreadable pages fail before anything is stored."""
    try:
        data = load_json(content, "soda")
    except AdapterError as exc:
        raise SyncError(f"{where}: {exc} — nothing from it was stored") from None
    message = server_error(data)
    if message:
        raise SyncError(f"{where}: the server sent an error instead of rows: {message}")
    if not isinstance(data, list):
        raise SyncError(f"{where}: expected a JSON array of rows, got a JSON {type(data).__name__}")
    return data


#: Mapped fields whose column must be present: without them a page cannot be stored correctly.
_IDENTITY_FIELDS: Final = frozenset({"source_id", "time"})


def _restore_omitted_nulls(rows: list[Any], fields: dict[str, str]) -> bytes | None:
    """Socrata leaves null values out of rows, so a page may lack a mapped column entirely.

    Put the omitted optional columns back as nulls (a strict mapping would
    refuse the page); a missing id or time column is left missing, so a
    renamed column still fails loudly. None when nothing was missing.
    """
    missing = [
        col for ours, col in fields.items()
        if ours not in _IDENTITY_FIELDS and not any(isinstance(r, dict) and col in r for r in rows)
    ]
    if not missing:
        return None
    for r in rows:
        if isinstance(r, dict):
            for col in missing:
                r.setdefault(col, None)
    return json.dumps(rows).encode("utf-8")


def _holds_no_rows(content: bytes) -> bool:
    """True for ``[]``, ``{"features": []}`` and the like: a valid "nothing new" answer."""
    try:
        data = json.loads(content)
    except ValueError:
        return False
    if isinstance(data, dict):
        data = next((v for k, v in data.items() if k in ("features", "data", "records", "items", "results", "rows")), None)
    return isinstance(data, list) and not data


def _feed_fields() -> frozenset[str]:
    """feed_state columns this store accepts (newer stores may keep more)."""
    try:
        from rtcc_desktop.store.schema import FEED_FIELDS
    except ImportError:  # pragma: no cover
        return frozenset()
    return frozenset(FEED_FIELDS)


class _Poll:
    """State of one poll: the feed, its stored state, and the report being filled."""

    def __init__(self, store: Any, feed: FeedConfig, session: requests.Session, stop: threading.Event | None, on_change: OnChange | None) -> None:
        self.store = store
        self.feed = feed
        self.session = session
        self.stop = stop
        self.on_change = on_change
        self.ctx = feed.context()
        self.state: dict[str, Any] = dict(store.feed_state(feed.name) or {})
        self.report = SyncReport(feed=feed.name, kind=feed.kind, cursor=self.state.get("cursor"))
        self.token = resolve_token(feed)
        self.validators: tuple[str | None, str | None] = (self.state.get("etag"), self.state.get("last_modified"))
        self.first_validators: tuple[str | None, str | None] | None = None
        #: Set when a whole page was rejected: the poll is reported as failed.
        self.drift: str | None = None

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def get(self, params: dict[str, str] | None, conditional: bool) -> Fetched:
        etag, last_modified = self.validators if conditional else (None, None)
        got = fetch(
            self.session,
            self.feed.url,
            params=params,
            headers=self.feed.headers,
            etag=etag,
            last_modified=last_modified,
            timeout=_timeout(self.feed),
            token=self.token,
            token_header=self.feed.token_header,
        )
        if self.first_validators is None:
            self.first_validators = (got.etag, got.last_modified)
        return got

    def parse(self, content: bytes, where: str) -> Any:
        try:
            return parse_payload(content, self.feed.format, self.ctx, self.feed.fields or None, delimiter=self.feed.delimiter)
        except AdapterError as exc:
            # "nothing new" is an empty array, which a strict column mapping cannot check
            if self.feed.format in ("json", "geojson", "soda") and _holds_no_rows(content):
                return Batch()
            raise SyncError(f"{where}: {exc} — nothing from it was stored") from None

    def commit(self, batch: Any, cursor: str | None, rows_seen: int) -> None:
        """Rows, rejects and cursor in one transaction, then the change notice."""
        records, rejects = list(batch.records), list(batch.rejects)
        kwargs: dict[str, Any] = {"feed": self.feed.name, "rejects": rejects}
        if cursor is not None:
            kwargs["cursor"] = cursor
        seq_before = self.store.max_change_seq() if self.on_change is not None else 0
        result = self.store.upsert(self.feed.kind, records, **kwargs)
        rep = self.report
        rep.pages += 1
        rep.fetched += rows_seen
        rep.inserted += result.inserted
        rep.updated += result.updated
        rep.rejected += result.rejected
        rep.max_rowid = max(rep.max_rowid, result.max_rowid)
        if cursor is not None:
            rep.cursor = cursor
        newest = max((r["time"] for r in records if r.get("time")), default=None)
        if newest and (rep.newest_time is None or newest > rep.newest_time):
            rep.newest_time = newest
        if rows_seen >= DRIFT_MIN_ROWS and not records and rejects:
            reasons = sorted({str(reason).split(":")[0] for reason, _raw in rejects})
            self.drift = (
                f"every one of {len(rejects)} rows was rejected ({'; '.join(reasons[:3])}): "
                "did the source rename a column? map it with fields = {our_field = \"SourceColumn\"}; "
                "the rows are kept in the rejects table"
            )
            rep.warnings.append(self.drift)
        # ``updated`` counts matched rows even when unchanged; only real edits advance the change log
        # (another feed's edit in between costs a spurious notice, which consumers' cursors make harmless)
        if self.on_change is not None and (result.inserted or (result.updated and self.store.max_change_seq() > seq_before)):
            try:
                self.on_change(self.feed.kind, result.max_rowid)
            except Exception:  # a listener's bug must not stop the feed
                log.exception("feed %s: on_change listener failed", self.feed.name)

    # -- formats
    def run_soda(self) -> None:
        cursor = _load_soda_cursor(self.state.get("cursor"))
        page_size = self.feed.page_size
        first = True
        offset = 0  # only used when the server gives no :updated_at
        keyset = True
        while not self.stopping():
            params = soda_params(cursor if keyset else None, page_size)
            if not keyset:
                params["$order"], params["$offset"] = ":id", str(offset)
                params.pop("$where", None)
            got = self.get(params, conditional=first)
            first = False
            if got.not_modified:
                self.report.not_modified = True
                return
            where = f"page {self.report.pages + 1} from {mask_url(self.feed.url)}"
            rows = _json_rows(got.content, where)
            if keyset and rows and not all(isinstance(r, dict) and r.get(":updated_at") for r in rows):
                if self.report.pages == 0 and cursor is None:
                    log.warning(
                        "feed %s: the server returns no :updated_at (SODA 2.0 endpoint?); "
                        "reading the whole dataset by :id each poll",
                        self.feed.name,
                    )
                    self.report.warnings.append("server returns no :updated_at: full re-read each poll")
                    keyset = False
                    # this page was ordered by :updated_at, which the server ignored: read it again by :id
                    continue
                raise SyncError(f"{where}: rows without :updated_at; the cursor cannot advance safely")
            new_cursor: str | None = None
            if keyset and rows:
                stamps = [str(r[":updated_at"]) for r in rows]
                if any(b < a for a, b in zip(stamps, stamps[1:], strict=False)):
                    raise SyncError(f"{where}: rows are not in :updated_at order; the server ignored $order")
                last = rows[-1]
                nxt = (stamps[-1], None if last.get(":id") is None else str(last[":id"]))
                if nxt == cursor or (cursor is not None and nxt[0] < cursor[0]):
                    raise SyncError(f"{where}: the server ignored $where (cursor did not advance); stopping to avoid a loop")
                cursor = nxt
                new_cursor = _dump_soda_cursor(*nxt)
            if rows:
                content = _restore_omitted_nulls(rows, self.feed.fields) or got.content
                self.commit(self.parse(content, where), new_cursor, len(rows))
            if len(rows) < page_size:
                return
            offset += len(rows)
        self.report.stopped = True

    def run_plain(self) -> None:
        """GeoJSON, CSV, EIDO, JSON: ``?since=`` when configured, else a conditional full fetch."""
        cursor = self.state.get("cursor")
        params: dict[str, str] | None = None
        if self.feed.since_param and cursor:
            params = {self.feed.since_param: cursor}
        got = self.get(params, conditional=True)
        if got.not_modified:
            self.report.not_modified = True
            return
        where = mask_url(self.feed.url) if not self.feed.is_local else str(self.feed.local_path)
        batch = self.parse(got.content, where)
        new_cursor = None
        if self.feed.since_param:
            stamp = getattr(batch, "max_updated_at", None) or max(
                (r["time"] for r in batch.records if r.get("time")), default=None
            )
            if stamp and (not cursor or str(stamp) > cursor):
                new_cursor = str(stamp)
        rows_seen = len(batch.records) + len(batch.rejects) + int(getattr(batch, "duplicates", 0))
        if rows_seen:
            self.commit(batch, new_cursor, rows_seen)

    def save_validators(self, cursor_before: str | None) -> dict[str, Any]:
        """Keep ETag/Last-Modified only when the next poll repeats this poll's first request."""
        if self.report.not_modified:
            return {}
        same_request = self.report.cursor == cursor_before or not (self.feed.format == "soda" or self.feed.since_param)
        etag, last_modified = self.first_validators if (same_request and self.first_validators) else (None, None)
        return {"etag": etag, "last_modified": last_modified}


def sync_once(
    store: Any,
    feed_cfg: FeedConfig,
    session: requests.Session,
    *,
    stop: threading.Event | None = None,
    on_change: OnChange | None = None,
    live: LiveBoard | None = None,
) -> SyncReport:
    """Poll one feed until it has nothing new (or ``stop`` is set), committing page by page.

    Never raises for feed problems: the report (and the feed's stored health)
    carries the error, and pages committed before it stay committed.
    """
    report = SyncReport(feed=feed_cfg.name, kind=feed_cfg.kind)
    poll: _Poll | None = None
    cursor_before: str | None = None
    try:
        poll = _Poll(store, feed_cfg, session, stop, on_change)
        report = poll.report
        cursor_before = report.cursor
        if feed_cfg.format == "soda" and not feed_cfg.is_local:
            poll.run_soda()
        else:
            poll.run_plain()
    except Cancelled:
        report.stopped = True
    except (FetchError, SyncError, SecretError) as exc:
        report.ok, report.error = False, str(exc)
    except Exception as exc:  # a bug or a store failure: this feed fails, the others go on
        log.exception("feed %s: unexpected error", feed_cfg.name)
        report.ok, report.error = False, f"internal error: {type(exc).__name__}: {exc}"
    if report.ok and poll is not None and poll.drift:
        report.ok, report.error = False, poll.drift
    _record_health(store, feed_cfg, report, poll, cursor_before, live)
    if report.ok:
        log.info("%s", report.summary())
    else:
        log.warning("%s", report.summary())
    return report


def _record_health(
    store: Any,
    feed: FeedConfig,
    report: SyncReport,
    poll: _Poll | None,
    cursor_before: str | None,
    live: LiveBoard | None,
) -> None:
    if report.stopped and report.ok and not report.pages:
        return  # stopped before anything happened: no news
    now = iso_now()
    stats = live.record(feed.name, ok=report.ok, newest_time=report.newest_time, at=now) if live else None
    prev = poll.state if poll is not None else dict(store.feed_state(feed.name) or {})
    fields: dict[str, Any] = {
        "rows_in": int(prev.get("rows_in") or 0) + report.inserted + report.updated,
        "rows_rejected": int(prev.get("rows_rejected") or 0) + report.rejected,
    }
    if report.ok:
        fields["last_success"] = now
        if poll is not None:
            fields.update(poll.save_validators(cursor_before))
    else:
        fields["last_error"] = report.error
        fields["last_error_at"] = now
    allowed = _feed_fields()
    if "consecutive_failures" in allowed:
        failures = stats.consecutive_failures if stats else (0 if report.ok else int(prev.get("consecutive_failures") or 0) + 1)
        fields["consecutive_failures"] = failures
    if "newest_time" in allowed and report.newest_time and report.newest_time > (prev.get("newest_time") or ""):
        fields["newest_time"] = report.newest_time
    try:
        store.update_feed_health(feed.name, **{k: v for k, v in fields.items() if k in allowed or not allowed})
    except Exception:  # health is bookkeeping; never let it take the feed down
        log.exception("feed %s: could not record health", feed.name)


# --------------------------------------------------------------------------- engine


class SyncEngine:
    """Keeps every configured feed in sync, one worker thread per feed.

    ``on_change(kind, max_rowid)`` is called on the worker thread after each
    commit that inserted rows or edited stored ones (a re-read page of
    unchanged rows stays quiet), so the UI and alerts can pull the delta with
    their own read connection: new rows by rowid (``changes_since``), edits
    from the change log (``updates_since``); ``max_rowid`` covers inserts only.
    """

    def __init__(
        self,
        store_path: str | Path,
        config: Config,
        *,
        only: Iterable[str] | None = None,
        session: requests.Session | None = None,
        on_change: OnChange | None = None,
        store: Any | None = None,
    ) -> None:
        wanted = set(only) if only is not None else None
        self.store_path = store_path
        self.config = config
        self.feeds: tuple[FeedConfig, ...] = tuple(
            f for f in config.feeds if f.enabled and (wanted is None or f.name in wanted)
        )
        self.on_change = on_change
        self.live = LiveBoard()
        self._stop = threading.Event()
        self._own_session = session is None
        self._session = session if session is not None else make_session(stop_event=self._stop, pool_maxsize=max(4, len(self.feeds)))
        self._own_store = store is None
        self._store = store
        self._threads: list[threading.Thread] = []
        self._wake: dict[str, threading.Event] = {f.name: threading.Event() for f in self.feeds}
        self._reports: dict[str, SyncReport] = {}
        self._lock = threading.Lock()

    # -- store
    def _open(self) -> Any:
        if self._store is None:
            self._store = open_store(self.store_path, writer=True)
        return self._store

    @property
    def store(self) -> Any:
        return self._open()

    # -- lifecycle
    def start(self) -> "SyncEngine":
        """Start one ``rtcc-sync-<name>`` thread per feed."""
        if self._threads:
            raise RuntimeError("SyncEngine already started")
        store = self._open()
        for name, message in self.config.feed_errors:
            log.error("feed %s not started: bad settings: %s", name, message)
        for feed in self.feeds:
            t = threading.Thread(target=self._worker, args=(store, feed), name=f"rtcc-sync-{feed.name}", daemon=True)
            self._threads.append(t)
            t.start()
        if self.config.retention:
            t = threading.Thread(target=self._retention_worker, args=(store,), name="rtcc-sync-retention", daemon=True)
            self._threads.append(t)
            t.start()
        return self

    def _retention_worker(self, store: Any) -> None:
        """Apply the retention policy at start and then every hour until stopped."""
        while not self._stop.is_set():
            try:
                apply_retention(store, self.config.retention)
            except Exception:  # a failed purge is logged and tried again; syncing goes on
                log.exception("retention purge failed")
            if self._stop.wait(RETENTION_EVERY_S):
                return

    def stop(self, timeout: float = 15.0) -> None:
        """Ask every worker to stop, wait for them, then release the session and store."""
        self._stop.set()
        for ev in self._wake.values():
            ev.set()
        for t in self._threads:
            t.join(timeout)
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("sync threads still running after %.0f s: %s", timeout, ", ".join(alive))
        self._threads = [t for t in self._threads if t.is_alive()]
        if self._own_session and not alive:
            self._session.close()
        if self._own_store and self._store is not None and not alive:
            self._store.close()
            self._store = None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until :meth:`stop` is called (from another thread or a signal); True if stopped."""
        return self._stop.wait(timeout)

    def __enter__(self) -> "SyncEngine":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def poke(self, name: str | None = None) -> None:
        """Poll ``name`` (or every feed) now instead of at the next interval."""
        for n, ev in self._wake.items():
            if name is None or n == name:
                ev.set()

    # -- work
    def run_once(self) -> list[SyncReport]:
        """One pass over the feeds in this thread (CLI ``sync --once``)."""
        store = self._open()
        reports = []
        try:
            for feed in self.feeds:
                if self._stop.is_set():
                    break
                rep = sync_once(store, feed, self._session, stop=self._stop, on_change=self.on_change, live=self.live)
                self._remember(rep)
                reports.append(rep)
        finally:
            if not self._threads:
                self._close_if_owned()
        return reports

    def _close_if_owned(self) -> None:
        if self._own_store and self._store is not None:
            self._store.close()
            self._store = None

    def _worker(self, store: Any, feed: FeedConfig) -> None:
        wake = self._wake[feed.name]
        # the lag figure survives a restart without the UI ever querying for it
        self.live.seed_newest(feed.name, newest_stored_time(store, feed.kind, feed.name))
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                rep = sync_once(store, feed, self._session, stop=self._stop, on_change=self.on_change, live=self.live)
                self._remember(rep)
            except Exception:  # sync_once already catches; this guards the loop itself
                log.exception("feed %s: worker error", feed.name)
            delay = max(0.0, feed.interval_s - (time.monotonic() - began))
            wake.wait(delay)
            wake.clear()

    def _remember(self, rep: SyncReport) -> None:
        with self._lock:
            self._reports[rep.feed] = rep

    def last_report(self, name: str) -> SyncReport | None:
        with self._lock:
            return self._reports.get(name)

    def health(self, now: datetime | None = None) -> list[FeedHealth]:
        """Health of every feed (from this engine's store and live counters).

        Reads through the engine's store; the UI thread should prefer its own
        read Store with :func:`rtcc_desktop.feeds.health.feed_health` and
        :attr:`live`.
        """
        return feed_health(self._open(), self.config, now=now, live=self.live.snapshot(), query_newest=False)


def sync_all(store: Any, config: Config, session: requests.Session, names: Sequence[str] | None = None) -> list[SyncReport]:
    """Poll each (or each named) feed once, in order; for scripts and tests."""
    return [sync_once(store, f, session) for f in config.feeds if names is None or f.name in names]


__all__ = ["SyncEngine", "SyncError", "SyncReport", "soda_params", "sync_all", "sync_once"]
