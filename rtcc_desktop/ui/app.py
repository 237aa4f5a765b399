"""Start the GUI: QApplication, theme, the main window, and (with --demo) the simulator.

``run_gui`` is what the CLI calls. ``open_session`` builds the same thing
for the self-test and the benchmarks, and gives back what it started so they
can stop it: the simulator, the feed sync engine and the alert engine. Every
store change the sync engine reports goes both to the window's bus (views
pull the delta) and to the alert engine (hot-list and geofence checks).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import time
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


def use_centre_time_zone(tz: Any) -> bool:
    """Make the process's local time the centre's, so every panel shows one zone.

    The map and status bar format times in the centre's zone; the tables and the
    timeline's axis use the process's local time. On an analyst's workstation
    these are the same; a machine elsewhere (a demo, a remote desktop in UTC)
    would show two clocks. Only where ``time.tzset`` exists (not on Windows).
    """
    key = getattr(tz, "key", None)
    tzset = getattr(time, "tzset", None)
    if not key or tzset is None:
        return False
    if os.environ.get("TZ") != key:
        os.environ["TZ"] = key
        tzset()
    return True


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
    alerts: Any = None
    alert_store: Any = None
    threads: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    closed: bool = False

    def stop_services(self) -> None:
        """Stop the sync engine, the alert engine and the simulator (called when the window closes)."""
        self.stopping.set()  # a demo start-up thread that has not started the sync engine yet never will
        for t in self.threads:
            t.join(15)
        self.threads.clear()
        if self.engine is not None:
            self.engine.stop()
            self.engine = None
        if self.alerts is not None:
            self.alerts.stop()
            self.alerts = None
        if self.alert_store is not None:
            self.alert_store.close()
            self.alert_store = None
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.window.close()
        self.stop_services()


def _import_demo_hotlist(store: Any, url: str) -> None:
    """Load the simulator's hot list (look-alike characters on, as for a real NCIC list) so its plates raise alerts."""
    try:
        import requests

        from rtcc_desktop.analysis.hotlist import import_hotlist_text

        resp = requests.get(url, timeout=10)
        resp.raise_for_status()
        import_hotlist_text(store, resp.text, "demo hot list", confusion=True, source=url)
    except Exception:  # the demo still runs without hot-list hits
        log.exception("demo hot list could not be loaded")


def _demo_start(session: Session, url: str) -> None:
    """Import the hot list first, then start syncing, so the simulator's history is checked against it."""
    _import_demo_hotlist(session.alert_store, url)
    engine = session.engine
    if engine is not None and not session.stopping.is_set():
        engine.start()


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
    wall_layout: str | Path | None = None,
) -> Session:
    """Build the main window and start the alert engine (and the simulator and sync engine as asked).

    ``wall_layout`` is the layout file the window's "Wall mode" opens (None: the default).
    """
    from rtcc_desktop.analysis.alerts import AlertEngine
    from rtcc_desktop.config import Config, parse_config
    from rtcc_desktop.store import open_store
    from rtcc_desktop.ui.main_window import MainWindow, make_tile_source

    db = Path(db_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    bus = Bus()
    sim = None
    window = None
    alert_store = None
    alerts = None
    if demo:
        # a child process: the simulator's work never competes with the GUI thread
        from rtcc_desktop.sim.child import SimulatorProcess

        sim = SimulatorProcess(seed=1, rate_per_min=sim_rate, history=sim_history)
        sim.start()
        config = parse_config(sim.feeds_toml(), name="demo (simulator)")
    try:
        if config is None:
            config = Config.default()
        tile_source = make_tile_source(config.map.tile_url, cache_dir=tile_cache_dir)
        # The alert engine has its own store (its thread writes alerts); a demo checks the
        # simulator's whole history once, a real cache only what arrives from now on.
        alert_store = open_store(db)
        alerts = AlertEngine(alert_store, start_at="all" if demo else "now")
        engine = None
        board = None
        if sync and config.feeds:
            from rtcc_desktop.feeds.sync import SyncEngine

            notify_bus, notify_alerts = bus.notify_store_change, alerts.notify

            def on_change(kind: str, max_rowid: int) -> None:
                """From a sync thread: the views pull the delta, the alert engine checks it."""
                notify_bus(kind, max_rowid)
                notify_alerts(kind, max_rowid)

            engine = SyncEngine(db, config, on_change=on_change)
            board = engine.live
        window = MainWindow(db, config=config, bus=bus, tile_source=tile_source, settings=settings, live_board=board, video=video,
                            wall_layout=wall_layout)
        window.add_shutdown_hook(tile_source.cache.close)
        session = Session(window=window, bus=bus, config=config, db_path=db, simulator=sim, engine=engine,
                          alerts=alerts, alert_store=alert_store)
        window.add_shutdown_hook(session.stop_services)
        window.attach_alert_engine(alerts)
        alerts.start()
        if sim is not None:
            t = threading.Thread(target=_demo_start, args=(session, sim.url("/hotlist.csv")), name="rtcc-demo-start", daemon=True)
            session.threads.append(t)
            t.start()
            window.show_message(f"Demo: simulated city at {sim.base_url}; every feed, camera and tile is local", 20000)
        elif engine is not None:
            engine.start()
    except BaseException:
        if window is not None:
            window.close()  # stops its workers and page (and, once hooked, the services)
        if alerts is not None:
            alerts.stop()
        if alert_store is not None:
            alert_store.close()
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
            argv: Sequence[str] | None = None, wall_layout: str | Path | None = None) -> int:
    """Open the analyst window (or, with ``wall``, the wall display) and run until it closes; returns the exit status.

    ``demo`` starts the built-in simulator and syncs it into ``db_path``; otherwise
    the feeds in ``config`` are synced while the window is open. ``wall_layout``
    is the wall layout file (None: wall.toml in the config folder, else the
    shipped one); a bad one is reported and the exit status is 2.
    """
    from PySide6.QtWidgets import QMessageBox

    app = ensure_app(argv)
    try:
        session = open_session(db_path, config, demo=demo, wall_layout=wall_layout)
    except Exception as exc:
        log.exception("could not start")
        QMessageBox.critical(None, "RTCC Desktop", f"RTCC Desktop could not start:\n\n{exc}")
        return 1
    use_centre_time_zone(session.window.tz)
    wall_window = None
    try:
        if wall:
            from rtcc_desktop.ui.wall import open_wall
            from rtcc_desktop.wall_layout import WallLayoutError

            def leave() -> None:
                """The supervisor left the wall: the analyst window takes over (with the demo's cameras)."""
                session.window.show()
                session.window.raise_()
                session.window.activateWindow()
                if demo:
                    _start_demo_video(session)

            try:
                # The analyst window stays hidden (its video grid idle) until the supervisor leaves the wall.
                wall_window = open_wall(session, layout_path=wall_layout, on_leave=leave)
            except WallLayoutError as exc:
                log.error("wall mode could not start: %s", exc)
                QMessageBox.critical(None, "RTCC Desktop wall", f"The wall layout cannot be used:\n\n{exc}")
                return 2
        else:
            if demo:
                _start_demo_video(session)
            session.window.show()
        return int(app.exec())
    finally:
        if wall_window is not None:
            wall_window.close()
        session.close()


def temp_settings(folder: str | Path | None = None) -> QSettings:
    """Settings in a throw-away INI file (self-test, benchmarks): the user's are untouched."""
    base = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="rtcc-settings-"))
    return QSettings(str(base / "rtcc-desktop.ini"), QSettings.Format.IniFormat)


__all__ = ["Session", "ensure_app", "open_session", "run_gui", "temp_settings", "use_centre_time_zone", "paths"]
