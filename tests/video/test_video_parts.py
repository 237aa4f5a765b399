"""The small pure parts of capture: source kinds, layouts, saved views, backoff, fps."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from rtcc_desktop.video.backoff import Backoff
from rtcc_desktop.video.frames import fit_size, shrink, to_display
from rtcc_desktop.video.layouts import LAYOUTS, layout_for_count
from rtcc_desktop.video.masks import PrivacyMask
from rtcc_desktop.video.slot import FrameSlot
from rtcc_desktop.video.sources import camera_urls, classify, needs_request
from rtcc_desktop.video.stats import FpsMeter
from rtcc_desktop.video.views import SavedView, Tour, ViewsError, ViewStore, camera_key


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("rtsp://10.0.0.5:554/Streaming/Channels/102", "rtsp"),
        ("rtsps://cam.example/live", "rtsp"),
        ("http://10.0.0.5/axis-cgi/mjpg/video.cgi", "mjpeg"),
        ("https://511ga.org/cams/live/123.m3u8", "hls"),
        ("https://dot.example/cams/123.JPG", "snapshot"),
        ("http://10.0.0.5/snap.jpeg?ts=1", "snapshot"),
        ("/data/clips/a.mp4", "file"),
        ("file:///data/clips/a.mp4", "file"),
        (0, "device"),
        ("2", "device"),
    ],
)
def test_source_kinds(target, kind):
    assert classify(target).kind == kind


def test_unsupported_sources_are_refused():
    with pytest.raises(ValueError):
        classify("gopher://x/y")
    with pytest.raises(ValueError):
        classify("  ")


def test_camera_urls_prefer_substream_in_grid_and_main_when_maximised():
    cam = {"stream_url": "rtsp://h/main", "substream_url": "rtsp://h/sub", "snapshot_url": "http://h/s.jpg"}
    assert camera_urls(cam) == ("rtsp://h/sub", "rtsp://h/main")
    assert camera_urls({"stream_url": "rtsp://h/main"}) == ("rtsp://h/main", "rtsp://h/main")
    assert camera_urls({"snapshot_url": "http://h/s.jpg", "stream_url": " "}) == ("http://h/s.jpg", "http://h/s.jpg")
    assert camera_urls({"name": "nothing"}) == (None, None)
    assert needs_request({"access": "request"}) and not needs_request({"access": "live"})


def test_layouts_and_the_layout_that_fits():
    assert {n: lay.size for n, lay in LAYOUTS.items()} == {
        "1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "1+5": 6, "1+7": 8, "5x5": 25, "6x6": 36,
    }
    # 1+5: the big tile spans 2x2 of a 3x3 grid; every other cell is used once.
    for layout in LAYOUTS.values():
        covered = [(c.row + dr, c.col + dc) for c in layout.cells for dr in range(c.rowspan) for dc in range(c.colspan)]
        assert sorted(covered) == [(r, c) for r in range(layout.rows) for c in range(layout.cols)]
    assert [layout_for_count(n) for n in (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 16, 17, 36, 50)] == [
        "1", "1", "2x2", "2x2", "1+5", "1+5", "1+7", "1+7", "3x3", "4x4", "4x4", "5x5", "6x6", "6x6",
    ]


def test_fit_and_shrink_keep_aspect():
    assert fit_size(768, 432, 320, 320) == (320, 180)
    assert fit_size(640, 360, 400, 100) == (177, 100)
    assert fit_size(768, 432, 0, 10) == (0, 0)
    frame = np.random.default_rng(1).integers(0, 255, (432, 768, 3), dtype=np.uint8)
    assert shrink(frame, 465, 262).shape == (262, 465, 3)
    assert shrink(frame, 192, 108).shape == (108, 192, 3)  # exact 4x: one INTER_AREA pass
    assert shrink(frame, 1536, 864).shape == (864, 1536, 3)  # enlarging
    assert to_display(frame, (320, 320)).shape == (180, 320, 4)
    assert (to_display(frame, None)[..., 3] == 255).all()  # opaque alpha: Qt's RGB32
    # A flat grey stays the same grey whichever way it is shrunk.
    grey = np.full((432, 768, 3), 77, np.uint8)
    assert (shrink(grey, 300, 168) == 77).all() and (shrink(grey, 300, 168, exact_area=True) == 77).all()


def test_mask_scales_with_frame_size():
    mask = PrivacyMask([[[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]]])
    for h, w in ((100, 200), (360, 640)):
        frame = np.full((h, w, 3), 200, np.uint8)
        mask.apply(frame)
        assert not frame[h // 2 + 1 :, w // 2 + 1 :].any()
        assert (frame[: h // 2 - 1] == 200).all()
    assert not PrivacyMask(None) and not PrivacyMask("garbage")


def test_slot_counts_frames_nobody_took():
    slot = FrameSlot()
    img = np.zeros((2, 2, 4), np.uint8)
    assert slot.take() is None and slot.seq == 0
    slot.put(img, 1.0, 1.0)
    slot.put(img, 2.0, 2.0)  # frame 1 never taken: dropped
    frame = slot.take()
    assert frame.seq == 2 and slot.overwritten == 1
    assert slot.take(frame.seq) is None
    slot.put(img, 3.0, 3.0)  # frame 2 was taken: not a drop
    assert slot.overwritten == 1
    slot.clear()
    slot.put(img, 4.0, 4.0)
    assert slot.seq == 4  # sequence never goes back, so readers never miss a frame


def test_backoff_grows_with_jitter_and_caps():
    backoff = Backoff(1.0, 8.0, random.Random(3))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings))
    assert len(set(delays)) == len(delays)  # jittered
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_fps_meter_smooths_and_decays():
    meter = FpsMeter(0.2)
    for i in range(50):
        meter.tick(i * 0.08)  # 12.5 fps
    assert meter.fps(49 * 0.08) == pytest.approx(12.5, rel=0.01)
    assert meter.fps(49 * 0.08 + 1.0) == pytest.approx(1.0, rel=0.01)  # nothing for a second


def test_views_file_round_trip_and_validation(tmp_path):
    path = tmp_path / "views.json"
    store = ViewStore(path)
    store.put_view(SavedView("Main St", "2x2", ["camera:1", None, "camera:3", "camera:4", "camera:5"]))
    store.put_view(SavedView("Park", "1", ["camera:9"]))
    store.put_tour(Tour("Night", ["Main St", "Park"], 15))
    store.save()
    again = ViewStore(path)
    again.load()
    assert again.views["Main St"].cameras == ["camera:1", None, "camera:3", "camera:4"]  # cut to the layout
    assert again.tours["Night"].dwell_s == 15.0
    with pytest.raises(ViewsError):
        again.put_view(SavedView("x", "9x9"))
    with pytest.raises(ViewsError):
        again.put_tour(Tour("bad", ["nope"], 10))
    with pytest.raises(ViewsError):
        again.put_tour(Tour("fast", ["Park"], 0.1))
    again.remove_view("Park")  # tours that used it shrink
    assert again.tours["Night"].views == ["Main St"]
    assert camera_key({"id": 4, "name": "x"}) == "camera:4"
    assert camera_key({"source": "gdot", "source_id": "CCTV-9"}) == "gdot:CCTV-9"
    assert camera_key({"name": "Front"}) == "name:Front"


def test_broken_views_file_is_kept_not_overwritten(tmp_path):
    path = tmp_path / "views.json"
    path.write_text("{ this is not json")
    store = ViewStore(path)
    store.load()
    assert store.load_error and store.views == {}
    store.put_view(SavedView("A", "1", ["camera:1"]))
    store.save()
    assert (tmp_path / "views.json.broken").read_text() == "{ this is not json"
    assert json.loads(path.read_text())["views"]["A"]["layout"] == "1"
