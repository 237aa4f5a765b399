"""A started simulator with its clock frozen, so every test sees fixed data."""

from __future__ import annotations

import pytest
from simhelp import START

from rtcc_desktop.sim import Simulator


@pytest.fixture
def sim():
    s = Simulator(seed=7, start=START)
    s.clock.freeze(at=START)
    s.start()
    yield s
    s.stop()
