"""The hot-list panel on a real SQLite store: import, switch, edit, audit, and alerting follows at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rtcc_desktop.analysis import alerts as A
from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.model.timeutil import iso_now
from rtcc_desktop.store import open_store
from rtcc_desktop.ui import hotlist_panel as HP
from rtcc_desktop.ui.hotlist_panel import HotlistPanel

HOSTILE = "<b>bold</b><img src=x onerror=alert(1)>"
CSV = (
    "Plate,State,Reason,Expiry\n"
    "STOLEN1,WA,STOLEN VEHICLE,2099-01-01\n"
    f'WANT22,,"{HOSTILE}",\n'
    "OLD333,WA,EXPIRED WARRANT,2001-01-01\n"
    ",WA,no plate here,\n"
    "NOT A PLATE!!,WA,words,\n"
    "BAD9,WA,x,someday\n"
    "STOLEN1,WA,repeat,\n"
)
_n = iter(range(10**6))


def _read(plate: str, state: str = "WA") -> dict:
    return {"source": "lpr", "source_id": f"r{next(_n)}", "time": iso_now(), "plate": plate, "state": state,
            "lat": 47.605, "lon": -122.335, "camera": "CAM-3"}


@pytest.fixture
def env(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)  # the feed/engine side: its own connection, like the running app
    engine = A.AlertEngine(store)
    yield path, store, engine
    store.close()


@pytest.fixture
def panel(qtbot, env, tmp_path, monkeypatch):
    csv_file = tmp_path / "ncic_stolen.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    monkeypatch.setattr(HP.QFileDialog, "getOpenFileName", lambda *a, **k: (str(csv_file), "Hot lists (*.csv)"))
    p = HotlistPanel(db_path=env[0], actor="sup1")
    p.confirm = lambda *_: True
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    with qtbot.waitSignal(p.loaded, timeout=10_000):
        pass
    yield p
    p.shutdown()


def _audit(store, prefix: str = "hotlist") -> list[dict]:
    return [a for a in store.audit_list(limit=1000) if a["action"].startswith(prefix)]


def _import(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.import_btn.click()
    qtbot.waitUntil(lambda: panel.entries_model.rowCount() > 0, timeout=10_000)


def _cell(model, row: int, key: str, columns, role=Qt.ItemDataRole.DisplayRole):
    col = [k for _, k in columns].index(key)
    return model.data(model.index(row, col), role)


def test_import_through_the_file_dialog_keeps_good_rows_and_reports_each_bad_one(qtbot, panel, env):
    _path, store, _engine = env
    _import(qtbot, panel)
    [row] = panel.lists_model.rows
    assert (row["name"], row["entries"], row["active_entries"], row["expired"], row["active"], row["imported_by"]) == (
        "ncic_stolen", 3, 2, 1, True, "sup1")
    assert _cell(panel.lists_model, 0, "source", HP.LIST_COLUMNS) == "ncic_stolen.csv"
    report = panel.report.toPlainText()
    assert "3 entries taken" in report and "4 rows rejected" in report
    for line, why in ((5, "plate is missing"), (6, "not 1-12 letters"), (7, "not a date"), (8, "repeats line 2")):
        assert f"line {line}: " in report and why in report
    assert "4 rows rejected" in panel.status.text()
    assert [e["plate"] for e in panel.entries_model.rows] == ["OLD333", "STOLEN1", "WANT22"]
    [audit] = _audit(store)
    assert (audit["actor"], audit["action"], audit["result_count"]) == ("sup1", "hotlist import", 3)
    assert audit["params"]["rejected"] == 4 and audit["params"]["list"] == "ncic_stolen"


def test_a_file_that_cannot_be_used_says_why_and_changes_nothing(qtbot, panel, env, tmp_path, monkeypatch):
    bad = tmp_path / "empty.csv"
    bad.write_text("\n\n")
    panel.open_file = lambda _parent: str(bad)
    panel.import_btn.click()
    qtbot.waitUntil(lambda: "nothing imported" in panel.report.toPlainText(), timeout=10_000)
    assert "no rows" in panel.status.text()
    assert H.list_hotlists(env[1]) == [] and _audit(env[1]) == []


def test_switching_a_list_off_and_on_applies_to_the_next_read_without_a_restart(qtbot, panel, env):
    _path, store, engine = env
    _import(qtbot, panel)
    assert [a["rule"] for a in (store.upsert("alpr", [_read("STOLEN1")]), engine.process())[1]] == ["hotlist:ncic_stolen"]

    panel.select_list("ncic_stolen")
    assert panel.toggle_btn.text() == "Turn off"
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.toggle_btn.click()
    qtbot.waitUntil(lambda: panel.lists_model.rows and not panel.lists_model.rows[0]["active"], timeout=10_000)
    assert panel.toggle_btn.text() == "Turn on"
    store.upsert("alpr", [_read("STOLEN1")])
    assert engine.process() == []  # the running engine saw the switch

    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.toggle_btn.click()
    store.upsert("alpr", [_read("STOLEN1")])
    assert [a["rule"] for a in engine.process()] == ["hotlist:ncic_stolen"]
    assert [a["action"] for a in _audit(store)][:2] == ["hotlist enable", "hotlist disable"]  # newest first


def test_look_alike_matching_can_be_switched_on(qtbot, panel, env):
    _path, store, engine = env
    _import(qtbot, panel)
    store.upsert("alpr", [_read("ST0LEN1")])  # 0 read for O
    assert engine.process() == []
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.lookalike_btn.click()
    qtbot.waitUntil(lambda: panel.lookalike_btn.text() == "Turn look-alikes off", timeout=10_000)
    store.upsert("alpr", [_read("ST0LEN1")])
    [alert] = engine.process()
    assert alert["detail"]["substituted"] is True
    assert _audit(store)[0]["action"] == "hotlist lookalikes on"


def test_add_and_remove_a_single_plate(qtbot, panel, env):
    _path, store, engine = env
    _import(qtbot, panel)

    panel.plate_edit.setText("no good!")
    panel.add_btn.click()
    assert "not added" in panel.status.text() and "not 1-12 letters" in panel.status.text()
    panel.expiry_edit.setText("whenever")
    panel.plate_edit.setText("NEW777")
    panel.add_btn.click()
    assert "not a date" in panel.status.text()

    panel.expiry_edit.setText("2099-12-31")
    panel.state_edit.setText("wa")
    panel.reason_edit.setText("AMBER ALERT")
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.add_btn.click()
    qtbot.waitUntil(lambda: "NEW777" in [e["plate"] for e in panel.entries_model.rows], timeout=10_000)
    assert panel.plate_edit.text() == "" and "added NEW777 WA" in panel.status.text()
    row = [e["plate"] for e in panel.entries_model.rows].index("NEW777")
    assert _cell(panel.entries_model, row, "line", HP.ENTRY_COLUMNS) == "typed in"
    store.upsert("alpr", [_read("NEW777")])
    assert [a["detail"]["reason"] for a in engine.process()] == ["AMBER ALERT"]

    panel.plate_edit.setText("NEW777")
    panel.state_edit.setText("WA")
    panel.add_btn.click()
    qtbot.waitUntil(lambda: "already on" in panel.status.text(), timeout=10_000)

    panel.entries.selectRow(row)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.remove_btn.click()
    qtbot.waitUntil(lambda: "NEW777" not in [e["plate"] for e in panel.entries_model.rows], timeout=10_000)
    store.upsert("alpr", [_read("NEW777")])
    assert engine.process() == []
    actions = [(a["action"], a["params"].get("plate"), a["actor"]) for a in _audit(store)]
    assert actions[:2] == [("hotlist remove entry", "NEW777", "sup1"), ("hotlist add entry", "NEW777", "sup1")]


def test_removing_needs_a_yes(qtbot, panel, env):
    _import(qtbot, panel)
    panel.confirm = lambda *_: False
    panel.entries.selectRow(0)
    panel.remove_btn.click()
    panel.delete_btn.click()
    qtbot.wait(200)
    assert H.list_entries(env[1], "ncic_stolen")[1] == 3
    assert [a["action"] for a in _audit(env[1])] == ["hotlist import"]


def test_filter_and_expired_entries_are_greyed(qtbot, panel):
    _import(qtbot, panel)
    rows = panel.entries_model.rows
    old = [e["plate"] for e in rows].index("OLD333")
    live = [e["plate"] for e in rows].index("STOLEN1")
    fg = Qt.ItemDataRole.ForegroundRole
    assert _cell(panel.entries_model, old, "plate", HP.ENTRY_COLUMNS, fg) is not None
    assert _cell(panel.entries_model, live, "plate", HP.ENTRY_COLUMNS, fg) is None
    assert "(expired)" in _cell(panel.entries_model, old, "expiry", HP.ENTRY_COLUMNS)
    with qtbot.waitSignal(panel.entriesLoaded, timeout=10_000):
        panel.filter_edit.setText("warrant")
    assert [e["plate"] for e in panel.entries_model.rows] == ["OLD333"]
    assert "1 entry match" in panel.count_label.text()
    with qtbot.waitSignal(panel.entriesLoaded, timeout=10_000):
        panel.filter_edit.setText("stolen-1")
    assert [e["plate"] for e in panel.entries_model.rows] == ["STOLEN1"]


def test_delete_a_list_after_confirming(qtbot, panel, env):
    _path, store, engine = env
    _import(qtbot, panel)
    asked = []
    panel.confirm = lambda _w, title, text: asked.append(text) or True
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.delete_btn.click()
    qtbot.waitUntil(lambda: panel.lists_model.rowCount() == 0, timeout=10_000)
    assert "3 entries" in asked[0]
    assert panel.entries_model.rowCount() == 0 and not panel.add_btn.isEnabled()
    store.upsert("alpr", [_read("STOLEN1")])
    assert engine.process() == []
    assert (_audit(store)[0]["action"], _audit(store)[0]["params"]) == ("hotlist delete", {"list": "ncic_stolen", "entries": 3})


def test_reimporting_a_name_asks_before_replacing(qtbot, panel, env):
    _import(qtbot, panel)
    asked = []
    panel.confirm = lambda _w, title, text: asked.append(title) or False
    panel.import_btn.click()
    assert asked == ["Replace hot list"] and panel.status.text() == "import cancelled"
    assert len(_audit(env[1])) == 1


def test_hostile_text_in_a_reason_is_shown_as_plain_text(qtbot, panel, env):
    _import(qtbot, panel)
    row = [e["plate"] for e in panel.entries_model.rows].index("WANT22")
    assert _cell(panel.entries_model, row, "reason", HP.ENTRY_COLUMNS) == HOSTILE
    tip = _cell(panel.entries_model, row, "reason", HP.ENTRY_COLUMNS, Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tip and "&lt;b&gt;bold&lt;/b&gt;&lt;img" in tip
    # a list name typed by the analyst, shown in labels and dialogs: plain text too
    panel.name_edit.setText("<i>evil</i>")
    panel.confirm = lambda *_: True
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.import_btn.click()
    qtbot.waitUntil(lambda: panel.entries_title.text() == "Entries of <i>evil</i>", timeout=10_000)
    for label in (panel.entries_title, panel.status, panel.count_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert "<i>evil</i>" in panel.status.text()


def test_the_main_window_has_a_hot_lists_dock_beside_search(qtbot, tmp_path, monkeypatch, open_window):
    from PySide6.QtCore import QSettings

    from rtcc_desktop.ui.tile_scheme import register_schemes

    register_schemes()

    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    db = tmp_path / "cache.sqlite"
    store = open_store(db)
    H.import_hotlist_text(store, "plate\nABC123\n", "bolo")
    store.close()
    w = open_window(db)
    dock = w.dock("hotlists")
    assert dock.windowTitle() == "Hot lists" and isinstance(w.panel("hotlists"), HotlistPanel)
    assert dock in w.tabifiedDockWidgets(w.dock("search"))
    qtbot.waitUntil(lambda: [r["name"] for r in w.hotlists.lists_model.rows] == ["bolo"], timeout=10_000)
