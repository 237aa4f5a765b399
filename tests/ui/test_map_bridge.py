"""The live map: deltas in, markers on the page; clicks on the page, selections in Python."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rtcc_desktop.ui.tile_scheme import register_schemes

register_schemes()  # before pytest-qt creates the QApplication

from rtcc_desktop.model.priority import priority_class  # noqa: E402
from rtcc_desktop.model.timeutil import to_iso, utc_now  # noqa: E402
from rtcc_desktop.model.validate import FeedContext, normalise  # noqa: E402
from rtcc_desktop.store import open_store  # noqa: E402
from rtcc_desktop.tiles import TileCache, TileSource  # noqa: E402
from rtcc_desktop.ui.bus import Bus  # noqa: E402
from rtcc_desktop.ui.map_controller import MapController  # noqa: E402
from rtcc_desktop.ui.map_payload import cone_polygon, encode_rows, to_page, to_page_many, to_rows  # noqa: E402
from rtcc_desktop.ui.map_view import MapView  # noqa: E402
from rtcc_desktop.ui.store_worker import StoreWorker  # noqa: E402
from rtcc_desktop.ui.testing import dispose, js_eval, spin, wait_until  # noqa: E402

LAT, LON = 33.6140, -85.8350


def ago(minutes: float) -> str:
    return to_iso(utc_now() - timedelta(minutes=minutes))


def rec(kind: str, **raw):
    return normalise(raw, FeedContext(source="test", kind=kind, agency="TEST PD"))


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cache.sqlite"
    store = open_store(path)
    store.upsert("cad", [
        rec("cad", source_id="C1", time=ago(5), lat=LAT, lon=LON, type="SHOTS FIRED", priority="1", address="100 Main St"),
        rec("cad", source_id="C2", time=ago(30), lat=LAT + 0.002, lon=LON, type="THEFT", priority="3"),
        rec("cad", source_id="OLD", time=ago(60 * 30), lat=LAT, lon=LON + 0.01, type="OLD CALL", priority="2"),
    ])
    store.upsert("gunshot", [rec("gunshot", source_id="G1", time=ago(4), lat=LAT + 0.0003, lon=LON, rounds=4)])
    store.upsert("alpr", [rec("alpr", source_id="A1", time=ago(3), lat=LAT, lon=LON + 0.001, plate="ABC123", state="AL")])
    store.upsert("camera", [
        rec("camera", source_id="CAM1", lat=LAT - 0.0005, lon=LON, heading=0, fov_deg=60, range_m=150, name="Main St cam",
            ownership="public", access="live", stream_url="http://127.0.0.1:9/x.mjpg"),
        rec("camera", source_id="CAM2", lat=LAT + 0.0005, lon=LON, heading=0, fov_deg=60, range_m=150, name="Looks away",
            ownership="private", access="request"),
    ])
    store.close()
    return path


@pytest.fixture
def live_map(qtbot, view, db):
    bus = Bus()
    worker = StoreWorker(db, name="rtcc-store-map-test")
    ctl = MapController(view, bus, worker)
    ctl.start()
    assert wait_until(lambda: view.counts.get("camera") == 2 and view.counts.get("cad", 0) >= 2, 20), view.counts
    yield bus, ctl, db
    ctl.stop()
    worker.stop()


def stats(view):
    return js_eval(view, "JSON.stringify(RTCC.stats())")


def test_delta_in_gives_markers_on_the_page(view):
    records = [{"kind": "cad", "id": i, "lat": LAT + i * 1e-4, "lon": LON, "time": ago(1), "priority": "2", "type": "X"} for i in range(1, 201)]
    # A bulk load in chunks flagged "more" is applied once its last chunk is in.
    view.apply_records(to_page_many(records[:50]), more=True)
    records += [{"kind": "gunshot", "id": 1, "lat": LAT, "lon": LON, "time": ago(1), "rounds": 3}]
    records += [{"kind": "alpr", "id": 1, "lat": LAT, "lon": LON, "time": ago(1), "plate": "HOT1", "hot": True},
                {"kind": "alpr", "id": 2, "lat": LAT, "lon": LON, "time": ago(1), "plate": "COLD1"}]
    records += [{"kind": "camera", "id": 1, "lat": LAT, "lon": LON, "heading": 90, "fov_deg": 70, "range_m": 80, "access": "live"}]
    seq = view.apply_records(to_page_many(records[50:]))
    assert wait_until(lambda: view.counts.get("cad") == 200, 20)
    s = stats(view)
    assert (s["cad"], s["gunshot"], s["alpr"], s["hotlist"], s["camera"], s["cones"]) == (200, 1, 1, 1, 1, 1)
    assert s["heat"] == 201  # CAD and gunshots feed the heat layer
    # Re-sending a record updates it in place: no duplicate marker.
    view.apply_records(to_page_many(records[:10]))
    assert wait_until(lambda: view._seq > seq and stats(view)["cad"] == 200, 10)
    view.prune(since_ms=None, until_ms=0)  # until=0 (1970): every timed marker is outside the window
    assert wait_until(lambda: stats(view)["cad"] == 0, 10)
    assert stats(view)["camera"] == 1  # cameras have no time and stay
    assert view.js_errors == []


def zoom_to(view, lat: float, lon: float, zoom: int) -> None:
    """Set the view and wait for the zoom animation to end (Leaflet ignores a new view while it runs)."""
    view.set_view(lat, lon, zoom)
    assert wait_until(lambda: js_eval(view, "JSON.stringify([RTCC.map.getZoom(), !!RTCC.map._animatingZoom])") == [zoom, False], 10)
    spin(50)


def test_clusters_grown_delta_by_delta_match_one_pass(view):
    """Deltas of compact rows extend the clustering of every zoom already seen; the result must equal one pass over all."""
    import random

    rng = random.Random(3)
    next_id = 1
    kinds = ("cad", "cad", "alpr", "gunshot")
    for zoom, size in ((13, 3000), (15, 500), (11, 50), (13, 1)):
        batch = [{"kind": kinds[i % 4], "id": next_id + i, "lat": LAT + rng.gauss(0, 0.01), "lon": LON + rng.gauss(0, 0.01),
                  "time": ago(1), "priority": str(i % 5)} for i in range(size)]
        next_id += size
        seq = view.apply_rows(encode_rows(to_rows(batch)))
        assert wait_until(lambda: view.last_ack == seq, 30)
        zoom_to(view, LAT, LON, zoom)  # the page clusters the new zoom level when it draws it
    check = js_eval(view, "JSON.stringify(RTCC.checkClusterBounds())")
    assert check["compared"] >= 6 and check["worst"] < 1e-9, check  # zoom 11, 13 and 15 of each of three kinds
    view.prune(since_ms=None, until_ms=0)  # removals start the clustering again from scratch
    seq = view.apply_rows(encode_rows(to_rows([{"kind": "cad", "id": 99999, "lat": LAT, "lon": LON, "time": ago(1)}])))
    assert wait_until(lambda: view.last_ack == seq and view.counts.get("cad") == 1, 10)
    check = js_eval(view, "JSON.stringify(RTCC.checkClusterBounds())")
    assert check["compared"] >= 1 and check["worst"] < 1e-9, check
    assert view.js_errors == []


def click_at(view, x: float, y: float) -> str:
    """A real DOM click at container pixel (x, y), on whatever the page has there; returns that element's tag."""
    return js_eval(view, f"(function () {{ var r = RTCC.map.getContainer().getBoundingClientRect(), x = r.left + {x}, y = r.top + {y};"
                         " var el = document.elementFromPoint(x, y);"
                         " ['mousedown', 'mouseup', 'click'].forEach(function (t) { el.dispatchEvent(new MouseEvent(t,"
                         " {bubbles: true, cancelable: true, clientX: x, clientY: y, button: 0})); });"
                         " return el.tagName; })()")


