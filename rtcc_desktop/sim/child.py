"""The demo's simulator in a child process.

In the same process the simulator's Python work (building feed pages,
drawing MJPEG frames) competes with the GUI thread for the interpreter and
shows as stalls on a busy demo. As a child it is what it stands in for: a
separate server on loopback. The child is ``rtcc-desktop sim`` itself (the
packaged exe on Windows), stops when its standard input closes, so it
cannot outlive the app, and writes its feeds TOML to a file the parent
waits for.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

_BASE = re.compile(r"http://127\.0\.0\.1:\d+")


class SimulatorError(RuntimeError):
    """The child simulator did not start; the message carries what it said."""


def self_command() -> list[str]:
    """How to run ``rtcc-desktop`` again: the packaged exe, or this Python with ``-m rtcc_desktop``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "rtcc_desktop"]


class SimulatorProcess:
    """``rtcc-desktop sim`` as a child: ``start()``, ``url(path)``, ``feeds_toml()``, ``stop()``."""

    def __init__(self, *, seed: int = 1, rate_per_min: float = 30.0, history: int = 500, port: int = 0) -> None:
        self.seed, self.rate_per_min, self.history, self.port = seed, rate_per_min, history, port
        self.base_url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="rtcc-sim-"))
        self._config = self._dir / "feeds.toml"
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> str:
        """Start the child and wait until it serves; returns its base URL."""
        cmd = [*self_command(), "sim", "--port", str(self.port), "--seed", str(self.seed), "--rate", f"{self.rate_per_min:g}",
               "--history", str(self.history), "--write-config", str(self._config), "--until-stdin-closes"]
        self._log = open(self._dir / "sim.log", "wb")  # noqa: SIM115 - kept open for the child's lifetime
        flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
                                      creationflags=flags, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._config.exists():
                m = _BASE.search(self._config.read_text(encoding="utf-8"))
                if m:
                    self.base_url = m.group(0)
                    log.info("demo simulator (pid %d) serving on %s", self._proc.pid, self.base_url)
                    return self.base_url
            if self._proc.poll() is not None:
                break
            time.sleep(0.05)
        said = self._said()
        self.stop()
        raise SimulatorError(f"the demo simulator did not start (exit status {self._returncode()}): {said or 'no output'}")

    def url(self, path: str) -> str:
        if self.base_url is None:
            raise RuntimeError("simulator not started")
        return self.base_url + path

    def feeds_toml(self, **_kw: Any) -> str:
        """The feeds TOML the child wrote (its CAD, gunshot, ALPR and camera feeds and its tiles)."""
        return self._config.read_text(encoding="utf-8")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close the child's stdin (it stops by itself), then wait; terminate, then kill, if it does not go."""
        proc = self._proc
        if proc is not None:
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=timeout_s)
            except (OSError, subprocess.TimeoutExpired):
                proc.terminate()
                try:
                    proc.wait(timeout=timeout_s)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def _said(self) -> str:
        try:
            text = (self._dir / "sim.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line for line in text.strip().splitlines()[-5:])

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
