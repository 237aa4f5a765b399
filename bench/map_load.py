"""Benchmark: how long the live map takes to show 50,000 points, and to apply a 1,000-record delta.

Targets: 50,000 points on screen in < 2 s; a 1,000-record delta in < 100 ms.
Timed from the moment Python hands the records to the map (the messages the
map controller sends, already encoded on the store worker) until the page
reports them drawn (the page acknowledges a delta after the canvas frame that
shows it). Runs offscreen; prints figures, and a JSON summary as the last line.

Wall time on a busy machine says as much about the other processes as about
the map, so the CPU time spent by the GUI thread and by the web engine's
renderer process (and its main, JavaScript thread) is reported too: those
figures barely move with load.

    uv run python bench/map_load.py [--points 50000] [--delta 1000] [--repeat 9] [--reloads 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtcc_desktop.ui.app import ensure_app  # noqa: E402  (registers the tile scheme first)

_TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 10.0


def make_records(n: int, start_id: int, rng: random.Random) -> list[dict]:
    now = datetime.now(timezone.utc)
    kinds = ("cad",) * 6 + ("alpr",) * 3 + ("gunshot",)
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        rec = {
            "kind": kind, "id": start_id + i,
            "lat": 33.614 + rng.gauss(0, 0.03), "lon": -85.835 + rng.gauss(0, 0.04),
            "time": (now - timedelta(seconds=rng.randint(0, 86000))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "agency": "OXFORD PD", "source_id": f"B{start_id + i}",
        }
        if kind == "cad":
            rec.update(type=rng.choice(["SHOTS FIRED", "THEFT", "TRAFFIC STOP", "DOMESTIC", "ALARM"]),
                       priority=str(rng.randint(1, 4)), address=f"{rng.randint(1, 9999)} MAIN ST",
                       narrative="Caller reports a disturbance near the corner; units en route.")
        elif kind == "alpr":
            rec.update(plate=f"{rng.randint(100, 999)}{chr(65 + rng.randint(0, 25))}{chr(65 + rng.randint(0, 25))}", state="AL",
                       camera=f"LPR-{rng.randint(1, 40):02d}")
        else:
            rec.update(rounds=rng.randint(1, 12), type="MULTIPLE GUNSHOTS")
        out.append(rec)
    return out


# ---------------------------------------------------------------------- CPU time of the web engine (Linux /proc)
def _ticks(path: str) -> int:
    try:
        with open(path) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


def _gpu_threads() -> list[str]:
    """This process's in-process GPU, compositor and software-raster threads (Qt WebEngine runs them here)."""
    out = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name.startswith(("Chrome_InProcGp", "VizCompositor", "CompositorTile", "llvmpipe")):
            out.append(f"/proc/self/task/{tid}/stat")
    return out


def webengine_cpu_ms(renderer: int, gpu: list[str]) -> dict[str, float]:
    """CPU ms so far: the renderer process, its main (JavaScript) thread, and GPU/compositing in this process."""
    out = {"gpu": sum(_ticks(p) for p in gpu) * _TICK_MS}
    if renderer > 0:
        out["renderer"] = _ticks(f"/proc/{renderer}/stat") * _TICK_MS
        out["renderer_main"] = _ticks(f"/proc/{renderer}/task/{renderer}/stat") * _TICK_MS
    return out


