"""Geofences on the live map: draw mode driven by real mouse and key events in the page, checked in Python."""

from __future__ import annotations

import json

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from rtcc_desktop.analysis.geofence import Geofence  # noqa: E402
from rtcc_desktop.model.geo import haversine_m  # noqa: E402
from rtcc_desktop.ui.testing import js_eval, spin, wait_until  # noqa: E402

LAT, LON = 33.6140, -85.8350
ZOOM = 16
#: A square about 220 m across around (LAT, LON), corner by corner.
SQUARE = [(LAT - 0.001, LON - 0.0012), (LAT - 0.001, LON + 0.0012), (LAT + 0.001, LON + 0.0012), (LAT + 0.001, LON - 0.0012)]
HOSTILE = '<img src=x onerror="window.__pwned=1">Evil & <b>Co</b>'

# A real DOM mouse event at the pixel where (lat, lon) is drawn, on whatever element is there
# (the points canvas, a fence, a marker), so it takes the same path as the analyst's click.
MOUSE_JS = """(function (lat, lon, type) {
  var m = RTCC.map, p = m.latLngToContainerPoint([lat, lon]), r = m.getContainer().getBoundingClientRect();
  var x = r.left + p.x, y = r.top + p.y, t = document.elementFromPoint(x, y);
  if (!t) { return 'nothing at ' + x + ',' + y; }
  t.dispatchEvent(new MouseEvent(type, {clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, button: 0,
                                        detail: type === 'dblclick' ? 2 : 1}));
  return t.tagName;
})(%r, %r, %r)"""
KEY_JS = "document.dispatchEvent(new KeyboardEvent('keydown', {key: %r, bubbles: true, cancelable: true})); true"


def mouse(view, lat: float, lon: float, kind: str = "click") -> str:
    return js_eval(view, MOUSE_JS % (lat, lon, kind))


def key(view, name: str) -> None:
    js_eval(view, KEY_JS % name)


def draw_state(view) -> dict:
    return js_eval(view, "JSON.stringify(RTCC.drawState())")


def zoom_to(view, lat: float, lon: float, zoom: int) -> None:
    view.set_view(lat, lon, zoom)
    assert wait_until(lambda: js_eval(view, "JSON.stringify([RTCC.map.getZoom(), !!RTCC.map._animatingZoom])") == [zoom, False], 10)
    spin(50)


def start_drawing(view, shape: str) -> None:
    view.draw_geofence(shape)
    assert wait_until(lambda: draw_state(view)["shape"] == shape, 10)


@pytest.fixture
def view(view):
    """The shared ready map (tests/ui/conftest.py), zoomed in on the test square."""
    zoom_to(view, LAT, LON, ZOOM)
    return view


@pytest.fixture
def events(view):
    """What the map told Python: drawn shapes, refusals, cancels, delete requests."""
    got: dict[str, list] = {"drawn": [], "rejected": [], "cancelled": [], "delete": []}
    view.geofence_drawn.connect(got["drawn"].append)
    view.geofence_rejected.connect(got["rejected"].append)
    view.geofence_draw_cancelled.connect(lambda: got["cancelled"].append(True))
    view.geofence_delete_requested.connect(got["delete"].append)
    return got


def test_polygon_drawn_with_clicks_backspace_and_the_first_vertex(view, events):
    # A CAD incident sits on one corner: while drawing, clicking it adds a corner instead of opening it.
    view.apply_records([{"k": "cad", "r": "cad:1", "la": SQUARE[2][0], "lo": SQUARE[2][1], "t": None, "cls": "p1", "ti": "X"}])
    assert wait_until(lambda: view.counts.get("cad") == 1, 10)
    start_drawing(view, "polygon")
    assert view.drawing == "polygon"
    for lat, lon in SQUARE:
        mouse(view, lat, lon)
    mouse(view, LAT + 0.0005, LON)  # a stray corner ...
    assert draw_state(view)["points"] == 5
    key(view, "Backspace")  # ... taken back
    st = draw_state(view)
    assert st["points"] == 4 and "Backspace removes the last point" in st["hint"]
    assert js_eval(view, "document.querySelector('.leaflet-popup') === null")  # the incident's popup did not open
    mouse(view, *SQUARE[0])  # click the first corner: done
    assert wait_until(lambda: events["drawn"], 10)
    drawn = events["drawn"][0]
    assert drawn["shape"] == "polygon" and len(drawn["points"]) == 4
    for (lat, lon), (want_lat, want_lon) in zip(drawn["points"], SQUARE):
        assert haversine_m(lat, lon, want_lat, want_lon) < 5  # within a pixel or two at zoom 16
    st = draw_state(view)
    assert st["shape"] is None and st["pending"] is True  # shown dashed until Python saves it
    assert view.drawing is None and events["rejected"] == [] and view.js_errors == []
    # Python's answer (the saved fences) replaces the pending shape.
    view.set_geofences([Geofence("Square", points=tuple(SQUARE))])
    assert wait_until(lambda: view.counts.get("geofence") == 1, 10)
    assert draw_state(view)["pending"] is False


