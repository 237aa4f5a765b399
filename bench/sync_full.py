"""Full-sync benchmark: a first sync of a big Socrata CAD dataset into a fresh cache.

    uv run python bench/sync_full.py                 # >= 100,000 CAD rows
    uv run python bench/sync_full.py --rows 0         # history=100000 as given

Starts the simulator with ``history`` past events. CAD calls are only a share
(~44%) of the simulator's events, so ``history`` is raised until the dataset
holds at least ``--rows`` CAD rows (``--rows 0`` keeps ``history`` as given).
Then it times one ``sync_once`` of the SODA CAD feed into a new
database under bench/out/: HTTP paging with the keyset ``$where``, JSON
parsing, validation and one upsert transaction per page. Building the
simulated city is not timed. Prints rows/s and seconds; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from rtcc_desktop.config import parse_config  # noqa: E402
from rtcc_desktop.feeds.http import make_session  # noqa: E402
from rtcc_desktop.feeds.sync import sync_once  # noqa: E402
from rtcc_desktop.sim import Simulator  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


def _instrument(store: object) -> dict[str, float]:
    """Wrap the three stages of a page so the figure can be split (bench only)."""
    from rtcc_desktop.feeds import sync as sync_mod

    parts = {"http": 0.0, "parse": 0.0, "upsert": 0.0}

    def timed(name: str, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                parts[name] += time.perf_counter() - t

        return wrapper

    sync_mod.fetch = timed("http", sync_mod.fetch)  # type: ignore[assignment]
    sync_mod._Poll.parse = timed("parse", sync_mod._Poll.parse)  # type: ignore[method-assign]
    store.upsert = timed("upsert", store.upsert)  # type: ignore[attr-defined]
    return parts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--history", type=int, default=100_000, help="simulated past events (default 100,000)")
    ap.add_argument("--rows", type=int, default=100_000, help="CAD rows wanted; history is raised to reach it")
    ap.add_argument("--page-size", type=int, default=5000, help="SODA $limit per page (default 5000)")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "sync_full.sqlite")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    _remove_db(args.out)
    t0 = time.perf_counter()
    sim = Simulator(seed=1, rate_per_min=60, history=args.history, start="2024-05-01T18:00:00Z")
    sim.clock.freeze()
    sim.start()
    try:
        cad_rows = sim.health()["counts"]["cad"]
        if cad_rows < args.rows:  # CAD is a share of all events: ask for enough history
            sim.stop()
            history = int(args.history * args.rows / max(cad_rows, 1)) + 200
            sim = Simulator(seed=1, rate_per_min=60, history=history, start="2024-05-01T18:00:00Z")
            sim.clock.freeze()
            sim.start()
            cad_rows = sim.health()["counts"]["cad"]
        setup_s = time.perf_counter() - t0
        feed = next(f for f in parse_config(sim.feeds_toml(), name="<sim>").feeds if f.kind == "cad")
        feed = replace(feed, page_size=args.page_size, timeout_s=120.0)
        print(f"simulator ready in {setup_s:.1f} s with {cad_rows:,d} CAD rows; syncing into {args.out}")
        store = open_store(args.out)
        session = make_session()
        parts = _instrument(store)
        try:
            t = time.perf_counter()
            report = sync_once(store, feed, session)
            spent = time.perf_counter() - t
            stored = store.counts()["cad"]
        finally:
            store.close()
            session.close()
    finally:
        sim.stop()
    if not report.ok:
        print(f"sync failed: {report.error}")
        return 1
    rate = stored / spent if spent else 0.0
    print(report.summary())
    print(f"full sync {stored:,d} rows in {spent:.2f} s = {rate:,.0f} rows/s ({report.pages} pages of {args.page_size})")
    other = spent - sum(parts.values())
    print(
        "  time in: HTTP (incl. the in-process simulator answering) {http:.2f} s, "
        "parse+validate {parse:.2f} s, store upsert {upsert:.2f} s, rest {rest:.2f} s".format(**parts, rest=other)
    )
    print(
        json.dumps(
            {
                "bench": "sync_full",
                "rows": stored,
                "sim_rows": cad_rows,
                "seconds": round(spent, 3),
                "rows_per_s": round(rate),
                "pages": report.pages,
                "page_size": args.page_size,
                "seconds_by_part": {k: round(v, 3) for k, v in parts.items()},
                "cpus": os.cpu_count(),
            }
        )
    )
    return 0 if stored == cad_rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
