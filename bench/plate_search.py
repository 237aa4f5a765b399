"""Plate search benchmark: wildcard and look-alike ("similar characters") search on N reads.

    uv run python bench/plate_search.py --reads 5000000

Uses bench/out/queries-<reads>.sqlite when bench/queries.py already built it
(same synthetic reads), else builds bench/out/plates-<reads>.sqlite once.
Times, each on plates drawn from the data:

  wildcard      store.plates("ABC1*")           3 letters + digit, then *
  wildcard ?    store.plates("AB?12*")          a ? in the prefix
  similar       similar_plates("A8C1234")       a whole plate, confusables expanded
  similar wild  similar_plates("ABC1*")         prefix + confusables + *
  similar lead  similar_plates("*1234")         leading * (reads every distinct plate)
  similar inner similar_plates("*7X2*")         three characters anywhere (the issue's example)
  similar wide  similar_plates("*5B*")          two characters anywhere: thousands of plates
  wildcard lead store.plates("*7X2*")           leading * without look-alikes

Prints median/p95 per kind; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _synth  # noqa: E402

from rtcc_desktop.analysis.plates import similar_plates  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402

BUILD_FEED = "bench-build"
_LOOKALIKE = {"B": "8", "8": "B", "0": "O", "1": "I", "2": "Z", "5": "S", "S": "5", "Z": "2", "6": "G", "G": "6", "D": "0"}


def database(reads: int, batch: int) -> Path:
    """The shared query-bench file when it is complete, else our own (built once)."""
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    shared = out / f"queries-{reads}.sqlite"
    if shared.exists():
        with open_store(shared) as store:
            state = store.feed_state(BUILD_FEED)
            if state and state["cursor"] == f"done:{reads}":
                print(f"reusing {shared} ({store.counts()['alpr']:,d} plate reads)")
                return shared
    path = out / f"plates-{reads}.sqlite"
    with open_store(path) as store:
        state = store.feed_state(BUILD_FEED)
        if state and state["cursor"] == f"done:{reads}":
            print(f"reusing {path} ({store.counts()['alpr']:,d} plate reads)")
            return path
        print(f"building {path} with {reads:,d} plate reads (once) ...", flush=True)
        t = time.perf_counter()
        for records in _synth.batches("alpr", reads, batch=batch):
            store.upsert("alpr", records)
        store.update_feed_health(BUILD_FEED, cursor=f"done:{reads}")
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.execute("ANALYZE")
        print(f"built in {time.perf_counter() - t:.1f} s", flush=True)
    return path


def misread(plate: str, rng: random.Random) -> str:
    """The plate with one look-alike character swapped, as a camera would misread it."""
    spots = [i for i, c in enumerate(plate) if c in _LOOKALIKE]
    if not spots:
        return plate
    i = rng.choice(spots)
    return plate[:i] + _LOOKALIKE[plate[i]] + plate[i + 1 :]


def run(name: str, fn, patterns: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    ms, sizes = [], []
    for p in patterns:
        t = time.perf_counter()
        rows = fn(p)
        ms.append((time.perf_counter() - t) * 1000)
        sizes.append(len(rows))
    med = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 20 else max(ms)
    print(f"{name:14s} median {med:8.2f} ms   p95 {p95:8.2f} ms   results median {statistics.median(sizes):.0f} max {max(sizes)}")
    return {"median_ms": round(med, 2), "p95_ms": round(p95, 2), "median_results": statistics.median(sizes)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reads", type=int, default=5_000_000)
    ap.add_argument("--queries", type=int, default=100, help="queries of each kind (default 100)")
    ap.add_argument("--lead-queries", type=int, default=10, help="leading-* queries of each kind (each reads every distinct plate)")
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args(argv)

    path = database(args.reads, args.batch)
    rng = random.Random(args.seed)
    pool = _synth.plate_pool(args.reads)
    sample = [rng.choice(pool) for _ in range(args.queries)]
    results: dict[str, dict[str, float]] = {}
    with open_store(path) as store:
        store.plates("ABC1*", limit=1)  # warm the page cache like a running app
        results["wildcard"] = run("wildcard", lambda p: store.plates(p, limit=100), [p[:4] + "*" for p in sample])
        results["wildcard_q"] = run("wildcard ?", lambda p: store.plates(p, limit=100), [p[:2] + "?" + p[3:5] + "*" for p in sample])
        results["similar"] = run("similar", lambda p: similar_plates(store, p, limit=100), [misread(p, rng) for p in sample])
        results["similar_wild"] = run("similar wild", lambda p: similar_plates(store, p, limit=100), [misread(p[:4], rng) + "*" for p in sample])
        results["similar_lead"] = run(
            "similar lead", lambda p: similar_plates(store, p, limit=100), ["*" + p[-4:] for p in sample[: args.lead_queries]]
        )
        lead = sample[: args.lead_queries]
        results["similar_inner"] = run(
            "similar inner", lambda p: similar_plates(store, p, limit=100), ["*" + p[2:5] + "*" for p in lead]
        )
        results["similar_wide"] = run(
            "similar wide", lambda p: similar_plates(store, p, limit=100), ["*" + p[3:5] + "*" for p in lead]
        )
        results["wildcard_lead"] = run("wildcard lead", lambda p: store.plates(p, limit=100), ["*" + p[2:5] + "*" for p in lead])
        reads = store.counts()["alpr"]
    print(json.dumps({"bench": "plate_search", "reads": reads, "target_ms": 300, **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
