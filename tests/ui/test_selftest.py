"""``rtcc-desktop self-test`` end to end: the app on the simulator, offscreen, every panel live."""

from __future__ import annotations

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()

from rtcc_desktop.ui.selftest import run_self_test  # noqa: E402


def test_self_test_passes_on_the_simulator_and_reports_each_panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    shot = tmp_path / "shot.png"
    code, report = run_self_test(json_out=True, screenshot=str(shot), db=None, timeout_s=50)
    assert code == 0, "\n".join(report["lines"])
    m = report["map"]
    assert m["leaflet_loaded"] and m["bridge_ready"] and m["js_console_errors"] == []
    assert all(m["markers"][k] > 0 for k in ("cad", "gunshot", "alpr", "camera"))
    assert m["tiles_from_network"] + m["tiles_from_cache"] > 0
    assert report["video"]["live"] > 0
    assert {f["status"] for f in report["feeds"]} <= {"green", "amber"}
    assert shot.stat().st_size > 10_000
    assert all(line.startswith("[PASS]") for line in report["lines"])
    panels = report["panels"]
    assert all(panels["timeline"][k] > 0 for k in ("cad", "gunshot", "alpr"))
    assert panels["events"] > 0 and panels["search"]
    assert panels["alerts"]["hotlist"] >= 1 and panels["alerts"]["dock_title"].startswith("Alerts (")
    names = {c["name"] for c in report["checks"]}
    assert {"panels: docked", "timeline: events drawn", "event list: rows", "alerts: hot-list hits", "search: panel ready"} <= names


def test_self_test_fails_with_a_reason_when_the_database_cannot_be_used(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    not_a_db = tmp_path / "folder.sqlite"
    not_a_db.mkdir()
    code, report = run_self_test(json_out=False, screenshot=None, db=str(not_a_db), timeout_s=8)
    assert code == 1
    failed = [c for c in report["checks"] if not c["ok"]]
    assert failed and all(c["fix"] for c in failed)
    assert any(line.startswith("[FAIL]") for line in report["lines"])


def test_wall_self_test_with_a_broken_layout_fails_and_names_the_file(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("RTCC_HOME", str(tmp_path / "home"))
    bad = tmp_path / "my-wall.toml"
    bad.write_text("[wall]\n[[wall.screens]]\nshow = 'toaster'\n", encoding="utf-8")
    code, report = run_self_test(json_out=True, screenshot=None, db=None, timeout_s=8, wall=True, wall_layout=bad)
    assert code == 1
    failed = [c for c in report["checks"] if not c["ok"]]
    assert failed and all(c["fix"] for c in failed)
    assert "my-wall.toml" in failed[0]["detail"]
