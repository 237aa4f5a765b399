"""``rtcc-desktop self-test``: start the app offscreen on the simulator and check every panel.

Waits (bounded) until the map has loaded Leaflet, drawn markers on every
layer and shown base-map tiles, the feeds are syncing, the video grid is
playing, the timeline has drawn events, the event list has rows and the
simulator's hot-list plates have raised alerts; then reports. Exit status 0
only if every check passes; each failed check says what is wrong and what to do.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LAYER_CHECKS = ("cad", "gunshot", "alpr", "camera")
#: Timeline lanes the simulator always fills (cameras have no event times; hot-list hits come later).
TIMELINE_LANES = ("cad", "gunshot", "alpr")


def _check(name: str, ok: bool, detail: str, fix: str = "") -> dict[str, Any]:
    return {"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix}


def run_self_test(
    json_out: bool = False,
    screenshot: str | Path | None = None,
    db: str | Path | None = None,
    timeout_s: float = 60.0,
    wall: bool = False,
    wall_layout: str | Path | None = None,
) -> tuple[int, dict[str, Any]]:
    """Run the app on the simulator without a visible window; returns (exit code, report).

    ``json_out`` only tells the caller's printing apart (the report is the same).
    ``db`` keeps the synced data there (default: a temporary file, removed after).
    ``wall`` checks the video-wall display instead (``ui/wall_selftest.py``),
    with the layout file ``wall_layout`` (None: the default one).
    """
    if wall:
        from rtcc_desktop.ui.wall_selftest import run_wall_self_test

        return run_wall_self_test(json_out=json_out, screenshot=screenshot, db=db, timeout_s=timeout_s, layout_path=wall_layout)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from rtcc_desktop.ui.app import _start_demo_video, ensure_app, open_session, temp_settings

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-selftest-"))
    report: dict[str, Any] = {"ok": False, "checks": [], "map": {}, "video": None, "feeds": [], "counts": {}, "panels": {},
                              "lines": []}
    session = None
    try:
        ensure_app()
        db_path = Path(db) if db else tmp / "selftest.sqlite"
        session = open_session(db_path, demo=True, settings=temp_settings(tmp), tile_cache_dir=tmp / "tiles")
        _start_demo_video(session)
        window = session.window
        window.resize(1600, 1000)
        window.show()
        view = window.map_view
        state: dict[str, Any] = {"js": None}

        def probe() -> None:
            if view.is_ready:
                view.run_js(
                    "JSON.stringify({leaflet: typeof L !== 'undefined' && !!L.version, version: (window.L && L.version) || null,"
                    " cluster: !!(window.RTCC && typeof RTCC.stats === 'function'), ready: !!(window.RTCC && RTCC.ready),"
                    " stats: window.RTCC && RTCC.stats ? RTCC.stats() : null,"
                    " tiles: document.querySelectorAll('img.leaflet-tile-loaded').length})",
                    lambda r: state.__setitem__("js", r),
                )

        def all_live() -> bool:
            js = _parse(state["js"])
            stats = (js or {}).get("stats") or {}
            tiles = view.tile_stats.get("network", 0) + view.tile_stats.get("cache", 0)
            video_ok = window.video_grid is None or window.video_grid.health().get("live", 0) > 0
            feeds_ok = bool(window.health_rows) and all(getattr(h, "status", "") != "red" for h in window.health_rows)
            lanes = window.timeline.lane_totals()
            panels_ok = (all(lanes.get(k, 0) > 0 for k in TIMELINE_LANES) and window.events.model.rowCount() > 0
                         and bool(_hotlist_alerts(window)))
            return bool(js and js.get("ready") and all(stats.get(k, 0) > 0 for k in LAYER_CHECKS) and tiles > 0
                        and video_ok and feeds_ok and panels_ok and all(window.counts.get(k, 0) > 0 for k in LAYER_CHECKS))

        deadline = time.monotonic() + max(5.0, timeout_s)
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(500)

        def tick() -> None:
            probe()
            if all_live() or time.monotonic() > deadline:
                loop.quit()

        timer.timeout.connect(tick)
        timer.start()
        loop.exec()
        timer.stop()
        probe()  # one last fresh reading
        end = QEventLoop()
        QTimer.singleShot(600, end.quit)
        end.exec()

        js = _parse(state["js"]) or {}
        stats = js.get("stats") or {}
        tiles = dict(view.tile_stats)
        errors = view.js_errors
        report["map"] = {
            "leaflet_loaded": bool(js.get("leaflet")),
            "leaflet_version": js.get("version"),
            "clustering_loaded": bool(js.get("cluster")),
            "bridge_ready": bool(js.get("ready")),
            "markers": {k: stats.get(k, 0) for k in ("cad", "gunshot", "alpr", "hotlist", "camera")},
            "camera_cones": stats.get("cones", 0),
            "tiles_from_network": tiles.get("network", 0),
            "tiles_from_cache": tiles.get("cache", 0),
            "tiles_offline": tiles.get("offline", 0),
            "tiles_on_page": js.get("tiles", 0),
            "js_console_errors": errors,
        }
        report["counts"] = dict(window.counts)
        report["feeds"] = [
            {"name": h.name, "kind": h.kind, "status": h.status, "lag_s": h.lag_s, "reason": h.reason} for h in window.health_rows
        ]
        checks = report["checks"]
        m = report["map"]
        checks.append(_check("map: Leaflet loaded", m["leaflet_loaded"] and m["clustering_loaded"],
                             f"Leaflet {m['leaflet_version']}, map script {'yes' if m['clustering_loaded'] else 'no'}",
                             "the map page's local Leaflet files did not load; reinstall (the xstatic-leaflet package or the bundle's resources/map)"))
        checks.append(_check("map: bridge to the app", m["bridge_ready"], "QWebChannel connected" if m["bridge_ready"] else "page never said ready",
                             "qrc:///qtwebchannel/qwebchannel.js did not load; check the PySide6 QtWebChannel install"))
        for k in LAYER_CHECKS:
            checks.append(_check(f"map: {k} markers", m["markers"][k] > 0, f"{m['markers'][k]} on the map",
                                 f"no {k} records reached the map; see the feed checks and the log (-v)"))
        checks.append(_check("map: base-map tiles", m["tiles_from_network"] + m["tiles_from_cache"] > 0,
                             f"{m['tiles_from_network']} from network, {m['tiles_from_cache']} from cache, {m['tiles_offline']} offline",
                             "no tile was served; the simulator's /tiles endpoint or the rtcctile: scheme is broken"))
        checks.append(_check("map: no JavaScript errors", not errors, "none" if not errors else "; ".join(errors[:3]),
                             "the map page logged errors; run with -v and read them"))
        feeds = report["feeds"]
        bad = [f"{f['name']} {f['status']} ({f['reason']})" for f in feeds if f["status"] == "red"]
        checks.append(_check("feeds: syncing", bool(feeds) and not bad, f"{len(feeds)} feed(s): " + ", ".join(f"{f['name']} {f['status']}" for f in feeds),
                             "feeds are failing: " + "; ".join(bad) if bad else "no feed health yet; the sync engine did not start"))
        for k in LAYER_CHECKS:
            n = window.counts.get(k, 0)
            checks.append(_check(f"store: {k} records", n > 0, f"{n} in the cache", f"no {k} rows were stored; check the {k} feed"))
        if window.video_grid is not None:
            vh = window.video_grid.health()
            report["video"] = vh
            checks.append(_check("video: streams playing", vh.get("live", 0) > 0,
                                 f"{vh.get('live', 0)} of {vh.get('tiles', 0)} tiles live, fps {vh.get('fps')}",
                                 "no camera stream played; errors: " + "; ".join(str(e.get('error')) for e in vh.get("errors", [])[:3])))
        else:
            checks.append(_check("video: grid present", False, "the video grid could not be created", "see the log for the import error"))
        _panel_checks(window, report)
        if screenshot:
            path = Path(screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            saved = window.grab().save(str(path))
            report["screenshot"] = str(path)
            checks.append(_check("screenshot saved", bool(saved), str(path), "could not write the PNG; check the folder"))
    except Exception as exc:  # a crash is a failed check, with the reason
        log.exception("self-test crashed")
        report["checks"].append(_check("app started", False, f"{type(exc).__name__}: {exc}", "run with -v for the traceback"))
    finally:
        if session is not None:
            session.close()
            try:
                from PySide6.QtCore import QCoreApplication, QEvent

                QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                QCoreApplication.processEvents()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)

    report["ok"] = bool(report["checks"]) and all(c["ok"] for c in report["checks"])
    report["seconds"] = round(time.monotonic() - started, 1)
    lines = []
    for c in report["checks"]:
        line = f"[{'PASS' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}"
        if not c["ok"] and c["fix"]:
            line += f" -> {c['fix']}"
        lines.append(line)
    report["lines"] = lines
    return (0 if report["ok"] else 1), report


def _hotlist_alerts(window: Any) -> list[dict[str, Any]]:
    return [a for a in window.alerts.model.rows if str(a.get("rule", "")).startswith("hotlist:")]


def _panel_checks(window: Any, report: dict[str, Any]) -> None:
    """Timeline, event list, alert queue and search: present, real, and showing the simulator's data."""
    from rtcc_desktop.ui.alerts_panel import AlertsPanel
    from rtcc_desktop.ui.event_list import EventList
    from rtcc_desktop.ui.search_panel import SearchPanel
    from rtcc_desktop.ui.timeline import LANES, Timeline

    checks = report["checks"]
    lanes = window.timeline.lane_totals()
    rows = window.events.model.rowCount()
    hot = _hotlist_alerts(window)
    engine = getattr(window, "alert_engine", None)
    report["panels"] = {
        "timeline": {lane.key: lanes.get(lane.key, 0) for lane in LANES},
        "events": rows,
        "alerts": {"shown": window.alerts.model.rowCount(), "hotlist": len(hot), "dock_title": window.dock("alerts").windowTitle(),
                   "engine_running": bool(engine is not None and engine.running),
                   "engine_error": getattr(engine, "last_error", None)},
        "search": isinstance(window.panel("search"), SearchPanel),
    }
    real = {"timeline": Timeline, "events": EventList, "alerts": AlertsPanel, "search": SearchPanel}
    wrong = [name for name, cls in real.items() if not isinstance(window.panel(name), cls)]
    checks.append(_check("panels: docked", not wrong, "timeline, events, alerts and search docks hold their panels",
                         "these docks still show a placeholder: " + ", ".join(wrong) + "; see the log for the error that stopped them"))
    drawn = ", ".join(f"{lane.label} {lanes.get(lane.key, 0)}" for lane in LANES)
    empty = [k for k in TIMELINE_LANES if lanes.get(k, 0) <= 0]
    checks.append(_check("timeline: events drawn", bool(lanes) and not empty, drawn if lanes else "nothing drawn yet",
                         "no events on the lanes " + ", ".join(empty or TIMELINE_LANES)
                         + "; the timeline's worker could not read the store, or the events are outside its last hour"))
    checks.append(_check("event list: rows", rows > 0, f"{rows} row(s) in the time window",
                         "the event list loaded no rows; check the store checks above and the time window (Time menu)"))
    a = report["panels"]["alerts"]
    fix = ("the alert engine is not running; see the log (-v)" if not a["engine_running"]
           else f"the alert engine failed: {a['engine_error']}" if a["engine_error"]
           else "no hot-list hit was raised: the simulator's /hotlist.csv was not imported or its plates were not read yet; "
                "see the log (-v) for 'demo hot list'")
    checks.append(_check("alerts: hot-list hits", bool(hot), f"{len(hot)} hot-list alert(s) in the queue; dock title '{a['dock_title']}'"
                         + (f", e.g. {hot[0].get('summary')}" if hot else ""), fix))
    worker = getattr(window.search, "worker", None)
    checks.append(_check("search: panel ready", report["panels"]["search"] and bool(worker is not None and worker.alive),
                         "plate, near and text search docked" if report["panels"]["search"] else "missing",
                         "the search panel or its store worker did not start; see the log (-v)"))


def _parse(text: Any) -> dict[str, Any] | None:
    import json

    if not text:
        return None
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
