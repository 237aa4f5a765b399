"""Wall mode as a supervisor sees it: figures from a real store, STALE marks, the kiosk lock, the map following."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from PySide6.QtCore import Qt  # noqa: E402
from wall_helpers import PIN, FakeClock, ago, config, fill_store, layout, rec  # noqa: E402

from rtcc_desktop.tiles import TileSource  # noqa: E402
from rtcc_desktop.ui import wall as wall_mod  # noqa: E402
from rtcc_desktop.ui.testing import wait_until  # noqa: E402
from rtcc_desktop.ui.wall import WallWindow  # noqa: E402

EXIT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Any]:
    store = fill_store(tmp_path / "wall.sqlite")
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_wall(qtbot: Any, db: Any, tiles: TileSource, clock: FakeClock, tmp_path: Path) -> Iterator[Any]:
    walls: list[WallWindow] = []

    def make(**kw: Any) -> WallWindow:
        kw.setdefault("layout", layout())
        kw.setdefault("video", False)
        w = WallWindow(db.path, config=config(), tile_source=tiles, clock=clock, tz=timezone.utc,
                       views_path=tmp_path / "views.json", **kw)
        walls.append(w)
        w.show(full_screen=False, size=(1600, 900))
        assert wait_until(lambda: w.figures is not None, 20), f"no figures: {w.last_error}"
        return w

    yield make
    for w in walls:
        w.close()


def strip_of(wall: WallWindow) -> Any:
    return wall.strips[0]


def test_strip_shows_the_figures_of_the_store(make_wall: Any) -> None:
    wall = make_wall()
    s = strip_of(wall)
    assert [s.cad.prio[k].text() for k in ("p1", "p2", "p3", "p4")] == ["3", "1", "0", "1"]
    assert "5 IN 4 H" in s.cad.caption.text()
    assert (s.g1.value.text(), s.g24.value.text(), s.hot.value.text()) == ("2", "3", "3")
    assert not any(t.stale for t in s.tiles().values())
    rows = {name: label.text() for name, label in s.feeds.rows.items()}
    assert rows["shots"].startswith("● shots  OK")
    assert s.clock_label.text().startswith("15:00:00")  # the injected clock, not the machine's


def test_stale_feed_is_marked_in_plain_sight_and_clears_by_itself(make_wall: Any, db: Any, clock: FakeClock, qtbot: Any) -> None:
    wall = make_wall()
    s = strip_of(wall)
    clock.advance(300)  # shots synced 310 s ago; limit 60 s x 3
    db.update_feed_health("cad-live", last_success=ago(1, clock.now))
    db.update_feed_health("plates", last_success=ago(1, clock.now))
    with qtbot.waitSignal(wall.figures_updated, timeout=10000):
        wall.refresh_now()
    assert s.g1.stale and s.g24.stale and not s.cad.stale and not s.hot.stale
    assert s.g1.banner.isVisible() and s.g1.banner.text() == "STALE · shots behind"
    assert s.g1.value.text() == "2"  # the last value stays on the wall, marked
    assert s.feeds.rows["shots"].text() == "● shots  STALE 5 min"
    assert s.feeds.rows["shots"].property("state") == "stale"
    assert s.feeds.rows["cad-live"].property("state") == "ok"

    db.update_feed_health("shots", last_success=ago(2, clock.now))  # the feed recovers
    with qtbot.waitSignal(wall.figures_updated, timeout=10000):
        wall.refresh_now()
    assert not s.g1.stale and not s.g1.banner.isVisible()
    assert s.feeds.rows["shots"].property("state") == "ok" and not s.feeds.stale


def test_figures_stay_marked_when_the_store_cannot_be_read(make_wall: Any, clock: FakeClock, qtbot: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    wall = make_wall(layout=layout(refresh_s=10))
    s = strip_of(wall)

    def broken(*_a: Any, **_k: Any) -> Any:
        raise OSError("disk I/O error")

    monkeypatch.setattr(wall_mod, "compute_figures", broken)
    clock.advance(45)  # more than 3 refreshes of 10 s without an answer
    wall.refresh_now()
    assert wait_until(lambda: wall.last_error is not None, 10)
    wall._mark_outdated()
    assert s.g24.value.text() == "3" and s.g24.stale
    assert "figures not updated for 45 s: OSError: disk I/O error" in s.g24.banner.text()


def test_escape_and_window_close_do_nothing(make_wall: Any, qtbot: Any) -> None:
    wall = make_wall()
    win = wall.windows[0]
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    qtbot.keyClick(win, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    win.close()
    qtbot.wait(50)
    assert win.isVisible() and not wall.closed and wall.pin_dialog is None
    assert wall._guard.swallowed >= 2


def test_wrong_pin_keeps_the_wall_and_the_right_pin_leaves(make_wall: Any, qtbot: Any) -> None:
    wall = make_wall()
    qtbot.keyClick(wall.windows[0], Qt.Key.Key_Q, EXIT)
    dlg = wall.pin_dialog
    assert dlg is not None and dlg.isVisible() and dlg.has_pin

    qtbot.keyClicks(dlg.edit, "0000")
    qtbot.mouseClick(dlg.ok, Qt.MouseButton.LeftButton)
    assert wait_until(lambda: "Wrong PIN (1 of 3)" in dlg.status.text(), 10)
    assert not wall.closed and wall.windows[0].isVisible() and dlg.edit.text() == ""

    assert wait_until(lambda: dlg.ok.isEnabled(), 5)
    qtbot.keyClicks(dlg.edit, PIN)
    assert dlg.edit.text() == PIN
    with qtbot.waitSignal(wall.left, timeout=10000):
        qtbot.keyClick(dlg.edit, Qt.Key.Key_Return)
    assert wall.closed


def test_repeated_wrong_pins_lock_the_dialog_out(make_wall: Any, qtbot: Any) -> None:
    wall = make_wall()
    qtbot.keyClick(wall.windows[0], Qt.Key.Key_Q, EXIT)
    dlg = wall.pin_dialog
    for i in range(1, 4):
        assert wait_until(lambda: dlg.ok.isEnabled(), 5)
        qtbot.keyClicks(dlg.edit, "9999")
        qtbot.keyClick(dlg.edit, Qt.Key.Key_Return)
        assert wait_until(lambda i=i: f"({i} of 3)" in dlg.status.text() or "try again" in dlg.status.text(), 10)
    assert "Too many wrong PINs: try again in" in dlg.status.text()
    assert not dlg.ok.isEnabled() and not dlg.edit.isEnabled()
    assert wall.lockout_left() > 500 and not wall.closed


def test_without_a_pin_the_exit_keys_ask_before_leaving(make_wall: Any, qtbot: Any) -> None:
    wall = make_wall(layout=layout(pin=False))
    assert "not locked" in strip_of(wall).notice.text()
    qtbot.keyClick(wall.windows[0], Qt.Key.Key_Q, EXIT)
    dlg = wall.pin_dialog
    assert dlg is not None and not dlg.has_pin
    qtbot.mouseClick(dlg.cancel, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert not wall.closed
    qtbot.keyClick(wall.windows[0], Qt.Key.Key_Q, EXIT)
    with qtbot.waitSignal(wall.left, timeout=10000):
        qtbot.mouseClick(wall.pin_dialog.ok, Qt.MouseButton.LeftButton)


def test_map_zooms_to_a_new_gunshot_and_the_ticker_shows_feed_text_as_text(make_wall: Any, db: Any, clock: FakeClock,
                                                                          qtbot: Any) -> None:
    wall = make_wall()
    ticker = wall.tickers[0]
    assert ticker.texts()[0].startswith("14:55  GUNSHOT · 3 rounds · 10 Oak Ave")  # filled from the last day
    clock.advance(20)
    res = db.upsert("gunshot", [rec("gunshot", "g-live", time=ago(5, clock.now), rounds=6.0, address="<img src=x onerror=alert(1)>")])
    with qtbot.waitSignal(wall.map_moved, timeout=10000) as moved:
        wall.bus.notify_store_change("gunshot", res.max_rowid)
    assert moved.args == ["focus", f"gunshot:{res.max_rowid}"]
    assert wall.follower.current is not None and wall.follower.current.ref == f"gunshot:{res.max_rowid}"
    first = ticker.labels[0]
    assert first.textFormat() == Qt.TextFormat.PlainText
    assert first.full == "15:00  GUNSHOT · 6 rounds · <img src=x onerror=alert(1)>"
    assert wall.map_pane is not None and "GUNSHOT · 6 rounds" in wall.map_pane.banner.text()


def test_missing_tour_is_reported_on_its_screen(make_wall: Any) -> None:
    screens = ('[[wall.screens]]\nscreen = 1\nshow = "map"\nstrip = "bottom"\n'
               '[[wall.screens]]\nscreen = 2\nshow = "video"\ntour = "Night shift"\n')
    wall = make_wall(layout=layout(screens=screens), video=True)
    pane = wall.video_panes[2]
    assert pane.message.isVisible()
    assert "tour 'Night shift' is not saved in the video grid (saved tours: none)" in pane.message.text()
    assert any("Night shift" in p for p in wall.problems)


def test_two_monitors_get_a_window_each_and_one_picture(make_wall: Any, qtbot: Any) -> None:
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    screens = ('[[wall.screens]]\nscreen = 1\nshow = "map"\nstrip = "bottom"\n'
               '[[wall.screens]]\nscreen = 2\nshow = "video"\nauto = 4\nstrip = "right"\n')
    wall = make_wall(layout=layout(screens=screens), video=True, screens=[screen, screen])
    assert len(wall.windows) == 2 and not wall.notes
    assert len(wall.strips) == 2 and wall.strips[1].property("vertical") is True
    assert wall.strips[1].g24.value.text() == "3"  # both strips are fed
    img = wall.grab()
    # both windows sit at the same place on the one test screen: the picture covers the larger
    assert (img.width(), img.height()) == (max(w.width() for w in wall.windows), max(w.height() for w in wall.windows))


def test_open_wall_beside_the_analyst_window_and_back(qtbot: Any, db: Any, tiles: TileSource, clock: FakeClock,
                                                       tmp_path: Path) -> None:
    from rtcc_desktop.ui.app import temp_settings
    from rtcc_desktop.ui.main_window import MainWindow
    from rtcc_desktop.ui.testing import dispose
    from rtcc_desktop.ui.wall import open_wall

    mw = MainWindow(db.path, config=config(), tile_source=tiles, settings=temp_settings(tmp_path), video=False)
    try:
        wall = open_wall(mw, layout=layout(), clock=clock, full_screen=False, size=(1400, 800))
        assert wait_until(lambda: wall.figures is not None, 20)
        assert not mw.isVisible()
        clock.advance(10)
        res = db.upsert("gunshot", [rec("gunshot", "g-mw", time=ago(2, clock.now), rounds=2.0)])
        with qtbot.waitSignal(wall.figures_updated, timeout=10000):
            mw.bus.notify_store_change("gunshot", res.max_rowid)  # the sync engine's notice reaches the wall
        assert wall.strips[0].g1.value.text() == "3"

        qtbot.keyClick(wall.windows[0], Qt.Key.Key_Q, EXIT)
        qtbot.keyClicks(wall.pin_dialog.edit, PIN)
        with qtbot.waitSignal(wall.left, timeout=10000):
            qtbot.keyClick(wall.pin_dialog.edit, Qt.Key.Key_Return)
        assert wait_until(lambda: wall.closed and mw.isVisible(), 5)  # the supervisor is back at the analyst window
    finally:
        dispose(mw)


def test_the_wall_map_outlines_the_active_geofences(make_wall: Any, db: Any, qtbot: Any) -> None:
    """Fences drawn at an analyst's console show on the wall; a disabled one does not."""
    from rtcc_desktop.analysis import geofence as G
    from rtcc_desktop.ui.testing import js_eval

    G.save_geofence(db, G.Geofence("School zone <b>", center=(33.61, -85.83), radius_m=400))
    G.save_geofence(db, G.Geofence("Old fence", center=(33.62, -85.84), radius_m=300, active=False))
    wall = make_wall()
    assert wall.map_view is not None
    assert wait_until(lambda: wall.map_view.is_ready, 30)

    def names() -> set[str]:
        return {f["name"] for f in js_eval(wall.map_view, "JSON.stringify(RTCC.fences())")}

    assert wait_until(lambda: names() == {"School zone <b>"}, 20), names()
    shown = js_eval(wall.map_view, "JSON.stringify(RTCC.fences())")
    assert shown[0]["label"] == "School zone <b>" and "&lt;b&gt;" in shown[0]["labelHtml"]  # text, not markup
