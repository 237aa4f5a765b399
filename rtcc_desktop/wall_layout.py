"""The supervisors' wall layout: which screen shows what, and how the wall behaves.

One TOML file with a ``[wall]`` table (``resources/wall/default.toml`` is the
shipped one; a ``wall.toml`` in the user's config folder replaces it). It is
checked in full when loaded, so a typo shows up as one message naming the
file, the table, the field and what is allowed, not as a blank screen on the
wall at 3 a.m. The supervisor PIN is kept only as a PBKDF2 hash
(:func:`hash_pin` makes the line to paste into the file).

No Qt here: the wall's widgets live in ``rtcc_desktop.ui.wall`` and its ``ui.wall_*`` modules.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import hmac
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from rtcc_desktop import paths

PANE_KINDS: Final[tuple[str, ...]] = ("map", "video")
STRIP_PLACES: Final[tuple[str, ...]] = ("bottom", "top", "left", "right", "none")
MAP_WINDOWS: Final[tuple[str, ...]] = ("15m", "1h", "24h")
FOLLOW_KINDS: Final[tuple[str, ...]] = ("gunshot", "cad", "hotlist")
PIN_SCHEME: Final = "pbkdf2_sha256"
#: PBKDF2-HMAC-SHA256 work factor for new PINs (OWASP 2023 guidance).
PIN_ITERATIONS: Final = 600_000
#: Lowest work factor a layout may carry (tests use cheap hashes; a real wall should not).
MIN_PIN_ITERATIONS: Final = 1_000
MAX_SCREENS: Final = 16

_TOP_KEYS = ("wall",)
_WALL_KEYS = ("title", "stale_factor", "refresh_s", "open_hours", "views_file", "map", "follow", "ticker", "lock", "screens")
_MAP_KEYS = ("window", "overview")
_FOLLOW_KEYS = ("enabled", "kinds", "cad_max_priority", "dwell_s", "overview_s", "zoom", "max_age_s")
_TICKER_KEYS = ("items",)
_LOCK_KEYS = ("pin_hash", "exit_keys", "max_attempts", "lockout_s", "idle_cancel_s")
_PANE_KEYS = ("screen", "show", "strip", "ticker", "tour", "view", "auto")
_MODIFIERS = ("Ctrl", "Alt", "Shift", "Meta")
_KEY_RE = re.compile(r"^(F([1-9]|1[0-9]|2[0-4])|[A-Z0-9]|Pause|ScrollLock|Home|End|Insert|Delete)$")


class WallLayoutError(ValueError):
    """The wall layout cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Pane:
    """What one screen shows: the map (with the alert ticker) or a camera video pane."""

    screen: int  # 1-based, in the order the operating system lists the monitors
    show: str  # "map" | "video"
    strip: str = "none"  # where the live-figures strip sits on this screen
    ticker: bool = True  # map panes: the latest-alerts ticker under the map
    tour: str | None = None  # video panes: a saved tour of the video grid ...
    view: str | None = None  # ... or one saved view ...
    auto: int | None = None  # ... or the first N live cameras


@dataclass(frozen=True)
class MapSettings:
    window: str = "24h"
    #: "fit" (all records) or (lat, lon, zoom).
    overview: str | tuple[float, float, int] = "fit"


@dataclass(frozen=True)
class FollowSettings:
    """The map zooms to the newest priority event, then backs out after ``dwell_s``."""

    enabled: bool = True
    kinds: tuple[str, ...] = FOLLOW_KINDS
    cad_max_priority: int = 1
    dwell_s: float = 45.0
    overview_s: float = 15.0
    zoom: int = 17
    max_age_s: float = 900.0


@dataclass(frozen=True)
class LockSettings:
    """Kiosk lock: the exit keys, then the supervisor PIN (hash only)."""

    pin_hash: str | None = None
    exit_keys: str = "Ctrl+Alt+Shift+Q"
    max_attempts: int = 5
    lockout_s: float = 60.0
    idle_cancel_s: float = 30.0


@dataclass(frozen=True)
class WallLayout:
    """A checked wall layout; ``source`` names the file it came from."""

    panes: tuple[Pane, ...]
    title: str = "RTCC"
    stale_factor: float = 3.0
    refresh_s: float = 10.0
    open_hours: float = 4.0
    views_file: Path | None = None
    map: MapSettings = field(default_factory=MapSettings)
    follow: FollowSettings = field(default_factory=FollowSettings)
    ticker_items: int = 6
    lock: LockSettings = field(default_factory=LockSettings)
    source: str = "<wall layout>"

    def screens(self) -> list[int]:
        return sorted({p.screen for p in self.panes})

    def video_names(self) -> tuple[set[str], set[str]]:
        """(tour names, view names) the layout asks the video grid for."""
        tours = {p.tour for p in self.panes if p.tour}
        views = {p.view for p in self.panes if p.view}
        return tours, views


