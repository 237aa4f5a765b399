"""Feed payload adapters: one module per wire format, one entry point.

``parse_payload(data, fmt, ctx)`` turns the bytes a feed returned into a
:class:`Batch` of validated records (our field vocabulary, UTC, WGS84) plus
rejects with reasons. Columns are found by name and by what their values look
like (:mod:`.columns`); a feed's ``fields`` table overrides the guess. A
payload that cannot be read at all raises :class:`AdapterError`.
"""

from __future__ import annotations

from rtcc_desktop.feeds.adapters import csvtext, eido, geojson, jsonrows, soda
from rtcc_desktop.feeds.adapters.batch import Batch, check_context
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.payload import iter_file, load_json
from rtcc_desktop.model.validate import FeedContext

#: Wire formats a feed may declare (config ``format``, CLI ``--format``).
FORMATS: tuple[str, ...] = ("soda", "geojson", "csv", "eido", "json")


def parse_payload(
    data: bytes | str,
    fmt: str,
    ctx: FeedContext,
    fields: dict[str, str] | None = None,
    delimiter: str | None = None,
) -> Batch:
    """Read one payload of format ``fmt`` into records and rejects for ``ctx``'s feed.

    ``fields`` maps our field name to a source column and wins over
    auto-detection; ``delimiter`` is for ``csv`` only (sniffed when None).
    Raises :class:`AdapterError` when the payload as a whole is unusable.
    """
    if fmt not in FORMATS:
        raise AdapterError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    check_context(ctx)
    if fmt == "csv":
        return csvtext.parse(data, ctx, fields, delimiter)
    obj = load_json(data, fmt)
    if fmt == "soda":
        return soda.parse(obj, ctx, fields)
    if fmt == "geojson":
        return geojson.parse(obj, ctx, fields)
    if fmt == "eido":
        return eido.parse(obj, ctx, fields)
    return jsonrows.parse(obj, ctx, fields)


__all__ = ["FORMATS", "AdapterError", "Batch", "iter_file", "parse_payload"]
