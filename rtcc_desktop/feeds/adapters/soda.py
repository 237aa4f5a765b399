"""Socrata SODA JSON: an array of row objects, as ``/resource/<id>.json`` returns.

Socrata specifics: system fields (``:id``, ``:updated_at``) appear when asked
for with ``$select=:*,*``; ``:updated_at`` drives the incremental cursor and
``:id`` is the id of last resort. Location columns arrive as objects
(``{"type": "Point", "coordinates": [lon, lat]}`` or the legacy
``{"latitude": .., "longitude": ..}``) and timestamps are "floating" (no
zone), read in the feed's time zone. An error body (``{"error": true,
"message": ..}`` or ``{"code": .., "message": ..}``) becomes an
:class:`AdapterError` carrying the server's message.
"""

from __future__ import annotations

from typing import Any

from rtcc_desktop.feeds.adapters.batch import Batch
from rtcc_desktop.feeds.adapters.errors import AdapterError
from rtcc_desktop.feeds.adapters.jsonrows import from_objects, rows_of
from rtcc_desktop.feeds.adapters.payload import server_error
from rtcc_desktop.model.validate import FeedContext

UPDATED_AT = ":updated_at"
ROW_ID = ":id"


def parse(obj: Any, ctx: FeedContext, fields: dict[str, str] | None) -> Batch:
    """Rows of a SODA response as a :class:`Batch`, with the ``:updated_at`` high-water mark."""
    message = server_error(obj)
    if message:
        raise AdapterError(f"Socrata returned an error instead of rows: {message}")
    if not isinstance(obj, list):
        shape = f"an object with keys {', '.join(list(map(str, obj))[:8])}" if isinstance(obj, dict) else f"a {type(obj).__name__}"
        raise AdapterError(f"SODA response is {shape}, not a JSON array of rows")
    rows = list(rows_of(obj))
    return from_objects(rows, ctx, fields, updated_key=UPDATED_AT, extra_id=ROW_ID)
