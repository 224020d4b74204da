"""Waste API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from smartcity.core.schemas import RowModel

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class DepotCreate(BaseModel):
    """A depot."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)


class VehicleCreate(BaseModel):
    """A truck."""

    id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    capacity_kg: int = Field(gt=0, le=40000)
    depot_id: str
    shift_start: str = Field(default="05:00", pattern=HHMM)
    shift_end: str = Field(default="11:00", pattern=HHMM)

    @model_validator(mode="after")
    def _shift_in_order(self) -> VehicleCreate:
        if self.shift_end <= self.shift_start:
            raise ValueError("the shift must end after it starts")
        return self


class ContainerCreate(BaseModel):
    """A container to install (registered as an IoT device with the same id)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["surface", "underground"]
    waste_kind: Literal["recyclable", "food", "other"] = "other"
    capacity_l: int = Field(gt=0, le=10000)
    density_kg_l: float = Field(default=0.2, gt=0, le=1.5)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    window_start: str = Field(default="05:00", pattern=HHMM)
    window_end: str = Field(default="10:00", pattern=HHMM)
    installed_on: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _window_in_order(self) -> ContainerCreate:
        if self.window_end <= self.window_start:
            raise ValueError("the collection window must end after it starts")
        return self


class CollectionCreate(BaseModel):
    """A container emptied by a vehicle."""

    container_id: str
    vehicle_id: str
    route_id: int | None = None
    emptied_at: datetime | None = None
    weight_kg: float | None = Field(default=None, ge=0, le=5000)


class RouteRead(RowModel):
    """A route of a plan."""

    id: int
    plan_id: int
    vehicle_id: str
    stops: list[dict[str, Any]]
    distance_km: float
    load_kg: int
    start_min: int
    end_min: int


class PlanRead(BaseModel):
    """A collection plan with its routes."""

    id: int
    day: date
    threshold: float
    unserved: dict[str, str]
    forecasts: dict[str, float]
    routes: list[RouteRead]
