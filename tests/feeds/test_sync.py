"""sync_once and the engine against scripted loopback servers and real SQLite files.

The simulator-backed tests (incremental Socrata under live updates, fault
injection, the SIGKILL crash test) are in test_sync_sim.py.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
import time

import pytest
from loopback_server import FakeSoda, Reply

from rtcc_desktop.config import parse_config
from rtcc_desktop.feeds.health import assess, feed_health
from rtcc_desktop.feeds.http import make_session
from rtcc_desktop.feeds.sync import SyncEngine, soda_params, sync_once
from rtcc_desktop.store import open_store

FIELDS = '{ source_id = "incident_number", time = "event_time", lat = "latitude", lon = "longitude", type = "call_type" }'


def feed_toml(name: str, url: str, fmt: str = "soda", kind: str = "cad", **extra: object) -> str:
    keys: dict[str, object] = {"name": name, "kind": kind, "format": fmt, "url": url, "agency": "TPD",
                               "bbox": [-86.0, 33.5, -85.7, 33.7]}
    keys.update(extra)
    lines = ["[[feeds]]"] + [f"{k} = {json.dumps(v)}" for k, v in keys.items()]
    if kind == "cad":
        lines.append(f"fields = {FIELDS}")
    return "\n".join(lines) + "\n"


def row(n: int, when: str = "2024-05-01T10:00:00", call: str = "THEFT") -> dict:
    return {
        "incident_number": f"I{n:05d}",
        "event_time": when,
        "latitude": f"{33.6 + n * 1e-5:.6f}",
        "longitude": f"{-85.83 - n * 1e-5:.6f}",
        "call_type": call,
    }


def stored(db_path) -> dict[str, tuple]:
    con = sqlite3.connect(db_path)
    try:
        return {r[0]: r[1:] for r in con.execute("SELECT source_id, type, time FROM incidents ORDER BY source_id")}
    finally:
        con.close()


def count_rows(db_path) -> int:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def session():
    s = make_session(retries=2, backoff_factor=0.01, backoff_jitter=0.01)
    yield s
    s.close()


def test_soql_keyset_query():
    p = soda_params(("2024-05-01T10:00:00.000Z", "row-a'b"), 500)
    assert p["$order"] == ":updated_at, :id" and p["$select"] == ":*, *" and p["$limit"] == "500"
    assert p["$where"] == (
        ":updated_at > '2024-05-01T10:00:00.000Z' OR "
        "(:updated_at = '2024-05-01T10:00:00.000Z' AND :id > 'row-a''b')"
    )
    assert "$where" not in soda_params(None, 10)


def test_many_rows_sharing_one_updated_at_are_paged_without_loss_or_repeats(server, session, store, tmp_path):
    soda = FakeSoda(server)
    for n in range(23):  # a bulk load: every row has the same :updated_at
        soda.put(f"row-{n:03d}", "2024-05-01T10:00:00.000Z", **row(n))
    feed = parse_config(feed_toml("cad", server.url(soda.path), page_size=5)).feeds[0]

    rep = sync_once(store, feed, session)
    assert rep.ok, rep.error
    assert (rep.inserted, rep.updated, rep.pages) == (23, 0, 5)
    assert count_rows(store.path) == 23
    # the cursor is the last row of the last page, stored with it
    assert json.loads(store.feed_state("cad")["cursor"]) == {"updated_at": "2024-05-01T10:00:00.000Z", "id": "row-022"}
    pages = server.requests_to(soda.path)
    assert [r.query["$where"] for r in pages[1:3]] == [
        ":updated_at > '2024-05-01T10:00:00.000Z' OR (:updated_at = '2024-05-01T10:00:00.000Z' AND :id > 'row-004')",
        ":updated_at > '2024-05-01T10:00:00.000Z' OR (:updated_at = '2024-05-01T10:00:00.000Z' AND :id > 'row-009')",
    ]

    # nothing new: one request, nothing written
    before = len(server.log)
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == rep.updated == 0 and len(server.log) == before + 1

    # an update to an old row and two new rows, again sharing a timestamp
    soda.put("row-003", "2024-05-01T10:05:00.000Z", **row(3, call="ROBBERY"))
    soda.put("row-100", "2024-05-01T10:05:00.000Z", **row(100))
    soda.put("row-101", "2024-05-01T10:05:00.000Z", **row(101))
    rep = sync_once(store, feed, session)
    assert (rep.inserted, rep.updated) == (2, 1)
    rows = stored(store.path)
    assert len(rows) == 25 and rows["I00003"][0] == "ROBBERY"
    st = store.feed_state("cad")
    assert st["rows_in"] == 26 and st["last_success"] and st["last_error"] is None


def test_truncated_first_page_is_a_feed_error_and_nothing_is_committed(server, session, store):
    soda = FakeSoda(server)
    for n in range(8):
        soda.put(f"row-{n:03d}", f"2024-05-01T10:00:{n:02d}.000Z", **row(n))
    soda.truncate_next = 1
    feed = parse_config(feed_toml("cad", server.url(soda.path), page_size=5)).feeds[0]
    rep = sync_once(store, feed, session)
    assert not rep.ok
    assert "page 1" in rep.error and "not valid JSON" in rep.error and "nothing from it was stored" in rep.error
    assert count_rows(store.path) == 0
    st = store.feed_state("cad")
    assert st["cursor"] is None and st["last_error"] == rep.error and st["last_error_at"] and st["last_success"] is None
    # next poll recovers: every row exactly once
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 8 and count_rows(store.path) == 8


def test_truncated_later_page_keeps_the_pages_before_it(server, session, store):
    soda = FakeSoda(server)
    for n in range(12):
        soda.put(f"row-{n:03d}", f"2024-05-01T10:00:{n:02d}.000Z", **row(n))
    feed = parse_config(feed_toml("cad", server.url(soda.path), page_size=5)).feeds[0]

    calls = {"n": 0}
    inner = server._routes[soda.path]

    def second_page_cut(req):
        calls["n"] += 1
        reply = inner(req)
        if calls["n"] == 2:
            reply.body = reply.body[:-7]
        return reply

    server.route(soda.path, second_page_cut)
    rep = sync_once(store, feed, session)
    assert not rep.ok and "page 2" in rep.error
    assert count_rows(store.path) == 5  # page 1 committed with its cursor
    assert json.loads(store.feed_state("cad")["cursor"])["id"] == "row-004"
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 7 and count_rows(store.path) == 12


def test_server_errors_are_retried_within_one_poll(server, session, store):
    soda = FakeSoda(server)
    soda.put("row-001", "2024-05-01T10:00:00.000Z", **row(1))
    inner = server._routes[soda.path]
    replies = [Reply(500), Reply(429, headers={"Retry-After": "0"})]

    def flaky(req):
        return replies.pop(0) if replies else inner(req)

    server.route(soda.path, flaky)
    feed = parse_config(feed_toml("cad", server.url(soda.path))).feeds[0]
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 1
    assert len(server.requests_to(soda.path)) == 3


def test_soda_2_0_endpoint_without_system_fields_is_read_whole(server, session, store, realdata):
    """Seattle's real 911 page (no :updated_at) still syncs, by :id and $offset."""
    page = json.loads((realdata / "cad_seattle_spd_911_soda_json" / "crimes-page.json").read_text(encoding="utf-8"))

    def serve(req):
        off, lim = int(req.query.get("$offset", 0)), int(req.query.get("$limit", 1000))
        return Reply(200, json.dumps(page[off : off + lim]).encode())

    server.route("/resource/3k2p-39jp.json", serve)
    text = (
        '[[feeds]]\nname = "spd"\nkind = "cad"\nformat = "soda"\n'
        f'url = "{server.url("/resource/3k2p-39jp.json")}"\n'
        'agency = "SPD"\ntimezone = "America/Los_Angeles"\npage_size = 400\n'
        'fields = { source_id = "cad_cdw_id", time = "event_clearance_date" }\n'
    )
    feed = parse_config(text).feeds[0]
    rep = sync_once(store, feed, session)
    assert rep.ok, rep.error
    assert rep.fetched == 1000 and rep.inserted + rep.rejected == 1000 and rep.inserted > 900
    assert any("no :updated_at" in w for w in rep.warnings)
    assert store.feed_state("spd")["cursor"] is None
    # a second poll re-reads and changes nothing
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 0


