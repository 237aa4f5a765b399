"""Enough of Socrata's SODA 2.1 query language to sync against like a real portal.

Supported: ``$select`` (``*``, ``:*``, column lists, ``count(*)``), ``$where``
(comparisons, ``between``, ``is [not] null``, ``and``/``or``/parentheses),
``$order`` (several keys, ``ASC``/``DESC``), ``$limit`` (default 1000, at most
50000), ``$offset``, ``$q`` (text search) and ``column=value`` filters. Rows
are always finally ordered by ``:id`` so paging is stable. Errors are 400s
with Socrata's error JSON shape.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable

from rtcc_desktop.sim.events import LOCAL_TZ

DEFAULT_LIMIT = 1000
MAX_LIMIT = 50_000
SYSTEM_FIELDS = (":id", ":created_at", ":updated_at")
NUMBER_COLUMNS = frozenset({"priority", "latitude", "longitude"})
FIXED_TS_COLUMNS = frozenset({":created_at", ":updated_at"})
FLOATING_TS_COLUMNS = frozenset({"datetime"})
_COUNT = re.compile(r"(?i)count\(\s*\*\s*\)(?:\s+as\s+(\w+))?")
_KNOWN_PARAMS = frozenset({"$select", "$where", "$order", "$limit", "$offset", "$q", "$$app_token", "$$exclude_system_fields"})


class SodaError(ValueError):
    """A bad query; ``code`` and ``str()`` go into the 400 body like Socrata's."""

    def __init__(self, message: str, code: str = "query.soql.invalid") -> None:
        super().__init__(message)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "error": True, "message": str(self), "status": 400}


# ---------------------------------------------------------------------- literals


def fixed_literal(text: str) -> str:
    """A literal compared with a fixed timestamp, as the rows write them (UTC, ms)."""
    dt = _parse_ts(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _floating_literal(text: str) -> str:
    dt = _parse_ts(text)
    if dt.tzinfo is not None:
        dt = dt.astimezone(LOCAL_TZ).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def _parse_ts(text: str) -> datetime:
    t = text.strip().replace(" ", "T", 1)
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    t = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", t)
    try:
        return datetime.fromisoformat(t)
    except ValueError:
        raise SodaError(f"Could not parse '{text}' as a timestamp", "query.soql.type-mismatch") from None


# ---------------------------------------------------------------------- $where

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|!=|<>|=|>|<|\(|\)|,)"
    r"|(?P<ident>:?[A-Za-z_][A-Za-z0-9_]*|`[^`]+`))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SodaError(f"Could not parse SoQL query \"{text}\" at position {pos}", "query.compiler.malformed")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "ident" and value.startswith("`"):
            value = value[1:-1]
        out.append((kind, value))
    return out


Predicate = Callable[[dict[str, Any]], bool]


