"""Settings from one TOML file: feeds, map, retention and the centre.

Everything is checked when the file is loaded, so a typo shows up as one clear
message naming the file, the feed and the field, not as a failed poll an hour
later. Secrets never live in the file: a feed names where its token comes from
(``token_env`` or ``token_keyring``) and :mod:`rtcc_desktop.secrets` fetches it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from rtcc_desktop import paths
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.model.records import KINDS, fields_for
from rtcc_desktop.model.timeutil import zone
from rtcc_desktop.model.validate import FeedContext
from rtcc_desktop.secrets import SECRET_KEY_NAMES, is_secret_header, is_secret_param

FORMATS: Final[tuple[str, ...]] = ("soda", "geojson", "csv", "eido", "json")
DEFAULT_INTERVAL_S: Final = 60.0
DEFAULT_PAGE_SIZE: Final = 5000
DEFAULT_TIMEOUT_S: Final = 30.0
DEFAULT_TILE_URL: Final = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION: Final = "© OpenStreetMap contributors"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOP_KEYS = ("feeds", "map", "retention", "centre")
_FEED_KEYS = (
    "name",
    "kind",
    "format",
    "url",
    "interval_s",
    "agency",
    "timezone",
    "bbox",
    "fields",
    "time_format",
    "token_env",
    "token_keyring",
    "token_header",
    "headers",
    "page_size",
    "since_param",
    "delimiter",
    "timeout_s",
    "enabled",
)
_MAP_KEYS = ("tile_url", "attribution")
_CENTRE_KEYS = ("name", "timezone")


class ConfigError(ValueError):
    """The settings file cannot be used; the message says where and why.

    ``problems`` holds every problem found (one per line of the message).
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class FeedConfig:
    """One source feed, validated."""

    name: str
    kind: str
    format: str
    url: str
    interval_s: float = DEFAULT_INTERVAL_S
    agency: str | None = None
    timezone: str | None = None
    bbox: BBox | None = None
    fields: dict[str, str] = field(default_factory=dict)
    time_format: str | None = None
    token_env: str | None = None
    token_keyring: str | None = None
    token_header: str = "X-App-Token"
    headers: dict[str, str] = field(default_factory=dict)
    page_size: int = DEFAULT_PAGE_SIZE
    since_param: str | None = None
    delimiter: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    enabled: bool = True

    def context(self) -> FeedContext:
        """What the validator needs to know about this feed's rows."""
        return FeedContext(
            source=self.name,
            kind=self.kind,
            agency=self.agency,
            timezone=self.timezone,
            bbox=self.bbox,
            time_format=self.time_format,
        )

    @property
    def is_local(self) -> bool:
        """True when the feed reads a file rather than an HTTP(S) URL."""
        return not self.url.lower().startswith(("http://", "https://"))

    @property
    def local_path(self) -> Path:
        """The file a local feed reads (``file://`` prefix removed)."""
        return _file_path(self.url)

    @property
    def wants_token(self) -> bool:
        return bool(self.token_env or self.token_keyring)


@dataclass(frozen=True)
class MapConfig:
    """Base map tiles: an XYZ URL template and the attribution it requires."""

    tile_url: str = DEFAULT_TILE_URL
    attribution: str = DEFAULT_ATTRIBUTION


@dataclass(frozen=True)
class CentreConfig:
    """The centre itself: its name and the time zone the UI shows times in."""

    name: str = "RTCC"
    timezone: str = "UTC"


@dataclass(frozen=True)
class Config:
    """The whole settings file."""

    path: Path | None = None
    feeds: tuple[FeedConfig, ...] = ()
    map: MapConfig = field(default_factory=MapConfig)
    retention: dict[str, int] = field(default_factory=dict)
    centre: CentreConfig = field(default_factory=CentreConfig)
    #: Feeds left out by ``load_config(..., skip_bad_feeds=True)``: (name or "#n", message).
    feed_errors: tuple[tuple[str, str], ...] = ()

    @classmethod
    def default(cls) -> "Config":
        """Settings for a first run: no feeds, OpenStreetMap tiles, UTC."""
        return cls()

    def feed(self, name: str) -> FeedConfig:
        """The feed called ``name`` (KeyError names the ones that exist)."""
        for f in self.feeds:
            if f.name == name:
                return f
        raise KeyError(f"no feed named {name!r}; feeds: {', '.join(f.name for f in self.feeds) or '(none)'}")


def default_config_path() -> Path:
    """Per-user config file (platformdirs user config dir ``rtcc-desktop``)."""
    return paths.default_config()