def test_duplicate_and_out_of_order_rows_are_stored_once(server, session, store):
    rows = [row(3, "2024-05-01T10:03:00"), row(1, "2024-05-01T10:01:00"), row(2, "2024-05-01T10:02:00"),
            row(1, "2024-05-01T10:01:00", call="ASSAULT"), row(3, "2024-05-01T10:03:00")]
    server.route("/calls.json", Reply(200, json.dumps(rows).encode(), headers={"ETag": '"a"'}))
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json")).feeds[0]
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 3
    got = stored(store.path)
    assert sorted(got) == ["I00001", "I00002", "I00003"]
    assert got["I00001"][0] == "ASSAULT"  # the later row wins
    # the same payload again (no conditional GET support): still three rows
    server.route("/calls.json", Reply(200, json.dumps(list(reversed(rows))).encode()))
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 0 and count_rows(store.path) == 3


def test_conditional_get_304_skips_the_download(server, session, store):
    body = json.dumps([row(1), row(2)]).encode()

    def reply(req):
        if req.headers.get("If-None-Match") == '"v7"':
            return Reply(304, headers={"ETag": '"v7"'})
        return Reply(200, body, headers={"ETag": '"v7"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"})

    server.route("/calls.json", reply)
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json")).feeds[0]
    assert sync_once(store, feed, session).inserted == 2
    assert store.feed_state("calls")["etag"] == '"v7"'
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.not_modified and rep.inserted == rep.updated == 0
    assert server.requests_to("/calls.json")[-1].headers["If-None-Match"] == '"v7"'
    assert store.feed_state("calls")["last_success"]


def test_since_parameter_is_sent_with_the_cursor(server, session, store):
    def reply(req):
        since = req.query.get("since")
        rows = [row(1, "2024-05-01T10:01:00"), row(2, "2024-05-01T10:02:00")]
        if since:
            rows = [r for r in rows if r["event_time"] + "Z" > since] + [row(3, "2024-05-01T10:03:00")]
        return Reply(200, json.dumps(rows).encode())

    server.route("/calls.json", reply)
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json", since_param="since")).feeds[0]
    rep = sync_once(store, feed, session)
    assert rep.inserted == 2 and rep.cursor == "2024-05-01T10:02:00Z"
    rep = sync_once(store, feed, session)
    assert server.requests_to("/calls.json")[-1].query == {"since": "2024-05-01T10:02:00Z"}
    assert rep.inserted == 1 and store.feed_state("calls")["cursor"] == "2024-05-01T10:03:00Z"


def test_every_row_rejected_is_reported_as_a_feed_problem(server, session, store):
    rows = [{**row(n), "event_time": None} for n in range(6)]
    server.route("/calls.json", Reply(200, json.dumps(rows).encode()))
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json")).feeds[0]
    rep = sync_once(store, feed, session)
    assert not rep.ok and "every one of 6 rows was rejected" in rep.error and "fields" in rep.error
    assert rep.rejected == 6 and store.feed_state("calls")["rows_rejected"] == 6
    assert len(store.rejects_list("cad")) == 6  # kept with the raw rows, not dropped


def test_local_gz_file_feed_and_unchanged_file(tmp_path, session, store):
    path = tmp_path / "calls.json.gz"
    path.write_bytes(gzip.compress(json.dumps([row(1), row(2), row(3)]).encode()))
    feed = parse_config(feed_toml("file", "calls.json.gz", fmt="json"), base_dir=tmp_path).feeds[0]
    assert feed.is_local
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == 3
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.not_modified


def test_missing_token_fails_only_that_feed(server, session, store, monkeypatch):
    monkeypatch.delenv("RTCC_TEST_TOKEN", raising=False)
    server.route("/calls.json", Reply(200, json.dumps([row(1)]).encode()))
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json", token_env="RTCC_TEST_TOKEN")).feeds[0]
    rep = sync_once(store, feed, session)
    assert not rep.ok and "RTCC_TEST_TOKEN" in rep.error and not server.log
    monkeypatch.setenv("RTCC_TEST_TOKEN", "tok-9")
    rep = sync_once(store, feed, session)
    assert rep.ok and server.log[-1].headers["X-App-Token"] == "tok-9"
    assert "tok-9" not in json.dumps(store.feed_state("calls"))


def test_health_goes_amber_then_red_then_green(server, session, store):
    from rtcc_desktop.model.timeutil import iso_now

    good = json.dumps([row(1, iso_now())]).encode()  # fresh data: only failures change the colour
    server.route("/calls.json", Reply(200, good), Reply(503), Reply(503), Reply(503), Reply(200, good))
    feed = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json", interval_s=60)).feeds[0]
    s = make_session(retries=0)
    try:
        from rtcc_desktop.feeds.health import LiveBoard

        live = LiveBoard()
        colours = []
        for _ in range(5):
            sync_once(store, feed, s, live=live)
            colours.append(assess(feed.name, feed.kind, 3600.0, store.feed_state(feed.name), live.snapshot()[feed.name]).status)
    finally:
        s.close()
    assert colours == ["green", "amber", "amber", "red", "green"]
    st = store.feed_state("calls")
    assert "HTTP 503" in st["last_error"]


def test_health_from_stored_state_alone():
    """What `rtcc-desktop feeds` sees in another process, without the engine's counters."""
    from datetime import datetime, timezone

    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    ok = {"last_success": "2024-05-01T11:59:30Z", "last_error": None, "last_error_at": None, "rows_in": 5, "rows_rejected": 0}
    assert assess("f", "cad", 60, ok, now=now).status == "green"
    assert assess("f", "cad", 60, None, now=now).status == "amber"
    stale = {**ok, "last_success": "2024-05-01T11:50:00Z"}
    assert assess("f", "cad", 60, stale, now=now).status == "amber"
    failing = {**ok, "last_error": "HTTP 503", "last_error_at": "2024-05-01T11:59:45Z"}
    h = assess("f", "cad", 60, failing, now=now)
    assert h.status == "amber" and "HTTP 503" in h.reason
    long_failing = {**ok, "last_success": "2024-05-01T11:50:00Z", "last_error": "HTTP 503", "last_error_at": "2024-05-01T11:59:45Z"}
    assert assess("f", "cad", 60, long_failing, now=now).status == "red"


def test_engine_runs_feeds_on_their_own_threads_and_a_dead_one_does_not_stop_the_rest(server, tmp_path, monkeypatch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()
    soda = FakeSoda(server)
    for n in range(7):
        soda.put(f"row-{n:03d}", f"2024-05-01T10:00:{n:02d}.000Z", **row(n))
    text = (
        feed_toml("good", server.url(soda.path), interval_s=0.1, page_size=3)
        + feed_toml("dead", f"http://127.0.0.1:{dead_port}/resource/x.json", interval_s=0.1)
        + feed_toml("bad", "http://127.0.0.1:1/x.json", bbox=[1, 1, 0, 2])
    )
    cfg_path = tmp_path / "feeds.toml"
    cfg_path.write_text(text, encoding="utf-8")
    from rtcc_desktop.config import load_config

    cfg = load_config(cfg_path, skip_bad_feeds=True)
    changes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def on_change(kind, max_rowid):
        with lock:
            changes.append((kind, max_rowid))

    db = tmp_path / "cache.sqlite"
    engine = SyncEngine(db, cfg, on_change=on_change, session=make_session(retries=0))
    engine.start()
    try:
        names = sorted(t.name for t in threading.enumerate() if t.name.startswith("rtcc-sync-"))
        assert names == ["rtcc-sync-dead", "rtcc-sync-good"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            h = {x.name: x for x in engine.health()}
            if count_rows(db) == 7 and h["dead"].status == "red":
                break
            time.sleep(0.05)
        soda.put("row-050", "2024-05-01T10:09:00.000Z", **row(50))
        engine.poke("good")
        while time.monotonic() < deadline and count_rows(db) < 8:
            time.sleep(0.05)
        health = {x.name: x for x in engine.health()}
    finally:
        engine.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("rtcc-sync-")]
    assert count_rows(db) == 8
    assert health["good"].status == "green" and health["good"].rows_in == 8
    assert health["dead"].status == "red" and "cannot connect" in health["dead"].last_error
    assert health["bad"].status == "red" and "bbox" in health["bad"].reason
    assert changes and all(kind == "cad" for kind, _ in changes)
    assert max(r for _, r in changes) == 8
    # the CLI's view from a separate Store on the same file agrees
    reader = open_store(db)
    try:
        cli_view = {x.name: x.status for x in feed_health(reader, cfg)}
    finally:
        reader.close()
    assert cli_view["good"] == "green" and cli_view["dead"] == "red"


def test_engine_run_once_reports_each_feed(server, tmp_path):
    server.route("/calls.json", Reply(200, json.dumps([row(1), row(2)]).encode()))
    cfg = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json") + feed_toml("gone", server.url("/nope.json"), fmt="json"))
    engine = SyncEngine(tmp_path / "c.sqlite", cfg, only=["calls", "gone"], session=make_session(retries=0))
    reports = engine.run_once()
    assert [r.ok for r in reports] == [True, False]
    assert reports[0].summary() == "calls: ok, 1 page(s), 2 row(s): 2 new, 0 updated, 0 rejected"
    assert reports[1].summary().startswith("gone: FAILED: HTTP 404")
    assert count_rows(tmp_path / "c.sqlite") == 2


def test_lag_is_the_age_of_the_newest_stored_record(server, session, store):
    from datetime import datetime, timezone

    rows = [row(1, "2024-05-01T10:01:00"), row(2, "2024-05-01T10:20:00")]
    server.route("/calls.json", Reply(200, json.dumps(rows).encode()))
    cfg = parse_config(feed_toml("calls", server.url("/calls.json"), fmt="json"))
    assert sync_once(store, cfg.feeds[0], session).ok
    now = datetime(2024, 5, 1, 11, 0, 0, tzinfo=timezone.utc)
    reader = open_store(store.path)  # as `rtcc-desktop feeds` would, in another process
    try:
        (h,) = feed_health(reader, cfg, now=now)
    finally:
        reader.close()
    assert h.newest_time == "2024-05-01T10:20:00Z" and h.lag_s == 40 * 60
    assert h.rows_in == 2 and h.last_success


def test_stopping_the_engine_does_not_wait_out_a_long_retry_after(server, tmp_path):
    server.route("/calls.json", Reply(503, b'{"error": true, "message": "busy"}', headers={"Retry-After": "600"}))
    cfg = parse_config(feed_toml("busy", server.url("/calls.json"), fmt="json"))
    engine = SyncEngine(tmp_path / "c.sqlite", cfg)  # its own session, with the stop-aware retry waits
    engine.start()
    deadline = time.monotonic() + 20
    while not server.requests_to("/calls.json") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests_to("/calls.json"), "the feed never polled"
    engine.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("rtcc-sync-")]
    assert len(server.requests_to("/calls.json")) == 1  # no retry was sent after stop
