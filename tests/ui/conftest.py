"""Fixtures shared by the UI tests: an offline tile source and a ready map page.

The test-wide set-up (headless Qt, WebEngine flags, the leaked-thread check) is
in ``tests/conftest.py``. A test module that draws a map still calls
``register_schemes()`` at import, before pytest-qt creates the QApplication.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from rtcc_desktop.tiles import TileCache, TileSource

if TYPE_CHECKING:
    from rtcc_desktop.ui.main_window import MainWindow
    from rtcc_desktop.ui.map_view import MapView

#: Nothing answers on port 9 (discard): the map draws without tiles, and the back-off keeps it from retrying.
OFFLINE_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def tiles(tmp_path: Path) -> Iterator[TileSource]:
    """A tile source with its cache in ``tmp_path`` and no tile server."""
    cache = TileCache(tmp_path / "tiles.mbtiles")
    yield TileSource(OFFLINE_TILE_URL, cache, offline_backoff_s=3600)
    cache.close()


@pytest.fixture
def view(qtbot: Any, tiles: TileSource) -> Iterator[MapView]:
    """A 900x700 map page on ``tiles``, shown and ready. A module can refine it with its own ``view(view)`` fixture."""
    from rtcc_desktop.ui.map_view import MapView
    from rtcc_desktop.ui.testing import dispose, wait_until

    v = MapView(tiles)
    v.resize(900, 700)
    v.show()
    assert wait_until(lambda: v.is_ready, 30), f"map page never became ready: {v.js_errors}"
    yield v
    v.shutdown()
    dispose(v)


@pytest.fixture
def open_window(qtbot: Any, tmp_path: Path, tiles: TileSource) -> Iterator[Callable[..., MainWindow]]:
    """``open_window(db, **kw)``: a main window on ``db``, shown, its map ready; closed after the test.

    Defaults: the offline ``tiles``, settings in ``tmp_path/settings/window.ini``, no video.
    """
    from PySide6.QtCore import QSettings

    from rtcc_desktop.ui.main_window import MainWindow
    from rtcc_desktop.ui.testing import dispose, wait_until

    windows: list[MainWindow] = []

    def make(db: Path, **kw: Any) -> MainWindow:
        kw.setdefault("tile_source", tiles)
        kw.setdefault("settings", QSettings(str(tmp_path / "settings" / "window.ini"), QSettings.Format.IniFormat))
        kw.setdefault("video", False)
        w = MainWindow(db, **kw)
        windows.append(w)
        w.show()
        assert wait_until(lambda: w.map_view.is_ready, 30), f"map page never became ready: {w.map_view.js_errors}"
        return w

    yield make
    for w in windows:
        dispose(w)


@pytest.fixture(autouse=True)
def _machine_display_zone() -> Iterator[None]:
    """A window sets the display zone to its centre's; the next test starts from the machine's again."""
    from rtcc_desktop.ui.display_zone import set_display_zone

    set_display_zone(None)
    yield
    set_display_zone(None)
