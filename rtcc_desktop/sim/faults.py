"""Fault injection: make the simulator misbehave the way real feeds do.

Tests arm a fault, then watch how the client copes. Each ``*_next(n)`` fault
hits the next ``n`` matching requests and then disarms itself. ``path`` is a
prefix of the request path (``"/resource/cad.json"``, ``"/video/"``); left
out, a fault hits only the data feeds (:data:`FEED_PATHS`), never tiles,
video or ``/health``. Every request is logged with the status it got.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import NamedTuple

#: Paths a fault with no ``path`` applies to.
FEED_PATHS = ("/resource/", "/gunshots.geojson", "/alpr.json", "/cameras.geojson", "/hotlist.csv")
CAD_PATH = "/resource/cad.json"

#: Status logged for a connection the server dropped without answering.
DROPPED = 0


class LoggedRequest(NamedTuple):
    """One request as the simulator saw it; ``fault`` names the fault applied, if any."""

    path: str
    status: int
    query: str = ""
    fault: str | None = None


@dataclass
class _Armed:
    kind: str
    remaining: int
    path: str | None
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0
    full_length: bool = False
    frames: int = 5


@dataclass
class Planned:
    """What the server must do to one request (a snapshot taken when it arrives)."""

    drop: bool = False
    delay_s: float = 0.0
    fail_status: int | None = None
    retry_after: float | None = None
    truncate: bool = False
    truncate_full_length: bool = False
    truncate_frames: int = 5
    duplicate: bool = False
    names: list[str] = field(default_factory=list)


class Faults:
    """Thread-safe fault switches and the request log, as ``sim.faults``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: list[_Armed] = []
        self._renames: dict[str, dict[str, str]] = {}
        self._schema_changed_at = 0.0
        self._log: list[LoggedRequest] = []

    # ------------------------------------------------------------------ arming
    def _arm(self, fault: _Armed) -> None:
        if fault.remaining < 1:
            raise ValueError(f"n must be at least 1, got {fault.remaining}")
        with self._lock:
            self._armed.append(fault)

    def fail_next(self, n: int = 1, status: int = 500, retry_after: float | None = None, path: str | None = None) -> None:
        """Answer the next ``n`` requests with ``status`` (e.g. 500, 503, 429) and an error body.

        ``retry_after`` (seconds) is sent as a ``Retry-After`` header.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error (400-599), got {status}")
        self._arm(_Armed("fail", n, path, status=status, retry_after=retry_after))

    def delay_next(self, n: int = 1, seconds: float = 5.0, path: str | None = None) -> None:
        """Hold the next ``n`` requests for ``seconds`` before answering (client timeouts).

        The wait ends early when the simulator stops.
        """
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._arm(_Armed("delay", n, path, seconds=seconds))

    def truncate_next(self, n: int = 1, path: str | None = None, *, full_length: bool = False, frames: int = 5) -> None:
        """Cut the next ``n`` bodies in half.

        By default ``Content-Length`` matches the cut body, so the client gets a
        200 whose JSON does not parse; ``full_length=True`` announces the whole
        length and closes early (a broken connection). On ``/video/`` the MJPEG
        stream stops in the middle of frame ``frames``.
        """
        self._arm(_Armed("truncate", n, path, full_length=full_length, frames=frames))

    def drop_connection_next(self, n: int = 1, path: str | None = None) -> None:
        """Close the next ``n`` connections without any response."""
        self._arm(_Armed("drop", n, path))

    def duplicate_rows(self, n: int = 1, path: str | None = None) -> None:
        """Repeat rows in the next ``n`` feed responses (every 5th row twice, next to itself).

        A page may then hold more rows than ``$limit``/``limit``; page with the
        offset you asked for, not with the number of rows you got.
        """
        self._arm(_Armed("duplicate", n, path))

    def rename_field(self, old: str, new: str | None, path: str = CAD_PATH) -> None:
        """Schema change: serve field ``old`` as ``new`` from now on (``new=None`` undoes it).

        ``path`` is the exact feed path (default the CAD endpoint; also
        ``/gunshots.geojson``, ``/alpr.json``, ``/cameras.geojson`` - GeoJSON
        renames apply to properties). On SODA, queries must then use the new
        name, as on a real portal. Last-Modified moves on, so no 304 hides it.
        """
        with self._lock:
            renames = self._renames.setdefault(path, {})
            if new is None:
                renames.pop(old, None)
            else:
                renames[old] = new
            self._schema_changed_at = -1.0  # stamped with simulated time by the server

    def reset(self) -> None:
        """Disarm everything and undo renames (the request log is kept)."""
        with self._lock:
            self._armed.clear()
            if self._renames:
                self._schema_changed_at = -1.0
            self._renames.clear()

    # ------------------------------------------------------------------ reading
    def requests(self, path: str | None = None) -> list[LoggedRequest]:
        """The request log, oldest first; ``path`` keeps only paths starting with it."""
        with self._lock:
            return [r for r in self._log if path is None or r.path.startswith(path)]

    def statuses(self, path: str | None = None) -> list[int]:
        """Just the statuses of :meth:`requests`."""
        return [r.status for r in self.requests(path)]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def renames(self, path: str) -> dict[str, str]:
        with self._lock:
            return dict(self._renames.get(path, {}))

    def pending(self) -> int:
        """How many armed faults still wait for a request."""
        with self._lock:
            return sum(f.remaining for f in self._armed)

    # ------------------------------------------------------------------ used by the server
    def schema_changed_at(self, now: float) -> float:
        """When a rename last changed the schema (simulated epoch; 0 if never)."""
        with self._lock:
            if self._schema_changed_at < 0:
                self._schema_changed_at = float(int(now) + 1)
            return self._schema_changed_at

    def plan(self, path: str) -> Planned:
        """Take the faults that apply to this request (each armed fault is used once per request)."""
        plan = Planned()
        with self._lock:
            for f in list(self._armed):
                if not _matches(f.path, path):
                    continue
                f.remaining -= 1
                if f.remaining <= 0:
                    self._armed.remove(f)
                plan.names.append(f.kind)
                if f.kind == "drop":
                    plan.drop = True
                elif f.kind == "delay":
                    plan.delay_s += f.seconds
                elif f.kind == "fail" and plan.fail_status is None:
                    plan.fail_status, plan.retry_after = f.status, f.retry_after
                elif f.kind == "truncate":
                    plan.truncate, plan.truncate_full_length, plan.truncate_frames = True, f.full_length, f.frames
                elif f.kind == "duplicate":
                    plan.duplicate = True
        return plan

    def log(self, path: str, status: int, query: str = "", fault: str | None = None) -> None:
        with self._lock:
            self._log.append(LoggedRequest(path, status, query, fault))
            if len(self._log) > 20_000:
                del self._log[:10_000]


def _matches(prefix: str | None, path: str) -> bool:
    if prefix is None:
        return path.startswith(FEED_PATHS)
    return path.startswith(prefix)
