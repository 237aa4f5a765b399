"""Sync against the built-in simulator over real sockets, into real SQLite files.

Covers: incremental Socrata while the city keeps producing and editing calls,
injected faults (5xx, 429 + Retry-After, timeouts, truncation, dropped
connections, duplicated rows, a renamed column), conditional GET, app
tokens, and a SIGKILLed sync process that must end with every row once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import requests

from rtcc_desktop.config import FeedConfig, parse_config
from rtcc_desktop.feeds.http import StoppableRetry, make_session
from rtcc_desktop.feeds.sync import sync_once
from rtcc_desktop.sim import Simulator
from rtcc_desktop.store import open_store

REPO = Path(__file__).resolve().parents[2]
START = "2024-05-01T18:00:00Z"


def sim_feeds(sim: Simulator, **changes: object) -> dict[str, FeedConfig]:
    """The simulator's own settings file, loaded through our config checker."""
    from dataclasses import replace

    cfg = parse_config(sim.feeds_toml(interval_s=1.0), name="<sim>")
    return {f.name: replace(f, **changes) if changes else f for f in cfg.feeds}


def sim_cad_rows(sim: Simulator) -> dict[str, dict]:
    """Every CAD row the simulator publishes now, by incident number, read over HTTP."""
    resp = requests.get(sim.url("/resource/cad.json"), params={"$select": ":*, *", "$limit": "50000"}, timeout=30)
    resp.raise_for_status()
    rows = resp.json()
    return {r["incident_number"]: r for r in rows}


def stored_cad(db: Path, source: str = "sim-cad") -> dict[str, tuple]:
    con = sqlite3.connect(db)
    try:
        cur = con.execute("SELECT source_id, type, priority, narrative FROM incidents WHERE source = ?", (source,))
        return {r[0]: r[1:] for r in cur}
    finally:
        con.close()


def stored_count(db: Path) -> int:
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM incidents").fetchone()[0]
    except sqlite3.OperationalError:  # the file is still being created
        return 0
    finally:
        con.close()


def stored_cursor(db: Path, feed: str = "sim-cad") -> dict | None:
    con = sqlite3.connect(db, timeout=10)
    try:
        row = con.execute("SELECT cursor FROM feed_state WHERE name = ?", (feed,)).fetchone()
    finally:
        con.close()
    return json.loads(row[0]) if row and row[0] else None


def assert_same_as_sim(db: Path, sim_rows: dict[str, dict]) -> None:
    got = stored_cad(db)
    assert sorted(got) == sorted(sim_rows), "stored incident numbers differ from the simulator's"
    stale = [k for k, r in sim_rows.items() if got[k] != (r["call_type"], r["priority"], r["narrative"])]
    assert not stale, f"{len(stale)} rows do not hold the latest version, e.g. {stale[:3]}"


@pytest.fixture
def sim():
    s = Simulator(seed=7, rate_per_min=60, history=400, start=START)
    s.clock.freeze()
    s.start()
    yield s
    s.stop()


def test_all_four_sim_feeds_sync_and_the_second_poll_is_quiet(sim, session, store):
    feeds = sim_feeds(sim)
    assert sorted(feeds) == ["sim-alpr", "sim-cad", "sim-cameras", "sim-gunshots"]
    for feed in feeds.values():
        rep = sync_once(store, feed, session)
        assert rep.ok and rep.inserted > 0, rep.summary()
    counts = sim.health()["counts"]
    assert store.counts() == {k: counts[k] for k in ("cad", "alpr", "gunshot", "camera")}
    sim.faults.clear_log()
    for feed in feeds.values():
        rep = sync_once(store, feed, session)
        assert rep.ok and rep.inserted == rep.updated == 0
    # gunshots/ALPR asked only for what is newer than their cursor
    assert "since=" in sim.faults.requests("/alpr.json")[-1].query
    # an unchanged camera registry costs a 304, not a download
    assert sim.faults.statuses("/cameras.geojson") == [304]


