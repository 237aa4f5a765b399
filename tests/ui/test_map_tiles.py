"""Base-map tiles reach the page through the rtcctile: scheme, from the network once and the cache after."""

from __future__ import annotations

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()

from rtcc_desktop.tiles import TileCache, TileSource  # noqa: E402
from rtcc_desktop.tiles.testserver import TileServer  # noqa: E402
from rtcc_desktop.ui.map_page import PageOptions  # noqa: E402
from rtcc_desktop.ui.map_view import MapView  # noqa: E402
from rtcc_desktop.ui.testing import dispose, js_eval, wait_until  # noqa: E402

OPTS = PageOptions(lat=33.6140, lon=-85.8350, zoom=14)


def open_map(source: TileSource) -> MapView:
    v = MapView(source, options=OPTS)
    v.resize(700, 500)
    v.show()
    assert wait_until(lambda: v.is_ready, 30)
    return v


def loaded_tiles(view) -> int:
    return js_eval(view, "document.querySelectorAll('img.leaflet-tile-loaded').length")


def test_tiles_from_network_then_cache_then_offline(qtbot, tmp_path):
    server = TileServer().start()
    cache = TileCache(tmp_path / "tiles.mbtiles")
    offline_events = []
    try:
        first = open_map(TileSource(server.url_template, cache, offline_backoff_s=3600))
        try:
            assert wait_until(lambda: first.tile_stats["network"] > 0 and loaded_tiles(first) >= first.tile_stats["network"], 20)
            assert first.tile_stats["offline"] == 0
            fetched = first.tile_stats["network"]
            assert cache.count() == fetched and len(server.requests) == fetched
        finally:
            first.shutdown()
            dispose(first)
        server.stop()

        # Same view with the server gone: every tile comes from the cache.
        second = open_map(TileSource(server.url_template, cache, offline_backoff_s=3600))
        second.offline_changed.connect(lambda on, why: offline_events.append((on, why)))
        try:
            assert wait_until(lambda: second.tile_stats["cache"] >= fetched and loaded_tiles(second) >= fetched, 20)
            assert second.tile_stats["network"] == 0 and second.tile_stats["offline"] == 0
            assert offline_events == []
            # An area never seen: neither network nor cache has it -> the offline tile and the offline state.
            second.set_view(40.0, -100.0, 10)
            assert wait_until(lambda: second.tile_stats["offline"] > 0 and bool(offline_events), 20)
            assert offline_events[0][0] == 1 and "cannot reach the tile server" in offline_events[0][1]
            assert second.offline
            assert wait_until(lambda: loaded_tiles(second) > 0, 10)  # the OFFLINE placeholder is drawn, not a broken image
        finally:
            second.shutdown()
            dispose(second)
    finally:
        server.stop()
        cache.close()


def test_bad_tile_urls_fail_cleanly(qtbot, tmp_path):
    cache = TileCache(tmp_path / "tiles.mbtiles")
    view = open_map(TileSource("http://127.0.0.1:9/{z}/{x}/{y}.png", cache, offline_backoff_s=3600))
    try:
        result = js_eval(view, "new Promise(function (ok) { var i = new Image(); i.onload = function () { ok('loaded'); };"
                               " i.onerror = function () { ok('error'); }; i.src = 'rtcctile://base/../../etc/passwd'; })"
                               ".then(function (r) { window.__bad = r; }), 1")
        assert result == 1
        assert wait_until(lambda: js_eval(view, "window.__bad || ''") == "error", 10)
    finally:
        view.shutdown()
        dispose(view)
        cache.close()


@pytest.mark.parametrize("template", ["http://127.0.0.1:9/{z}/{x}.png", "no placeholders"])
def test_tile_source_needs_xyz_placeholders(template, tmp_path):
    with pytest.raises(ValueError):
        TileSource(template, TileCache(tmp_path / "t.mbtiles"))