def test_rows_are_drawn_as_points_and_clusters_that_answer_clicks(view):
    """Compact rows: clusters and lone points on the canvas; a click opens a popup whose text comes later from Python."""
    near = [{"kind": "cad", "id": i, "lat": LAT + i * 2e-5, "lon": LON, "time": ago(1), "priority": "1"} for i in range(1, 21)]
    alone = {"kind": "gunshot", "id": 7, "lat": LAT - 0.01, "lon": LON - 0.012, "time": ago(2), "rounds": 5,
             "address": "<b>200 Oak Ave</b>"}
    hot = {"kind": "alpr", "id": 3, "lat": LAT + 0.01, "lon": LON + 0.01, "time": ago(3), "plate": "HOT9", "hot": True}
    rows = to_rows([*near, alone, hot])
    assert [r[0] for r in rows] == [0] * 20 + [1, 2] and rows[0][5] == 1 and rows[-1][5] == 1
    assert "200 Oak" not in encode_rows(rows)  # rows carry no feed text
    seq = view.apply_rows(encode_rows(rows))
    assert wait_until(lambda: view.last_ack == seq, 20)
    assert (view.counts["cad"], view.counts["gunshot"], view.counts["hotlist"], view.counts["heat"]) == (20, 1, 1, 21)
    zoom_to(view, LAT - 0.005, LON - 0.006, 14)
    drawn = js_eval(view, "JSON.stringify(RTCC.drawn())")
    assert [(c["kind"], c["n"]) for c in drawn["clusters"]] == [("cad", 20)]
    point = next(p for p in drawn["points"] if p["ref"] == "gunshot:7")

    hover = (f"(function () {{ var r = RTCC.map.getContainer().getBoundingClientRect(), x = r.left + {point['at'][0]},"
             f" y = r.top + {point['at'][1]}, el = document.elementFromPoint(x, y);"
             " el.dispatchEvent(new MouseEvent('mousemove', {bubbles: true, clientX: x, clientY: y}));"
             " return el.classList.contains('leaflet-interactive'); })()")
    assert wait_until(lambda: js_eval(view, hover) is True, 10)  # the pointer cursor over a point

    heard = []
    view.details_requested.connect(heard.append)
    assert click_at(view, *point["at"]) == "CANVAS"
    assert wait_until(lambda: heard == ["gunshot:7"], 10)  # the popup asked Python for the text
    popup = "(document.querySelector('.leaflet-popup .rtcc-popup') || {}).textContent || ''"
    assert wait_until(lambda: "Loading details" in js_eval(view, popup), 10)
    assert "Gunshot detection" in js_eval(view, popup)
    view.send_details("gunshot:7", to_page({**alone, "id": 7}))
    assert wait_until(lambda: "<b>200 Oak Ave</b>" in js_eval(view, popup), 10)  # feed text, shown as text
    assert js_eval(view, "document.querySelectorAll('.leaflet-popup b').length") == 0
    assert "Loading details" not in js_eval(view, popup)

    cluster = drawn["clusters"][0]
    click_at(view, *cluster["at"])  # a cluster zooms in to its points
    assert wait_until(lambda: js_eval(view, "RTCC.map.getZoom()") > 14, 10)
    view.set_layers({"cad": False})
    assert wait_until(lambda: js_eval(view, "JSON.stringify(RTCC.drawn())")["clusters"] == [], 10)
    assert view.js_errors == []


