"""CAD priority in the spellings feeds use, read one way everywhere.

The map's colours, the wall's open-call figures and follow rule, the
timeline and the geofence alert rule must agree on what "P1" means, or a
call drawn red on the map could fail to alert inside a fence. Feeds write
``1``, ``"P2"``, ``"Priority 3"``, ``2.0`` or words (``"High"``, ``"Routine"``).
"""

from __future__ import annotations

import math
from typing import Any, Final

#: Words some CAD systems use instead of numbers, and the level each means.
WORDS: Final[dict[str, int]] = {
    **dict.fromkeys(("high", "urgent", "emergency", "emergent", "critical", "hot", "e"), 1),
    **dict.fromkeys(("medium", "med", "moderate", "normal"), 2),
    **dict.fromkeys(("low", "routine", "non-emergency", "nonemergency", "cold"), 4),
}


def priority_level(value: Any) -> int | None:
    """The priority as a number, lower is more urgent (words: high 1, medium 2, low 4); None when unknown.

    The first run of digits counts (``"P2"`` → 2, ``"Priority 12"`` → 12);
    longer runs are not priorities (a call number in the wrong column).
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) and value >= 0 else None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in WORDS:
        return WORDS[text]
    digits = ""
    for ch in text:
        if ch.isdigit():
            digits += ch
        elif digits:
            break
    return int(digits) if digits and len(digits) <= 3 else None


def priority_class(value: Any) -> str:
    """``p1``..``p4`` for colours and counts (0 and 1 are both P1, 4 and beyond P4); ``p0`` when unknown."""
    level = priority_level(value)
    if level is None:
        return "p0"
    return f"p{min(max(level, 1), 4)}"
