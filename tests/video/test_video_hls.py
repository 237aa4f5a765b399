"""HLS (m3u8) over a real loopback HTTP server, with a real H.264 clip as its segment."""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from video_helpers import CAR, FAST, clip, wait_until

from rtcc_desktop.video import Stream, StreamState
from rtcc_desktop.video.sources import classify


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def hls_server(tmp_path, realdata):
    shutil.copy(clip(realdata, CAR), tmp_path / "seg0.mp4")
    (tmp_path / "cam.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:31\n#EXT-X-MEDIA-SEQUENCE:0\n"
        "#EXTINF:30.2,\nseg0.mp4\n#EXT-X-ENDLIST\n"
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, name="test-hls", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cam.m3u8"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_hls_playlist_plays_resized_frames(hls_server):
    assert classify(hls_server).kind == "hls"
    stream = Stream(hls_server, options=FAST, target_size=(384, 384))
    stream.start()
    try:
        wait_until(lambda: stream.slot.seq >= 5, what="five HLS frames")
        assert stream.state is StreamState.LIVE
        assert stream.slot.take().image.shape[:2] == (216, 384)
        assert stream.last_frame().shape[:2] == (432, 768)
    finally:
        assert stream.stop(5)


def test_hls_playlist_that_is_gone_never_goes_live(hls_server):
    stream = Stream(hls_server.replace("cam.m3u8", "missing.m3u8"), options=FAST, target_size=(192, 108))
    stream.start()
    try:
        wait_until(lambda: StreamState.RECONNECTING in stream.seen_states() or stream.state is StreamState.OFFLINE, what="reconnecting")
        assert StreamState.LIVE not in stream.seen_states()
    finally:
        assert stream.stop(5)
