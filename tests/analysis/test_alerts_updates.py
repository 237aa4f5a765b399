"""Alerts on records a feed EDITS after inserting them (same source_id, same rowid).

A CAD call first sent as P3 and later upgraded to P1 inside a geofence, or a
plate read corrected to a listed plate, must alert once, and only once, even
across restarts and further edits. All on real SQLite files.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from rtcc_desktop.analysis import alerts as A
from rtcc_desktop.analysis import geofence as G
from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.timeutil import to_iso, utc_now
from rtcc_desktop.store import open_store, schema
from rtcc_desktop.store.connection import connect
from rtcc_desktop.store.schema import SCHEMA_VERSION, migrate, schema_version
from rtcc_desktop.store.upserts import record_params, write_records

SQUARE = ((47.60, -122.34), (47.60, -122.33), (47.61, -122.33), (47.61, -122.34))
INSIDE = (47.605, -122.335)
OUTSIDE = (47.62, -122.335)


def call(source_id: str, priority: str, where=INSIDE, **extra) -> dict:
    t = to_iso(utc_now() - timedelta(minutes=5))
    return {"source": "test-cad", "source_id": source_id, "time": t, "lat": where[0], "lon": where[1],
            "type": "SHOTS FIRED", "priority": priority, "address": "PIKE ST", **extra}


def read(source_id: str, plate: str, **extra) -> dict:
    return {"source": "test-alpr", "source_id": source_id, "time": to_iso(utc_now()), "plate": plate, "state": "WA",
            "lat": INSIDE[0], "lon": INSIDE[1], "camera": "CAM-7", **extra}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "cache.sqlite"


@pytest.fixture
def store(db_path):
    s = open_store(db_path)
    G.save_geofence(s, G.Geofence("downtown", points=SQUARE))
    H.import_hotlist_text(s, "plate,state,reason\nABC1234,WA,STOLEN VEHICLE\n", "stolen")
    yield s
    s.close()


def test_p3_call_upgraded_to_p1_inside_a_fence_alerts_once(store):
    engine = A.AlertEngine(store)
    first = store.upsert("cad", [call("c1", "3")])
    assert engine.process("cad", first.max_rowid) == []  # P3: below the fence's priority
    [row] = store.changes_since("cad", 0)

    upgraded = store.upsert("cad", [call("c1", "1", narrative="WEAPON SEEN - UPGRADED")])
    assert (upgraded.inserted, upgraded.updated) == (0, 1)
    new = engine.process("cad", upgraded.max_rowid)
    assert [(a["rule"], a["record"], a["severity"]) for a in new] == [("geofence:downtown", f"cad:{row['id']}", "high")]
    assert "P1" in new[0]["summary"]

    # further edits of the same call (still urgent) never raise a second alert
    store.upsert("cad", [call("c1", "1", narrative="UNITS ON SCENE")])
    assert engine.process() == []
    store.upsert("cad", [call("c1", "2", narrative="DOWNGRADED")])
    assert engine.process() == []
    assert len(A.list_alerts(store)) == 1


def test_an_edit_that_moves_a_call_into_the_fence_alerts(store):
    engine = A.AlertEngine(store)
    store.upsert("cad", [call("c9", "1", where=OUTSIDE)])
    assert engine.process() == []
    store.upsert("cad", [call("c9", "1", where=INSIDE)])  # the address was geocoded again
    assert [a["rule"] for a in engine.process()] == ["geofence:downtown"]


def test_a_plate_read_corrected_to_a_listed_plate_alerts(store):
    engine = A.AlertEngine(store)
    store.upsert("alpr", [read("r1", "ABC1Z34")])
    assert engine.process() == []
    store.upsert("alpr", [read("r1", "ABC1234")])  # the vendor's corrected OCR
    new = engine.process()
    assert [(a["rule"], a["detail"]["plate"]) for a in new] == [("hotlist:stolen", "ABC1234")]
    store.upsert("alpr", [read("r1", "ABC1234", camera="CAM-8")])
    assert engine.process() == []


def test_re_reading_an_unchanged_row_logs_no_change(store):
    engine = A.AlertEngine(store)
    rec = call("c1", "3")
    store.upsert("cad", [rec])
    engine.process()
    before = engine.cursors()[A.UPDATED]
    store.upsert("cad", [rec])  # the same page polled again
    engine.process()
    assert engine.cursors()[A.UPDATED] == before
    assert store.db.execute("SELECT count(*) FROM record_changes").fetchone()[0] == 0


def test_restart_does_not_re_alert_and_the_cursor_survives(store, db_path):
    engine = A.AlertEngine(store)
    store.upsert("cad", [call("c1", "3"), call("c2", "4")])
    engine.process()
    store.upsert("cad", [call("c1", "1")])
    assert len(engine.process()) == 1
    saved = engine.cursors()
    assert saved[A.UPDATED] > 0

    # the app restarts: a new connection and a new engine on the same file
    other = open_store(db_path)
    try:
        for start_at in ("now", "all"):
            again = A.AlertEngine(other, start_at=start_at)
            assert again.cursors() == saved  # the saved cursors win over start_at
            assert again.process() == []
        # an edit made while no engine ran is picked up at the next start
        other.upsert("cad", [call("c2", "1")])
        later = A.AlertEngine(other)
        assert [a["record_id"] for a in later.process()] == [other.changes_since("cad", 0)[1]["id"]]
        assert later.cursors()[A.UPDATED] > saved[A.UPDATED]
        # even with every cursor lost, UNIQUE(rule, record) holds
        other.db.execute("DELETE FROM alert_cursors")
        assert A.AlertEngine(other, start_at="all").process() == []
    finally:
        other.close()
    assert len(A.list_alerts(store)) == 2


def test_a_fresh_engine_ignores_old_edits_unless_asked(store):
    store.upsert("cad", [call("c1", "3")])
    store.upsert("cad", [call("c1", "1")])
    assert A.AlertEngine(store).process() == []  # history, not news
    store.db.execute("DELETE FROM alert_cursors")
    assert len(A.AlertEngine(store, start_at="all").process()) == 1


def test_many_edits_are_read_in_batches(store, monkeypatch):
    monkeypatch.setattr(A, "BATCH", 3)
    engine = A.AlertEngine(store)
    store.upsert("cad", [call(f"c{i}", "4") for i in range(10)])
    store.upsert("alpr", [read("r1", "ZZZ0000")])
    assert engine.process() == []
    store.upsert("cad", [call(f"c{i}", "1") for i in range(10)])
    store.upsert("alpr", [read("r1", "ABC1234")])
    new = engine.process()
    assert sorted(a["kind"] for a in new) == ["alpr"] + ["cad"] * 10
    assert engine.cursors()[A.UPDATED] == store.db.execute("SELECT max(seq) FROM record_changes").fetchone()[0]


def test_a_file_from_the_previous_version_is_migrated_and_its_old_rows_alert_when_edited(tmp_path):
    path = tmp_path / "old.sqlite"
    previous = schema.MIGRATIONS.index(schema._m5_change_log)
    db = connect(path)
    migrate(db, target=previous)
    A.ensure_tables(db)  # the alert tables as an engine of that release left them
    db.conn.execute("BEGIN")
    write_records(db.conn, "cad", record_params("cad", [call("old1", "3")]))  # that release's insert path
    db.conn.executemany("INSERT INTO alert_cursors (kind, rowid) VALUES (?, ?)", [(k, 1 if k == "cad" else 0) for k in A.WATCHED])
    db.conn.commit()
    db.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == previous
    conn.close()

    with open_store(path) as s:
        assert schema_version(s.db) == SCHEMA_VERSION
        assert s.counts()["cad"] == 1 and s.db["record_changes"].count == 0
        G.save_geofence(s, G.Geofence("downtown", points=SQUARE))
        engine = A.AlertEngine(s)  # resumes the old cursors; the change cursor starts at the log's start
        assert engine.cursors() == {"alpr": 0, "gunshot": 0, "cad": 1, A.UPDATED: 0}
        assert engine.process() == []
        s.upsert("cad", [call("old1", "1")])  # a row stored before the migration, edited after it
        new = engine.process()
        assert [(a["record_id"], a["rule"]) for a in new] == [(1, "geofence:downtown")]


def test_the_simulators_dispatch_edits_raise_alerts_over_http(tmp_path):
    """Sync the sim's CAD feed, let dispatch edit calls for an hour, sync again: upgrades alert, once."""
    from rtcc_desktop.config import parse_config
    from rtcc_desktop.feeds.http import make_session
    from rtcc_desktop.feeds.sync import sync_once
    from rtcc_desktop.sim import Simulator

    sim = Simulator(seed=5, rate_per_min=30, history=900, start="2024-05-01T18:00:00Z")
    sim.clock.freeze()
    sim.start()
    session = make_session(retries=2, backoff_factor=0.01, backoff_jitter=0.01)
    store = open_store(tmp_path / "cache.sqlite")
    try:
        G.save_geofence(store, G.Geofence("county", center=sim.center, radius_m=60_000))
        sim_now = lambda: datetime.fromtimestamp(sim.clock.now(), timezone.utc)  # noqa: E731 - the sim's "now"
        engine = A.AlertEngine(store, clock=sim_now)
        feed = next(f for f in parse_config(sim.feeds_toml(interval_s=1.0), name="<sim>").feeds if f.kind == "cad")
        updated = 0

        def sync() -> None:
            nonlocal updated
            rep = sync_once(store, feed, session, on_change=engine.notify)
            assert rep.ok, rep.error
            updated += rep.updated

        sync()
        first = {rid: (priority_level(p), lat, lon)
                 for rid, p, lat, lon in store.db.execute("SELECT id, priority, lat, lon FROM incidents")}
        sim.clock.advance(3600)  # every pending edit of the history's calls is now published
        sync()
        sync()  # a quiet poll: nothing new, nothing raised
        assert updated > 0, "the simulator should have edited some calls"

        fence = G.list_geofences(store)[0]
        now = {rid: (priority_level(p), lat, lon)
               for rid, p, lat, lon in store.db.execute("SELECT id, priority, lat, lon FROM incidents")}

        def urgent(seen: dict) -> set[str]:
            return {f"cad:{rid}" for rid, (p, lat, lon) in seen.items() if p is not None and p <= 2 and fence.contains(lat, lon)}

        # every version the engine saw: the first sync's, then the latest (a later downgrade keeps its alert)
        expected = urgent(first) | urgent(now)
        upgraded = urgent(now) - urgent(first) - {f"cad:{rid}" for rid in now if rid not in first}
        raised = [a["record"] for a in A.list_alerts(store, limit=100_000)]
        assert len(raised) == len(set(raised))  # one alert per call
        assert set(raised) == expected
        assert upgraded, "no call was upgraded into the fence's priority between the two syncs"
        assert A.AlertEngine(store, clock=sim_now).process() == []
    finally:
        store.close()
        session.close()
        sim.stop()
