"""Hot lists: plates the centre wants to hear about the moment a camera reads them.

Lists arrive as CSV from many places (NCIC extracts, a detective's
spreadsheet, the simulator's ``/hotlist.csv``), so headers are matched
loosely, and every row that cannot be used is reported with its line number
and reason: nothing is dropped silently. Several lists are active at once;
each decides whether a read that differs only by characters ALPR confuses
(0/O, 8/B, ...) counts as a hit. Expired entries stay visible but never match.
Lists live in the store's database (tables ``hotlists`` and ``hotlist_entries``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Iterable

from rtcc_desktop.analysis.plates import canonical_plate
from rtcc_desktop.analysis.tables import db_of, reading, table_exists, writing
from rtcc_desktop.model.timeutil import TimeParseError, iso_now, parse_time, to_iso
from rtcc_desktop.model.validate import normalise_plate

log = logging.getLogger(__name__)

LISTS: Final[str] = "hotlists"
ENTRIES: Final[str] = "hotlist_entries"
MAX_FILE_BYTES: Final[int] = 200 * 1024 * 1024
MAX_FIELD: Final[int] = 500
_PLATE_OK = re.compile(r"^[A-Z0-9]{1,12}$")
_DATE_ONLY = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})\s*$")

#: Header spellings seen in the wild → our column (compared lower-case, without spaces/_/-/.).
HEADER_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "plate": ("plate", "plates", "platenumber", "plateno", "platenum", "licenseplate", "licenceplate", "license",
              "licence", "lic", "licno", "licnum", "tag", "tagnumber", "lp", "lpn", "vrm", "registration", "reg", "vehicleplate"),
    "state": ("state", "st", "platestate", "licstate", "licensestate", "tagstate", "jurisdiction", "province", "region", "issuer"),
    "reason": ("reason", "alert", "alerttype", "category", "type", "offense", "offence", "description", "desc",
               "note", "notes", "comment", "comments", "hit", "hittype", "why", "list"),
    "expiry": ("expiry", "expires", "expiration", "expirationdate", "expirydate", "exp", "expdate", "validuntil",
               "until", "enddate", "purgedate", "expireson"),
}
_ALIAS_TO_COL: Final[dict[str, str]] = {a: col for col, aliases in HEADER_ALIASES.items() for a in aliases}
POSITIONAL: Final[tuple[str, ...]] = ("plate", "state", "reason", "expiry")


class HotlistError(ValueError):
    """The file or request cannot be used at all (a bad row is reported, not raised)."""


@dataclass
class HotlistEntry:
    """One usable row of a list."""

    plate: str
    state: str | None
    reason: str | None
    expiry: str | None  # canonical UTC; None = never expires
    line: int


@dataclass
class ParseResult:
    """What a CSV gave: usable entries and the rows that were not used, with why."""

    entries: list[HotlistEntry] = field(default_factory=list)
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    columns: dict[str, int] = field(default_factory=dict)
    header: bool = True


@dataclass
class ImportReport:
    """What ``import_hotlist`` did, for the CLI and the UI to show."""

    name: str
    list_id: int
    imported: int
    expired: int
    bad_rows: list[tuple[int, str]]
    replaced: int  # entries of the previous version of this list that were replaced
    confusion: bool

    @property
    def rejected(self) -> int:
        return len(self.bad_rows)

    def summary(self) -> str:
        text = (
            f"hot list {self.name!r}: imported {self.imported} entr{'y' if self.imported == 1 else 'ies'}"
            f" ({self.expired} already expired), rejected {self.rejected}"
            + (f", replaced {self.replaced} old entries" if self.replaced else "")
            + ("; similar-character matching on" if self.confusion else "")
        )
        lines = [text] + [f"  line {n}: {why}" for n, why in self.bad_rows[:50]]
        if len(self.bad_rows) > 50:
            lines.append(f"  ... and {len(self.bad_rows) - 50} more rejected rows")
        return "\n".join(lines)


def _key(header: str) -> str:
    return re.sub(r"[\s_\-\.#/()]+", "", header.strip().lower().lstrip("\ufeff"))


def _detect_columns(row: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, cell in enumerate(row):
        col = _ALIAS_TO_COL.get(_key(cell))
        if col and col not in cols:
            cols[col] = i
    return cols


def _sniff_delimiter(sample: str) -> str:
    first = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def parse_expiry(value: str) -> str:
    """Expiry text → canonical UTC; a date without a time is valid through that whole day."""
    dt = parse_time(value, tz=None)
    if _DATE_ONLY.match(value):
        dt = dt + timedelta(days=1) - timedelta(seconds=1)
    return to_iso(dt)


def parse_hotlist(text: str) -> ParseResult:
    """Read a hot-list CSV (any common delimiter, header names matched loosely).

    Without a recognisable header the columns are taken as plate, state,
    reason, expiry. A row with an unusable plate, a bad expiry or a repeat of
    an earlier plate is listed in ``bad_rows`` with its line number.
    """
    result = ParseResult()
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text[:4096]))
    seen: dict[tuple[str, str | None], int] = {}
    cols: dict[str, int] | None = None
    try:
        for row in reader:
            line = reader.line_num
            if not row or all(not c.strip() for c in row):
                continue
            if cols is None:
                found = _detect_columns(row)
                if "plate" in found:
                    cols = found
                    result.columns = dict(found)
                    continue
                if any(_ALIAS_TO_COL.get(_key(c)) for c in row):
                    raise HotlistError(
                        "the header names no plate column; name it one of: plate, plate_number, license, tag, lp"
                    )
                cols = {name: i for i, name in enumerate(POSITIONAL)}
                result.columns = dict(cols)
                result.header = False
            _parse_row(row, line, cols, result, seen)
    except csv.Error as exc:
        result.bad_rows.append((reader.line_num, f"unreadable CSV: {exc}; the rest of the file was not read"))
    if cols is None:
        raise HotlistError("the file has no rows")
    return result


def _cell(row: list[str], cols: dict[str, int], name: str) -> str | None:
    i = cols.get(name)
    if i is None or i >= len(row):
        return None
    v = row[i].strip()
    return v[:MAX_FIELD] if v else None


def _entry_or_why(
    raw_plate: str | None, state: str | None, reason: str | None, expiry_text: str | None, line: int
) -> HotlistEntry | str:
    """The entry, or why the row cannot be one: the one rule set for imported and typed entries."""
    if not raw_plate:
        return "plate is missing"
    plate = normalise_plate(raw_plate)
    if not _PLATE_OK.match(plate):
        return f"plate {raw_plate[:40]!r} is not 1-12 letters and digits"
    expiry = None
    if expiry_text:
        try:
            expiry = parse_expiry(expiry_text)
        except (TimeParseError, ValueError) as exc:
            return f"expiry {expiry_text[:40]!r} is not a date: {exc}"
    return HotlistEntry(plate, state.upper()[:8] if state else None, reason, expiry, line)


def _parse_row(
    row: list[str], line: int, cols: dict[str, int], result: ParseResult, seen: dict[tuple[str, str | None], int]
) -> None:
    got = _entry_or_why(
        _cell(row, cols, "plate"), _cell(row, cols, "state"), _cell(row, cols, "reason"), _cell(row, cols, "expiry"), line
    )
    if isinstance(got, str):
        result.bad_rows.append((line, got))
        return
    key = (got.plate, got.state)
    if key in seen:
        result.bad_rows.append((line, f"plate {got.plate}{' ' + got.state if got.state else ''} repeats line {seen[key]}"))
        return
    seen[key] = line
    result.entries.append(got)


def check_entry(plate: str | None, state: str | None = None, reason: str | None = None,
                expiry: str | None = None) -> HotlistEntry:
    """A plate typed by hand, checked by the same rules as an imported row; HotlistError says why not."""

    def clean(v: str | None) -> str | None:
        v = (v or "").strip()
        return v[:MAX_FIELD] if v else None

    got = _entry_or_why(clean(plate), clean(state), clean(reason), clean(expiry), 0)
    if isinstance(got, str):
        raise HotlistError(got)
    return got


# --------------------------------------------------------------------------- persistence


def ensure_tables(db: Any) -> None:
    """Create the two hot-list tables on a sqlite-utils Database when missing."""
    names = set(db.table_names())
    if LISTS not in names:
        db[LISTS].create(
            {"id": int, "name": str, "confusion": int, "active": int, "source": str, "created": str,
             "updated": str, "revision": int, "entries": int, "rejected": int, "imported": str, "imported_by": str},
            pk="id",
            not_null={"name"},
        )
        db[LISTS].create_index(["name"], index_name="hotlists_name", unique=True)
    else:  # lists stored before the import time and analyst were kept
        have = set(db[LISTS].columns_dict)
        for col in ("imported", "imported_by"):
            if col not in have:
                db.execute(f"ALTER TABLE {LISTS} ADD COLUMN {col} TEXT")
    if ENTRIES not in names:
        db[ENTRIES].create(
            {"id": int, "list_id": int, "plate": str, "canon": str, "state": str, "reason": str, "expiry": str,
             "line": int},
            pk="id",
            not_null={"list_id", "plate", "canon"},
            foreign_keys=[("list_id", LISTS, "id")],
        )
        db[ENTRIES].create_index(["plate"], index_name="hotlist_entries_plate")
        db[ENTRIES].create_index(["canon"], index_name="hotlist_entries_canon")
        db[ENTRIES].create_index(["list_id"], index_name="hotlist_entries_list")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise HotlistError("a hot list needs a name (--name)")
    if len(name) > 100:
        raise HotlistError("a hot list name is at most 100 characters")
    return name


def import_hotlist_text(store: Any, text: str, name: str, confusion: bool = False, source: str | None = None,
                        now: datetime | None = None, actor: str | None = None) -> ImportReport:
    """Parse ``text`` and store it as list ``name``, replacing that list's old entries in one transaction.

    ``actor`` is who imported it (shown with the list; the caller audits the import).
    """
    name = _check_name(name)
    parsed = parse_hotlist(text)
    now_iso = to_iso(now) if now else iso_now()
    with writing(store) as conn:
        ensure_tables(db_of(store))
        row = conn.execute(f"SELECT id FROM {LISTS} WHERE name = ?", [name]).fetchone()
        if row:
            list_id = int(row[0])
            replaced = int(conn.execute(f"SELECT count(*) FROM {ENTRIES} WHERE list_id = ?", [list_id]).fetchone()[0])
            conn.execute(f"DELETE FROM {ENTRIES} WHERE list_id = ?", [list_id])
            conn.execute(
                f"UPDATE {LISTS} SET confusion = ?, source = ?, updated = ?, entries = ?, rejected = ?, "
                "revision = revision + 1, imported = ?, imported_by = ? WHERE id = ?",
                [int(confusion), source, now_iso, len(parsed.entries), len(parsed.bad_rows), now_iso, actor, list_id],
            )
        else:
            replaced = 0
            cur = conn.execute(
                f"INSERT INTO {LISTS} (name, confusion, active, source, created, updated, revision, entries, rejected, "
                "imported, imported_by) VALUES (?, ?, 1, ?, ?, ?, 1, ?, ?, ?, ?)",
                [name, int(confusion), source, now_iso, now_iso, len(parsed.entries), len(parsed.bad_rows), now_iso, actor],
            )
            list_id = int(cur.lastrowid or 0)
        conn.executemany(
            f"INSERT INTO {ENTRIES} (list_id, plate, canon, state, reason, expiry, line) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(list_id, e.plate, canonical_plate(e.plate), e.state, e.reason, e.expiry, e.line) for e in parsed.entries],
        )
    expired = sum(1 for e in parsed.entries if e.expiry is not None and e.expiry < now_iso)
    log.info("hot list %r: %d entries, %d rejected", name, len(parsed.entries), len(parsed.bad_rows))
    return ImportReport(name, list_id, len(parsed.entries), expired, parsed.bad_rows, replaced, bool(confusion))


def import_hotlist(store: Any, path: str | Path, name: str, confusion: bool = False,
                   actor: str | None = None) -> ImportReport:
    """Import a hot-list CSV file as list ``name`` (re-importing a name replaces that list).

    For ``rtcc-desktop hotlist import FILE --name N [--confusion]``. Raises
    :class:`HotlistError` when the file cannot be used at all; rows that
    cannot be used are in the report's ``bad_rows`` with line numbers.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise HotlistError(f"{p}: {size:,} bytes is more than the {MAX_FILE_BYTES // (1024 * 1024)} MiB a hot list may be")
        data = p.read_bytes()
    except OSError as exc:
        raise HotlistError(f"{p}: cannot read: {exc.strerror or exc}") from None
    return import_hotlist_text(store, decode_text(data), name, confusion, source=str(p), actor=actor)


