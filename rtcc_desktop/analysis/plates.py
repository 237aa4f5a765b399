"""Plate search that forgives what ALPR cameras get wrong.

Cameras misread characters that look alike (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B,
6/G), so an analyst looking for ``ABC123`` also wants ``A8C123``. A pattern
(``*`` any run, ``?`` one character) is turned into ONE SQL GLOB with
character classes, plus a small set of index ranges over the literal prefix,
run over the store's table of distinct plates, so a search over millions of
reads touches only the plates that can match (a leading ``*`` reads every
distinct plate, never every read). Ranking (exact first, then fewest substituted characters, then newest)
is done on the distinct matching plates, and only the page asked for is read.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from typing import Any, Final, Iterable

from rtcc_desktop.analysis.near import require_reason
from rtcc_desktop.analysis.tables import reading
from rtcc_desktop.model.validate import normalise_plate
from rtcc_desktop.store.plate_index import PLATE_INDEX, block_filter, blocks_json, known_plates_sql, tail

#: Characters ALPR engines confuse with each other.
CONFUSION_CLASSES: Final[tuple[str, ...]] = ("0ODQ", "1IL", "2Z", "5S", "8B", "6G")

_CLASS_OF: Final[dict[str, str]] = {c: cls for cls in CONFUSION_CLASSES for c in cls}
#: One representative per class: two plates are "similar" when their canonical forms are equal.
_CANON: Final[dict[int, str]] = {ord(c): cls[0] for cls in CONFUSION_CLASSES for c in cls}

#: Characters a ``?`` is expanded to when building index ranges (the rest of
#: the code space is still covered by "gap" ranges, so nothing is missed).
_ALNUM: Final[str] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GAPS: Final[tuple[tuple[str, str | None], ...]] = (("", "0"), (":", "A"), ("[", None))

#: Most index ranges one search is split into (beyond this the prefix is cut short).
MAX_RANGES: Final[int] = 64
#: Prefix characters worth expanding: four already leave a few reads per range.
MAX_DEPTH: Final[int] = 4
#: Most distinct plates one similar search may rank; broader patterns are refused.
MAX_PLATES: Final[int] = 20_000
MAX_PATTERN: Final[int] = 32


class PatternError(ValueError):
    """A plate pattern that cannot be searched; the message says why and what to do."""


def confusion_class(ch: str) -> str:
    """Every character ``ch`` may be misread as (including itself)."""
    return _CLASS_OF.get(ch, ch)


def canonical_plate(plate: str) -> str:
    """The plate with each confusable character replaced by its class representative."""
    return plate.translate(_CANON)


def normalise_pattern(pattern: str) -> str:
    """Upper-case, without spaces/dashes/dots; ``**`` collapsed; refuse empty or silly input."""
    if pattern is None:
        raise PatternError("a plate pattern is required")
    p = normalise_plate(pattern)
    while "**" in p:
        p = p.replace("**", "*")
    if not p:
        raise PatternError("the plate pattern is empty; give characters with * or ? as wildcards")
    if len(p) > MAX_PATTERN:
        raise PatternError(f"the plate pattern is longer than {MAX_PATTERN} characters")
    if not p.strip("*?"):
        raise PatternError("the plate pattern has no characters, only wildcards; give at least one character")
    return p


def _glob_char(c: str) -> str:
    # Only '[' is special for GLOB among characters a user can mean literally
    # ('*' and '?' are our wildcards too, so they never reach here).
    return "[[]" if c == "[" else c


def to_glob(pattern: str, similar: bool) -> str:
    """The SQL GLOB for a normalised pattern; confusable characters become ``[..]`` classes."""
    out = []
    for c in pattern:
        if c in "*?":
            out.append(c)
        elif similar and c in _CLASS_OF:
            out.append("[" + _CLASS_OF[c] + "]")
        else:
            out.append(_glob_char(c))
    return "".join(out)


def _successor(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_ranges(
    pattern: str, similar: bool, max_ranges: int = MAX_RANGES, max_depth: int = MAX_DEPTH
) -> list[tuple[str, str | None]]:
    """Half-open ``[lo, hi)`` ranges of plate text that together hold every match.

    The literal start of the pattern is expanded (each confusable character
    into its class, each ``?`` into 0-9A-Z plus the gaps between them) while
    the number of ranges stays within ``max_ranges`` and the prefix within
    ``max_depth`` characters. An empty list means the
    pattern starts with ``*``: no range can help and the whole index is read.
    """
    prefixes = [""]
    closed: list[tuple[str, str | None]] = []
    for c in pattern[:max_depth]:
        if c == "*":
            break
        if c == "?":
            alts = _ALNUM
            if len(prefixes) * (len(alts) + len(_GAPS)) + len(closed) > max_ranges:
                break
            for p in prefixes:
                for lo, hi in _GAPS:
                    closed.append((p + lo, p + hi if hi is not None else (_successor(p) if p else None)))
        else:
            alts = confusion_class(c) if similar else c
            if len(prefixes) * len(alts) + len(closed) > max_ranges:
                break
        prefixes = [p + a for p in prefixes for a in alts]
    if prefixes == [""]:
        return []
    return [(p, _successor(p)) for p in prefixes] + closed


def substitutions(plate: str, pattern: str, similar: bool = True) -> int | None:
    """Fewest confusable-character substitutions that make ``plate`` match ``pattern``.

    0 is an exact (wildcard) match; None means no match at all. A small
    dynamic programme, because ``*`` can align the plate in several ways.
    """
    n, m = len(pattern), len(plate)
    inf = 1 << 30
    # prev[j]: best cost matching pattern[:i] against plate[:j]
    prev = [inf] * (m + 1)
    prev[0] = 0
    for i in range(1, n + 1):
        t = pattern[i - 1]
        cur = [inf] * (m + 1)
        if t == "*":
            best = inf
            for j in range(m + 1):
                best = min(best, prev[j])
                cur[j] = best
        else:
            for j in range(1, m + 1):
                if prev[j - 1] >= inf:
                    continue
                ch = plate[j - 1]
                if t == "?" or ch == t:
                    cost = 0
                elif similar and ch in _CLASS_OF and _CLASS_OF[ch] == _CLASS_OF.get(t):
                    cost = 1
                else:
                    continue
                cur[j] = min(cur[j], prev[j - 1] + cost)
        prev = cur
    return None if prev[m] >= inf else prev[m]


def match_score(subs: int, pattern: str) -> float:
    """1.0 for an exact match, lower for each substituted character (never below 0)."""
    literal = sum(1 for c in pattern if c not in "*?") or 1
    return round(max(0.0, 1.0 - subs / literal), 3)


# --------------------------------------------------------------------------- SQL


@dataclass(frozen=True)
class PlateQuery:
    """The SQL pieces for one pattern: a GLOB and the index ranges around it."""

    pattern: str
    glob: str
    ranges: tuple[tuple[str, str | None], ...]


def plan(pattern: str, similar: bool = True) -> PlateQuery:
    """Normalise ``pattern`` and build its GLOB and index ranges."""
    p = normalise_pattern(pattern)
    return PlateQuery(p, to_glob(p, similar), tuple(prefix_ranges(p, similar)))


def matching_plates(conn: sqlite3.Connection, q: PlateQuery, state: str | None = None, cap: int = MAX_PLATES) -> list[str]:
    """Distinct plates held by stored reads that match the query's GLOB.

    Reads the store's list of distinct plates (and the newest reads' plates
    not merged into it yet), so even a pattern that starts with ``*`` scans
    plates, not reads. Each range is its own index seek (a UNION of small
    scans). A state narrows to plates read in that state. Raises
    :class:`PatternError` when more than ``cap`` plates match.
    """
    args: dict[str, Any] = {"glob": q.glob, "state": state, "cap": cap + 1, **tail(conn)}
    if state:
        args["blocks"] = blocks_json(conn)
    parts: list[str] = []
    for i, (lo, hi) in enumerate(q.ranges or ((None, None),)):
        args[f"lo{i}"], args[f"hi{i}"] = lo, hi

        def where(alias: str, lo: str | None = lo, hi: str | None = hi, i: int = i) -> str:
            bounds = []
            if lo is not None:
                bounds.append(f"{alias}.plate >= :lo{i}")
            if hi is not None:
                bounds.append(f"{alias}.plate < :hi{i}")
            # "+": without it SQLite derives its own (wider) index range from
            # the GLOB's literal prefix and may seek with that instead of ours
            # (measured 33 ms vs 0.06 ms per range on 5M reads)
            bounds.append(f"+{alias}.plate GLOB :glob" if bounds else f"{alias}.plate GLOB :glob")
            if state:
                bounds.append(
                    f"EXISTS (SELECT 1 FROM plate_reads r INDEXED BY {PLATE_INDEX} "
                    f"WHERE r.plate = +{alias}.plate AND r.state = :state AND {block_filter('r', ':blocks')})"
                )
            return " AND ".join(bounds)

        parts.append(known_plates_sql(where))
    sql = " UNION ".join(parts) + " LIMIT :cap"
    plates = [r[0] for r in conn.execute(sql, args)]
    if len(plates) > cap:
        raise PatternError(
            f"the pattern {q.pattern!r} matches more than {cap:,} different plates; "
            "give more characters (or a state) to narrow it"
        )
    return plates


def ranked_plates(plates: Iterable[str], pattern: str, similar: bool = True) -> list[tuple[str, int]]:
    """``(plate, substitutions)`` for each plate that matches, fewest substitutions first."""
    out = []
    for p in plates:
        s = substitutions(p, pattern, similar)
        if s is not None:
            out.append((p, s))
    out.sort(key=lambda ps: (ps[1], ps[0]))
    return out


#: Reads in one ranking group above which its page is found by walking the
#: time index newest-first (checking the plate) instead of joining every
#: read of every plate and sorting: a two-character ``*5B*`` matches ~9,000
#: plates and ~190,000 reads on 5M (0.9 s joined, tens of ms walked).
WALK_READS: Final[int] = 4000


def _group_where(state: str | None, by_plate: bool = True) -> str:
    """Reads of the plates in ``:plates`` (JSON), of ``:state`` if given.

    ``by_plate``: found through the plate index, so the blocks in ``:blocks`` are named too.
    """
    where = "r.plate IN (SELECT value FROM json_each(:plates))"
    if by_plate:
        where += f" AND {block_filter('r', ':blocks')}"
    return where + (" AND r.state = :state" if state else "")


#: The ids of a group's reads, through the plate index, at most ``:cap`` of them.
_GROUP_IDS_SQL: Final[str] = f"SELECT r.id FROM plate_reads r INDEXED BY {PLATE_INDEX} WHERE {{where}} LIMIT :cap"
#: One page of reads from their ids, newest first.
_PAGE_BY_IDS_SQL: Final[str] = (
    "SELECT * FROM plate_reads WHERE id IN (SELECT value FROM json_each(:ids)) "
    "ORDER BY time DESC, id DESC LIMIT :limit OFFSET :offset"
)
#: One page of a large group: the time index walked newest first, each read's plate checked.
_WALK_SQL: Final[str] = (
    "SELECT r.* FROM plate_reads r INDEXED BY plate_reads_time WHERE {where} "
    "ORDER BY r.time DESC, r.id DESC LIMIT :limit OFFSET :offset"
)


def read_page(
    conn: sqlite3.Connection,
    ranked: list[tuple[str, int]],
    state: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The reads of the ranked plates, one page, best first, each with ``substitutions``.

    Plates are taken in groups of equal substitutions (best first). A
    group's read ids are listed through the plate index up to a cap that
    settles what to do: fewer than the offset left, the group is skipped;
    few reads, the page is read by id and sorted; many, the page comes from
    walking the time index newest first (the newest matches are soon
    found). Listing stops at the cap because the plate index takes one seek
    per plate and block: a broad ``*5B*`` (9,000 plates, ~190,000 reads)
    listed in full would make ~700,000 of them on 5M reads.
    """
    if not ranked or limit <= 0:
        return []
    state = state.strip().upper() if state else None
    groups: dict[int, list[str]] = {}
    for plate, subs in ranked:
        groups.setdefault(subs, []).append(plate)
    total = max(1, int(conn.execute("SELECT coalesce(max(id), 0) FROM plate_reads").fetchone()[0]))
    rows: list[dict[str, Any]] = []
    skip, want = int(offset), int(limit)
    blocks = blocks_json(conn)
    for subs in sorted(groups):
        args: dict[str, Any] = {"plates": json.dumps(groups[subs]), "blocks": blocks, "state": state}
        # walking reads about (want + skip) * total / n rows, reading by id reads all n and sorts them:
        # walk when n > WALK_READS and (want + skip) * total / n < 20 * n, i.e. when n > walk_above
        walk_above = max(WALK_READS, math.isqrt((want + skip) * total // 20))
        cap = max(skip, walk_above) + 1  # fewer ids than this are all of the group's reads
        ids = [r[0] for r in conn.execute(_GROUP_IDS_SQL.format(where=_group_where(state)), {**args, "cap": cap})]
        if len(ids) <= skip:
            skip -= len(ids)
            continue
        if len(ids) < cap:  # then len(ids) <= walk_above
            cur = conn.execute(_PAGE_BY_IDS_SQL, {"ids": json.dumps(ids), "limit": want, "offset": skip})
        else:
            cur = conn.execute(_WALK_SQL.format(where=_group_where(state, by_plate=False)), {**args, "limit": want, "offset": skip})
        names = [d[0] for d in cur.description]
        got = 0
        for row in cur:
            rows.append({"kind": "alpr", **dict(zip(names, row)), "substitutions": subs})
            got += 1
        want -= got
        skip = 0
        if want <= 0:
            break
    return rows


def search(
    conn: sqlite3.Connection,
    pattern: str,
    *,
    similar: bool = True,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
    max_plates: int = MAX_PLATES,
) -> list[dict[str, Any]]:
    """Plate reads matching ``pattern`` on a connection, ranked; see :func:`similar_plates`."""
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
    q = plan(pattern, similar)
    state = state.strip().upper() if state and state.strip() else None
    ranked = ranked_plates(matching_plates(conn, q, state, max_plates), q.pattern, similar)
    rows = read_page(conn, ranked, state, limit, offset)
    for r in rows:
        r["match"] = match_score(int(r["substitutions"]), q.pattern)
    return rows


def similar_plates(
    store: Any,
    pattern: str,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
    *,
    similar: bool = True,
    max_plates: int = MAX_PLATES,
) -> list[dict[str, Any]]:
    """Plate reads matching ``pattern`` allowing ALPR look-alike characters, best first.

    Order: exact matches (``substitutions == 0``), then by the number of
    substituted characters, then newest read. Each record also carries
    ``match`` (1.0 exact, lower per substitution). Patterns use ``*`` and
    ``?``. A pattern matching more than ``max_plates`` different plates raises
    :class:`PatternError` (a ValueError) asking for more characters.
    The caller writes the audit entry (see :func:`audited_plate_search`).
    """
    with reading(store) as conn:
        return search(conn, pattern, similar=similar, state=state, limit=limit, offset=offset, max_plates=max_plates)


def audited_plate_search(
    store: Any,
    pattern: str,
    *,
    reason: str | None,
    actor: str,
    similar: bool = False,
    state: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A plate search as the UI runs it: refused without a reason, written to the audit log.

    Plain wildcard searches use ``store.plates``; "similar characters" uses
    :func:`similar_plates`. The audit entry records who, what, why and how
    many results, including for a search that found nothing.
    """
    why = require_reason(reason, "plate search")
    if similar:
        rows = similar_plates(store, pattern, state=state, limit=limit, offset=offset)
    else:
        normalise_pattern(pattern)  # same clear errors for empty / wildcard-only input
        rows = store.plates(pattern, state=state, limit=limit, offset=offset)
    params = {"pattern": pattern, "similar": similar, "state": state, "limit": limit, "offset": offset}
    store.audit(actor, "query plate", {k: v for k, v in params.items() if v is not None}, why, len(rows))
    return rows
