"""The event table: lazy pages, SQL sort and filters, live rows on top, double-click."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import Qt

from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.timeutil import to_iso
from rtcc_desktop.store import open_store
from rtcc_desktop.ui.event_list import EventFilter, EventList, Sort, query_events

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def _calls(n, start=0):
    return [
        {"source": "cad", "source_id": f"c{i}", "time": to_iso(T0 + timedelta(minutes=3 * i)), "priority": ["1", "P2", "3", None][i % 4],
         "type": ["SHOTS FIRED", "BURGLARY", "TRAFFIC STOP"][i % 3], "agency": ["SPD", "KCSO"][i % 2], "address": f"{i} PINE ST",
         "narrative": f"call {i}"}
        for i in range(start, start + n)
    ]


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    store.upsert("cad", _calls(150))
    store.upsert("gunshot", [{"source": "gs", "source_id": f"g{i}", "time": to_iso(T0 + timedelta(minutes=5 * i + 1)),
                              "lat": 38.9, "lon": -77.0, "type": "Multiple Gunshots", "rounds": 3.0} for i in range(60)])
    store.upsert("alpr", [{"source": "lpr", "source_id": f"r{i}", "time": to_iso(T0 + timedelta(minutes=2 * i, seconds=7)),
                           "plate": f"ABC{i:03d}", "state": "WA", "camera": "NB-1"} for i in range(200)])
    yield path, store
    store.close()


@pytest.fixture
def events(qtbot, db):
    w = EventList(db_path=db[0], page_size=40)
    qtbot.addWidget(w)
    w.resize(900, 400)
    w.show()
    qtbot.waitUntil(lambda: w.model.rowCount() > 0, timeout=10_000)
    yield w
    w.shutdown()


def _load_all(qtbot, model):
    while model.canFetchMore() or model.loading:
        if model.canFetchMore():
            model.fetchMore()
        qtbot.waitUntil(lambda: not model.loading, timeout=10_000)


def test_first_page_only_then_more_as_the_user_scrolls(qtbot, events):
    m = events.model
    assert m.rowCount() == 40 and not m.exhausted
    events.table.scrollToBottom()
    qtbot.waitUntil(lambda: m.rowCount() >= 80, timeout=10_000)
    _load_all(qtbot, m)
    assert m.rowCount() == 410 and m.exhausted
    times = [r["time"] for r in m.rows]
    assert times == sorted(times, reverse=True)  # newest first by default
    assert len({(r["kind"], r["id"]) for r in m.rows}) == 410  # no page overlaps
    assert "410 events" in events.count_label.text()


def test_pages_equal_one_big_query_for_every_sort(qtbot, db):
    _path, store = db
    f = EventFilter()
    for sort in (Sort("time", True), Sort("time", False), Sort("priority", True), Sort("agency", False), Sort("kind", False), Sort("type", True)):
        full = query_events(store, f, sort, limit=10_000)
        paged = [r for off in range(0, 410, 33) for r in query_events(store, f, sort, limit=33, offset=off)]
        assert [(r["kind"], r["id"]) for r in paged] == [(r["kind"], r["id"]) for r in full], sort
        assert len(full) == 410


def test_header_click_sorts_in_sql(qtbot, events):
    m = events.model
    col = 3  # Priority
    events.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: m.order == Sort("priority", False) and m.rowCount() > 0 and not m.loading, timeout=10_000)
    _load_all(qtbot, m)
    pr = [priority_level(r["priority"]) for r in m.rows]
    assert pr[: pr.count(None)] == [None] * pr.count(None)  # empty first, like SQL
    assert [p for p in pr if p is not None] == sorted(p for p in pr if p is not None)  # "P2" sorts as 2
    raw = [r["priority"] for r in m.rows if r["priority"] is not None]
    assert raw == ["1"] * raw.count("1") + ["P2"] * raw.count("P2") + ["3"] * raw.count("3")  # not text order


def test_filters_by_kind_type_agency_priority_and_window(qtbot, events):
    m = events.model
    events.kind_boxes["alpr"].setChecked(False)
    events.kind_boxes["gunshot"].setChecked(False)
    events.type_edit.setText("shots")
    events.agency_edit.setText("spd")
    qtbot.waitUntil(lambda: m.filter.type_text == "shots" and m.filter.agency == "spd" and not m.loading, timeout=10_000)
    _load_all(qtbot, m)
    assert m.rows and all(r["kind"] == "cad" and r["type"] == "SHOTS FIRED" and r["agency"] == "SPD" for r in m.rows)
    assert len(m.rows) == 25  # i % 6 == 0 for i < 150
    events.priority.setCurrentIndex(2)  # P1-P2
    qtbot.waitUntil(lambda: m.filter.max_priority == 2 and not m.loading, timeout=10_000)
    _load_all(qtbot, m)
    assert m.rows and all(r["priority"] in ("1", "P2") for r in m.rows)
    events.type_edit.setText("")
    events.agency_edit.setText("")
    events.priority.setCurrentIndex(0)
    events.kind_boxes["gunshot"].setChecked(True)
    events.set_window(T0 + timedelta(minutes=30), T0 + timedelta(minutes=60))
    qtbot.waitUntil(lambda: m.filter.since is not None and m.filter.type_text == "" and not m.loading, timeout=10_000)
    _load_all(qtbot, m)
    assert {r["kind"] for r in m.rows} == {"cad", "gunshot"}
    assert all(to_iso(T0 + timedelta(minutes=30)) <= r["time"] <= to_iso(T0 + timedelta(minutes=60)) for r in m.rows)
    assert len(m.rows) == 11 + 6


def test_untrusted_text_in_a_filter_is_only_data(qtbot, db):
    _path, store = db
    assert query_events(store, EventFilter(type_text="%' OR 1=1 --")) == []
    assert query_events(store, EventFilter(type_text="_")) == []  # LIKE wildcards are escaped


def test_new_rows_appear_on_top(qtbot, events, db):
    _path, store = db
    m = events.model
    events.use_window.setChecked(False)
    qtbot.waitUntil(lambda: m.filter.since is None and m.rowCount() == 40 and not m.loading, timeout=10_000)
    store.upsert("cad", [{"source": "cad", "source_id": "new1", "time": to_iso(T0 + timedelta(days=1)), "type": "ROBBERY", "priority": "1"}])
    store.upsert("cad", [{"source": "cad", "source_id": "c5", "time": to_iso(T0 + timedelta(days=2)), "type": "changed"}])  # an update, not new
    m.on_store_changed("cad", 0)
    qtbot.waitUntil(lambda: m.rowCount() == 41, timeout=10_000)
    assert m.rows[0]["type"] == "ROBBERY"
    m.on_store_changed("gunshot", 0)  # nothing new there
    qtbot.wait(200)
    assert m.rowCount() == 41


def test_live_rows_never_grow_the_list_past_its_cap(qtbot, events, db, monkeypatch):
    import rtcc_desktop.ui.event_list as el

    monkeypatch.setattr(el, "MAX_ROWS", 50)
    _path, store = db
    m = events.model
    events.use_window.setChecked(False)
    qtbot.waitUntil(lambda: m.filter.since is None and m.rowCount() == 40 and not m.loading, timeout=10_000)
    for batch in range(3):
        store.upsert("cad", [{"source": "cad", "source_id": f"live{batch}-{i}", "time": to_iso(T0 + timedelta(days=1, minutes=batch * 10 + i)),
                              "type": f"LIVE {batch}-{i}"} for i in range(10)])
        m.on_store_changed("cad", 0)
        qtbot.waitUntil(lambda b=batch: m.rows and m.rows[0]["type"] == f"LIVE {b}-9", timeout=10_000)
    assert m.rowCount() == 50  # capped: 30 live rows on top, the oldest loaded rows dropped
    assert [r["type"] for r in m.rows[:3]] == ["LIVE 2-9", "LIVE 2-8", "LIVE 2-7"]
    assert m.canFetchMore()  # what was dropped comes back by scrolling
    m.fetchMore()
    qtbot.waitUntil(lambda: m.rowCount() > 50 and not m.loading, timeout=10_000)
    keys = [(r["kind"], r["id"]) for r in m.rows]
    assert len(keys) == len(set(keys))  # no row twice after the trim


def test_double_click_asks_to_show_the_record(qtbot, events):
    m = events.model
    index = m.index(2, 0)
    rect = events.table.visualRect(index)
    with qtbot.waitSignal(events.recordActivated, timeout=5000) as sig:
        # as a real double-click: press/release, then the double-click event (item views need both)
        qtbot.mouseClick(events.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(events.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [m.ref_at(2)]


def test_selection_follows_the_bus_and_reports_clicks(qtbot, events):
    m = events.model
    ref = m.ref_at(5)
    events.select(ref)
    assert events.table.currentIndex().row() == 5
    with qtbot.waitSignal(events.recordSelected, timeout=5000) as sig:
        rect = events.table.visualRect(m.index(1, 1))
        qtbot.mouseClick(events.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == [m.ref_at(1)]


def test_worded_priorities_filter_and_sort_as_the_map_draws_them(tmp_path):
    """A feed that writes "High"/"Routine" gets the same P1/P4 in the list as on the map and in fences."""
    store = open_store(tmp_path / "words.sqlite")
    try:
        store.upsert("cad", [
            {"source": "cad", "source_id": sid, "time": to_iso(T0 + timedelta(minutes=i)), "priority": p, "type": "CALL"}
            for i, (sid, p) in enumerate([("h", "High"), ("r", "Routine"), ("n", "2"), ("x", "Priority 1"), ("u", "??")])
        ])
        p1 = query_events(store, EventFilter(kinds=("cad",), max_priority=1), limit=100)
        assert {r["priority"] for r in p1} == {"High", "Priority 1"}
        by_priority = query_events(store, EventFilter(kinds=("cad",)), Sort("priority", False), limit=100)
        assert [r["priority"] for r in by_priority] == ["??", "High", "Priority 1", "2", "Routine"]
    finally:
        store.close()