#: Why hot-list changes are made, as the audit log records it.
MANAGEMENT_REASON: Final[str] = "hot-list management"


def audited_import(store: Any, path: str | Path, name: str, confusion: bool, actor: str,
                   reason: str = MANAGEMENT_REASON) -> ImportReport:
    """Import a hot-list file and write who did it, from which file, with what result to the audit log.

    Hot lists decide whose car raises an alert, so every import is on record,
    from the panel and from the command line alike.
    """
    rep = import_hotlist(store, path, name, confusion, actor=actor)
    store.audit(actor, "hotlist import",
                {"list": name, "file": str(path), "confusion": confusion, "imported": rep.imported,
                 "rejected": rep.rejected, "replaced": rep.replaced, "bad_rows": rep.bad_rows[:100]},
                reason, rep.imported)
    return rep


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252: what spreadsheets export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class HotlistInfo:
    """One list as the UI shows it; entry counts are counted now, not as imported."""

    id: int
    name: str
    confusion: bool
    active: bool
    entries: int
    rejected: int
    updated: str | None
    source: str | None
    expired: int = 0
    imported: str | None = None
    imported_by: str | None = None

    @property
    def active_entries(self) -> int:
        """Entries that can still match (not expired), whether or not the list is switched on."""
        return self.entries - self.expired


