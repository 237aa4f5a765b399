"""The simulated event stream: CAD calls, gunshot detections and plate reads.

Event ``i`` happens at ``base + i * 60/rate`` seconds plus a jitter, and its
content comes from a generator seeded with ``(seed, i)`` alone, so two
simulators with the same seed and start serve identical data no matter how
or when they are asked. Times are whole seconds: everything with the same
timestamp becomes visible at the same instant, which makes ``since > T``
and ``:updated_at > T`` cursors exact.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from rtcc_desktop.sim.city import CALHOUN_SO, City
from rtcc_desktop.sim.narratives import CALL_TYPES, FOLLOW_UPS, narrative
from rtcc_desktop.sim.registry import MOBILE_READERS, Registry, random_plate

LOCAL_TZ = ZoneInfo("America/Chicago")

CAD_SHARE = 0.44
ALPR_SHARE = 0.50  # the rest are gunshot detections
HOTLIST_SHARE = 0.03
NO_LOCATION_SHARE = 0.02
PAIRED_CALL_SHARE = 0.5

_PREFIX = {"OXFORD PD": "OPD", "ANNISTON PD": "APD", "CALHOUN CO SO": "CCSO"}
_ID_CHARS = "23456789abcdefghijkmnpqrstuvwxyz"
_CONFUSABLE = {"0": "O", "O": "0", "1": "I", "I": "1", "8": "B", "B": "8", "5": "S", "S": "5", "2": "Z", "Z": "2"}


@lru_cache(maxsize=1 << 16)
def utc_iso(t: float) -> str:
    """``2024-05-01T18:45:07Z``: how the gunshot and ALPR feeds write times."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=1 << 16)
def soda_fixed(t: float) -> str:
    """Socrata fixed timestamp (UTC, milliseconds): ``2024-05-01T18:45:07.000Z``."""
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@lru_cache(maxsize=1 << 16)
def soda_floating(t: float) -> str:
    """Socrata floating timestamp in the centre's local time, no zone: ``2024-05-01T13:45:07.000``."""
    return datetime.fromtimestamp(t, LOCAL_TZ).strftime("%Y-%m-%dT%H:%M:%S.000")


def local_hhmm(t: float) -> str:
    return datetime.fromtimestamp(t, LOCAL_TZ).strftime("%H:%M")


@dataclass(frozen=True)
class Incident:
    """A CAD call and the later edits dispatch makes to it."""

    index: int
    number: str
    row_id: str
    time: int
    call_type: str
    priority: int
    address: str
    narrative: str
    lat: float | None
    lon: float | None
    agency: str
    updates: tuple[tuple[int, int, str], ...]  # (time, new priority, appended text)

    def state(self, now: float) -> tuple[int, str, int]:
        """(priority, narrative, updated_at) as published at ``now``."""
        priority, text, updated = self.priority, self.narrative, self.time
        for t, p, extra in self.updates:
            if t > now:
                break
            priority, text, updated = p, f"{text} | {extra}", t
        return priority, text, updated

    @property
    def change_times(self) -> tuple[int, ...]:
        return (self.time,) + tuple(u[0] for u in self.updates)


@dataclass(frozen=True)
class Gunshot:
    index: int
    id: str
    time: int
    lat: float
    lon: float
    rounds: int
    agency: str


@dataclass(frozen=True)
class PlateRead:
    index: int
    read_id: str
    time: int
    plate: str
    state: str
    lat: float | None
    lon: float | None
    camera_id: str
    agency: str


