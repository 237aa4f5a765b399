"""The one command-line entry: the GUI by default, plus import, sync, sim, query, feeds.

Every subcommand's ``--help`` is complete; errors name what was wrong and
what to do, and exit with status 2 (usage) or 1 (could not do the work).
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Sequence

from rtcc_desktop import __version__, paths
from rtcc_desktop.identity import current_user
from rtcc_desktop.model.records import KINDS

log = logging.getLogger("rtcc_desktop")

FORMATS_BY_SUFFIX = {".csv": "csv", ".geojson": "geojson", ".json": "json", ".txt": "csv", ".tsv": "csv"}


class CliError(Exception):
    """A failure the user can fix; the message is printed as it is."""


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(f"rtcc-desktop: {text}\n")


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rtcc-desktop",
        description=(
            "RTCC Desktop: live map, camera grid and timeline for Real-Time Crime Centers. "
            "With no subcommand the analyst window opens."
        ),
        epilog=(
            "Quick start: `rtcc-desktop --demo` opens the app on its built-in simulator. "
            f"Default database: {paths.default_db()}; default config: {paths.default_config()}. "
            "Set RTCC_HOME to keep both under one folder."
        ),
    )
    p.add_argument("--version", action="version", version=f"rtcc-desktop {__version__}")
    p.add_argument("--db", type=Path, help="SQLite cache file (default: per-user data folder)")
    p.add_argument("--config", type=Path, help="feeds/settings TOML file (default: per-user config folder)")
    p.add_argument("--demo", action="store_true", help="run on the built-in simulator (no feeds needed)")
    p.add_argument("--wall", action="store_true", help="open in wall-display mode (full screen, kiosk lock)")
    p.add_argument("--wall-layout", type=Path, metavar="PATH", help="wall layout TOML (default: wall.toml in the config folder, else the shipped one)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    # import
    imp = sub.add_parser(
        "import",
        help="import CAD, ALPR, gunshot or camera files into the cache",
        description=(
            "Import files (CSV, GeoJSON, Socrata JSON, NENA EIDO, JSON arrays; .gz allowed). "
            "Column names are auto-detected; use --map for the rest. Prints "
            "'imported N, updated U, rejected R' per file. Rejected rows are kept in the "
            "rejects table with the reason. Exit status is non-zero only when a file "
            "cannot be read at all."
        ),
    )
    imp.add_argument("--kind", required=True, choices=KINDS, help="what the rows are")
    imp.add_argument("--format", choices=("csv", "geojson", "soda", "eido", "json"), help="payload format (default: from the file name)")
    imp.add_argument("--agency", help="agency for rows that name none")
    imp.add_argument("--tz", metavar="ZONE", help="IANA time zone of naive times, e.g. America/Chicago (default UTC)")
    imp.add_argument("--map", action="append", default=[], metavar="field=Column", help="map one of our fields to a source column (repeatable)")
    imp.add_argument("--time-format", metavar="STRPTIME", help="strptime format of the time column, e.g. '%%m/%%d/%%Y %%H:%%M'")
    imp.add_argument("--bbox", metavar="W,S,E,N", help="service area; rows outside are rejected")
    imp.add_argument("--delimiter", help="CSV delimiter (default: detected)")
    imp.add_argument("--source", help="source name stored with the rows (default: file:<name>)")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")

    # sync
    syn = sub.add_parser(
        "sync",
        help="poll the configured feeds into the cache",
        description="Poll every feed in the config (or one with --feed). Without --once it runs until Ctrl+C.",
    )
    syn.add_argument("--once", action="store_true", help="one pass over the feeds, then exit")
    syn.add_argument("--feed", metavar="NAME", help="only this feed")

    # sim
    sim = sub.add_parser(
        "sim",
        help="serve the built-in simulator on 127.0.0.1",
        description="Serve a small simulated city (CAD, gunshots, ALPR, cameras, MJPEG video, map tiles) on 127.0.0.1 until Ctrl+C.",
    )
    sim.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0 picks a free one)")
    sim.add_argument("--seed", type=int, default=1, help="random seed: same seed, same city and events")
    sim.add_argument("--rate", type=float, default=30.0, help="events per minute (default 30)")
    sim.add_argument("--history", type=int, default=500, help="events already in the past at start (default 500)")
    sim.add_argument("--write-config", type=Path, metavar="PATH", help="write a feeds TOML pointing at this simulator (use with --config PATH sync)")
    sim.add_argument("--until-stdin-closes", action="store_true",
                     help="stop when standard input closes (how the app runs its demo simulator as a child process)")

    # query
    q = sub.add_parser(
        "query",
        help="search the cache (near, between, plate, text)",
        description="Bounded searches over the cache. Plate and near searches need --reason and are written to the audit log.",
    )
    qs = q.add_subparsers(dest="query", metavar="QUERY", required=True)
    near = qs.add_parser("near", help="records within a radius of a point or record", description="Records within --radius-m metres (haversine) of a point or of a record, nearest first.")
    near.add_argument("--lat", type=float)
    near.add_argument("--lon", type=float)
    near.add_argument("--near-record", metavar="KIND:ID", help="centre on this record (and its time) instead of --lat/--lon")
    near.add_argument("--radius-m", type=float, required=True)
    near.add_argument("--minutes", type=float, help="± minutes around the record's time, or the last N minutes")
    _add_window(near)
    near.add_argument("--kind", action="append", choices=KINDS, help="only these kinds (repeatable)")
    _add_common_query(near, reason_required=True)

    btw = qs.add_parser("between", help="records in a time window (and box)", description="Records whose time is in [--since, --until], oldest first.")
    _add_window(btw)
    btw.add_argument("--kind", action="append", choices=KINDS)
    btw.add_argument("--bbox", metavar="W,S,E,N")
    _add_common_query(btw, reason_required=False)

    pl = qs.add_parser("plate", help="plate reads by pattern", description="Plate reads matching PATTERN: * matches any run of characters, ? one character.")
    pl.add_argument("pattern")
    pl.add_argument("--state", help="only plates of this state")
    pl.add_argument("--similar", action="store_true", help="also match characters ALPR cameras confuse (0/O/D/Q, 1/I/L, ...)")
    _add_common_query(pl, reason_required=True)

    tx = qs.add_parser("text", help="full-text search over CAD type, address, narrative", description="Full-text search over CAD incident types, addresses and narratives.")
    tx.add_argument("words", nargs="+")
    _add_common_query(tx, reason_required=False)

    # hotlist
    hl = sub.add_parser("hotlist", help="plate hot lists", description="Hot lists of plates; a plate read that matches raises an alert.")
    hls = hl.add_subparsers(dest="hotlist", metavar="ACTION", required=True)
    hli = hls.add_parser(
        "import",
        help="import a hot-list CSV (plate, state, reason, expiry)",
        description="Import a CSV of plate,state,reason,expiry as list NAME; re-importing a name replaces that list. Bad rows are listed with their line numbers.",
    )
    hli.add_argument("file", type=Path, metavar="FILE")
    hli.add_argument("--name", required=True, help="list name")
    hli.add_argument("--confusion", action="store_true", help="also match characters ALPR cameras confuse (0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G)")

    # purge
    sub.add_parser(
        "purge",
        help="apply the retention policy now",
        description="Delete records older than the [retention] days of the config (per kind) and log each purge in the audit log. A running sync also does this every hour.",
    )

    # feeds
    sub.add_parser("feeds", help="feed health table", description="Each configured feed: status, last success, last error, lag, rows in and rejected.")

    # audit
    au = sub.add_parser("audit", help="the search audit log", description="Who searched what, when, why, and how many results.")
    aus = au.add_subparsers(dest="audit", metavar="ACTION", required=True)
    al = aus.add_parser("list", help="list audit entries, newest first")
    al.add_argument("--limit", type=int, default=100)
    al.add_argument("--json", action="store_true")

    # wall
    wl = sub.add_parser("wall", help="wall-display layout tools", description="Check a wall layout without a display, or make the supervisor PIN hash for it.")
    wls = wl.add_subparsers(dest="wall_action", metavar="ACTION", required=True)
    wls.add_parser("check", help="check the wall layout (--wall-layout or the default) and the saved views and tours it names")
    wls.add_parser("pin", help="ask for a supervisor PIN twice and print the pin_hash line for the layout's [wall.lock] table")

    # self-test
    st = sub.add_parser(
        "self-test",
        help="start the app offscreen on the simulator and check every panel",
        description="Start the app without a visible window on the simulator, wait for every panel, print a report. Exit 0 only if every check passes.",
    )
    st.add_argument("--json", action="store_true", help="print the report as JSON")
    st.add_argument("--screenshot", type=Path, metavar="PATH", help="save a PNG of the window")
    st.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for panels (default 90)")
    st.add_argument("--wall", action="store_true", dest="st_wall", help="check wall mode instead of the analyst window")
    st.add_argument("--wall-layout", type=Path, metavar="PATH", dest="st_wall_layout", help="wall layout TOML to check with --wall")
    return p


def _add_window(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--since", help="start time (ISO 8601; naive = UTC)")
    sp.add_argument("--until", help="end time (ISO 8601; naive = UTC)")


def _add_common_query(sp: argparse.ArgumentParser, *, reason_required: bool) -> None:
    sp.add_argument("--reason", required=reason_required, help="case number or reason (recorded in the audit log)" + (" (required)" if reason_required else ""))
    sp.add_argument("--limit", type=int, default=100, help="page size (default 100)")
    sp.add_argument("--offset", type=int, default=0, help="skip this many results (paging)")
    sp.add_argument("--json", action="store_true", help="print a JSON list")


# --------------------------------------------------------------------------- helpers


def _db_path(args: argparse.Namespace) -> Path:
    if args.db:
        return args.db
    return paths.ensure(paths.demo_db() if args.demo else paths.default_db())


def _open_store(args: argparse.Namespace, *, writer: bool = False):  # -> Store
    from rtcc_desktop.store import open_store

    path = _db_path(args)
    try:
        return open_store(path, writer=writer)
    except Exception as exc:  # sqlite errors, newer schema, unreadable file
        raise CliError(f"cannot open the database {path}: {exc}") from exc


def _load_config(args: argparse.Namespace):  # -> Config
    from rtcc_desktop.config import Config, ConfigError, load_config

    path = args.config or paths.default_config()
    if not path.exists():
        if args.config:
            raise CliError(f"config file {path} does not exist")
        return Config.default()
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CliError(str(exc)) from exc


def _parse_maps(items: list[str], kind: str) -> dict[str, str]:
    from rtcc_desktop.model.records import fields_for

    allowed = fields_for(kind)
    out: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise CliError(f"--map {item!r}: use field=Column, e.g. --map time='Event Clearance Date'")
        if field not in allowed:
            raise CliError(f"--map {item!r}: {field!r} is not a {kind} field; use one of: {', '.join(allowed)}")
        out[field] = column
    return out


def _format_for(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in FORMATS_BY_SUFFIX:
        return FORMATS_BY_SUFFIX[suffix]
    raise CliError(f"{path}: cannot tell the format from the name; give --format")



def _record_json(rec: dict[str, Any]) -> dict[str, Any]:
    """A record as the JSON the CLI promises: kind, source, source_id, time, lat, lon first."""
    head = ("kind", "id", "source", "source_id", "time", "lat", "lon", "distance_m")
    out = {k: rec.get(k) for k in head if k in rec or k != "distance_m"}
    distance = out.get("distance_m")
    if distance is not None:
        out["distance_m"] = round(float(distance), 1)
    for k, v in rec.items():
        if k not in out and not k.startswith("_"):
            out[k] = v
    return out


def _print_records(records: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        _out(json.dumps([_record_json(r) for r in records], ensure_ascii=False, default=str))
        return
    if not records:
        _out("no results")
        return
    for r in records:
        what = r.get("plate") or r.get("type") or r.get("name") or ""
        where = f"{r['lat']:.5f},{r['lon']:.5f}" if r.get("lat") is not None else "(no location)"
        dist = f" {r['distance_m']:.0f} m" if r.get("distance_m") is not None else ""
        _out(f"{r['kind']}:{r['id']}\t{r.get('time') or '-'}\t{where}{dist}\t{r.get('agency') or ''}\t{what}\t{r.get('address') or ''}")
    _out(f"{len(records)} result(s)")


# --------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> int:
    from rtcc_desktop.feeds.adapters import AdapterError, iter_file, parse_payload
    from rtcc_desktop.model.geo import BBox
    from rtcc_desktop.model.timeutil import zone
    from rtcc_desktop.model.validate import FeedContext

    fields = _parse_maps(args.map, args.kind)
    try:
        bbox = BBox.parse(args.bbox) if args.bbox else None
        zone(args.tz)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if not args.agency:
        log.warning("no --agency given: rows that name no agency are stored as UNSPECIFIED")
    store = _open_store(args, writer=True)
    failed = 0
    try:
        for path in args.files:
            try:
                fmt = _format_for(path, args.format)
                data = iter_file(path)
            except CliError as exc:
                _err(str(exc))
                failed += 1
                continue
            except OSError as exc:
                _err(f"{path}: cannot read: {exc.strerror or exc}")
                failed += 1
                continue
            source = args.source or f"file:{path.name}"
            ctx = FeedContext(source=source, kind=args.kind, agency=args.agency, timezone=args.tz, bbox=bbox, time_format=args.time_format)
            try:
                batch = parse_payload(data, fmt, ctx, fields or None, delimiter=args.delimiter)
            except AdapterError as exc:
                _err(f"{path}: {exc}")
                failed += 1
                continue
            result = store.upsert(args.kind, batch.records, rejects=batch.rejects)
            _out(f"{path}: imported {result.inserted}, updated {result.updated}, rejected {result.rejected}")
            if batch.rejects:
                reasons: dict[str, int] = {}
                for reason, _raw in batch.rejects:
                    key = reason.split(":")[0] if len(reason) > 60 else reason
                    reasons[key] = reasons.get(key, 0) + 1
                for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:5]:
                    _out(f"  rejected {n}: {reason}")
    finally:
        store.close()
    return 1 if failed else 0


def cmd_sync(args: argparse.Namespace) -> int:
    from rtcc_desktop.feeds.sync import SyncEngine

    config = _load_config(args)
    feeds = [f for f in config.feeds if not args.feed or f.name == args.feed]
    if args.feed and not feeds:
        raise CliError(f"no feed named {args.feed!r} in the config; feeds: {', '.join(f.name for f in config.feeds) or '(none)'}")
    if not feeds:
        raise CliError(f"no feeds configured in {args.config or paths.default_config()}; see README 'Configuring feeds', or try --demo")
    from rtcc_desktop.analysis.alerts import AlertEngine

    db = _db_path(args)
    # Alerts are raised here too, so a console-less sync service never misses a hot-list hit.
    alert_store = _open_store(args)
    alerts = AlertEngine(alert_store)

    def print_alerts(new: list[dict[str, Any]]) -> None:
        for a in new:
            _out(f"ALERT {a.get('record')}: {a.get('summary')}")

    alerts.subscribe(print_alerts)
    engine = SyncEngine(db, config, only=[f.name for f in feeds], on_change=alerts.notify)
    try:
        if args.once:
            reports = engine.run_once()
            alerts.process()
            bad = 0
            for rep in reports:
                _out(rep.summary())
                bad += 0 if rep.ok else 1
            return 1 if bad == len(reports) else 0
        _out(f"syncing {len(feeds)} feed(s) into {db}; Ctrl+C to stop")
        alerts.start()
        engine.start()
        try:
            engine.wait()
        except KeyboardInterrupt:
            _out("stopping")
        finally:
            engine.stop()
            alerts.stop()
        return 0
    finally:
        alert_store.close()


def cmd_hotlist(args: argparse.Namespace) -> int:
    from rtcc_desktop.analysis.hotlist import HotlistError, audited_import

    store = _open_store(args)
    try:
        report = audited_import(store, args.file, args.name, args.confusion, current_user())
    except HotlistError as exc:
        raise CliError(f"{args.file}: {exc}") from exc
    finally:
        store.close()
    _out(report.summary())
    for bad in report.bad_rows[:20]:
        _out(f"  {bad}")
    if len(report.bad_rows) > 20:
        _out(f"  ... and {len(report.bad_rows) - 20} more")
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    from rtcc_desktop.sim import run_forever

    if args.port < 0 or args.port > 65535 or args.rate <= 0 or args.history < 0:
        raise CliError("--port must be 0..65535, --rate positive and --history at least 0")
    until: threading.Event | None = None
    if args.until_stdin_closes and sys.stdin is None:  # a windowed build given no pipe: the parent will terminate us
        logging.getLogger(__name__).warning("sim: no standard input to watch; running until terminated")
    elif args.until_stdin_closes:
        stop = until = threading.Event()

        def watch_stdin() -> None:
            try:
                while sys.stdin.read(4096):
                    pass
            finally:
                stop.set()

        threading.Thread(target=watch_stdin, name="rtcc-sim-stdin", daemon=True).start()
    try:
        run_forever(port=args.port, seed=args.seed, rate=args.rate, announce=_out, history=args.history,
                    write_config=args.write_config, until=until)
    except OSError as exc:
        raise CliError(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}") from exc
    return 0


def _window(args: argparse.Namespace) -> tuple[str | None, str | None]:
    from rtcc_desktop.model.timeutil import TimeParseError, parse_time, to_iso

    out: list[str | None] = []
    for name in ("since", "until"):
        v = getattr(args, name, None)
        if v is None:
            out.append(None)
            continue
        try:
            out.append(to_iso(parse_time(v, tz=None)))
        except TimeParseError as exc:
            raise CliError(f"--{name}: {exc}") from exc
    return out[0], out[1]


def cmd_query(args: argparse.Namespace) -> int:
    from rtcc_desktop.model.timeutil import from_iso, to_iso, utc_now

    if args.limit < 1 or args.offset < 0:
        raise CliError("--limit must be at least 1 and --offset at least 0")
    if getattr(args, "reason", None) is not None and not args.reason.strip():
        raise CliError("--reason must not be empty: give a case number or reason")
    store = _open_store(args)
    try:
        params: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in ("db", "config", "demo", "wall", "verbose", "command", "json", "func") and v is not None}
        if args.query == "near":
            since, until = _window(args)
            if args.near_record:
                kind, _, rid = args.near_record.partition(":")
                if kind not in KINDS or not rid.isdigit():
                    raise CliError(f"--near-record {args.near_record!r}: use KIND:ID, e.g. gunshot:42")
                rec = store.get(kind, int(rid))
                if rec is None:
                    raise CliError(f"--near-record {args.near_record}: no such record")
                if rec.get("lat") is None:
                    raise CliError(f"--near-record {args.near_record}: the record has no location")
                lat, lon = rec["lat"], rec["lon"]
                if args.minutes is not None and rec.get("time") and not (since or until):
                    t = from_iso(rec["time"])
                    since, until = to_iso(t - timedelta(minutes=args.minutes)), to_iso(t + timedelta(minutes=args.minutes))
            else:
                if args.lat is None or args.lon is None:
                    raise CliError("query near needs --lat and --lon, or --near-record KIND:ID")
                lat, lon = args.lat, args.lon
                if args.minutes is not None and not (since or until):
                    since = to_iso(utc_now() - timedelta(minutes=args.minutes))
            if args.radius_m <= 0:
                raise CliError("--radius-m must be positive")
            results = store.near(lat, lon, args.radius_m, since=since, until=until, kinds=args.kind, limit=args.limit, offset=args.offset)
        elif args.query == "between":
            since, until = _window(args)
            bbox = None
            if args.bbox:
                from rtcc_desktop.model.geo import BBox

                try:
                    bbox = BBox.parse(args.bbox)
                except ValueError as exc:
                    raise CliError(f"--bbox: {exc}") from exc
            results = store.between(since, until, kinds=args.kind, bbox=bbox, limit=args.limit, offset=args.offset)
        elif args.query == "plate":
            if args.similar:
                from rtcc_desktop.analysis.plates import similar_plates

                results = similar_plates(store, args.pattern, state=args.state, limit=args.limit, offset=args.offset)
            else:
                results = store.plates(args.pattern, state=args.state, limit=args.limit, offset=args.offset)
        else:
            results = store.text(" ".join(args.words), limit=args.limit, offset=args.offset)
        store.audit(current_user(), f"query {args.query}", params, getattr(args, "reason", None), len(results))
    except ValueError as exc:
        raise CliError(f"query {args.query}: {exc}") from exc
    finally:
        store.close()
    _print_records(results, args.json)
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from rtcc_desktop.feeds.retention import apply_retention

    config = _load_config(args)
    if not config.retention:
        _out("no [retention] policy in the config: nothing is purged (records are kept until a policy says otherwise)")
        return 0
    store = _open_store(args)
    try:
        purged = apply_retention(store, config.retention, actor=current_user())
    finally:
        store.close()
    for kind, n in purged.items():
        _out(f"{kind}: removed {n} record(s) older than {config.retention[kind]} days")
    return 0


def cmd_feeds(args: argparse.Namespace) -> int:
    from rtcc_desktop.feeds.health import feed_health

    config = _load_config(args)
    store = _open_store(args)
    try:
        rows = feed_health(store, config)
    finally:
        store.close()
    if not rows:
        _out("no feeds configured")
        return 0
    _out(f"{'FEED':20} {'KIND':8} {'STATUS':6} {'LAG':>8} {'IN':>8} {'REJ':>6}  LAST SUCCESS          LAST ERROR")
    for h in rows:
        lag = "-" if h.lag_s is None else f"{h.lag_s:.0f}s"
        _out(f"{h.name[:20]:20} {h.kind:8} {h.status:6} {lag:>8} {h.rows_in:>8} {h.rows_rejected:>6}  {h.last_success or '-':21} {h.last_error or ''}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    store = _open_store(args)
    try:
        rows = store.audit_list(limit=args.limit)
    finally:
        store.close()
    if args.json:
        _out(json.dumps(rows, ensure_ascii=False, default=str))
        return 0
    for r in rows:
        _out(f"{r['time']}\t{r['actor']}\t{r['action']}\t{r.get('reason') or ''}\t{r['result_count']} result(s)\t{r['params']}")
    if not rows:
        _out("no audit entries")
    return 0


def cmd_wall(args: argparse.Namespace) -> int:
    from rtcc_desktop.wall_layout import WallLayoutError, check_layout, hash_pin, load_wall_layout

    if args.wall_action == "pin":
        pin = getpass.getpass("Supervisor PIN: ")
        if len(pin) < 4:
            raise CliError("the PIN must have at least 4 characters")
        if getpass.getpass("Again: ") != pin:
            raise CliError("the two PINs differ; nothing was printed")
        _out("# put this line in the [wall.lock] table of the wall layout")
        _out(f'pin_hash = "{hash_pin(pin)}"')
        return 0
    try:
        layout = load_wall_layout(args.wall_layout)
    except WallLayoutError as exc:
        raise CliError(str(exc)) from exc
    problems = check_layout(layout)
    for line in problems:
        _out(line)
    _out(f"{layout.source}: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def cmd_self_test(args: argparse.Namespace) -> int:
    from rtcc_desktop.ui.selftest import run_self_test

    kwargs: dict[str, Any] = {"wall": args.wall or args.st_wall}
    layout = args.st_wall_layout or args.wall_layout
    if layout is not None:
        kwargs["wall_layout"] = layout
    code, report = run_self_test(json_out=args.json, screenshot=args.screenshot, db=args.db, timeout_s=args.timeout, **kwargs)
    if args.json:
        _out(json.dumps(report, indent=2, default=str))
    else:
        for line in report.get("lines", []):
            _out(line)
        _out("self-test " + ("PASSED" if code == 0 else "FAILED"))
    return code


def cmd_gui(args: argparse.Namespace) -> int:
    from rtcc_desktop.ui.app import run_gui

    config = _load_config(args) if not args.demo else None
    _first_start_note()
    kwargs: dict[str, Any] = {}
    if args.wall_layout is not None:
        kwargs["wall_layout"] = args.wall_layout
    return run_gui(db_path=_db_path(args), config=config, demo=args.demo, wall=args.wall, **kwargs)


def _first_start_note() -> None:
    """On the very first start, create the per-user folders and say where they are."""
    data, conf = paths.data_dir(), paths.config_dir()
    if data.exists() and conf.exists():
        return
    data.mkdir(parents=True, exist_ok=True)
    conf.mkdir(parents=True, exist_ok=True)
    _out(f"RTCC Desktop keeps its cache database in {data}")
    _out(f"and its settings (feeds.toml, wall.toml, views.json) in {conf}.")


COMMANDS = {
    "import": cmd_import,
    "sync": cmd_sync,
    "sim": cmd_sim,
    "query": cmd_query,
    "feeds": cmd_feeds,
    "hotlist": cmd_hotlist,
    "purge": cmd_purge,
    "audit": cmd_audit,
    "self-test": cmd_self_test,
    "wall": cmd_wall,
    None: cmd_gui,
}


def main(argv: Sequence[str] | None = None) -> int:
    from rtcc_desktop.winconsole import attach_parent_console

    if len(sys.argv if argv is None else argv) > (1 if argv is None else 0):
        attach_parent_console()
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except CliError as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
