"""The alert queue: engine alerts arrive on the GUI thread, are announced, and are worked."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from rtcc_desktop.analysis import alerts as A
from rtcc_desktop.analysis import geofence as G
from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.model.timeutil import iso_now
from rtcc_desktop.store import open_store
from rtcc_desktop.ui.alerts_panel import AlertsPanel

SQUARE = ((47.60, -122.34), (47.60, -122.33), (47.61, -122.33), (47.61, -122.34))
_n = iter(range(10**6))


def _read(plate):
    return {"source": "lpr", "source_id": f"r{next(_n)}", "time": iso_now(), "plate": plate, "state": "WA",
            "lat": 47.605, "lon": -122.335, "camera": "CAM-3"}


@pytest.fixture
def env(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    H.import_hotlist_text(store, "plate,reason\nSTOLEN1,STOLEN VEHICLE\nAMBER22,AMBER ALERT\n", "ncic", confusion=True)
    G.save_geofence(store, G.Geofence("downtown", points=SQUARE))
    engine = A.AlertEngine(store)
    yield path, store, engine
    engine.stop()
    store.close()


@pytest.fixture
def panel(qtbot, env):
    p = AlertsPanel(db_path=env[0], actor="sup1")
    qtbot.addWidget(p)
    p.resize(900, 400)
    p.show()
    p.attach_engine(env[2])
    qtbot.waitUntil(lambda: p.count_label.text() != "", timeout=10_000)  # the first load is in
    yield p
    p.shutdown()


def test_engine_alerts_arrive_newest_on_top_and_are_announced(qtbot, panel, env):
    _path, store, engine = env
    announced = []
    panel.notified.connect(announced.append)
    inserted_on = []
    panel.model.rowsInserted.connect(lambda *_: inserted_on.append(threading.current_thread()))
    engine.start(sweep_s=3600)
    store.upsert("alpr", [_read("STOLEN1")])
    engine.notify("alpr", 0)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    store.upsert("gunshot", [{"source": "gs", "source_id": f"g{next(_n)}", "time": iso_now(), "lat": 47.605, "lon": -122.335}])
    engine.notify("gunshot", 0)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    assert [a["rule"] for a in panel.model.rows] == ["geofence:downtown", "hotlist:ncic"]
    assert len(announced) == 2 and "STOLEN VEHICLE" in announced[0]
    qtbot.waitUntil(lambda: panel.count_label.text().startswith("2 new"), timeout=10_000)
    # the engine's thread only emitted a signal: rows were added on the GUI thread
    assert inserted_on == [threading.main_thread()] * 2


def test_mute_silences_but_still_lists(qtbot, panel, env):
    _path, store, engine = env
    announced = []
    panel.notified.connect(announced.append)
    panel.mute.setChecked(True)
    store.upsert("alpr", [_read("AMBER2Z")])  # a look-alike of AMBER22 on a confusion list
    with qtbot.waitSignal(panel.notified, timeout=10_000):
        engine.process()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    assert panel.model.rows[0]["detail"]["substituted"] is True
    assert len(announced) == 1  # the signal still fires for the status bar; no beep or tray


def test_acknowledge_assign_and_note_from_the_panel(qtbot, panel, env):
    _path, store, engine = env
    store.upsert("alpr", [_read("STOLEN1")])
    engine.process()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    aid = panel.model.rows[0]["id"]
    assert panel.select_alert(aid)
    qtbot.mouseClick(panel.ack_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rows[0]["state"] == "acknowledged", timeout=10_000)
    panel.assignee.setText("Unit 2-Adam-12")
    qtbot.mouseClick(panel.assign_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rows[0]["state"] == "assigned", timeout=10_000)
    panel.note.setText("vehicle stopped at 4th & Pike")
    panel.note_selected()
    qtbot.waitUntil(lambda: "4th & Pike" in (panel.model.rows[0].get("notes") or ""), timeout=10_000)
    stored = A.get_alert(store, aid)
    assert (stored["state"], stored["assignee"], stored["updated_by"]) == ("assigned", "Unit 2-Adam-12", "sup1")
    assert "sup1: vehicle stopped" in stored["notes"]
    assert "assigned" in panel.model.data(panel.model.index(0, 4))


def test_a_reload_keeps_the_selected_alert_and_alerts_raised_meanwhile(qtbot, panel, env):
    _path, store, engine = env
    store.upsert("alpr", [_read("STOLEN1"), _read("AMBER22")])
    engine.process()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    second = panel.model.rows[1]["id"]
    panel.select_alert(second)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.refresh()
    assert panel.selected_alert()["id"] == second


def test_filters_and_an_action_without_a_selection(qtbot, panel, env):
    _path, store, engine = env
    store.upsert("alpr", [_read("STOLEN1")])
    store.upsert("gunshot", [{"source": "gs", "source_id": f"g{next(_n)}", "time": iso_now(), "lat": 47.605, "lon": -122.335}])
    engine.process()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    panel.rule_filter.setCurrentIndex(2)  # geofences
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    assert panel.model.rows[0]["rule"] == "geofence:downtown"
    panel.table.clearSelection()
    panel.acknowledge_selected()
    assert "select an alert" in panel.message.text()
    panel.rule_filter.setCurrentIndex(0)
    panel.state_filter.setCurrentIndex(3)  # acknowledged: none yet
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=10_000)


def test_double_click_jumps_to_the_record(qtbot, panel, env):
    _path, store, engine = env
    store.upsert("alpr", [_read("STOLEN1")])
    engine.process()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    rect = panel.table.visualRect(panel.model.index(0, 3))
    with qtbot.waitSignal(panel.jumpRequested, timeout=5000) as sig:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [panel.model.rows[0]["record"]] and sig.args[0].startswith("alpr:")
