"""Synthetic camera pictures: a street scene with moving cars, name and clock burned in.

Each camera gets a background drawn once (sky, buildings, road) and per frame
only a few rectangles and two lines of text are added. A frame is a pure
function of (camera, simulated time), and each encoded JPEG is shared by every
viewer of that camera and size, so ten viewers cost one encode.
"""

from __future__ import annotations

import math
import random
import threading
from datetime import datetime

import cv2
import numpy as np

from rtcc_desktop.sim.events import LOCAL_TZ

FPS = 10.0
MAIN_SIZE = (640, 360)
SUB_SIZE = (320, 180)
JPEG_QUALITY = 75

_CAR_COLOURS = ((40, 40, 40), (230, 230, 230), (180, 180, 185), (40, 40, 190), (160, 90, 30), (30, 110, 40), (90, 150, 200))


class _Scene:
    """One camera's fixed background and its moving things."""

    def __init__(self, cam_id: str, name: str, seed: int) -> None:
        self.name = name
        self.cam_id = cam_id
        rng = random.Random(f"rtcc-sim:{seed}:scene:{cam_id}")
        w, h = MAIN_SIZE
        self.horizon = rng.randint(110, 150)
        self.day = self._background(rng, w, h, night=False)
        self.night = self._background(rng, w, h, night=True)
        road_top, road_bottom = self.horizon + 40, h - 10
        self.lanes = []
        n_lanes = rng.choice((2, 3, 4))
        for k in range(n_lanes):
            y = int(road_top + (road_bottom - road_top) * (k + 0.5) / n_lanes)
            scale = 0.55 + 0.45 * (y - road_top) / max(1, road_bottom - road_top)
            direction = 1 if k % 2 == 0 else -1
            self.lanes.append((y, scale, direction))
        self.cars = []
        for lane in range(n_lanes):  # one speed per lane and evenly spaced cars: no overlaps
            speed, n_cars, offset = rng.uniform(40, 140), rng.randint(1, 2), rng.uniform(0, 1000)
            for k in range(n_cars):
                phase = offset + k * (w + 150) / n_cars
                self.cars.append((lane, speed, phase, rng.choice(_CAR_COLOURS), rng.randint(70, 110)))
        self.walkers = [(rng.uniform(8, 20), rng.uniform(0, 1000), rng.choice(_CAR_COLOURS)) for _ in range(rng.randint(1, 3))]

    def _background(self, rng: random.Random, w: int, h: int, night: bool) -> np.ndarray:
        state = rng.getstate()
        img = np.zeros((h, w, 3), np.uint8)
        top = np.array((70, 40, 20) if night else (235, 200, 150), np.float32)
        bottom = np.array((90, 60, 40) if night else (250, 235, 210), np.float32)
        for y in range(self.horizon):
            f = y / max(1, self.horizon - 1)
            img[y, :] = (top * (1 - f) + bottom * f).astype(np.uint8)
        ground = (45, 50, 45) if night else (95, 110, 100)
        img[self.horizon :, :] = ground
        x = 0
        while x < w:  # buildings along the far side
            bw, bh = rng.randint(50, 120), rng.randint(40, self.horizon + 20)
            shade = rng.randint(90, 170)
            colour = tuple(int(c * (0.45 if night else 1.0)) for c in (shade, shade + rng.randint(-10, 10), shade + rng.randint(0, 25)))
            cv2.rectangle(img, (x, self.horizon + 40 - bh), (x + bw, self.horizon + 40), colour, -1)
            for wy in range(self.horizon + 40 - bh + 8, self.horizon + 30, 14):
                for wx in range(x + 6, x + bw - 8, 14):
                    lit = night and rng.random() < 0.35
                    win = (80, 200, 240) if lit else ((30, 30, 30) if night else (200, 190, 170))
                    cv2.rectangle(img, (wx, wy), (wx + 6, wy + 7), win, -1)
            x += bw + rng.randint(0, 12)
        road_top = self.horizon + 40
        cv2.rectangle(img, (0, road_top), (w, h), (60, 60, 60) if night else (85, 85, 85), -1)
        cv2.rectangle(img, (0, road_top - 6), (w, road_top), (150, 150, 150) if not night else (80, 80, 80), -1)
        for k in range(1, 4):  # lane markings
            y = road_top + (h - road_top) * k // 4
            for x0 in range(0, w, 60):
                cv2.rectangle(img, (x0, y - 1), (x0 + 30, y + 1), (200, 200, 200) if not night else (120, 120, 120), -1)
        cv2.rectangle(img, (0, 0), (w, 26), (0, 0, 0), -1)
        cv2.putText(img, self.name[:60], (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        rng.setstate(state)
        return img

    def render(self, t: float) -> np.ndarray:
        """The full-size frame at simulated epoch ``t``."""
        local = datetime.fromtimestamp(t, LOCAL_TZ)
        night = local.hour < 6 or local.hour >= 19
        img = (self.night if night else self.day).copy()
        w, h = MAIN_SIZE
        for speed, phase, colour in self.walkers:
            span = w + 40
            x = int((phase + speed * t) % span) - 20
            y = self.horizon + 28
            cv2.rectangle(img, (x, y - 22), (x + 7, y), colour, -1)
        for lane, speed, phase, colour, length in self.cars:
            y, scale, direction = self.lanes[lane]
            cw, ch = int(length * scale), int(34 * scale)
            span = w + 150
            pos = (phase + speed * t) % span
            x = int(pos - cw) if direction > 0 else int(w - pos)
            cv2.rectangle(img, (x, y - ch), (x + cw, y), colour, -1)
            cv2.rectangle(img, (x + cw // 5, y - ch - int(14 * scale)), (x + cw * 4 // 5, y - ch), colour, -1)
            lamp = (x + cw - 4, y - ch // 2) if direction > 0 else (x + 4, y - ch // 2)
            cv2.circle(img, lamp, max(2, int(4 * scale)), (200, 255, 255), -1)
        stamp = local.strftime("%Y-%m-%d %H:%M:%S %Z")
        cv2.rectangle(img, (0, h - 24), (260, h), (0, 0, 0), -1)
        cv2.putText(img, stamp, (8, h - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.putText(img, f"{self.cam_id}  LIVE", (w - 130, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (80, 80, 255), 1, cv2.LINE_AA)
        return img


class FrameSource:
    """Encoded frames for every camera, rendered lazily and shared among viewers."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._scenes: dict[str, _Scene] = {}
        # (camera, size) -> (frame number, jpeg bytes); one lock per key so cameras encode in parallel
        self._latest: dict[tuple[str, str], tuple[int, bytes]] = {}
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def _scene(self, cam_id: str, name: str) -> _Scene:
        with self._lock:
            scene = self._scenes.get(cam_id)
            if scene is None:
                scene = self._scenes[cam_id] = _Scene(cam_id, name, self.seed)
            return scene

    def jpeg(self, cam_id: str, name: str, t: float, size: str = "main") -> bytes:
        """The JPEG for frame ``floor(t * FPS)``; encoded once, then served from memory."""
        frame_no = math.floor(t * FPS)
        key = (cam_id, size)
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._latest.get(key)
            if cached is not None and cached[0] == frame_no:
                return cached[1]
            img = self._scene(cam_id, name).render(frame_no / FPS)
            if size == "sub":
                img = cv2.resize(img, SUB_SIZE, interpolation=cv2.INTER_AREA)
            ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:  # pragma: no cover - OpenCV always encodes a uint8 BGR image
                raise RuntimeError("JPEG encoding failed")
            data = buf.tobytes()
            self._latest[key] = (frame_no, data)
            return data
