"""Query benchmark on a large plate-read cache: near(500 m, 1 h) and plate prefix.

    uv run python bench/queries.py --reads 5000000

Builds bench/out/queries-<reads>.sqlite once (synthetic ALPR reads at fixed
sites over 30 days) and reuses it on later runs. Then times 200 near()
queries around random ALPR sites in random one-hour windows, and 200 plate
queries by 3-character prefix (``AB1*``) and by exact plate, each on a
freshly opened Store. Prints median/p95; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _synth  # noqa: E402

from rtcc_desktop.model.timeutil import from_iso, to_iso  # noqa: E402
from rtcc_desktop.store import Store, open_store  # noqa: E402

BUILD_FEED = "bench-build"


def build(path: Path, reads: int, batch: int) -> None:
    """Fill the database once; a finished build leaves a marker in feed_state."""
    with open_store(path) as store:
        state = store.feed_state(BUILD_FEED)
        if state and state["cursor"] == f"done:{reads}":
            print(f"reusing {path} ({store.counts()['alpr']:,d} plate reads)")
            return
        print(f"building {path} with {reads:,d} plate reads (once) ...", flush=True)
        t = time.perf_counter()
        done = 0
        for records in _synth.batches("alpr", reads, batch=batch):
            store.upsert("alpr", records)
            done += len(records)
            if done % 500_000 < batch:
                print(f"  {done:>10,d}  {done / (time.perf_counter() - t):,.0f} records/s", flush=True)
        store.update_feed_health(BUILD_FEED, cursor=f"done:{reads}")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.execute("ANALYZE")
        print(f"built in {time.perf_counter() - t:.1f} s", flush=True)


def timed(fn: Callable[..., list[Any]], queries: Sequence[tuple[Any, ...]]) -> tuple[list[float], list[int]]:
    ms, sizes = [], []
    for args in queries:
        t = time.perf_counter()
        rows = fn(*args)
        ms.append((time.perf_counter() - t) * 1000)
        sizes.append(len(rows))
    return ms, sizes


def summary(name: str, ms: list[float], sizes: list[int]) -> dict[str, float]:
    p95 = statistics.quantiles(ms, n=20)[-1]
    med = statistics.median(ms)
    print(
        f"{name:22s} median {med:7.2f} ms   p95 {p95:7.2f} ms   "
        f"results: median {statistics.median(sizes):.0f}, max {max(sizes)}"
    )
    return {"median_ms": round(med, 3), "p95_ms": round(p95, 3), "median_results": statistics.median(sizes)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reads", type=int, default=5_000_000, help="plate reads in the database (default 5,000,000)")
    ap.add_argument("--queries", type=int, default=200, help="queries of each type (default 200)")
    ap.add_argument("--batch", type=int, default=10_000, help="records per upsert while building")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args(argv)

    path = HERE / "out" / f"queries-{args.reads}.sqlite"
    build(path, args.reads, args.batch)

    rnd = random.Random(args.seed)
    sites = _synth.alpr_sites()
    start = from_iso(str(_synth.START) + "Z")
    span_s = 30 * 86400 - 3600
    near_q = []
    for _ in range(args.queries):
        lat, lon = sites[rnd.randrange(len(sites))]
        since = start + timedelta(seconds=rnd.uniform(0, span_s))
        near_q.append((lat + rnd.gauss(0, 0.001), lon + rnd.gauss(0, 0.001), 500.0, to_iso(since),
                       to_iso(since + timedelta(hours=1))))
    pool = _synth.plate_pool(args.reads)
    prefix_q = [(pool[rnd.randrange(len(pool))][:3] + "*",) for _ in range(args.queries)]
    exact_q = [(pool[rnd.randrange(len(pool))],) for _ in range(args.queries)]

    results: dict[str, object] = {"bench": "queries", "reads": args.reads, "queries": args.queries}
    store: Store = open_store(path)
    try:
        print(f"{store.counts()['alpr']:,d} plate reads; {args.queries} queries of each type, fresh connection")
        ms, sizes = timed(lambda la, lo, r, s, u: store.near(la, lo, r, since=s, until=u), near_q)
        results["near_500m_1h"] = summary("near(500 m, 1 h)", ms, sizes)
        ms, sizes = timed(store.plates, prefix_q)
        results["plate_prefix3"] = summary("plates('AB1*')", ms, sizes)
        ms, sizes = timed(store.plates, exact_q)
        results["plate_exact"] = summary("plates('ABC1234')", ms, sizes)
    finally:
        store.close()
    results["db_bytes"] = path.stat().st_size
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
