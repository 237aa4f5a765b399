"""The packaged app: build.spec builds a one-folder bundle whose self-test passes offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _offline_prefix() -> list[str]:
    """Run in a network namespace with only loopback, when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return [unshare, "-n", "sh", "-c", 'ip link set lo up 2>/dev/null || true; exec "$@"', "sh"]
    return []


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_bundle_builds_and_self_test_passes_offline(tmp_path):
    dist, work = tmp_path / "dist", tmp_path / "work"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    exe = dist / "rtcc-desktop" / ("rtcc-desktop.exe" if sys.platform.startswith("win") else "rtcc-desktop")
    assert exe.exists()
    internal = dist / "rtcc-desktop" / "_internal"
    # no test or dev packages in the bundle; the app's resources and Leaflet are
    assert not list(internal.glob("pytest*")) and not (internal / "_pytest").exists()
    assert (internal / "resources" / "map").is_dir()
    assert list(internal.rglob("leaflet.js"))

    env = dict(os.environ, RTCC_HOME=str(tmp_path / "home"), QT_QPA_PLATFORM="offscreen",
               QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox")
    shot = tmp_path / "shot.png"
    run = subprocess.run(
        [*_offline_prefix(), str(exe), "self-test", "--json", "--screenshot", str(shot)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    report = json.loads(run.stdout)
    failed = [c for c in report["checks"] if not c["ok"]]
    assert run.returncode == 0 and report["ok"], failed or run.stderr[-3000:]
    assert shot.stat().st_size > 10_000
    # nothing was written next to the executable
    assert not list((dist / "rtcc-desktop").rglob("*.sqlite"))
