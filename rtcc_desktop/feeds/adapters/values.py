"""Reading single source values: blanks, combined coordinates, URLs and times.

Feeds spell the same thing many ways (``NA`` for missing, ``POINT (lon lat)``
or ``(lat, lon)`` for a location, ``+0000`` after a US-style time). These
helpers turn each spelling into what :func:`rtcc_desktop.model.validate.normalise`
expects, and leave anything they do not recognise untouched so validation
can reject it with its own reason.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from rtcc_desktop.model.timeutil import TimeParseError, parse_time
from rtcc_desktop.model.validate import RejectError

#: Text that sources write for "no value" (R exports ``NA``, spreadsheets ``#N/A``).
NULL_TOKENS = frozenset({"na", "n/a", "#n/a", "null", "none", "nan", "nil"})

_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
# Longest text each pattern is tried on: feed text is untrusted, and no real
# URL, coordinate pair or timestamp is longer, so regexes never see megabytes.
MAX_URL = 4096
MAX_POINT = 512
MAX_TIME = 64
_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_WKT_POINT = re.compile(rf"^(?:SRID=\d+;)?\s*POINT\s*(?:Z\s*|M\s*|ZM\s*)?\(\s*({_NUM})\s+({_NUM})(?:\s+{_NUM}){{0,2}}\s*\)$", re.I)
_WKT_EMPTY = re.compile(r"^(?:SRID=\d+;)?\s*POINT\s*EMPTY$", re.I)
# Socrata writes a location as "(lat, lon)", sometimes after address lines.
_PAREN_PAIR = re.compile(rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*$")
# Host without spaces; a path may hold spaces (real registries publish such file names).
_URL = re.compile(r"^(?:https?|rtsps?|rtmp[ste]?|mms|udp|srt)://[^\s/?#]+(?:[/?#][^\t\r\n]*)?$", re.I)
_LABELLED_URL = re.compile(r"^([^(<\[]*)[(<\[]\s*((?:https?|rtsps?|rtmp[ste]?)://[^)\]>\s]+)\s*[)\]>]$", re.I)
_STREAM_HINT = re.compile(r"m3u8|\bhls\b|rtsp|rtmp|mjpe?g|\.mpd\b|dash|h\.?264|h\.?265|video|stream", re.I)
_IMAGE_EXT = re.compile(r"\.(?:jpe?g|png|gif|bmp|webp)$")
_IMAGE_HINT = re.compile(r"\.(?:jpe?g|png|gif|bmp|webp)(?:[?#]|$)|image|snapshot|still|jpeg|\bjpg\b", re.I)

_DATE_PART = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2,4}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
)
_CLOCK_PART = re.compile(r"\d{1,2}:\d{2}")
_EPOCH = re.compile(r"\d{9,13}(?:\.\d+)?")
_HOUR_24 = re.compile(r"(?:^|[T\s])24:(\d{2})")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")
# "11/09/2011 10:04:00 PM +0000": a US-style time with a numeric UTC offset.
_TRAILING_OFFSET = re.compile(r"^(?P<body>.*\d(?:\s*[AaPp]\.?[Mm]\.?)?)\s*(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})$")
_TRAILING_UTC = re.compile(r"^(?P<body>.*\d(?:\s*[AaPp]\.?[Mm]\.?)?)\s*(?:Z|UTC|GMT)$")
# "10/07/2021 - 16:30:51": date and clock joined by a dash (Seattle ALPR export).
_DASH_JOINED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s+-\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def clean(value: Any) -> Any:
    """The value with invisible marks trimmed, or None when it means "no value"."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        text = value.strip().strip(_INVISIBLE).strip()
        if not text or text.lower() in NULL_TOKENS:
            return None
        return text
    if isinstance(value, (list, tuple)):
        parts = [str(c) for c in (clean(v) for v in value) if c is not None and not isinstance(c, (dict, list))]
        return "; ".join(parts) if parts else None
    return value


def is_url(value: Any) -> bool:
    """True for a URL a camera could be reached at (or ``Label (url)``)."""
    if not isinstance(value, str) or len(value) > MAX_URL:
        return False
    text = value.strip()
    return bool(_URL.match(text) or _LABELLED_URL.match(text))


def split_labelled_url(value: str) -> tuple[str | None, str]:
    """``"Camera 30 (http://host/loc29.jpg)"`` → ``("Camera 30", "http://host/loc29.jpg")``.

    Spaces inside a plain URL's path are percent-encoded, nothing else changes.
    """
    text = value.strip()
    m = _LABELLED_URL.match(text)
    if m and not _URL.match(text):
        label = m.group(1).strip() or None
        return label, m.group(2)
    return None, text.replace(" ", "%20")  # the URL as published, made requestable


