import math

import pytest

from rtcc_desktop.model.geo import BBox, angle_diff_deg, bearing_deg, box_around, destination, haversine_m


def test_haversine_known_distance():
    # Washington Monument -> US Capitol: about 2.43 km (hand-checked on a map)
    d = haversine_m(38.8895, -77.0353, 38.8899, -77.0091)
    assert 2250 < d < 2300
    assert haversine_m(10, 10, 10, 10) == 0


def test_one_degree_latitude_is_about_111_km():
    assert math.isclose(haversine_m(0, 0, 1, 0), 111_195, rel_tol=1e-3)


def test_bearing_cardinal_directions():
    assert bearing_deg(0, 0, 1, 0) == pytest.approx(0)
    assert bearing_deg(0, 0, 0, 1) == pytest.approx(90)
    assert bearing_deg(0, 0, -1, 0) == pytest.approx(180)
    assert bearing_deg(0, 0, 0, -1) == pytest.approx(270)


def test_box_around_contains_every_point_at_radius():
    lat, lon = 47.6, -122.3
    box = box_around(lat, lon, 500)
    for b in range(0, 360, 15):
        plat, plon = destination(lat, lon, b, 499)
        assert box.contains(plat, plon)
        assert haversine_m(lat, lon, plat, plon) == pytest.approx(499, abs=0.5)


def test_angle_diff_wraps():
    assert angle_diff_deg(350, 10) == pytest.approx(20)
    assert angle_diff_deg(10, 350) == pytest.approx(20)
    assert angle_diff_deg(0, 180) == pytest.approx(180)


@pytest.mark.parametrize(
    "text,msg",
    [("1,2,3", "4 numbers"), ("a,b,c,d", "numbers"), ("10,0,5,1", "west<east"), ("0,0,1,200", "out of range")],
)
def test_bbox_parse_errors_are_clear(text, msg):
    with pytest.raises(ValueError, match=msg):
        BBox.parse(text)


def test_bbox_parse_ok():
    assert BBox.parse("-86,33.5,-85.7,33.7") == BBox(-86, 33.5, -85.7, 33.7)
