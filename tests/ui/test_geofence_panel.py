"""The geofence panel: draw on the real map, name it, save it (audited), and the alert engine uses it at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from test_map_geofence import HOSTILE, LAT, LON, SQUARE, ZOOM, draw_state, key, mouse, zoom_to  # noqa: E402

from rtcc_desktop.analysis import alerts as A  # noqa: E402
from rtcc_desktop.analysis import geofence as G  # noqa: E402
from rtcc_desktop.model.timeutil import to_iso, utc_now  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402
from rtcc_desktop.tiles import TileCache, TileSource  # noqa: E402
from rtcc_desktop.ui.geofence_panel import FenceDialog, GeofencePanel  # noqa: E402
from rtcc_desktop.ui.map_view import MapView  # noqa: E402
from rtcc_desktop.ui.store_worker import StoreWorker  # noqa: E402
from rtcc_desktop.ui.testing import dispose, js_eval, spin, wait_until  # noqa: E402

OUTSIDE = (LAT + 0.004, LON)
_n = iter(range(10**6))


def shot(where) -> dict:
    return {"source": "gs", "source_id": f"g{next(_n)}", "time": to_iso(utc_now() - timedelta(seconds=5)),
            "lat": where[0], "lon": where[1], "type": "Multiple Gunshots"}


def call(priority: str, where) -> dict:
    return {"source": "cad", "source_id": f"c{next(_n)}", "time": to_iso(utc_now()), "lat": where[0], "lon": where[1],
            "type": "SHOTS FIRED", "priority": priority}


@pytest.fixture
def env(qtbot, tmp_path):
    """A real SQLite cache, a store worker, a real map, and the panel on them; the alert engine on its own store."""
    path = tmp_path / "cache.sqlite"
    engine_store = open_store(path)
    engine = A.AlertEngine(engine_store)
    assert engine.process() == []  # running, with no fence yet
    cache = TileCache(tmp_path / "tiles.mbtiles")
    view = MapView(TileSource("http://127.0.0.1:9/{z}/{x}/{y}.png", cache, offline_backoff_s=3600))
    view.resize(900, 700)
    view.show()
    assert wait_until(lambda: view.is_ready, 30), view.js_errors
    zoom_to(view, LAT, LON, ZOOM)
    worker = StoreWorker(path, name="rtcc-store-geofence-test")
    panel = GeofencePanel(worker, actor="analyst7", map_view=view)
    panel.resize(800, 300)
    panel.show()
    yield path, view, panel, engine
    panel.shutdown()
    worker.stop()
    view.shutdown()
    dispose(view)
    dispose(panel)
    engine.stop()
    engine_store.close()
    cache.close()


def stored(path) -> list[G.Geofence]:
    with open_store(path) as s:
        return G.list_geofences(s)


def audit(path) -> list[dict]:
    with open_store(path) as s:
        return [a for a in s.audit_list(100) if a["action"].startswith("geofence")]


def draw_square(view) -> None:
    for lat, lon in SQUARE:
        mouse(view, lat, lon)
    mouse(view, *SQUARE[0])  # the first corner again: finished


def dialog(panel) -> FenceDialog:
    assert wait_until(lambda: panel.dialog is not None and panel.dialog.isVisible(), 10), panel.status.text()
    return panel.dialog


def save(dlg: FenceDialog) -> None:
    dlg.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def test_drawn_polygon_is_named_saved_audited_shown_and_alerts_at_once(qtbot, env):
    path, view, panel, engine = env
    qtbot.mouseClick(panel.draw_polygon_btn, Qt.MouseButton.LeftButton)
    assert wait_until(lambda: draw_state(view)["shape"] == "polygon", 10)
    assert "Click the corners" in panel.status.text() and panel.cancel_btn.isEnabled()
    panel.cancel_btn.click()
    assert wait_until(lambda: draw_state(view)["shape"] is None and not panel.cancel_btn.isEnabled(), 10)
    # Started from the map's right-click menu instead, the panel knows too.
    js_eval(view, "RTCC.startDraw('polygon'); true")
    assert wait_until(lambda: view.drawing == "polygon" and panel.cancel_btn.isEnabled(), 10)
    draw_square(view)
    dlg = dialog(panel)
    assert dlg.name.text() == "Fence 1" and dlg.gunshots.isChecked() and dlg.cad.isChecked() and dlg.priority.value() == 2
    dlg.name.setText("Downtown")
    dlg.priority.setValue(1)
    save(dlg)
    assert wait_until(lambda: panel.model.rowCount() == 1, 10), panel.status.text()
    assert "Downtown" in panel.status.text() and "saved" in panel.status.text()
    row = [panel.model.index(0, c).data() for c in range(panel.model.columnCount())]
    assert row[:5] == ["Downtown", "Polygon, 4 points", "gunshots, incidents P1", "yes", "analyst7"] and row[5]
    # In the store, made by the analyst, and in the audit log.
    (fence,) = stored(path)
    assert (fence.name, fence.shape, fence.kinds, fence.max_priority, fence.created_by) == ("Downtown", "polygon", ("gunshot", "cad"), 1, "analyst7")
    assert fence.contains(LAT, LON) and not fence.contains(*OUTSIDE)
    (entry,) = audit(path)
    assert (entry["actor"], entry["action"], entry["params"]["name"], len(entry["params"]["points"])) == ("analyst7", "geofence create", "Downtown", 4)
    # On the map's Geofences layer, with its label; the dashed drawing is gone.
    assert wait_until(lambda: [f["label"] for f in js_eval(view, "JSON.stringify(RTCC.fences())")] == ["Downtown"], 10)
    assert draw_state(view)["pending"] is False
    # The running engine picks the new fence up for the next records: inside alerts, outside does not.
    with open_store(path) as s:
        s.upsert("gunshot", [shot((LAT, LON)), shot(OUTSIDE)])
        s.upsert("cad", [call("1", (LAT, LON)), call("3", (LAT, LON)), call("1", OUTSIDE)])
    new = engine.process()
    assert sorted((a["rule"], a["kind"]) for a in new) == [("geofence:Downtown", "cad"), ("geofence:Downtown", "gunshot")]
    assert all(a["lat"] == pytest.approx(LAT) for a in new)
    assert view.js_errors == []


def test_circle_rename_disable_and_delete_from_the_map(qtbot, env):
    path, view, panel, engine = env
    panel.draw("circle")
    assert wait_until(lambda: draw_state(view)["shape"] == "circle", 10)
    mouse(view, LAT, LON)
    mouse(view, LAT + 0.0018, LON)  # ~200 m
    dlg = dialog(panel)
    dlg.cad.setChecked(False)  # gunshots only
    save(dlg)
    assert wait_until(lambda: panel.model.rowCount() == 1, 10), panel.status.text()
    (fence,) = stored(path)
    assert fence.name == "Fence 1" and fence.shape == "circle" and 190 < fence.radius_m < 210 and fence.kinds == ("gunshot",)
    assert panel.model.index(0, 1).data() == f"Circle, radius {fence.radius_m:.0f} m"
    # Rename (the name the analyst types), then disable: the engine stops alerting on it.
    panel.select("Fence 1")
    panel.ask_text = lambda *_a: "  Park  "
    panel.rename_selected()
    assert wait_until(lambda: [f.name for f in panel.model.fences()] == ["Park"], 10)
    assert panel.selected() is not None and panel.selected().name == "Park"  # still selected after the reload
    assert panel.toggle_btn.text() == "Disable"
    panel.toggle_selected()
    assert wait_until(lambda: panel.model.rowCount() == 1 and not panel.model.fences()[0].active, 10)
    assert panel.toggle_btn.text() == "Enable" and panel.model.index(0, 3).data() == "no"
    assert wait_until(lambda: [f["active"] for f in js_eval(view, "JSON.stringify(RTCC.fences())")] == [False], 10)
    with open_store(path) as s:
        s.upsert("gunshot", [shot((LAT, LON))])
    assert engine.process() == []
    # Delete from the fence's popup on the map: asks first; "no" keeps it.
    asked = []
    panel.confirm = lambda _parent, _title, text: asked.append(text) or False
    js_eval(view, "RTCC.openFence('Park') !== null")
    js_eval(view, "document.querySelector('.rtcc-fence-popup .rtcc-btn-danger').click(); true")
    assert wait_until(lambda: asked, 10) and "Park" in asked[0]
    spin(200)
    assert [f.name for f in stored(path)] == ["Park"]
    panel.confirm = lambda *_a: True
    panel.select("Park")
    panel.delete_selected()
    assert wait_until(lambda: panel.model.rowCount() == 0, 10)
    assert stored(path) == [] and wait_until(lambda: view.counts.get("geofence") == 0, 10)
    actions = [(a["action"], a["params"].get("name")) for a in reversed(audit(path))]
    assert actions == [("geofence create", "Fence 1"), ("geofence rename", "Fence 1"), ("geofence disable", "Park"),
                       ("geofence delete", "Park")]


def test_bad_shapes_and_esc_save_nothing_and_say_why(qtbot, env):
    path, view, panel, _engine = env
    for payload, why in (('{"shape": "polygon", "points": [[33.61, -85.83], [33.62, -85.83]]}', "at least 3 distinct points"),
                         ('{"shape": "circle", "center": [NaN, -85.83], "radius_m": 100}', "not a finite number"),
                         ('{"shape": "circle", "center": [33.61, -85.83], "radius_m": 1e9}', "between 5 m and 50 km")):
        js_eval(view, f"RTCC._call('geofenceDrawn', {payload!r}); true")
        assert wait_until(lambda why=why: why in panel.status.text(), 10), panel.status.text()
        assert "Nothing was saved" in panel.status.text()
    spin(200)
    assert panel.dialog is None and stored(path) == [] and audit(path) == []
    # Esc while drawing: nothing saved, the panel says so.
    panel.draw("polygon")
    assert wait_until(lambda: draw_state(view)["shape"] == "polygon", 10)
    mouse(view, *SQUARE[0])
    mouse(view, *SQUARE[1])
    key(view, "Escape")
    assert wait_until(lambda: "cancelled" in panel.status.text(), 10)
    assert not panel.cancel_btn.isEnabled() and panel.dialog is None
    # Cancelling the name dialog drops the drawn shape too.
    panel.draw("polygon")
    assert wait_until(lambda: draw_state(view)["shape"] == "polygon", 10)
    draw_square(view)
    dialog(panel).reject()
    assert wait_until(lambda: "not saved" in panel.status.text(), 10)
    assert wait_until(lambda: draw_state(view)["pending"] is False, 10)
    assert stored(path) == []


def test_hostile_name_is_text_and_a_taken_name_asks_again(qtbot, env):
    path, view, panel, _engine = env
    panel.draw("polygon")
    assert wait_until(lambda: draw_state(view)["shape"] == "polygon", 10)
    draw_square(view)
    dlg = dialog(panel)
    dlg.name.setText(HOSTILE)
    save(dlg)
    assert wait_until(lambda: panel.model.rowCount() == 1, 10), panel.status.text()
    assert panel.model.index(0, 0).data() == HOSTILE
    assert wait_until(lambda: [f["label"] for f in js_eval(view, "JSON.stringify(RTCC.fences())")] == [HOSTILE], 10)
    assert js_eval(view, "document.querySelectorAll('.leaflet-container img[src=\"x\"], .leaflet-container b').length") == 0
    assert js_eval(view, "typeof window.__pwned") == "undefined"
    # The same name again: the dialog comes back saying why, with the shape kept.
    panel.draw("circle")
    assert wait_until(lambda: draw_state(view)["shape"] == "circle", 10)
    mouse(view, *OUTSIDE)
    mouse(view, OUTSIDE[0] + 0.001, OUTSIDE[1])
    dlg = dialog(panel)
    assert dlg.name.text() == "Fence 2"
    dlg.name.setText(HOSTILE)
    save(dlg)
    assert wait_until(lambda: panel.dialog is not None and panel.dialog is not dlg and panel.dialog.isVisible(), 10)
    again = panel.dialog
    assert "already a geofence" in again.error.text() and again.shape["shape"] == "circle"
    again.name.setText("North")
    save(again)
    assert wait_until(lambda: sorted(f.name for f in panel.model.fences()) == sorted([HOSTILE, "North"]), 10)
    assert sorted(f.name for f in stored(path)) == sorted([HOSTILE, "North"])


def test_main_window_has_a_geofences_dock_beside_the_alerts(tmp_path, monkeypatch, open_window):
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    path = tmp_path / "cache.sqlite"
    open_store(path).close()
    w = open_window(path)
    dock = w.dock("geofences")
    assert dock.windowTitle() == "Geofences" and isinstance(w.panel("geofences"), GeofencePanel)
    assert dock in w.tabifiedDockWidgets(w.dock("alerts"))
    assert w.geofences.map_view is w.map_view
    # Esc (the window's "Clear selection") also stops drawing on the map.
    w.geofences.draw("circle")
    assert wait_until(lambda: draw_state(w.map_view)["shape"] == "circle", 10)
    w.act_clear.trigger()
    assert wait_until(lambda: draw_state(w.map_view)["shape"] is None, 10)
    assert wait_until(lambda: "cancelled" in w.geofences.status.text(), 10)
