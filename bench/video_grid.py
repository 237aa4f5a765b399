"""Video grid benchmark: N real camera streams through the real grid widget, offscreen.

    uv run python bench/video_grid.py --streams 16 --seconds 20 --json

Plays the real 768x432 clips (car-detection 12.5 fps, one-by-one-person
10 fps; cycled to N streams) from ../shared/realdata at their native rate,
the way live cameras deliver frames, through ``VideoGrid`` on a 1920x1080
offscreen window. Two phases, same clips, same pacing, same FFmpeg options:

1. floor: one thread per stream runs a bare ``cv2.VideoCapture`` decode loop
   (no mask, resize, colour conversion or painting): the CPU FFmpeg alone
   needs to decode these streams;
2. grid: the streams through capture threads, slots and tile painting.

Measured over the last ``--seconds`` after ``--warmup``: per-stream frames the
source produced (decoded or skipped to keep pace), frames painted, dropped,
latency from capture timestamp to the paintEvent that showed the frame, and
process CPU from getrusage. Figures only, never pass/fail. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import cv2  # noqa: E402

from rtcc_desktop.video import CaptureOptions  # noqa: E402  (also quietens FFmpeg logs)

CLIPS = ("car-detection.mp4", "one-by-one-person-detection.mp4")  # both 768x432


def realdata_dir() -> Path:
    default = HERE.parent.parent / "shared" / "realdata"
    return Path(os.environ.get("RTCC_REALDATA", str(default))) / "video_intel_sample_videos"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def native_fps(path: Path) -> float:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    fps = cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    return fps


# --------------------------------------------------------------------- floor
def floor_phase(paths: list[Path], seconds: float, warmup: float, options: CaptureOptions) -> dict:
    """Bare paced decode loops, one thread per stream: FFmpeg's own cost."""
    stop = threading.Event()
    decoded = [0] * len(paths)
    params = [cv2.CAP_PROP_N_THREADS, options.decode_threads]

    def run(i: int, path: Path) -> None:
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, params)
        interval = 1.0 / (cap.get(cv2.CAP_PROP_FPS) or 25.0)
        t0 = time.monotonic()
        index = 0
        try:
            while not stop.is_set():
                due = t0 + index * interval
                now = time.monotonic()
                if due > now:
                    if stop.wait(due - now):
                        break
                else:
                    for _ in range(int((now - due) / interval)):  # same catch-up rule as our reader
                        if not cap.grab():
                            break
                        index += 1
                ok, _frame = cap.read()
                if not ok:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    ok, _frame = cap.read()
                index += 1
                decoded[i] += 1
        finally:
            cap.release()

    threads = [threading.Thread(target=run, args=(i, p), name=f"rtcc-bench-floor-{i}") for i, p in enumerate(paths)]
    for t in threads:
        t.start()
    time.sleep(warmup)
    c0, w0, n0 = cpu_seconds(), time.monotonic(), sum(decoded)
    time.sleep(seconds)
    c1, w1, n1 = cpu_seconds(), time.monotonic(), sum(decoded)
    stop.set()
    for t in threads:
        t.join()
    wall = w1 - w0
    return {"cpu_percent": 100.0 * (c1 - c0) / wall, "frames_decoded": n1 - n0, "wall_s": wall}


