"""Exponential backoff with jitter, so a dead camera is retried without hammering it.

Jitter spreads the retries of many cameras behind one failed recorder, so they
do not all reconnect in the same instant when it comes back.
"""

from __future__ import annotations

import random


class Backoff:
    """Delays base, 2·base, 4·base, ... capped at ``maximum``; each scaled by 0.5..1."""

    def __init__(self, base_s: float, maximum_s: float, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.maximum_s = maximum_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        self.failures += 1
        ceiling = min(self.maximum_s, self.base_s * (2 ** min(self.failures - 1, 30)))
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def reset(self) -> None:
        self.failures = 0
