"""Privacy masks: polygons blacked out of a camera's picture before anyone sees it.

A mask is given in normalised coordinates (0..1 of width and height) so the
same polygons fit the substream, the main stream and a snapshot. It is applied
to the decoded frame before it is resized or published, so no tile and no
snapshot ever holds the hidden pixels.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

Polygon = tuple[tuple[float, float], ...]


def parse_masks(value: Any) -> tuple[Polygon, ...]:
    """Valid polygons from ``value`` (a list of lists of [x, y] in 0..1).

    Bad polygons are logged and skipped: a typo in one camera's mask must not
    stop its video (the rest of the mask still applies).
    """
    if not value:
        return ()
    if not isinstance(value, (list, tuple)):
        log.warning("privacy masks ignored: expected a list of polygons")
        return ()
    polygons: list[Polygon] = []
    for item in value:
        try:
            points = tuple((float(p[0]), float(p[1])) for p in item)
        except (TypeError, ValueError, IndexError):
            log.warning("privacy mask polygon ignored: not a list of [x, y] pairs")
            continue
        if len(points) < 3:
            log.warning("privacy mask polygon ignored: fewer than 3 points")
            continue
        if not all(-0.001 <= x <= 1.001 and -0.001 <= y <= 1.001 for x, y in points):
            log.warning("privacy mask polygon ignored: coordinates must be normalised 0..1")
            continue
        polygons.append(points)
    return tuple(polygons)


class PrivacyMask:
    """Polygons for one camera, with pixel coordinates cached per frame size."""

    def __init__(self, polygons: Iterable[Sequence[Sequence[float]]] | None = None) -> None:
        self.polygons = parse_masks(list(polygons) if polygons is not None else None)
        self._cache: dict[tuple[int, int], list[np.ndarray]] = {}

    def __bool__(self) -> bool:
        return bool(self.polygons)

    def _pixels(self, width: int, height: int) -> list[np.ndarray]:
        key = (width, height)
        pts = self._cache.get(key)
        if pts is None:
            scale = np.array([width, height], dtype=np.float64)
            pts = [
                np.round(np.array(poly, dtype=np.float64) * scale).astype(np.int32).reshape(-1, 1, 2)
                for poly in self.polygons
            ]
            self._cache = {key: pts}  # one size at a time; a stream rarely changes size
        return pts

    def apply(self, frame: np.ndarray) -> np.ndarray:
        """Black out the polygons in ``frame`` (in place) and return it."""
        if not self.polygons or frame.ndim < 2:
            return frame
        height, width = frame.shape[:2]
        colour = (0,) * (frame.shape[2] if frame.ndim == 3 else 1)
        cv2.fillPoly(frame, self._pixels(width, height), colour)
        return frame
