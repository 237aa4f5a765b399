"""Hot-list and geofence alerts raised from store-change notices, never twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from rtcc_desktop.analysis import alerts as A
from rtcc_desktop.analysis import geofence as G
from rtcc_desktop.analysis import hotlist as H
from rtcc_desktop.model.priority import priority_level
from rtcc_desktop.model.timeutil import to_iso, utc_now
from rtcc_desktop.store import open_store

SQUARE = ((47.60, -122.34), (47.60, -122.33), (47.61, -122.33), (47.61, -122.34))
INSIDE = (47.605, -122.335)
OUTSIDE = (47.62, -122.335)
_seq = iter(range(1, 1_000_000))


def _now(offset_s: int = 0) -> str:
    return to_iso(utc_now() + timedelta(seconds=offset_s))


def read(plate: str, state: str | None = "WA", where=INSIDE) -> dict:
    return {"source": "test-alpr", "source_id": f"a{next(_seq)}", "time": _now(), "plate": plate, "state": state,
            "lat": where[0], "lon": where[1], "camera": "CAM-7", "address": "3RD AVE & PINE ST"}


def shot(where=INSIDE) -> dict:
    return {"source": "test-shots", "source_id": f"g{next(_seq)}", "time": _now(), "lat": where[0], "lon": where[1],
            "type": "Multiple Gunshots", "rounds": 4.0}


def call(priority: str, where=INSIDE) -> dict:
    return {"source": "test-cad", "source_id": f"c{next(_seq)}", "time": _now(), "lat": where[0], "lon": where[1],
            "type": "SHOTS FIRED", "priority": priority, "address": "PIKE ST"}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "cache.sqlite"


@pytest.fixture
def store(db_path):
    s = open_store(db_path)
    H.import_hotlist_text(s, "plate,state,reason,expiry\nABC1234,WA,STOLEN VEHICLE,2099-01-01\nOLD9999,,EXPIRED,2001-01-01\n", "stolen")
    H.import_hotlist_text(s, "plate,reason\nB0LT55,AMBER ALERT\n", "amber", confusion=True)
    G.save_geofence(s, G.Geofence("downtown", points=SQUARE))
    yield s
    s.close()


def test_hotlist_hit_raises_one_alert_with_the_details(store):
    engine = A.AlertEngine(store)
    res = store.upsert("alpr", [read("ABC1234"), read("ZZZ0000")])
    new = engine.process("alpr", res.max_rowid)
    assert len(new) == 1
    a = new[0]
    assert (a["rule"], a["kind"], a["state"], a["severity"]) == ("hotlist:stolen", "alpr", "new", "high")
    assert a["record"] == f"alpr:{a['record_id']}" and store.get("alpr", a["record_id"])["plate"] == "ABC1234"
    assert "STOLEN VEHICLE" in a["summary"] and "ABC1234" in a["summary"]
    assert a["detail"]["listed_plate"] == "ABC1234" and a["detail"]["substituted"] is False
    assert engine.process() == []  # nothing new, nothing raised


def test_confusion_only_for_lists_that_enable_it_and_never_for_expired(store):
    engine = A.AlertEngine(store)
    store.upsert("alpr", [read("A8C1234"), read("BOLT5S", None), read("OLD9999"), read("ABC1234", "OR")])
    new = engine.process()
    assert [(a["rule"], a["detail"]["plate"], a["detail"]["substituted"]) for a in new] == [("hotlist:amber", "BOLT5S", True)]


def test_gunshot_and_priority_calls_inside_a_fence(store):
    engine = A.AlertEngine(store)
    store.upsert("gunshot", [shot(INSIDE), shot(OUTSIDE)])
    store.upsert("cad", [call("1"), call("P2"), call("3"), call("1", OUTSIDE), call("")])
    new = engine.process()
    got = sorted((a["kind"], a["severity"]) for a in new)
    assert got == [("cad", "high"), ("cad", "medium"), ("gunshot", "high")]
    assert all(a["rule"] == "geofence:downtown" for a in new)
    assert all(G.Geofence("x", points=SQUARE).contains(a["lat"], a["lon"]) for a in new)


def test_never_twice_even_after_a_restart_or_a_lost_cursor(store, db_path):
    engine = A.AlertEngine(store)
    store.upsert("alpr", [read("ABC1234")])
    store.upsert("gunshot", [shot()])
    assert len(engine.process()) == 2
    # a second engine on the same file (another workstation, or after a restart)
    other = open_store(db_path)
    try:
        again = A.AlertEngine(other, start_at="all")
        assert again.process() == []
        # even if the cursors are lost, UNIQUE(rule, record) holds
        other.db.execute("DELETE FROM alert_cursors")
        assert A.AlertEngine(other, start_at="all").process() == []
    finally:
        other.close()
    assert len(A.list_alerts(store)) == 2
    # re-reading the same rows from the feed (an update, not an insert) does not alert again
    store.upsert("alpr", [dict(read("ABC1234"), source_id="a-dup")])
    assert len(engine.process()) == 1
    store.upsert("alpr", [dict(read("ABC1234"), source_id="a-dup", camera="CAM-8")])
    assert engine.process() == []


def test_a_fresh_engine_does_not_alert_on_history_unless_asked(store):
    store.upsert("alpr", [read("ABC1234")])
    assert A.AlertEngine(store).process() == []
    assert A.AlertEngine(store, start_at="all").process() == []  # the saved cursor wins
    store.db.execute("DELETE FROM alert_cursors")
    assert [a["rule"] for a in A.AlertEngine(store, start_at="all").process()] == ["hotlist:stolen"]


def test_new_lists_and_fences_apply_to_the_next_record(store):
    engine = A.AlertEngine(store)
    store.upsert("alpr", [read("NEW0001")])
    assert engine.process() == []
    H.import_hotlist_text(store, "plate\nNEW0001\n", "bolo")
    store.upsert("alpr", [read("NEW0001")])
    assert [a["rule"] for a in engine.process()] == ["hotlist:bolo"]
    H.set_hotlist(store, "bolo", active=False)
    G.set_active(store, "downtown", False)
    store.upsert("alpr", [read("NEW0001")])
    store.upsert("gunshot", [shot()])
    assert engine.process() == []


def test_alert_actions_acknowledge_assign_note_and_filters(store):
    engine = A.AlertEngine(store)
    store.upsert("alpr", [read("ABC1234")])
    store.upsert("gunshot", [shot()])
    new = engine.process()
    hot = next(a for a in new if a["rule"].startswith("hotlist"))
    fence = next(a for a in new if a["rule"].startswith("geofence"))
    assert A.alert_counts(store)["new"] == 2
    assert A.acknowledge(store, hot["id"], "ana")["state"] == "acknowledged"
    assigned = A.assign(store, fence["id"], "Unit 3B12", "ana")
    assert (assigned["state"], assigned["assignee"]) == ("assigned", "Unit 3B12")
    noted = A.add_note(store, fence["id"], "  unit   on scene ", "sam")
    assert noted["notes"].splitlines()[-1].endswith("sam: unit on scene")
    assert A.acknowledge(store, fence["id"], "sam")["state"] == "assigned"  # stays with its assignee
    assert [a["id"] for a in A.list_alerts(store, states=["assigned"])] == [fence["id"]]
    assert [a["id"] for a in A.list_alerts(store, rule_kind="hotlist")] == [hot["id"]]
    assert [a["id"] for a in A.list_alerts(store)] == [fence["id"], hot["id"]]  # newest first
    with pytest.raises(A.AlertError, match="no alert"):
        A.acknowledge(store, 999, "ana")
    with pytest.raises(A.AlertError, match="empty"):
        A.add_note(store, hot["id"], "   ", "ana")
    with pytest.raises(A.AlertError):
        A.assign(store, hot["id"], "", "ana")


def test_engine_thread_raises_on_the_notice(store, db_path):
    """Wired as the sync engine's on_change: the alert arrives without waiting for a sweep."""
    engine = A.AlertEngine(store)
    got: list[dict] = []
    arrived = threading.Event()

    def listener(alerts):
        got.extend(alerts)
        arrived.set()

    engine.subscribe(listener)
    engine.start(sweep_s=3600)  # a sweep would never come in this test's lifetime
    try:
        writer = open_store(db_path)  # the feed's own connection
        try:
            res = writer.upsert("alpr", [read("ABC1234")])
            engine.notify("alpr", res.max_rowid)
            assert arrived.wait(10)
        finally:
            writer.close()
    finally:
        engine.stop()
    assert not engine.running
    assert [a["rule"] for a in got] == ["hotlist:stolen"]


