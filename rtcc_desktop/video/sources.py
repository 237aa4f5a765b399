"""What a camera URL points at, and so how it must be read and paced."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

SourceKind = Literal["rtsp", "mjpeg", "hls", "snapshot", "file", "device"]

_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "tcp")


@dataclass(frozen=True)
class Source:
    """One readable source.

    ``target`` is what OpenCV or requests opens (a URL, a path or a device
    index); it may hold credentials only after :func:`urls.with_credentials`.
    """

    kind: SourceKind
    target: str | int
    loop: bool = True  # files: start again at the end (False: play once)
    poll_s: float = 1.0  # snapshot URLs: seconds between polls

    @property
    def is_network(self) -> bool:
        return self.kind in ("rtsp", "mjpeg", "hls", "snapshot")


def classify(target: str | int | Path, *, loop: bool = True, poll_s: float = 1.0) -> Source:
    """Tell a source's kind from its URL, path or device index.

    ``http(s)`` URLs ending in an image suffix are JPEG snapshot URLs (polled),
    ``.m3u8`` is HLS, other ``http(s)`` URLs are MJPEG (or anything FFmpeg can
    probe), ``rtsp://`` and friends are streams, an ``int`` (or a string of
    digits) is a local device, ``file://`` and plain paths are files.
    """
    if isinstance(target, bool):
        raise ValueError("a source cannot be a boolean")
    if isinstance(target, int):
        return Source("device", target)
    if isinstance(target, Path):
        return Source("file", str(target), loop=loop)
    text = str(target).strip()
    if not text:
        raise ValueError("empty source")
    if text.isdigit():
        return Source("device", int(text))
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme == "file":
        return Source("file", urlsplit(text).path, loop=loop)
    if not scheme:
        return Source("file", text, loop=loop)
    path = urlsplit(text).path.lower()
    if scheme in ("http", "https"):
        if path.endswith(".m3u8"):
            return Source("hls", text)
        if path.endswith(_IMAGE_SUFFIXES):
            return Source("snapshot", text, poll_s=poll_s)
        return Source("mjpeg", text)
    if scheme in _STREAM_SCHEMES:
        return Source("rtsp", text)
    raise ValueError(f"unsupported source scheme {scheme!r}")


def camera_urls(camera: dict[str, Any]) -> tuple[str | int | None, str | int | None]:
    """(grid URL, main URL) for a camera record.

    The grid plays the substream when there is one (small, cheap to decode);
    a maximised tile plays the main stream. A camera with only a snapshot URL
    uses it for both.
    """

    def pick(*names: str) -> str | int | None:
        for name in names:
            value = camera.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    grid = pick("substream_url", "stream_url", "snapshot_url")
    main = pick("stream_url", "substream_url", "snapshot_url")
    return grid, main


def needs_request(camera: dict[str, Any]) -> bool:
    """True for cameras the centre may not watch live (footage must be requested)."""
    access = str(camera.get("access") or "").strip().lower()
    return access == "request"