def load_config(path: str | Path | None = None, *, skip_bad_feeds: bool = False) -> Config:
    """Read and check the settings file.

    With no ``path`` the per-user file is used, and a missing one gives
    :meth:`Config.default`. A named file that is missing is an error.
    ``skip_bad_feeds`` keeps the good feeds when one feed is wrong (the sync
    engine reports the bad ones) instead of refusing the whole file.
    """
    if path is None:
        p = default_config_path()
        if not p.exists():
            return Config.default()
    else:
        p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    return parse_config(text, name=str(p), base_dir=p.parent, skip_bad_feeds=skip_bad_feeds, path=p)


def parse_config(
    text: str,
    *,
    name: str = "<config>",
    base_dir: Path | None = None,
    skip_bad_feeds: bool = False,
    path: Path | None = None,
) -> Config:
    """Check TOML text (e.g. the simulator's ``feeds_toml()``); ``name`` labels errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    return _Checker(name, base_dir or Path.cwd()).config(data, skip_bad_feeds, path)


# --------------------------------------------------------------------------- checking


def _file_path(url: str) -> Path:
    if url.lower().startswith("file://"):
        rest = url[7:]
        # file:///abs/path and file://localhost/abs/path
        if rest.lower().startswith("localhost/"):
            rest = rest[9:]
        return Path(rest)
    return Path(url)


def _unknown(key: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]}?" if close else f"allowed: {', '.join(allowed)}"
    return f"unknown key ({hint})"


def _secret_message(key: str) -> str:
    return (
        f"{key}: a literal secret in the settings file is refused; put the token in an "
        "environment variable and set token_env = \"VAR_NAME\", or store it in the OS "
        "keyring and set token_keyring = \"service:username\""
    )


class _FeedProblem(Exception):
    pass


class _Checker:
    def __init__(self, name: str, base_dir: Path) -> None:
        self.name = name
        self.base_dir = base_dir
        self.problems: list[str] = []

    # -- helpers
    def _where(self, section: str, key: str, msg: str) -> str:
        return f"{self.name}: {section}: {key}: {msg}" if key else f"{self.name}: {section}: {msg}"

    def config(self, data: dict[str, Any], skip_bad_feeds: bool, path: Path | None) -> Config:
        top_problems: list[str] = []
        for key in data:
            if key.lower() in SECRET_KEY_NAMES:
                top_problems.append(f"{self.name}: {_secret_message(key)}")
            elif key not in _TOP_KEYS:
                top_problems.append(f"{self.name}: {key}: {_unknown(key, _TOP_KEYS)}")

        map_cfg = self._map(data.get("map", {}), top_problems)
        retention = self._retention(data.get("retention", {}), top_problems)
        centre = self._centre(data.get("centre", {}), top_problems)

        raw_feeds = data.get("feeds", [])
        feeds: list[FeedConfig] = []
        feed_errors: list[tuple[str, str]] = []
        feed_problems: list[str] = []
        if not isinstance(raw_feeds, list):
            top_problems.append(f"{self.name}: feeds: must be [[feeds]] tables")
            raw_feeds = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_feeds):
            label = f"feed #{i + 1}"
            if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"].strip():
                label = f'feed "{raw["name"]}"'
            problems: list[str] = []
            fc = self._feed(raw, label, problems)
            if fc is not None and fc.name in seen:
                problems.append(f"{self.name}: {label}: name: another feed already has this name")
            if problems:
                feed_problems.extend(problems)
                name = raw.get("name") if isinstance(raw, dict) else None
                feed_errors.append((name if isinstance(name, str) else f"#{i + 1}", "; ".join(p.split(": ", 1)[1] for p in problems)))
                continue
            assert fc is not None
            seen.add(fc.name)
            feeds.append(fc)

        if top_problems or (feed_problems and not skip_bad_feeds):
            raise ConfigError(top_problems + feed_problems)
        return Config(
            path=path,
            feeds=tuple(feeds),
            map=map_cfg,
            retention=retention,
            centre=centre,
            feed_errors=tuple(feed_errors) if skip_bad_feeds else (),
        )

    def _table(self, value: Any, section: str, allowed: tuple[str, ...], problems: list[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            problems.append(f"{self.name}: {section}: must be a table")
            return {}
        for key in value:
            if key.lower() in SECRET_KEY_NAMES and value[key]:
                problems.append(f"{self.name}: {section}: {_secret_message(key)}")
            elif key not in allowed:
                problems.append(f"{self.name}: {section}: {key}: {_unknown(key, allowed)}")
        return value

    def _map(self, value: Any, problems: list[str]) -> MapConfig:
        t = self._table(value, "[map]", _MAP_KEYS, problems)
        url = t.get("tile_url", DEFAULT_TILE_URL)
        attribution = t.get("attribution", DEFAULT_ATTRIBUTION)
        if not isinstance(url, str) or not all(p in url for p in ("{z}", "{x}", "{y}")):
            problems.append(f"{self.name}: [map]: tile_url: must be a URL template with {{z}}, {{x}} and {{y}}")
            url = DEFAULT_TILE_URL
        elif not url.lower().startswith(("http://", "https://", "file://")):
            problems.append(f"{self.name}: [map]: tile_url: must start with http://, https:// or file://")
        if not isinstance(attribution, str):
            problems.append(f"{self.name}: [map]: attribution: must be text")
            attribution = DEFAULT_ATTRIBUTION
        return MapConfig(tile_url=url, attribution=attribution)

    def _retention(self, value: Any, problems: list[str]) -> dict[str, int]:
        t = self._table(value, "[retention]", KINDS, problems)
        out: dict[str, int] = {}
        for kind, days in t.items():
            if kind not in KINDS:
                continue
            if isinstance(days, bool) or not isinstance(days, int) or days < 1:
                problems.append(f"{self.name}: [retention]: {kind}: days must be a whole number of at least 1 (leave it out to keep rows forever)")
                continue
            out[kind] = days
        return out

    def _centre(self, value: Any, problems: list[str]) -> CentreConfig:
        t = self._table(value, "[centre]", _CENTRE_KEYS, problems)
        name = t.get("name", "RTCC")
        tz = t.get("timezone", "UTC")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{self.name}: [centre]: name: must be non-empty text")
            name = "RTCC"
        if not isinstance(tz, str):
            problems.append(f"{self.name}: [centre]: timezone: must be an IANA name like America/Chicago")
            tz = "UTC"
        else:
            try:
                zone(tz)
            except ValueError as exc:
                problems.append(f"{self.name}: [centre]: timezone: {exc}")
        return CentreConfig(name=name, timezone=tz)

    # -- one feed
    def _feed(self, raw: Any, label: str, problems: list[str]) -> FeedConfig | None:
        def bad(key: str, msg: str) -> None:
            problems.append(f"{self.name}: {label}: {key}: {msg}" if key else f"{self.name}: {label}: {msg}")

        if not isinstance(raw, dict):
            bad("", "must be a table ([[feeds]])")
            return None
        for key in raw:
            if key.lower() in SECRET_KEY_NAMES:
                problems.append(f"{self.name}: {label}: {_secret_message(key)}")
            elif key not in _FEED_KEYS:
                bad(key, _unknown(key, _FEED_KEYS))

        def text(key: str, required: bool = False) -> str | None:
            v = raw.get(key)
            if v is None:
                if required:
                    bad(key, "missing")
                return None
            if not isinstance(v, str) or not v.strip():
                bad(key, "must be non-empty text")
                return None
            return v.strip()

        def number(key: str, default: float, minimum: float, integer: bool = False) -> Any:
            v = raw.get(key, default)
            ok = isinstance(v, int) if integer else isinstance(v, (int, float))
            if isinstance(v, bool) or not ok:
                bad(key, f"must be a {'whole number' if integer else 'number'}, got {v!r}")
                return default
            if v < minimum:
                bad(key, f"must be at least {minimum:g}, got {v!r}")
                return default
            return v

        name = text("name", required=True)
        if name is not None and not _NAME_RE.match(name):
            bad("name", "use letters, digits, '.', '_' and '-' (at most 64, starting with a letter or digit)")
        kind = text("kind", required=True)
        if kind is not None and kind not in KINDS:
            bad("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
            kind = None
        fmt = text("format", required=True)
        if fmt is not None and fmt not in FORMATS:
            bad("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
        url = text("url", required=True)
        if url is not None:
            url = self._url(url, bad)

        interval = float(number("interval_s", DEFAULT_INTERVAL_S, 0.05))
        page_size = int(number("page_size", DEFAULT_PAGE_SIZE, 1, integer=True))
        timeout = float(number("timeout_s", DEFAULT_TIMEOUT_S, 0.05))
        agency = text("agency")
        tz = text("timezone")
        if tz is not None:
            try:
                zone(tz)
            except ValueError as exc:
                bad("timezone", str(exc))
        time_format = text("time_format")
        if time_format is not None and "%" not in time_format:
            bad("time_format", f"{time_format!r} is not a strptime format (e.g. '%m/%d/%Y %I:%M:%S %p')")
        bbox = self._bbox(raw.get("bbox"), bad)
        fields = self._fields(raw.get("fields"), kind, bad)
        headers = self._headers(raw.get("headers"), bad)
        token_env = text("token_env")
        if token_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
            bad("token_env", f"{token_env!r} is not an environment variable name (give the variable's name, not the token)")
        token_keyring = text("token_keyring")
        token_header = text("token_header") or "X-App-Token"
        since_param = text("since_param")
        delimiter = raw.get("delimiter")
        if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
            bad("delimiter", "must be one character, e.g. \",\" or \"|\"")
            delimiter = None
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            bad("enabled", "must be true or false")
            enabled = True

        if problems or name is None or kind is None or fmt is None or url is None:
            return None
        return FeedConfig(
            name=name,
            kind=kind,
            format=fmt,
            url=url,
            interval_s=interval,
            agency=agency,
            timezone=tz,
            bbox=bbox,
            fields=fields,
            time_format=time_format,
            token_env=token_env,
            token_keyring=token_keyring,
            token_header=token_header,
            headers=headers,
            page_size=page_size,
            since_param=since_param,
            delimiter=delimiter,
            timeout_s=timeout,
            enabled=enabled,
        )

    def _url(self, url: str, bad: Any) -> str | None:
        low = url.lower()
        if low.startswith(("http://", "https://")):
            parts = urlsplit(url)
            if not parts.hostname:
                bad("url", f"{url!r} has no host")
                return None
            if parts.password:
                bad("url", "has a password in it; " + _secret_message("url").split(": ", 1)[1])
                return None
            for k, v in parse_qsl(parts.query, keep_blank_values=True):
                if is_secret_param(k) and v:
                    bad("url", f"query parameter {k!r} is a literal secret; " + _secret_message("url").split(": ", 1)[1])
                    return None
            return url
        if "://" in low and not low.startswith("file://"):
            bad("url", f"{url!r}: use http://, https://, file:// or a file path")
            return None
        p = _file_path(url)
        if not p.is_absolute():
            p = (self.base_dir / p).resolve()
        return str(p)

    def _bbox(self, value: Any, bad: Any) -> BBox | None:
        if value is None:
            return None
        if not isinstance(value, list) or len(value) != 4:
            bad("bbox", "must be [west, south, east, north]")
            return None
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
            bad("bbox", "must be four numbers [west, south, east, north]")
            return None
        w, s, e, n = (float(v) for v in value)
        msgs = []
        if not (-180 <= w <= 180 and -180 <= e <= 180):
            msgs.append("west and east must be longitudes in -180..180")
        if not (-90 <= s <= 90 and -90 <= n <= 90):
            msgs.append("south and north must be latitudes in -90..90")
        if w >= e:
            msgs.append("west must be < east")
        if s >= n:
            msgs.append("south must be < north")
        if msgs:
            bad("bbox", "; ".join(msgs))
            return None
        return BBox(w, s, e, n)

    def _fields(self, value: Any, kind: str | None, bad: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            bad("fields", 'must be a table {our_field = "SourceColumn"}')
            return {}
        out: dict[str, str] = {}
        allowed = fields_for(kind) if kind else None
        for ours, theirs in value.items():
            if allowed is not None and ours not in allowed:
                close = difflib.get_close_matches(ours, allowed, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                bad(f"fields.{ours}", f"not a {kind} field; {hint}use one of: {', '.join(allowed)}")
                continue
            if not isinstance(theirs, str) or not theirs.strip():
                bad(f"fields.{ours}", "the source column must be non-empty text")
                continue
            out[ours] = theirs
        return out

    def _headers(self, value: Any, bad: Any) -> dict[str, str]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            bad("headers", 'must be a table {"Header-Name" = "value"}')
            return {}
        out: dict[str, str] = {}
        for k, v in value.items():
            if not isinstance(v, str) or "\n" in v or "\r" in v:
                bad(f"headers.{k}", "must be one line of text")
                continue
            if is_secret_header(k) and v:
                bad(f"headers.{k}", "holds a credential; " + _secret_message(k).split(": ", 1)[1] + " (token_header names the header it goes in)")
                continue
            out[k] = v
        return out


__all__ = [
    "CentreConfig",
    "Config",
    "ConfigError",
    "FeedConfig",
    "MapConfig",
    "default_config_path",
    "load_config",
    "parse_config",
]
