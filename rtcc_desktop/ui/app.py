"""Start the GUI: QApplication, theme, the main window, and (with --demo) the simulator.

``run_gui`` is what the CLI calls. ``open_session`` builds the same thing
for the self-test and the benchmarks, and gives back what it started so they
can stop it.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from rtcc_desktop import paths
from rtcc_desktop.ui.bus import Bus
from rtcc_desktop.ui.tile_scheme import register_schemes

log = logging.getLogger(__name__)


def prepare_environment() -> None:
    """Chromium refuses to run as root without --no-sandbox; say so and add it."""
    geteuid = getattr(os, "geteuid", None)
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if geteuid is not None and geteuid() == 0 and "--no-sandbox" not in flags:
        log.warning("running as root: the map's web engine runs without its sandbox")
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()


def ensure_app(argv: Sequence[str] | None = None) -> Any:
    """The QApplication (created once, after the tile scheme is registered)."""
    prepare_environment()
    register_schemes()
    from PySide6.QtWidgets import QApplication

    from rtcc_desktop.ui.main_window import APPLICATION, ORGANISATION
    from rtcc_desktop.ui.theme import apply_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
        app.setOrganizationName(ORGANISATION)
        app.setApplicationName(APPLICATION)
        app.setApplicationDisplayName("RTCC Desktop")
        apply_theme(app)
    return app


@dataclass
class Session:
    """What ``open_session`` started; ``close()`` stops all of it."""

    window: Any
    bus: Bus
    config: Any
    db_path: Path
    simulator: Any = None
    engine: Any = None
    threads: list[threading.Thread] = field(default_factory=list)
    closed: bool = False

    def stop_services(self) -> None:
        """Stop the sync engine and the simulator (called when the window closes)."""
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        for t in self.threads:
            t.join(10)
        self.threads.clear()
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.window.close()
        self.stop_services()


def _import_demo_hotlist(db_path: Path, url: str) -> None:
    """Load the simulator's hot list so hot-list hits show in the demo (on its own thread)."""
    try:
        import requests

        from rtcc_desktop.analysis.hotlist import import_hotlist_text
        from rtcc_desktop.store import open_store

        text = requests.get(url, timeout=10).text
        store = open_store(db_path)
        try:
            import_hotlist_text(store, text, "demo hot list", source=url)
        finally:
            store.close()
    except Exception:  # the demo still runs without hot-list hits
        log.exception("demo hot list could not be loaded")


def open_session(
    db_path: str | Path,
    config: Any = None,
    *,
    demo: bool = False,
    sync: bool = True,
    settings: QSettings | None = None,
    tile_cache_dir: str | Path | None = None,
    sim_rate: float = 30.0,
    sim_history: int = 500,
    video: bool = True,
) -> Session:
    """Build the main window (and start the simulator and sync engine as asked)."""
    from rtcc_desktop.config import Config, parse_config
    from rtcc_desktop.ui.main_window import MainWindow, make_tile_source

    db = Path(db_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    bus = Bus()
    sim = None
    window = None
    if demo:
        from rtcc_desktop.sim import Simulator

        sim = Simulator(port=0, seed=1, rate_per_min=sim_rate, history=sim_history)
        sim.start()
        config = parse_config(sim.feeds_toml(), name="demo (simulator)")
    try:
        if config is None:
            config = Config.default()
        tile_source = make_tile_source(config.map.tile_url, cache_dir=tile_cache_dir)
        engine = None
        board = None
        if sync and config.feeds:
            from rtcc_desktop.feeds.sync import SyncEngine

            engine = SyncEngine(db, config, on_change=bus.notify_store_change)
            board = engine.live
        window = MainWindow(db, config=config, bus=bus, tile_source=tile_source, settings=settings, live_board=board, video=video)
        window.add_shutdown_hook(tile_source.cache.close)
        session = Session(window=window, bus=bus, config=config, db_path=db, simulator=sim, engine=engine)
        window.add_shutdown_hook(session.stop_services)
        if sim is not None:
            t = threading.Thread(target=_import_demo_hotlist, args=(db, sim.url("/hotlist.csv")), name="rtcc-demo-hotlist", daemon=True)
            t.start()
            session.threads.append(t)
            window.show_message(f"Demo: simulated city at {sim.base_url}; every feed, camera and tile is local", 20000)
        if engine is not None:
            engine.start()
    except BaseException:
        if window is not None:
            window.close()  # stops its workers and page
        if sim is not None:
            sim.stop()
        raise
    return session


def _start_demo_video(session: Session, count: int = 4) -> None:
    """Fill the video grid with the first live cameras once they are in the store."""
    window = session.window
    if window.video_grid is None:
        return

    def job(store: Any) -> list[dict[str, Any]]:
        cams = store.changes_since("camera", 0, 5000)
        return [c for c in cams if (c.get("access") == "live" and (c.get("stream_url") or c.get("snapshot_url")))][:count]

    def done(cams: list[dict[str, Any]]) -> None:
        if cams and not any(window.video_grid.cameras()):
            window.video_grid.show_cameras(cams)

    def on_change(kind: str, _rowid: int) -> None:
        if kind == "camera" and not any(window.video_grid.cameras()):
            window.store_worker.submit(job, done, what="demo cameras")

    window.bus.store_changed.connect(on_change)
    window.store_worker.submit(job, done, what="demo cameras")


def run_gui(db_path: str | Path, config: Any = None, demo: bool = False, wall: bool = False, *,
            argv: Sequence[str] | None = None) -> int:
    """Open the analyst window and run until it closes; returns the exit status.

    ``demo`` starts the built-in simulator and syncs it into ``db_path``; otherwise
    the feeds in ``config`` are synced while the window is open.
    """
    app = ensure_app(argv)
    try:
        session = open_session(db_path, config, demo=demo)
    except Exception as exc:
        from PySide6.QtWidgets import QMessageBox

        log.exception("could not start")
        QMessageBox.critical(None, "RTCC Desktop", f"RTCC Desktop could not start:\n\n{exc}")
        return 1
    if demo:
        _start_demo_video(session)
    if wall:
        try:
            from rtcc_desktop.ui.wall import open_wall

            open_wall(session.window)  # the analyst window shows again when the supervisor leaves the wall
        except Exception as exc:  # a bad wall layout: say so and fall back to the analyst window
            log.exception("wall mode could not start")
            session.window.show()
            session.window.show_message(f"Wall mode could not start: {exc}", 20000)
    else:
        session.window.show()
    try:
        return int(app.exec())
    finally:
        session.close()


def temp_settings(folder: str | Path | None = None) -> QSettings:
    """Settings in a throw-away INI file (self-test, benchmarks): the user's are untouched."""
    base = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="rtcc-settings-"))
    return QSettings(str(base / "rtcc-desktop.ini"), QSettings.Format.IniFormat)


__all__ = ["Session", "ensure_app", "open_session", "run_gui", "temp_settings", "paths"]
