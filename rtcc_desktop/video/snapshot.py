"""Evidence snapshots: a PNG, its SHA-256 beside it, and an audit record.

The hash file lets anyone check later that the image was not altered
(``sha256sum -c name.png.sha256``); the audit hook records who took what.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

AuditHook = Callable[[str, dict[str, Any]], Any]

#: The action name snapshots are audited under.
SNAPSHOT_ACTION = "video.snapshot"


class SnapshotError(Exception):
    """The frame could not be encoded as PNG."""


def safe_stem(name: str) -> str:
    """A file-name-safe version of a camera name."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return stem[:60] or "camera"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_snapshot(
    frame: np.ndarray,
    directory: str | Path,
    camera_name: str,
    *,
    audit: AuditHook | None = None,
    params: Mapping[str, Any] | None = None,
    when: float | None = None,
) -> Path:
    """Write ``frame`` to ``directory`` as PNG plus ``<file>.sha256``; return the PNG path.

    ``audit("video.snapshot", {...})`` is called after both files exist, with
    the camera, the path and the hash (and ``params``). A failing audit hook
    is logged, not raised: the evidence is already on disk.
    """
    ok, buf = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise SnapshotError("PNG encoding failed")
    data = buf.tobytes()
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stamp_s = time.time() if when is None else when
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(stamp_s)) + f"{int(stamp_s * 1000) % 1000:03d}Z"
    path = folder / f"{safe_stem(camera_name)}_{stamp}.png"
    n = 1
    while path.exists():
        path = folder / f"{safe_stem(camera_name)}_{stamp}_{n}.png"
        n += 1
    _atomic_write(path, data)
    _atomic_write(path.with_name(path.name + ".sha256"), f"{digest}  {path.name}\n".encode("ascii"))
    log.info("snapshot of %s saved to %s", camera_name, path)
    if audit is not None:
        record = {
            "camera": camera_name,
            "path": str(path),
            "sha256": digest,
            "width": int(frame.shape[1]),
            "height": int(frame.shape[0]),
            "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp_s)),
        }
        record.update(params or {})
        try:
            audit(SNAPSHOT_ACTION, record)
        except Exception:  # noqa: BLE001 - the snapshot exists; report the hook's failure
            log.exception("audit hook failed for snapshot %s", path.name)
    return path


def verify_snapshot(path: str | Path) -> bool:
    """True when the PNG's bytes still match the hash written beside it."""
    png = Path(path)
    try:
        expected = png.with_name(png.name + ".sha256").read_text("ascii").split()[0]
        return hashlib.sha256(png.read_bytes()).hexdigest() == expected
    except (OSError, IndexError, UnicodeDecodeError):
        return False
