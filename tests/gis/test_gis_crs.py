"""VN-2000 (Bình Dương, TM-3 105°45') to WGS 84, and CRS names as the OGC API accepts them."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from pyproj.transformer import TransformerGroup
from shapely.geometry import Point

from smartcity.core.errors import BadRequest
from smartcity.gis.crs import (
    CRS84,
    EPSG_URI,
    VN2000_BINH_DUONG_PROJ,
    axis_order_is_lat_lon,
    crs_from_wkt_or_name,
    normalise_crs,
    projection_parameters,
    pyproj_crs,
    transform_bbox,
    transform_geometry,
)

VN2000 = EPSG_URI + "9210"
# Easting/northing of a point in central Thủ Dầu Một in VN-2000 / TM-3 105-45.
EASTING, NORTHING = 598162.856, 1214391.434


def _epsg_official_pipeline() -> Transformer:
    """EPSG's own 'VN-2000 to WGS 84 (2)' (Decision 05/2007 parameters, coordinate-frame rotations)."""
    group = TransformerGroup("EPSG:9210", "OGC:CRS84", always_xy=True)
    return next(t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description)


def test_our_vn2000_string_matches_the_epsg_transformation_to_the_millimetre():
    expected = _epsg_official_pipeline().transform(EASTING, NORTHING)
    ours = Transformer.from_crs(pyproj_crs(VN2000), "OGC:CRS84", always_xy=True).transform(EASTING, NORTHING)
    assert ours == pytest.approx(expected, abs=1e-8)  # 1e-8 degree ≈ 1 mm


def test_copying_coordinate_frame_rotations_into_towgs84_would_move_points_by_half_a_metre():
    wrong = VN2000_BINH_DUONG_PROJ.replace(
        "0.00928836,-0.01975479,0.00427372", "-0.00928836,0.01975479,-0.00427372"
    )
    assert wrong != VN2000_BINH_DUONG_PROJ
    ours = Transformer.from_crs(pyproj_crs(VN2000), "OGC:CRS84", always_xy=True).transform(EASTING, NORTHING)
    theirs = Transformer.from_crs(wrong, "OGC:CRS84", always_xy=True).transform(EASTING, NORTHING)
    shift_m = ((ours[0] - theirs[0]) * 109_300) ** 2 + ((ours[1] - theirs[1]) * 110_600) ** 2
    assert shift_m**0.5 > 0.3


def test_projection_parameters_are_binh_duong_s():
    params = projection_parameters(pyproj_crs(VN2000))
    assert params["longitude of natural origin"] == pytest.approx(105.75)
    assert params["scale factor at natural origin"] == pytest.approx(0.9999)
    assert params["false easting"] == pytest.approx(500000)


def test_a_vn2000_point_lands_in_thu_dau_mot():
    point = transform_geometry(Point(EASTING, NORTHING), VN2000, CRS84)
    assert point.x == pytest.approx(106.65, abs=2e-5)
    assert point.y == pytest.approx(10.98, abs=2e-5)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("EPSG:4326", EPSG_URI + "4326"),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS84),
        ("urn:ogc:def:crs:EPSG::9210", VN2000),
        ("vn2000", VN2000),
        ("http://www.opengis.net/def/crs/EPSG/9.9.1/3405", EPSG_URI + "3405"),
    ],
)
def test_crs_names_are_normalised(given, expected):
    assert normalise_crs(given) == expected


def test_unknown_crs_is_a_bad_request():
    with pytest.raises(BadRequest):
        normalise_crs("EPSG-ish:nonsense")


def test_axis_order_of_epsg_4326_is_latitude_first():
    assert axis_order_is_lat_lon(EPSG_URI + "4326")
    assert not axis_order_is_lat_lon(CRS84)


def test_bbox_in_epsg_4326_is_read_lat_lon():
    assert transform_bbox((10.9, 106.6, 11.1, 106.7), EPSG_URI + "4326") == pytest.approx(
        (106.6, 10.9, 106.7, 11.1)
    )


def test_a_shapefile_prj_for_binh_duong_tm_is_recognised_without_an_epsg_code():
    prj = pyproj_crs(VN2000).to_wkt("WKT1_ESRI")
    assert crs_from_wkt_or_name(prj) == VN2000
