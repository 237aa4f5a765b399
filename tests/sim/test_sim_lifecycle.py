"""Starting and stopping: the port is released and no thread or socket is left behind."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from simhelp import START, get

from rtcc_desktop.sim import Simulator, run_forever


def _port_is_free(port: int) -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_stop_releases_the_port_and_refuses_connections():
    sim = Simulator(seed=1, start=START)
    base = sim.start()
    assert base.startswith("http://127.0.0.1:") and sim.port > 0
    assert not _port_is_free(sim.port)
    assert get(sim, "/health").status_code == 200
    sim.stop()
    assert _port_is_free(sim.port)
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=5)


def test_stop_closes_idle_keep_alive_connections():
    sim = Simulator(seed=1, start=START)
    sim.start()
    with requests.Session() as session:
        assert session.get(sim.url("/alpr.json"), timeout=10).status_code == 200
        assert session.get(sim.url("/health"), timeout=10).status_code == 200  # same connection, kept open
        assert len(sim.faults.requests()) == 2
        sim.stop()  # must not wait for the client to hang up (conftest checks no rtcc- thread is left)
    assert not sim.running


def test_context_manager_start_twice_stop_twice():
    with Simulator(seed=1, start=START) as sim:
        assert sim.start() == sim.base_url
        port = sim.port
    sim.stop()
    assert _port_is_free(port)


def test_restart_on_the_same_port():
    sim = Simulator(seed=1, start=START)
    sim.start()
    port = sim.port
    sim.stop()
    again = Simulator(port=port, seed=1, start=START)
    try:
        assert again.start() == f"http://127.0.0.1:{port}"
        assert get(again, "/health").json()["status"] == "ok"
    finally:
        again.stop()


def test_run_forever_serves_until_told_to_stop():
    lines: list[str] = []
    until = threading.Event()
    t = threading.Thread(
        target=run_forever,
        kwargs=dict(port=0, seed=2, rate=60.0, announce=lines.append, until=until),
        name="rtcc-test-run-forever",
    )
    t.start()
    try:
        for _ in range(200):
            if lines:
                break
            until.wait(0.05)
        assert lines, "run_forever never announced its URL"
        base = lines[0].split(" on ")[1].split(" ")[0]
        health = requests.get(base + "/health", timeout=10).json()
        assert health["seed"] == 2 and health["rate_per_min"] == 60.0
    finally:
        until.set()
        t.join(10)
    assert not t.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/health", timeout=5)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        Simulator(rate_per_min=0)
    with pytest.raises(ValueError):
        Simulator(history=-1)
    with pytest.raises(RuntimeError):
        Simulator().url("/health")
