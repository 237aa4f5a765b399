"""The shared HTTP session against a real loopback server: retries, timeouts, 304s."""

from __future__ import annotations

import gzip
import threading

import pytest
from loopback_server import Reply

from rtcc_desktop import __version__
from rtcc_desktop.feeds import http as feeds_http
from rtcc_desktop.feeds.http import (
    Cancelled,
    FetchError,
    StoppableRetry,
    fetch,
    make_session,
    read_local,
)

OK = Reply(200, b'[{"a": 1}]')


@pytest.fixture
def waits(monkeypatch):
    """Every retry wait the session asks for (the waits still happen)."""
    asked: list[float] = []
    real = StoppableRetry._wait

    def spy(self, seconds):
        asked.append(seconds)
        return real(self, seconds)

    monkeypatch.setattr(StoppableRetry, "_wait", spy)
    return asked


def test_500s_are_retried_until_the_server_recovers(server, session):
    server.route("/a.json", Reply(500), Reply(502), OK)
    got = fetch(session, server.url("/a.json"))
    assert got.content == b'[{"a": 1}]'
    assert len(server.requests_to("/a.json")) == 3
    assert got.retries == 2


def test_429_retry_after_is_honoured(server, session, waits):
    server.route("/a.json", Reply(429, headers={"Retry-After": "1"}), OK)
    got = fetch(session, server.url("/a.json"))
    assert got.status == 200
    assert len(server.requests_to("/a.json")) == 2
    assert waits == [1.0]  # the server's number, not our backoff


def test_retries_give_up_with_a_clear_message(server, session):
    server.route("/a.json", Reply(503, b'{"error": true, "message": "Internal error", "status": 503}'))
    with pytest.raises(FetchError) as ei:
        fetch(session, server.url("/a.json") + "?$$app_token=s3cr3t")
    msg = str(ei.value)
    assert msg.startswith("HTTP 503") and "after 3 retries" in msg and "Internal error" in msg
    assert "s3cr3t" not in msg
    assert ei.value.status == 503
    assert len(server.requests_to("/a.json")) == 4  # first try + 3 retries


def test_client_errors_are_not_retried(server, session, realdata):
    # a real Socrata error payload
    body = (realdata / "cad_seattle_spd_911_soda_json" / "filtered-first.json").read_bytes()
    server.route("/a.json", Reply(400, body))
    with pytest.raises(FetchError) as ei:
        fetch(session, server.url("/a.json"))
    assert "HTTP 400" in str(ei.value) and "Unrecognized arguments" in str(ei.value)
    assert len(server.requests_to("/a.json")) == 1


def test_read_timeout_is_retried_then_recovers(server):
    server.route("/slow.json", Reply(200, b"[]", delay_s=3.0), Reply(200, b"[1]"))
    s = make_session(retries=2, backoff_factor=0.01)
    try:
        got = fetch(s, server.url("/slow.json"), timeout=(1.0, 0.3))
    finally:
        s.close()
    assert got.content == b"[1]"
    assert len(server.requests_to("/slow.json")) == 2


def test_timeouts_that_never_end_say_so(server):
    server.route("/slow.json", Reply(200, b"[]", delay_s=3.0))
    s = make_session(retries=1, backoff_factor=0.01)
    try:
        with pytest.raises(FetchError, match="timed out waiting for"):
            fetch(s, server.url("/slow.json"), timeout=(1.0, 0.2))
    finally:
        s.close()
    assert len(server.requests_to("/slow.json")) == 2


def test_dropped_connection_is_retried(server, session):
    server.route("/a.json", Reply(drop=True), OK)
    assert fetch(session, server.url("/a.json")).content == b'[{"a": 1}]'
    assert len(server.requests_to("/a.json")) == 2


def test_connection_refused_is_a_clear_error(session):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    with pytest.raises(FetchError, match="cannot connect to http://127.0.0.1"):
        fetch(session, f"http://127.0.0.1:{port}/a.json")


def test_conditional_get_gives_not_modified(server, session):
    def reply(req):
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, b"[]", headers={"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"})

    server.route("/c.geojson", reply)
    first = fetch(session, server.url("/c.geojson"))
    assert first.etag == '"v1"' and first.last_modified and not first.not_modified
    again = fetch(session, server.url("/c.geojson"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.content == b""
    sent = server.requests_to("/c.geojson")[-1].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == first.last_modified


def test_token_and_user_agent_headers(server, session):
    server.route("/a.json", OK)
    fetch(session, server.url("/a.json"), token="tok-123", headers={"Accept": "application/json"})
    sent = server.requests_to("/a.json")[0].headers
    assert sent["X-App-Token"] == "tok-123"
    assert sent["User-Agent"] == f"rtcc-desktop/{__version__}"
    assert sent["Accept"] == "application/json"


def test_stop_cuts_a_long_retry_after_short(server):
    stop = threading.Event()
    s = make_session(retries=3, stop_event=stop)
    server.route("/a.json", Reply(503, headers={"Retry-After": "600"}), OK)
    stopper = threading.Timer(0.3, stop.set)
    stopper.name = "rtcc-test-stopper"
    stopper.start()
    try:
        with pytest.raises(Cancelled):
            fetch(s, server.url("/a.json"))
    finally:
        stopper.join()
        s.close()
    assert len(server.requests_to("/a.json")) == 1


def test_gzip_body_is_unpacked(server, session):
    server.route("/a.json.gz", Reply(200, gzip.compress(b"[1,2]"), headers={"Content-Type": "application/gzip"}))
    assert fetch(session, server.url("/a.json.gz")).content == b"[1,2]"


def test_local_files_plain_gz_and_unchanged(tmp_path, session):
    plain = tmp_path / "a.json"
    plain.write_bytes(b"[1]")
    packed = tmp_path / "b.json.gz"
    packed.write_bytes(gzip.compress(b"[2]"))
    first = fetch(session, str(plain))
    assert first.content == b"[1]"
    assert read_local(plain, etag=first.etag).not_modified
    assert fetch(session, f"file://{packed}").content == b"[2]"
    with pytest.raises(FetchError, match="does not exist"):
        fetch(session, str(tmp_path / "missing.csv"))
    broken = tmp_path / "c.json.gz"
    broken.write_bytes(gzip.compress(b",".join(str(i).encode() for i in range(2000)))[:200])
    with pytest.raises(FetchError, match="damaged or truncated"):
        fetch(session, str(broken))


def test_default_retry_policy(session):
    retry = session.get_adapter("http://x").max_retries
    assert isinstance(retry, StoppableRetry)
    assert retry.allowed_methods == frozenset({"GET"})
    assert {429, 500, 502, 503, 504} <= set(retry.status_forcelist)
    assert retry.backoff_jitter > 0 and retry.respect_retry_after_header
    default = make_session().get_adapter("https://x").max_retries
    assert default.backoff_factor > 0 and default.total >= 3
    assert feeds_http.DEFAULT_TIMEOUT[0] < feeds_http.DEFAULT_TIMEOUT[1]
