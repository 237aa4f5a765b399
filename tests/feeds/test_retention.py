"""Retention: old records go, the purge is audited, cameras and recent rows stay."""

from __future__ import annotations

from datetime import datetime, timezone

from rtcc_desktop.cli import main
from rtcc_desktop.feeds.retention import apply_retention
from rtcc_desktop.model.validate import FeedContext, normalise
from rtcc_desktop.store import open_store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def _fill(store):
    ctx = FeedContext(source="t", kind="alpr", agency="OPD")
    reads = [normalise({"plate": f"AB{i:04d}", "time": f"2026-{m:02d}-01T10:00:00Z", "lat": 33.61, "lon": -85.83, "camera": "c"}, ctx)
             for i, m in enumerate(range(1, 12))]
    store.upsert("alpr", reads)
    cam = normalise({"name": "Quintard", "lat": 33.61, "lon": -85.83}, FeedContext(source="t", kind="camera", agency="OPD"))
    store.upsert("camera", [cam])


def test_old_reads_are_purged_recent_kept_and_the_purge_audited(tmp_path):
    store = open_store(tmp_path / "c.sqlite")
    try:
        _fill(store)
        purged = apply_retention(store, {"alpr": 90, "camera": 1}, now=NOW)
        assert purged["alpr"] == 8  # January..August are older than 90 days before 28 Nov
        kept = sorted(r["time"] for r in store.plates("AB*", limit=100))
        assert kept == ["2026-09-01T10:00:00Z", "2026-10-01T10:00:00Z", "2026-11-01T10:00:00Z"]
        assert store.counts()["camera"] == 1  # cameras have no time and are never purged
        entries = [e for e in store.audit_list() if e["action"] == "retention purge"]
        assert {e["result_count"] for e in entries} == {8, 0}
    finally:
        store.close()


def test_purge_command_uses_the_config_policy(tmp_path, capsys):
    db = tmp_path / "c.sqlite"
    store = open_store(db)
    _fill(store)
    store.close()
    cfg = tmp_path / "feeds.toml"
    cfg.write_text("[retention]\nalpr = 30\n")
    assert main(["--db", str(db), "--config", str(cfg), "purge"]) == 0
    out = capsys.readouterr().out
    removed = int(out.split("alpr: removed ")[1].split()[0])
    assert removed >= 10 and "older than 30 days" in out  # Jan..Oct 2026 are past 30 days from any run date
    store = open_store(db)
    try:
        assert all(r["time"] >= "2026-10" for r in store.plates("*", limit=100))
    finally:
        store.close()