# --------------------------------------------------------------------------- PIN


def hash_pin(pin: str, *, iterations: int = PIN_ITERATIONS, salt: bytes | None = None) -> str:
    """The text to put in ``[wall.lock] pin_hash``: ``pbkdf2_sha256$iterations$salt$hash``."""
    if not pin or not pin.strip():
        raise ValueError("the PIN is empty")
    if iterations < MIN_PIN_ITERATIONS:
        raise ValueError(f"iterations must be at least {MIN_PIN_ITERATIONS}")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    b64 = base64.b64encode
    return f"{PIN_SCHEME}${iterations}${b64(salt).decode('ascii')}${b64(digest).decode('ascii')}"


def _split_hash(encoded: str) -> tuple[int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != PIN_SCHEME:
        raise ValueError(f"must look like {PIN_SCHEME}$<iterations>$<salt>$<hash> (make one with hash_pin)")
    try:
        iterations = int(parts[1])
        salt = base64.b64decode(parts[2], validate=True)
        digest = base64.b64decode(parts[3], validate=True)
    except (ValueError, TypeError):
        raise ValueError("iterations must be a number and salt and hash base64 text") from None
    if iterations < MIN_PIN_ITERATIONS:
        raise ValueError(f"iterations must be at least {MIN_PIN_ITERATIONS} (new hashes use {PIN_ITERATIONS})")
    if len(salt) < 8 or len(digest) != 32:
        raise ValueError("salt must be at least 8 bytes and hash 32 bytes")
    return iterations, salt, digest


def verify_pin(pin: str, encoded: str) -> bool:
    """True when ``pin`` matches the stored hash (constant-time compare); False for a bad hash."""
    try:
        iterations, salt, digest = _split_hash(encoded)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha256", (pin or "").encode("utf-8"), salt, iterations)
    return hmac.compare_digest(got, digest)


# --------------------------------------------------------------------------- loading


def default_layout_path() -> Path:
    """The layout shipped with the app."""
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) / "resources" if frozen else Path(__file__).resolve().parents[1] / "resources"
    return base / "wall" / "default.toml"


def user_layout_path() -> Path:
    """Where a centre keeps its own layout (replaces the shipped one when present)."""
    return paths.config_dir() / "wall.toml"