def test_times_show_in_the_centres_zone(qtbot, tmp_path):
    from rtcc_desktop.ui.map_page import PageOptions

    cache = TileCache(tmp_path / "tz.mbtiles")
    v = MapView(TileSource("http://127.0.0.1:9/{z}/{x}/{y}.png", cache), options=PageOptions(tz="America/Chicago"))
    try:
        assert wait_until(lambda: v.is_ready, 30)
        assert js_eval(v, "RTCC.fmtTime(Date.UTC(2024, 6, 1, 17, 30, 5))") == "2024-07-01 12:30:05 CDT"
        v.set_time_zone("UTC")
        assert wait_until(lambda: js_eval(v, "RTCC.fmtTime(Date.UTC(2024, 6, 1, 17, 30, 5))") == "2024-07-01 17:30:05 UTC", 10)
    finally:
        v.shutdown()
        dispose(v)
        cache.close()


def test_messages_sent_before_the_page_is_ready_are_queued(qtbot, tiles):
    v = MapView(tiles)
    try:
        v.apply_records(to_page_many([{"kind": "gunshot", "id": 9, "lat": LAT, "lon": LON, "time": ago(1)}]))
        assert not v.is_ready and v.queued == 1
        assert wait_until(lambda: v.is_ready, 30)
        assert v.queued == 0
        assert wait_until(lambda: v.counts.get("gunshot") == 1, 10)
    finally:
        v.shutdown()
        dispose(v)


