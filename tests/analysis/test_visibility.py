"""Which cameras can see an incident, checked against geometry worked out by hand.

Hand figures (sphere radius R = 6 371 008.8 m, as model.geo uses):
  1e-3 degree of latitude = R * pi/180 * 1e-3 = 111.195 m, anywhere.
  1e-3 degree of longitude at latitude 33.614 = 111.195 * cos(33.614°)
      = 111.195 * 0.83278 = 92.60 m.
The incident P is at (33.6140, -85.8350) (Oxford, Alabama).
"""

from __future__ import annotations

import pytest

from rtcc_desktop.analysis.visibility import cameras_seeing, judge

P = (33.6140, -85.8350)


def cam(name, dlat=0.0, dlon=0.0, heading=None, fov=60.0, range_m=150.0, **extra):
    return {
        "name": name,
        "lat": P[0] + dlat,
        "lon": P[1] + dlon,
        "heading": heading,
        "fov_deg": fov,
        "range_m": range_m,
        **extra,
    }


def test_camera_looking_at_the_point_sees_it():
    # Camera 0.001° south of P: 111.2 m away, P bears due north (0°); it looks north ±30°.
    s = judge(*P, cam("south, looking north", dlat=-0.001, heading=0))
    assert s.in_view and s.sure
    assert s.distance_m == pytest.approx(111.195, abs=0.05)
    assert s.bearing_deg == pytest.approx(0.0, abs=0.01)


def test_camera_looking_away_does_not_see_it():
    # Same place, looking east (90°): P at bearing 0° is 90° off axis, outside ±30°.
    s = judge(*P, cam("south, looking east", dlat=-0.001, heading=90))
    assert not s.in_view
    assert "outside field of view" in s.reason


@pytest.mark.parametrize(
    ("heading", "fov", "in_view"),
    [
        # Camera 0.0005° west of P: 46.30 m; P bears 90° (east, to within 0.001°).
        (100, 30, True),  # 10° off axis, half-fov 15° → in
        (110, 30, False),  # 20° off > 15° → out
        (90, 1, True),  # dead on with a 1° lens
        (270, 359, False),  # looking the other way: 180° off > half-fov 179.5° → out
        (270, 360, True),  # a 360° camera sees every bearing
    ],
)
def test_field_of_view_edges(heading, fov, in_view):
    s = judge(*P, cam("west", dlon=-0.0005, heading=heading, fov=fov))
    assert s.distance_m == pytest.approx(46.30, abs=0.05)
    assert s.bearing_deg == pytest.approx(90.0, abs=0.01)
    assert s.in_view is in_view


def test_heading_wraps_around_north():
    # P due north (bearing 0°) of a camera 0.001° south of it.
    # Heading 350°, fov 30°: 0° is 10° off axis (across north) → in.
    assert judge(*P, cam("a", dlat=-0.001, heading=350, fov=30)).in_view
    # Heading 340°: 20° off → out. Heading -10 means 350 → in.
    assert not judge(*P, cam("b", dlat=-0.001, heading=340, fov=30)).in_view
    assert judge(*P, cam("c", dlat=-0.001, heading=-10, fov=30)).in_view


def test_range_default_and_max_range():
    # 0.002° north: 222.4 m, looking south at P.
    far = cam("far, range 150", dlat=0.002, heading=180)
    long_lens = cam("far, range 250", dlat=0.002, heading=180, range_m=250)
    # 0.0014° north: 155.7 m; no range given → default 150 m → too far.
    default = cam("no range given", dlat=0.0014, heading=180, range_m=None)
    # 0.003° north: 333.6 m: beyond the 300 m search radius, not listed at all.
    beyond = cam("beyond search", dlat=0.003, heading=180, range_m=500)
    got = {s.camera["name"]: s for s in cameras_seeing(*P, [far, long_lens, default, beyond])}
    assert set(got) == {"far, range 150", "far, range 250", "no range given"}
    assert got["far, range 250"].in_view
    assert got["far, range 250"].distance_m == pytest.approx(222.39, abs=0.05)
    assert not got["far, range 150"].in_view and "beyond camera range (222 m > 150 m)" in got["far, range 150"].reason
    assert not got["no range given"].in_view and "156 m > 150 m" in got["no range given"].reason
    # A wider search finds the far one; its 500 m lens sees P.
    wide = cameras_seeing(*P, [beyond], max_range_m=400)
    assert [s.camera["name"] for s in wide] == ["beyond search"] and wide[0].in_view


def test_ranking_sure_cameras_before_unsure_ones_at_similar_distance():
    sure = cam("sure at 111 m", dlat=-0.001, heading=0)  # 111.2 m, looking at P
    unsure_near = cam("no heading at 100 m", dlat=0.0009)  # 100.1 m; ranked as 100.1 + 25 = 125.1 m
    unsure_close = cam("no heading at 22 m", dlat=0.0002)  # 22.2 m; ranked as 47.2 m: still first
    sure_far = cam("sure at 139 m", dlon=0.0015, heading=270, fov=20)  # 0.0015 * 92.60 = 138.9 m
    blind = cam("looking away at 46 m", dlon=-0.0005, heading=270)  # near, but cannot see P
    ranked = cameras_seeing(*P, [blind, sure_far, unsure_near, sure, unsure_close])
    assert [s.camera["name"] for s in ranked] == [
        "no heading at 22 m",
        "sure at 111 m",
        "no heading at 100 m",
        "sure at 139 m",
        "looking away at 46 m",  # cameras that cannot see it come last, with the reason
    ]
    assert [s.in_view for s in ranked] == [True, True, True, True, False]
    assert ranked[2].reason.startswith("no heading")
    assert ranked[3].distance_m == pytest.approx(138.9, abs=0.1)
    # Each result unpacks as (camera, distance_m, in_view, reason).
    camera, distance, in_view, reason = ranked[1]
    assert camera is sure and distance == pytest.approx(111.195, abs=0.05) and in_view and reason.startswith("in view")


def test_cameras_with_bad_positions_are_skipped_and_strings_are_read():
    cams = [
        {"name": "no position"},
        {"name": "bad lat", "lat": "north", "lon": -85.8},
        {"name": "out of range", "lat": 123.0, "lon": -85.8},
        "not a record",
        {"name": "text numbers", "lat": str(P[0] - 0.001), "lon": str(P[1]), "heading": "0", "fov_deg": "60"},
    ]
    ranked = cameras_seeing(*P, cams)
    assert [s.camera["name"] for s in ranked] == ["text numbers"] and ranked[0].in_view


def test_camera_at_the_point_and_missing_fov():
    assert judge(*P, cam("on the pole", heading=45)).in_view  # 0 m: bearing meaningless
    # Heading but no fov: a 90° lens is assumed. P at bearing 0 from the south camera.
    assert judge(*P, cam("no fov, 40° off", dlat=-0.001, heading=40, fov=None)).in_view  # 40 <= 45
    assert not judge(*P, cam("no fov, 50° off", dlat=-0.001, heading=50, fov=None)).in_view  # 50 > 45
