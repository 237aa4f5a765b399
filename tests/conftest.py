"""Test-wide set-up: headless Qt, sandbox-less WebEngine as root, real data path."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
if not REALDATA.exists():  # CI clones next to shared/ as well; allow an override
    REALDATA = Path(os.environ.get("RTCC_REALDATA", str(REALDATA)))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The read-only public data sets in ../shared/realdata."""
    if not REALDATA.exists():
        pytest.fail(f"real data not found at {REALDATA}; set RTCC_REALDATA")
    return REALDATA


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves one of our threads running (napari does the same)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and t.name.startswith("rtcc-")
    ]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"threads left running: {still}"
