"""Which org unit handles a report: by category, and by the ward whose area holds the point that day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed

WARD_COMMITTEE = "ward_committee"
CITY_LEVEL_KINDS = ("people_committee",)
END_OF_WORKING_DAY = time(17, 0)


@dataclass(frozen=True)
class Route:
    """Where a report goes: the handling org unit and the ward of the place (if known)."""

    unit_code: str
    unit_name: str
    ward_code: str | None
    ward_name: str


@dataclass(frozen=True)
class Place:
    """The ward of a report's place, if it has one."""

    ward_code: str | None
    ward_name: str


OUTSIDE = "Vị trí nằm ngoài địa bàn thành phố; vui lòng chọn lại điểm trên bản đồ."


class OutsideCity(ValidationFailed):
    """The point is not inside any ward of the city on the report's date."""


def locate(
    db: Database, *, lon: float | None, lat: float | None, ward_code: str | None, on: date, outside_city: str
) -> Place:
    """The ward of a point (or of a given ward code) on a date; OutsideCity when the point is outside."""
    if lon is not None and lat is not None:
        ward = city_service.ward_at(db, lon=lon, lat=lat, on=on)
        if ward is not None:
            return Place(ward.code, ward.name)
        if outside_city == "reject":
            raise OutsideCity(
                "lat: vị trí nằm ngoài địa bàn thành phố (không thuộc phường nào vào ngày đó)",
                errors=[
                    {"field": "lat", "message": OUTSIDE},
                    {"field": "long", "message": OUTSIDE},
                ],
            )
        return Place(None, "")
    if ward_code:
        for ward in city_service.units_on(db, on=on, level="ward"):
            if ward.code == ward_code:
                return Place(ward.code, ward.name)
        raise ValidationFailed.for_field("ward_code", f"no ward {ward_code!r} on {on.isoformat()}")
    return Place(None, "")


def _units_by(db: Database, on: date) -> list[Any]:
    return list(accounts_service.list_org_units(db, on=on))


def choose_unit(db: Database, *, handler: str, department_code: str | None, place: Place, on: date) -> Route:
    """The department named by the category while it exists, else the ward committee, else the city."""
    units = _units_by(db, on)
    if handler == "department" and department_code:
        for unit in units:
            if unit.code == department_code:
                return Route(unit.code, unit.name, place.ward_code, place.ward_name)
    if place.ward_code:
        for unit in units:
            if unit.kind == WARD_COMMITTEE and unit.admin_unit_code == place.ward_code:
                return Route(unit.code, unit.name, place.ward_code, place.ward_name)
    for unit in units:
        if unit.kind in CITY_LEVEL_KINDS:
            return Route(unit.code, unit.name, place.ward_code, place.ward_name)
    raise ValidationFailed.for_field(
        "location",
        f"no unit can handle this report on {on.isoformat()}: give a map point or a ward",
    )


def deadline_for(
    db: Database, *, submitted_at: datetime, hours: int | None, working_days: int | None
) -> datetime | None:
    """When the report must be resolved: calendar hours, or the end of the n-th working day."""
    if hours:
        return submitted_at + timedelta(hours=hours)
    if working_days:
        calendar = city_service.working_calendar(db)
        due = calendar.deadline(submitted_at, working_days)
        return datetime.combine(due, END_OF_WORKING_DAY, tzinfo=calendar.zone)
    return None


def local_date(db: Database, moment: datetime) -> date:
    """The city's calendar day of a moment."""
    return city_service.working_calendar(db).local_date(moment)