class _Where:
    def __init__(self, text: str, columns: tuple[str, ...]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.columns = columns
        self.text = text

    def parse(self) -> Predicate:
        pred = self._or()
        if self.i != len(self.toks):
            raise SodaError(f"Could not parse SoQL query \"{self.text}\": unexpected {self.toks[self.i][1]!r}", "query.compiler.malformed")
        return pred

    def _peek_word(self) -> str:
        if self.i < len(self.toks) and self.toks[self.i][0] == "ident":
            return self.toks[self.i][1].lower()
        return ""

    def _next(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise SodaError(f"Could not parse SoQL query \"{self.text}\": unexpected end", "query.compiler.malformed")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word() == "or":
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _any_of(parts)

    def _and(self) -> Predicate:
        parts = [self._cmp()]
        while self._peek_word() == "and":
            self.i += 1
            parts.append(self._cmp())
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _cmp(self) -> Predicate:
        kind, value = self._next()
        if kind == "op" and value == "(":
            inner = self._or()
            if self._next() != ("op", ")"):
                raise SodaError(f"Could not parse SoQL query \"{self.text}\": missing ')'", "query.compiler.malformed")
            return inner
        if kind == "ident" and value.lower() == "not":
            inner = self._cmp()
            return lambda r: not inner(r)
        if kind != "ident":
            raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected a column, got {value!r}", "query.compiler.malformed")
        col = _column(value, self.columns)
        word = self._peek_word()
        if word == "is":
            self.i += 1
            negate = self._peek_word() == "not"
            if negate:
                self.i += 1
            if self._next()[1].lower() != "null":
                raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected NULL", "query.compiler.malformed")
            return (lambda r: r.get(col) is not None) if negate else (lambda r: r.get(col) is None)
        if word in ("between", "not"):
            negate = word == "not"
            self.i += 1
            if negate and self._next()[1].lower() != "between":
                raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected BETWEEN", "query.compiler.malformed")
            lo = self._literal(col)
            if self._next()[1].lower() != "and":
                raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected AND in BETWEEN", "query.compiler.malformed")
            hi = self._literal(col)
            key = _sort_key(col)

            def between(r: dict[str, Any]) -> bool:
                v = r.get(col)
                return v is not None and (key(lo) <= key(v) <= key(hi)) != negate

            return between
        kind, op = self._next()
        if kind != "op" or op in ("(", ")", ","):
            raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected an operator after {col}", "query.compiler.malformed")
        lit = self._literal(col)
        key = _sort_key(col)
        klit = key(lit)
        compare: dict[str, Callable[[Any, Any], bool]] = {
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<>": lambda a, b: a != b,
        }
        fn = compare[op]

        def cmp(r: dict[str, Any]) -> bool:
            v = r.get(col)
            return v is not None and fn(key(v), klit)

        return cmp

    def _literal(self, col: str) -> Any:
        kind, value = self._next()
        if kind == "str":
            text = value[1:-1].replace("''", "'")
        elif kind == "num":
            text = value
        else:
            raise SodaError(f"Could not parse SoQL query \"{self.text}\": expected a value, got {value!r}", "query.compiler.malformed")
        if col in FIXED_TS_COLUMNS:
            return fixed_literal(text)
        if col in FLOATING_TS_COLUMNS:
            return _floating_literal(text)
        if col in NUMBER_COLUMNS:
            try:
                float(text)
            except ValueError:
                raise SodaError(f"Type mismatch: {col} is a number, '{text}' is not", "query.soql.type-mismatch") from None
        return text


def _column(name: str, columns: tuple[str, ...]) -> str:
    if name not in columns:
        raise SodaError(f"No such column: {name}", "query.soql.no-such-column")
    return name


def _any_of(parts: list[Predicate]) -> Predicate:
    return lambda r: any(p(r) for p in parts)


def _all_of(parts: list[Predicate]) -> Predicate:
    return lambda r: all(p(r) for p in parts)


def _equals(col: str, literal: Any) -> Predicate:
    key = _sort_key(col)
    want = key(literal)
    return lambda r: r.get(col) is not None and key(r[col]) == want


def _order_key(col: str) -> Callable[[dict[str, Any]], tuple[bool, Any]]:
    """Sort key for one $order column; nulls sort last ascending and first descending, as in Socrata."""
    key = _sort_key(col)
    return lambda r: (True, 0) if r.get(col) is None else (False, key(r[col]))


def _sort_key(col: str) -> Callable[[Any], Any]:
    if col in NUMBER_COLUMNS:
        return lambda v: float(v)
    return lambda v: str(v)


# ---------------------------------------------------------------------- the query


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        n = int(raw)
    except ValueError:
        raise SodaError(f"Invalid {name}: '{raw}' is not a whole number", "query.soql.invalid") from None
    if n < 0:
        raise SodaError(f"Invalid {name}: must not be negative", "query.soql.invalid")
    return n


def run_query(rows: list[dict[str, Any]], params: dict[str, str], data_columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """Apply SODA parameters to full rows (data columns + system fields); return output rows.

    Null values are left out of each output row, as Socrata does.
    """
    columns = SYSTEM_FIELDS + data_columns
    unknown = [k for k in params if k.startswith("$") and k not in _KNOWN_PARAMS]
    filters = {k: v for k, v in params.items() if not k.startswith("$")}
    bad = [k for k in filters if k not in columns]
    if unknown or bad:
        names = ", ".join(n.lstrip("$") for n in unknown + bad)
        raise SodaError(f"Unrecognized arguments [{names}]", "query.soql.unrecognized-arguments")

    preds: list[Predicate] = []
    for col, value in filters.items():
        lit = fixed_literal(value) if col in FIXED_TS_COLUMNS else _floating_literal(value) if col in FLOATING_TS_COLUMNS else value
        preds.append(_equals(col, lit))
    where = params.get("$where", "").strip()
    if where:
        preds.append(_Where(where, columns).parse())
    q = params.get("$q", "").strip().lower()
    if q:
        words = q.split()
        preds.append(lambda r: all(any(w in str(v).lower() for v in r.values() if v is not None) for w in words))
    selected = [r for r in rows if all(p(r) for p in preds)]

    select = params.get("$select", "").strip()
    count = _COUNT.fullmatch(select)
    if count:
        return [{count.group(1) or "count": str(len(selected))}]

    order = params.get("$order", "").strip()
    keys: list[tuple[str, bool]] = []
    if order:
        for part in order.split(","):
            bits = part.split()
            if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1].upper() not in ("ASC", "DESC")):
                raise SodaError(f"Could not parse $order \"{order}\"", "query.compiler.malformed")
            keys.append((_column(bits[0], columns), len(bits) == 2 and bits[1].upper() == "DESC"))
    if ":id" not in (k for k, _ in keys):
        keys.append((":id", False))
    for col, desc in reversed(keys):
        selected.sort(key=_order_key(col), reverse=desc)

    offset = _int_param(params, "$offset", 0)
    limit = min(_int_param(params, "$limit", DEFAULT_LIMIT), MAX_LIMIT)
    page = selected[offset : offset + limit]

    out_cols = _selection(select, data_columns, params.get("$$exclude_system_fields", "").lower() == "false")
    return [{c: r[c] for c in out_cols if r.get(c) is not None} for r in page]


def _selection(select: str, data_columns: tuple[str, ...], with_system: bool) -> list[str]:
    if not select:
        return list(SYSTEM_FIELDS + data_columns) if with_system else list(data_columns)
    out: list[str] = []
    for part in select.split(","):
        name = part.strip()
        if name == "*":
            out.extend(data_columns)
        elif name == ":*":
            out.extend(SYSTEM_FIELDS)
        else:
            out.append(_column(name.strip("`"), SYSTEM_FIELDS + data_columns))
    return list(dict.fromkeys(out))
