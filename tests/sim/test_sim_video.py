"""Camera video as a viewer gets it: MJPEG over HTTP, snapshots, private cameras refused."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import requests
from simhelp import get

from rtcc_desktop.sim import Simulator


def _live(sim: Simulator, ownership: str = "public") -> dict:
    return next(c for c in sim.cameras() if c["access"] == "live" and c["ownership"] == ownership)


def _frames(resp: requests.Response, n: int) -> list[bytes]:
    """Read up to ``n`` JPEG parts from a multipart/x-mixed-replace response."""
    boundary = resp.headers["Content-Type"].split("boundary=")[1].encode()
    buf, out = b"", []
    chunks = resp.iter_content(8192)
    while len(out) < n:
        start = buf.find(b"--" + boundary + b"\r\n")
        head_end = buf.find(b"\r\n\r\n", start) if start >= 0 else -1
        if head_end >= 0:
            headers = dict(
                line.split(": ", 1) for line in buf[start + len(boundary) + 4 : head_end].decode().split("\r\n") if line
            )
            length = int(headers["Content-Length"])
            assert headers["Content-Type"] == "image/jpeg"
            if len(buf) >= head_end + 4 + length:
                out.append(buf[head_end + 4 : head_end + 4 + length])
                buf = buf[head_end + 4 + length :]
                continue
        try:
            buf += next(chunks)
        except StopIteration:
            break
    return out


def _decode(data: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None, "not a decodable JPEG"
    return img


@pytest.mark.parametrize("size, shape", [("", (360, 640, 3)), ("sub", (180, 320, 3))])
def test_mjpeg_stream_gives_decodable_frames(size, shape):
    with Simulator(seed=7) as sim:
        cam = _live(sim)
        url = cam["substream_url"] if size else cam["stream_url"]
        with requests.get(url, stream=True, timeout=10) as r:
            assert r.status_code == 200
            assert r.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            frames = _frames(r, 4)
        assert len(frames) == 4
        assert all(_decode(f).shape == shape for f in frames)


def test_opencv_ffmpeg_reads_the_stream_url():
    with Simulator(seed=7) as sim:
        cam = _live(sim, "private")
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 15000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 15000]
        cap = cv2.VideoCapture(cam["stream_url"], cv2.CAP_FFMPEG, params)
        try:
            assert cap.isOpened()
            shapes = []
            for _ in range(3):
                ok, frame = cap.read()
                assert ok
                shapes.append(frame.shape)
        finally:
            cap.release()
        assert shapes == [(360, 640, 3)] * 3


def test_snapshot_shows_the_moving_scene_and_the_clock(sim):
    cam = _live(sim)
    path = cam["snapshot_url"][len(sim.base_url) :]
    first = get(sim, path)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/jpeg"
    same = get(sim, path)
    sim.clock.advance(1.0)
    later = get(sim, path)
    a, b, c = (_decode(r.content) for r in (first, same, later))
    assert a.shape == (360, 640, 3)
    assert first.content == same.content  # same simulated instant, same frame
    moved = np.abs(a.astype(int) - c.astype(int)).sum(axis=2) > 60
    assert moved.mean() > 0.001  # cars moved and the burned-in clock ticked


def test_private_request_only_cameras_are_refused(sim):
    hidden = [c for c in sim.cameras() if c["access"] == "request"]
    assert hidden
    for cam in hidden:
        for path in (f"/video/{cam['id']}.mjpg", f"/snapshot/{cam['id']}.jpg"):
            r = get(sim, path)
            assert r.status_code == 403
            assert cam["owner"] in r.json()["message"]
    assert get(sim, "/video/CAM-999.mjpg").status_code == 404


def test_stop_ends_an_open_stream():
    sim = Simulator(seed=7)
    sim.start()
    cam = _live(sim)
    r = requests.get(cam["stream_url"], stream=True, timeout=10)
    assert _frames(r, 1)
    sim.stop()
    # the rest of the stream ends instead of hanging; the stream thread is gone (conftest checks)
    ended = False
    try:
        for _ in range(200):
            if not _frames(r, 1):
                ended = True
                break
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError):
        ended = True
    finally:
        r.close()
    assert ended


def test_truncated_stream_stops_mid_frame(sim):
    sim.clock.run()
    cam = _live(sim)
    sim.faults.truncate_next(1, path="/video/", frames=2)
    with requests.get(cam["stream_url"], stream=True, timeout=10) as r:
        try:
            frames = _frames(r, 10)
        except requests.exceptions.ChunkedEncodingError:
            frames = []
    assert len(frames) == 2
    with requests.get(cam["stream_url"], stream=True, timeout=10) as r:
        assert len(_frames(r, 3)) == 3


def test_viewers_of_one_camera_share_encoded_frames(sim):
    cam = _live(sim)
    with requests.get(cam["stream_url"], stream=True, timeout=10) as a, requests.get(cam["stream_url"], stream=True, timeout=10) as b:
        fa, fb = _frames(a, 2), _frames(b, 2)
    assert fa[0] == fb[0]  # the clock is frozen: both get the very same bytes
