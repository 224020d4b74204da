"""JSON API of the city: administrative units over time, boundary, ward areas, working calendar."""

from __future__ import annotations

import json
from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from smartcity.city import service
from smartcity.city.calendar import MAX_WORKING_DAYS
from smartcity.city.schemas import (
    AdministrativeUnitDetail,
    AdministrativeUnitRead,
    CalendarExceptionCreate,
    CalendarExceptionRead,
    DayStatusRead,
    Level,
    WorkingDaysRead,
)
from smartcity.core import clock
from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.web.deps import current_actor, get_db, get_settings, require_role
from smartcity.web.responses import model_json

GEOJSON = "application/geo+json"

# current_actor on every route: sent credentials are checked (a bad token gets 401 even on public reads)
router = APIRouter(prefix="/api/v1/city", tags=["city"], dependencies=[Depends(current_actor)])
require_admin = require_role("admin")

OnDate = Annotated[date | None, Query(description="The day asked about (YYYY-MM-DD); default today (local)")]


class GeoJSONResponse(JSONResponse):
    """A JSON response served as application/geo+json."""

    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        """Compact UTF-8 JSON."""
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _day(request: Request, on: date | None) -> date:
    return on or clock.today(get_settings(request))


@router.get("/units", response_model=list[AdministrativeUnitRead], summary="Administrative units on a day")
async def list_units(request: Request, on: OnDate = None, level: Level | None = None) -> Response:
    """The units valid on `on` (default today), optionally of one level."""
    # On the event loop when this process has the list (no thread hop); read in a worker thread else.
    db, day = get_db(request), _day(request, on)
    units = service.cached_units_on(db, on=day, level=level)
    if units is None:
        units = await run_in_threadpool(partial(service.units_on, db, on=day, level=level))
    return model_json(units)


@router.get("/units/{code}", response_model=AdministrativeUnitDetail, summary="One unit, with its history")
def read_unit(request: Request, code: str, on: OnDate = None) -> AdministrativeUnitDetail:
    """The unit with `code` valid `on`, its predecessors and successors, and other units with that code."""
    return service.get_unit(get_db(request), code, _day(request, on))


@router.get(
    "/boundary",
    response_class=GeoJSONResponse,
    summary="The city boundary (GeoJSON Feature)",
    responses={200: {"content": {GEOJSON: {}}}},
)
def boundary(request: Request) -> GeoJSONResponse:
    """The boundary of the loaded city, WGS 84."""
    return GeoJSONResponse(service.city_boundary(get_db(request)))


@router.get(
    "/wards.geojson",
    response_class=GeoJSONResponse,
    summary="Ward areas on a day (approximate)",
    responses={200: {"content": {GEOJSON: {}}}},
)
def wards(request: Request, on: OnDate = None) -> GeoJSONResponse:
    """FeatureCollection of the wards valid `on`; properties code, name, approximate, area_km2."""
    return GeoJSONResponse(service.wards_geojson(get_db(request), on=_day(request, on)))


@router.get("/ward-at", response_model=AdministrativeUnitRead | None, summary="The ward at a point")
def ward_at(
    request: Request,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    on: OnDate = None,
) -> AdministrativeUnitRead | None:
    """The ward whose (approximate) area contains the point on `on`; null outside the city."""
    return service.ward_at(get_db(request), lon=lon, lat=lat, on=_day(request, on))


@router.get(
    "/working-days",
    response_model=WorkingDaysRead,
    response_model_by_alias=True,
    summary="The date N working days after a date",
)
def working_days(
    request: Request,
    start: Annotated[date, Query(alias="from", description="Start date, YYYY-MM-DD")],
    days: Annotated[int, Query(ge=0, le=MAX_WORKING_DAYS, description="Working days to add")],
) -> WorkingDaysRead:
    """`days` working days after `from` (0: `from` itself if a working day, else the next one)."""
    calendar = service.working_calendar(get_db(request), settings=get_settings(request))
    try:
        result = calendar.add_working_days(start, days)
    except OverflowError as exc:
        raise ValidationFailed.for_field("from", "the result is after year 9999") from exc
    return WorkingDaysRead(start=start, days=days, date=result)


@router.get("/calendar/{day}", response_model=DayStatusRead, summary="Is a day a working day?")
def day_status(request: Request, day: date) -> DayStatusRead:
    """Whether `day` is a working day, and why (weekend, holiday, swap, local exception)."""
    status = service.working_calendar(get_db(request), settings=get_settings(request)).status(day)
    return DayStatusRead(date=status.day, working=status.working, reason=status.reason, name=status.name)


@router.get(
    "/calendar-exceptions",
    response_model=list[CalendarExceptionRead],
    summary="Local make-up working days and extra days off (admin)",
)
def list_exceptions(
    request: Request,
    _actor: Annotated[Actor, Depends(require_admin)],
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
) -> list[CalendarExceptionRead]:
    """The calendar exceptions, of one year if given."""
    return service.list_calendar_exceptions(get_db(request), year=year)


@router.post(
    "/calendar-exceptions",
    response_model=CalendarExceptionRead,
    status_code=201,
    summary="Declare a make-up working day or an extra day off (admin)",
)
def add_exception(
    request: Request, body: CalendarExceptionCreate, actor: Annotated[Actor, Depends(require_admin)]
) -> CalendarExceptionRead:
    """Add an exception; 409 if the day already has one."""
    return service.add_calendar_exception(
        get_db(request), actor=actor, day=body.date, kind=body.kind, note=body.note
    )


@router.delete(
    "/calendar-exceptions/{day}",
    status_code=204,
    response_class=Response,
    summary="Remove a calendar exception (admin)",
)
def remove_exception(
    request: Request, day: date, actor: Annotated[Actor, Depends(require_admin)]
) -> Response:
    """Remove the exception on `day`; 404 if there is none."""
    service.remove_calendar_exception(get_db(request), actor=actor, day=day)
    return Response(status_code=204)
