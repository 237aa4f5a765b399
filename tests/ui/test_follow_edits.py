"""Edits of stored records (a feed re-sends a row with changes: same rowid) reach the live views.

Map markers are replaced in place (or leave / join the map), event-list rows
are refreshed where they are, and the wall raises a call upgraded to P1 once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from wall_helpers import FakeClock, config, fill_store, layout  # noqa: E402
from wall_helpers import ago as wall_ago  # noqa: E402
from wall_helpers import rec as wall_rec  # noqa: E402

from rtcc_desktop.analysis.wall_figures import FigureState, compute_figures, edited_priority_events  # noqa: E402
from rtcc_desktop.model.timeutil import to_iso, utc_now  # noqa: E402
from rtcc_desktop.model.validate import FeedContext, normalise  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402
from rtcc_desktop.tiles import TileSource  # noqa: E402
from rtcc_desktop.ui.bus import Bus  # noqa: E402
from rtcc_desktop.ui.event_list import EventList  # noqa: E402
from rtcc_desktop.ui.map_controller import MapController  # noqa: E402
from rtcc_desktop.ui.map_view import MapView  # noqa: E402
from rtcc_desktop.ui.store_worker import StoreWorker  # noqa: E402
from rtcc_desktop.ui.testing import dispose, js_eval, wait_until  # noqa: E402
from rtcc_desktop.ui.wall import WallWindow  # noqa: E402

LAT, LON = 33.6140, -85.8350


def ago(minutes: float) -> str:
    return to_iso(utc_now() - timedelta(minutes=minutes))


def rec(kind: str, **raw: Any) -> dict[str, Any]:
    return normalise(raw, FeedContext(source="test", kind=kind, agency="TEST PD"))


def call(sid: str, minutes: float, priority: str, *, lat: float | None = LAT, lon: float | None = LON, **raw: Any) -> dict[str, Any]:
    return rec("cad", source_id=sid, time=ago(minutes), lat=lat, lon=lon, priority=priority, **raw)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    store.upsert("cad", [
        call("C1", 5, "1", type="SHOTS FIRED", address="100 Main St"),      # cad:1
        call("C2", 30, "3", lat=LAT + 0.002, type="THEFT", narrative="bike taken"),  # cad:2
        call("OLD", 60 * 30, "2", lon=LON + 0.01, type="OLD CALL"),           # cad:3, outside the 24 h window
    ])
    store.upsert("camera", [rec("camera", source_id="CAM1", lat=LAT - 0.0005, lon=LON, heading=0, fov_deg=60, range_m=150,
                                name="Main St cam", ownership="public", access="live")])
    store.close()
    return path


def edit(db: Path, bus: Bus, kind: str, records: list[dict[str, Any]]) -> None:
    """What a feed poll does: upsert (an update: same rowid), then the change notice."""
    store = open_store(db)
    try:
        res = store.upsert(kind, records)
    finally:
        store.close()
    assert res.inserted == 0 and res.updated == len(records)
    bus.notify_store_change(kind, res.max_rowid)


# --------------------------------------------------------------------------- map


@contextmanager
def open_map(tiles: TileSource, db: Path) -> Iterator[tuple[Bus, MapController, MapView]]:
    view = MapView(tiles)
    view.resize(900, 700)
    view.show()
    bus = Bus()
    worker = StoreWorker(db, name="rtcc-store-edits-test")
    ctl = MapController(view, bus, worker)
    try:
        assert wait_until(lambda: view.is_ready, 30), f"map page never became ready: {view.js_errors}"
        ctl.start()
        assert wait_until(lambda: view.counts.get("camera") == 1 and view.counts.get("cad") == 2, 20), view.counts
        yield bus, ctl, view
    finally:
        ctl.stop()
        worker.stop()
        view.shutdown()
        dispose(view)


@pytest.fixture
def live_map(qtbot: Any, tiles: TileSource, db: Path) -> Iterator[tuple[Bus, MapController, MapView]]:
    with open_map(tiles, db) as opened:
        yield opened


def marker(view: MapView, ref: str) -> dict[str, Any] | None:
    return js_eval(view, "JSON.stringify((function (r) { return r ? {cls: r.cls, la: r.la, lo: r.lo, g: r.g} : null; })"
                         f"(RTCC._recs()['{ref}']))")


def page_counts(view: MapView) -> dict[str, Any]:
    return js_eval(view, "JSON.stringify(RTCC.stats())")


POPUP = "(document.querySelector('.leaflet-popup .rtcc-popup') || {}).textContent || ''"


def test_map_marker_is_replaced_in_place_when_its_record_is_edited(qtbot: Any, live_map: Any, db: Path) -> None:
    bus, _ctl, view = live_map
    assert marker(view, "cad:2")["cls"] == "p3"
    assert js_eval(view, "RTCC.openPopup('cad:2')") is True
    assert wait_until(lambda: "bike taken" in js_eval(view, POPUP), 10)

    # P3 → P1, narrative appended, location fixed: same rowid
    edit(db, bus, "cad", [call("C2", 30, "1", lat=LAT + 0.003, type="ROBBERY", narrative="bike taken; suspect armed")])
    assert wait_until(lambda: (marker(view, "cad:2") or {}).get("cls") == "p1", 10), marker(view, "cad:2")
    assert marker(view, "cad:2")["la"] == pytest.approx(LAT + 0.003)
    assert page_counts(view)["cad"] == 2  # replaced, not duplicated
    assert wait_until(lambda: "suspect armed" in js_eval(view, POPUP), 10)  # the open popup shows the new text

    # an edit moves C1 out of the window: its marker goes
    edit(db, bus, "cad", [call("C1", 60 * 30, "1", type="SHOTS FIRED")])
    assert wait_until(lambda: marker(view, "cad:1") is None, 10)
    # ... and one moves the old call into it: its marker comes
    edit(db, bus, "cad", [call("OLD", 2, "2", type="OLD CALL")])
    assert wait_until(lambda: marker(view, "cad:3") is not None, 10)
    assert page_counts(view)["cad"] == 2
    # a call that loses its location leaves the map
    edit(db, bus, "cad", [call("C2", 30, "1", lat=None, lon=None, type="ROBBERY")])
    assert wait_until(lambda: marker(view, "cad:2") is None, 10)
    assert wait_until(lambda: view.counts.get("cad") == 1, 10)
    # cameras are replaced the same way
    edit(db, bus, "camera", [rec("camera", source_id="CAM1", lat=LAT - 0.0005, lon=LON, name="Main St cam (moved)",
                                 ownership="private", access="request")])
    assert wait_until(lambda: view.last_ack > 0 and page_counts(view)["camera"] == 1, 10)
    assert view.js_errors == []


def test_map_change_cursor_starts_where_the_load_read_the_store(qtbot: Any, tiles: TileSource, db: Path) -> None:
    """Edits made before the map loaded come with the load; the cursor starts after them."""
    edit(db, Bus(), "cad", [call("C2", 30, "1", lat=LAT + 0.002, type="THEFT")])
    with open_map(tiles, db) as (bus, ctl, view):
        assert ctl._change_cursor == 1
        assert marker(view, "cad:2")["cls"] == "p1"
        edit(db, bus, "cad", [call("C2", 30, "2", lat=LAT + 0.002, type="THEFT")])
        assert wait_until(lambda: ctl._change_cursor == 2 and (marker(view, "cad:2") or {}).get("cls") == "p2", 10)
        bus.set_preset("1h")  # a window change reloads the events and reads the change number again
        assert wait_until(lambda: view.counts.get("cad") == 2 and ctl.last_load.get("cad") == 2, 10)
        assert ctl._change_cursor == 2 and page_counts(view)["cad"] == 2


# --------------------------------------------------------------------------- event list


@pytest.fixture
def events(qtbot: Any, db: Path) -> Iterator[tuple[EventList, Bus]]:
    w = EventList(db_path=db, page_size=40)
    qtbot.addWidget(w)
    w.resize(900, 400)
    w.show()
    bus = Bus()
    w.attach_bus(bus)
    qtbot.waitUntil(lambda: w.model.rowCount() == 2 and not w.model.loading, timeout=10_000)
    yield w, bus
    w.shutdown()


def cell(w: EventList, ref: str, column: int) -> str | None:
    row = w.model.row_of(ref)
    return None if row is None else w.model.data(w.model.index(row, column))


def selected(w: EventList) -> list[str]:
    return [w.model.ref_at(i.row()) for i in w.table.selectionModel().selectedRows()]


def test_event_list_row_is_refreshed_in_place_and_keeps_the_selection(qtbot: Any, events: Any, db: Path) -> None:
    w, bus = events
    order = [w.model.ref_at(i) for i in range(w.model.rowCount())]
    assert order == ["cad:1", "cad:2"]
    bus.select("cad:2")
    assert selected(w) == ["cad:2"]
    assert cell(w, "cad:2", 3) == "3"

    edit(db, bus, "cad", [call("C2", 30, "1", type="ROBBERY", narrative="bike taken; suspect armed")])
    qtbot.waitUntil(lambda: cell(w, "cad:2", 3) == "1", timeout=10_000)
    assert cell(w, "cad:2", 2) == "ROBBERY" and cell(w, "cad:2", 6) == "bike taken; suspect armed"
    assert [w.model.ref_at(i) for i in range(w.model.rowCount())] == order  # not re-ordered, not duplicated
    assert selected(w) == ["cad:2"]


def test_event_list_drops_a_row_an_edit_takes_out_of_the_filter(qtbot: Any, events: Any, db: Path) -> None:
    w, bus = events
    w.priority.setCurrentIndex(1)  # P1 only
    qtbot.waitUntil(lambda: w.model.filter.max_priority == 1 and not w.model.loading, timeout=10_000)
    store = open_store(db)
    store.upsert("cad", [call("C4", 1, "1", type="ASSAULT")])  # cad:4
    store.close()
    w.model.reload()
    qtbot.waitUntil(lambda: w.model.rowCount() == 2 and not w.model.loading, timeout=10_000)
    bus.select("cad:4")
    edit(db, bus, "cad", [call("C1", 5, "3", type="SHOTS FIRED")])  # downgraded: no longer P1
    qtbot.waitUntil(lambda: w.model.row_of("cad:1") is None, timeout=10_000)
    assert [w.model.ref_at(i) for i in range(w.model.rowCount())] == ["cad:4"]
    assert selected(w) == ["cad:4"]


# --------------------------------------------------------------------------- wall


def test_wall_figures_raise_a_call_upgraded_by_an_edit_once(tmp_path: Path) -> None:
    from wall_helpers import T0

    store = fill_store(tmp_path / "w.sqlite")
    state, cfg, lay = FigureState(), config(), layout()
    try:
        first = compute_figures(store, cfg, lay, T0, timezone.utc, state)
        assert first.cad_open["p4"] == 1 and first.cad_open["p1"] == 3
        now = T0 + timedelta(seconds=30)
        store.upsert("cad", [wall_rec("cad", "c6", time=wall_ago(60), priority="1", type="Noise", address="6 Main St")])
        store.upsert("cad", [wall_rec("cad", "c1", time=wall_ago(600), priority="1", type="Shots fired",
                                      address="1 Main St", narrative="more units")])  # P1 already: no news
        second = compute_figures(store, cfg, lay, now, timezone.utc, state)
        assert [(e.ref, e.title) for e in second.events] == [("cad:6", "P1 NOISE")]
        assert second.events[0].raised_at == to_iso(now) and second.events[0].news_time == to_iso(now)
        assert second.cad_open["p4"] == 0 and second.cad_open["p1"] == 4  # figures are queries: they follow edits
        # edited again (still P1), or nothing new: no second event
        store.upsert("cad", [wall_rec("cad", "c6", time=wall_ago(60), priority="1", type="Noise", narrative="loud")])
        third = compute_figures(store, cfg, lay, now + timedelta(seconds=30), timezone.utc, state)
        assert third.events == ()
        # a call inserted as P3 and upgraded before the next refresh is one event, not two
        store.upsert("cad", [wall_rec("cad", "c-new", time=wall_ago(10), priority="3", type="Fight")])
        store.upsert("cad", [wall_rec("cad", "c-new", time=wall_ago(10), priority="1", type="Fight")])
        fourth = compute_figures(store, cfg, lay, now + timedelta(seconds=60), timezone.utc, state)
        assert [e.title for e in fourth.events] == ["P1 FIGHT"]
        # the edit scan may see an upgraded new call before the rowid scan does (a race): still one event
        store.upsert("cad", [wall_rec("cad", "c-race", time=wall_ago(10), priority="3", type="Brawl")])
        store.upsert("cad", [wall_rec("cad", "c-race", time=wall_ago(10), priority="1", type="Brawl")])
        early = edited_priority_events(store, state, lay, now + timedelta(seconds=70))
        assert [e.title for e in early] == ["P1 BRAWL"]
        fifth = compute_figures(store, cfg, lay, now + timedelta(seconds=90), timezone.utc, state)
        assert fifth.events == ()
    finally:
        store.close()


def test_wall_follows_a_call_upgraded_to_p1_exactly_once(qtbot: Any, tiles: TileSource, tmp_path: Path) -> None:
    store = fill_store(tmp_path / "wall.sqlite")
    clock = FakeClock()
    wall = WallWindow(store.path, config=config(), tile_source=tiles, clock=clock, tz=timezone.utc, layout=layout(),
                      video=False, views_path=tmp_path / "views.json")
    raised: list[str] = []
    wall.figures_updated.connect(lambda f: raised.extend(e.ref for e in f.events))
    try:
        wall.show(full_screen=False, size=(1600, 900))
        assert wait_until(lambda: wall.figures is not None, 20), f"no figures: {wall.last_error}"
        clock.advance(20)
        res = store.upsert("cad", [wall_rec("cad", "c6", time=wall_ago(60, clock.now), priority="1", type="Noise",
                                            address="6 Main St")])
        assert res.inserted == 0
        with qtbot.waitSignal(wall.map_moved, timeout=10000, check_params_cb=lambda what, ref: what == "focus") as moved:
            wall.bus.notify_store_change("cad", res.max_rowid)
        assert moved.args == ["focus", "cad:6"]
        assert wall.tickers[0].texts()[0].endswith("P1 NOISE · 6 Main St")
        assert wall.figures is not None and wall.figures.cad_open["p1"] == 4
        # another edit of the same call (still P1) and another notice: no second event
        n = len(raised)
        store.upsert("cad", [wall_rec("cad", "c6", time=wall_ago(60, clock.now), priority="1", type="Noise",
                                      address="6 Main St", narrative="still loud")])
        with qtbot.waitSignal(wall.figures_updated, timeout=10000):
            wall.bus.notify_store_change("cad", res.max_rowid)
        assert len(raised) == n and raised.count("cad:6") == 1
    finally:
        wall.close()
        store.close()


def test_map_follower_takes_a_raised_call_as_news_from_its_edit() -> None:
    from wall_helpers import T0

    from rtcc_desktop.analysis.wall_figures import MapFollower, PriorityEvent

    old_call = to_iso(T0 - timedelta(hours=2))
    ev = PriorityEvent("cad:9", "cad", old_call, 33.6, -85.8, "P1 ASSAULT", "", raised_at=to_iso(T0))
    follower = MapFollower(dwell_s=45, overview_s=15, max_age_s=900)
    follower.offer(ev)
    assert follower.step(0.0, T0 + timedelta(seconds=30)) == ("focus", ev)  # two hours old, but raised just now


# --------------------------------------------------------------------------- timeline


def test_timeline_events_show_an_edited_priority(qtbot: Any, db: Path) -> None:
    from rtcc_desktop.ui.timeline import Timeline

    tl = Timeline(db_path=db, max_items=500, nbins=200)
    qtbot.addWidget(tl)
    tl.resize(1000, 360)
    tl.show()
    try:
        now = utc_now()
        tl.set_range(now - timedelta(hours=1), now + timedelta(minutes=1))

        def priority_of(ref: str) -> int | None:
            lane = tl._data.lanes.get("cad") if tl._data is not None else None
            return lane.priorities[lane.refs.index(ref)] if lane is not None and ref in lane.refs else None

        qtbot.waitUntil(lambda: priority_of("cad:2") == 3, timeout=10_000)
        store = open_store(db)
        try:
            res = store.upsert("cad", [call("C2", 30, "1", type="ROBBERY")])
        finally:
            store.close()
        tl.on_store_changed("cad", res.max_rowid)
        qtbot.waitUntil(lambda: priority_of("cad:2") == 1, timeout=10_000)
    finally:
        tl.shutdown()
