"""Timestamps: everything is stored as UTC in one fixed-width ISO 8601 form.

Fixed width (``YYYY-MM-DDTHH:MM:SSZ``) makes text order equal time order, so
the store can range-scan an index on the text column.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = timezone.utc
ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: Formats tried, in order, for naive text times (after ISO 8601).
COMMON_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%d-%b-%y %H:%M:%S",
    "%d-%b-%y %I.%M.%S.%f %p",
    "%b %d %Y %I:%M:%S %p",
    "%b %d %Y %I:%M %p",
    "%Y%m%d%H%M%S",
    "%m/%d/%Y",
    "%Y-%m-%d",
)

_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$")


class TimeParseError(ValueError):
    """A value that is not a time we can read; the message says what was seen."""


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo | timezone:
    """The tz for a feed's ``timezone`` setting (None or "UTC" means UTC)."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name like America/Chicago)") from None


def to_iso(dt: datetime) -> str:
    """Aware datetime → canonical UTC text."""
    return dt.astimezone(UTC).strftime(ISO_FORMAT)


def from_iso(text: str) -> datetime:
    """Canonical (or any ISO 8601) text → aware UTC datetime."""
    return parse_time(text, tz=None)


def parse_time(value: object, tz: str | None = None, time_format: str | None = None) -> datetime:
    """Read a source timestamp as an aware UTC datetime.

    Naive times are taken in the feed's zone ``tz``. Numbers are Unix epoch
    seconds (or milliseconds when too large to be seconds).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TimeParseError("time is missing")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        dt = _from_epoch(float(value))
    else:
        text = str(value).strip()
        dt = _parse_text(text, time_format)
    if dt.tzinfo is None:
        local = zone(tz)
        if isinstance(local, ZoneInfo):
            dt = dt.replace(tzinfo=local)
        else:
            dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    if not (1970 <= dt.year <= 2100):
        raise TimeParseError(f"time {value!r} is outside 1970..2100")
    return dt.replace(microsecond=0)


def _from_epoch(x: float) -> datetime:
    if x > 1e11:  # milliseconds
        x /= 1000.0
    try:
        return datetime.fromtimestamp(x, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise TimeParseError(f"epoch time {x!r} is out of range") from None


def _parse_text(text: str, time_format: str | None) -> datetime:
    if time_format:
        try:
            return datetime.strptime(text, time_format)
        except ValueError:
            raise TimeParseError(f"time {text!r} does not match format {time_format!r}") from None
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    if _ISO_RE.match(text):
        t = text.replace(" ", "T", 1)
        if t.endswith("Z"):
            t = t[:-1] + "+00:00"
        # Python 3.11 fromisoformat takes fractional seconds of any length
        try:
            return datetime.fromisoformat(t)
        except ValueError:
            pass
    for fmt in COMMON_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise TimeParseError(f"unrecognised time {text!r} (give the feed a time_format)")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso_now() -> str:
    return to_iso(utc_now())


def parse_duration(text: str) -> timedelta:
    """``15m``, ``1h``, ``24h``, ``7d``, ``90s`` → timedelta (CLI and config)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not m:
        raise ValueError(f"bad duration {text!r}; use e.g. 90s, 15m, 1h, 7d")
    n, unit = float(m.group(1)), m.group(2)
    return timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])
