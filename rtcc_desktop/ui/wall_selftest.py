"""``rtcc-desktop self-test --wall``: the wall opened on the simulator, waited for, checked, screenshotted and closed."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication

from rtcc_desktop.ui.wall import open_wall
from rtcc_desktop.wall_layout import WallLayout, load_wall_layout

log = logging.getLogger(__name__)


def wall_self_test(session: Any, *, screenshot: str | Path | None = None, timeout_s: float = 60.0,
                   size: tuple[int, int] = (3840, 1080), layout: WallLayout | None = None) -> dict[str, Any]:
    """Open the wall on a running session, wait (bounded) until it is alive, check it, screenshot it, close it.

    Returns ``{"checks": [{name, ok, detail, fix}], "wall": status, "screenshot": path}``;
    the caller merges the checks into its own report.
    """
    from rtcc_desktop.ui.testing import spin, wait_until

    offscreen = QGuiApplication.platformName() in ("offscreen", "minimal")
    multi = len(QGuiApplication.screens()) > 1
    wall = open_wall(session, layout=layout, show=False)
    out: dict[str, Any] = {"checks": []}
    try:
        if offscreen or not multi:
            wall.show(full_screen=False, size=size)
        else:
            wall.show(full_screen=True)

        def video_live() -> bool:
            st = [v for v in wall.status()["video"].values() if v is not None]
            return all(v.get("live", 0) > 0 for v in st)

        def alive() -> bool:
            s = wall.status()
            counts = s["map_counts"] or {}
            return bool(s["map_ready"] and wall.figures is not None and any(counts.get(k, 0) for k in ("cad", "gunshot", "alpr"))
                        and video_live() and wall.figures.gunshots_24h > 0)

        wait_until(alive, timeout_s)
        wall.refresh_now()
        spin(2500)  # let tiles and the last figures paint
        s = wall.status()
        out["wall"] = s
        f = s["figures"] or {}

        def check(name: str, ok: bool, detail: str, fix: str) -> None:
            out["checks"].append({"name": name, "ok": bool(ok), "detail": detail, "fix": "" if ok else fix})

        check("wall: windows", s["windows"] >= 1, f"{s['windows']} wall window(s)", "the layout placed no pane")
        check("wall: map", s["map_ready"] and any((s["map_counts"] or {}).get(k, 0) for k in ("cad", "gunshot", "alpr")),
              f"markers {s['map_counts']}", "the wall's map did not load or got no records")
        check("wall: figures", bool(f), f"open CAD {f.get('cad_open_total')}, gunshots 1 h {f.get('gunshots_1h')} / 24 h "
              f"{f.get('gunshots_24h')}, hot-list hits today {f.get('hotlist_today')}", "the figures worker never answered")
        stale = [x["name"] for x in f.get("feeds", []) if x.get("stale")]
        check("wall: feeds fresh", bool(f.get("feeds")) and not stale, f"stale: {', '.join(stale) or 'none'}",
              "feeds are behind; see the feed checks")
        vids = {k: v for k, v in s["video"].items() if v is not None}
        check("wall: video", all(v.get("live", 0) > 0 for v in vids.values()),
              "; ".join(f"screen {k}: {v.get('live')} of {v.get('tiles')} live" for k, v in vids.items()) or "no video pane",
              "no camera played on the wall")
        check("wall: layout", not s["problems"], "; ".join(s["problems"] + s["notes"]) or "as configured",
              f"fix the wall layout file {wall.layout.source}")
        if screenshot:
            path = Path(screenshot)
            path.parent.mkdir(parents=True, exist_ok=True)
            img = wall.grab()
            ok = img.save(str(path))
            out["screenshot"] = str(path)
            check("wall: screenshot", ok, f"{path} ({img.width()}x{img.height()})", "could not write the PNG")
    finally:
        wall.close()
    return out


def run_wall_self_test(
    json_out: bool = False,
    screenshot: str | Path | None = None,
    db: str | Path | None = None,
    timeout_s: float = 60.0,
    layout_path: str | Path | None = None,
    size: tuple[int, int] = (3840, 1080),
) -> tuple[int, dict[str, Any]]:
    """``rtcc-desktop self-test --wall``: the wall on the simulator, checked; (exit code, report) like ``run_self_test``."""
    import os
    import shutil
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from rtcc_desktop.ui.app import ensure_app, open_session, temp_settings

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-wall-selftest-"))
    report: dict[str, Any] = {"ok": False, "checks": [], "wall": None, "lines": []}
    session = None
    try:
        ensure_app()
        layout = load_wall_layout(layout_path)
        session = open_session(Path(db) if db else tmp / "selftest.sqlite", demo=True, settings=temp_settings(tmp),
                               tile_cache_dir=tmp / "tiles")
        res = wall_self_test(session, screenshot=screenshot, timeout_s=timeout_s, size=size, layout=layout)
        report["checks"] = res["checks"]
        report["wall"] = res.get("wall")
        if res.get("screenshot"):
            report["screenshot"] = res["screenshot"]
    except Exception as exc:  # a crash or a bad layout is a failed check, with the reason
        log.exception("wall self-test failed")
        report["checks"].append({"name": "wall started", "ok": False, "detail": f"{type(exc).__name__}: {exc}",
                                 "fix": "fix the wall layout file named above" if "wall" in str(exc) else "run with -v"})
    finally:
        if session is not None:
            session.close()
        shutil.rmtree(tmp, ignore_errors=True)
    report["ok"] = bool(report["checks"]) and all(c["ok"] for c in report["checks"])
    report["seconds"] = round(time.monotonic() - started, 1)
    report["lines"] = [f"[{'PASS' if c['ok'] else 'FAIL'}] {c['name']}: {c['detail']}" + (f" -> {c['fix']}" if not c["ok"] and c["fix"] else "")
                       for c in report["checks"]]
    return (0 if report["ok"] else 1), report


__all__ = ["run_wall_self_test", "wall_self_test"]