def test_incremental_socrata_gets_every_row_once_while_the_city_keeps_changing(sim, session, tmp_path):
    """Many polls, small pages, the clock moving between (and during) polls."""
    db = tmp_path / "cache.sqlite"
    store = open_store(db)
    feed = sim_feeds(sim, page_size=25)["sim-cad"]
    stop = threading.Event()

    def tick():  # new calls and dispatcher edits arrive while pages are being read
        while not stop.wait(0.02):
            sim.clock.advance(3)

    t_end = sim.clock.now() + 600  # ten simulated minutes: new calls, and edits to recent ones
    ticker = threading.Thread(target=tick, name="rtcc-test-clock")
    ticker.start()
    try:
        polls = []
        give_up = time.monotonic() + 45
        while sim.clock.now() < t_end and time.monotonic() < give_up:
            rep = sync_once(store, feed, session)
            assert rep.ok, rep.error
            polls.append(rep)
    finally:
        stop.set()
        ticker.join()
    assert sim.clock.now() >= t_end, "the simulated clock did not move"
    # caught up with a still clock: one poll may still bring what arrived during the last one
    for _ in range(3):
        last = sync_once(store, feed, session)
        assert last.ok
        if last.inserted == last.updated == 0:
            break
    assert last.inserted == last.updated == 0
    store.close()
    assert len(polls) >= 3 and polls[0].pages > 1  # several polls, and real paging
    assert sum(p.updated for p in polls) > 0, "the simulator should have edited some calls"
    sim_rows = sim_cad_rows(sim)
    assert_same_as_sim(db, sim_rows)
    newest = max((r[":updated_at"], r[":id"]) for r in sim_rows.values())
    assert stored_cursor(db) == {"updated_at": newest[0], "id": newest[1]}


def test_5xx_and_429_are_retried_and_counted_in_the_server_log(sim, session, store, monkeypatch):
    waits: list[float] = []
    real = StoppableRetry._wait
    monkeypatch.setattr(StoppableRetry, "_wait", lambda self, s: (waits.append(s), real(self, s))[1])
    feed = sim_feeds(sim)["sim-cad"]
    sim.faults.fail_next(2, status=500, path="/resource/cad.json")
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == sim.health()["counts"]["cad"]
    assert sim.faults.statuses("/resource/cad.json") == [500, 500, 200]
    assert 1.0 not in waits

    sim.clock.advance(120)
    sim.faults.clear_log()
    sim.faults.fail_next(1, status=429, retry_after=1, path="/resource/cad.json")
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted > 0
    assert sim.faults.statuses("/resource/cad.json") == [429, 200]
    assert waits[-1] == 1.0  # the server's Retry-After, not our own backoff
    assert store.counts()["cad"] == sim.health()["counts"]["cad"]


def test_persistent_errors_fail_the_poll_with_the_servers_message(sim, store):
    feed = sim_feeds(sim)["sim-cad"]
    sim.faults.fail_next(10, status=503, path="/resource/cad.json")
    s = make_session(retries=2, backoff_factor=0.01)
    try:
        rep = sync_once(store, feed, s)
    finally:
        s.close()
    assert not rep.ok and "HTTP 503" in rep.error and "after 2 retries" in rep.error and "Internal error" in rep.error
    assert sim.faults.statuses("/resource/cad.json") == [503, 503, 503]
    assert store.counts()["cad"] == 0 and store.feed_state("sim-cad")["last_error"] == rep.error


