"""The time zone every panel shows times in: the centre's, not the machine's.

A console whose clock runs in UTC (a demo VM, a remote desktop, Windows,
where a process cannot change its own zone) must still show the centre's
time in every table, tooltip and axis, the same as the map and status bar.
The main window (and the wall) set it from the centre's configuration.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo

from rtcc_desktop.model.timeutil import from_iso

_zone: tzinfo | None = None


def set_display_zone(tz: tzinfo | None) -> None:
    """Show times in ``tz`` from now on (None: the machine's local time)."""
    global _zone
    _zone = tz


def display_zone() -> tzinfo | None:
    return _zone


def local_time(value: str | datetime | float) -> datetime:
    """An ISO text, aware datetime or epoch seconds as a datetime in the display zone."""
    if isinstance(value, (int, float)):
        dt = datetime.fromtimestamp(float(value), timezone.utc)
    elif isinstance(value, str):
        dt = from_iso(value)
    else:
        dt = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return dt.astimezone(_zone) if _zone is not None else dt.astimezone()


def local_text(value: str | datetime | float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """``value`` formatted in the display zone; "" for no value."""
    if value is None or value == "":
        return ""
    return local_time(value).strftime(fmt)


def utc_offset_s(at: datetime | None = None) -> float:
    """Seconds the display zone is ahead of UTC at ``at`` (now by default)."""
    return local_time(at or datetime.now(timezone.utc)).utcoffset().total_seconds()  # type: ignore[union-attr]