def list_hotlists(store: Any, now_iso: str | None = None) -> list[HotlistInfo]:
    """Every list, by name, with how many of its entries have expired by ``now_iso`` (default now)."""
    now_iso = now_iso or iso_now()
    with reading(store) as conn:
        if not table_exists(conn, LISTS):
            return []
        cur = conn.execute(
            f"SELECT l.*, (SELECT count(*) FROM {ENTRIES} e WHERE e.list_id = l.id) AS n_entries, "
            f"(SELECT count(*) FROM {ENTRIES} e WHERE e.list_id = l.id AND e.expiry < ?) AS n_expired "
            f"FROM {LISTS} l ORDER BY l.name",
            [now_iso],
        )
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur]
    return [
        HotlistInfo(int(r["id"]), r["name"], bool(r["confusion"]), bool(r["active"]), int(r["n_entries"]),
                    int(r["rejected"] or 0), r["updated"], r["source"], int(r["n_expired"]),
                    r.get("imported") or r.get("created"), r.get("imported_by"))
        for r in rows
    ]


def get_hotlist(store: Any, name: str, now_iso: str | None = None) -> HotlistInfo | None:
    """One list by name (None when there is none)."""
    return next((h for h in list_hotlists(store, now_iso) if h.name == name), None)


def _list_id(conn: Any, name: str) -> int:
    row = conn.execute(f"SELECT id FROM {LISTS} WHERE name = ?", [name]).fetchone() if table_exists(conn, LISTS) else None
    if row is None:
        raise HotlistError(f"there is no hot list named {name!r}")
    return int(row[0])