def load_wall_layout(path: str | Path | None = None) -> WallLayout:
    """Read and check a layout file; with no ``path`` the user's file, else the shipped one."""
    if path is None:
        p = user_layout_path()
        if not p.exists():
            p = default_layout_path()
    else:
        p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise WallLayoutError(f"{p}: wall layout file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WallLayoutError(f"{p}: cannot read the wall layout: {exc}") from None
    return parse_wall_layout(text, name=str(p), base_dir=p.parent)


def parse_wall_layout(text: str, *, name: str = "<wall layout>", base_dir: Path | None = None) -> WallLayout:
    """Check TOML text holding a ``[wall]`` table; ``name`` labels every error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WallLayoutError(f"{name}: not valid TOML: {exc}") from None
    problems = [f"{name}: {key}: {_unknown(key, _TOP_KEYS)}" for key in data if key not in _TOP_KEYS]
    if "wall" not in data:
        problems.append(f"{name}: [wall]: missing (the file must have a [wall] table with [[wall.screens]])")
        raise WallLayoutError(problems)
    try:
        layout = layout_from_table(data["wall"], name=name, base_dir=base_dir)
    except WallLayoutError as exc:
        raise WallLayoutError(problems + exc.problems) from None
    if problems:
        raise WallLayoutError(problems)
    return layout


def layout_from_table(table: Any, *, name: str = "<wall layout>", base_dir: Path | None = None) -> WallLayout:
    """Check an already-parsed ``[wall]`` table (e.g. from the main settings file)."""
    return _Checker(name, base_dir or Path.cwd()).wall(table)


def check_video_names(layout: WallLayout, tours: set[str] | list[str], views: set[str] | list[str]) -> list[str]:
    """One line per tour or view the layout names that the video grid does not have."""
    want_tours, want_views = layout.video_names()
    have_t, have_v = set(tours), set(views)
    out = []
    for t in sorted(want_tours - have_t):
        out.append(f"{layout.source}: tour {t!r} is not saved in the video grid (saved tours: {', '.join(sorted(have_t)) or 'none'})")
    for v in sorted(want_views - have_v):
        out.append(f"{layout.source}: view {v!r} is not saved in the video grid (saved views: {', '.join(sorted(have_v)) or 'none'})")
    return out


def default_views_path() -> Path:
    """Where the wall reads saved video views and tours unless the layout names a file."""
    return paths.config_dir() / "views.json"


def check_layout(layout: WallLayout, views_path: str | Path | None = None) -> list[str]:
    """Problems a wall would show on screen: a broken views file, tours or views it does not hold.

    For ``rtcc-desktop wall --check`` and installers: no display needed.
    """
    from rtcc_desktop.video.views import ViewStore

    path = Path(views_path) if views_path is not None else (layout.views_file or default_views_path())
    want_tours, want_views = layout.video_names()
    if not want_tours and not want_views:
        return []
    store = ViewStore(path)
    store.load()
    if store.load_error:
        return [f"{path}: the saved views file cannot be read ({store.load_error}); the layout needs "
                + ", ".join([f"tour {t!r}" for t in sorted(want_tours)] + [f"view {v!r}" for v in sorted(want_views)])]
    if not path.exists():
        return [f"{layout.source}: the layout names saved tours or views, but {path} does not exist "
                "(save them in the video grid first, or set views_file)"]
    return check_video_names(layout, set(store.tours), set(store.views))


def parse_keys(text: str) -> tuple[tuple[str, ...], str]:
    """``"Ctrl+Alt+Shift+Q"`` → (modifiers, key); ValueError says what is wrong."""
    parts = [p.strip() for p in str(text).split("+")]
    if len(parts) < 2 or not all(parts):
        raise ValueError("must be modifiers and a key, like Ctrl+Alt+Shift+Q")
    *mods, key = parts
    norm = []
    for m in mods:
        match = [x for x in _MODIFIERS if x.lower() == m.lower()]
        if not match:
            raise ValueError(f"{m!r} is not a modifier (use {', '.join(_MODIFIERS)})")
        norm.append(match[0])
    if len(set(norm)) != len(norm):
        raise ValueError("a modifier is named twice")
    if len(norm) < 2:
        raise ValueError("needs at least two modifiers, so nobody leaves the wall by accident")
    key = key.upper() if len(key) == 1 else key[:1].upper() + key[1:]
    if not _KEY_RE.match(key):
        raise ValueError(f"{key!r} is not a key that can be used (a letter, a digit or F1-F24)")
    return tuple(norm), key


def _unknown(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown key ({hint}allowed: {', '.join(allowed)})"


class _Checker:
    def __init__(self, name: str, base_dir: Path) -> None:
        self.name = name
        self.base_dir = base_dir
        self.problems: list[str] = []

    def bad(self, section: str, key: str, msg: str) -> None:
        self.problems.append(f"{self.name}: {section}: {key}: {msg}" if key else f"{self.name}: {section}: {msg}")

    def table(self, value: Any, section: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.bad(section, "", "must be a table")
            return {}
        for key in value:
            if key not in allowed:
                self.bad(section, key, _unknown(key, allowed))
        return value

    def number(self, t: dict[str, Any], section: str, key: str, default: float, lo: float, hi: float,
               unit: str = "", integer: bool = False) -> Any:
        if key not in t:
            return default
        v = t[key]
        ok = not isinstance(v, bool) and (isinstance(v, int) if integer else isinstance(v, (int, float)))
        if not ok or not lo <= v <= hi:
            what = "a whole number" if integer else "a number"
            self.bad(section, key, f"must be {what}{' of ' + unit if unit else ''} from {lo:g} to {hi:g}, got {v!r}")
            return default
        return int(v) if integer else float(v)

    def boolean(self, t: dict[str, Any], section: str, key: str, default: bool) -> bool:
        v = t.get(key, default)
        if not isinstance(v, bool):
            self.bad(section, key, f"must be true or false, got {v!r}")
            return default
        return v

    def choice(self, t: dict[str, Any], section: str, key: str, default: str, allowed: tuple[str, ...]) -> str:
        v = t.get(key, default)
        if v not in allowed:
            close = difflib.get_close_matches(str(v), allowed, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.bad(section, key, f"{v!r} is not allowed; use one of {', '.join(allowed)}{hint}")
            return default
        return str(v)

    def text(self, t: dict[str, Any], section: str, key: str) -> str | None:
        if key not in t:
            return None
        v = t[key]
        if not isinstance(v, str) or not v.strip():
            self.bad(section, key, f"must be non-empty text, got {v!r}")
            return None
        return v.strip()

    # -- the tables
    def wall(self, raw: Any) -> WallLayout:
        t = self.table(raw, "[wall]", _WALL_KEYS)
        title = self.text(t, "[wall]", "title") or "RTCC"
        stale_factor = self.number(t, "[wall]", "stale_factor", 3.0, 1.0, 100.0, "feed intervals")
        refresh_s = self.number(t, "[wall]", "refresh_s", 10.0, 1.0, 3600.0, "seconds")
        open_hours = self.number(t, "[wall]", "open_hours", 4.0, 0.25, 72.0, "hours")
        views_file = None
        vf = self.text(t, "[wall]", "views_file")
        if vf is not None:
            p = Path(os.path.expanduser(vf))
            views_file = p if p.is_absolute() else self.base_dir / p
        map_s = self.map(t.get("map", {}))
        follow = self.follow(t.get("follow", {}))
        ticker = self.table(t.get("ticker", {}), "[wall.ticker]", _TICKER_KEYS)
        items = self.number(ticker, "[wall.ticker]", "items", 6, 1, 20, "alerts", integer=True)
        lock = self.lock(t.get("lock", {}))
        panes = self.panes(t.get("screens"))
        if self.problems:
            raise WallLayoutError(self.problems)
        return WallLayout(panes=panes, title=title, stale_factor=stale_factor, refresh_s=refresh_s, open_hours=open_hours,
                          views_file=views_file, map=map_s, follow=follow, ticker_items=items, lock=lock, source=self.name)

    def map(self, raw: Any) -> MapSettings:
        s = "[wall.map]"
        t = self.table(raw, s, _MAP_KEYS)
        window = self.choice(t, s, "window", "24h", MAP_WINDOWS)
        ov = t.get("overview", "fit")
        overview: str | tuple[float, float, int] = "fit"
        if ov == "fit":
            pass
        elif (isinstance(ov, list) and len(ov) == 3 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in ov)
              and -85 <= ov[0] <= 85 and -180 <= ov[1] <= 180 and isinstance(ov[2], int) and 1 <= ov[2] <= 19):
            overview = (float(ov[0]), float(ov[1]), int(ov[2]))
        else:
            self.bad(s, "overview", f'must be "fit" or [latitude, longitude, zoom 1-19], got {ov!r}')
        return MapSettings(window=window, overview=overview)

    def follow(self, raw: Any) -> FollowSettings:
        s = "[wall.follow]"
        t = self.table(raw, s, _FOLLOW_KEYS)
        kinds = t.get("kinds", list(FOLLOW_KINDS))
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            self.bad(s, "kinds", f"must be a list drawn from {', '.join(FOLLOW_KINDS)}")
            kinds = list(FOLLOW_KINDS)
        wrong = [k for k in kinds if k not in FOLLOW_KINDS]
        if wrong:
            self.bad(s, "kinds", f"{', '.join(map(repr, wrong))} not allowed; use any of {', '.join(FOLLOW_KINDS)}")
            kinds = [k for k in kinds if k in FOLLOW_KINDS]
        return FollowSettings(
            enabled=self.boolean(t, s, "enabled", True),
            kinds=tuple(dict.fromkeys(kinds)),
            cad_max_priority=self.number(t, s, "cad_max_priority", 1, 1, 4, "priority (1 = most urgent)", integer=True),
            dwell_s=self.number(t, s, "dwell_s", 45.0, 5.0, 3600.0, "seconds"),
            overview_s=self.number(t, s, "overview_s", 15.0, 0.0, 3600.0, "seconds"),
            zoom=self.number(t, s, "zoom", 17, 10, 19, "zoom level", integer=True),
            max_age_s=self.number(t, s, "max_age_s", 900.0, 30.0, 86400.0, "seconds"),
        )

    def lock(self, raw: Any) -> LockSettings:
        s = "[wall.lock]"
        if isinstance(raw, dict) and "pin" in raw:
            raw = {k: v for k, v in raw.items() if k != "pin"}
            self.bad(s, "pin", "a plain PIN in the file is refused; put its hash in pin_hash (rtcc-desktop wall pin makes it)")
        t = self.table(raw, s, _LOCK_KEYS)
        pin_hash = None
        if "pin_hash" in t:
            v = t["pin_hash"]
            if not isinstance(v, str):
                self.bad(s, "pin_hash", "must be text made by hash_pin (rtcc-desktop wall pin)")
            else:
                try:
                    _split_hash(v.strip())
                    pin_hash = v.strip()
                except ValueError as exc:
                    self.bad(s, "pin_hash", str(exc))
        exit_keys = t.get("exit_keys", "Ctrl+Alt+Shift+Q")
        try:
            mods, key = parse_keys(exit_keys if isinstance(exit_keys, str) else "")
            exit_keys = "+".join((*mods, key))
        except ValueError as exc:
            self.bad(s, "exit_keys", f"{exc}; got {t.get('exit_keys')!r}")
            exit_keys = "Ctrl+Alt+Shift+Q"
        return LockSettings(
            pin_hash=pin_hash,
            exit_keys=exit_keys,
            max_attempts=self.number(t, s, "max_attempts", 5, 1, 20, "tries", integer=True),
            lockout_s=self.number(t, s, "lockout_s", 60.0, 0.0, 3600.0, "seconds"),
            idle_cancel_s=self.number(t, s, "idle_cancel_s", 30.0, 5.0, 600.0, "seconds"),
        )

    def panes(self, raw: Any) -> tuple[Pane, ...]:
        if raw is None:
            self.bad("[[wall.screens]]", "", "missing: add one [[wall.screens]] table per screen (show = \"map\" or \"video\")")
            return ()
        if not isinstance(raw, list) or not raw:
            self.bad("[[wall.screens]]", "", "must be one or more [[wall.screens]] tables")
            return ()
        if len(raw) > MAX_SCREENS:
            self.bad("[[wall.screens]]", "", f"at most {MAX_SCREENS} screens")
        out: list[Pane] = []
        used: dict[int, int] = {}
        for i, item in enumerate(raw[:MAX_SCREENS], start=1):
            s = f"[[wall.screens]] #{i}"
            t = self.table(item, s, _PANE_KEYS)
            if not t:
                continue
            if "screen" not in t:
                self.bad(s, "screen", f"missing: the monitor number, 1 to {MAX_SCREENS}")
                screen = i
            else:
                screen = self.number(t, s, "screen", i, 1, MAX_SCREENS, "the monitor number", integer=True)
            if screen in used:
                self.bad(s, "screen", f"screen {screen} is already used by [[wall.screens]] #{used[screen]}")
            used.setdefault(screen, i)
            if "show" not in t:
                self.bad(s, "show", f"missing: use one of {', '.join(PANE_KINDS)}")
                continue
            show = self.choice(t, s, "show", "map", PANE_KINDS)
            strip = self.choice(t, s, "strip", "none", STRIP_PLACES)
            ticker = self.boolean(t, s, "ticker", show == "map")
            tour, view = self.text(t, s, "tour"), self.text(t, s, "view")
            auto = self.number(t, s, "auto", 0, 1, 16, "cameras", integer=True) if "auto" in t else None
            if show == "video":
                chosen = [k for k, v in (("tour", tour), ("view", view), ("auto", auto)) if v]
                if len(chosen) != 1:
                    self.bad(s, "", "a video screen needs exactly one of tour = \"<saved tour>\", view = \"<saved view>\" "
                                    f"or auto = <1-16 live cameras>; got {', '.join(chosen) or 'none'}")
                if ticker:
                    self.bad(s, "ticker", "only a map screen has the alert ticker")
            else:
                for k, v in (("tour", tour), ("view", view), ("auto", auto)):
                    if v:
                        self.bad(s, k, 'only a video screen (show = "video") plays tours, views or cameras')
            out.append(Pane(screen=screen, show=show, strip=strip, ticker=ticker, tour=tour, view=view, auto=auto))
        maps = [p.screen for p in out if p.show == "map"]
        if out and not maps:
            self.bad("[[wall.screens]]", "", 'no screen shows the map; set show = "map" on one of them')
        elif len(maps) > 1:
            self.bad("[[wall.screens]]", "show", f"only one screen can show the map; screens {', '.join(map(str, maps))} all do")
        return tuple(sorted(out, key=lambda p: p.screen))


__all__ = [
    "FollowSettings",
    "LockSettings",
    "MapSettings",
    "Pane",
    "WallLayout",
    "WallLayoutError",
    "check_layout",
    "check_video_names",
    "default_views_path",
    "default_layout_path",
    "hash_pin",
    "layout_from_table",
    "load_wall_layout",
    "parse_keys",
    "parse_wall_layout",
    "user_layout_path",
    "verify_pin",
]
