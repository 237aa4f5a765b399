"""Feed text is untrusted: hostile markup in a record shows as text and runs nothing."""

from __future__ import annotations

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()

from rtcc_desktop.tiles import TileCache, TileSource  # noqa: E402
from rtcc_desktop.ui.map_page import PageOptions, attribution_html, render_page  # noqa: E402
from rtcc_desktop.ui.map_payload import encode_rows, to_page, to_page_many, to_rows  # noqa: E402
from rtcc_desktop.ui.map_view import MapView  # noqa: E402
from rtcc_desktop.ui.testing import dispose, js_eval, spin, wait_until  # noqa: E402

HOSTILE_NARRATIVE = '<img src=x onerror="window.__pwned_img=1"><script>window.__pwned_script=1</script>'
HOSTILE_TYPE = '<b onmouseover="window.__pwned_type=1">SHOTS</b><svg onload="window.__pwned_svg=1">'


@pytest.fixture
def view(qtbot, tmp_path):
    cache = TileCache(tmp_path / "tiles.mbtiles")
    v = MapView(TileSource("http://127.0.0.1:9/{z}/{x}/{y}.png", cache, offline_backoff_s=3600))
    v.resize(800, 600)
    v.show()
    assert wait_until(lambda: v.is_ready, 30)
    yield v
    v.shutdown()
    dispose(v)
    cache.close()


def pwned(view) -> dict:
    return js_eval(view, "JSON.stringify({img: typeof window.__pwned_img, script: typeof window.__pwned_script,"
                         " type: typeof window.__pwned_type, svg: typeof window.__pwned_svg, plate: typeof window.__pwned_plate,"
                         " csp: typeof window.__pwned_csp})")


def test_hostile_feed_text_is_shown_as_text_and_never_runs(view):
    records = [
        {"kind": "cad", "id": 1, "lat": 33.61, "lon": -85.83, "time": "2024-05-01T12:00:00Z", "type": HOSTILE_TYPE,
         "narrative": HOSTILE_NARRATIVE, "address": "</script><script>window.__pwned_script=1</script>", "priority": "1"},
        {"kind": "alpr", "id": 1, "lat": 33.612, "lon": -85.83, "time": "2024-05-01T12:00:00Z",
         "plate": '"><img src=x onerror=window.__pwned_plate=1>', "hot": True},
        {"kind": "camera", "id": 1, "lat": 33.611, "lon": -85.83, "name": "<iframe src=javascript:window.__pwned_img=1>",
         "owner": "<img src=x onerror=window.__pwned_img=1>", "heading": 10, "fov_deg": 60, "range_m": 50},
    ]
    view.apply_records(to_page_many(records))
    assert wait_until(lambda: view.counts.get("cad") == 1 and view.counts.get("hotlist") == 1, 15)
    for ref in ("cad:1", "alpr:1", "camera:1"):
        assert js_eval(view, f"RTCC.openPopup('{ref}')") is True
        assert wait_until(lambda: js_eval(view, "document.querySelectorAll('.leaflet-popup .rtcc-popup').length") == 1, 10)
        spin(300)  # time for any injected handler to fire
        popup = js_eval(view, "JSON.stringify({text: document.querySelector('.leaflet-popup .rtcc-popup').textContent,"
                              " imgs: document.querySelectorAll('.leaflet-popup img, .leaflet-popup script, .leaflet-popup svg,"
                              " .leaflet-popup iframe, .leaflet-popup b').length})")
        assert popup["imgs"] == 0, f"markup from {ref} became elements"
        if ref == "cad:1":
            assert HOSTILE_NARRATIVE in popup["text"] and "<b onmouseover" in popup["text"]
        if ref == "alpr:1":
            assert "onerror=window.__pwned_plate=1" in popup["text"]
    assert pwned(view) == {k: "undefined" for k in ("img", "script", "type", "svg", "plate", "csp")}
    assert view.js_errors == []


def test_hostile_text_fetched_when_a_popup_opens_is_shown_as_text(view):
    """Events travel as bare rows; the text a popup fetches later goes through the same escaping."""
    rec = {"kind": "cad", "id": 5, "lat": 33.61, "lon": -85.83, "time": "2024-05-01T12:00:00Z", "type": HOSTILE_TYPE,
           "narrative": HOSTILE_NARRATIVE, "priority": "1"}
    seq = view.apply_rows(encode_rows(to_rows([rec])))
    assert wait_until(lambda: view.last_ack == seq, 15)
    asked = []
    view.details_requested.connect(asked.append)
    assert js_eval(view, "RTCC.openPopup('cad:5')") is True
    assert wait_until(lambda: asked == ["cad:5"], 10)
    view.send_details("cad:5", {**to_page(rec), "r": "cad:6"})  # an answer for another record is ignored
    view.send_details("cad:5", to_page(rec))
    text = "(document.querySelector('.leaflet-popup .rtcc-popup') || {}).textContent || ''"
    assert wait_until(lambda: HOSTILE_NARRATIVE in js_eval(view, text), 10)
    spin(300)
    assert js_eval(view, "document.querySelectorAll('.leaflet-popup img, .leaflet-popup script, .leaflet-popup svg,"
                         " .leaflet-popup b').length") == 0
    assert "<b onmouseover" in js_eval(view, text)
    assert pwned(view) == {k: "undefined" for k in ("img", "script", "type", "svg", "plate", "csp")}
    assert view.js_errors == []


def test_content_security_policy_blocks_injected_handlers_even_via_innerhtml(view):
    """Defence in depth: if markup ever reached the DOM, the page's CSP still refuses to run it."""
    js_eval(view, "(function () { var d = document.createElement('div');"
                  " d.innerHTML = '<img src=x onerror=\"window.__pwned_csp=1\">'; document.body.appendChild(d); return 1; })()")
    spin(500)
    assert pwned(view)["csp"] == "undefined"


def test_page_has_no_remote_urls_and_escapes_attribution():
    html = render_page(PageOptions(attribution='<img src=x onerror="alert(1)"> Tiles'))
    assert "<img src=x" not in html
    assert "\\u0026lt;img src=x" in html or "&lt;img src=x" in html  # escaped (folium JSON-encodes the &)
    for needle in ("https://cdn", "jsdelivr", "cdnjs", "unpkg", "code.jquery", "bootstrap", "font-awesome", "fontawesome"):
        assert needle not in html
    assert "qrc:///qtwebchannel/qwebchannel.js" in html
    assert "Content-Security-Policy" in html
    assert attribution_html(None).startswith("&copy;")