def _touch(conn: Any, list_id: int) -> None:
    """Bump the list's revision: the alert engine and the map reload their matchers on it."""
    conn.execute(f"UPDATE {LISTS} SET revision = revision + 1, updated = ? WHERE id = ?", [iso_now(), list_id])


_ENTRY_COLS: Final[str] = "id, plate, state, reason, expiry, line"


def _entry_dict(row: tuple[Any, ...], now_iso: str) -> dict[str, Any]:
    out = dict(zip(("id", "plate", "state", "reason", "expiry", "line"), row))
    out["expired"] = out["expiry"] is not None and out["expiry"] < now_iso
    return out


def add_entry(store: Any, name: str, plate: str, state: str | None = None, reason: str | None = None,
              expiry: str | None = None, now_iso: str | None = None) -> dict[str, Any]:
    """Put one plate on list ``name`` (checked like an imported row); returns the stored entry.

    The same plate and state twice on one list is refused, as in an import.
    """
    entry = check_entry(plate, state, reason, expiry)
    now_iso = now_iso or iso_now()
    with writing(store) as conn:
        list_id = _list_id(conn, name)
        if conn.execute(
            f"SELECT 1 FROM {ENTRIES} WHERE list_id = ? AND plate = ? AND state IS ?", [list_id, entry.plate, entry.state]
        ).fetchone():
            raise HotlistError(f"{entry.plate}{' ' + entry.state if entry.state else ''} is already on {name!r}")
        cur = conn.execute(
            f"INSERT INTO {ENTRIES} (list_id, plate, canon, state, reason, expiry, line) VALUES (?, ?, ?, ?, ?, ?, NULL)",
            [list_id, entry.plate, canonical_plate(entry.plate), entry.state, entry.reason, entry.expiry],
        )
        conn.execute(f"UPDATE {LISTS} SET entries = coalesce(entries, 0) + 1 WHERE id = ?", [list_id])
        _touch(conn, list_id)
        row = conn.execute(f"SELECT {_ENTRY_COLS} FROM {ENTRIES} WHERE id = ?", [cur.lastrowid]).fetchone()
    return _entry_dict(row, now_iso)


