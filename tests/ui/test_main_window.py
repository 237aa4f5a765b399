"""The main window: panels by name, layout saved and restored, shortcuts, status bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()

from rtcc_desktop.config import parse_config  # noqa: E402
from rtcc_desktop.model.timeutil import to_iso, utc_now  # noqa: E402
from rtcc_desktop.model.validate import FeedContext, normalise  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402
from rtcc_desktop.ui.alerts_panel import AlertsPanel  # noqa: E402
from rtcc_desktop.ui.event_list import EventList  # noqa: E402
from rtcc_desktop.ui.search_panel import SearchPanel  # noqa: E402
from rtcc_desktop.ui.testing import js_eval, wait_until  # noqa: E402
from rtcc_desktop.ui.timeline import Timeline  # noqa: E402

LAT, LON = 33.6140, -85.8350
BUILT_IN = ("video", "alerts", "health", "search", "timeline", "events")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """User settings and data go to a temp folder, never the real profile."""
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    now = utc_now()
    store.upsert("cad", [normalise({"source_id": f"C{i}", "time": to_iso(now - timedelta(minutes=i)), "lat": LAT + i * 1e-4,
                                    "lon": LON, "type": "CALL", "priority": "2"}, FeedContext("t", "cad")) for i in range(1, 6)])
    store.upsert("camera", [normalise({"source_id": "K1", "lat": LAT, "lon": LON, "name": "Cam", "heading": 90}, FeedContext("t", "camera"))])
    store.close()
    return path


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings" / "window.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(open_window, db, settings):
    return lambda **kw: open_window(db, **{"settings": settings, **kw})


def test_window_opens_with_named_panels_and_closes(make_window):
    w = make_window()
    assert set(BUILT_IN) <= set(w.docks())
    for name in BUILT_IN:
        assert w.dock(name).objectName() == f"dock-{name}"
        assert w.dock(name).isVisible()
    real = {"timeline": Timeline, "events": EventList, "alerts": AlertsPanel, "search": SearchPanel}
    for name, cls in real.items():
        assert isinstance(w.panel(name), cls), name
    assert w.centralWidget() is w.map_view
    view_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    panel_titles = {a.text() for a in view_menu.actions()[0].menu().actions()}
    assert {"Video", "Alerts", "Feed health", "Search", "Timeline", "Events"} <= panel_titles
    assert wait_until(lambda: w.map_view.counts.get("cad") == 5, 20)
    assert wait_until(lambda: w.events.model.rowCount() == 5, 10)  # the five calls, in the event list too
    assert wait_until(lambda: w.timeline.lane_totals().get("cad") == 5, 10)
    w.close()
    assert not w.store_worker.alive and not w.map_worker.alive
    assert not w.timeline.worker.alive and not w.search.worker.alive


def test_other_issues_register_panels_and_replace_placeholders(make_window):
    w = make_window()
    custom = QLabel("notes")
    dock = w.register_dock("notes", "Notes", custom, Qt.DockWidgetArea.LeftDockWidgetArea)
    assert w.panel("notes") is custom and dock.objectName() == "dock-notes"
    with pytest.raises(ValueError):
        w.register_dock("search", "Again", QLabel())
    better = QLabel("better notes")
    old = w.set_panel("notes", better)
    assert old is custom and w.panel("notes") is better


def test_panels_toggle_and_layout_is_restored(make_window, settings):
    w = make_window()
    w.dock("timeline").toggleViewAction().trigger()
    w.dock("alerts").setFloating(True)
    assert not w.dock("timeline").isVisible()
    w.bus.set_preset("1h")
    w.map_view.set_heat(True)
    w.close()

    again = make_window()
    assert not again.dock("timeline").isVisible()
    assert again.dock("alerts").isFloating()
    assert again.dock("events").isVisible()
    assert again.bus.window.preset == "1h"
    assert again.act_heat.isChecked() and again.map_view.layers["heat"]
    again.act_reset.trigger()
    assert all(again.dock(n).isVisible() for n in BUILT_IN)
    assert not again.dock("alerts").isFloating()


def test_last_map_view_is_restored(make_window):
    w = make_window()
    w.map_view.set_view(33.62, -85.84, 15)
    assert wait_until(lambda: (w.map_view.last_view or {}).get("zoom") == 15, 10)
    w.close()
    again = make_window()
    centre = js_eval(again.map_view, "JSON.stringify([RTCC.map.getCenter(), RTCC.map.getZoom()])")
    assert centre[1] == 15 and abs(centre[0]["lat"] - 33.62) < 1e-3 and abs(centre[0]["lng"] + 85.84) < 1e-3


def test_shortcuts_drive_the_time_window_and_map(make_window):
    w = make_window()
    expected = {"Last 15 min": "Ctrl+1", "Last hour": "Ctrl+2", "Last 24 h": "Ctrl+3", "Follow now (live)": "Ctrl+L",
                "Heat map": "Ctrl+H", "Reset layout": "Ctrl+Shift+R", "Save map area for offline use…": "Ctrl+Shift+P",
                "Wall mode": "Ctrl+Shift+W"}
    shortcuts = {a.text(): a.shortcut().toString() for a in w.actions()}
    for text, key in expected.items():
        assert shortcuts.get(text) == key, text
    w._window_actions["15m"].trigger()
    assert w.bus.window.preset == "15m"
    assert "Last 15 min" in w.window_label.text()
    w.act_live.trigger()
    assert not w.bus.window.live
    w.act_heat.trigger()
    assert wait_until(lambda: js_eval(w.map_view, "JSON.stringify(RTCC.stats().heat_on)") is True, 10)
    w.bus.select("cad:1")
    w.act_clear.trigger()
    assert w.bus.selection == ""


def test_status_bar_counts_clock_and_feed_health(make_window, tmp_path):
    config = parse_config(
        '[centre]\ntimezone = "America/Chicago"\n\n[[feeds]]\nname = "city-cad"\nkind = "cad"\nformat = "soda"\n'
        'url = "http://127.0.0.1:9/resource/cad.json"\ninterval_s = 60\n', name="test")
    w = make_window(config=config)
    assert wait_until(lambda: "CAD 5" in w.counts_label.text(), 10)
    assert "Cameras 1" in w.counts_label.text()
    assert w.clock.text().endswith(("CST", "CDT"))  # the centre's zone, not the machine's
    assert wait_until(lambda: w.feed_badges.status_of("city-cad") is not None, 10)
    assert w.feed_badges.status_of("city-cad") in ("amber", "red")  # never synced: not green
    assert w.health_panel.table.rowCount() == 1
    assert w.health_panel.table.item(0, 0).text() == "city-cad"


def test_offline_tiles_show_in_the_status_bar(make_window):
    w = make_window()
    assert wait_until(lambda: w.offline_label.isVisible(), 20)
    assert "offline" in w.offline_label.text().lower()
    assert "net" in w.tiles_label.text() and "cache" in w.tiles_label.text()


def test_video_grid_is_embedded_and_follows_camera_requests(make_window):
    w = make_window(video=True)
    from rtcc_desktop.ui.video_grid import VideoGrid

    assert isinstance(w.panel("video"), VideoGrid)
    cams = [{"kind": "camera", "id": 1, "name": "Cam A", "lat": LAT, "lon": LON, "access": "request"},
            {"kind": "camera", "id": 2, "name": "Cam B", "lat": LAT, "lon": LON, "access": "request"}]
    w.bus.cameras_requested.emit(cams, "test")
    assert [c["name"] for c in w.video_grid.cameras() if c] == ["Cam A", "Cam B"]
    assert "2 camera(s)" in w.statusBar().currentMessage()


def test_wall_mode_hides_the_window_and_leaving_brings_it_back(make_window):
    w = make_window()
    view_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&View")
    assert w.act_wall in view_menu.actions()
    w.act_wall.trigger()
    wall = w.wall
    assert wall is not None and not wall.closed
    assert not w.isVisible()
    assert all(win.isVisible() for win in wall.windows)
    assert wait_until(lambda: wall.map_view is not None and wall.map_view.is_ready, 30)
    wall._unlocked()  # what the right supervisor PIN does
    assert wait_until(lambda: wall.closed, 10)
    assert w.isVisible() and w.wall is None


def test_a_bad_wall_layout_is_reported_and_the_window_stays(make_window, tmp_path, monkeypatch):
    bad = tmp_path / "wall.toml"
    bad.write_text("[wall]\ntitle = 3\n[[wall.screens]]\nshow = 'toaster'\n", encoding="utf-8")
    warned = []
    monkeypatch.setattr("rtcc_desktop.ui.main_window.QMessageBox.warning", lambda *a: warned.append(a[2]))
    w = make_window(wall_layout=bad)
    assert w.enter_wall_mode() is None
    assert w.isVisible() and w.wall is None
    assert warned and "wall.toml" in warned[0]


def test_search_around_here_on_the_map_fills_the_search_panel(make_window):
    w = make_window()
    w.map_view.search_around_requested.emit(LAT, LON)
    assert w.dock("search").isVisible()
    assert w.search.from_point.isChecked()
    assert abs(w.search.lat.value() - LAT) < 1e-6 and abs(w.search.lon.value() - LON) < 1e-6
    assert "33.61400" in w.search.from_point.text()


def test_a_map_closed_before_it_moved_saves_no_view_so_the_next_start_fits_the_data(make_window, settings):
    w = make_window()
    assert wait_until(lambda: w.map_view.last_view is not None, 10)
    w.close()
    assert settings.value("map/view") is None
    again = make_window()
    assert not again._had_saved_view  # so it zooms to the records as they arrive
    assert wait_until(lambda: abs((again.map_view.last_view or {}).get("lat", 0) - LAT) < 0.05, 20)


def test_tables_and_timeline_show_the_centres_zone_on_a_machine_in_another(make_window):
    """A console whose clock is UTC (or Windows, where the process zone stays) still shows the centre's time."""
    from zoneinfo import ZoneInfo

    from rtcc_desktop.model.timeutil import from_iso
    from rtcc_desktop.ui.event_list import COLUMNS as EVENT_COLUMNS

    config = parse_config('[centre]\ntimezone = "Asia/Tokyo"\n', name="test")
    w = make_window(config=config)
    model = w.events.model
    assert wait_until(lambda: model.rowCount() >= 5, 10)
    col = [key for _label, key in EVENT_COLUMNS].index("time")
    shown = model.data(model.index(0, col))
    assert shown == from_iso(model.rows[0]["time"]).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M:%S")
    assert w.timeline.axis.utcOffset == -9 * 3600  # pyqtgraph: seconds west of UTC
    w.set_time_zone("America/Chicago")
    chicago = from_iso(model.rows[0]["time"]).astimezone(ZoneInfo("America/Chicago"))
    assert model.data(model.index(0, col)) == chicago.strftime("%Y-%m-%d %H:%M:%S")
    assert w.timeline.axis.utcOffset == -chicago.utcoffset().total_seconds()