def test_polygon_finishes_on_double_click_or_enter(view, events):
    start_drawing(view, "polygon")
    for lat, lon in SQUARE[:3]:
        mouse(view, lat, lon)
    mouse(view, *SQUARE[3])  # a browser double-click: click, click, dblclick at one spot
    mouse(view, *SQUARE[3])
    mouse(view, *SQUARE[3], "dblclick")
    assert wait_until(lambda: len(events["drawn"]) == 1, 10)
    assert len(events["drawn"][0]["points"]) == 4  # the double-click added one corner, not two
    start_drawing(view, "polygon")
    for lat, lon in SQUARE[:2]:
        mouse(view, lat, lon)
    key(view, "Enter")  # too few corners: keeps drawing and says so
    assert draw_state(view)["shape"] == "polygon" and "at least 3 points" in draw_state(view)["hint"]
    mouse(view, *SQUARE[2])
    key(view, "Enter")
    assert wait_until(lambda: len(events["drawn"]) == 2, 10)
    assert len(events["drawn"][1]["points"]) == 3
    assert js_eval(view, "RTCC.map.doubleClickZoom.enabled()") is True  # given back after drawing


def test_circle_shows_its_radius_and_esc_cancels(view, events):
    start_drawing(view, "circle")
    mouse(view, LAT, LON)
    edge = (LAT + 0.0027, LON)  # ~300 m north
    mouse(view, *edge, "mousemove")
    st = draw_state(view)
    assert st["center"] and 290 < st["radius"] < 310
    label = js_eval(view, "(document.querySelector('.rtcc-draw-label') || {}).textContent || ''")
    assert label.startswith(f"{round(st['radius'])} m"), label
    assert f"radius {round(st['radius'])} m" in st["hint"]
    mouse(view, *edge)
    assert wait_until(lambda: events["drawn"], 10)
    c = events["drawn"][0]
    assert c["shape"] == "circle" and haversine_m(c["center"][0], c["center"][1], LAT, LON) < 5
    assert abs(c["radius_m"] - haversine_m(LAT, LON, *edge)) < 5
    # Esc leaves draw mode, drops the half-drawn circle and tells Python; nothing is drawn.
    start_drawing(view, "circle")
    mouse(view, LAT, LON)
    key(view, "Escape")
    assert wait_until(lambda: events["cancelled"], 10)
    st = draw_state(view)
    assert st["shape"] is None and st["pending"] is False and view.drawing is None
    mouse(view, *edge)  # clicks after a cancel draw nothing
    spin(200)
    assert len(events["drawn"]) == 1
    assert js_eval(view, "document.querySelectorAll('.rtcc-draw-hint')[0].style.display") == "none"
    # Python can cancel too (the panel's button, the window's Esc).
    start_drawing(view, "polygon")
    view.cancel_geofence_draw()
    assert wait_until(lambda: len(events["cancelled"]) == 2, 10)
    assert draw_state(view)["shape"] is None


@pytest.mark.parametrize("payload, why", [
    ('{"shape": "circle", "center": [NaN, -85.8], "radius_m": 100}', "not a finite number"),
    ('{"shape": "polygon", "points": [[33.61, -85.83], [33.62, -85.83]]}', "at least 3 distinct points"),
    ('{"shape": "polygon", "points": [[33.61, -85.83], [33.62, -85.83], [33.61, -85.83], [33.62, -85.83]]}', "at least 3 distinct points"),
    ('{"shape": "polygon", "points": [[33.61, -85.83], [33.62, -85.83], [33.63, -85.83]]}', "on one line"),
    ('{"shape": "circle", "center": [33.61, -85.83], "radius_m": 5e7}', "between 5 m and 50 km"),
    ('{"shape": "circle", "center": [33.61, -85.83], "radius_m": Infinity}', "not a finite number"),
    ('{"shape": "circle", "center": [133.61, -85.83], "radius_m": 100}', "not a valid lat/lon"),
    ('{"shape": "hexagon"}', "unknown shape"),
    ("not json at all", "not valid JSON"),
])
def test_bad_shapes_from_the_page_are_refused_with_a_reason(view, events, payload, why):
    js_eval(view, f"RTCC._call('geofenceDrawn', {json.dumps(payload)}); true")  # as a hostile page would send it
    assert wait_until(lambda: events["rejected"], 10)
    assert why in events["rejected"][0] and "Nothing was saved" in events["rejected"][0]
    assert events["drawn"] == []


