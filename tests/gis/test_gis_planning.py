"""Planning lookup by point, parcel and address; the plan check used by construction permits."""

from __future__ import annotations

from datetime import date

import pytest

from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.gis import planning, service
from smartcity.gis.geo import parse_geojson


def _some_parcel(db):  # type: ignore[no-untyped-def]
    return service.query_features(db, slug="land-parcels", limit=1, offset=37).features[0]


def test_lookup_by_parcel_gives_zone_rules_and_both_wards(demo):
    parcel = _some_parcel(demo)
    info = planning.planning_lookup(demo, parcel=parcel.key, on=date(2026, 1, 15))
    assert info.parcel is not None and info.parcel.key == parcel.key
    assert info.zones and info.zones[0].share_pct == pytest.approx(100, abs=0.5)
    zone = info.zones[0]
    assert zone.land_use_code == info.parcel.land_use_code
    assert zone.max_floors and zone.max_coverage_pct and "mô phỏng" in zone.plan_name
    assert info.synthetic and info.notes
    # Recorded before 2025-07-01: one of the 14 old wards; today one of the 5 wards of Hồ Chí Minh City.
    assert info.ward_of_record is not None and info.ward_of_record.on < date(2025, 7, 1)
    assert info.ward_today is not None and info.ward_today.on == date(2026, 1, 15)
    assert info.ward_today.approximate


def test_lookup_by_point_and_by_address_find_the_same_parcel(demo):
    address = service.query_features(demo, slug="addresses", limit=1, offset=11).features[0]
    props = address.properties
    by_address = planning.planning_lookup(demo, address=f"{props['house_number']} {props['street_name']}")
    assert by_address.address is not None and by_address.address.key == address.key
    assert by_address.parcel is not None and by_address.parcel.key == props["parcel"]
    point = parse_geojson(address.geometry)
    by_point = planning.planning_lookup(demo, lon=point.x, lat=point.y)
    assert by_point.parcel is not None and by_point.parcel.key == props["parcel"]
    assert [z.zone_code for z in by_point.zones] == [z.zone_code for z in by_address.zones]


def test_parcel_keys_are_read_in_the_usual_ways():
    assert planning.parcel_key("12/34") == planning.parcel_key("tờ 12 thửa 34") == "12/34"
    with pytest.raises(ValidationFailed):
        planning.parcel_key("thửa 34")


def test_unknown_parcel_and_address_are_not_found(demo):
    with pytest.raises(NotFound):
        planning.planning_lookup(demo, parcel="9999/9999")
    with pytest.raises(NotFound):
        planning.planning_lookup(demo, address="99999 Đường không có")
    with pytest.raises(ValidationFailed):
        planning.planning_lookup(demo)
    with pytest.raises(ValidationFailed):
        planning.planning_lookup(demo, lon=500, lat=10)


def test_a_point_outside_any_parcel_still_gets_its_zone(demo):
    zone = service.query_features(demo, slug="planning-zones", limit=1, offset=300).features[0]
    point = parse_geojson(zone.geometry).representative_point()
    info = planning.planning_lookup(demo, lon=point.x, lat=point.y)
    assert zone.key in [z.zone_code for z in info.zones]


def test_construction_is_checked_against_every_rule_of_the_zone(demo):
    parcel = _some_parcel(demo)
    zone = planning.planning_lookup(demo, parcel=parcel.key).zones[0]
    area = parcel.properties["area_m2"]
    fits = planning.check_against_plan(
        demo,
        parcel=parcel.key,
        floors=1,
        height_m=4.0,
        footprint_m2=area * 0.04,
        land_use_code=zone.land_use_code,
    )
    assert fits.ok and {f.rule for f in fits.findings} >= {"max_floors", "max_height_m", "max_coverage_pct"}
    too_high = planning.check_against_plan(demo, parcel=parcel.key, floors=zone.max_floors + 1)
    assert not too_high.ok
    assert [f.rule for f in too_high.findings if not f.ok] == ["max_floors"]
