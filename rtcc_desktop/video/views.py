"""Saved views (a layout and the cameras in its tiles) and tours (views on a timer).

Stored as one small JSON file at a path the app chooses, so an analyst's wall
set-ups survive restarts. Camera records are referred to by a stable key
(never by URL: URLs can hold credentials and change).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtcc_desktop.video.layouts import LAYOUTS

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MIN_DWELL_S = 1.0


class ViewsError(ValueError):
    """A view or tour that cannot be saved as given."""


def camera_key(camera: dict[str, Any]) -> str | None:
    """A stable key for a camera record: ``camera:<id>``, ``<source>:<source_id>`` or ``name:<name>``."""
    if camera.get("id") is not None:
        return f"camera:{camera['id']}"
    if camera.get("source") and camera.get("source_id"):
        return f"{camera['source']}:{camera['source_id']}"
    if camera.get("name"):
        return f"name:{camera['name']}"
    return None


@dataclass
class SavedView:
    name: str
    layout: str
    cameras: list[str | None] = field(default_factory=list)  # one key (or None) per tile

    def as_json(self) -> dict[str, Any]:
        return {"layout": self.layout, "cameras": list(self.cameras)}


@dataclass
class Tour:
    name: str
    views: list[str]
    dwell_s: float = 10.0

    def as_json(self) -> dict[str, Any]:
        return {"views": list(self.views), "dwell_s": self.dwell_s}


def _check_view(view: SavedView) -> SavedView:
    if not view.name.strip():
        raise ViewsError("a view needs a name")
    if view.layout not in LAYOUTS:
        raise ViewsError(f"unknown layout {view.layout!r}; expected one of {', '.join(LAYOUTS)}")
    size = LAYOUTS[view.layout].size
    cams = [c if isinstance(c, str) and c else None for c in view.cameras][:size]
    return SavedView(view.name.strip(), view.layout, cams)


def _check_tour(tour: Tour, views: dict[str, SavedView]) -> Tour:
    if not tour.name.strip():
        raise ViewsError("a tour needs a name")
    if not tour.views:
        raise ViewsError("a tour needs at least one view")
    missing = [v for v in tour.views if v not in views]
    if missing:
        raise ViewsError(f"tour {tour.name!r} names unknown views: {', '.join(missing)}")
    try:
        dwell = float(tour.dwell_s)
    except (TypeError, ValueError):
        raise ViewsError("dwell_s must be a number of seconds") from None
    if dwell < MIN_DWELL_S:
        raise ViewsError(f"dwell_s must be at least {MIN_DWELL_S:g} s")
    return Tour(tour.name.strip(), list(tour.views), dwell)


class ViewStore:
    """The views and tours in one JSON file; :meth:`save` writes it atomically."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.views: dict[str, SavedView] = {}
        self.tours: dict[str, Tour] = {}
        self.load_error: str | None = None

    def load(self) -> None:
        """Read the file; a missing file is empty, a broken one is logged and left as it is."""
        self.views, self.tours, self.load_error = {}, {}, None
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("top level is not an object")
            views: dict[str, SavedView] = {}
            for name, raw in dict(data.get("views") or {}).items():
                try:
                    views[name] = _check_view(SavedView(name, str(raw["layout"]), list(raw.get("cameras") or [])))
                except (ViewsError, KeyError, TypeError) as exc:
                    log.warning("saved view %r ignored: %s", name, exc)
            tours: dict[str, Tour] = {}
            for name, raw in dict(data.get("tours") or {}).items():
                try:
                    tours[name] = _check_tour(Tour(name, list(raw["views"]), raw.get("dwell_s", 10.0)), views)
                except (ViewsError, KeyError, TypeError) as exc:
                    log.warning("tour %r ignored: %s", name, exc)
        except (OSError, ValueError, TypeError) as exc:
            self.load_error = f"{self.path.name}: {exc}"
            log.warning("views file not loaded (%s); it is kept as .broken on the next save", self.load_error)
            return
        self.views, self.tours = views, tours

    def save(self) -> None:
        """Write every view and tour (no-op without a path)."""
        if self.path is None:
            return
        data = {
            "version": FORMAT_VERSION,
            "views": {name: v.as_json() for name, v in sorted(self.views.items())},
            "tours": {name: t.as_json() for name, t in sorted(self.tours.items())},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.load_error is not None and self.path.exists():
            # Keep the file we could not read (perhaps hand-edited) instead of overwriting it.
            broken = self.path.with_name(self.path.name + ".broken")
            os.replace(self.path, broken)
            log.warning("unreadable views file kept as %s", broken.name)
            self.load_error = None
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps(data, indent=2) + "\n", "utf-8")
        os.replace(tmp, self.path)

    def put_view(self, view: SavedView) -> SavedView:
        checked = _check_view(view)
        self.views[checked.name] = checked
        return checked

    def remove_view(self, name: str) -> None:
        """Drop a view and every tour that used it."""
        self.views.pop(name, None)
        for tour_name in [t.name for t in self.tours.values() if name in t.views]:
            tour = self.tours[tour_name]
            rest = [v for v in tour.views if v != name]
            if rest:
                self.tours[tour_name] = Tour(tour.name, rest, tour.dwell_s)
            else:
                del self.tours[tour_name]

    def put_tour(self, tour: Tour) -> Tour:
        checked = _check_tour(tour, self.views)
        self.tours[checked.name] = checked
        return checked

    def remove_tour(self, name: str) -> None:
        self.tours.pop(name, None)
