"""The selection and time-window bus: one place every view listens to.

A view that selects a record calls :meth:`Bus.select`; every other view hears
``selected`` and highlights it. One time window (last 15 min / 1 h / 24 h /
custom, optionally following now) filters every view. Store-change notices
from feed workers arrive here too and are re-emitted on the GUI thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Qt, Signal, Slot

from rtcc_desktop.model.records import KINDS
from rtcc_desktop.model.timeutil import UTC, to_iso, utc_now

_REF = re.compile(r"^(%s):(\d{1,18})$" % "|".join(KINDS))

#: Preset spans offered in the toolbar and menu.
PRESETS: dict[str, timedelta] = {
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
}
PRESET_LABELS = {"15m": "Last 15 min", "1h": "Last hour", "24h": "Last 24 h", "custom": "Custom"}


def parse_ref(ref: str) -> tuple[str, int] | None:
    """``"cad:12"`` → ``("cad", 12)``; None for anything else (page input is untrusted)."""
    if not isinstance(ref, str):
        return None
    m = _REF.match(ref.strip())
    return (m.group(1), int(m.group(2))) if m else None


@dataclass(frozen=True)
class TimeWindow:
    """What time range the views show.

    A preset (``15m``/``1h``/``24h``) is a span ending now; with ``live`` the
    end keeps following the clock, without it the window is frozen at
    ``anchor`` (the moment it was chosen). ``custom`` is a fixed start/end.
    """

    preset: str = "24h"
    live: bool = True
    start: datetime | None = None
    end: datetime | None = None
    anchor: datetime | None = None

    @property
    def span(self) -> timedelta:
        if self.preset == "custom" and self.start and self.end:
            return self.end - self.start
        return PRESETS.get(self.preset, PRESETS["24h"])

    def bounds(self, now: datetime | None = None) -> tuple[datetime, datetime | None]:
        """(since, until) as aware UTC datetimes; until is None while following now."""
        now = now or utc_now()
        if self.preset == "custom" and self.start and self.end:
            return self.start, self.end
        if self.live:
            return now - self.span, None
        end = self.anchor or now
        return end - self.span, end

    def iso_bounds(self, now: datetime | None = None) -> tuple[str, str | None]:
        since, until = self.bounds(now)
        return to_iso(since), to_iso(until) if until else None

    def contains(self, iso_time: str | None, now: datetime | None = None) -> bool:
        """True when a record's canonical UTC time falls in the window (text compare)."""
        if iso_time is None:
            return True  # cameras have no time and always show
        since, until = self.iso_bounds(now)
        return since <= iso_time and (until is None or iso_time <= until)

    @property
    def label(self) -> str:
        if self.preset == "custom" and self.start and self.end:
            return f"{self.start.astimezone(UTC):%Y-%m-%d %H:%M} – {self.end.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        text = PRESET_LABELS.get(self.preset, self.preset)
        return text + (" (live)" if self.live else " (frozen)")


class Bus(QObject):
    """Signals that link the views; every signal is delivered on the GUI thread.

    Lists and dicts travel as ``object``: passed as they are, with no QVariant
    conversion (a result list can hold thousands of records).
    """

    #: A record was selected somewhere: "kind:id" ("" means cleared).
    selected = Signal(str)
    #: The time window changed (a :class:`TimeWindow`).
    window_changed = Signal(object)
    #: The store has new rows: (kind, new max rowid).
    store_changed = Signal(str, int)
    #: Show these camera records in the video grid (records, why).
    cameras_requested = Signal(object, str)
    #: Results of a map search ("what was near", "search around here"): (title, records).
    results_ready = Signal(str, object)
    #: A short message for the status bar.
    message = Signal(str)

    _store_changed_any_thread = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selection = ""
        self._window = TimeWindow()
        self._store_changed_any_thread.connect(self._relay_store_changed, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ selection
    @property
    def selection(self) -> str:
        return self._selection

    def select(self, ref: str) -> bool:
        """Select ``"kind:id"`` in every view; False (and nothing emitted) when malformed."""
        parsed = parse_ref(ref)
        if parsed is None:
            return False
        self._selection = f"{parsed[0]}:{parsed[1]}"
        self.selected.emit(self._selection)
        return True

    def clear_selection(self) -> None:
        if self._selection:
            self._selection = ""
            self.selected.emit("")

    # ------------------------------------------------------------------ time window
    @property
    def window(self) -> TimeWindow:
        return self._window

    def set_window(self, window: TimeWindow) -> None:
        if window != self._window:
            self._window = window
            self.window_changed.emit(window)

    def set_preset(self, preset: str) -> None:
        """Switch to ``15m``, ``1h`` or ``24h``, keeping the live/frozen choice."""
        if preset not in PRESETS:
            raise ValueError(f"unknown time window {preset!r}; use one of {', '.join(PRESETS)}")
        live = self._window.live
        self.set_window(TimeWindow(preset=preset, live=live, anchor=None if live else utc_now()))

    def set_custom(self, start: datetime, end: datetime) -> None:
        """A fixed window; times must be aware and start before end."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("custom window times must be timezone-aware")
        if end <= start:
            raise ValueError("the window's end must be after its start")
        self.set_window(TimeWindow(preset="custom", live=False, start=start, end=end))

    def set_live(self, live: bool) -> None:
        """Follow now (the window's end moves with the clock) or freeze it where it is."""
        w = self._window
        if w.preset == "custom":
            if live:  # leaving a custom window for live: keep its span as 24h preset
                self.set_window(TimeWindow(preset="24h", live=True))
            return
        if live != w.live:
            self.set_window(replace(w, live=live, anchor=None if live else utc_now()))

    # ------------------------------------------------------------------ store changes
    def notify_store_change(self, kind: str, max_rowid: int) -> None:
        """Safe to call from any thread (e.g. a sync worker's ``on_change``)."""
        self._store_changed_any_thread.emit(str(kind), int(max_rowid))

    @Slot(str, int)
    def _relay_store_changed(self, kind: str, max_rowid: int) -> None:
        self.store_changed.emit(kind, max_rowid)