class Timeline:
    """Generates events on demand, once each, and answers "what is visible at t"."""

    def __init__(self, city: City, registry: Registry, seed: int, rate_per_min: float, history: int, start: float) -> None:
        if rate_per_min <= 0:
            raise ValueError(f"rate_per_min must be positive, got {rate_per_min}")
        if history < 0:
            raise ValueError(f"history must be >= 0, got {history}")
        self.city, self.registry, self.seed = city, registry, seed
        self.dt = 60.0 / rate_per_min
        self.start = float(start)
        self.base = self.start - history * self.dt
        self._lock = threading.Lock()
        self._generated = 0
        self.incidents: list[Incident] = []
        self.gunshots: list[Gunshot] = []
        self.reads: list[PlateRead] = []
        self._read_times: list[int] = []
        self._shot_times: list[int] = []
        crossing: dict[str, set[str]] = {}
        for c in city.crossings:
            crossing.setdefault(c.a.name, set()).add(c.b.name)
            crossing.setdefault(c.b.name, set()).add(c.a.name)
        self._crossing_names = {k: sorted(v) for k, v in crossing.items()}
        hot_rng = random.Random(f"rtcc-sim:{seed}:hotspots")
        self._hotspots = [city.spot(hot_rng, main_bias=0.5) for _ in range(3)]

    # ------------------------------------------------------------------ generation
    def _ensure(self, now: float) -> None:
        """Generate every event whose slot has begun by ``now``."""
        n = max(0, math.floor((now - self.base) / self.dt) + 1)
        if n <= self._generated:
            return
        with self._lock:
            for i in range(self._generated, n):
                self._make(i)
            self._generated = max(self._generated, n)

    def _make(self, i: int) -> None:
        rng = random.Random(f"rtcc-sim:{self.seed}:event:{i}")
        t = math.floor(self.base + i * self.dt + rng.uniform(0, 0.9 * self.dt))
        roll = rng.random()
        if roll < CAD_SHARE:
            self.incidents.append(self._incident(i, t, rng))
        elif roll < CAD_SHARE + ALPR_SHARE:
            read = self._read(i, t, rng)
            self.reads.append(read)
            self._read_times.append(read.time)
        else:
            shot = self._gunshot(i, t, rng)
            self.gunshots.append(shot)
            self._shot_times.append(shot.time)
            if rng.random() < PAIRED_CALL_SHARE:
                self.incidents.append(self._paired_call(shot, rng))

    def _row_id(self, i: int) -> str:
        r = random.Random(f"rtcc-sim:{self.seed}:rowid:{i}")
        chars = "".join(r.choice(_ID_CHARS) for _ in range(12))
        return f"row-{chars[:4]}~{chars[4:8]}.{chars[8:]}"

    def _number(self, i: int, t: int, agency: str) -> str:
        yy = datetime.fromtimestamp(t, LOCAL_TZ).strftime("%y")
        return f"{_PREFIX.get(agency, 'X')}{yy}-{i:06d}"

    def _incident(self, i: int, t: int, rng: random.Random) -> Incident:
        types = [c[0] for c in CALL_TYPES]
        call_type = rng.choices(types, weights=[c[1] for c in CALL_TYPES])[0]
        priority = rng.choice(dict((c[0], c[2]) for c in CALL_TYPES)[call_type])
        spot = self.city.spot(rng, main_bias=2.0 if call_type in ("TRAFFIC STOP", "MVA NO INJURIES", "RECKLESS DRIVER") else 1.0)
        address = spot.address.upper()
        cross = self._cross_street(spot.street.name, rng)
        if rng.random() < 0.1 and cross:
            address = f"{spot.street.name.upper()} / {cross.upper()}"
        text = narrative(call_type, rng, random_plate(rng), spot.street.name.upper(), (cross or spot.street.name).upper())
        agency = CALHOUN_SO if rng.random() < 0.05 else spot.agency  # mutual aid
        lat: float | None = round(spot.lat, 6)
        lon: float | None = round(spot.lon, 6)
        if rng.random() < 0.01:  # address that did not geocode
            lat = lon = None
        updates = self._updates(t, priority, rng)
        return Incident(i, self._number(i, t, agency), self._row_id(i), t, call_type, priority, address, text, lat, lon, agency, updates)

    def _updates(self, t: int, priority: int, rng: random.Random) -> tuple[tuple[int, int, str], ...]:
        n = rng.choices((0, 1, 2), weights=(70, 22, 8))[0]
        out = []
        when = t
        for _ in range(n):
            when += rng.randint(120, 2400)
            extra = rng.choice(FOLLOW_UPS)
            if extra.endswith("UPGRADED"):
                priority = 1
            elif rng.random() < 0.25:
                priority = min(4, max(1, priority + rng.choice((-1, 1))))
            out.append((when, priority, f"{local_hhmm(when)} {extra}"))
        return tuple(out)

    def _cross_street(self, name: str, rng: random.Random) -> str | None:
        names = self._crossing_names.get(name)
        return rng.choice(names) if names else None

    def _gunshot(self, i: int, t: int, rng: random.Random) -> Gunshot:
        if rng.random() < 0.7:
            h = rng.choice(self._hotspots)
            spot = self.city.near(h.x + rng.uniform(-250, 250), h.y + rng.uniform(-250, 250), rng, 30)
        else:
            spot = self.city.spot(rng, main_bias=0.5)
        rounds = 1 if rng.random() < 0.35 else rng.randint(2, 12)
        return Gunshot(i, f"GS-{i:07d}", t, round(spot.lat, 6), round(spot.lon, 6), rounds, spot.agency)

    def _paired_call(self, shot: Gunshot, rng: random.Random) -> Incident:
        t = shot.time + rng.randint(20, 120)
        x, y = self.city.to_xy(shot.lat, shot.lon)
        spot = self.city.near(x, y, rng, 80)
        text = f"R/P ADV HEARD {max(2, shot.rounds + rng.randint(-1, 2))} SHOTS NEAR {spot.street.name.upper()}, UNK DIRECTION"
        updates = self._updates(t, 1, rng)
        return Incident(
            shot.index,
            self._number(shot.index, t, spot.agency),
            self._row_id(shot.index),
            t,
            "SHOTS FIRED",
            1,
            spot.address.upper(),
            text,
            round(spot.lat, 6),
            round(spot.lon, 6),
            spot.agency,
            updates,
        )

    def _read(self, i: int, t: int, rng: random.Random) -> PlateRead:
        hot = rng.random() < HOTLIST_SHARE
        if hot:
            entry = rng.choice(self.registry.hotlist)
            plate, state = entry["plate"], entry["state"]
            if rng.random() < 0.15:  # the camera misread one character
                k = rng.randrange(len(plate))
                plate = plate[:k] + _CONFUSABLE.get(plate[k], plate[k]) + plate[k + 1 :]
        else:
            plate, state = random_plate(rng), ("AL" if rng.random() < 0.85 else "GA")
        if rng.random() < 0.7:
            reader = rng.choice(self.registry.readers)
            camera, agency, lat, lon = reader.id, reader.agency, reader.lat, reader.lon
        else:
            camera, agency = rng.choice(MOBILE_READERS)
            spot = self.city.spot(rng)
            lat, lon = round(spot.lat, 6), round(spot.lon, 6)
        lat_out: float | None = lat
        lon_out: float | None = lon
        if rng.random() < NO_LOCATION_SHARE:
            lat_out = lon_out = None
        read_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return PlateRead(i, read_id, t, plate, state, lat_out, lon_out, camera, agency)

    # ------------------------------------------------------------------ queries
    def visible_incidents(self, now: float) -> list[Incident]:
        """Every CAD call received by ``now`` (their current state comes from ``state(now)``)."""
        self._ensure(now)
        with self._lock:
            items = list(self.incidents)
        return [inc for inc in items if inc.time <= now]

    def visible_gunshots(self, now: float, since: float | None = None) -> list[Gunshot]:
        """Detections with ``since < time <= now``, oldest first."""
        self._ensure(now)
        with self._lock:
            lo = 0 if since is None else bisect.bisect_right(self._shot_times, since)
            hi = bisect.bisect_right(self._shot_times, now)
            return self.gunshots[lo:hi]

    def visible_reads(self, now: float, since: float | None = None) -> list[PlateRead]:
        """Plate reads with ``since < time <= now``, oldest first."""
        self._ensure(now)
        with self._lock:
            lo = 0 if since is None else bisect.bisect_right(self._read_times, since)
            hi = bisect.bisect_right(self._read_times, now)
            return self.reads[lo:hi]

    def last_change(self, kind: str, now: float) -> int:
        """Epoch of the latest change visible at ``now`` in one feed (for Last-Modified)."""
        if kind == "cad":
            latest = 0
            for inc in self.visible_incidents(now):
                latest = max(latest, max(t for t in inc.change_times if t <= now))
            return latest
        items: list = self.visible_gunshots(now) if kind == "gunshot" else self.visible_reads(now)
        return items[-1].time if items else 0

    def counts(self, now: float) -> dict[str, int]:
        return {
            "cad": len(self.visible_incidents(now)),
            "gunshot": len(self.visible_gunshots(now)),
            "alpr": len(self.visible_reads(now)),
        }
