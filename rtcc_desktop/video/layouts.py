"""Grid layouts as plain data: which cells a layout has and where they sit.

Kept out of the widget so saved views, the camera-to-incident picker and the
tests can reason about layouts without Qt.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True)
class GridLayout:
    """A ``rows`` x ``cols`` grid; cell 0 is the main (largest) one."""

    name: str
    rows: int
    cols: int
    cells: tuple[Cell, ...]

    @property
    def size(self) -> int:
        return len(self.cells)


def _square(n: int) -> GridLayout:
    return GridLayout(f"{n}x{n}", n, n, tuple(Cell(r, c) for r in range(n) for c in range(n)))


def _one_plus(big: int) -> GridLayout:
    """One ``big`` x ``big`` tile top-left, small tiles down the right and along the bottom."""
    n = big + 1
    small = [Cell(r, big) for r in range(big)] + [Cell(big, c) for c in range(n)]
    return GridLayout(f"1+{len(small)}", n, n, (Cell(0, 0, big, big), *small))


LAYOUTS: dict[str, GridLayout] = {
    "1": GridLayout("1", 1, 1, (Cell(0, 0),)),
    "2x2": _square(2),
    "3x3": _square(3),
    "4x4": _square(4),
    "1+5": _one_plus(2),
    "1+7": _one_plus(3),
    "5x5": _square(5),  # video wall
    "6x6": _square(6),  # video wall
}

#: Order of the toolbar buttons and of the Ctrl+1..8 shortcuts.
LAYOUT_ORDER: tuple[str, ...] = ("1", "2x2", "3x3", "4x4", "1+5", "1+7", "5x5", "6x6")

MAX_TILES = max(layout.size for layout in LAYOUTS.values())


def layout_for_count(count: int) -> str:
    """The smallest layout that shows ``count`` cameras (best-ranked one biggest).

    1 → "1"; 2-4 → "2x2"; 5-6 → "1+5"; 7-8 → "1+7"; 9 → "3x3"; 10-16 →
    "4x4"; then the wall layouts; more than 36 shows the first 36.
    """
    if count <= 1:
        return "1"
    for name in ("2x2", "1+5", "1+7", "3x3", "4x4", "5x5", "6x6"):
        if count <= LAYOUTS[name].size:
            return name
    return "6x6"
