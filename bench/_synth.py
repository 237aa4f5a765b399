"""Deterministic synthetic records around one city, for the store benchmarks.

Shaped like real feeds, not uniform noise: plate reads happen at a few
hundred fixed ALPR sites, plates repeat (a car passes several cameras),
times advance batch by batch like a live feed, incidents carry short
narratives. The same (kind, n, seed) always gives the same records, and
records come in batches so millions never sit in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

CITY = (41.8781, -87.6298)  # Chicago
SPREAD_DEG = (0.12, 0.16)  # ~1 sigma: a 30 km wide metro area
START = np.datetime64("2024-01-01T00:00:00", "s")
ALPR_SITES = 400

_LETTERS = np.array(list("ABCDEFGHJKLMNPRSTUVWXYZ"))
_DIGITS = np.array(list("0123456789"))
_STATES = np.array(["IL"] * 16 + ["IN", "WI", "MI", "IA"])
_CAD_TYPES = np.array(
    ["SHOTS FIRED", "BURGLARY", "THEFT", "ASSAULT", "TRAFFIC STOP", "SUSPICIOUS PERSON", "ROBBERY", "DISTURBANCE"]
)
_STREETS = np.array(["N CLARK ST", "W MADISON ST", "S STATE ST", "W CHICAGO AVE", "N HALSTED ST", "E 63RD ST"])
_WORDS = np.array(
    "caller reports male female vehicle blue red black sedan suv fled north south east west "
    "on foot weapon seen two three subjects hoodie backpack alley parking lot store front".split()
)


def _rng(seed: int, kind: str, batch: int) -> np.random.Generator:
    return np.random.default_rng([seed, ord(kind[0]), len(kind), batch])


def _times(rng: np.random.Generator, n: int, t0: float, t1: float) -> list[str]:
    secs = np.sort(rng.uniform(t0, t1, n)).astype("int64")
    stamps = START + secs.astype("timedelta64[s]")
    texts: list[str] = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z").tolist()
    return texts


def _points(rng: np.random.Generator, n: int) -> tuple[list[float], list[float]]:
    lat = np.round(CITY[0] + rng.normal(0, SPREAD_DEG[0], n), 6)
    lon = np.round(CITY[1] + rng.normal(0, SPREAD_DEG[1], n), 6)
    return lat.tolist(), lon.tolist()


def alpr_sites(seed: int = 1) -> np.ndarray:
    """The fixed ALPR camera positions, shape (ALPR_SITES, 2) as (lat, lon)."""
    rng = np.random.default_rng([seed, 999])
    return np.column_stack(
        [CITY[0] + rng.normal(0, SPREAD_DEG[0], ALPR_SITES), CITY[1] + rng.normal(0, SPREAD_DEG[1], ALPR_SITES)]
    )


def plate_pool(n: int, seed: int = 1) -> list[str]:
    """Distinct-looking plates; a pool smaller than the read count makes repeats."""
    size = max(1000, n // 20)
    rng = np.random.default_rng([seed, 777])
    letters = rng.choice(_LETTERS, size=(size, 3))
    digits = rng.choice(_DIGITS, size=(size, 4))
    return ["".join(a) + "".join(b) for a, b in zip(letters.tolist(), digits.tolist(), strict=True)]


def batches(
    kind: str, n: int, batch: int = 5000, seed: int = 1, days: float = 30.0
) -> Iterator[list[dict[str, Any]]]:
    """``n`` records of ``kind`` in time order, ``batch`` at a time (normalised form)."""
    span = days * 86400.0
    pool = plate_pool(n, seed) if kind == "alpr" else []
    sites = alpr_sites(seed)
    nbatches = max(1, -(-n // batch))
    for b in range(nbatches):
        m = min(batch, n - b * batch)
        rng = _rng(seed, kind, b)
        t0, t1 = span * b / nbatches, span * (b + 1) / nbatches
        times = _times(rng, m, t0, t1) if kind != "camera" else [None] * m
        first = b * batch
        if kind == "alpr":
            site = rng.integers(0, ALPR_SITES, m)
            lat = np.round(sites[site, 0] + rng.normal(0, 0.0002, m), 6).tolist()
            lon = np.round(sites[site, 1] + rng.normal(0, 0.0002, m), 6).tolist()
            plates = [pool[i] for i in rng.integers(0, len(pool), m).tolist()]
            states = rng.choice(_STATES, m).tolist()
            no_loc = rng.random(m) < 0.01  # some readers do not report a position
            yield [
                {
                    "source_id": f"alpr-{first + i:09d}",
                    "time": times[i],
                    "lat": None if no_loc[i] else lat[i],
                    "lon": None if no_loc[i] else lon[i],
                    "type": None,
                    "priority": None,
                    "address": None,
                    "narrative": None,
                    "agency": "SYNTH PD",
                    "plate": plates[i],
                    "state": states[i],
                    "camera": f"ALPR-{site[i]:03d}",
                    "source": "synth-alpr",
                }
                for i in range(m)
            ]
        elif kind == "cad":
            lat, lon = _points(rng, m)
            types = rng.choice(_CAD_TYPES, m).tolist()
            numbers = rng.integers(1, 9999, m).tolist()
            streets = rng.choice(_STREETS, m).tolist()
            words = rng.choice(_WORDS, size=(m, 12)).tolist()
            prio = rng.integers(1, 5, m).tolist()
            yield [
                {
                    "source_id": f"cad-{first + i:09d}",
                    "time": times[i],
                    "lat": lat[i],
                    "lon": lon[i],
                    "type": types[i],
                    "priority": str(prio[i]),
                    "address": f"{numbers[i]} {streets[i]}",
                    "narrative": " ".join(words[i]),
                    "agency": "SYNTH PD",
                    "source": "synth-cad",
                }
                for i in range(m)
            ]
        elif kind == "gunshot":
            lat, lon = _points(rng, m)
            rounds = rng.integers(1, 12, m).tolist()
            yield [
                {
                    "source_id": f"gunshot-{first + i:09d}",
                    "time": times[i],
                    "lat": lat[i],
                    "lon": lon[i],
                    "type": "Multiple Gunshots" if rounds[i] > 1 else "Single Gunshot",
                    "priority": None,
                    "address": None,
                    "narrative": None,
                    "agency": "SYNTH PD",
                    "rounds": float(rounds[i]),
                    "source": "synth-gunshot",
                }
                for i in range(m)
            ]
        elif kind == "camera":
            lat, lon = _points(rng, m)
            heading = rng.uniform(0, 360, m).round(1).tolist()
            private = (rng.random(m) < 0.3).tolist()
            yield [
                {
                    "source_id": f"camera-{first + i:09d}",
                    "time": None,
                    "lat": lat[i],
                    "lon": lon[i],
                    "agency": "SYNTH PD",
                    "name": f"Camera {first + i}",
                    "owner": "Corner Store" if private[i] else "City DOT",
                    "contact": "555-0100" if private[i] else None,
                    "heading": heading[i],
                    "fov_deg": 60.0,
                    "range_m": 80.0,
                    "stream_url": None if private[i] else f"rtsp://cams.example/{first + i}",
                    "snapshot_url": None,
                    "access": "request" if private[i] else "live",
                    "ownership": "private" if private[i] else "public",
                    "source": "synth-camera",
                }
                for i in range(m)
            ]
        else:
            raise ValueError(f"unknown kind {kind!r}")
