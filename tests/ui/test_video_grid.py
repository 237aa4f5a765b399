"""The video grid as an analyst uses it: layouts, real video, maximise, drops, views.

Cameras here play the real clips (local files paced at their own frame rate,
like live cameras) or point at loopback ports; the grid runs offscreen.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "video"))
from mjpeg_server import MjpegServer, encode_clip, free_port  # noqa: E402
from video_helpers import BOTTLE, CAR, FAST, PERSON, clip  # noqa: E402

from rtcc_desktop.analysis.visibility import cameras_seeing  # noqa: E402
from rtcc_desktop.ui.video_grid import CAMERA_MIME, VideoGrid  # noqa: E402
from rtcc_desktop.video import StreamState  # noqa: E402
from rtcc_desktop.video.snapshot import SNAPSHOT_ACTION, verify_snapshot  # noqa: E402

S = StreamState


def wait_until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    """Poll ``predicate`` while Qt keeps painting; fail (not hang) after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        QTest.qWait(10)
    raise AssertionError(f"timed out waiting for {what}")


def file_camera(realdata, i: int, name: str = CAR, sub: str | None = None, **extra) -> dict:
    cam = {"id": i, "name": f"Cam {i}", "stream_url": str(clip(realdata, name)), "access": "live", **extra}
    if sub:
        cam["substream_url"] = str(clip(realdata, sub))
    return cam


def request_camera(i: int) -> dict:
    return {
        "id": 100 + i,
        "name": f"Store {i}",
        "stream_url": "rtsp://127.0.0.1:9/live",
        "access": "request",
        "ownership": "private",
        "owner": "Ann's Market",
        "contact": "+1 256 555 0100",
    }


@pytest.fixture
def make_grid(qtbot, tmp_path):
    grids: list[VideoGrid] = []

    def make(**kwargs) -> VideoGrid:
        kwargs.setdefault("views_path", tmp_path / "views.json")
        kwargs.setdefault("snapshot_dir", tmp_path / "snapshots")
        kwargs.setdefault("options", FAST)
        grid = VideoGrid(**kwargs)
        qtbot.addWidget(grid)
        grid.resize(960, 600)
        grid.show()
        qtbot.waitExposed(grid)
        grids.append(grid)
        return grid

    yield make
    for grid in grids:
        assert grid.shutdown(5)


def visible_tiles(grid: VideoGrid) -> list[int]:
    return [t.index for t in grid._tiles if t.isVisible()]


def video_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("rtcc-video-") and t.is_alive()]


def test_layouts_switch_from_toolbar_and_keyboard(make_grid, qtbot):
    grid = make_grid()
    for name, size in [("1", 1), ("3x3", 9), ("4x4", 16), ("1+5", 6), ("1+7", 8), ("2x2", 4), ("6x6", 36)]:
        grid.set_layout(name)
        assert grid.layout_name == name
        assert len(visible_tiles(grid)) == size
    grid._layout_actions["1+5"].trigger()  # the toolbar button
    assert grid.layout_name == "1+5"
    qtbot.wait(20)
    big, small = grid.tile(0), grid.tile(1)
    assert big.width() > 1.8 * small.width() and big.height() > 1.8 * small.height()
    grid.activateWindow()
    grid.tile(0).setFocus()
    for key, name in [(Qt.Key.Key_4, "4x4"), (Qt.Key.Key_1, "1"), (Qt.Key.Key_6, "1+7")]:
        qtbot.keyClick(grid.tile(0), key, Qt.KeyboardModifier.ControlModifier)
        assert grid.layout_name == name
    with pytest.raises(ValueError):
        grid.set_layout("7x7")


def test_show_cameras_picks_a_layout_that_fits(make_grid):
    grid = make_grid()
    for count, layout in [(1, "1"), (3, "2x2"), (5, "1+5"), (6, "1+5"), (7, "1+7"), (9, "3x3"), (12, "4x4")]:
        cams = [request_camera(i) for i in range(count)]
        grid.show_cameras(cams)
        assert grid.layout_name == layout
        assert [c["id"] if c else None for c in grid.cameras()][:count] == [c["id"] for c in cams]
        assert all(c is None for c in grid.cameras()[count:])


def test_show_cameras_takes_camera_to_incident_results(make_grid, realdata):
    # Incident at P; two cameras 0.001° south (111 m) look north at it, one looks away.
    P = (33.6140, -85.8350)
    near = file_camera(realdata, 1, lat=P[0] - 0.001, lon=P[1], heading=0, fov_deg=60, range_m=150)
    other = file_camera(realdata, 2, PERSON, lat=P[0] - 0.0005, lon=P[1], heading=0, fov_deg=60, range_m=150)
    away = request_camera(3) | {"lat": P[0] - 0.0002, "lon": P[1], "heading": 180, "fov_deg": 60}
    seen = [s for s in cameras_seeing(*P, [near, other, away]) if s.in_view]
    grid = make_grid()
    grid.show_cameras(seen)
    assert grid.layout_name == "2x2"
    assert [c["id"] if c else None for c in grid.cameras()] == [2, 1, None, None]  # nearest first
    wait_until(lambda: all(s.state is S.LIVE for s in grid.streams()), what="both live")


