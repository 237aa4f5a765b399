"""The settings file: what a user sees when it is right, and when it is wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rtcc_desktop.config import Config, ConfigError, load_config, parse_config
from rtcc_desktop.model.geo import BBox
from rtcc_desktop.secrets import SecretError, mask_headers, mask_url, resolve_token

GOOD = """
[centre]
name = "Metro RTCC"
timezone = "America/Los_Angeles"

[map]
tile_url = "http://127.0.0.1:8765/tiles/{z}/{x}/{y}.png"
attribution = "sim"

[retention]
alpr = 30
cad = 365

[[feeds]]
name = "cad-main"
kind = "cad"
format = "soda"
url = "https://data.seattle.gov/resource/33kz-ixgy.json"
interval_s = 30
agency = "SPD"
timezone = "America/Los_Angeles"
bbox = [-122.46, 47.48, -122.22, 47.74]
fields = { time = "event_clearance_date", type = "event_clearance_description" }
token_env = "SEATTLE_APP_TOKEN"
headers = { Accept = "application/json" }

[[feeds]]
name = "shots"
kind = "gunshot"
format = "csv"
url = "data/shots.csv.gz"
time_format = "%m/%d/%Y %H:%M"
"""


def write(tmp_path: Path, text: str, name: str = "feeds.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def error_for(tmp_path: Path, text: str) -> str:
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as ei:
        load_config(p)
    return str(ei.value)


FEED = """
[[feeds]]
name = "cad-main"
kind = "cad"
format = "soda"
url = "https://example.org/resource/abcd-1234.json"
"""


def test_good_file_loads_with_every_setting(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    assert cfg.centre.name == "Metro RTCC" and cfg.centre.timezone == "America/Los_Angeles"
    assert cfg.map.tile_url.endswith("{z}/{x}/{y}.png")
    assert cfg.retention == {"alpr": 30, "cad": 365}
    cad, shots = cfg.feeds
    assert cad.bbox == BBox(-122.46, 47.48, -122.22, 47.74)
    assert cad.interval_s == 30.0
    assert cad.fields == {"time": "event_clearance_date", "type": "event_clearance_description"}
    assert cad.token_env == "SEATTLE_APP_TOKEN" and not cad.is_local
    ctx = cad.context()
    assert (ctx.source, ctx.kind, ctx.agency, ctx.timezone, ctx.bbox) == ("cad-main", "cad", "SPD", "America/Los_Angeles", cad.bbox)
    # a relative file path is taken relative to the settings file, not the working directory
    assert shots.is_local and shots.local_path == (tmp_path / "data" / "shots.csv.gz").resolve()
    assert shots.context().time_format == "%m/%d/%Y %H:%M"
    assert cfg.feed("shots") is shots


def test_default_config_has_no_feeds_and_lives_in_the_user_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RTCC_HOME", str(tmp_path))
    assert Config.default().feeds == ()
    # no file at the default place: first run gets the defaults, not an error
    assert load_config().feeds == ()
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "feeds.toml").write_text(FEED, encoding="utf-8")
    assert [f.name for f in load_config().feeds] == ["cad-main"]


def test_default_path_is_the_per_user_config_dir(monkeypatch):
    import platformdirs

    from rtcc_desktop.config import default_config_path

    monkeypatch.delenv("RTCC_HOME", raising=False)
    expected = platformdirs.user_config_dir("rtcc-desktop", appauthor=False)
    assert default_config_path().parent == Path(expected) and default_config_path().suffix == ".toml"


@pytest.mark.parametrize(
    "extra, expected",
    [
        ('bbox = [-122.2, 47.4, -122.5, 47.8]', 'feeds.toml: feed "cad-main": bbox: west must be < east'),
        ('bbox = [-122.5, 47.8, -122.2, 47.4]', 'feed "cad-main": bbox: south must be < north'),
        ('bbox = [-122.5, 47.8]', 'feed "cad-main": bbox: must be [west, south, east, north]'),
        ('timezone = "America/Seatle"', 'feed "cad-main": timezone: unknown time zone'),
        ('interval_s = 0', 'feed "cad-main": interval_s: must be at least'),
        ('interval_s = "fast"', 'feed "cad-main": interval_s: must be a number'),
        ('intervl_s = 5', 'feed "cad-main": intervl_s: unknown key (did you mean interval_s?)'),
        ('fields = { when = "Date" }', 'feed "cad-main": fields.when: not a cad field'),
        ('fields = { plate = "Plate" }', 'feed "cad-main": fields.plate: not a cad field'),
        ('time_format = "MM/DD/YYYY"', 'feed "cad-main": time_format: '),
        ('token_env = "abc123-secret-token"', 'feed "cad-main": token_env: '),
        ('delimiter = "||"', 'feed "cad-main": delimiter: must be one character'),
    ],
)
def test_each_bad_value_names_file_feed_and_field(tmp_path, extra, expected):
    msg = error_for(tmp_path, FEED + extra + "\n")
    assert expected in msg
    assert msg.startswith(str(tmp_path / "feeds.toml") + ": ")


def test_feed_without_a_name_is_named_by_position(tmp_path):
    msg = error_for(tmp_path, FEED + '\n[[feeds]]\nkind = "cad"\nformat = "soda"\nurl = "https://x.org/a.json"\n')
    assert "feed #2: name: missing" in msg


def test_bad_kind_format_and_url(tmp_path):
    msg = error_for(
        tmp_path,
        '[[feeds]]\nname = "x"\nkind = "radar"\nformat = "xml"\nurl = "ftp://host/a"\n',
    )
    assert 'feed "x": kind: \'radar\' is not one of cad, alpr, gunshot, camera' in msg
    assert 'feed "x": format: \'xml\' is not one of' in msg
    assert 'feed "x": url: ' in msg


def test_all_problems_are_reported_at_once(tmp_path):
    msg = error_for(tmp_path, FEED + 'interval_s = -1\ntimezone = "Nowhere/Land"\n')
    assert len(msg.splitlines()) == 2


def test_duplicate_feed_names_are_refused(tmp_path):
    msg = error_for(tmp_path, FEED + FEED)
    assert 'feed "cad-main": name: another feed already has this name' in msg


def test_unknown_sections_and_bad_sections(tmp_path):
    msg = error_for(
        tmp_path,
        '[mapp]\ntile_url = "x"\n[retention]\ngunshots = 3\ncad = 0\n[centre]\ntimezone = "Mars/Base"\n[map]\ntile_url = "http://t/{z}/{x}.png"\n',
    )
    assert "mapp: unknown key (did you mean map?)" in msg
    assert "[retention]: gunshots: unknown key (did you mean gunshot?)" in msg
    assert "[retention]: cad: days must be a whole number" in msg
    assert "[centre]: timezone: unknown time zone" in msg
    assert "[map]: tile_url: must be a URL template with {z}, {x} and {y}" in msg


def test_not_toml_names_the_file_and_line(tmp_path):
    msg = error_for(tmp_path, '[[feeds]]\nname = "x\n')
    assert "feeds.toml: not valid TOML" in msg and "line 2" in msg


def test_missing_named_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="nothere.toml: file not found"):
        load_config(tmp_path / "nothere.toml")


@pytest.mark.parametrize(
    "extra, field",
    [
        ('token = "s3cr3t"', "token"),
        ('app_token = "s3cr3t"', "app_token"),
        ('api_key = "s3cr3t"', "api_key"),
        ('password = "s3cr3t"', "password"),
        ('headers = { "X-App-Token" = "s3cr3t" }', "headers.X-App-Token"),
        ('headers = { Authorization = "Bearer s3cr3t" }', "headers.Authorization"),
    ],
)
def test_literal_secrets_are_refused_and_the_message_says_what_to_do(tmp_path, extra, field):
    msg = error_for(tmp_path, FEED + extra + "\n")
    assert f'feed "cad-main": {field}' in msg
    assert "token_env" in msg and "keyring" in msg
    assert "s3cr3t" not in msg


@pytest.mark.parametrize(
    "url",
    [
        "https://bob:s3cr3t@example.org/resource/a.json",
        "https://example.org/resource/a.json?$$app_token=s3cr3t",
        "https://example.org/a.geojson?api_key=s3cr3t",
    ],
)
def test_credentials_inside_the_url_are_refused(tmp_path, url):
    msg = error_for(tmp_path, f'[[feeds]]\nname = "x"\nkind = "cad"\nformat = "soda"\nurl = "{url}"\n')
    assert 'feed "x": url: ' in msg and "token_env" in msg
    assert "s3cr3t" not in msg


def test_top_level_secret_is_refused(tmp_path):
    msg = error_for(tmp_path, 'password = "s3cr3t"\n')
    assert "literal secret" in msg and "s3cr3t" not in msg


def test_skip_bad_feeds_keeps_the_good_ones(tmp_path):
    p = write(tmp_path, FEED + '\n[[feeds]]\nname = "broken"\nkind = "cad"\nformat = "soda"\nurl = "https://x.org/a.json"\nbbox = [1, 1, 0, 2]\n')
    cfg = load_config(p, skip_bad_feeds=True)
    assert [f.name for f in cfg.feeds] == ["cad-main"]
    assert cfg.feed_errors and cfg.feed_errors[0][0] == "broken"
    assert "bbox: west must be < east" in cfg.feed_errors[0][1]
    with pytest.raises(ConfigError):
        load_config(p)


def test_parse_config_labels_text_without_a_file():
    with pytest.raises(ConfigError, match=r'^<sim>: feed "x": kind: missing'):
        parse_config('[[feeds]]\nname = "x"\nformat = "soda"\nurl = "http://127.0.0.1:1/a"\n', name="<sim>")


# --------------------------------------------------------------------------- secrets


def test_token_comes_from_the_environment_variable(tmp_path):
    cfg = load_config(write(tmp_path, GOOD))
    cad = cfg.feed("cad-main")
    assert resolve_token(cad, environ={"SEATTLE_APP_TOKEN": " abc "}) == "abc"
    with pytest.raises(SecretError) as ei:
        resolve_token(cad, environ={})
    assert "SEATTLE_APP_TOKEN" in str(ei.value) and "not set" in str(ei.value)
    assert resolve_token(cfg.feed("shots"), environ={}) is None


def test_keyring_without_a_backend_gives_a_clear_message(tmp_path):
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    old = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        p = write(tmp_path, FEED + 'token_keyring = "rtcc-desktop:seattle"\n')
        feed = load_config(p).feed("cad-main")
        with pytest.raises(SecretError) as ei:
            resolve_token(feed, environ={})
    finally:
        keyring.set_keyring(old)
    msg = str(ei.value)
    assert "no OS keyring" in msg and "token_env" in msg and 'feed "cad-main"' in msg


def test_keyring_with_a_backend_returns_the_stored_token(tmp_path):
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self):
            self.d = {("rtcc-desktop", "cad-main"): "from-keyring"}

        def get_password(self, service, username):
            return self.d.get((service, username))

        def set_password(self, service, username, password):
            self.d[(service, username)] = password

        def delete_password(self, service, username):
            self.d.pop((service, username), None)

    old = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        # "service" alone: the user name is the feed name
        feed = load_config(write(tmp_path, FEED + 'token_keyring = "rtcc-desktop"\n')).feed("cad-main")
        assert resolve_token(feed, environ={}) == "from-keyring"
        other = load_config(write(tmp_path, FEED + 'token_keyring = "rtcc-desktop:nobody"\n')).feed("cad-main")
        with pytest.raises(SecretError, match="keyring set rtcc-desktop nobody"):
            resolve_token(other, environ={})
    finally:
        keyring.set_keyring(old)


def test_mask_url_hides_passwords_and_token_parameters():
    url = "https://bob:hunter2@data.example.org/resource/a.json?$limit=10&$$app_token=abc123&api_key=k9&$where=x%20%3E%201"
    masked = mask_url(url)
    assert "hunter2" not in masked and "abc123" not in masked and "k9" not in masked
    assert masked == "https://bob:***@data.example.org/resource/a.json?$limit=10&$$app_token=***&api_key=***&$where=x%20%3E%201"
    assert mask_url("http://127.0.0.1:8000/cad.json?since=2024-01-01") == "http://127.0.0.1:8000/cad.json?since=2024-01-01"


def test_mask_headers_hides_credentials():
    out = mask_headers({"X-App-Token": "abc", "Authorization": "Bearer x", "Accept": "application/json"})
    assert out == {"X-App-Token": "***", "Authorization": "***", "Accept": "application/json"}
