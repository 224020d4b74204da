"""Administrative units over time: the 14 old wards, the 5 new ones, successions, ward_at, GeoJSON."""

from __future__ import annotations

from datetime import date

import pytest

from smartcity.city import service
from smartcity.city.loader import load_city_pack
from smartcity.core.security import Actor

OLD_WARDS = {
    "25741",
    "25744",
    "25747",
    "25750",
    "25753",
    "25756",
    "25759",
    "25760",
    "25762",
    "25763",
    "25765",
    "25768",
    "25771",
    "25774",
}
NEW_WARDS = {
    "25747": "Phường Thủ Dầu Một",
    "25750": "Phường Phú Lợi",
    "25760": "Phường Bình Dương",
    "25768": "Phường Phú An",
    "25771": "Phường Chánh Hiệp",
}


@pytest.fixture
def loaded(db):
    """The database with the Thủ Dầu Một pack loaded."""
    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    return db


def test_2022_has_the_14_old_wards(loaded):
    wards = service.units_on(loaded, on=date(2022, 2, 27), level="ward")
    assert {w.code for w in wards} == OLD_WARDS
    assert all(w.parent_code == "718" and w.valid_to == date(2025, 6, 30) for w in wards)
    assert all(w.valid_from is None and w.approximate for w in wards)


def test_2026_has_the_5_new_wards_of_ho_chi_minh_city(loaded):
    wards = service.units_on(loaded, on=date(2026, 1, 1), level="ward")
    assert {w.code: w.name for w in wards} == NEW_WARDS
    assert {w.parent_code for w in wards} == {"79"}
    provinces = service.units_on(loaded, on=date(2026, 1, 1), level="province")
    assert [(p.code, p.name) for p in provinces] == [("79", "Thành phố Hồ Chí Minh")]
    assert service.units_on(loaded, on=date(2026, 1, 1), level="district") == []


def test_the_day_of_the_reorganisation(loaded):
    before = service.units_on(loaded, on=date(2025, 6, 30))
    after = service.units_on(loaded, on=date(2025, 7, 1))
    above = [(u.level, u.code) for u in before if u.level != "ward"]
    assert above == [("province", "74"), ("district", "718")]
    assert len([u for u in before if u.level == "ward"]) == 14
    assert [(u.level, u.code) for u in after if u.level != "ward"] == [("province", "79")]
    assert len([u for u in after if u.level == "ward"]) == 5


def test_code_25747_names_two_units(loaded):
    old = service.get_unit(loaded, "25747", date(2025, 6, 30))
    new = service.get_unit(loaded, "25747", date(2025, 7, 1))
    assert (old.name, old.valid_on) == ("Phường Phú Cường", True)
    assert (new.name, new.valid_on) == ("Phường Thủ Dầu Một", True)
    assert [p.name for p in new.other_periods] == ["Phường Phú Cường"]
    assert {(p.code, p.share) for p in new.predecessors} == {
        ("25747", "whole"),
        ("25753", "whole"),
        ("25756", "whole"),
        ("25741", "part"),
        ("25774", "part"),
    }


def test_hiep_thanh_went_partly_to_thu_dau_mot_and_the_rest_to_phu_loi(loaded):
    unit = service.get_unit(loaded, "25741", date(2024, 1, 1))
    assert unit.name == "Phường Hiệp Thành"
    assert {(s.code, s.name, s.share) for s in unit.successors} == {
        ("25747", "Phường Thủ Dầu Một", "part"),
        ("25750", "Phường Phú Lợi", "rest"),
    }
    assert all(s.effective == date(2025, 7, 1) and "1685" in s.legal_basis for s in unit.successors)


def test_district_718_ended_without_successor(loaded):
    unit = service.get_unit(loaded, "718", date(2026, 1, 1))
    assert unit.valid_on is False
    assert unit.valid_to == date(2025, 6, 30)
    assert unit.successors == []


def test_areas_outside_the_former_city_are_named_predecessors(loaded):
    unit = service.get_unit(loaded, "25760", date(2026, 1, 1))
    outside = [p for p in unit.predecessors if p.code is None]
    assert [p.name for p in outside] == ["Phường Phú Chánh (former Tân Uyên city)"]
    assert unit.geometry_note and "outside" in unit.geometry_note


def test_ward_at_points_inside_and_outside(loaded):
    def name_at(lon: float, lat: float, on: date) -> str:
        ward = service.ward_at(loaded, lon=lon, lat=lat, on=on)
        assert ward is not None
        return ward.name

    assert name_at(106.655, 10.980, date(2025, 6, 30)) == "Phường Phú Cường"  # the old city centre
    assert name_at(106.655, 10.980, date(2025, 7, 1)) == "Phường Thủ Dầu Một"
    assert name_at(106.690, 11.075, date(2020, 1, 1)) == "Phường Hoà Phú"  # the northern lobe
    assert name_at(106.690, 11.075, date(2026, 1, 1)) == "Phường Bình Dương"
    assert service.ward_at(loaded, lon=106.70, lat=10.80, on=date(2026, 1, 1)) is None  # Hồ Chí Minh centre
    assert service.ward_at(loaded, lon=106.60, lat=11.10, on=date(2026, 1, 1)) is None  # in the bbox, outside


def test_wards_geojson_flags_areas_as_approximate(loaded):
    collection = service.wards_geojson(loaded, on=date(2026, 1, 1))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 5
    for feature in collection["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["properties"]["approximate"] is True
        assert feature["properties"]["area_km2"] > 1


def test_nothing_loaded_gives_no_units_and_no_boundary(db):
    assert service.units_on(db, on=date(2024, 1, 1)) == []
    assert service.ward_at(db, lon=106.655, lat=10.98, on=date(2024, 1, 1)) is None
    from smartcity.core.errors import NotFound

    with pytest.raises(NotFound):
        service.city_boundary(db)