def test_controller_loads_the_window_and_pulls_deltas(qtbot, live_map):
    bus, ctl, db = live_map
    view = ctl.view
    assert view.counts["cad"] == 2  # the 30-hour-old call is outside the 24 h window
    assert (view.counts["gunshot"], view.counts["alpr"]) == (1, 1)
    store = open_store(db)
    result = store.upsert("cad", [rec("cad", source_id="C3", time=ago(1), lat=LAT, lon=LON, type="NEW CALL")])
    store.close()
    bus.notify_store_change("cad", result.max_rowid)
    assert wait_until(lambda: view.counts.get("cad") == 3, 10)
    bus.set_preset("15m")
    assert wait_until(lambda: view.counts.get("cad") == 2, 10)  # C2 (30 min ago) leaves the window
    assert view.counts["camera"] == 2


def test_click_select_on_the_page_reaches_python(qtbot, live_map):
    bus, ctl, _db = live_map
    view = ctl.view
    heard = []
    bus.selected.connect(heard.append)
    ref = "cad:1"
    assert js_eval(view, f"RTCC.openPopup('{ref}')") is True
    assert wait_until(lambda: js_eval(view, "document.querySelectorAll('.leaflet-popup .rtcc-btn-primary').length") == 1, 10)
    js_eval(view, "document.querySelector('.leaflet-popup .rtcc-btn-primary').click(); true")
    assert wait_until(lambda: heard == [ref], 10)
    # ...and Python's selection comes back to the page as a ring.
    assert wait_until(lambda: stats(view)["selected"] == 1, 10)
    bus.clear_selection()
    assert wait_until(lambda: stats(view)["selected"] == 0, 10)


def test_popup_text_comes_from_the_store_when_the_popup_opens(qtbot, live_map):
    _bus, ctl, _db = live_map
    view = ctl.view
    assert js_eval(view, "JSON.stringify(RTCC._recs()['cad:1'].f)") is None  # events arrive without their text
    assert js_eval(view, "RTCC.openPopup('cad:1')") is True
    popup = "(document.querySelector('.leaflet-popup .rtcc-popup') || {}).textContent || ''"
    assert wait_until(lambda: "100 Main St" in js_eval(view, popup), 10)
    text = js_eval(view, popup)
    assert "SHOTS FIRED" in text and "CAD incident" in text and "Loading" not in text


def test_selection_from_python_highlights_and_pans(qtbot, live_map):
    bus, ctl, _db = live_map
    view = ctl.view
    view.set_view(10.0, 10.0, 12)
    bus.select("gunshot:1")
    assert wait_until(lambda: stats(view)["selected"] == 1, 10)
    centre = js_eval(view, "JSON.stringify(RTCC.map.getCenter())")
    assert abs(centre["lat"] - LAT) < 0.05 and abs(centre["lng"] - LON) < 0.05


def test_bridge_ignores_malformed_calls_from_the_page(qtbot, live_map):
    bus, ctl, _db = live_map
    view = ctl.view
    heard = []
    bus.selected.connect(heard.append)
    view.record_selected.connect(heard.append)
    js_eval(view, "new QWebChannel(qt.webChannelTransport, function (c) { var b = c.objects.bridge;"
                  " b.select('cad:1 OR 1=1'); b.select('<img src=x>'); b.camerasNear(999, 0); b.viewChanged('{bad json');"
                  " window.__calls = 'done'; }); true")
    assert wait_until(lambda: js_eval(view, "window.__calls || ''") == "done", 10)
    assert heard == []


def test_cameras_that_see_this_uses_field_of_view(qtbot, live_map):
    bus, ctl, _db = live_map
    view = ctl.view
    got = []
    bus.cameras_requested.connect(lambda cams, why: got.append((cams, why)))
    assert js_eval(view, "RTCC.openPopup('cad:1')") is True
    assert wait_until(lambda: js_eval(view, "document.querySelectorAll('.leaflet-popup .rtcc-btn').length") >= 3, 10)
    js_eval(view, "Array.from(document.querySelectorAll('.leaflet-popup .rtcc-btn'))"
                  ".find(function (b) { return b.textContent === 'Cameras that see this'; }).click(); true")
    assert wait_until(lambda: bool(got), 10)
    cams, why = got[0]
    assert [c["name"] for c in cams] == ["Main St cam"]  # the other camera is as near but looks away
    assert why == "cameras that see cad:1"
    assert wait_until(lambda: stats(view)["highlighted"] >= 2, 10)


