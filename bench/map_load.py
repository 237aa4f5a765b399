"""Benchmark: how long the live map takes to show 50,000 points, and to apply a 1,000-record delta.

Targets: 50,000 points on screen in < 2 s; a 1,000-record delta in < 100 ms.
Timed from the moment Python hands the records to the map until the page
reports them applied (markercluster's chunked loading finished). Runs
offscreen; prints figures, and a JSON summary as the last line.

    uv run python bench/map_load.py [--points 50000] [--delta 1000] [--repeat 5]
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=50_000)
    ap.add_argument("--delta", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    app = ensure_app()
    from PySide6.QtCore import QEventLoop, QTimer

    from rtcc_desktop.tiles import TileCache, TileSource
    from rtcc_desktop.tiles.testserver import TileServer
    from rtcc_desktop.ui.map_controller import CHUNK
    from rtcc_desktop.ui.map_page import PageOptions
    from rtcc_desktop.ui.map_payload import to_page_many
    from rtcc_desktop.ui.map_view import MapView
    from rtcc_desktop.ui.testing import dispose, wait_until

    rng = random.Random(7)
    tmp = Path(tempfile.mkdtemp(prefix="rtcc-bench-"))
    server = TileServer().start()
    cache = TileCache(tmp / "tiles.mbtiles")
    view = MapView(TileSource(server.url_template, cache), options=PageOptions(lat=33.614, lon=-85.835, zoom=12))
    view.resize(1280, 900)
    view.show()
    if not wait_until(lambda: view.is_ready, 60):
        raise SystemExit("map page never became ready")

    def apply_and_wait(chunks: list[str]) -> float:
        acked: set[int] = set()
        loop = QEventLoop()
        last = [0]

        def on_applied(seq: int, _counts: object) -> None:
            acked.add(seq)
            if seq == last[0]:
                loop.quit()

        view.applied.connect(on_applied)
        t0 = time.perf_counter()
        for i, body in enumerate(chunks):  # as MapController sends a window load: chunks, the last without "more"
            last[0] = view.apply_encoded(body, more=i < len(chunks) - 1)
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        guard.start(120_000)
        if last[0] not in acked:
            loop.exec()
        elapsed = time.perf_counter() - t0
        view.applied.disconnect(on_applied)
        if last[0] not in acked:
            raise SystemExit("the page did not acknowledge the records within 120 s")
        return elapsed

    if os.environ.get("RTCC_BENCH_DEBUG"):
        view.run_js("RTCC.debugTimes = true")
    raw = make_records(args.points, 1, rng)
    t0 = time.perf_counter()
    page = to_page_many(raw)
    convert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = [json.dumps(page[i : i + CHUNK], separators=(",", ":"), ensure_ascii=False) for i in range(0, len(page), CHUNK)]
    convert_s += time.perf_counter() - t0
    size_mb = sum(len(c) for c in chunks) / 1e6

    load_s = apply_and_wait(chunks)
    counts = view.counts
    shown = sum(counts.get(k, 0) for k in ("cad", "alpr", "gunshot", "hotlist"))
    print(f"{args.points:,} points: page reports {shown:,} markers in {load_s:.3f} s "
          f"(+ {convert_s:.3f} s to build and encode the JSON on the store worker, {size_mb:.1f} MB)")

    deltas = []
    next_id = 10_000_000
    for _ in range(args.repeat):
        delta = json.dumps(to_page_many(make_records(args.delta, next_id, rng)), separators=(",", ":"), ensure_ascii=False)
        next_id += args.delta
        deltas.append(apply_and_wait([delta]) * 1000)
    print(f"{args.delta:,}-record delta: median {statistics.median(deltas):.1f} ms, max {max(deltas):.1f} ms over {args.repeat} runs")
    errors = view.js_errors
    if os.environ.get("RTCC_BENCH_DEBUG"):
        print("\n".join(view.page.console_messages[-40:]))

    view.shutdown()
    dispose(view)
    server.stop()
    cache.close()
    result = {
        "bench": "map_load",
        "points": args.points,
        "markers_on_page": shown,
        "load_s": round(load_s, 3),
        "load_target_s": 2.0,
        "payload_build_s": round(convert_s, 3),
        "payload_mb": round(size_mb, 2),
        "delta_records": args.delta,
        "delta_ms_median": round(statistics.median(deltas), 1),
        "delta_ms_max": round(max(deltas), 1),
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
