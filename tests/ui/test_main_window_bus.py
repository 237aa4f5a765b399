"""The selection / time-window bus and the store worker that keeps queries off the GUI thread."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QThread

from rtcc_desktop.ui.bus import Bus, TimeWindow, parse_ref
from rtcc_desktop.ui.store_worker import StoreWorker

UTC = timezone.utc


def test_select_reaches_every_listener_and_rejects_malformed_refs(qtbot):
    bus = Bus()
    heard_a, heard_b = [], []
    bus.selected.connect(heard_a.append)
    bus.selected.connect(heard_b.append)
    assert bus.select("cad:12")
    assert heard_a == heard_b == ["cad:12"]
    assert bus.selection == "cad:12"
    for bad in ("cad:", "evil:1", "cad:1;alert(1)", "<img>", "", "camera:-1"):
        assert not bus.select(bad)
    assert heard_a == ["cad:12"]
    bus.clear_selection()
    assert heard_a == ["cad:12", ""]
    assert parse_ref(" gunshot:7 ") == ("gunshot", 7)


def test_time_window_presets_live_and_frozen(qtbot):
    bus = Bus()
    seen = []
    bus.window_changed.connect(seen.append)
    bus.set_preset("15m")
    assert bus.window.preset == "15m" and bus.window.live
    since, until = bus.window.bounds(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))
    assert since == datetime(2024, 5, 1, 11, 45, tzinfo=UTC) and until is None
    bus.set_live(False)
    frozen = bus.window
    assert not frozen.live and frozen.anchor is not None
    later = frozen.anchor + timedelta(hours=2)
    assert frozen.bounds(later)[1] == frozen.anchor  # frozen: the end does not move with the clock
    with pytest.raises(ValueError):
        bus.set_preset("3 weeks")
    assert [w.preset for w in seen] == ["15m", "15m"]


def test_custom_window_filters_by_time(qtbot):
    bus = Bus()
    start, end = datetime(2024, 1, 1, 0, 0, tzinfo=UTC), datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
    bus.set_custom(start, end)
    w = bus.window
    assert w.preset == "custom" and not w.live
    assert w.contains("2024-01-01T03:00:00Z")
    assert not w.contains("2024-01-01T07:00:00Z")
    assert w.contains(None)  # cameras have no time and always show
    with pytest.raises(ValueError):
        bus.set_custom(end, start)
    with pytest.raises(ValueError):
        bus.set_custom(datetime(2024, 1, 1), datetime(2024, 1, 2))
    bus.set_live(True)
    assert bus.window == TimeWindow(preset="24h", live=True)


def test_store_change_from_a_worker_thread_arrives_on_the_gui_thread(qtbot):
    bus = Bus()
    got = []
    bus.store_changed.connect(lambda kind, top: got.append((kind, top, QThread.currentThread())))
    t = threading.Thread(target=bus.notify_store_change, args=("cad", 42), name="rtcc-test-notify")
    t.start()
    t.join()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    kind, top, thread = got[0]
    assert (kind, top) == ("cad", 42)
    assert thread is bus.thread()


class FakeStore:
    def __init__(self):
        self.thread = None
        self.closed = False

    def counts(self):
        self.thread = threading.current_thread().name
        return {"cad": 3}

    def close(self):
        self.closed = True


def test_store_worker_runs_jobs_in_order_on_one_thread_and_delivers_on_gui_thread(qtbot):
    store = FakeStore()
    worker = StoreWorker(opener=lambda: store, name="rtcc-store-test")
    results, threads = [], []

    def done(value):
        results.append(value)
        threads.append(QThread.currentThread())

    worker.submit(lambda s: s.counts(), done)
    worker.submit(lambda s: threading.current_thread().name, done)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
    assert results == [{"cad": 3}, "rtcc-store-test"]
    assert store.thread == "rtcc-store-test"
    assert all(t is worker.thread() for t in threads)
    worker.stop()
    assert not worker.alive and store.closed
    assert worker.submit(lambda s: 1) == 0


def test_store_worker_reports_errors_without_dying(qtbot):
    worker = StoreWorker(opener=FakeStore, name="rtcc-store-test")
    errors, failed, ok = [], [], []
    worker.failed.connect(lambda what, msg: failed.append((what, msg)))

    def boom(_store):
        raise RuntimeError("disk on fire")

    worker.submit(boom, on_error=errors.append)
    worker.submit(boom, what="unhandled")
    worker.submit(lambda s: "still alive", ok.append)
    qtbot.waitUntil(lambda: bool(ok), timeout=5000)
    assert isinstance(errors[0], RuntimeError)
    assert failed == [("unhandled", "disk on fire")]
    worker.stop()


def test_store_worker_with_a_store_that_cannot_open(qtbot):
    def bad_open():
        raise OSError("no such database")

    worker = StoreWorker(opener=bad_open, name="rtcc-store-test")
    errors = []
    worker.submit(lambda s: s.counts(), on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "no such database" in str(errors[0])
    worker.stop()
