"""Capture over a real loopback MJPEG server fed with frames of the real clips.

Each test scripts a camera fault (stops mid-stream, refuses, never answers,
sends garbage) and checks what the analyst would see: the stream's state and
error, and that it comes back when the camera does.
"""

from __future__ import annotations

import logging
import threading

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.credentials import SimpleCredential
from mjpeg_server import MjpegServer, SilentServer, encode_clip, free_port
from video_helpers import CAR, FAST, clip, wait_until, watch_states

from rtcc_desktop.video import CaptureOptions, Stream, StreamState
from rtcc_desktop.video.urls import mask_text, mask_url, with_credentials

S = StreamState


@pytest.fixture(scope="module")
def car_jpegs(realdata) -> list[bytes]:
    return encode_clip(clip(realdata, CAR), 30)


@pytest.fixture
def camera_server(car_jpegs):
    server = MjpegServer(car_jpegs, fps=12.5).start()
    yield server
    server.stop()


def test_mjpeg_frames_arrive_resized(camera_server):
    stream = Stream(camera_server.video_url, options=FAST, target_size=(384, 384))
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 5, what="five frames")
        assert stream.state is S.LIVE
        assert stream.slot.take().image.shape == (216, 384, 4)
        assert stream.last_frame().shape[:2] == (432, 768)
        assert stream.stats().fps > 0
    finally:
        assert stream.stop(5)


def test_stream_that_stops_midway_goes_stalled_then_reconnecting_then_live(camera_server):
    camera_server.frames_per_connection = 10  # then silent, connection held open
    options = CaptureOptions(
        open_timeout_s=2.0, read_timeout_s=2.5, stall_after_s=0.6, backoff_base_s=0.1, backoff_max_s=0.3
    )
    stream = Stream(camera_server.video_url, options=options, target_size=(192, 108))
    stream.start()
    try:
        seen = watch_states(stream, lambda s: S.RECONNECTING in s)
        assert seen.index(S.LIVE) < seen.index(S.STALLED) < seen.index(S.RECONNECTING)
        assert "no frame" in stream.last_error
        # The camera sends its next 10 frames on the new connection: live again.
        before = stream.captured
        wait_until(lambda: stream.captured > before and stream.state is S.LIVE, what="live after reconnect")
        assert len(camera_server.requests) >= 2
    finally:
        assert stream.stop(5)


def test_server_refusing_with_503_then_recovering(camera_server):
    camera_server.refuse = 4
    stream = Stream(camera_server.video_url, options=FAST, target_size=(192, 108))
    stream.start()
    try:
        wait_until(lambda: stream.state is S.LIVE, what="live after the refusals")
        seen = stream.seen_states()
        assert S.RECONNECTING in seen and S.OFFLINE in seen  # 4 failures > offline_after=3
        assert seen[-1] is S.LIVE
        assert stream.reconnects >= 4
        assert len(camera_server.requests) >= 5
        assert stream.last_error is None  # cleared once live
    finally:
        assert stream.stop(5)


def test_closed_port_then_camera_comes_up(car_jpegs):
    port = free_port()
    stream = Stream(f"http://127.0.0.1:{port}/video.mjpg", options=FAST, target_size=(192, 108))
    stream.start()
    try:
        wait_until(lambda: stream.state is S.OFFLINE, what="offline while nothing listens")
        assert stream.captured == 0 and stream.last_error
        with MjpegServer(car_jpegs, port=port):
            wait_until(lambda: stream.state is S.LIVE and stream.captured > 0, what="live once the camera is up")
    finally:
        assert stream.stop(5)


def test_url_that_never_answers_ends_in_reconnecting_and_stops_promptly():
    with SilentServer() as silent:
        stream = Stream(silent.url, options=FAST)
        stream.start()
        try:
            seen = watch_states(stream, lambda s: s[-1] in (S.RECONNECTING, S.OFFLINE))
            assert S.LIVE not in seen
            assert silent.accepted >= 1
            assert stream.captured == 0
        finally:
            # The thread may be inside FFmpeg's open; it leaves when the 1.5 s timeout fires.
            assert stream.stop(FAST.open_timeout_s + 3)


def test_corrupt_jpeg_parts_never_show_and_never_raise(camera_server):
    camera_server.garbage = True
    stream = Stream(camera_server.video_url, options=FAST, target_size=(192, 108))
    stream.start()
    try:
        wait_until(lambda: stream.reconnects >= 2, timeout=20, what="retries on garbage")
        assert stream.captured == 0
        assert stream.state in (S.CONNECTING, S.RECONNECTING, S.OFFLINE)
        assert stream.last_error
        assert stream.running  # the thread is alive and still trying
        camera_server.garbage = False  # the camera is fixed
        wait_until(lambda: stream.state is S.LIVE, timeout=20, what="live after garbage stops")
    finally:
        assert stream.stop(5)


