"""Environment JSON API under /api/v1/environment: stations, VN_AQI, flood events. Thin."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Depends

from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.environment import service
from smartcity.environment.schemas import AqiRead, FloodEventRead, StationCreate, StationRead
from smartcity.web.deps import DbDep, SettingsDep, require_role_in

router = APIRouter(prefix="/api/v1/environment", tags=["environment"])


operator = require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL)


@router.get("/stations", response_model=list[StationRead])
def stations(db: DbDep, kind: Literal["air", "flood"] | None = None) -> list[StationRead]:
    """Air-quality stations and flood gauges."""
    return [StationRead.model_validate(s) for s in service.list_stations(db, kind=kind)]


@router.post("/stations", response_model=StationRead, status_code=201)
def create_station(data: StationCreate, db: DbDep, actor: Actor = Depends(operator)) -> StationRead:
    """Install a station (registers its IoT device with the same id)."""
    return StationRead.model_validate(service.create_station(db, actor=actor, data=data))


@router.get("/aqi", response_model=list[AqiRead])
def current_aqi(db: DbDep) -> list[AqiRead]:
    """The newest hourly VN_AQI of every station, with band, colour and advice."""
    return [service.aqi_read(row) for row in service.latest_aqi(db).values()]


@router.get("/stations/{station_id}/aqi", response_model=list[AqiRead])
def station_aqi(
    station_id: str, db: DbDep, settings: SettingsDep, period: Literal["hour", "day"] = "hour", days: int = 2
) -> list[AqiRead]:
    """A station's hourly or daily VN_AQI over the last `days` days (at most 31), oldest first."""
    service.get_station(db, station_id=station_id)
    days = min(max(days, 1), 31)
    if period == "hour":
        rows = service.hourly_history(db, station_id=station_id, since=clock.now() - timedelta(days=days))
        return [service.aqi_read(r) for r in rows]
    since = clock.today(settings) - timedelta(days=days)
    return [service.aqi_read(r) for r in service.daily_history(db, station_id=station_id, since=since)]


@router.get("/flood-events", response_model=list[FloodEventRead])
def flood_events(db: DbDep, open_only: bool = False) -> list[FloodEventRead]:
    """Flood events, newest first."""
    return [FloodEventRead.model_validate(e) for e in service.flood_events(db, open_only=open_only)]


@router.post("/flood-events/{event_id}/acknowledge", response_model=FloodEventRead)
def acknowledge(event_id: int, db: DbDep, actor: Actor = Depends(operator)) -> FloodEventRead:
    """An operator acknowledges a flood event."""
    return FloodEventRead.model_validate(service.acknowledge_flood(db, actor=actor, event_id=event_id))