def test_timeout_then_recovery(sim, session, store):
    feed = sim_feeds(sim, timeout_s=0.3)["sim-cad"]
    sim.faults.delay_next(1, seconds=1.0, path="/resource/cad.json")
    rep = sync_once(store, feed, session)
    assert rep.ok and rep.inserted == sim.health()["counts"]["cad"]
    deadline = time.monotonic() + 10  # the held request is logged when the server lets it go
    while len(sim.faults.requests("/resource/cad.json")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    # two requests reached the server: the held one (given up on) and the retry that worked
    assert sorted(str(r.fault) for r in sim.faults.requests("/resource/cad.json")) == ["None", "delay"]


def test_timeouts_on_every_try_are_reported_clearly(sim, store):
    feed = sim_feeds(sim, timeout_s=0.2)["sim-gunshots"]
    sim.faults.delay_next(3, seconds=5, path="/gunshots.geojson")
    s = make_session(retries=2, backoff_factor=0.01)
    try:
        rep = sync_once(store, feed, s)
    finally:
        s.close()
    assert not rep.ok and "timed out waiting for" in rep.error
    assert store.counts()["gunshot"] == 0


def test_truncated_json_is_a_feed_error_and_nothing_is_committed(sim, session, store):
    feed = sim_feeds(sim)["sim-cad"]
    sim.faults.truncate_next(1, path="/resource/cad.json")
    rep = sync_once(store, feed, session)
    assert not rep.ok and "not valid JSON" in rep.error and "nothing from it was stored" in rep.error
    assert store.counts()["cad"] == 0
    state = store.feed_state("sim-cad")
    assert state["cursor"] is None and state["last_error"] == rep.error
    rep = sync_once(store, feed, session)
    assert rep.ok and store.counts()["cad"] == sim.health()["counts"]["cad"]


def test_connection_cut_mid_body_and_dropped_connections(sim, session, store):
    feed = sim_feeds(sim)["sim-alpr"]
    sim.faults.truncate_next(1, path="/alpr.json", full_length=True)
    rep = sync_once(store, feed, session)
    assert not rep.ok and "broke off" in rep.error and store.counts()["alpr"] == 0
    sim.faults.drop_connection_next(1, path="/alpr.json")
    rep = sync_once(store, feed, session)  # a dropped connection is retried inside the poll
    assert rep.ok and store.counts()["alpr"] == sim.health()["counts"]["alpr"]


def test_duplicated_rows_are_stored_once(sim, session, store, tmp_path):
    feeds = sim_feeds(sim, page_size=50)
    sim.faults.duplicate_rows(100)
    for name in ("sim-cad", "sim-gunshots", "sim-alpr"):
        rep = sync_once(store, feeds[name], session)
        assert rep.ok, rep.error
        assert rep.fetched > rep.inserted  # duplicates were in the payloads...
    counts = sim.health()["counts"]
    assert store.counts()["cad"] == counts["cad"]  # ...but every row is stored once
    assert store.counts()["gunshot"] == counts["gunshot"] and store.counts()["alpr"] == counts["alpr"]
    assert_same_as_sim(Path(store.path), sim_cad_rows(sim))


def test_renamed_column_is_a_clear_error_and_sync_resumes_once_mapped(sim, session, store):
    feed = sim_feeds(sim, page_size=100)["sim-cad"]
    assert sync_once(store, feed, session).ok
    before = store.counts()["cad"]
    cursor = store.feed_state("sim-cad")["cursor"]
    sim.faults.rename_field("incident_number", "cad_event_number")
    sim.clock.advance(600)  # new calls arrive under the new schema
    rep = sync_once(store, feed, session)
    assert not rep.ok
    assert "incident_number" in rep.error and "cad_event_number" in rep.error  # what changed, by name
    assert store.counts()["cad"] == before and store.feed_state("sim-cad")["cursor"] == cursor
    # the analyst updates the mapping: the missed rows arrive, none twice
    from dataclasses import replace

    fixed = replace(feed, fields={**feed.fields, "source_id": "cad_event_number"})
    rep = sync_once(store, fixed, session)
    assert rep.ok and rep.inserted > 0
    sim.faults.rename_field("incident_number", None)
    assert_same_as_sim(Path(store.path), sim_cad_rows(sim))


def test_renamed_column_without_a_mapping_is_found_by_name(sim, session, store):
    from dataclasses import replace

    feed = replace(sim_feeds(sim)["sim-cad"], fields={}, time_format=None)
    sim.faults.rename_field("call_type", "nature")
    rep = sync_once(store, feed, session)
    assert rep.ok, rep.error
    types = {r[1] for r in stored_cad(Path(store.path)).values()}
    assert types and None not in types


def test_app_token_comes_from_the_environment(tmp_path, session, monkeypatch):
    sim = Simulator(seed=3, history=50, start=START, token="sim-token-123")
    sim.clock.freeze()
    sim.start()
    store = open_store(tmp_path / "c.sqlite")
    try:
        feed = sim_feeds(sim)["sim-cad"]
        assert feed.token_env == "RTCC_SIM_TOKEN"
        monkeypatch.setenv("RTCC_SIM_TOKEN", "wrong")
        rep = sync_once(store, feed, session)
        assert not rep.ok and "HTTP 403" in rep.error and "Invalid app_token" in rep.error
        assert "wrong" not in rep.error
        monkeypatch.setenv("RTCC_SIM_TOKEN", "sim-token-123")
        rep = sync_once(store, feed, session)
        assert rep.ok and rep.inserted > 0
        assert "sim-token-123" not in json.dumps(store.feed_state("sim-cad"))
    finally:
        store.close()
        sim.stop()


# --------------------------------------------------------------------------- crash test

CHILD = textwrap.dedent(
    """
    import logging, sys
    from rtcc_desktop.config import load_config
    from rtcc_desktop.feeds.http import make_session
    from rtcc_desktop.feeds.sync import sync_once
    from rtcc_desktop.store import open_store

    logging.basicConfig(level=logging.WARNING)
    feed = load_config(sys.argv[1]).feed("sim-cad")
    store = open_store(sys.argv[2])
    session = make_session(retries=3, backoff_factor=0.05)
    while True:  # poll until a poll brings nothing new
        rep = sync_once(store, feed, session)
        if not rep.ok:
            sys.exit("sync failed: " + str(rep.error))
        if rep.inserted == 0 and rep.updated == 0:
            break
    store.close()
    session.close()
    sys.stdout.write("caught up\\n")
    """
)


def _spawn(script: Path, cfg: Path, db: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(script), str(cfg), str(db)],
        cwd=str(REPO),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _keys_up_to(sim_rows: dict[str, dict], cursor: dict | None) -> set[str]:
    if cursor is None:
        return set()
    bound = (cursor["updated_at"], cursor["id"])
    return {k for k, r in sim_rows.items() if (r[":updated_at"], r[":id"]) <= bound}


def test_sigkill_mid_sync_then_restart_ends_with_every_row_exactly_once(tmp_path):
    sim = Simulator(seed=11, rate_per_min=60, history=6000, start=START)
    sim.clock.freeze()
    sim.start()
    try:
        text = sim.feeds_toml().replace("page_size = 1000", "page_size = 30")
        cfg = tmp_path / "feeds.toml"
        cfg.write_text(text, encoding="utf-8")
        script = tmp_path / "sync_child.py"
        script.write_text(CHILD, encoding="utf-8")
        db = tmp_path / "crash.sqlite"
        sim_rows = sim_cad_rows(sim)
        total = len(sim_rows)
        assert total > 1500

        kills_mid_sync = 0
        for k in range(1, 5):
            if k == 4:  # the city moves on between crashes: new calls and edits to old ones
                sim.clock.advance(900)
                sim_rows = sim_cad_rows(sim)
                total = len(sim_rows)
            target = min(total - 1, stored_count(db) + total // 6)
            child = _spawn(script, cfg, db)
            deadline = time.monotonic() + 40
            while child.poll() is None and stored_count(db) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=30)
            assert child.returncode in (-signal.SIGKILL, 0), child.returncode
            count = stored_count(db)
            if child.returncode == -signal.SIGKILL and count < total:
                kills_mid_sync += 1
            # the cursor never runs ahead of the rows committed with it
            stored = set(stored_cad(db))
            covered = _keys_up_to(sim_rows, stored_cursor(db))
            assert covered <= stored, f"{len(covered - stored)} rows behind the cursor are missing after kill {k}"
            if k < 4:  # frozen data: the rows are exactly those up to the cursor
                assert stored == covered
        assert kills_mid_sync >= 3, "the child finished before it could be killed mid-sync"

        child = _spawn(script, cfg, db)
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err.decode(errors="replace")[-2000:]
        assert b"caught up" in out
        assert_same_as_sim(db, sim_rows)
        con = sqlite3.connect(db)
        try:
            dupes = con.execute(
                "SELECT count(*) FROM (SELECT source_id FROM incidents GROUP BY source, source_id HAVING count(*) > 1)"
            ).fetchone()[0]
            total_stored = con.execute("SELECT count(*) FROM incidents").fetchone()[0]
        finally:
            con.close()
        assert dupes == 0 and total_stored == len(sim_rows)
        newest = max((r[":updated_at"], r[":id"]) for r in sim_rows.values())
        assert stored_cursor(db) == {"updated_at": newest[0], "id": newest[1]}
    finally:
        sim.stop()


def test_engine_keeps_every_sim_feed_current_and_reports_changes(tmp_path):
    from rtcc_desktop.feeds.sync import SyncEngine

    sim = Simulator(seed=5, rate_per_min=60, history=200, start=START)
    sim.clock.freeze()
    sim.start()
    db = tmp_path / "live.sqlite"
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def on_change(kind: str, max_rowid: int) -> None:
        with lock:
            seen[kind] = max(seen.get(kind, 0), max_rowid)

    try:
        # 1 s polls: short enough to catch up fast, long enough that a loaded CI core
        # (a poll thread starved for 0.6 s) does not read as an amber feed
        cfg = parse_config(sim.feeds_toml(interval_s=1.0, camera_interval_s=1.0), name="<sim>")
        engine = SyncEngine(db, cfg, on_change=on_change)
        engine.start()
        try:
            sim.clock.advance(300)  # five minutes of new calls, shots and reads
            want = {k: v for k, v in sim.health()["counts"].items()}
            deadline = time.monotonic() + 30
            reader = open_store(db)
            try:
                while time.monotonic() < deadline and reader.counts() != {k: want[k] for k in reader.counts()}:
                    time.sleep(0.05)
                counts = reader.counts()
            finally:
                reader.close()
            health = {h.name: h for h in engine.health()}
        finally:
            engine.stop()
        assert not [t.name for t in threading.enumerate() if t.name.startswith("rtcc-sync-")]
    finally:
        sim.stop()
    assert counts == {k: want[k] for k in counts}
    assert {h.status for h in health.values()} == {"green"}, {n: h.reason for n, h in health.items()}
    assert health["sim-cad"].rows_in >= want["cad"] and health["sim-cad"].lag_s is not None
    assert seen == counts  # ids are dense in a fresh file: the last change notice names the newest row
