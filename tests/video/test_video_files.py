"""Capture from the real clips: frames arrive resized, newest only, paced, masked."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time

import cv2
import numpy as np
import pytest
from video_helpers import BOTTLE, CAR, FAST, PERSON, clip, wait_until, write_short_clip

from rtcc_desktop.video import CaptureOptions, Stream, StreamState
from rtcc_desktop.video.readers import open_reader
from rtcc_desktop.video.snapshot import SNAPSHOT_ACTION, verify_snapshot


@pytest.mark.parametrize(
    ("name", "box", "expected"),
    [
        # 768x432 into 320x320: width limits, 320/768 = 0.4167 → 320x180.
        (CAR, (320, 320), (320, 180)),
        (PERSON, (320, 320), (320, 180)),
        # 640x360 into 400x100: height limits, 100/360 → 177.7 → 177x100.
        (BOTTLE, (400, 100), (177, 100)),
    ],
)
def test_file_frames_arrive_resized_to_the_tile_keeping_aspect(realdata, name, box, expected):
    stream = Stream(clip(realdata, name), options=FAST, target_size=box)
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 3, what="three frames")
        frame = stream.slot.take()
        assert frame is not None
        assert frame.image.shape == (expected[1], expected[0], 4)  # BGRA, fitted
        assert frame.image.flags["C_CONTIGUOUS"]
        assert frame.image[..., :3].std() > 5  # a real picture, not a flat fill
        assert stream.state is StreamState.LIVE
        # The full-size frame is kept for snapshots.
        assert stream.last_frame().shape[:2] == cv2.VideoCapture(str(clip(realdata, name))).read()[1].shape[:2]
    finally:
        assert stream.stop(5)


def test_slot_keeps_only_the_newest_frame(realdata):
    stream = Stream(clip(realdata, BOTTLE), options=FAST, target_size=(160, 90))  # ~30 fps
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 1, what="first frame")
        first = stream.slot.take()
        wait_until(lambda: stream.slot.seq >= first.seq + 5, what="five more frames")
        newest_seq = stream.slot.seq
        frame = stream.slot.take(first.seq)
        # We get one frame, the newest: the ones in between were dropped, not queued.
        assert frame.seq >= newest_seq
        assert stream.slot.take(frame.seq) is None or stream.slot.seq > frame.seq
        assert stream.slot.overwritten >= 4
        assert stream.stats().dropped >= 4
    finally:
        assert stream.stop(5)


def test_file_is_paced_at_its_own_frame_rate_not_decoded_flat_out(realdata):
    # car-detection is 12.5 fps: decoding flat out would give hundreds of frames a second.
    stream = Stream(clip(realdata, CAR), options=FAST, target_size=(96, 54))
    stream.start()
    try:
        wait_until(lambda: stream.captured >= 1, what="first frame")
        t0, n0 = time.monotonic(), stream.captured
        wait_until(lambda: stream.captured >= n0 + 8, what="eight more frames")
        elapsed = time.monotonic() - t0
        # Never faster than native rate (+2 frames for timer slack); slower is allowed on a busy box.
        assert stream.captured - n0 <= elapsed * 12.5 + 2
    finally:
        assert stream.stop(5)


def test_play_once_file_ends_and_loop_file_wraps(realdata, tmp_path):
    short = write_short_clip(clip(realdata, CAR), tmp_path / "ten.avi", frames=10)
    once = Stream(short, options=FAST, loop=False, target_size=(160, 90))
    looped = Stream(short, options=FAST, loop=True, target_size=(160, 90))
    once.start()
    looped.start()
    try:
        wait_until(lambda: once.state is StreamState.ENDED, what="play-once file to end")
        assert once.captured == 10
        wait_until(lambda: looped.captured > 15, what="looping past the end")
        assert looped.state is StreamState.LIVE
        assert looped.reconnects == 0  # a loop rewinds; it is not a failure
    finally:
        assert once.stop(5) and looped.stop(5)


def test_privacy_mask_is_black_in_tile_frames_and_full_frames(realdata):
    # Left half of the picture is private: polygon (0,0)-(0.5,0)-(0.5,1)-(0,1).
    mask = [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]]
    stream = Stream(clip(realdata, CAR), options=FAST, masks=mask, target_size=(384, 216))
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 2, what="frames")
        tile = stream.slot.take().image
        full = stream.last_frame()
    finally:
        assert stream.stop(5)
    # 768x432 full frame: columns 0..383 hidden (x=0.5*768=384 is the edge).
    assert full.shape[:2] == (432, 768)
    assert not full[:, :380].any()
    assert full[:, 400:].std() > 5
    # 384x216 tile: columns 0..191 hidden.
    assert not tile[:, :190, :3].any()
    assert tile[:, 200:, :3].std() > 5


def test_bad_masks_are_ignored_without_stopping_video(realdata):
    masks = [[[0, 0], [1, 0]], "nonsense", [[0, 0], [2, 0], [2, 2]], [[0.9, 0.9], [1, 0.9], [1, 1], [0.9, 1]]]
    stream = Stream(clip(realdata, CAR), options=FAST, masks=masks, target_size=(768, 432))
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 1, what="a frame")
        full = stream.last_frame()
    finally:
        assert stream.stop(5)
    assert full[:200, :200].std() > 5  # the invalid polygons hid nothing
    assert not full[420:, 760:].any()  # the valid one (bottom-right corner) still applies


def test_snapshot_writes_png_and_its_sha256_and_audits(realdata, tmp_path):
    audits = []
    camera = {"id": 7, "name": "Quintard & 10th", "stream_url": str(clip(realdata, CAR)), "access": "live"}
    mask = [[[0, 0], [0.25, 0], [0.25, 0.25], [0, 0.25]]]
    stream = Stream(camera, options=FAST, masks=mask, target_size=(192, 108))
    stream.start()
    try:
        wait_until(lambda: stream.last_frame() is not None, what="a frame")
        path = stream.snapshot(tmp_path / "snaps", audit=lambda action, params: audits.append((action, params)))
    finally:
        assert stream.stop(5)
    assert path is not None and path.suffix == ".png"
    sha_file = path.with_name(path.name + ".sha256")
    digest, name = sha_file.read_text().split()
    assert name == path.name
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert verify_snapshot(path)
    image = cv2.imread(str(path))
    assert image.shape == (432, 768, 3)  # full size, not the tile size
    assert not image[:100, :180].any()  # masked corner (0.25*768=192, 0.25*432=108) is black
    assert image[200:, 300:].std() > 5
    assert audits == [(SNAPSHOT_ACTION, audits[0][1])]
    params = audits[0][1]
    assert params["sha256"] == digest and params["path"] == str(path) and params["camera_id"] == 7
    # Tampering is detectable.
    path.write_bytes(path.read_bytes() + b"x")
    assert not verify_snapshot(path)


def test_snapshot_without_a_frame_returns_none(tmp_path):
    stream = Stream({"name": "private", "stream_url": "rtsp://10.0.0.9/s", "access": "request"})
    assert stream.snapshot(tmp_path) is None
    assert not list(tmp_path.iterdir())


def test_pause_releases_the_source_and_resume_continues(realdata):
    stream = Stream(clip(realdata, BOTTLE), name="pause-me", options=FAST, target_size=(160, 90))
    stream.start()
    try:
        wait_until(lambda: stream.captured >= 3, what="frames")
        stream.pause()
        assert stream.state is StreamState.PAUSED
        assert stream.join(5)  # the capture thread has ended: the file is closed
        assert not [t for t in threading.enumerate() if t.name.endswith("-pause-me")]
        frozen = stream.captured
        time.sleep(0.3)
        assert stream.captured == frozen
        stream.resume()
        wait_until(lambda: stream.captured >= frozen + 3, what="frames after resume")
        assert stream.state is StreamState.LIVE
    finally:
        assert stream.stop(5)


def test_main_stream_when_maximised_substream_in_grid(realdata):
    camera = {
        "name": "dual",
        "stream_url": str(clip(realdata, CAR)),  # main: 768x432
        "substream_url": str(clip(realdata, BOTTLE)),  # sub: 640x360
    }
    stream = Stream(camera, options=FAST, target_size=(320, 180))
    stream.start()
    try:
        wait_until(lambda: stream.last_frame() is not None and stream.last_frame().shape[1] == 640, what="substream")
        stream.set_main_stream(True)
        wait_until(lambda: stream.last_frame().shape[1] == 768, what="main stream")
        assert stream.on_main_stream and stream.url.endswith(CAR)
        stream.set_main_stream(False)
        wait_until(lambda: stream.last_frame().shape[1] == 640, what="substream again")
    finally:
        assert stream.stop(5)


def test_missing_file_and_missing_device_fail_quietly(tmp_path):
    missing = Stream(tmp_path / "gone.mp4", options=FAST)
    device = Stream(97, options=FAST)  # no /dev/video97
    missing.start()
    device.start()
    try:
        wait_until(lambda: missing.state is StreamState.OFFLINE, what="missing file offline")
        wait_until(lambda: device.state in (StreamState.RECONNECTING, StreamState.OFFLINE), what="device retry")
        assert "file not found" in missing.last_error
        assert "device:97" in device.last_error
        assert missing.captured == device.captured == 0
    finally:
        assert missing.stop(5) and device.stop(5)


def test_request_footage_camera_never_connects():
    camera = {
        "name": "Corner Store",
        "stream_url": "rtsp://127.0.0.1:9/live",
        "access": "request",
        "ownership": "private",
        "owner": "Ann's Market",
        "contact": "+1 256 555 0100",
    }
    stream = Stream(camera, options=FAST)
    stream.start()
    assert stream.state is StreamState.REQUEST_FOOTAGE
    assert not stream.running
    assert not [t for t in threading.enumerate() if t.name.startswith("rtcc-video-") and "Corner" in t.name]
    assert stream.stop(1)
    assert stream.state is StreamState.REQUEST_FOOTAGE


def test_garbage_frames_from_a_reader_become_an_error_not_an_exception(realdata):
    class Garbage:
        skipped = 0

        def read(self, stop):
            return np.zeros((0, 0), dtype=np.float32)

        def release(self):
            pass

    stream = Stream(clip(realdata, CAR), options=FAST, reader_factory=lambda *a: Garbage())
    stream.start()
    try:
        wait_until(lambda: stream.reconnects >= 2, what="retries")
        assert "not an image" in stream.last_error
        assert stream.captured == 0
    finally:
        assert stream.stop(5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is a Linux feature")
def test_capture_threads_can_run_nicer_than_the_gui(realdata):
    seen = []

    def factory(source, options, lookup):
        tid = threading.get_native_id()
        seen.append(os.getpriority(os.PRIO_PROCESS, tid) - os.getpriority(os.PRIO_PROCESS, main_tid))
        return open_reader(source, options, lookup)

    main_tid = threading.get_native_id()
    stream = Stream(clip(realdata, CAR), options=CaptureOptions(thread_nice=3), reader_factory=factory)
    stream.start()
    try:
        wait_until(lambda: stream.captured >= 1, what="a frame")
    finally:
        assert stream.stop(5)
    assert seen == [3]  # three steps nicer than the thread that started it
