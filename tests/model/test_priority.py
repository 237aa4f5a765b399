"""One reading of CAD priority for the map, the wall, the timeline and geofence alerts."""

from __future__ import annotations

import math

import pytest

from rtcc_desktop.analysis.geofence import Geofence
from rtcc_desktop.model.priority import priority_class, priority_level

SQUARE = ((47.60, -122.34), (47.60, -122.32), (47.62, -122.32), (47.62, -122.34))


@pytest.mark.parametrize(
    ("value", "level", "cls"),
    [
        (1, 1, "p1"), ("1", 1, "p1"), ("P1", 1, "p1"), ("Priority 2", 2, "p2"), (3.0, 3, "p3"), ("4", 4, "p4"),
        ("7", 7, "p4"), ("0", 0, "p1"), ("HIGH", 1, "p1"), ("Emergency", 1, "p1"), ("medium", 2, "p2"),
        ("Routine", 4, "p4"), (" cold ", 4, "p4"), (None, None, "p0"), ("", None, "p0"), ("unknown", None, "p0"),
        ("12345", None, "p0"), (math.nan, None, "p0"), (True, None, "p0"), (-1, None, "p0"),
    ],
)
def test_every_spelling_reads_the_same_everywhere(value, level, cls):
    assert priority_level(value) == level
    assert priority_class(value) == cls


@pytest.mark.parametrize("spelling", ["1", "P1", "High", "EMERGENCY", 1.0])
def test_a_call_drawn_as_p1_on_the_map_alerts_inside_a_p1_fence(spelling):
    """The map colours by priority_class; the fence decides by priority_level: they must agree."""
    fence = Geofence("block", points=SQUARE, max_priority=1)
    assert priority_class(spelling) == "p1"
    assert fence.watches("cad", spelling)
    assert not fence.watches("cad", "Routine")
