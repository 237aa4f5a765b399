"""Arguments every query shares: kinds, time windows and result pages.

Queries never refuse a big answer; they return one bounded page and the
caller asks for the next with ``offset``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from rtcc_desktop.model.records import KINDS
from rtcc_desktop.model.timeutil import from_iso, to_iso

#: Largest page any query returns, whatever ``limit`` asks for.
MAX_LIMIT: Final[int] = 100_000

TimeArg = str | datetime | None


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return kind


def kinds_arg(kinds: str | Iterable[str] | None) -> tuple[str, ...]:
    """``None`` means every kind; a single name is accepted as well as a list."""
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = [kinds]
    chosen = {check_kind(k) for k in kinds}
    return tuple(k for k in KINDS if k in chosen)


def page(limit: int, offset: int = 0) -> tuple[int, int]:
    """Clamp ``limit`` to :data:`MAX_LIMIT`; negative numbers are caller bugs."""
    limit, offset = int(limit), int(offset)
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")
    return min(limit, MAX_LIMIT), offset


def iso_arg(value: TimeArg, name: str = "time") -> str | None:
    """An ISO string (any offset) or an aware datetime → canonical UTC text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware (got naive {value!r})")
        return to_iso(value)
    if isinstance(value, str):
        try:
            return to_iso(from_iso(value))
        except ValueError as e:
            raise ValueError(f"{name}: {e}") from None
    raise TypeError(f"{name} must be an ISO string or an aware datetime, got {type(value).__name__}")


def epoch_of(iso: str) -> float:
    """Canonical UTC text → Unix seconds (for the R*Tree time axis)."""
    return from_iso(iso).timestamp()
