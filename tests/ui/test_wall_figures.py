"""The wall's figures, STALE marks, priority events and map following, on a real store file (no Qt)."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

from wall_helpers import T0, ago, config, fill_store, layout, rec

from rtcc_desktop.analysis.wall_figures import FigureState, MapFollower, PriorityEvent, compute_figures, fmt_age
from rtcc_desktop.model.timeutil import zone


def test_figures_count_what_the_store_holds(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "w.sqlite")
    try:
        f = compute_figures(store, config(), layout(), T0, timezone.utc, FigureState())
    finally:
        store.close()
    assert f.cad_open == {"p1": 3, "p2": 1, "p3": 0, "p4": 1, "p0": 0}  # the 5-hour-old P1 is no longer open
    assert (f.gunshots_1h, f.gunshots_24h) == (2, 3)
    assert f.hotlist_today == 3  # yesterday's hit does not count
    assert all(not v for v in f.stale.values())
    assert [x.name for x in f.feeds] == ["cad-live", "shots", "plates"]


def test_hot_list_day_starts_at_local_midnight(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "w.sqlite")
    try:
        # 15:00 UTC is 10:00 in Chicago (CDT): the 03:00 UTC read was 22:00 yesterday there.
        f = compute_figures(store, config(), layout(), T0, zone("America/Chicago"), FigureState())
    finally:
        store.close()
    assert f.hotlist_today == 2


def test_new_rows_are_counted_incrementally_and_become_events(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "w.sqlite")
    state = FigureState()
    try:
        first = compute_figures(store, config(), layout(), T0, timezone.utc, state)
        assert {e.ref for e in first.history} >= {"gunshot:1", "cad:1"}  # the ticker starts with the last day
        assert not first.events  # ... but only new arrivals move the map
        now = T0 + timedelta(seconds=30)
        store.upsert("gunshot", [rec("gunshot", "g-new", time=ago(5, now), rounds=7.0, address="<b>9 Elm</b>")])
        store.upsert("alpr", [rec("alpr", "a-new", time=ago(3, now), plate="HOT123", state="AL")])
        store.upsert("cad", [rec("cad", "c-p3", time=ago(2, now), priority="3", type="Parking")])
        second = compute_figures(store, config(), layout(), now, timezone.utc, state)
    finally:
        store.close()
    assert second.hotlist_today == 4 and second.gunshots_1h == 3
    kinds = {e.kind: e for e in second.events}
    assert set(kinds) == {"gunshot", "hotlist"}  # the P3 call is not a priority event
    assert kinds["gunshot"].title == "GUNSHOT · 7 rounds" and kinds["gunshot"].where == "<b>9 Elm</b>"
    assert "HOT123" in kinds["hotlist"].title and "test list" in kinds["hotlist"].title


def test_feed_goes_stale_after_interval_times_factor_and_recovers(tmp_path: Path) -> None:
    store = fill_store(tmp_path / "w.sqlite")
    cfg, lay = config(), layout()
    try:
        late = T0 + timedelta(seconds=100)  # shots: 110 s old, limit 60 s x 3 = 180 s
        f = compute_figures(store, cfg, lay, late, timezone.utc, FigureState())
        assert not f.stale["gunshots_1h"]
        later = T0 + timedelta(seconds=200)  # 210 s: shots and cad stale; plates (30 s x 3 = 90 s) too
        f = compute_figures(store, cfg, lay, later, timezone.utc, FigureState())
        assert f.stale["gunshots_1h"] == ("shots",) and f.stale["gunshots_24h"] == ("shots",)
        assert f.stale["cad_open"] == ("cad-live",) and f.stale["hotlist_today"] == ("plates",)
        shots = next(x for x in f.feeds if x.name == "shots")
        assert shots.stale and "no update for 4 min" in shots.reason and "every 60 s" in shots.reason
        store.update_feed_health("shots", last_success=ago(1, later))
        f = compute_figures(store, cfg, lay, later, timezone.utc, FigureState())
        assert not f.stale["gunshots_1h"] and f.stale["cad_open"] == ("cad-live",)
    finally:
        store.close()


def test_a_feed_never_synced_is_stale_and_a_missing_feed_is_flagged(tmp_path: Path) -> None:
    from rtcc_desktop.config import parse_config
    from rtcc_desktop.store import open_store

    store = open_store(tmp_path / "empty.sqlite")
    cfg = parse_config('[[feeds]]\nname = "shots"\nkind = "gunshot"\nformat = "geojson"\nurl = "http://127.0.0.1:9/g"\n', name="t")
    try:
        f = compute_figures(store, cfg, layout(), T0, timezone.utc, FigureState())
    finally:
        store.close()
    assert f.stale["gunshots_1h"] == ("shots",) and f.feeds[0].reason == "never synced"
    assert f.no_feed["cad_open"] and not f.no_feed["gunshots_1h"]


def _ev(ref: str, t: str) -> PriorityEvent:
    return PriorityEvent(ref, "gunshot", t, 33.6, -85.8, "GUNSHOT", "")


def test_follower_dwells_backs_out_and_shows_the_newest_waiting_event() -> None:
    f = MapFollower(dwell_s=45, overview_s=15, max_age_s=900)
    f.offer(_ev("gunshot:1", ago(10)))
    assert f.step(0.0, T0) == ("focus", _ev("gunshot:1", ago(10)))
    f.offer(_ev("gunshot:2", ago(5)))
    f.offer(_ev("gunshot:3", ago(8)))  # older than the one waiting: dropped
    assert f.step(44.0, T0) is None  # still dwelling
    assert f.step(45.0, T0) == ("overview", None)
    assert f.step(50.0, T0) is None  # overview holds at least 15 s
    move = f.step(60.0, T0)
    assert move is not None and move[1] is not None and move[1].ref == "gunshot:2"


def test_follower_skips_events_that_grew_too_old_while_waiting() -> None:
    f = MapFollower(dwell_s=45, overview_s=15, max_age_s=60)
    f.offer(_ev("gunshot:1", ago(10)))
    f.step(0.0, T0)
    f.offer(_ev("gunshot:2", ago(30)))
    f.step(45.0, T0 + timedelta(seconds=45))
    assert f.step(60.0, T0 + timedelta(seconds=60)) is None  # 90 s old by now
    assert not f.focusing


def test_ages_read_at_a_glance() -> None:
    assert [fmt_age(x) for x in (None, 5, 600, 3 * 3600 + 300, 3 * 86400)] == ["never", "5 s", "10 min", "3 h 05 min", "3 d"]
