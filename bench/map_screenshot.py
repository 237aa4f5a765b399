"""Regenerate docs/screenshot-main.png: the demo window with live data, a selected incident and its popup.

Run under a real X server to see what an analyst sees, e.g.

    xvfb-run -s "-screen 0 1600x1000x24" uv run python bench/map_screenshot.py docs/screenshot-main.png

Prints one JSON line (what was on screen) last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rtcc_desktop.ui.app import ensure_app  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="docs/screenshot-main.png")
    ap.add_argument("--seconds", type=float, default=25.0, help="let the demo run this long first")
    ap.add_argument("--size", default="1600x1000")
    args = ap.parse_args(argv)
    app = ensure_app()
    from rtcc_desktop.ui.app import _start_demo_video, open_session, temp_settings
    from rtcc_desktop.ui.testing import js_eval, spin, wait_until

    tmp = Path(tempfile.mkdtemp(prefix="rtcc-shot-"))
    os.environ["RTCC_HOME"] = str(tmp / "home")
    session = open_session(tmp / "demo.sqlite", demo=True, settings=temp_settings(tmp), tile_cache_dir=tmp / "tiles")
    _start_demo_video(session)
    w = session.window
    width, height = (int(v) for v in args.size.split("x"))
    w.resize(width, height)
    w.show()
    wait_until(lambda: w.map_view.counts.get("cad", 0) > 0, 60)
    spin(int(args.seconds * 1000))
    # Pick the newest high-priority incident and select it, as an analyst would from the popup.
    ref = js_eval(w.map_view, "(function () { var best = null, t = -1; Object.keys(RTCC._recs()).forEach(function (r) {"
                              " var d = RTCC._recs()[r]; if (d.k === 'cad' && d.cls === 'p1' && d.t > t) { best = r; t = d.t; } });"
                              " return best; })()")
    if ref:
        w.bus.select(ref)
        spin(1500)
        js_eval(w.map_view, f"RTCC.openPopup('{ref}')")
    w.dock("health").raise_()
    spin(2500)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = w.grab().save(str(out))
    info = {"saved": ok, "path": str(out), "selected": ref, "markers": w.map_view.counts, "tiles": w.map_view.tile_stats,
            "video": w.video_grid.health() if w.video_grid else None, "js_errors": w.map_view.js_errors}
    session.close()
    print(json.dumps(info, default=str))
    app.quit()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
