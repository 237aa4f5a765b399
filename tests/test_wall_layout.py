"""The wall layout file: the shipped one loads, and every mistake names the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from rtcc_desktop.wall_layout import (
    WallLayoutError,
    check_video_names,
    default_layout_path,
    hash_pin,
    load_wall_layout,
    parse_keys,
    parse_wall_layout,
    verify_pin,
)

MAP = '[[wall.screens]]\nscreen = 1\nshow = "map"\nstrip = "bottom"\n'


def problems(text: str, name: str = "wall.toml") -> str:
    with pytest.raises(WallLayoutError) as info:
        parse_wall_layout(text, name=name)
    return str(info.value)


def test_shipped_layout_loads_map_and_video_on_two_screens() -> None:
    layout = load_wall_layout(default_layout_path())
    assert [(p.screen, p.show) for p in layout.panes] == [(1, "map"), (2, "video")]
    assert layout.panes[0].strip == "bottom" and layout.panes[1].auto == 9
    assert layout.lock.exit_keys == "Ctrl+Alt+Shift+Q" and layout.stale_factor == 3


def test_user_file_replaces_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RTCC_HOME", str(tmp_path))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "wall.toml").write_text('[wall]\ntitle = "Night desk"\n' + MAP)
    assert load_wall_layout().title == "Night desk"


def test_missing_file_and_bad_toml_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(WallLayoutError, match="nope.toml: wall layout file not found"):
        load_wall_layout(tmp_path / "nope.toml")
    bad = tmp_path / "broken.toml"
    bad.write_text("[wall\n")
    with pytest.raises(WallLayoutError, match=r"broken.toml: not valid TOML"):
        load_wall_layout(bad)


def test_unknown_key_suggests_the_right_one_and_lists_the_allowed() -> None:
    msg = problems("[wall]\nstale_facter = 2\n" + MAP)
    assert "wall.toml: [wall]: stale_facter: unknown key (did you mean stale_factor?" in msg
    assert "allowed: title, stale_factor" in msg


def test_bad_show_value_names_screen_field_and_choices() -> None:
    msg = problems('[wall]\n' + MAP + '[[wall.screens]]\nscreen = 2\nshow = "vidoe"\n')
    assert "wall.toml: [[wall.screens]] #2: show: 'vidoe' is not allowed; use one of map, video (did you mean video?)" in msg


def test_every_problem_is_reported_at_once() -> None:
    msg = problems('[wall]\nrefresh_s = 0\n[wall.follow]\ndwell_s = "long"\nkinds = ["gunshot", "fire"]\n' + MAP)
    lines = msg.splitlines()
    assert any("[wall]: refresh_s: must be a number of seconds from 1 to 3600, got 0" in x for x in lines)
    assert any("[wall.follow]: dwell_s: must be a number of seconds from 5 to 3600, got 'long'" in x for x in lines)
    assert any("[wall.follow]: kinds: 'fire' not allowed; use any of gunshot, cad, hotlist" in x for x in lines)


def test_video_screen_needs_exactly_one_source() -> None:
    msg = problems("[wall]\n" + MAP + '[[wall.screens]]\nscreen = 2\nshow = "video"\n')
    assert "[[wall.screens]] #2: a video screen needs exactly one of tour" in msg and "got none" in msg
    msg = problems("[wall]\n" + MAP + '[[wall.screens]]\nscreen = 2\nshow = "video"\ntour = "a"\nview = "b"\n')
    assert "got tour, view" in msg


def test_screens_are_not_shared_and_one_shows_the_map() -> None:
    assert "screen 1 is already used by [[wall.screens]] #1" in problems("[wall]\n" + MAP + MAP.replace('"map"', '"video"\nauto = 4'))
    assert "no screen shows the map" in problems('[wall]\n[[wall.screens]]\nscreen = 1\nshow = "video"\nauto = 4\n')
    assert "only one screen can show the map" in problems("[wall]\n" + MAP + MAP.replace("screen = 1", "screen = 2"))
    assert "[[wall.screens]]: missing" in problems('[wall]\ntitle = "x"\n')
    assert "[wall]: missing" in problems('title = "x"\n')


def test_lock_refuses_a_plain_pin_and_a_malformed_hash() -> None:
    msg = problems('[wall]\n[wall.lock]\npin = "1234"\n' + MAP)
    assert "[wall.lock]: pin: a plain PIN in the file is refused; put its hash in pin_hash" in msg
    msg = problems('[wall]\n[wall.lock]\npin_hash = "sha1$1$abc$def"\n' + MAP)
    assert "[wall.lock]: pin_hash: must look like pbkdf2_sha256$<iterations>$<salt>$<hash>" in msg
    weak = hash_pin("1234", iterations=1000).replace("$1000$", "$10$")
    assert "iterations must be at least 1000" in problems(f'[wall]\n[wall.lock]\npin_hash = "{weak}"\n' + MAP)


def test_exit_keys_need_two_modifiers_and_a_real_key() -> None:
    assert "needs at least two modifiers" in problems('[wall]\n[wall.lock]\nexit_keys = "Ctrl+Q"\n' + MAP)
    assert "'Hyper' is not a modifier" in problems('[wall]\n[wall.lock]\nexit_keys = "Hyper+Ctrl+Q"\n' + MAP)
    assert parse_keys("ctrl+alt+shift+q") == (("Ctrl", "Alt", "Shift"), "Q")
    assert parse_keys("Ctrl+Alt+F12") == (("Ctrl", "Alt"), "F12")


def test_pin_hash_round_trip() -> None:
    encoded = hash_pin("0042", iterations=1000)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert verify_pin("0042", encoded) and not verify_pin("0043", encoded) and not verify_pin("", encoded)
    assert not verify_pin("0042", "garbage")
    assert hash_pin("0042", iterations=1000) != encoded  # salted


def test_missing_tours_and_views_are_named_with_what_exists() -> None:
    layout = parse_wall_layout("[wall]\n" + MAP + '[[wall.screens]]\nscreen = 2\nshow = "video"\ntour = "Night"\n'
                               '[[wall.screens]]\nscreen = 3\nshow = "video"\nview = "Downtown"\n', name="w.toml")
    msgs = check_video_names(layout, tours={"Day"}, views={"Downtown"})
    assert msgs == ["w.toml: tour 'Night' is not saved in the video grid (saved tours: Day)"]


def test_views_file_is_relative_to_the_layout(tmp_path: Path) -> None:
    f = tmp_path / "wall.toml"
    f.write_text('[wall]\nviews_file = "views/wall.json"\n' + MAP)
    assert load_wall_layout(f).views_file == tmp_path / "views" / "wall.json"


def test_check_layout_reads_the_saved_views_file(tmp_path: Path) -> None:
    from rtcc_desktop.video.views import SavedView, Tour, ViewStore
    from rtcc_desktop.wall_layout import check_layout

    layout = parse_wall_layout("[wall]\n" + MAP + '[[wall.screens]]\nscreen = 2\nshow = "video"\ntour = "Night"\n', name="w.toml")
    views = tmp_path / "views.json"
    assert "does not exist" in check_layout(layout, views)[0]
    vs = ViewStore(views)
    vs.put_view(SavedView("Downtown", "2x2", ["camera:1", None, None, None]))
    vs.put_tour(Tour("Night", ["Downtown"], 20))
    vs.save()
    assert check_layout(layout, views) == []
    views.write_text("{not json")
    assert "cannot be read" in check_layout(layout, views)[0]
