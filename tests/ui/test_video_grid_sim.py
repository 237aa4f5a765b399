"""The grid on the built-in simulator's cameras: what ``--demo`` shows a new user."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from rtcc_desktop.analysis.visibility import cameras_seeing
from rtcc_desktop.sim import Simulator
from rtcc_desktop.ui.video_grid import VideoGrid
from rtcc_desktop.video import CaptureOptions, StreamState

OPTIONS = CaptureOptions(open_timeout_s=3, read_timeout_s=3, stall_after_s=1, backoff_base_s=0.2, backoff_max_s=1)


def wait_until(predicate, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        QTest.qWait(10)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_simulator_streams_play_through_the_grid(qtbot, tmp_path):
    with Simulator(seed=7) as sim:
        cams = sim.cameras()
        live = [c for c in cams if c["access"] == "live" and c["ownership"] == "public"][:2]
        private = next(c for c in cams if c["access"] == "request")
        grid = VideoGrid(options=OPTIONS, views_path=tmp_path / "views.json", snapshot_dir=tmp_path, credential_lookup=None)
        qtbot.addWidget(grid)
        grid.resize(900, 560)
        grid.show()
        qtbot.waitExposed(grid)
        try:
            # Camera-to-incident: an incident right in front of the first camera.
            first = live[0]
            seen = [s for s in cameras_seeing(first["lat"], first["lon"], live + [private]) if s.in_view]
            assert seen[0].camera is first
            grid.show_cameras(live + [private])
            assert grid.layout_name == "2x2"
            tiles = grid.tiles()
            wait_until(lambda: all(t.stream.shown >= 5 for t in tiles[:2]), what="frames painted from both cameras")
            assert all(t.stream.state is StreamState.LIVE for t in tiles[:2])
            assert tiles[0].stream.last_frame().shape[:2] == (180, 320)  # the substream in the grid
            assert tiles[2].state_text() == f"REQUEST FOOTAGE\n{private['owner']}\n{private['contact']}"

            qtbot.mouseDClick(tiles[0], Qt.MouseButton.LeftButton)
            wait_until(lambda: tiles[0].stream.last_frame().shape[:2] == (360, 640), what="main stream when maximised")
            assert grid.snapshot() is not None
            health = grid.health()
            assert health["tiles"] == 4 and health["live"] >= 1 and not health["errors"]
        finally:
            assert grid.shutdown(5)