def test_snapshot_url_is_polled(camera_server):
    options = CaptureOptions(open_timeout_s=1.5, read_timeout_s=1.5, snapshot_poll_s=0.1, backoff_base_s=0.1)
    camera = {"name": "jpeg cam", "snapshot_url": camera_server.snapshot_url}
    stream = Stream(camera, options=options, target_size=(384, 216))
    stream.start()
    try:
        wait_until(lambda: stream.captured >= 3, what="three polls")
        assert stream.state is S.LIVE
        assert stream.slot.take().image.shape == (216, 384, 4)
        assert sum(p.startswith("/snapshot") for p in camera_server.requests) >= 3
    finally:
        assert stream.stop(5)


def test_snapshot_url_errors_are_reported(camera_server):
    camera = {"name": "bad jpeg cam", "snapshot_url": camera_server.base + "/missing.jpg"}
    stream = Stream(camera, options=FAST)
    stream.start()
    try:
        wait_until(lambda: stream.reconnects >= 1, what="a failed poll")
        assert "HTTP 404" in stream.last_error
        camera_server.garbage = True
        garbage = Stream({"name": "noise", "snapshot_url": camera_server.snapshot_url}, options=FAST)
        garbage.start()
        wait_until(lambda: garbage.reconnects >= 1, what="a garbage poll")
        assert "not an image" in garbage.last_error
        assert garbage.stop(5)
    finally:
        assert stream.stop(5)


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring so the test never touches the machine's own."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[str, tuple[str, str]] = {}

    def get_password(self, service, username):
        found = self.store.get(service)
        return found[1] if found and found[0] == username else None

    def set_password(self, service, username, password):
        self.store[service] = (username, password)

    def delete_password(self, service, username):
        self.store.pop(service, None)

    def get_credential(self, service, username):
        found = self.store.get(service)
        return SimpleCredential(*found) if found else None


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_credentials_come_from_keyring_and_are_never_shown(camera_server, memory_keyring, caplog):
    camera_server.auth = "operator:s3cret!"
    memory_keyring.set_password("rtcc-desktop:127.0.0.1", "operator", "s3cret!")
    caplog.set_level(logging.DEBUG)
    stream = Stream({"name": "secured", "stream_url": camera_server.video_url}, options=FAST)
    stream.start()
    try:
        wait_until(lambda: stream.state is S.LIVE, what="live with keyring credentials")
        assert camera_server.auth_headers[-1] is not None
    finally:
        assert stream.stop(5)
    assert "s3cret" not in caplog.text and "s3cret" not in stream.url


def test_wrong_credentials_in_the_url_are_masked_in_errors_and_logs(camera_server, caplog):
    camera_server.auth = "operator:right"
    url = camera_server.video_url.replace("http://", "http://operator:wrong-pw@")
    caplog.set_level(logging.DEBUG)
    stream = Stream({"name": "secured", "stream_url": url}, options=FAST, credential_lookup=None)
    stream.start()
    try:
        wait_until(lambda: stream.reconnects >= 2, what="refused twice")
        assert stream.captured == 0
        stats = stream.stats()
    finally:
        assert stream.stop(5)
    assert "wrong-pw" not in repr(stats) and "wrong-pw" not in caplog.text
    assert "***@127.0.0.1" in stats.url
    assert not [t.name for t in threading.enumerate() if "wrong-pw" in t.name]


def test_url_masking_and_keyring_injection():
    assert mask_url("rtsp://admin:hunter2@10.1.2.3:554/Streaming/101") == "rtsp://***@10.1.2.3:554/Streaming/101"
    assert mask_url("http://10.1.2.3/snap.jpg") == "http://10.1.2.3/snap.jpg"
    assert mask_url(3) == "device:3"
    text = "failed: rtsp://a:b@h/1 and http://u:p@x:8080/v.mjpg"
    assert mask_text(text) == "failed: rtsp://***@h/1 and http://***@x:8080/v.mjpg"
    assert with_credentials("rtsp://10.1.2.3/s", lambda host: ("ad min", "p@ss:w")) == "rtsp://ad%20min:p%40ss%3Aw@10.1.2.3/s"
    assert with_credentials("rtsp://me:x@10.1.2.3/s", lambda host: ("other", "y")) == "rtsp://me:x@10.1.2.3/s"
    assert with_credentials("rtsp://10.1.2.3/s", lambda host: None) == "rtsp://10.1.2.3/s"
