"""The city's registers that the one-stop shop's results change: construction permits drawn on their parcel
and the register of household businesses, each a published layer (map, OGC API Features, open data)."""

from __future__ import annotations

import logging
from calendar import monthrange
from datetime import date
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from smartcity.city import service as city_service
from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis import feature_writes, planning
from smartcity.gis import store as service
from smartcity.gis.layers import CONSTRUCTION_PERMITS, HOUSEHOLD_BUSINESSES, PARCELS

log = logging.getLogger(__name__)
REGISTER_ACTOR = Actor.system("gis.registers")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def _ward_name(ward_code: str | None, on: date) -> str:
    return (city_service.unit_name_on(ward_code, on) or "") if ward_code else ""


def _store(
    db: Database, slug: str, key: str, properties: dict[str, Any], where: BaseGeometry, on: date
) -> bool:
    """Enter one feature in a register layer unless the dossier is already there; True when entered."""
    service.ensure_builtin_layers(db, actor=REGISTER_ACTOR)
    if service.feature_by_key(db, slug=slug, key=key) is not None:
        return False
    service.provider_for(db)  # build the index before the unit of work takes the write lock
    with UnitOfWork(db, REGISTER_ACTOR) as uow:
        item = feature_writes.NewFeature(key, properties, where, private={"reference": key}, valid_from=on)
        feature_writes.store_features(uow, slug=slug, features=[item])
    return True


def record_construction_permit(db: Database, permit: dict[str, Any]) -> bool:
    """Draw a granted construction permit on its parcel (once per dossier); False when it cannot be placed."""
    sheet, number = permit.get("map_sheet"), permit.get("parcel_number")
    parcel = service.feature_by_key(db, slug=PARCELS, key=f"{sheet}/{number}")
    if parcel is None or not parcel.geometry:
        log.warning("permit %s: parcel %s/%s is not in the register", permit["code"], sheet, number)
        return False
    granted = date.fromisoformat(permit["granted_on"])
    properties = {
        "permit_number": permit["permit_number"],
        "granted_on": permit["granted_on"],
        "valid_until": _add_months(granted, int(permit.get("valid_months") or 12)).isoformat(),
        "parcel": f"{sheet}/{number}",
        "site_address": permit.get("site_address", ""),
        "ward_name": _ward_name(permit.get("ward_code"), granted),
        "floors": permit.get("floors"),
        "height_m": permit.get("height_m"),
        "footprint_m2": permit.get("footprint_m2"),
        "total_floor_area_m2": permit.get("total_floor_area_m2"),
    }
    return _store(db, CONSTRUCTION_PERMITS, permit["code"], properties, shape(parcel.geometry), granted)


def _business_location(
    db: Database, address: str, ward_code: str | None, on: date
) -> tuple[Point, str] | None:
    """The address in the address register, else the middle of the ward (said so), else nothing."""
    try:
        found = planning.find_address(db, address.split(",")[0].strip())
        return Point(found.lon, found.lat), "Theo sổ địa chỉ"
    except AppError:
        pass
    for feature in city_service.wards_geojson(db, on=on).get("features", []):
        if feature.get("properties", {}).get("code") == ward_code and feature.get("geometry"):
            return shape(feature["geometry"]).representative_point(), "Gần đúng (giữa phường)"
    return None


def record_household_business(db: Database, business: dict[str, Any]) -> bool:
    """Enter a registered household business in the register (once per dossier); False when not placed."""
    registered = date.fromisoformat(business["registered_on"])
    located = _business_location(db, business.get("address", ""), business.get("ward_code"), registered)
    if located is None:
        log.warning("household business %s: no location for %r", business["code"], business.get("address"))
        return False
    point, how = located
    properties = {
        "registration_number": business["registration_number"],
        "business_name": business.get("business_name", ""),
        "registered_on": business["registered_on"],
        "address": business.get("address", ""),
        "ward_name": _ward_name(business.get("ward_code"), registered),
        "business_lines": "; ".join(business.get("business_lines") or ()),
        "employees": business.get("employees"),
        "located": how,
    }
    return _store(db, HOUSEHOLD_BUSINESSES, business["code"], properties, point, registered)
