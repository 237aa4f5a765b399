"""Raw payload bytes → text or JSON, with clear errors for what is not.

Shared by every format: gzip is undone transparently (HTTP bodies and
``.csv.gz`` files), the text encoding is found (UTF-8 with or without BOM,
UTF-16 from Excel, else Windows-1252), and binary garbage is refused up front
instead of surfacing as a thousand rejects.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Any

from rtcc_desktop.feeds.adapters.errors import AdapterError

#: Refuse to inflate a compressed payload beyond this (a gzip bomb guard).
MAX_INFLATED_BYTES = 1 << 30
_GZIP_MAGIC = b"\x1f\x8b"


def iter_file(path: str | Path) -> bytes:
    """The bytes of a feed file, decompressed when it is gzip (by name or content)."""
    data = Path(path).read_bytes()
    return inflate(data) if str(path).lower().endswith(".gz") or data[:2] == _GZIP_MAGIC else data


def inflate(data: bytes) -> bytes:
    """Undo gzip compression, refusing truncated streams and absurd sizes."""
    if data[:2] != _GZIP_MAGIC:
        return data
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1 << 20):
                out.write(chunk)
                if out.tell() > MAX_INFLATED_BYTES:
                    raise AdapterError(f"gzip payload inflates beyond {MAX_INFLATED_BYTES >> 20} MiB; refusing it")
    except (OSError, EOFError, zlib.error) as exc:
        raise AdapterError(f"gzip payload is damaged or truncated: {exc}") from None
    return out.getvalue()


def decode(data: bytes | str, fmt: str) -> str:
    """Text of a payload; raises :class:`AdapterError` for binary data."""
    if isinstance(data, str):
        text = data
    else:
        raw = inflate(data)
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            text = raw.decode("utf-16", errors="replace")
        else:
            if b"\x00" in raw[:8192]:
                raise AdapterError(f"payload is binary data (NUL bytes), not {fmt} text")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff")
    if "\x00" in text[:8192]:
        raise AdapterError(f"payload is binary data (NUL characters), not {fmt} text")
    return text


def load_json(data: bytes | str, fmt: str) -> Any:
    """Parsed JSON, or an :class:`AdapterError` that says where it broke."""
    text = decode(data, fmt)
    if not text.strip():
        raise AdapterError(f"{fmt} payload is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        ended_early = exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string")
        where = "truncated (ended early)" if ended_early else f"invalid at line {exc.lineno} column {exc.colno}"
        raise AdapterError(f"{fmt} payload is not valid JSON: {where}: {exc.msg}") from None
    except RecursionError:
        raise AdapterError(f"{fmt} payload is nested too deeply to read") from None


def server_error(obj: Any) -> str | None:
    """The message of a Socrata/API error body (``{"error": true, "message": ...}``), if it is one."""
    if not isinstance(obj, dict):
        return None
    message = obj.get("message")
    if obj.get("error") is True or (("code" in obj or "errorCode" in obj or "status" in obj) and isinstance(message, str)):
        text = str(message or obj.get("code") or "unknown error")[:500]
        code = obj.get("code") or obj.get("errorCode") or obj.get("status")
        return f"{text} ({code})" if code not in (None, "", True) else text
    if isinstance(obj.get("error"), str):
        return obj["error"][:500]
    return None
