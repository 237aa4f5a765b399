"""Build the map page once with folium, with every asset local.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; the map
must work with no internet, so those links are replaced: Leaflet comes from
the xstatic PyPI package, copied next to the page; the rest is not needed
(canvas points and divIcons instead of awesome markers). The dense layers are
clustered and drawn on one canvas by ``rtcc_map.js`` itself (50,000 points in
a fraction of a second, where Leaflet.markercluster took seconds). The page also loads ``qrc:///qtwebchannel/qwebchannel.js`` and our
own ``rtcc_map.js``. A Content-Security-Policy with the hashes of the inline
scripts stops any injected markup from running script.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import folium
import xstatic.pkg.leaflet as xs_leaflet
from branca.element import MacroElement
from jinja2 import Template

from rtcc_desktop.ui.resources import resource
from rtcc_desktop.ui.tile_scheme import PAGE_TILE_URL

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'

_OUR_FILES = ("rtcc_map.js", "heat.js", "rtcc_map.css")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


@dataclass(frozen=True)
class PageOptions:
    lat: float = 41.8781
    lon: float = -87.6298
    zoom: int = 12
    max_zoom: int = 19
    #: Zooming out further than a region is not useful here, and each level costs clustering time.
    min_zoom: int = 8
    #: IANA zone the page shows times in (the centre's).
    tz: str = "UTC"
    #: Plain text from the config (escaped when the page is built); None means OpenStreetMap's.
    attribution: str | None = None
    imperial: bool = True


class _Init(MacroElement):
    """Calls RTCC.init(map, config) after folium has made the map and its tile layer."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "RTCC.init({{ this._parent.get_name() }}, {{ this.config }});\n"
        "{% endmacro %}"
    )

    def __init__(self, config: dict) -> None:
        super().__init__()
        self._name = "RtccInit"
        self.config = json.dumps(config).replace("</", "<\\/")


def attribution_html(text: str | None) -> str:
    """Escape a configured attribution; our own OSM default keeps its link."""
    if not text or text in (OSM_ATTRIBUTION, "© OpenStreetMap contributors"):
        return OSM_ATTRIBUTION
    return html.escape(text)


def _copy_assets(out_dir: Path) -> None:
    lib = out_dir / "lib"
    shutil.copytree(Path(xs_leaflet.BASE_DIR), lib / "leaflet", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.map", "*esm*", "*-src.js"))
    for name in _OUR_FILES:
        shutil.copy2(resource("map", name), out_dir / name)


def render_page(opts: PageOptions) -> str:
    """The page's HTML (no file written): folium with local assets and our init."""
    m = folium.Map(
        location=[opts.lat, opts.lon],
        zoom_start=opts.zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,
        max_zoom=opts.max_zoom,
        min_zoom=opts.min_zoom,
    )
    # Replace folium's CDN links with our local copies (and drop what we do not use).
    m.default_js = [
        ("leaflet", "lib/leaflet/leaflet.js"),
        ("qwebchannel", "qrc:///qtwebchannel/qwebchannel.js"),
        ("rtcc_heat", "heat.js"),
        ("rtcc_map", "rtcc_map.js"),
    ]
    m.default_css = [
        ("leaflet_css", "lib/leaflet/leaflet.css"),
        ("rtcc_css", "rtcc_map.css"),
    ]
    folium.TileLayer(
        tiles=PAGE_TILE_URL,
        attr=attribution_html(opts.attribution),  # configured text is escaped here
        name="Base map",
        max_zoom=opts.max_zoom,
        max_native_zoom=min(opts.max_zoom, 19),
        control=False,
    ).add_to(m)
    _Init({"imperial": opts.imperial, "home": [opts.lat, opts.lon, opts.zoom], "tz": opts.tz}).add_to(m)
    page = m.get_root().render()
    return _with_csp(page)


def _with_csp(page: str) -> str:
    """Allow only our files, qrc: and the inline scripts folium wrote (by hash)."""
    hashes = []
    for body in _INLINE_SCRIPT.findall(page):
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append(f"'sha256-{base64.b64encode(digest).decode('ascii')}'")
    csp = (
        "default-src 'none'; "
        f"script-src file: qrc: {' '.join(hashes)}; "
        "style-src file: 'unsafe-inline'; "
        "img-src file: rtcctile: data:; "
        "connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    return page.replace("<head>", "<head>\n    " + meta, 1)


def build_page(out_dir: Path, opts: PageOptions | None = None) -> Path:
    """Write ``index.html`` and its assets into ``out_dir``; return the page's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _copy_assets(out_dir)
    path = out_dir / "index.html"
    path.write_text(render_page(opts or PageOptions()), encoding="utf-8")
    return path
