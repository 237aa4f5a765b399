"""Builders for the wall tests: a real store file with records at chosen times, a clock to move."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rtcc_desktop.config import parse_config
from rtcc_desktop.model.records import fields_for
from rtcc_desktop.model.timeutil import to_iso
from rtcc_desktop.store import Store, open_store
from rtcc_desktop.wall_layout import WallLayout, hash_pin, parse_wall_layout

#: A fixed "now": 15:00 UTC, so local midnight in UTC is 15 h earlier.
T0 = datetime(2024, 6, 5, 15, 0, 0, tzinfo=timezone.utc)
PIN = "4711"
PIN_HASH = hash_pin(PIN, iterations=1000, salt=b"wall-test-salt!!")

FEEDS_TOML = """
[centre]
timezone = "UTC"

[[feeds]]
name = "cad-live"
kind = "cad"
format = "soda"
url = "http://127.0.0.1:9/resource/cad.json"
interval_s = 60

[[feeds]]
name = "shots"
kind = "gunshot"
format = "geojson"
url = "http://127.0.0.1:9/gunshots.geojson"
interval_s = 60

[[feeds]]
name = "plates"
kind = "alpr"
format = "json"
url = "http://127.0.0.1:9/alpr.json"
interval_s = 30
"""


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now = self.now + timedelta(seconds=seconds)


def config() -> Any:
    return parse_config(FEEDS_TOML, name="wall-test feeds")


def layout(*, pin: bool = True, extra: str = "", screens: str | None = None, refresh_s: float = 3600) -> WallLayout:
    lock = f'pin_hash = "{PIN_HASH}"\nmax_attempts = 3\nlockout_s = 600\n' if pin else ""
    screens = screens or '[[wall.screens]]\nscreen = 1\nshow = "map"\nstrip = "bottom"\n'
    text = f'[wall]\ntitle = "Test wall"\nrefresh_s = {refresh_s}\n{extra}\n[wall.lock]\n{lock}\n{screens}'
    return parse_wall_layout(text, name="test-wall.toml")


def rec(kind: str, source_id: str, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {name: None for name in fields_for(kind)}
    out.update(source_id=source_id, source=f"test-{kind}", agency="TEST PD", lat=33.61, lon=-85.83)
    out.update(fields)
    return out


def ago(seconds: float, now: datetime = T0) -> str:
    return to_iso(now - timedelta(seconds=seconds))


def fill_store(path: Path, now: datetime = T0) -> Store:
    """Records whose expected figures the tests know; every feed synced 10 s before ``now``."""
    from rtcc_desktop.analysis.hotlist import import_hotlist_text

    store = open_store(path)
    h = 3600
    store.upsert("cad", [
        rec("cad", "c1", time=ago(600, now), priority="1", type="Shots fired", address="1 Main St"),
        rec("cad", "c2", time=ago(1200, now), priority="1", type="Robbery", address="2 Main St"),
        rec("cad", "c3", time=ago(2 * h, now), priority="High", type="Assault", address="3 Main St"),
        rec("cad", "c4", time=ago(3 * h, now), priority="2", type="Theft", address="4 Main St"),
        rec("cad", "c5", time=ago(5 * h, now), priority="1", type="Old call", address="5 Main St"),  # outside 4 h
        rec("cad", "c6", time=ago(60, now), priority="4", type="Noise", address="6 Main St"),
    ])
    store.upsert("gunshot", [
        rec("gunshot", "g1", time=ago(300, now), rounds=3.0, address="10 Oak Ave"),
        rec("gunshot", "g2", time=ago(1800, now), rounds=1.0),
        rec("gunshot", "g3", time=ago(3 * h, now), rounds=5.0),
        rec("gunshot", "g4", time=ago(30 * h, now), rounds=2.0),  # outside 24 h
    ])
    import_hotlist_text(store, "plate,state,reason\nHOT123,AL,stolen vehicle\nWANT99,,warrant\n", "test list", now=now - timedelta(days=1))
    store.upsert("alpr", [
        rec("alpr", "a1", time=ago(3600, now), plate="HOT123", state="AL", camera="ALPR-01"),
        rec("alpr", "a2", time=ago(1800, now), plate="CLEAN1", state="AL", camera="ALPR-01"),
        rec("alpr", "a3", time=ago(900, now), plate="WANT99", state="GA", camera="ALPR-02"),
        rec("alpr", "a4", time=ago(20 * h, now), plate="HOT123", state="AL", camera="ALPR-02"),  # yesterday (UTC)
        rec("alpr", "a5", time=ago(12 * h, now), plate="HOT123", state="AL", camera="ALPR-02"),  # 03:00 UTC, 22:00 in Chicago
    ])
    for name in ("cad-live", "shots", "plates"):
        store.update_feed_health(name, last_success=ago(10, now))
    return store