def test_a_broken_listener_does_not_stop_alerting(store):
    engine = A.AlertEngine(store)
    engine.subscribe(lambda alerts: 1 / 0)
    store.upsert("alpr", [read("ABC1234")])
    assert len(engine.process()) == 1
    store.upsert("alpr", [read("ABC1234")])
    assert len(engine.process()) == 1


# --------------------------------------------------------------------------- from the simulator, over HTTP


_CLASSES = {c: cls[0] for cls in ("0ODQ", "1IL", "2Z", "5S", "8B", "6G") for c in cls}


def _canon(plate: str) -> str:
    return "".join(_CLASSES.get(c, c) for c in plate)


def test_alerts_from_records_synced_from_the_simulator(tmp_path):
    """Hot list from /hotlist.csv, reads and shots from the sim's feeds, alerts on the sync notice."""
    import requests

    from rtcc_desktop.config import parse_config
    from rtcc_desktop.feeds.http import make_session
    from rtcc_desktop.feeds.sync import sync_once
    from rtcc_desktop.model.geo import haversine_m
    from rtcc_desktop.sim import Simulator

    # seed 2: its history holds 18 hot-list reads and 2 misreads of listed plates
    sim = Simulator(seed=2, rate_per_min=120, history=1500, start="2024-05-01T18:00:00Z")
    sim.clock.freeze()
    sim.start()
    session = make_session(retries=2, backoff_factor=0.01, backoff_jitter=0.01)
    store = open_store(tmp_path / "cache.sqlite")
    try:
        text = requests.get(sim.url("/hotlist.csv"), timeout=30).text
        rep = H.import_hotlist_text(store, text, "sim hot list", confusion=True, now=datetime(2024, 5, 1, 18, tzinfo=timezone.utc))
        assert rep.imported == len(sim.hotlist()) and rep.rejected == 0
        centre = sim.center
        G.save_geofence(store, G.Geofence("centre 2 km", center=centre, radius_m=2000))
        sim_now = lambda: datetime.fromtimestamp(sim.clock.now(), timezone.utc)  # noqa: E731 - the sim's "now"
        engine = A.AlertEngine(store, clock=sim_now)  # before the first sync: every synced record is new to it
        feeds = {f.kind: f for f in parse_config(sim.feeds_toml(interval_s=1.0), name="<sim>").feeds}
        notices = []

        def on_change(kind, max_rowid):
            notices.append(kind)
            engine.notify(kind, max_rowid)  # not started: runs right here, on the notice

        for kind in ("alpr", "gunshot", "cad"):
            assert sync_once(store, feeds[kind], session, on_change=on_change).ok
        assert {"alpr", "gunshot", "cad"} <= set(notices)

        listed = {(e["plate"], e["state"]) for e in sim.hotlist()}
        listed_canon = {(_canon(p), s): p for p, s in listed}
        reads = store.db.execute("SELECT id, plate, state FROM plate_reads").fetchall()
        expected_hot = {
            f"alpr:{rid}" for rid, plate, state in reads
            if (plate, state) in listed or (_canon(plate), state) in listed_canon
        }
        shots = store.db.execute("SELECT id, lat, lon FROM gunshots").fetchall()
        expected_shots = {f"gunshot:{gid}" for gid, lat, lon in shots if haversine_m(centre[0], centre[1], lat, lon) <= 2000}
        raised = A.list_alerts(store, limit=100_000)
        hot = {a["record"] for a in raised if a["rule"] == "hotlist:sim hot list"}
        fenced_shots = {a["record"] for a in raised if a["rule"] == "geofence:centre 2 km" and a["kind"] == "gunshot"}
        assert hot == expected_hot and len(hot) >= 5
        assert any(a["detail"]["substituted"] for a in raised if a["rule"].startswith("hotlist"))  # the sim's misreads
        assert fenced_shots == expected_shots and fenced_shots
        assert all(priority_level(store.get("cad", a["record_id"])["priority"]) <= 2
                   for a in raised if a["kind"] == "cad")

        # the feed is polled again and the engine restarts: still one alert per record and rule
        for kind in ("alpr", "gunshot", "cad"):
            assert sync_once(store, feeds[kind], session, on_change=on_change).ok
        assert A.AlertEngine(store, clock=sim_now).process() == []
        again = A.list_alerts(store, limit=100_000)
        assert len(again) == len(raised)
        assert len({(a["rule"], a["record"]) for a in again}) == len(again)
    finally:
        store.close()
        session.close()
        sim.stop()
