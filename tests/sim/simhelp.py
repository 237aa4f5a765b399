"""Helpers shared by the simulator tests (fixtures live in conftest.py)."""

from __future__ import annotations

import math

import requests

from rtcc_desktop.sim import Simulator

START = "2024-05-01T18:00:00Z"


def get(sim: Simulator, path: str, headers: dict | None = None, timeout: float = 10, **params) -> requests.Response:
    """GET ``path`` on the simulator over loopback."""
    return requests.get(sim.url(path), params=params or None, headers=headers, timeout=timeout)


def soda(sim: Simulator, **params) -> list[dict]:
    """One SODA request that must succeed; SoQL parameters are given without the ``$``."""
    r = get(sim, "/resource/cad.json", **{f"${k}": v for k, v in params.items()})
    assert r.status_code == 200, r.text
    return r.json()


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int, float, float]:
    """XYZ tile holding a point, and the point's pixel inside it."""
    n = 256 * 2**z
    x = (lon + 180) / 360 * n
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int(x // 256), int(y // 256), x % 256, y % 256
