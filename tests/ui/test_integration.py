"""The demo as an analyst uses it: every panel docked and fed by the simulator, linked through one selection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from PySide6.QtCore import QCoreApplication, QEvent, Qt  # noqa: E402

from rtcc_desktop.analysis.visibility import cameras_seeing  # noqa: E402
from rtcc_desktop.model.geo import bearing_deg, destination, haversine_m  # noqa: E402
from rtcc_desktop.model.timeutil import to_iso, utc_now  # noqa: E402
from rtcc_desktop.model.validate import FeedContext, normalise  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402
from rtcc_desktop.ui.alerts_panel import AlertsPanel  # noqa: E402
from rtcc_desktop.ui.app import Session, open_session, temp_settings  # noqa: E402
from rtcc_desktop.ui.event_list import EventList  # noqa: E402
from rtcc_desktop.ui.map_controller import CAMERA_RADIUS_M  # noqa: E402
from rtcc_desktop.ui.search_panel import SearchPanel  # noqa: E402
from rtcc_desktop.ui.testing import js_eval, wait_until  # noqa: E402
from rtcc_desktop.ui.timeline import Timeline  # noqa: E402


@pytest.fixture
def demo(qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """The demo session (simulator, sync, alert engine, main window), shown; closed and deleted after."""
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    session = open_session(tmp_path / "demo.sqlite", demo=True, settings=temp_settings(tmp_path / "settings"),
                           tile_cache_dir=tmp_path / "tiles")
    try:
        session.window.resize(1600, 1000)
        session.window.show()
        assert wait_until(lambda: session.window.map_view.is_ready, 30), "the map page never became ready"
        yield session
    finally:
        window = session.window
        session.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


def _double_click_row(qtbot: Any, table: Any, row: int) -> None:
    """As a real double-click: press/release, then the double-click event (item views need both)."""
    index = table.model().index(row, 0)
    table.scrollTo(index)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _seen_by(store: Any, lat: float, lon: float) -> list[int]:
    """Ids of the cameras that see the point, best first: what the grid must show."""
    cams = store.near(lat, lon, CAMERA_RADIUS_M, kinds=["camera"], limit=500)
    return [int(s.camera["id"]) for s in cameras_seeing(lat, lon, cams, max_range_m=CAMERA_RADIUS_M) if s.in_view]


def test_demo_panels_are_live_linked_and_a_double_click_shows_the_cameras(qtbot: Any, demo: Session, tmp_path: Path) -> None:
    w = demo.window
    # The four panels are docked as the real widgets, not placeholders.
    for name, cls in {"timeline": Timeline, "events": EventList, "alerts": AlertsPanel, "search": SearchPanel}.items():
        panel = w.panel(name)
        assert isinstance(panel, cls), name
        assert w.dock(name).isAncestorOf(panel) and panel.isVisibleTo(w.dock(name))
        assert w.dock(name).objectName() == f"dock-{name}"

    # A plate on the simulator's hot list raises an alert that shows in the queue, and the dock says how many are new.
    assert wait_until(lambda: any(str(a["rule"]).startswith("hotlist:") for a in w.alerts.model.rows), 40), \
        f"no hot-list alert; engine error: {demo.alerts.last_error if demo.alerts else 'no engine'}"
    alert = next(a for a in w.alerts.model.rows if str(a["rule"]).startswith("hotlist:"))
    assert alert["record"].startswith("alpr:") and alert["summary"]
    assert wait_until(lambda: w.dock("alerts").windowTitle().startswith("Alerts ("), 10)

    # An incident in front of a live camera of the demo city, also watched from farther away by a second
    # camera (the simulator's random incidents are rarely in a camera's view).
    assert wait_until(lambda: w.counts.get("camera", 0) > 0 and w.events.model.rowCount() > 20, 30)
    store = open_store(demo.db_path)
    try:
        cams = store.changes_since("camera", 0, 5000)
        a = next(c for c in cams if c.get("access") == "live" and c.get("heading") is not None and (c.get("range_m") or 0) >= 80)
        lat, lon = destination(a["lat"], a["lon"], a["heading"], a["range_m"] * 0.4)
        blat, blon = destination(lat, lon, (a["heading"] + 90) % 360, a["range_m"] * 0.8)  # off to the side, farther
        b = normalise({"source_id": "TEST-B", "name": "Test camera B", "lat": blat, "lon": blon,
                       "heading": bearing_deg(blat, blon, lat, lon), "fov_deg": 60, "range_m": 250, "access": "live",
                       "stream_url": a.get("stream_url"), "snapshot_url": a.get("snapshot_url")}, FeedContext("test-cams", "camera"))
        cam_top = store.upsert("camera", [b]).max_rowid
        inc = normalise({"source_id": "TEST-1", "time": to_iso(utc_now()), "lat": lat, "lon": lon, "type": "BURGLARY IN PROGRESS",
                         "priority": "1", "address": "TEST ADDRESS"}, FeedContext("test-cad", "cad"))
        cad_top = store.upsert("cad", [inc]).max_rowid
        w.bus.notify_store_change("camera", cam_top)
        w.bus.notify_store_change("cad", cad_top)
        expected = _seen_by(store, lat, lon)
        rec = next(r for r in store.changes_since("cad", cad_top - 1, 10) if r["source_id"] == "TEST-1")
    finally:
        store.close()
    assert len(expected) >= 2 and expected[0] == a["id"], expected
    ref = f"cad:{rec['id']}"
    assert wait_until(lambda: w.events.model.row_of(ref) is not None, 15), "the new incident never reached the event list"
    row = w.events.model.row_of(ref)

    _double_click_row(qtbot, w.events.table, row)
    assert w.bus.selection == ref

    # The grid fills with the cameras that see it, ranked by visibility (best first, at most 8).
    def grid_ids() -> list[int]:
        return [int(c["id"]) for c in w.video_grid.cameras() if c is not None]

    assert wait_until(lambda: grid_ids() == expected[:8], 15), f"grid {grid_ids()} != expected {expected[:8]}"
    assert w.dock("video").isVisible()

    # The map is centred on the record (read from the page itself), zoomed in to street level.
    def centre_error_m() -> float:
        c = js_eval(w.map_view, "JSON.stringify([RTCC.map.getCenter(), RTCC.map.getZoom()])")
        if c[1] < 16:
            return 1e9
        return haversine_m(c[0]["lat"], c[0]["lng"], rec["lat"], rec["lon"])

    assert wait_until(lambda: centre_error_m() < 150, 15), f"map centre is {centre_error_m():.0f} m from the record"
    assert wait_until(lambda: js_eval(w.map_view, "JSON.stringify(RTCC.stats().selected)") == 1, 10)  # its selection ring

    # A single click on another event selects it everywhere: bus, timeline ring, map ring.
    w.act_clear.trigger()  # Esc: nothing selected, no ring anywhere
    assert wait_until(lambda: w.timeline.highlight.data.size == 0, 10)
    assert wait_until(lambda: js_eval(w.map_view, "JSON.stringify(RTCC.stats().selected)") == 0, 10)
    other = next(i for i, r in enumerate(w.events.model.rows[:200]) if i != w.events.model.row_of(ref)
                 and r.get("lat") is not None)
    other_ref = w.events.model.ref_at(other)
    index = w.events.model.index(other, 1)
    w.events.table.scrollTo(index)
    qtbot.mouseClick(w.events.table.viewport(), Qt.MouseButton.LeftButton, pos=w.events.table.visualRect(index).center())
    assert w.bus.selection == other_ref
    assert wait_until(lambda: w.timeline.highlight.data.size == 1, 10)  # ringed on its lane
    assert wait_until(lambda: js_eval(w.map_view, "JSON.stringify(RTCC.stats().selected)") == 1, 10)

    # Clicking the alert selects its plate read everywhere, and the event list follows.
    a_row = w.alerts.model.row_of(alert["id"])
    qtbot.mouseClick(w.alerts.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=w.alerts.table.visualRect(w.alerts.model.index(a_row, 3)).center())
    assert w.bus.selection == alert["record"]
    if w.events.model.row_of(alert["record"]) is not None:
        assert w.events.table.currentIndex().row() == w.events.model.row_of(alert["record"])


MAP_ONLY_WALL = """
[wall]
title = "Integration wall"

