"""The tile cache (MBTiles layout) and the tile source: network once, cache after, offline when neither."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from rtcc_desktop.model.geo import BBox
from rtcc_desktop.tiles import (
    TileCache,
    TileSource,
    cache_path_for,
    count_tiles,
    lonlat_to_tile,
    offline_tile_png,
    tile_bounds,
    tiles_in_bbox,
)
from rtcc_desktop.tiles.pool import WorkerPool
from rtcc_desktop.tiles.source import sniff_mime
from rtcc_desktop.tiles.testserver import TileServer, coloured_tile


@pytest.fixture
def server():
    srv = TileServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def cache(tmp_path):
    c = TileCache(tmp_path / "tiles.mbtiles", url_template="test")
    yield c
    c.close()


def test_cache_uses_mbtiles_layout_with_tms_rows(cache, tmp_path):
    cache.put(3, 2, 1, b"\x89PNG\r\n\x1a\nfake")
    assert cache.get(3, 2, 1) == b"\x89PNG\r\n\x1a\nfake"
    assert cache.get(3, 2, 2) is None
    con = sqlite3.connect(tmp_path / "tiles.mbtiles")
    rows = con.execute("SELECT zoom_level, tile_column, tile_row FROM tiles").fetchall()
    meta = dict(con.execute("SELECT name, value FROM metadata").fetchall())
    con.close()
    assert rows == [(3, 2, (1 << 3) - 1 - 1)]  # TMS counts rows from the south
    assert meta["format"] == "png" and "name" in meta


def test_cache_is_usable_from_several_threads(cache):
    errors = []

    def work(i: int) -> None:
        try:
            for j in range(20):
                cache.put(10, i, j, coloured_tile(10, i, j))
                assert cache.get(10, i, j) == coloured_tile(10, i, j)
        except Exception as exc:  # collected for the assert below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,), name=f"rtcc-test-{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert cache.count() == 80


def test_cache_file_per_source_and_loopback_ports_share_one(tmp_path):
    a = cache_path_for("http://127.0.0.1:4000/tiles/{z}/{x}/{y}.png", tmp_path)
    b = cache_path_for("http://127.0.0.1:5999/tiles/{z}/{x}/{y}.png", tmp_path)
    osm = cache_path_for("https://tile.openstreetmap.org/{z}/{x}/{y}.png", tmp_path)
    assert a == b
    assert osm != a and osm.suffix == ".mbtiles"


def test_tile_fetched_once_then_served_from_cache_after_server_stops(server, cache):
    src = TileSource(server.url_template, cache, offline_backoff_s=60)
    first = src.get(5, 10, 12)
    assert first.origin == "network" and first.data == coloured_tile(5, 10, 12)
    again = src.get(5, 10, 12)
    assert again.origin == "cache" and again.data == first.data
    assert len(server.requests) == 1
    server.stop()
    offline_copy = src.get(5, 10, 12)
    assert offline_copy.origin == "cache" and offline_copy.data == first.data
    assert src.stats == {"network": 1, "cache": 2, "offline": 0, "errors": 0}


def test_uncached_tile_with_server_down_is_the_offline_tile(server, cache):
    src = TileSource(server.url_template, cache, offline_backoff_s=60)
    server.stop()
    result = src.get(6, 1, 1)
    assert result.origin == "offline"
    assert result.data == offline_tile_png() and sniff_mime(result.data) == "image/png"
    assert "cannot reach" in result.error
    assert src.offline  # the network is skipped for a while: no wait on every tile
    assert src.get(6, 1, 2).origin == "offline"
    assert not cache.has(6, 1, 1)  # the placeholder is never cached


def test_missing_tile_on_a_live_server_is_not_an_offline_state(server, cache):
    server.missing.add((4, 1, 1))
    src = TileSource(server.url_template, cache)
    result = src.get(4, 1, 1)
    assert result.origin == "offline" and "HTTP 404" in result.error
    assert not src.offline
    assert src.get(4, 1, 2).origin == "network"


def test_invalid_tile_address_is_refused_without_a_request(server, cache):
    src = TileSource(server.url_template, cache)
    assert src.get(2, 4, 0).origin == "offline"  # x beyond 2**z
    assert src.get(25, 0, 0).origin == "offline"
    assert server.requests == []


def test_backoff_reset_tries_the_network_again(server, cache):
    src = TileSource(server.url_template, cache, offline_backoff_s=3600)
    dead = TileSource("http://127.0.0.1:9/{z}/{x}/{y}.png", cache, offline_backoff_s=3600)
    assert dead.get(3, 1, 1).origin == "offline" and dead.offline
    dead.url_template = server.url_template
    assert dead.get(3, 1, 1).origin == "offline"  # still backing off
    dead.reset_backoff()
    assert dead.get(3, 1, 1).origin == "network"
    assert src.get(3, 1, 1).origin == "cache"


def test_file_url_template_reads_a_local_tile_folder(tmp_path, cache):
    folder = tmp_path / "tileset" / "2" / "1"
    folder.mkdir(parents=True)
    (folder / "3.png").write_bytes(coloured_tile(2, 1, 3))
    src = TileSource(f"file://{tmp_path}/tileset/{{z}}/{{x}}/{{y}}.png", cache)
    assert src.get(2, 1, 3).origin == "network"
    assert src.get(2, 1, 3).origin == "cache"
    assert src.get(2, 1, 2).origin == "offline"


def test_prefetch_downloads_an_area_for_offline_use(server, cache):
    src = TileSource(server.url_template, cache)
    box = BBox(-85.84, 33.60, -85.80, 33.63)
    expected = count_tiles(box, 10, 13)
    seen = []
    report = src.prefetch(box, 10, 13, progress=lambda done, total: seen.append((done, total)))
    assert report.requested == expected and report.fetched == expected and report.failed == 0
    assert seen[-1] == (expected, expected)
    assert cache.count() == expected
    again = src.prefetch(box, 10, 13)
    assert again.already_cached == expected and again.fetched == 0
    server.stop()
    z, (x, y) = 13, lonlat_to_tile(-85.82, 33.615, 13)
    assert src.get(z, x, y).origin == "cache"


def test_prefetch_refuses_bulk_downloads_and_can_be_cancelled(server, cache):
    src = TileSource(server.url_template, cache)
    with pytest.raises(ValueError, match="more than the limit"):
        src.prefetch(BBox(-120, 20, -70, 50), 0, 12)
    stop = threading.Event()
    stop.set()
    assert src.prefetch(BBox(-85.84, 33.60, -85.80, 33.63), 10, 12, stop=stop).cancelled


def test_tile_math_round_trips():
    x, y = lonlat_to_tile(-87.6298, 41.8781, 12)
    box = tile_bounds(12, x, y)
    assert box.contains(41.8781, -87.6298)
    assert list(tiles_in_bbox(box, 12))[0] == (x, y)
    assert count_tiles(BBox(-180, -85, 180, 85), 0, 1) == 1 + 4


def test_worker_pool_runs_jobs_and_joins_threads():
    pool = WorkerPool("rtcc-test-pool", 2)
    done = threading.Event()
    results = []
    pool.submit(lambda: results.append(1))
    pool.submit(done.set)
    assert done.wait(5)
    pool.stop()
    assert not pool.alive and results == [1]
    assert pool.submit(lambda: None) is False
