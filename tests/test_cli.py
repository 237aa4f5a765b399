"""The command line as an installer or analyst uses it: real files, real database."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest

from rtcc_desktop.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_is_complete_for_every_subcommand():
    for argv in (["--help"], ["import", "--help"], ["sync", "--help"], ["sim", "--help"], ["query", "near", "--help"], ["query", "plate", "--help"], ["feeds", "--help"], ["self-test", "--help"], ["audit", "list", "--help"]):
        proc = subprocess.run([sys.executable, "-m", "rtcc_desktop", *argv], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "usage: rtcc-desktop" in proc.stdout


def test_import_dc_shotspotter_then_query_near_json(tmp_path, capsys, realdata):
    db = tmp_path / "c.sqlite"
    src = realdata / "gunshot_dc_shotspotter_foia" / "dc_shotspotter_2006_2013.csv"
    code, out, err = run(capsys, "--db", str(db), "import", "--kind", "gunshot", "--agency", "MPD", "--tz", "America/New_York", str(src))
    assert code == 0, err
    line = out.splitlines()[0]
    assert line.startswith(f"{src}: imported ")
    imported = int(line.split("imported ")[1].split(",")[0])
    assert imported > 30000

    # re-import: nothing new, everything updated
    code, out, _ = run(capsys, "--db", str(db), "import", "--kind", "gunshot", "--agency", "MPD", "--tz", "America/New_York", str(src))
    assert code == 0 and "imported 0," in out.splitlines()[0]

    code, out, _ = run(capsys, "--db", str(db), "query", "between", "--limit", "1", "--json")
    first = json.loads(out)[0]
    code, out, err = run(
        capsys, "--db", str(db), "query", "near", "--lat", str(first["lat"]), "--lon", str(first["lon"]),
        "--radius-m", "300", "--reason", "case 24-001", "--limit", "50", "--json",
    )
    assert code == 0, err
    rows = json.loads(out)
    assert rows and all(r["kind"] == "gunshot" for r in rows)
    assert rows[0]["distance_m"] == pytest.approx(0, abs=1)
    assert all(r["distance_m"] <= 300 for r in rows)
    assert [r["distance_m"] for r in rows] == sorted(r["distance_m"] for r in rows)
    for key in ("kind", "source", "source_id", "time", "lat", "lon"):
        assert key in rows[0]
    assert rows[0]["time"].endswith("Z")

    code, out, _ = run(capsys, "--db", str(db), "audit", "list", "--json")
    audit = json.loads(out)
    assert audit[0]["reason"] == "case 24-001" and audit[0]["result_count"] == len(rows)


def test_plate_and_near_searches_need_a_reason(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "x.sqlite"), "query", "plate", "AB*"])
    assert exc.value.code == 2
    assert "--reason" in capsys.readouterr().err


def test_import_gz_alpr_and_plate_query(tmp_path, capsys, realdata):
    db = tmp_path / "c.sqlite"
    src = realdata / "alpr_seattle_spd_uwchr" / "spd-alpr-pub.csv.gz"
    code, out, err = run(capsys, "--db", str(db), "import", "--kind", "alpr", "--agency", "SPD", "--tz", "America/Los_Angeles", str(src))
    assert code == 0, err
    assert int(out.split("imported ")[1].split(",")[0]) > 50000
    code, out, _ = run(capsys, "--db", str(db), "query", "plate", "*", "--reason", "audit test", "--limit", "3", "--json")
    rows = json.loads(out)
    assert len(rows) == 3 and all(r["kind"] == "alpr" and r["plate"] for r in rows)


def test_unreadable_files_give_clear_errors_and_nonzero_exit(tmp_path, capsys):
    db = tmp_path / "c.sqlite"
    good = tmp_path / "good.csv"
    good.write_text("id,datetime,latitude,longitude,type\n1,2024-01-01 10:00,33.61,-85.83,SHOTS\n2,2024-01-01 10:05,0,0,SHOTS\n")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1, "time": "2024-01-')
    code, out, err = run(capsys, "--db", str(db), "import", "--kind", "cad", "--agency", "OPD", str(good), str(bad), str(tmp_path / "missing.csv"))
    assert code == 1
    assert f"{good}: imported 1, updated 0, rejected 1" in out
    assert "(0,0)" in out
    assert str(bad) in err and str(tmp_path / "missing.csv") in err


def test_gzip_csv_is_read_transparently(tmp_path, capsys):
    path = tmp_path / "reads.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("plate,read_time,lat,lon,camera\nabc123,2024-01-01T10:00:00Z,33.61,-85.83,c1\n")
    code, out, err = run(capsys, "--db", str(tmp_path / "c.sqlite"), "import", "--kind", "alpr", str(path))
    assert code == 0, err
    assert "imported 1, updated 0, rejected 0" in out


def test_bad_map_argument_names_the_field(tmp_path, capsys):
    code, _, err = run(capsys, "--db", str(tmp_path / "c.sqlite"), "import", "--kind", "cad", "--map", "colour=X", str(tmp_path / "f.csv"))
    assert code == 1 and "'colour' is not a cad field" in err


def test_sim_config_sync_once_raises_hotlist_alerts_and_feeds_table(tmp_path, capsys):
    from rtcc_desktop.sim import Simulator

    with Simulator(port=0, seed=3, rate_per_min=120, history=600) as sim:
        cfg = tmp_path / "feeds.toml"
        cfg.write_text(sim.feeds_toml(), encoding="utf-8")
        hot = tmp_path / "hot.csv"
        hot.write_bytes(__import__("requests").get(sim.url("/hotlist.csv"), timeout=10).content)
        db = str(tmp_path / "c.sqlite")
        code, out, err = run(capsys, "--db", db, "hotlist", "import", str(hot), "--name", "demo")
        assert code == 0, err
        assert "imported 5 entries" in out
        code, out, _ = run(capsys, "--db", db, "audit", "list", "--json")
        entry = __import__("json").loads(out)[0]
        assert entry["action"] == "hotlist import" and entry["params"]["list"] == "demo" and entry["result_count"] == 5
        code, out, err = run(capsys, "--db", db, "--config", str(cfg), "sync", "--once")
        assert code == 0, err
        assert "sim-cad: ok" in out and "sim-alpr: ok" in out
        alerts = [line for line in out.splitlines() if line.startswith("ALERT alpr:")]
        hot_plates = {line.split(",")[0] for line in hot.read_text().splitlines()[1:]}
        assert alerts and all(any(p in a for p in hot_plates) for a in alerts)
        code, out, _ = run(capsys, "--db", db, "--config", str(cfg), "feeds")
        assert code == 0
        assert all(name in out for name in ("sim-cad", "sim-gunshots", "sim-alpr", "sim-cameras"))
        assert "green" in out


def test_bad_config_names_file_feed_and_field(tmp_path, capsys):
    cfg = tmp_path / "feeds.toml"
    cfg.write_text('[[feeds]]\nname = "cad-main"\nkind = "cad"\nformat = "soda"\nurl = "http://127.0.0.1:9/x.json"\nagency = "X"\nbbox = [10, 0, 5, 1]\n')
    code, _, err = run(capsys, "--db", str(tmp_path / "c.sqlite"), "--config", str(cfg), "sync", "--once")
    assert code == 1
    assert "feeds.toml" in err and "cad-main" in err and "bbox" in err


def test_wall_check_accepts_the_shipped_layout_and_names_bad_fields(tmp_path, capsys):
    code, out, _ = run(capsys, "wall", "check")
    assert code == 0 and out.strip().endswith("OK")
    bad = tmp_path / "wall.toml"
    bad.write_text("[wall]\nscreens = 3\n")
    code, _, err = run(capsys, "--wall-layout", str(bad), "wall", "check")
    assert code == 1
    assert str(bad) in err and "screens" in err