class Meter:
    """Wall time, GUI-thread CPU and web-engine CPU over one measured step."""

    def __init__(self, renderer: int) -> None:
        self.renderer, self.gpu = renderer, _gpu_threads()

    def __enter__(self) -> Meter:
        self.t0, self.c0, self.w0 = time.perf_counter(), time.thread_time(), webengine_cpu_ms(self.renderer, self.gpu)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.wall_s = time.perf_counter() - self.t0
        self.gui_cpu_ms = (time.thread_time() - self.c0) * 1000
        w1 = webengine_cpu_ms(self.renderer, self.gpu)
        self.engine_ms = {k: w1[k] - self.w0.get(k, 0.0) for k in w1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--delta", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=9, help="deltas to time")
    ap.add_argument("--reloads", type=int, default=3, help="full reloads after the first load (reset + the same points)")
    ap.add_argument("--heat", action="store_true", help="with the heat map on")
    args = ap.parse_args(argv)

    app = ensure_app()
    from PySide6.QtCore import QEventLoop, QTimer

    from rtcc_desktop.tiles import TileCache, TileSource
    from rtcc_desktop.tiles.testserver import TileServer
    from rtcc_desktop.ui import map_payload
    from rtcc_desktop.ui.map_page import PageOptions
    from rtcc_desktop.ui.map_view import MapView
    from rtcc_desktop.ui.testing import dispose, spin, wait_until

    compact = hasattr(MapView, "apply_rows")  # the page's compact row format (absent before it existed)
    if compact:
        from rtcc_desktop.ui.map_controller import ROW_CHUNK as CHUNK
    else:
        from rtcc_desktop.ui.map_controller import CHUNK

    def encode(records: list[dict]) -> list[str]:
        """What the store worker makes for the page: JSON chunks."""
        if compact:
            rows = map_payload.to_rows(records)
            return [map_payload.encode_rows(rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)]
        page = map_payload.to_page_many(records)
        return [json.dumps(page[i : i + CHUNK], separators=(",", ":"), ensure_ascii=False) for i in range(0, len(page), CHUNK)]

    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-bench-"))
    server = TileServer().start()
    cache = TileCache(tmp / "tiles.mbtiles")
    view = MapView(TileSource(server.url_template, cache), options=PageOptions(lat=33.614, lon=-85.835, zoom=12))
    view.resize(1280, 900)
    view.show()
    if not wait_until(lambda: view.is_ready, 60):
        raise SystemExit("map page never became ready")
    if args.heat:
        view.set_heat(True)
    spin(1500)  # let the first tiles settle
    renderer = view.page.renderProcessPid()
    send = view.apply_rows if compact else view.apply_encoded

    def apply_and_wait(chunks: list[str]) -> Meter:
        acked: set[int] = set()
        loop = QEventLoop()
        last = [0]

        def on_applied(seq: int, _counts: object) -> None:
            acked.add(seq)
            if seq == last[0]:
                loop.quit()

        view.applied.connect(on_applied)
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        with Meter(renderer) as m:
            for i, body in enumerate(chunks):  # as MapController sends a window load: chunks, the last without "more"
                last[0] = send(body, more=i < len(chunks) - 1)
            guard.start(120_000)
            if last[0] not in acked:
                loop.exec()
        view.applied.disconnect(on_applied)
        if last[0] not in acked:
            raise SystemExit("the page did not acknowledge the records within 120 s")
        return m

    def reset_and_wait() -> None:
        seq = view.reset(keep=())
        wait_until(lambda: view._seq == seq and view.counts.get("cad", 1) == 0, 30)
        spin(300)

    if os.environ.get("RTCC_BENCH_DEBUG"):
        view.run_js("RTCC.debugTimes = true")
    raw = make_records(args.points, 1, rng)
    t0 = time.perf_counter()
    chunks = encode(raw)
    convert_s = time.perf_counter() - t0
    size_mb = sum(len(c) for c in chunks) / 1e6

    first = apply_and_wait(chunks)
    counts = view.counts
    shown = sum(counts.get(k, 0) for k in ("cad", "alpr", "gunshot", "hotlist"))
    loads = [first]
    for _ in range(args.reloads):
        reset_and_wait()
        loads.append(apply_and_wait(chunks))
    print(f"{args.points:,} points: page reports {shown:,} markers drawn in {first.wall_s:.3f} s "
          f"(GUI thread CPU {first.gui_cpu_ms:.0f} ms, renderer {first.engine_ms.get('renderer', 0):.0f} ms, "
          f"of it JS thread {first.engine_ms.get('renderer_main', 0):.0f} ms); "
          f"reloads: {', '.join(f'{m.wall_s:.3f}' for m in loads[1:])} s "
          f"(+ {convert_s:.3f} s to build and encode the JSON on the store worker, {size_mb:.1f} MB)")

    spin(500)
    deltas: list[Meter] = []
    next_id = 10_000_000
    for _ in range(args.repeat):
        body = encode(make_records(args.delta, next_id, rng))
        next_id += args.delta
        deltas.append(apply_and_wait(body))
        spin(150)  # deltas arrive seconds apart in real life; let the page idle between them
    walls = [m.wall_s * 1000 for m in deltas]
    main_ms = [m.engine_ms.get("renderer_main", 0.0) for m in deltas]
    print(f"{args.delta:,}-record delta: median {statistics.median(walls):.1f} ms, max {max(walls):.1f} ms over "
          f"{args.repeat} runs; mean CPU per delta: GUI thread {statistics.mean(m.gui_cpu_ms for m in deltas):.1f} ms, "
          f"renderer JS thread {statistics.mean(main_ms):.1f} ms")
    errors = view.js_errors
    if os.environ.get("RTCC_BENCH_DEBUG"):
        print("\n".join(view.page.console_messages[-60:]))

    view.shutdown()
    dispose(view)
    server.stop()
    cache.close()
    result = {
        "bench": "map_load",
        "format": "rows" if compact else "records",
        "heat": args.heat,
        "points": args.points,
        "markers_on_page": shown,
        "load_s": round(first.wall_s, 3),
        "load_gui_cpu_ms": round(first.gui_cpu_ms, 1),
        "load_renderer_cpu_ms": round(first.engine_ms.get("renderer", 0.0)),
        "load_renderer_main_cpu_ms": round(first.engine_ms.get("renderer_main", 0.0)),
        "load_gpu_cpu_ms": round(first.engine_ms.get("gpu", 0.0)),
        "reload_s_median": round(statistics.median(m.wall_s for m in loads[1:]), 3) if args.reloads else None,
        "load_target_s": 2.0,
        "payload_build_s": round(convert_s, 3),
        "payload_mb": round(size_mb, 2),
        "delta_records": args.delta,
        "delta_ms_median": round(statistics.median(walls), 1),
        "delta_ms_max": round(max(walls), 1),
        "delta_gui_cpu_ms_mean": round(statistics.mean(m.gui_cpu_ms for m in deltas), 2),
        "delta_renderer_main_cpu_ms_mean": round(statistics.mean(main_ms), 1),
        "delta_renderer_cpu_ms_mean": round(statistics.mean(m.engine_ms.get("renderer", 0.0) for m in deltas), 1),
        "delta_gpu_cpu_ms_mean": round(statistics.mean(m.engine_ms.get("gpu", 0.0) for m in deltas), 1),
        "delta_target_ms": 100,
        "js_errors": len(errors),
        "cpus": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
    print(json.dumps(result))
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
