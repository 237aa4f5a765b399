"""Which cameras can see a point: the camera-to-incident search.

A camera sees a point when the point is within the camera's range and the
bearing from the camera to the point lies inside its field of view
(``heading ± fov/2``). Cameras with no heading (PTZ, or simply unknown) are
judged on distance alone; since they may be looking elsewhere they rank after
cameras that surely see the point from a similar distance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rtcc_desktop.model.geo import angle_diff_deg, bearing_deg, haversine_m

DEFAULT_RANGE_M = 150.0
DEFAULT_MAX_RANGE_M = 300.0
#: A camera with a heading but no field of view is assumed to see this wide.
DEFAULT_FOV_DEG = 90.0
#: Closer than this, the bearing is meaningless: the camera is at the point.
AT_POINT_M = 1.0
#: How much farther a distance-only camera is treated as being when ranked,
#: so it follows cameras that surely see the point from about as far away.
UNSURE_PENALTY_M = 25.0
UNSURE_PENALTY_RATIO = 0.25


@dataclass(frozen=True)
class Sighting:
    """One camera's view of the point."""

    camera: dict[str, Any]
    distance_m: float
    in_view: bool
    reason: str
    bearing_deg: float | None = None  # camera → point
    sure: bool = True  # False when judged on distance only (no heading)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as the documented 4-tuple: ``camera, distance_m, in_view, reason``."""
        return iter((self.camera, self.distance_m, self.in_view, self.reason))


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def judge(lat: float, lon: float, camera: dict[str, Any]) -> Sighting | None:
    """How ``camera`` sees (lat, lon); None when the camera has no usable position."""
    cam_lat, cam_lon = _number(camera.get("lat")), _number(camera.get("lon"))
    if cam_lat is None or cam_lon is None or not (-90 <= cam_lat <= 90 and -180 <= cam_lon <= 180):
        return None
    distance = haversine_m(cam_lat, cam_lon, lat, lon)
    reach = _number(camera.get("range_m"))
    reach = reach if reach is not None and reach > 0 else DEFAULT_RANGE_M
    if distance > reach:
        return Sighting(camera, distance, False, f"beyond camera range ({distance:.0f} m > {reach:.0f} m)")
    heading = _number(camera.get("heading"))
    if heading is None:
        return Sighting(camera, distance, True, f"no heading: within range ({distance:.0f} m), view unknown", sure=False)
    if distance < AT_POINT_M:
        return Sighting(camera, distance, True, "camera is at the point")
    bearing = bearing_deg(cam_lat, cam_lon, lat, lon)
    fov = _number(camera.get("fov_deg"))
    fov = fov if fov is not None and fov > 0 else DEFAULT_FOV_DEG
    off = angle_diff_deg(heading % 360.0, bearing)
    if fov >= 360 or off <= fov / 2:
        return Sighting(camera, distance, True, f"in view ({off:.0f}° off axis, fov {fov:.0f}°)", bearing)
    return Sighting(
        camera,
        distance,
        False,
        f"outside field of view (bearing {bearing:.0f}°, camera looks {heading % 360:.0f}° ± {fov / 2:.0f}°)",
        bearing,
    )


def _rank_key(s: Sighting) -> tuple[int, float, float]:
    if not s.in_view:
        return (1, s.distance_m, 0.0)
    if s.sure:
        return (0, s.distance_m, 0.0)
    penalty = max(UNSURE_PENALTY_M, UNSURE_PENALTY_RATIO * s.distance_m)
    return (0, s.distance_m + penalty, 1.0)  # on a tie, the sure camera first


def cameras_seeing(
    lat: float,
    lon: float,
    cameras: Iterable[dict[str, Any]],
    max_range_m: float = DEFAULT_MAX_RANGE_M,
) -> list[Sighting]:
    """Cameras within ``max_range_m`` of the point, best first.

    Cameras that see the point come first, nearest first (a distance-only
    camera counts as ``max(25 m, 25 %)`` farther); then cameras that are near
    but cannot see it, nearest first, with the reason, so an analyst knows why
    a close camera is not offered. Cameras with bad positions are skipped.
    """
    out: list[Sighting] = []
    for camera in cameras:
        if not isinstance(camera, dict):
            continue
        sighting = judge(lat, lon, camera)
        if sighting is not None and sighting.distance_m <= max_range_m:
            out.append(sighting)
    out.sort(key=_rank_key)
    return out
