"""The one vocabulary of record kinds and field names used everywhere.

Adapters, ``--map field=Column``, a feed's ``fields`` table, the store's
columns and JSON output all speak these names, so a field means the same thing
from the feed to the screen.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final, Literal

Kind = Literal["cad", "alpr", "gunshot", "camera"]
KINDS: Final[tuple[Kind, ...]] = ("cad", "alpr", "gunshot", "camera")

#: Table that holds each kind.
TABLES: Final[dict[str, str]] = {
    "cad": "incidents",
    "alpr": "plate_reads",
    "gunshot": "gunshots",
    "camera": "cameras",
}

#: Fields every record may carry (``source`` is set by the feed, not the payload).
COMMON_FIELDS: Final[tuple[str, ...]] = (
    "source_id",
    "time",
    "lat",
    "lon",
    "type",
    "priority",
    "address",
    "narrative",
    "agency",
)

#: Extra fields per kind.
KIND_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "cad": (),
    "gunshot": ("rounds",),
    "alpr": ("plate", "state", "camera"),
    "camera": (
        "name",
        "owner",
        "contact",
        "heading",
        "fov_deg",
        "range_m",
        "stream_url",
        "substream_url",
        "snapshot_url",
        "access",
        "ownership",
    ),
}

#: Numeric fields (validated and stored as numbers).
NUMERIC_FIELDS: Final[frozenset[str]] = frozenset(
    {"lat", "lon", "heading", "fov_deg", "range_m", "rounds"}
)

#: Camera ``access`` values: the centre may view live, or must request footage.
CAMERA_ACCESS: Final[tuple[str, ...]] = ("live", "request")
#: Camera ``ownership`` values.
CAMERA_OWNERSHIP: Final[tuple[str, ...]] = ("public", "private")


def fields_for(kind: str) -> tuple[str, ...]:
    """Every field name a record of ``kind`` may carry, in display order."""
    if kind not in KIND_FIELDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return COMMON_FIELDS + KIND_FIELDS[kind]


#: Fields that identify a record when the source gives no id.
IDENTITY_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "alpr": ("plate", "time", "camera"),
    "gunshot": ("time", "lat", "lon"),
    "cad": ("time", "type", "address", "lat", "lon"),
    "camera": ("name", "lat", "lon"),
}


def derive_source_id(kind: str, record: dict[str, Any]) -> str:
    """A stable id from the fields that identify a record, for sources with none.

    Re-reading the same row must give the same id, so only normalised values
    (UTC time, upper-case plate, rounded coordinates) go into the hash.
    """
    parts = []
    for name in IDENTITY_FIELDS[kind]:
        value = record.get(name)
        if isinstance(value, float):
            value = f"{value:.6f}"
        parts.append("" if value is None else str(value))
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"h:{digest}"
