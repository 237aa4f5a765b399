"""The simulator in its own process, for benchmarks that measure only the app's process.

    python bench/_sim_child.py --config OUT.toml --rate 600 [--outage-at S --outage-for S]

The in-process simulator keeps every event it has generated (it must, to
answer a SODA query over all of them), so a soak that hosts it would count
the simulator's growth as the app's. This script serves the same simulator
from a child process, writes a feeds TOML pointing at it, prints its base URL
on one line and runs until its stdin closes (the parent exiting or closing
the pipe stops it). ``--outage-at``/``--outage-for`` make the gunshot feed
answer 503 for that window, counted from start.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rtcc_desktop.sim import Simulator  # noqa: E402

GUNSHOTS = "/gunshots.geojson"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", type=Path, required=True, help="write the feeds TOML here")
    p.add_argument("--rate", type=float, default=600.0)
    p.add_argument("--history", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--outage-at", type=float, default=None, help="seconds after start the gunshot feed goes down")
    p.add_argument("--outage-for", type=float, default=120.0)
    args = p.parse_args(argv)

    sim = Simulator(port=0, seed=args.seed, rate_per_min=args.rate, history=args.history)
    base = sim.start()
    args.config.write_text(sim.feeds_toml(), encoding="utf-8")
    started = time.monotonic()
    stop = threading.Event()

    def outage() -> None:
        if args.outage_at is None or stop.wait(args.outage_at):
            return
        sim.faults.fail_next(1_000_000, status=503, path=GUNSHOTS)
        if not stop.wait(args.outage_for):
            sim.faults.reset()

    def forget_requests() -> None:
        while not stop.wait(30.0):  # the request log is for tests; a long run must not keep it
            sim.faults.clear_log()

    for target in (outage, forget_requests):
        threading.Thread(target=target, daemon=True).start()
    print(base, flush=True)
    try:
        sys.stdin.read()  # until the parent closes the pipe or exits
    finally:
        stop.set()
        sim.stop()
    print(f"simulator stopped after {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