def url_role(url: str, hint: Any = None) -> str:
    """``"stream"`` or ``"snapshot"``: what a camera URL most likely returns.

    ``hint`` is the source's own format/encoding text (e.g. ``M3U8``,
    ``IMAGE_STREAM``) and wins when it is clear; otherwise the URL's scheme and
    extension decide. An unknown http URL is taken as a snapshot: a still image
    is what most registries publish.
    """
    lower = url.lower()
    if lower.startswith(("rtsp", "rtmp", "mms", "udp", "srt")):
        return "stream"
    if isinstance(hint, str) and hint:
        # image first: OpenTrafficCamMap's "IMAGE_STREAM" is a series of stills
        if _IMAGE_HINT.search(hint):
            return "snapshot"
        if _STREAM_HINT.search(hint):
            return "stream"
    path = lower.split("?")[0].split("#")[0]
    if _IMAGE_EXT.search(path):
        return "snapshot"
    if _STREAM_HINT.search(lower):
        return "stream"
    return "snapshot"


def parse_point(value: Any) -> tuple[float, float] | None:
    """(lat, lon) from a combined location value, or None if it holds none.

    Understands GeoJSON ``{"type": "Point", "coordinates": [lon, lat]}``,
    Socrata ``{"latitude": .., "longitude": ..}``, WKT ``POINT (lon lat)`` and
    ``(lat, lon)`` text. Raises :class:`RejectError` for a geometry that is
    present but not a point.
    """
    if value is None:
        return None
    if isinstance(value, dict):
        return _point_from_mapping(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_POINT or _WKT_EMPTY.match(text):
        return None
    m = _WKT_POINT.match(text)
    if m:
        return float(m.group(2)), float(m.group(1))
    m = _PAREN_PAIR.search(text)
    if m:
        return float(m.group(1)), float(m.group(2))
    return None


def _point_from_mapping(obj: dict[str, Any]) -> tuple[float, float] | None:
    gtype = obj.get("type")
    if isinstance(gtype, str) and "coordinates" in obj:
        coords = obj.get("coordinates")
        if gtype == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
            gtype, coords = "Point", coords[0]
        if gtype != "Point":
            raise RejectError(f"geometry is a {gtype[:40]}, not a Point")
        if not isinstance(coords, list) or len(coords) < 2:
            raise RejectError(f"Point coordinates are not [lon, lat]: {str(coords)[:80]}")
        return _pair(coords[1], coords[0])
    lower = {str(k).lower(): v for k, v in obj.items()}
    for lat_key, lon_key in (("latitude", "longitude"), ("lat", "lon"), ("lat", "lng"), ("y", "x")):
        if lat_key in lower and lon_key in lower:
            lat, lon = clean(lower[lat_key]), clean(lower[lon_key])
            if lat is None and lon is None:
                return None
            return _pair(lat, lon)
    return None


def _pair(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        return float(lat), float(lon)
    except (TypeError, ValueError):
        raise RejectError(f"location is not a pair of numbers (lat={str(lat)[:40]!r}, lon={str(lon)[:40]!r})") from None


def time_shape(value: Any) -> str | None:
    """Whether a value holds a full ``"datetime"``, a ``"date"``, a ``"clock"`` time, or none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return "datetime" if value > 1e8 else None
    if not isinstance(value, str) or len(value) > MAX_TIME:
        return None
    text = value.strip()
    if _EPOCH.fullmatch(text):
        return "datetime"
    has_date = bool(_DATE_PART.search(text))
    has_clock = bool(_CLOCK_PART.search(text))
    if has_date and has_clock:
        return "datetime"
    if has_date:
        return "date"
    if has_clock and len(text) <= 14:
        return "clock"
    return None


def coerce_time(value: Any, time_format: str | None) -> Any:
    """Turn time spellings the model does not read itself into a datetime.

    Handled here: a numeric offset or ``UTC`` after a non-ISO time (honoured,
    not dropped), and ``MM/DD/YYYY - HH:MM:SS``. An hour of 24 is rejected with
    that reason rather than "unrecognised". Anything else is returned as is.
    """
    if time_format or not isinstance(value, str) or len(value) > MAX_TIME:
        return value
    text = value.strip()
    m = _HOUR_24.search(text)
    if m:
        raise RejectError(f"time has hour 24, which is not a valid clock time: {text[:40]!r}")
    m = _DASH_JOINED.match(text)
    if m:
        month, day, year, hour, minute, second = (int(g or 0) for g in m.groups())
        try:
            return datetime(year, month, day, hour, minute, second)  # naive: the feed's zone applies
        except ValueError:
            return value
    if _ISO_DATE.match(text):
        return value  # the model reads ISO 8601 with any offset
    m = _TRAILING_OFFSET.match(text)
    if m and _CLOCK_PART.search(m.group("body")):  # an offset follows a time of day, not a date
        offset = timedelta(hours=int(m.group("h")), minutes=int(m.group("m")))
        if m.group("sign") == "-":
            offset = -offset
        return _with_offset(m.group("body"), offset, value)
    m = _TRAILING_UTC.match(text)
    if m:
        return _with_offset(m.group("body"), timedelta(0), value)
    return value


def _with_offset(body: str, offset: timedelta, original: Any) -> Any:
    try:
        as_utc = parse_time(body, tz=None)  # the body read as if it were UTC wall time
    except TimeParseError:
        return original
    if offset > timedelta(hours=14) or offset < timedelta(hours=-14):
        return original
    return (as_utc - offset).replace(tzinfo=timezone.utc)
