"""Fixed things in the simulated city: video cameras, ALPR readers, the hot list.

They are chosen once from the seed. Cameras sit at real crossings of the
street network and look along a street, so "which cameras can see this event"
has true answers.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rtcc_desktop.sim.city import ANNISTON_PD, CALHOUN_SO, OXFORD_PD, PRIMARY, RESIDENTIAL, SECONDARY, City

_PUBLIC_OWNERS = {
    OXFORD_PD: ("City of Oxford", "Oxford PD RTCC 256-555-0140"),
    ANNISTON_PD: ("City of Anniston", "Anniston PD Records 256-555-0177"),
    CALHOUN_SO: ("Calhoun County EMA", "Calhoun Co SO Dispatch 256-555-0112"),
}
_BUSINESSES = (
    ("Oxford Exchange Shops", "Front Lot"),
    ("Quintard Mall", "East Entrance"),
    ("Hamric Dr Shell", "Pumps"),
    ("Snow St Pharmacy", "Drive-Thru"),
    ("Main St Diner", "Sidewalk"),
    ("First Baptist Church", "Parking Lot"),
    ("Oxford Self Storage", "Gate"),
    ("Golden Springs Apartments", "Building C"),
    ("Sunrise Car Wash", "Bay Exit"),
    ("Magnolia Dental", "Front Door"),
)
#: Private cameras whose footage must be requested from the owner.
_REQUEST_ONLY = 3
N_PUBLIC = 8
N_PRIVATE = 8

HOTLIST_REASONS = (
    "STOLEN VEHICLE",
    "AMBER ALERT",
    "WANTED PERSON - FELONY WARRANT",
    "STOLEN PLATE",
    "BOLO - ARMED ROBBERY SUSPECT",
)
MOBILE_READERS = (("OPD-UNIT-12", OXFORD_PD), ("OPD-UNIT-17", OXFORD_PD), ("CCSO-UNIT-04", CALHOUN_SO), ("APD-UNIT-31", ANNISTON_PD))


@dataclass(frozen=True)
class Reader:
    """A fixed ALPR camera on a main road."""

    id: str
    name: str
    lat: float
    lon: float
    heading: float
    agency: str


def random_plate(rng: random.Random) -> str:
    """Three letters and four digits, the way the demo writes plates (e.g. ``KTR4821``)."""
    letters = "".join(rng.choice(string.ascii_uppercase.replace("O", "").replace("I", "")) for _ in range(3))
    return f"{letters}{rng.randint(0, 9999):04d}"


class Registry:
    """Cameras, ALPR readers and hot-list plates for one seed."""

    def __init__(self, city: City, seed: int, start_epoch: float) -> None:
        rng = random.Random(f"rtcc-sim:{seed}:registry")
        self.city = city
        self._cameras = self._make_cameras(rng)
        self.readers = self._make_readers(rng)
        self.hotlist = self._make_hotlist(rng, start_epoch)

    # ------------------------------------------------------------------ cameras
    def _make_cameras(self, rng: random.Random) -> list[dict]:
        cams: list[dict] = []
        crossings = self.city.main_crossings()
        picks = crossings[:5] + rng.sample(crossings[5:], min(len(crossings) - 5, N_PUBLIC - 5))
        for c in picks[:N_PUBLIC]:
            street, d = (c.a, c.da) if rng.random() < 0.5 else (c.b, c.db)
            # Look along one of the two streets, away from the crossing.
            _x, _y, heading = street.point_at(d)
            if rng.random() < 0.5:
                heading = (heading + 180.0) % 360.0
            lat, lon = self.city.to_latlon(c.x, c.y)
            agency = self.city.agency_at(c.x, c.y)
            owner, contact = _PUBLIC_OWNERS[agency]
            cams.append(
                dict(
                    name=self.city.crossing_name(c),
                    owner=owner,
                    contact=contact,
                    ownership="public",
                    access="live",
                    heading=round(heading, 1),
                    fov_deg=float(rng.choice((60, 70, 80, 90))),
                    range_m=float(rng.choice((80, 100, 120, 150))),
                    lat=round(lat, 6),
                    lon=round(lon, 6),
                    address=self.city.crossing_name(c),
                    agency=agency,
                )
            )
        shops = rng.sample(_BUSINESSES, N_PRIVATE)
        busy = [s for s in self.city.streets if s.cls in (PRIMARY, SECONDARY)]
        for k, (business, view) in enumerate(shops):
            street = rng.choice(busy) if rng.random() < 0.8 else rng.choice([s for s in self.city.streets if s.cls == RESIDENTIAL])
            side = rng.randint(0, 1)
            spot = self.city.spot_on(street, rng.uniform(0.1, 0.9) * street.length, side, offset_m=(14 if side else -14))
            heading = (spot.heading + (-90 if side else 90)) % 360.0  # facing the street
            access = "request" if k >= N_PRIVATE - _REQUEST_ONLY else "live"
            cams.append(
                dict(
                    name=f"{business} - {view}",
                    owner=business,
                    contact=f"Manager 256-555-01{rng.randint(50, 99)}",
                    ownership="private",
                    access=access,
                    heading=round(heading, 1),
                    fov_deg=float(rng.choice((90, 100, 110))),
                    range_m=float(rng.choice((30, 40, 50, 60))),
                    lat=round(spot.lat, 6),
                    lon=round(spot.lon, 6),
                    address=spot.address,
                    agency=spot.agency,
                )
            )
        for i, cam in enumerate(cams):
            cam["id"] = f"CAM-{i + 1:03d}"
        return cams

    def cameras(self, base_url: str) -> list[dict]:
        """The registry as served, with stream URLs on this simulator (None for request-only)."""
        out = []
        for cam in self._cameras:
            row = {"id": cam["id"], **{k: v for k, v in cam.items() if k != "id"}}
            if cam["access"] == "live":
                row["stream_url"] = f"{base_url}/video/{cam['id']}.mjpg"
                row["substream_url"] = f"{base_url}/video/{cam['id']}.mjpg?size=sub"
                row["snapshot_url"] = f"{base_url}/snapshot/{cam['id']}.jpg"
            else:
                row["stream_url"] = row["substream_url"] = row["snapshot_url"] = None
            out.append(row)
        return out

    def camera(self, cam_id: str) -> dict | None:
        return next((c for c in self._cameras if c["id"] == cam_id), None)

    # ------------------------------------------------------------------ ALPR
    def _make_readers(self, rng: random.Random) -> list[Reader]:
        readers = []
        busy = sorted((s for s in self.city.streets if s.cls in (PRIMARY, SECONDARY)), key=lambda s: s.name)
        primaries = [s for s in busy if s.cls == PRIMARY]
        plan = [(primaries[k % len(primaries)], f) for k, f in enumerate((0.08, 0.92, 0.5, 0.1, 0.9, 0.3))]
        for i, (street, f) in enumerate(plan):
            spot = self.city.spot_on(street, f * street.length)
            forward = rng.random() < 0.5
            heading = spot.heading if forward else (spot.heading + 180) % 360
            bound = _bound(heading)
            readers.append(
                Reader(
                    id=f"ALPR-{i + 1:02d}",
                    name=f"{street.name} {bound} ({spot.address})",
                    lat=round(spot.lat, 6),
                    lon=round(spot.lon, 6),
                    heading=round(heading, 1),
                    agency=spot.agency,
                )
            )
        return readers

    # ------------------------------------------------------------------ hot list
    def _make_hotlist(self, rng: random.Random, start_epoch: float) -> list[dict]:
        start = datetime.fromtimestamp(start_epoch, timezone.utc)
        rows = []
        for k, reason in enumerate(HOTLIST_REASONS):
            rows.append(
                dict(
                    plate=random_plate(rng),
                    state="GA" if k == 3 else "AL",
                    reason=reason,
                    expiry=(start + timedelta(days=rng.randint(20, 180))).strftime("%Y-%m-%d"),
                )
            )
        return rows


def _bound(heading: float) -> str:
    """Travel direction word for a heading: NB, EB, SB, WB."""
    return ("NB", "EB", "SB", "WB")[int(((heading + 45.0) % 360.0) // 90.0)]
