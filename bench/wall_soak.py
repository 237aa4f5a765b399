"""Wall-mode soak: the wall on the simulator at a high event rate, resources sampled every minute.

    uv run python bench/wall_soak.py --minutes 30 --rate 600

Starts the simulator (``--rate`` events per minute, far above a real city),
syncs it into a temporary cache exactly as ``rtcc-desktop --demo --wall``
does, opens the wall (map, 3x3 camera pane, figures strip, ticker) at
3840x1080 offscreen, and lets it run. Every ``--every`` seconds it prints the
process's resident memory, open file descriptors, threads (Python and OS),
live QObjects under the wall and the app's widgets, plus what the wall shows.
``--outage`` takes the gunshot feed down for two minutes in the middle, so
STALE marking and recovery run too. Figures only, never pass/fail.

Last line: JSON with every sample and the growth from the end of the warm-up
(``--warmup`` minutes, default 1/5 of the run) to the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _proc_status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "Threads"):
                out[key] = int(value.split()[0])
    return out


def sample(wall: Any, started: float) -> dict[str, Any]:
    """One reading of every resource the wall could leak."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    gc.collect()
    st = _proc_status()
    qobjects = len(wall.findChildren(QObject)) + sum(len(w.findChildren(QObject)) for w in wall.windows)
    status = wall.status()
    f = status.get("figures") or {}
    video = [v for v in status["video"].values() if v]
    return {
        "minute": round((time.monotonic() - started) / 60.0, 2),
        "rss_mib": round(st.get("VmRSS", 0) / 1024.0, 1),
        "fds": len(os.listdir("/proc/self/fd")),
        "threads": threading.active_count(),
        "os_threads": st.get("Threads", 0),
        "wall_qobjects": qobjects,
        "app_widgets": len(QApplication.allWidgets()),
        "py_objects": len(gc.get_objects()),
        "markers": sum(v for k, v in (status.get("map_counts") or {}).items() if k in ("cad", "gunshot", "alpr") and isinstance(v, int)),
        "gunshots_24h": f.get("gunshots_24h"),
        "stale": sorted(k for k, v in (f.get("stale") or {}).items() if v),
        "video_live": sum(v.get("live", 0) for v in video),
        "following": status.get("following"),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--rate", type=float, default=600.0, help="simulated events per minute")
    p.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    p.add_argument("--warmup", type=float, default=None, help="minutes before growth is measured (default: a fifth)")
    p.add_argument("--outage", action="store_true", help="fail the gunshot feed for 2 minutes mid-run")
    p.add_argument("--screenshot", default=None, help="save the wall as PNG at the end")
    p.add_argument("--map-window", choices=("15m", "1h", "24h"), default=None,
                   help="override the layout's map window; 15m fills within the run, so a plateau shows")
    args = p.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else args.minutes / 5.0

    from rtcc_desktop.ui.app import ensure_app, open_session, temp_settings
    from rtcc_desktop.ui.testing import spin
    from rtcc_desktop.ui.wall import open_wall

    ensure_app()
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-wall-soak-"))
    session = open_session(tmp / "soak.sqlite", demo=True, settings=temp_settings(tmp), tile_cache_dir=tmp / "tiles",
                           sim_rate=args.rate, sim_history=2000)
    layout = None
    if args.map_window:
        import dataclasses

        from rtcc_desktop.wall_layout import load_wall_layout

        base = load_wall_layout()
        layout = dataclasses.replace(base, map=dataclasses.replace(base.map, window=args.map_window))
    wall = open_wall(session, show=False, layout=layout)
    wall.show(full_screen=False, size=(3840, 1080))
    started = time.monotonic()
    end = started + args.minutes * 60.0
    samples: list[dict[str, Any]] = []
    outage = None
    if args.outage:
        mid = args.minutes * 30.0
        outage = (started + mid - 60.0, started + mid + 60.0)
    print(f"wall soak: {args.minutes:g} min at {args.rate:g} events/min, sample every {args.every:g} s "
          f"(warm-up {warmup:g} min){', gunshot outage mid-run' if outage else ''}", flush=True)
    try:
        next_at = started + args.every
        down = False
        while time.monotonic() < end:
            spin(500)
            now = time.monotonic()
            if outage is not None:
                sim = session.simulator
                if not down and outage[0] <= now < outage[1]:
                    down = True
                    sim.faults.fail_next(100000, status=503, path="/gunshots.geojson")
                elif down and now >= outage[1]:
                    down = False
                    sim.faults.reset()
            if now >= next_at or now >= end:
                if session.simulator is not None:  # the simulator logs every request for tests: not ours to measure
                    session.simulator.faults.clear_log()
                s = sample(wall, started)
                samples.append(s)
                print(f"min {s['minute']:6.2f}: rss {s['rss_mib']:7.1f} MiB  fds {s['fds']:4d}  threads {s['threads']:3d} "
                      f"(os {s['os_threads']:3d})  wall qobjects {s['wall_qobjects']:5d}  widgets {s['app_widgets']:5d}  "
                      f"py objs {s['py_objects']:7d}  markers {s['markers']:6d}  video live {s['video_live']}  "
                      f"stale {','.join(s['stale']) or '-'}", flush=True)
                next_at += args.every
        if args.screenshot:
            wall.grab().save(args.screenshot)
    finally:
        wall.close()
        session.close()

    base = next((s for s in samples if s["minute"] >= warmup), samples[0] if samples else None)
    last = samples[-1] if samples else None
    growth = {}
    if base and last:
        for key in ("rss_mib", "fds", "threads", "os_threads", "wall_qobjects", "app_widgets", "py_objects", "markers"):
            growth[key] = round(last[key] - base[key], 1)
    print(json.dumps({"bench": "wall_soak", "minutes": args.minutes, "rate_per_min": args.rate, "warmup_min": warmup,
                      "from_minute": base["minute"] if base else None, "growth_after_warmup": growth, "samples": samples}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
