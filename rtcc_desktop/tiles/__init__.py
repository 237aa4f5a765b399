"""Base-map tiles: an MBTiles cache in SQLite and a fetcher that fills it (no Qt).

The map page asks for tiles through the ``rtcctile:`` scheme; the UI hands
each request to :class:`TileSource` on a worker thread. A tile seen once stays
available offline; a tile that is neither cached nor reachable comes back as
the 'offline' tile so the analyst sees why the map is blank.
"""

from rtcc_desktop.tiles.cache import TileCache, cache_path_for
from rtcc_desktop.tiles.math import count_tiles, lonlat_to_tile, tile_bounds, tiles_in_bbox
from rtcc_desktop.tiles.source import PrefetchReport, TileResult, TileSource, offline_tile_png

__all__ = [
    "TileCache",
    "TileResult",
    "TileSource",
    "PrefetchReport",
    "cache_path_for",
    "count_tiles",
    "lonlat_to_tile",
    "offline_tile_png",
    "tile_bounds",
    "tiles_in_bbox",
]