[[wall.screens]]
screen = 1
show = "map"
strip = "bottom"
"""


@pytest.fixture
def user_settings(tmp_path: Path) -> Path:
    """run_gui uses the user's settings: point them at a temp folder, never the real profile."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "user-settings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    return folder


def _visible_top_levels() -> list[Any]:
    from PySide6.QtWidgets import QApplication

    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def test_run_gui_in_wall_mode_shows_the_wall_from_the_given_layout_and_not_the_window(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_settings: Path) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from rtcc_desktop.ui import app as app_mod
    from rtcc_desktop.ui.main_window import MainWindow
    from rtcc_desktop.ui.wall_screen import WallScreen

    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(app_mod, "use_centre_time_zone", lambda tz: False)  # keep this test process's zone
    layout = tmp_path / "wall.toml"
    layout.write_text(MAP_ONLY_WALL, encoding="utf-8")
    seen: dict[str, Any] = {}

    def look() -> None:
        tops = _visible_top_levels()
        walls = [w for w in tops if isinstance(w, WallScreen)]
        seen["main"] = any(isinstance(w, MainWindow) for w in tops)
        seen["walls"] = len(walls)
        QApplication.instance().exit(0)  # quit() would ask the windows, and the kiosk wall refuses to close

    QTimer.singleShot(2500, look)
    code = app_mod.run_gui(tmp_path / "demo.sqlite", demo=True, wall=True, wall_layout=layout)
    assert code == 0
    assert seen["walls"] == 1 and not seen["main"]  # one map screen, as the layout says; the analyst window hidden
    assert not any(isinstance(w, (WallScreen, MainWindow)) for w in _visible_top_levels())  # all closed after
    assert list(user_settings.rglob("*.ini"))  # the window's layout was saved where this test said


def test_run_gui_in_wall_mode_with_a_broken_layout_says_why_and_exits_2(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user_settings: Path) -> None:
    from rtcc_desktop.ui import app as app_mod

    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(app_mod, "use_centre_time_zone", lambda tz: False)
    shown: list[str] = []
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.critical", lambda _parent, _title, text: shown.append(text))
    bad = tmp_path / "broken-wall.toml"
    bad.write_text("[wall]\n[[wall.screens]]\nshow = 'toaster'\n", encoding="utf-8")
    code = app_mod.run_gui(tmp_path / "demo.sqlite", demo=True, wall=True, wall_layout=bad)
    assert code == 2
    assert shown and "broken-wall.toml" in shown[0]