def remove_entry(store: Any, name: str, entry_id: int, now_iso: str | None = None) -> dict[str, Any] | None:
    """Take one entry off list ``name``; returns what was removed (None when it was not there)."""
    with writing(store) as conn:
        list_id = _list_id(conn, name)
        row = conn.execute(
            f"SELECT {_ENTRY_COLS} FROM {ENTRIES} WHERE id = ? AND list_id = ?", [int(entry_id), list_id]
        ).fetchone()
        if row is None:
            return None
        conn.execute(f"DELETE FROM {ENTRIES} WHERE id = ?", [int(entry_id)])
        conn.execute(f"UPDATE {LISTS} SET entries = max(coalesce(entries, 0) - 1, 0) WHERE id = ?", [list_id])
        _touch(conn, list_id)
    return _entry_dict(row, now_iso or iso_now())


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_entries(store: Any, name: str, text: str = "", limit: int = 500, offset: int = 0,
                 now_iso: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """A page of list ``name``'s entries by plate, and how many match in all.

    Every word of ``text`` must appear in the plate, state, reason or expiry
    (any case; a plate word is compared without spaces or dashes). Each
    entry carries ``expired`` (its expiry is before ``now_iso``).
    """
    now_iso = now_iso or iso_now()
    where, args = ["list_id = ?"], []
    for word in text.split()[:10]:
        plate_word = normalise_plate(word) or word
        where.append(
            "(plate LIKE ? ESCAPE '\\' OR coalesce(state, '') LIKE ? ESCAPE '\\' "
            "OR coalesce(reason, '') LIKE ? ESCAPE '\\' OR coalesce(expiry, '') LIKE ? ESCAPE '\\')"
        )
        args += [_like(plate_word)] + [_like(word)] * 3
    with reading(store) as conn:
        list_id = _list_id(conn, name)
        sql = f"FROM {ENTRIES} WHERE {' AND '.join(where)}"
        total = int(conn.execute(f"SELECT count(*) {sql}", [list_id, *args]).fetchone()[0])
        rows = conn.execute(
            f"SELECT {_ENTRY_COLS} {sql} ORDER BY plate, state, id LIMIT ? OFFSET ?",
            [list_id, *args, max(0, int(limit)), max(0, int(offset))],
        ).fetchall()
    return [_entry_dict(r, now_iso) for r in rows], total


def set_hotlist(store: Any, name: str, *, active: bool | None = None, confusion: bool | None = None) -> bool:
    """Switch a list on/off or change its similar-character flag; False when no such list."""
    sets: list[str] = ["updated = ?", "revision = revision + 1"]
    args: list[Any] = [iso_now()]
    if active is not None:
        sets.append("active = ?")
        args.append(int(active))
    if confusion is not None:
        sets.append("confusion = ?")
        args.append(int(confusion))
    with writing(store) as conn:
        if not table_exists(conn, LISTS):
            return False
        return conn.execute(f"UPDATE {LISTS} SET {', '.join(sets)} WHERE name = ?", [*args, name]).rowcount > 0


def delete_hotlist(store: Any, name: str) -> bool:
    """Remove a list and its entries (alerts it raised stay)."""
    with writing(store) as conn:
        if not table_exists(conn, LISTS):
            return False
        row = conn.execute(f"SELECT id FROM {LISTS} WHERE name = ?", [name]).fetchone()
        if not row:
            return False
        conn.execute(f"DELETE FROM {ENTRIES} WHERE list_id = ?", [row[0]])
        conn.execute(f"DELETE FROM {LISTS} WHERE id = ?", [row[0]])
    return True


def hotlist_version(store: Any) -> str:
    """Changes whenever any list is imported, switched or removed (the matcher reloads then)."""
    with reading(store) as conn:
        if not table_exists(conn, LISTS):
            return ""
        row = conn.execute(
            f"SELECT group_concat(id || ':' || revision, ',') FROM (SELECT id, revision FROM {LISTS} ORDER BY id)"
        ).fetchone()
    return row[0] or ""


@dataclass(frozen=True)
class Hit:
    """A read matched a list entry."""

    list_id: int
    list_name: str
    plate: str  # the listed plate
    state: str | None
    reason: str | None
    expiry: str | None
    substituted: bool  # matched only through confusable characters


class HotlistMatcher:
    """In-memory index of the active, unexpired entries of every active list.

    Exact plates are one dict lookup; lists with ``confusion`` also index the
    canonical form (each confusable character replaced by its class), so a
    similar-character hit is a second lookup, not a scan.
    """

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self.exact: dict[str, list[Hit]] = {}
        self.canon: dict[str, list[Hit]] = {}
        for list_id, list_name, confusion, plate, canon, state, reason, expiry in rows:
            hit = Hit(int(list_id), list_name, plate, state, reason, expiry, False)
            self.exact.setdefault(plate, []).append(hit)
            if confusion:
                self.canon.setdefault(canon, []).append(
                    Hit(int(list_id), list_name, plate, state, reason, expiry, True)
                )
        self.size = sum(len(v) for v in self.exact.values())

    @classmethod
    def load(cls, store: Any, now_iso: str | None = None) -> "HotlistMatcher":
        """The entries that can match at ``now_iso`` (default now)."""
        now_iso = now_iso or iso_now()
        with reading(store) as conn:
            if not table_exists(conn, LISTS):
                return cls([])
            rows = conn.execute(
                f"SELECT l.id, l.name, l.confusion, e.plate, e.canon, e.state, e.reason, e.expiry "
                f"FROM {ENTRIES} e JOIN {LISTS} l ON l.id = e.list_id "
                "WHERE l.active = 1 AND (e.expiry IS NULL OR e.expiry >= ?)",
                [now_iso],
            ).fetchall()
        return cls(rows)

    def match(self, plate: str | None, state: str | None = None, now_iso: str | None = None) -> list[Hit]:
        """Every list entry this read hits (one per list, exact preferred over similar).

        A listed state must equal the read's state when both are known; an
        entry that expired since the matcher was loaded no longer matches.
        """
        if not plate:
            return []
        now_iso = now_iso or iso_now()
        found: dict[int, Hit] = {}
        for hit in self.exact.get(plate, ()):
            if self._ok(hit, state, now_iso):
                found.setdefault(hit.list_id, hit)
        if self.canon:
            for hit in self.canon.get(canonical_plate(plate), ()):
                if hit.plate != plate and hit.list_id not in found and self._ok(hit, state, now_iso):
                    found[hit.list_id] = hit
        return list(found.values())

    @staticmethod
    def _ok(hit: Hit, state: str | None, now_iso: str) -> bool:
        if hit.expiry is not None and hit.expiry < now_iso:
            return False
        return not (hit.state and state and hit.state != state.upper())