def test_fences_are_drawn_with_text_labels_toggle_and_offer_delete(view, events):
    fences = [Geofence(HOSTILE, points=tuple(SQUARE)),
              Geofence("Park", center=(LAT + 0.003, LON), radius_m=150.0, kinds=("gunshot",), active=False)]
    view.set_geofences(fences)
    assert wait_until(lambda: view.counts.get("geofence") == 2, 10)
    shown = {f["name"]: f for f in js_eval(view, "JSON.stringify(RTCC.fences())")}
    assert shown[HOSTILE]["label"] == HOSTILE and "&lt;img" in shown[HOSTILE]["labelHtml"]  # text, not markup
    assert shown["Park"]["shape"] == "circle" and shown["Park"]["active"] is False
    assert js_eval(view, "document.querySelectorAll('.leaflet-container img[src=\"x\"], .leaflet-container b').length") == 0
    assert js_eval(view, "typeof window.__pwned") == "undefined"
    # The layer control has a "Geofences" entry, and Python can hide the layer.
    assert "Geofences" in js_eval(view, "document.querySelector('.leaflet-control-layers').textContent")
    view.set_layers({"geofence": False})
    assert wait_until(lambda: js_eval(view, "JSON.stringify(RTCC.visibleLayers())")["geofence"] is False, 10)
    view.set_layers({"geofence": True})
    assert wait_until(lambda: js_eval(view, "JSON.stringify(RTCC.visibleLayers())")["geofence"] is True, 10)
    # A click inside a fence opens its popup (name as text, rule, delete) ...
    mouse(view, LAT, LON + 0.0005)
    assert wait_until(lambda: js_eval(view, "!!document.querySelector('.rtcc-fence-popup')"), 10)
    text = js_eval(view, "document.querySelector('.rtcc-fence-popup').textContent")
    assert HOSTILE in text and "gunshots, incidents P1–P2" in text and "Polygon, 4 points" in text
    assert js_eval(view, "document.querySelectorAll('.rtcc-fence-popup img, .rtcc-fence-popup b').length") == 0
    # ... and its Delete button asks Python (which asks the analyst) to delete it.
    js_eval(view, "document.querySelector('.rtcc-fence-popup .rtcc-btn-danger').click(); true")
    assert wait_until(lambda: events["delete"] == [HOSTILE], 10)
    # The disabled one says so, with its radius.
    js_eval(view, "RTCC.openFence('Park') !== null")
    assert wait_until(lambda: "Geofence (disabled)" in (js_eval(view, "(document.querySelector('.rtcc-fence-popup') || {}).textContent || ''")), 10)
    assert "radius 150 m" in js_eval(view, "document.querySelector('.rtcc-fence-popup').textContent")
    # While drawing, a click inside a fence adds a corner instead of opening the popup.
    js_eval(view, "RTCC.map.closePopup(); true")
    assert wait_until(lambda: js_eval(view, "document.querySelector('.rtcc-fence-popup') === null"), 10)  # faded out
    start_drawing(view, "polygon")
    mouse(view, LAT, LON + 0.0005)
    assert draw_state(view)["points"] == 1
    spin(300)
    assert js_eval(view, "document.querySelector('.rtcc-fence-popup') === null")
    assert view.js_errors == []


def test_right_click_starts_drawing_from_that_point(view, events):
    mouse(view, LAT, LON, "contextmenu")
    assert wait_until(lambda: js_eval(view, "!!document.querySelector('.rtcc-ctx')"), 10)
    js_eval(view, "Array.prototype.slice.call(document.querySelectorAll('.rtcc-ctx button'))"
                  ".filter(function (b) { return b.textContent.indexOf('circle') >= 0; })[0].click(); true")
    assert wait_until(lambda: view.drawing == "circle", 10)  # the page told Python it is drawing
    assert draw_state(view)["center"] is True
    assert wait_until(lambda: js_eval(view, "document.querySelector('.rtcc-ctx') === null"), 10)  # menu faded out
    mouse(view, LAT + 0.0018, LON)
    assert wait_until(lambda: events["drawn"], 10)
    assert 190 < events["drawn"][0]["radius_m"] < 210