def test_right_click_search_around_here(qtbot, live_map):
    bus, ctl, _db = live_map
    view = ctl.view
    results = []
    bus.results_ready.connect(lambda title, rows: results.append((title, rows)))
    js_eval(view, f"RTCC.map.fire('contextmenu', {{latlng: L.latLng({LAT}, {LON}), originalEvent: {{}}}}); true")
    # cameras near here, search around here, then the two "draw geofence" entries
    assert wait_until(lambda: js_eval(view, "document.querySelectorAll('.rtcc-ctx .rtcc-btn').length") == 4, 10)
    js_eval(view, "document.querySelectorAll('.rtcc-ctx .rtcc-btn')[1].click(); true")
    assert wait_until(lambda: bool(results), 10)
    title, rows = results[0]
    assert "within 250 m" in title
    refs = {f"{r['kind']}:{r['id']}" for r in rows}
    assert {"cad:1", "gunshot:1", "alpr:1"} <= refs and "cad:3" not in refs


def test_heat_and_layer_toggles(qtbot, live_map):
    _bus, ctl, _db = live_map
    view = ctl.view
    view.set_heat(True)
    assert wait_until(lambda: stats(view)["heat_on"] is True, 10)
    view.set_layers({"alpr": False, "bogus": True})
    assert wait_until(lambda: js_eval(view, "JSON.stringify(RTCC.visibleLayers())")["alpr"] is False, 10)
    assert view.layers["heat"] is True and "bogus" not in view.layers
    assert view.js_errors == []


def test_compact_rows():
    t = "2024-05-01T12:00:00Z"
    assert to_rows([
        {"kind": "cad", "id": 4, "lat": 33.6140004, "lon": -85.8350004, "time": t, "priority": "P2", "narrative": "secret text"},
        {"kind": "cad", "id": 5, "lat": LAT, "lon": LON, "time": None, "priority": None},
        {"kind": "gunshot", "id": 6, "lat": LAT, "lon": LON, "time": t},
        {"kind": "alpr", "id": 7, "lat": LAT, "lon": LON, "time": t, "plate": "ABC1", "hot": True},
        {"kind": "alpr", "id": 8, "lat": LAT, "lon": LON, "time": t, "plate": "ABC2"},
        {"kind": "camera", "id": 9, "lat": LAT, "lon": LON},  # cameras travel as full records
        {"kind": "cad", "id": 10, "lat": float("nan"), "lon": LON},
        {"kind": "cad", "id": 11, "lat": None, "lon": LON},
    ]) == [[0, 4, 33.614, -85.835, 1714564800, 2], [0, 5, LAT, LON, None, 0], [1, 6, LAT, LON, 1714564800, 0],
           [2, 7, LAT, LON, 1714564800, 1], [2, 8, LAT, LON, 1714564800, 0]]
    assert to_rows([{"kind": "alpr", "id": 1, "lat": LAT, "lon": LON, "plate": "xyz9"}], hot_plates={"XYZ9"})[0][5] == 1


def test_payload_styles_and_cones():
    assert [priority_class(p) for p in ("1", "P2", "3", "high", "Low", None, "??")] == ["p1", "p2", "p3", "p1", "p4", "p0", "p0"]
    cone = cone_polygon(LAT, LON, 90, 60, 100)
    assert cone[0] == [round(LAT, 6), round(LON, 6)] and len(cone) > 5
    assert all(p[1] >= LON for p in cone)  # looking east
    assert cone_polygon(LAT, LON, None, 60, 100) == []
    cam = to_page({"kind": "camera", "id": 3, "lat": LAT, "lon": LON, "stream_url": "rtsp://user:secret@cam/1", "name": "C"})
    assert "secret" not in repr(cam)  # stream URLs (and their credentials) never go to the page
    assert to_page({"kind": "cad", "id": 1, "lat": None, "lon": None}) is None
