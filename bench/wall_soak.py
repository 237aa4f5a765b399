"""Wall-mode soak: the wall on the simulator at a high event rate, resources sampled every minute.

    uv run python bench/wall_soak.py --minutes 30 --rate 600

Starts the simulator (``--rate`` events per minute, far above a real city),
in a child process (bench/_sim_child.py: its own event history is not the
wall's memory), syncs it into a temporary cache as ``rtcc-desktop --wall``
does with the simulator's feeds config and the demo hot list, opens the wall (map, 3x3 camera pane, figures strip, ticker) at
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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


def type_counts() -> Counter[str]:
    """Live objects the collector tracks, by type: what a growth is made of."""
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


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
    p.add_argument("--types", type=int, default=0, metavar="N",
                   help="also print the N object types that grew most since the last sample (to find a leak)")
    args = p.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else args.minutes / 5.0

    import requests

    from rtcc_desktop.analysis.hotlist import import_hotlist_text
    from rtcc_desktop.config import parse_config
    from rtcc_desktop.store import open_store
    from rtcc_desktop.ui.app import ensure_app, open_session, temp_settings
    from rtcc_desktop.ui.testing import spin
    from rtcc_desktop.ui.wall import open_wall

    ensure_app()
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-wall-soak-"))
    # The simulator runs in a child process: it keeps every event it made (to
    # answer SODA queries over all of them), which is not the wall's memory.
    sim_config = tmp / "feeds.toml"
    mid = args.minutes * 30.0
    child = subprocess.Popen(
        [sys.executable, str(HERE / "_sim_child.py"), "--config", str(sim_config), "--rate", f"{args.rate:g}", "--history", "2000",
         *(["--outage-at", f"{mid - 60.0:g}", "--outage-for", "120"] if args.outage else [])],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    base_url = child.stdout.readline().strip()
    if not base_url.startswith("http"):
        child.kill()
        raise SystemExit(f"the simulator child did not start (said {base_url!r})")
    config = parse_config(sim_config.read_text(encoding="utf-8"), name=str(sim_config))
    hot = requests.get(base_url + "/hotlist.csv", timeout=10)
    hot.raise_for_status()
    pre = open_store(tmp / "soak.sqlite")
    try:  # the hot list first, as the demo does, so its plates raise alerts from the first read
        import_hotlist_text(pre, hot.text, "demo hot list", confusion=True, source=base_url + "/hotlist.csv")
    finally:
        pre.close()
    session = open_session(tmp / "soak.sqlite", config, settings=temp_settings(tmp), tile_cache_dir=tmp / "tiles")
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
    print(f"wall soak: {args.minutes:g} min at {args.rate:g} events/min, sample every {args.every:g} s "
          f"(warm-up {warmup:g} min){', gunshot outage mid-run' if args.outage else ''}; simulator in pid {child.pid}", flush=True)
    try:
        next_at = started + args.every
        prev_types: Counter[str] | None = None
        warm_types: Counter[str] | None = None
        while time.monotonic() < end:
            spin(500)
            now = time.monotonic()
            if now >= next_at or now >= end:
                s = sample(wall, started)
                samples.append(s)
                print(f"min {s['minute']:6.2f}: rss {s['rss_mib']:7.1f} MiB  fds {s['fds']:4d}  threads {s['threads']:3d} "
                      f"(os {s['os_threads']:3d})  wall qobjects {s['wall_qobjects']:5d}  widgets {s['app_widgets']:5d}  "
                      f"py objs {s['py_objects']:7d}  markers {s['markers']:6d}  video live {s['video_live']}  "
                      f"stale {','.join(s['stale']) or '-'}", flush=True)
                if args.types:
                    now_types = type_counts()
                    if prev_types is not None:
                        grew = (now_types - prev_types).most_common(args.types)
                        print("    grew: " + ", ".join(f"{name} +{n}" for name, n in grew), flush=True)
                    prev_types = now_types
                    if warm_types is None and s["minute"] >= warmup:
                        warm_types = now_types
                next_at += args.every
        if args.screenshot:
            wall.grab().save(args.screenshot)
    finally:
        wall.close()
        session.close()
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()

    if args.types and warm_types is not None and prev_types is not None:
        grew = (prev_types - warm_types).most_common(args.types)
        print("since warm-up, grew: " + ", ".join(f"{name} +{n}" for name, n in grew), flush=True)
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
