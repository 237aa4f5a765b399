"""The search panel: reasons required, every search audited, results paged."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from rtcc_desktop.model.timeutil import to_iso
from rtcc_desktop.store import open_store
from rtcc_desktop.ui.search_panel import SearchPanel

T0 = datetime(2024, 6, 1, 20, 0, tzinfo=timezone.utc)
SHOT = (38.8951, -77.0364)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    reads = [{"source": "lpr", "source_id": f"r{i}", "time": to_iso(T0 + timedelta(seconds=20 * i)), "plate": f"7ABC{i:03d}",
              "state": "VA", "camera": "NB-14", "lat": SHOT[0] + 0.0005, "lon": SHOT[1]} for i in range(250)]
    reads.append({"source": "lpr", "source_id": "misread", "time": to_iso(T0), "plate": "7A8C001", "state": "VA", "camera": "SB-2",
                  "lat": 38.99, "lon": -77.2})
    store.upsert("alpr", reads)
    store.upsert("gunshot", [{"source": "ss", "source_id": "g1", "time": to_iso(T0 + timedelta(minutes=10)), "lat": SHOT[0], "lon": SHOT[1],
                              "type": "Multiple Gunshots", "rounds": 6.0},
                             {"source": "ss", "source_id": "g2", "time": to_iso(T0 + timedelta(minutes=12)), "lat": SHOT[0] + 0.001,
                              "lon": SHOT[1], "type": "Single Gunshot"}])
    store.upsert("cad", [{"source": "cad", "source_id": "c1", "time": to_iso(T0 + timedelta(minutes=11)), "lat": SHOT[0], "lon": SHOT[1] + 0.001,
                          "type": "SHOTS FIRED", "priority": "1", "address": "15TH ST NW & PENNSYLVANIA AVE", "narrative": "caller heard six shots"}])
    yield path, store
    store.close()


@pytest.fixture
def panel(qtbot, db):
    p = SearchPanel(db_path=db[0], actor="analyst7", page_size=100)
    qtbot.addWidget(p)
    p.resize(900, 600)
    p.show()
    yield p
    p.shutdown()


def _audit(store):
    return store.audit_list(limit=1000)


def test_plate_search_is_refused_without_a_reason(qtbot, panel, db):
    panel.plate.setText("7ABC*")
    with qtbot.waitSignal(panel.searchFailed, timeout=5000) as sig:
        qtbot.mouseClick(panel.plate_go, Qt.MouseButton.LeftButton)
    assert "reason or case number" in sig.args[0]
    assert "reason or case number" in panel.status.text()
    assert _audit(db[1]) == []


def test_similar_plate_search_pages_and_audits_each_page(qtbot, panel, db):
    panel.reason.setText("Case 24-5531")
    panel.plate.setText("7abc001")
    panel.similar.setChecked(True)
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000) as sig:
        panel.search_plate()
    rows = sig.args[1]
    assert [(r["plate"], r["substitutions"]) for r in rows] == [("7ABC001", 0), ("7A8C001", 1)]
    assert panel.model.data(panel.model.index(1, 5)) == "1 similar char"
    entry = _audit(db[1])[0]
    assert (entry["actor"], entry["action"], entry["reason"], entry["result_count"]) == ("analyst7", "query plate", "Case 24-5531", 2)
    assert entry["params"]["similar"] is True

    panel.similar.setChecked(False)
    panel.plate.setText("7ABC*")
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000):
        panel.search_plate()
    assert panel.model.rowCount() == 100 and panel.next_btn.isEnabled() and not panel.prev_btn.isEnabled()
    first_page = [r["id"] for r in panel.model.rows]
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000):
        qtbot.mouseClick(panel.next_btn, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000):
        panel.next_page()
    assert panel.model.rowCount() == 50 and not panel.next_btn.isEnabled() and panel.page == 2
    assert "page 3" in panel.page_label.text()
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000):
        panel.previous_page()
    assert not set(first_page) & {r["id"] for r in panel.model.rows}
    log = _audit(db[1])
    assert [e["params"].get("offset") for e in log[:4]] == [100, 200, 100, 0]
    assert all(e["reason"] == "Case 24-5531" for e in log)


def test_what_was_near_the_selected_gunshot(qtbot, panel, db):
    store = db[1]
    gid = store.db.execute("SELECT id FROM gunshots WHERE source_id = 'g1'").fetchone()[0]
    panel.set_selected_record(f"gunshot:{gid}")
    panel.reason.setText("CCN 24-081234")
    panel.radius.setValue(200)
    panel.minutes.setValue(15)
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000) as sig:
        qtbot.mouseClick(panel.near_go, Qt.MouseButton.LeftButton)
    rows = sig.args[1]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("gunshot") == 1 and kinds.count("cad") == 1
    assert kinds.count("alpr") == 76  # reads every 20 s from T0 (shot at T0+10 min, ±15 min), 56 m away
    assert f"gunshot:{gid}" not in {f"{r['kind']}:{r['id']}" for r in rows}
    assert [r["distance_m"] for r in rows] == sorted(r["distance_m"] for r in rows)
    assert "1 gunshot" in panel.status.text() and "1 incident" in panel.status.text()
    entry = _audit(store)[0]
    assert (entry["action"], entry["reason"], entry["result_count"], entry["params"]["near_record"]) == (
        "query near", "CCN 24-081234", 78, f"gunshot:{gid}")


def test_what_was_near_a_map_point_needs_a_reason_too(qtbot, panel, db):
    panel.set_point(SHOT[0], SHOT[1])
    assert panel.tabs.currentIndex() == 1 and panel.from_point.isChecked()
    with qtbot.waitSignal(panel.searchFailed, timeout=5000):
        panel.search_near()
    panel.reason.setText("BOLO 17")
    panel.minutes.setValue(0)  # any time
    panel.radius.setValue(50)
    panel.near_kinds["alpr"].setChecked(False)
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000) as sig:
        panel.search_near()
    assert sorted(r["kind"] for r in sig.args[1]) == ["gunshot"]
    assert _audit(db[1])[0]["params"]["kinds"] == ["cad", "gunshot"]


def test_text_search_is_audited_and_a_result_can_be_opened(qtbot, panel, db):
    panel.words.setText("six shots")
    with qtbot.waitSignal(panel.resultsReady, timeout=10_000) as sig:
        panel.search_text()
    [row] = sig.args[1]
    assert row["type"] == "SHOTS FIRED"
    assert panel.model.data(panel.model.index(0, 2)) == "P1 SHOTS FIRED"
    entry = _audit(db[1])[0]
    assert (entry["action"], entry["result_count"], entry["reason"]) == ("query text", 1, None)
    rect = panel.table.visualRect(panel.model.index(0, 0))
    with qtbot.waitSignal(panel.recordActivated, timeout=5000) as act:
        qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert act.args == [f"cad:{row['id']}"]


def test_a_bad_pattern_is_explained_not_crashed(qtbot, panel, db):
    panel.reason.setText("case 1")
    panel.plate.setText("**")
    with qtbot.waitSignal(panel.searchFailed, timeout=10_000) as sig:
        panel.search_plate()
    assert "only wildcards" in sig.args[0]
    assert _audit(db[1]) == []
