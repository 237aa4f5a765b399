"""The demo's simulator as a child process: it serves, tells its address, and never outlives the app."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from rtcc_desktop.config import parse_config
from rtcc_desktop.sim.child import SimulatorError, SimulatorProcess


def test_child_serves_its_feeds_and_stops_when_asked():
    sim = SimulatorProcess(seed=3, rate_per_min=60, history=50)
    base = sim.start()
    try:
        assert base.startswith("http://127.0.0.1:") and sim.running()
        config = parse_config(sim.feeds_toml(), name="<child>")
        assert {f.kind for f in config.feeds} == {"cad", "gunshot", "alpr", "camera"}
        assert all(f.url.startswith(base) for f in config.feeds)
        assert requests.get(sim.url("/health"), timeout=10).status_code == 200
        rows = requests.get(sim.url("/resource/cad.json"), timeout=10).json()
        assert rows and "incident_number" in rows[0]
    finally:
        sim.stop()
    assert not sim.running()
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=5)


def test_child_exits_by_itself_when_its_parent_goes_away(tmp_path):
    """A parent that dies closes the child's stdin: the child stops instead of serving forever."""
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "from rtcc_desktop.sim.child import SimulatorProcess\n"
         "s = SimulatorProcess(history=10); s.start(); print(s.pid, s.base_url, flush=True)\n"
         "import os; os._exit(0)  # no stop(): the pipe closes with the process\n"],
        stdout=subprocess.PIPE, text=True,
    )
    out, _ = parent.communicate(timeout=60)
    pid, base = out.split()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/health", timeout=2)
        except requests.ConnectionError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"child simulator {pid} still serving after its parent exited")


def test_a_child_that_cannot_start_says_why(monkeypatch):
    monkeypatch.setattr("rtcc_desktop.sim.child.self_command", lambda: [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])
    sim = SimulatorProcess()
    with pytest.raises(SimulatorError, match=r"exit status 3.*boom"):
        sim.start(timeout_s=20)
