"""Base-map tiles: real 256 px PNGs of the same streets the events sit on."""

from __future__ import annotations

import cv2
import numpy as np
from simhelp import get, soda, tile_of

from rtcc_desktop.sim.tiles import LAND


def _png(sim, z: int, x: int, y: int) -> np.ndarray:
    r = get(sim, f"/tiles/{z}/{x}/{y}.png")
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    img = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.shape == (256, 256, 3)
    return img


def _not_land(img: np.ndarray) -> np.ndarray:
    return np.abs(img.astype(int) - np.array(LAND)).sum(axis=2) > 30


def test_city_tiles_show_streets_and_far_tiles_are_plain_land(sim):
    lat, lon = sim.center
    for z in (12, 14, 16, 18):
        x, y, _, _ = tile_of(lat, lon, z)
        assert _not_land(_png(sim, z, x, y)).mean() > 0.005, f"no streets drawn at zoom {z}"
    x, y, _, _ = tile_of(47.6, -122.3, 14)  # Seattle: outside the simulated city
    far = _png(sim, 14, x, y)
    assert not _not_land(far).any()


def test_events_are_drawn_on_streets(sim):
    rows = [r for r in soda(sim, limit=60) if "latitude" in r]
    assert rows
    z = 17
    for r in rows:
        lat, lon = float(r["latitude"]), float(r["longitude"])
        x, y, px, py = tile_of(lat, lon, z)
        img = _png(sim, z, x, y)
        x0, y0 = int(px), int(py)
        window = _not_land(img)[max(0, y0 - 6) : y0 + 7, max(0, x0 - 6) : x0 + 7]
        assert window.any(), f"{r['address']} is not on a street on the map"


def test_tiles_are_stable_and_bad_tiles_are_404(sim):
    lat, lon = sim.center
    x, y, _, _ = tile_of(lat, lon, 15)
    a = get(sim, f"/tiles/15/{x}/{y}.png").content
    b = get(sim, f"/tiles/15/{x}/{y}.png").content
    assert a == b
    assert get(sim, "/tiles/3/99/1.png").status_code == 404
    assert get(sim, "/tiles/30/1/1.png").status_code == 404
    assert get(sim, "/tiles/a/b/c.png").status_code == 404