def test_tiles_paint_real_video_fitted_to_the_tile(make_grid, qtbot, realdata):
    grid = make_grid()
    grid.show_cameras([file_camera(realdata, i, (CAR, PERSON, BOTTLE)[i % 3]) for i in range(4)])
    wait_until(lambda: all(s.shown >= 3 for s in grid.streams()), what="3 frames painted per tile")
    wait_until(lambda: all(t._overlay[2].endswith("fps") for t in grid.tiles()), what="fps in every overlay")
    for tile in grid.tiles():
        frame = tile._frame
        h, w = frame.image.shape[:2]
        # Fitted by the capture thread: one side equals the tile's, aspect kept.
        assert w == tile.width() or h == tile.height()
        src_w = 640 if tile.stream.url.endswith(BOTTLE) else 768
        src_h = 360 if tile.stream.url.endswith(BOTTLE) else 432
        assert abs(w / h - src_w / src_h) < 0.02
        image = tile.grab().toImage()
        centre = image.pixelColor(tile.width() // 2, tile.height() // 2)
        assert centre.red() + centre.green() + centre.blue() > 30  # video, not the black background
        assert tile.state_text() == ""
        assert tile._overlay[0] == tile.stream.name


def test_double_click_maximises_on_main_stream_and_back(make_grid, qtbot, realdata):
    grid = make_grid()
    dual = file_camera(realdata, 1, CAR, sub=BOTTLE)  # main 768x432, substream 640x360
    other = file_camera(realdata, 2, PERSON)
    grid.show_cameras([dual, other])
    tile0, tile1 = grid.tile(0), grid.tile(1)
    wait_until(lambda: tile0.stream.last_frame() is not None, what="substream frame")
    assert tile0.stream.last_frame().shape[1] == 640

    qtbot.mouseDClick(tile0, Qt.MouseButton.LeftButton)
    assert grid.maximised == 0
    assert visible_tiles(grid) == [0]
    qtbot.wait(20)
    assert tile0.width() > 0.9 * grid._area.width()
    wait_until(lambda: tile0.stream.last_frame().shape[1] == 768, what="main stream")
    assert tile1.stream.state is S.PAUSED  # hidden tile stops decoding
    assert tile1.stream.join(5)

    qtbot.mouseDClick(tile0, Qt.MouseButton.LeftButton)
    assert grid.maximised is None
    assert len(visible_tiles(grid)) == 4
    wait_until(lambda: tile0.stream.last_frame().shape[1] == 640, what="substream again")
    wait_until(lambda: tile1.stream.state is S.LIVE, what="other tile live again")


def _drop(tile, mime: QMimeData) -> bool:
    """What Qt sends when a camera is dragged over a tile and released."""
    pos = QPointF(tile.width() / 2, tile.height() / 2)
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        enter = QDragEnterEvent(pos, *args)  # PySide6 >= 6.12
    except TypeError:
        enter = QDragEnterEvent(pos.toPoint(), *args)  # PySide6 6.11
    QApplication.sendEvent(tile, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(pos, *args)
    QApplication.sendEvent(tile, drop)
    return drop.isAccepted()


def test_drag_and_drop_a_camera_onto_a_tile(make_grid, realdata):
    grid = make_grid()
    grid.show_cameras([request_camera(1), request_camera(2)])
    camera = file_camera(realdata, 7, BOTTLE)
    mime = QMimeData()
    mime.setData(CAMERA_MIME, json.dumps(camera).encode())
    assert _drop(grid.tile(2), mime)
    assert grid.cameras()[2]["id"] == 7
    wait_until(lambda: grid.tile(2).stream.state is S.LIVE, what="dropped camera live")

    # Replacing a camera stops the old stream.
    replaced = grid.tile(2).stream
    mime2 = QMimeData()
    mime2.setData(CAMERA_MIME, json.dumps(file_camera(realdata, 8, CAR)).encode())
    assert _drop(grid.tile(2), mime2)
    assert grid.cameras()[2]["id"] == 8
    assert replaced.join(5) and replaced.state is S.STOPPED

    # Not a camera: other MIME types are refused, broken JSON is ignored.
    text = QMimeData()
    text.setText("hello")
    assert not _drop(grid.tile(3), text)
    broken = QMimeData()
    broken.setData(CAMERA_MIME, b"{not json")
    assert not _drop(grid.tile(3), broken)
    assert grid.cameras()[3] is None


def test_tile_state_text_for_each_situation(make_grid, realdata):
    grid = make_grid()
    dead = {"id": 50, "name": "Dead", "stream_url": f"http://127.0.0.1:{free_port()}/video.mjpg"}
    grid.show_cameras([request_camera(1), dead, file_camera(realdata, 3)])
    req, dead_tile, live_tile, empty = grid.tiles()
    assert req.state_text() == "REQUEST FOOTAGE\nAnn's Market\n+1 256 555 0100"
    assert not req.stream.running
    assert empty.state_text() == "Drop a camera here"
    wait_until(lambda: dead_tile.state_text() == "OFFLINE", what="dead camera offline")
    assert S.RECONNECTING in dead_tile.stream.seen_states()  # it said RECONNECTING… first
    wait_until(lambda: live_tile.stream.state is S.LIVE, what="live")
    assert live_tile.state_text() == ""
    # The overlay the analyst sees carries the same words.
    wait_until(lambda: dead_tile._overlay[3] == "OFFLINE", what="overlay refresh")
    assert dead_tile._overlay[0] == "Dead"


def test_hidden_or_minimised_grid_stops_decoding(make_grid, qtbot, realdata):
    grid = make_grid()
    grid.show_cameras([file_camera(realdata, i, (CAR, BOTTLE)[i % 2]) for i in range(3)])
    wait_until(lambda: all(s.state is S.LIVE for s in grid.streams()), what="all live")

    grid.set_layout("1")  # tiles 1 and 2 leave the screen
    assert [grid.tile(i).stream.state for i in (1, 2)] == [S.PAUSED, S.PAUSED]
    assert grid.tile(0).stream.state is S.LIVE
    grid.set_layout("2x2")
    wait_until(lambda: all(s.state is S.LIVE for s in grid.streams()), what="live again")

    grid.hide()
    streams = grid.streams()
    assert all(s.state is S.PAUSED for s in streams)
    assert all(s.join(5) for s in streams)
    assert video_threads() == []
    frozen = [s.captured for s in streams]
    time.sleep(0.3)
    assert [s.captured for s in streams] == frozen
    grid.show()
    wait_until(lambda: all(s.state is S.LIVE and s.captured > n for s, n in zip(streams, frozen)), what="resumed")

    grid.setWindowState(Qt.WindowState.WindowMinimized)
    wait_until(lambda: all(s.state is S.PAUSED for s in streams), what="paused when minimised")
    grid.setWindowState(Qt.WindowState.WindowNoState)
    wait_until(lambda: all(s.state is S.LIVE for s in streams), what="live when restored")


def test_saved_views_and_tours_survive_a_restart(make_grid, qtbot, realdata, tmp_path):
    cams = {c["id"]: c for c in [file_camera(realdata, 1), file_camera(realdata, 2, BOTTLE), request_camera(3)]}
    grid = make_grid()
    grid.show_cameras([cams[1], cams[103]])
    grid.save_view("North side")
    grid.show_cameras([cams[2]])
    grid.save_view("Bottle shop")
    grid.save_tour("Night round", ["North side", "Bottle shop"], 1.0)
    saved = json.loads((tmp_path / "views.json").read_text())
    assert saved["views"]["North side"] == {"layout": "2x2", "cameras": ["camera:1", "camera:103", None, None]}
    assert saved["tours"]["Night round"] == {"views": ["North side", "Bottle shop"], "dwell_s": 1.0}
    assert grid.shutdown(5)

    resolver = lambda key: cams.get(int(key.split(":")[1]))  # noqa: E731 - what the app does with store.get
    again = make_grid(camera_resolver=resolver)
    assert again.view_names() == ["Bottle shop", "North side"]
    assert again.apply_view("North side")
    assert again.layout_name == "2x2"
    assert [c["id"] if c else None for c in again.cameras()] == [1, 103, None, None]

    assert again.start_tour("Night round")
    wait_until(lambda: again.layout_name == "1", what="tour moves to the second view")
    wait_until(lambda: again.layout_name == "2x2", what="tour comes back round")
    again.show_cameras([cams[2]])  # the analyst picks an incident: the tour stops
    assert again.touring is None
    assert not again.apply_view("No such view")


def test_snapshot_from_a_tile_is_saved_hashed_and_audited(make_grid, realdata, tmp_path):
    audits = []
    grid = make_grid(audit=lambda action, params: audits.append((action, params)))
    mask = [[[0, 0], [1, 0], [1, 0.5], [0, 0.5]]]  # top half is private
    grid.show_cameras([file_camera(realdata, 1, privacy_masks=mask)])
    saved = []
    grid.snapshotSaved.connect(saved.append)
    wait_until(lambda: grid.tile(0).stream.last_frame() is not None, what="a frame")
    path = grid.snapshot(0)
    assert path is not None and verify_snapshot(path)
    assert saved == [str(path)]
    assert audits[0][0] == SNAPSHOT_ACTION and audits[0][1]["camera_id"] == 1
    import cv2

    image = cv2.imread(str(path))
    assert not image[:210].any() and image[230:].std() > 5
    # The tile shows the same mask.
    wait_until(lambda: grid.tile(0)._frame is not None, what="a painted frame")
    tile_frame = grid.tile(0)._frame.image
    assert not tile_frame[: tile_frame.shape[0] // 2 - 2, :, :3].any()
    # No camera, no file.
    assert grid.snapshot(3) is None


def test_health_for_the_self_test(make_grid, realdata):
    grid = make_grid()
    dead = {"id": 9, "name": "Dead", "stream_url": f"http://127.0.0.1:{free_port()}/x.mjpg"}
    grid.show_cameras([file_camera(realdata, 1), dead, request_camera(2)])
    wait_until(
        lambda: grid.health()["live"] == 1 and grid.health()["errors"] and grid.health()["fps"][0] > 0,
        what="one live with a frame rate, one error",
    )
    health = grid.health()
    assert health["tiles"] == 4 and health["layout"] == "2x2"
    assert health["fps"][0] > 0 and health["fps"][3] is None
    assert health["states"][2] == "request_footage" and health["states"][3] == "empty"
    assert health["errors"][0]["camera"] == "Dead" and health["errors"][0]["tile"] == 1
    json.dumps(health)  # the self-test prints it as JSON


def test_paint_observer_sees_every_painted_frame_once(make_grid, realdata):
    painted = []
    grid = make_grid()
    grid.set_paint_observer(lambda tile, stream, frame, at: painted.append((tile, frame.seq, at - frame.captured)))
    grid.show_cameras([file_camera(realdata, 1, BOTTLE)])
    wait_until(lambda: len(painted) >= 10, what="ten painted frames")
    seqs = [seq for tile, seq, _ in painted if tile == 0]
    assert seqs == sorted(set(seqs))  # each new frame reported once, in order
    assert all(latency >= 0 for *_, latency in painted)
    stats = grid.tile(0).stream.stats()
    assert stats.shown >= len(seqs) and stats.captured >= stats.shown


def test_mjpeg_cameras_play_through_the_grid(make_grid, realdata):
    frames = encode_clip(clip(realdata, CAR), 20)
    with MjpegServer(frames, fps=12.5) as a, MjpegServer(frames, fps=12.5) as b:
        grid = make_grid()
        grid.show_cameras(
            [{"id": 1, "name": "A", "stream_url": a.video_url}, {"id": 2, "name": "B", "stream_url": b.video_url}]
        )
        wait_until(lambda: all(s.shown >= 5 for s in grid.streams()), what="frames painted from both")
        assert grid.health()["live"] == 2
        assert grid.shutdown(5)
    assert video_threads() == []


def test_shutdown_stops_every_capture_thread(make_grid, realdata):
    grid = make_grid()
    grid.show_cameras([file_camera(realdata, i) for i in range(5)])
    wait_until(lambda: len(video_threads()) == 5, what="5 capture threads")
    grid.show_cameras([file_camera(realdata, 10)])  # 5 streams retired, 1 new
    grid.close()  # closeEvent → shutdown
    assert video_threads() == []
    assert all(s.state is S.STOPPED for s in grid.streams())
    assert grid.shutdown(1)  # idempotent
    grid.show_cameras([file_camera(realdata, 11)])  # ignored after shutdown
    assert video_threads() == []


def test_tile_clocks_show_the_centres_zone_not_the_machines(make_grid, realdata):
    """A console in UTC (a demo, a remote desktop) must still stamp video in the centre's time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    chicago, tokyo = ZoneInfo("America/Chicago"), ZoneInfo("Asia/Tokyo")
    grid = make_grid(tz=chicago)
    grid.show_cameras([file_camera(realdata, 1, CAR)])
    tile = grid.tile(0)
    wait_until(lambda: tile._frame is not None and tile._overlay[1], what="a frame with its clock")
    stamp = tile._frame.wall
    assert tile._overlay_texts()[1] == datetime.fromtimestamp(stamp, chicago).strftime("%H:%M:%S")
    grid.set_time_zone(tokyo)
    assert tile._overlay_texts()[1] == datetime.fromtimestamp(tile._frame.wall, tokyo).strftime("%H:%M:%S")