# ---------------------------------------------------------------------- grid
def grid_phase(paths: list[Path], seconds: float, warmup: float, options: CaptureOptions, size: tuple[int, int]) -> dict:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from rtcc_desktop.ui.video_grid import VideoGrid

    app = QApplication.instance() or QApplication([])
    grid = VideoGrid(options=options, credential_lookup=None, views_path=None)
    grid.resize(*size)
    grid.show()
    cameras = [
        {"id": i, "name": f"{p.stem} #{i}", "stream_url": str(p), "access": "live"} for i, p in enumerate(paths)
    ]
    latencies: dict[int, list[float]] = {i: [] for i in range(len(paths))}
    recording = [False]

    def observe(tile: int, stream, frame, painted_at: float) -> None:
        if recording[0]:
            latencies[tile].append((painted_at - frame.captured) * 1000.0)

    grid.set_paint_observer(observe)
    grid.show_cameras(cameras)

    def spin(duration: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(round(duration * 1000), loop.quit)
        loop.exec()

    spin(warmup)
    streams = [t.stream for t in grid.tiles()[: len(paths)]]
    before = [(s.captured, s.skipped, s.shown, s.slot.overwritten, s.display_dropped) for s in streams]
    recording[0] = True
    c0, w0 = cpu_seconds(), time.monotonic()
    spin(seconds)
    c1, w1 = cpu_seconds(), time.monotonic()
    recording[0] = False
    after = [(s.captured, s.skipped, s.shown, s.slot.overwritten, s.display_dropped) for s in streams]
    wall = w1 - w0
    per_stream = []
    for i, (s, b, a) in enumerate(zip(streams, before, after)):
        captured, skipped, shown = a[0] - b[0], a[1] - b[1], a[2] - b[2]
        produced = captured + skipped
        lat = latencies[i]
        fps = native_fps(paths[i])
        per_stream.append(
            {
                "tile": i,
                "clip": paths[i].name,
                "native_fps": round(fps, 2),
                "expected": round(fps * wall, 1),  # what a real-time source produces in the window
                "produced": produced,
                "captured": captured,
                "shown": shown,
                "dropped": (a[1] - b[1]) + (a[3] - b[3]) + (a[4] - b[4]),
                "delivered_fps": round(shown / wall, 2),
                "shown_ratio": round(shown / produced, 4) if produced else None,
                "latency_p50_ms": round(percentile(lat, 0.5) or 0.0, 1),
                "latency_p95_ms": round(percentile(lat, 0.95) or 0.0, 1),
                "state": s.state.value,
            }
        )
    all_lat = [x for values in latencies.values() for x in values]
    health = grid.health()
    layout = grid.layout_name
    tile_size = (grid.tile(0).width(), grid.tile(0).height())
    grid.shutdown(10)
    grid.deleteLater()
    app.processEvents()
    return {
        "cpu_percent": 100.0 * (c1 - c0) / wall,
        "wall_s": wall,
        "per_stream": per_stream,
        "latencies": all_lat,
        "layout": layout,
        "tile_size": tile_size,
        "live": health["live"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=16, help="number of streams (the 2 clips cycled)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument("--size", default="1920x1080", help="grid window size WxH")
    parser.add_argument("--skip-floor", action="store_true", help="skip the FFmpeg-only phase")
    parser.add_argument("--nice", type=int, default=None, help="capture thread nice (default: CaptureOptions)")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary line")
    args = parser.parse_args(argv)
    folder = realdata_dir()
    clips = [folder / name for name in CLIPS]
    missing = [str(p) for p in clips if not p.exists()]
    if missing:
        parser.error(f"clips not found: {', '.join(missing)} (set RTCC_REALDATA)")
    paths = [clips[i % len(clips)] for i in range(args.streams)]
    width, height = (int(v) for v in args.size.lower().split("x"))
    options = CaptureOptions() if args.nice is None else CaptureOptions(thread_nice=args.nice)

    floor = None if args.skip_floor else floor_phase(paths, args.seconds, args.warmup, options)
    grid = grid_phase(paths, args.seconds, args.warmup, options, (width, height))

    per = grid["per_stream"]
    produced = sum(p["produced"] for p in per)
    shown = sum(p["shown"] for p in per)
    expected = sum(p["expected"] for p in per)
    p50, p95 = percentile(grid["latencies"], 0.5), percentile(grid["latencies"], 0.95)
    floor_cpu = floor["cpu_percent"] if floor else None
    summary = {
        "streams": args.streams,
        "seconds": args.seconds,
        "layout": grid["layout"],
        "tile_size": list(grid["tile_size"]),
        "window": [width, height],
        "cpu_count": os.cpu_count(),
        "live": grid["live"],
        "shown_ratio": round(shown / produced, 4) if produced else None,
        "shown_vs_realtime": round(shown / expected, 4) if expected else None,
        "frames_produced": produced,
        "frames_shown": shown,
        "frames_dropped": sum(p["dropped"] for p in per),
        "latency_p50_ms": round(p50, 1) if p50 is not None else None,
        "latency_p95_ms": round(p95, 1) if p95 is not None else None,
        "cpu_percent": round(grid["cpu_percent"], 1),
        "ffmpeg_floor_cpu_percent": round(floor_cpu, 1) if floor_cpu is not None else None,
        "cpu_vs_ffmpeg": round(grid["cpu_percent"] / floor_cpu, 2) if floor_cpu else None,
        "per_stream": per,
    }
    if not args.json:
        print(f"{args.streams} streams, layout {grid['layout']}, tile {grid['tile_size'][0]}x{grid['tile_size'][1]}")
        for p in per:
            print(
                f"  tile {p['tile']:2d} {p['clip']:34s} produced {p['produced']:4d} shown {p['shown']:4d} "
                f"({p['delivered_fps']:5.2f} fps) dropped {p['dropped']:3d} "
                f"p50 {p['latency_p50_ms']:5.1f} ms p95 {p['latency_p95_ms']:5.1f} ms"
            )
        print(
            f"shown {summary['shown_ratio']:.1%} of produced ({summary['shown_vs_realtime']:.1%} of real time), "
            f"latency p50 {summary['latency_p50_ms']} ms p95 {summary['latency_p95_ms']} ms, "
            f"CPU {summary['cpu_percent']}% vs FFmpeg floor {summary['ffmpeg_floor_cpu_percent']}% "
            f"(x{summary['cpu_vs_ffmpeg']})"
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
