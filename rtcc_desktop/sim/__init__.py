"""The built-in simulator: a believable small city served over loopback HTTP.

``from rtcc_desktop.sim import Simulator`` for tests and ``--demo``;
``run_forever`` is what ``rtcc-desktop sim`` calls.
"""

from rtcc_desktop.sim.clock import SimClock
from rtcc_desktop.sim.faults import Faults, LoggedRequest
from rtcc_desktop.sim.simulator import Simulator, run_forever

__all__ = ["Faults", "LoggedRequest", "SimClock", "Simulator", "run_forever"]
