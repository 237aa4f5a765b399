"""The timeline: lanes, level of detail, click/hover, the time-window region, the now line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from rtcc_desktop.model.timeutil import to_iso
from rtcc_desktop.store import open_store
from rtcc_desktop.ui.timeline import LANE_INDEX, Timeline

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _fill(db_path, n_reads=6000, n_shots=40, n_calls=30):
    store = open_store(db_path)
    reads = [
        {"source": "s", "source_id": f"r{i}", "time": to_iso(T0 + timedelta(seconds=i * 2)), "plate": f"P{i:05d}",
         "camera": "CAM-1", "lat": 47.6, "lon": -122.3}
        for i in range(n_reads)
    ]
    store.upsert("alpr", reads)
    store.upsert("gunshot", [
        {"source": "s", "source_id": f"g{i}", "time": to_iso(T0 + timedelta(minutes=5 * i)), "lat": 47.6, "lon": -122.3, "type": "Multiple Gunshots"}
        for i in range(n_shots)
    ])
    store.upsert("cad", [
        {"source": "s", "source_id": f"c{i}", "time": to_iso(T0 + timedelta(minutes=7 * i, seconds=30)), "priority": str(1 + i % 3),
         "type": "SHOTS FIRED", "address": f"{i} PIKE ST"}
        for i in range(n_calls)
    ])
    return store


@pytest.fixture
def filled(tmp_path):
    path = tmp_path / "cache.sqlite"
    _fill(path).close()
    return path


@pytest.fixture
def timeline(qtbot, filled):
    clock = Clock(T0 + timedelta(hours=5))
    tl = Timeline(db_path=filled, max_items=500, nbins=200, clock=clock)
    tl.clock = clock
    qtbot.addWidget(tl)
    tl.resize(1000, 360)
    tl.show()
    qtbot.waitExposed(tl)
    yield tl
    tl.shutdown()


def _show(qtbot, tl, a, b):
    with qtbot.waitSignal(tl.dataDrawn, timeout=10_000):
        tl.set_range(a, b)
    # a fetch for an older range may still be drawn; wait until the one for this view is
    qtbot.waitUntil(lambda: tl._data is not None and (tl._data.t0, tl._data.t1) == tl.x_range(), timeout=10_000)


def test_zoomed_out_draws_density_zoomed_in_draws_events(qtbot, timeline):
    tl = timeline
    tl.set_follow(False)
    _show(qtbot, tl, T0 - timedelta(hours=1), T0 + timedelta(hours=5))
    alpr = tl._data.lanes["alpr"]
    assert alpr.mode == "bins" and alpr.total == 6000 and int(alpr.counts.sum()) == 6000
    assert tl._data.lanes["gunshot"].mode == "items"  # 40 shots: few enough to draw each one
    assert "density" in tl.status.text()

    _show(qtbot, tl, T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))
    alpr = tl._data.lanes["alpr"]
    assert alpr.mode == "items"
    assert 290 <= len(alpr.refs) <= 301  # one read every 2 s for 10 minutes
    assert all(ref.startswith("alpr:") for ref in alpr.refs)
    assert list(alpr.xs) == sorted(alpr.xs)
    assert tl._data.lanes["hotlist"].mode == "empty"


def test_clicking_an_event_selects_it(qtbot, timeline):
    tl = timeline
    tl.set_follow(False)
    _show(qtbot, tl, T0 - timedelta(minutes=10), T0 + timedelta(minutes=80))
    shots = tl._data.lanes["gunshot"]
    x, y = float(shots.xs[3]), float(LANE_INDEX["gunshot"])
    scene = tl.view.mapViewToScene(QPointF(x, y))
    pos = tl.plot.mapFromScene(scene)
    with qtbot.waitSignal(tl.recordSelected, timeout=5000) as sig:
        qtbot.mouseClick(tl.plot.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert sig.args == [shots.refs[3]]
    assert tl.highlight.data.size == 1


def test_hover_summarises_an_event_or_a_density_bar(qtbot, timeline):
    tl = timeline
    tl.set_follow(False)
    _show(qtbot, tl, T0 - timedelta(minutes=10), T0 + timedelta(minutes=80))
    cad = tl._data.lanes["cad"]
    text = tl.describe_at(float(cad.xs[2]), LANE_INDEX["cad"])
    assert "SHOTS FIRED" in text and "2 PIKE ST" in text and "P3" in text
    assert tl.describe_at(float(cad.xs[2]), LANE_INDEX["cad"] + 0.5) == ""  # between lanes
    _show(qtbot, tl, T0 - timedelta(hours=1), T0 + timedelta(hours=5))
    bars = tl._data.lanes["alpr"]
    i = int(bars.counts.argmax())
    assert f"{int(bars.counts[i]):,} between" in tl.describe_at(float(bars.xs[i] + bars.width / 2), LANE_INDEX["alpr"])


def _send(widget, kind, pos, buttons):
    ev = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.LeftButton,
                     buttons, Qt.KeyboardModifier.ShiftModifier)
    QApplication.sendEvent(widget, ev)


def test_shift_drag_sets_the_time_window(qtbot, timeline):
    tl = timeline
    tl.set_follow(False)
    _show(qtbot, tl, T0, T0 + timedelta(hours=2))
    vp = tl.plot.viewport()
    y = float(LANE_INDEX["alpr"])
    a = tl.plot.mapFromScene(tl.view.mapViewToScene(QPointF((T0 + timedelta(minutes=30)).timestamp(), y)))
    b = tl.plot.mapFromScene(tl.view.mapViewToScene(QPointF((T0 + timedelta(minutes=60)).timestamp(), y)))
    before = tl.x_range()
    with qtbot.waitSignal(tl.timeWindowSelected, timeout=5000) as sig:
        _send(vp, QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton)
        for k in range(1, 11):
            _send(vp, QEvent.Type.MouseMove, QPoint(a.x() + (b.x() - a.x()) * k // 10, a.y()), Qt.MouseButton.LeftButton)
        _send(vp, QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)
    since, until = sig.args
    assert abs((since - (T0 + timedelta(minutes=30))).total_seconds()) < 60
    assert abs((until - (T0 + timedelta(minutes=60))).total_seconds()) < 60
    assert tl.region.isVisible()
    assert tl.x_range() == pytest.approx(before)  # the drag set a window, it did not pan


def test_now_line_follows_the_clock_and_new_rows_appear(qtbot, timeline, filled):
    tl = timeline
    tl.set_follow(True)
    _show(qtbot, tl, tl.clock.now - timedelta(minutes=30), tl.clock.now + timedelta(minutes=1))
    a0, b0 = tl.x_range()
    tl.clock.now += timedelta(minutes=3)
    tl._on_tick()
    assert tl.now_line.value() == pytest.approx(tl.clock.now.timestamp())
    a1, b1 = tl.x_range()
    assert a1 - a0 == pytest.approx(180, abs=1) and b1 - b0 == pytest.approx(180, abs=1)

    store = open_store(filled)
    try:
        store.upsert("gunshot", [{"source": "s", "source_id": "late", "time": to_iso(tl.clock.now - timedelta(minutes=1)),
                                  "lat": 47.6, "lon": -122.3, "type": "Single Gunshot"}])
    finally:
        store.close()
    tl.on_store_changed("gunshot", 0)
    qtbot.waitUntil(lambda: tl._data.lanes["gunshot"].total == 1, timeout=10_000)
    assert "Single Gunshot" in tl._data.lanes["gunshot"].texts[0]


def test_panning_into_the_past_stops_following(qtbot, timeline):
    tl = timeline
    tl.set_follow(True)
    now = tl.clock.now
    tl.set_range(now - timedelta(days=3), now - timedelta(days=2))
    tl._manual_range()
    assert not tl.follow.isChecked()
    tl._on_tick()
    assert tl.x_range()[1] == pytest.approx((now - timedelta(days=2)).timestamp())


def test_hotlist_hits_lane_from_alerts_and_camera_events(qtbot, tmp_path):
    from rtcc_desktop.analysis import alerts as A
    from rtcc_desktop.analysis import hotlist as H

    path = tmp_path / "hits.sqlite"
    store = _fill(path, n_reads=0, n_shots=0, n_calls=0)
    H.import_hotlist_text(store, "plate\n" + "\n".join(f"P{i:05d}" for i in range(0, 1200, 2)), "bolo")
    engine = A.AlertEngine(store)
    store.upsert("alpr", [{"source": "s", "source_id": f"r{i}", "time": to_iso(T0 + timedelta(seconds=i * 6)),
                           "plate": f"P{i:05d}", "camera": "CAM-1"} for i in range(1200)])
    assert len(engine.process()) == 600
    store.close()
    tl = Timeline(db_path=path, max_items=500, nbins=200, clock=Clock(T0 + timedelta(hours=5)))
    qtbot.addWidget(tl)
    tl.resize(1000, 360)
    tl.show()
    try:
        tl.set_follow(False)
        _show(qtbot, tl, T0 - timedelta(minutes=10), T0 + timedelta(hours=3))
        hits = tl._data.lanes["hotlist"]
        assert hits.mode == "bins" and hits.total == 600 and int(hits.counts.sum()) == 600
        _show(qtbot, tl, T0, T0 + timedelta(minutes=10))
        hits = tl._data.lanes["hotlist"]
        assert hits.mode == "items" and len(hits.refs) == 51  # a hit every 12 s, both ends in view
        assert all(r.startswith("alpr:") for r in hits.refs)
        assert "Hot list bolo" in tl.describe_at(float(hits.xs[0]), LANE_INDEX["hotlist"])
        tl.add_camera_event(T0 + timedelta(minutes=5), "camera:7", "stream lost")
        qtbot.waitUntil(lambda: tl._data.lanes["camera"].refs == ["camera:7"], timeout=10_000)
        assert "stream lost" in tl.describe_at((T0 + timedelta(minutes=5)).timestamp(), LANE_INDEX["camera"])
    finally:
        tl.shutdown()
