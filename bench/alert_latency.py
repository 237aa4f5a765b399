"""Ingest-to-alert latency: from a feed's commit to the alert reaching a listener.

    uv run python bench/alert_latency.py --rounds 100 --hotlist 20000

A fresh database with N hot-listed plates in two lists (one matching
look-alike characters too) and 20 geofences. The AlertEngine runs on its own thread
with its own Store, woken by the change notice exactly as the sync engine's
``on_change`` would call it. Each round a "feed" (another Store on the same
file) upserts a batch of plate reads (one hot) and notifies, then one gunshot
inside a fence and notifies; we time each commit → listener. Prints
median/p95/max; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rtcc_desktop.analysis import alerts as A  # noqa: E402
from rtcc_desktop.analysis import geofence as G  # noqa: E402
from rtcc_desktop.analysis import hotlist as H  # noqa: E402
from rtcc_desktop.model.timeutil import iso_now  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402

CITY = (41.8781, -87.6298)
LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def plate(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(3)) + "".join(rng.choice("0123456789") for _ in range(4))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--hotlist", type=int, default=20_000, help="hot-list entries (default 20,000)")
    ap.add_argument("--batch", type=int, default=500, help="plate reads per feed commit (default 500)")
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)

    out = HERE / "out"
    out.mkdir(exist_ok=True)
    path = out / "alert_latency.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)

    setup = open_store(path)
    listed = sorted({plate(rng) for _ in range(args.hotlist)})
    half = len(listed) // 2
    H.import_hotlist_text(setup, "plate,reason\n" + "\n".join(f"{p},STOLEN" for p in listed[:half]), "exact")
    H.import_hotlist_text(setup, "plate,reason\n" + "\n".join(f"{p},WANTED" for p in listed[half:]), "fuzzy", confusion=True)
    for i in range(20):
        G.save_geofence(setup, G.Geofence(f"zone {i}", center=(CITY[0] + (i - 10) * 0.01, CITY[1]), radius_m=400))
    setup.close()

    engine_store = open_store(path)
    engine = A.AlertEngine(engine_store)
    got: dict[str, float] = {}
    arrived = threading.Condition()

    def listener(alerts: list[dict]) -> None:
        now = time.perf_counter()
        with arrived:
            for a in alerts:
                got.setdefault(a["record"], now)
            arrived.notify_all()

    engine.subscribe(listener)
    engine.start(sweep_s=3600)  # only the notice wakes it
    feed = open_store(path)
    latencies: list[float] = []
    shot_latencies: list[float] = []
    seq = 0
    try:
        for r in range(args.rounds):
            reads = []
            for _ in range(args.batch - 1):
                seq += 1
                reads.append({"source": "bench", "source_id": f"r{seq}", "time": iso_now(), "plate": plate(rng),
                              "lat": CITY[0], "lon": CITY[1] + 0.05, "camera": "C1"})
            seq += 1
            hot = rng.choice(listed)
            reads.insert(rng.randrange(len(reads)), {"source": "bench", "source_id": f"r{seq}", "time": iso_now(), "plate": hot,
                                                     "lat": CITY[0], "lon": CITY[1], "camera": "C2"})
            res = feed.upsert("alpr", reads)
            committed = time.perf_counter()
            engine.notify("alpr", res.max_rowid)
            ref = f"alpr:{res.max_rowid - len(reads) + 1 + next(i for i, x in enumerate(reads) if x['plate'] == hot)}"
            with arrived:
                ok = arrived.wait_for(lambda: ref in got, timeout=10)
            if not ok:
                print(f"round {r}: no alert within 10 s", file=sys.stderr)
                continue
            latencies.append((got[ref] - committed) * 1000)
            seq += 1
            res = feed.upsert("gunshot", [{"source": "bench", "source_id": f"g{seq}", "time": iso_now(),
                                           "lat": CITY[0] + (r % 20 - 10) * 0.01, "lon": CITY[1], "rounds": 3.0}])
            committed = time.perf_counter()
            engine.notify("gunshot", res.max_rowid)
            ref = f"gunshot:{res.max_rowid}"
            with arrived:
                ok = arrived.wait_for(lambda: ref in got, timeout=10)
            if ok:
                shot_latencies.append((got[ref] - committed) * 1000)
            else:
                print(f"round {r}: no geofence alert within 10 s", file=sys.stderr)
    finally:
        engine.stop()
        feed.close()
        engine_store.close()
    med = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 20 else max(latencies)
    print(f"ingest → alert over {len(latencies)} rounds ({args.batch} reads per commit, {len(listed):,} listed plates): "
          f"median {med:.1f} ms, p95 {p95:.1f} ms, max {max(latencies):.1f} ms")
    smed = statistics.median(shot_latencies)
    sp95 = statistics.quantiles(shot_latencies, n=20)[-1] if len(shot_latencies) >= 20 else max(shot_latencies)
    print(f"gunshot in a geofence → alert over {len(shot_latencies)} rounds: median {smed:.1f} ms, p95 {sp95:.1f} ms, "
          f"max {max(shot_latencies):.1f} ms")
    print(json.dumps({"bench": "alert_latency", "rounds": len(latencies), "batch": args.batch, "hotlist": len(listed),
                      "median_ms": round(med, 2), "p95_ms": round(p95, 2), "max_ms": round(max(latencies), 2),
                      "geofence": {"median_ms": round(smed, 2), "p95_ms": round(sp95, 2), "max_ms": round(max(shot_latencies), 2)},
                      "target_ms": 1000}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
