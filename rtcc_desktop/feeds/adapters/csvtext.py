"""Delimited text (CSV, pipe, tab, semicolon) with a header row.

The delimiter is sniffed from a sample unless the feed names one. A line with
more or fewer fields than the header is rejected as shifted: which value went
missing cannot be known, so none of its values can be trusted in place.
"""

from __future__ import annotations

import csv
import io
import logging

from rtcc_desktop.feeds.adapters.batch import Batch, Row, assemble
from rtcc_desktop.feeds.adapters.columns import build_plan
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.payload import decode
from rtcc_desktop.model.validate import FeedContext

log = logging.getLogger(__name__)

DELIMITERS = ",|\t;"
_NAMED = {"comma": ",", "pipe": "|", "tab": "\t", "\\t": "\t", "semicolon": ";", "space": " "}
_SNIFF_BYTES = 64 * 1024


def parse(data: bytes | str, ctx: FeedContext, fields: dict[str, str] | None, delimiter: str | None) -> Batch:
    """Rows of a delimited text payload as a :class:`Batch`."""
    text = decode(data, "csv")
    if not text.strip():
        return assemble([], build_plan(ctx.kind, [], [], fields), ctx)
    delim = _delimiter(delimiter) if delimiter else sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[Row] = []
    try:
        header = next((r for r in reader if any(c.strip() for c in r)), None)
        if header is None:
            return assemble([], build_plan(ctx.kind, [], [], fields), ctx)
        header = _unique([h.strip().strip("\ufeff").strip() for h in header])
        width = len(header)
        for fields_in_line in reader:
            if not any(c.strip() for c in fields_in_line):
                continue  # blank line
            raw: dict[str, object] = dict(zip(header, fields_in_line, strict=False))
            problem = None
            if len(fields_in_line) != width:
                if len(fields_in_line) > width:
                    raw["_extra"] = fields_in_line[width:]
                problem = (
                    f"row has {len(fields_in_line)} fields but the header has {width}: "
                    "a value is missing or extra, so the columns are shifted"
                )
            rows.append(Row(raw, raw, problem))
    except csv.Error as exc:
        raise AdapterError(f"CSV is malformed near line {reader.line_num}: {exc}") from None
    if width < 2:
        raise AdapterError(
            f"CSV header has one column ({header[0][:60]!r}) with delimiter {delim!r}; "
            "is this delimited text? give the feed a delimiter"
        )
    plan = build_plan(ctx.kind, header, [r.values for r in rows if not r.problem], fields)
    return assemble(rows, plan, ctx)


def sniff(text: str) -> str:
    """The delimiter of a sample: csv.Sniffer's answer if the header agrees, else the header's most common."""
    sample = text[:_SNIFF_BYTES]
    first_line = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: _count_outside_quotes(first_line, d) for d in DELIMITERS}
    best_by_header = max(DELIMITERS, key=lambda d: counts[d])
    try:
        sniffed = csv.Sniffer().sniff(sample[: sample.rfind("\n") + 1] or sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and counts.get(sniffed, 0) > 0 and counts[sniffed] >= counts[best_by_header]:
        return sniffed
    if counts[best_by_header] == 0:
        return ","
    log.debug("csv.Sniffer said %r; using %r from the header line", sniffed, best_by_header)
    return best_by_header


def _count_outside_quotes(line: str, delim: str) -> int:
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def _delimiter(spec: str) -> str:
    value = _NAMED.get(spec.lower(), spec) if len(spec) != 1 else spec
    if len(value) != 1 or value in "\"\r\n":
        raise AdapterError(f"delimiter {spec!r} must be one character (or comma, pipe, tab, semicolon)")
    return value


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(names):
        base = name or f"column {i + 1}"
        candidate, n = base, 2
        while candidate in out:
            candidate, n = f"{base} ({n})", n + 1
        out.append(candidate)
    return out
