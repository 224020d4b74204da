"""Environment API shapes: stations, VN_AQI values, flood events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from smartcity.core.schemas import RowModel


class StationCreate(BaseModel):
    """A station to install: it is registered as an IoT device with the same id."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: Literal["air", "flood"]
    name: str = Field(min_length=1, max_length=200)
    street: str | None = Field(default=None, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    alert_level_cm: float | None = Field(default=None, ge=-300, le=300)
    danger_level_cm: float | None = Field(default=None, ge=-300, le=300)
    installed_on: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=10, description="Extra device tags")

    @model_validator(mode="after")
    def _levels_in_order(self) -> StationCreate:
        alert, danger = self.alert_level_cm, self.danger_level_cm
        if self.kind == "flood" and alert is not None and danger is not None and danger <= alert:
            raise ValueError("the danger level must be above the alert level")
        return self


class StationRead(RowModel):
    """A station as the API shows it."""

    id: str
    kind: str
    name: str
    street: str | None
    lon: float
    lat: float
    ward_code: str | None
    alert_level_cm: float | None
    danger_level_cm: float | None
    last_level_cm: float | None = None
    last_reading_at: datetime | None = None


class AqiRead(BaseModel):
    """A VN_AQI value with its band, colour and the sub-index of each parameter."""

    station_id: str
    period: Literal["hour", "day"]
    start: datetime | date
    aqi: int
    band: str
    band_name: str
    colour: str
    dominant: str
    sub_indices: dict[str, int]
    concentrations: dict[str, float]
    advice: str
    advice_sensitive: str


class FloodEventRead(RowModel):
    """A flood event at a gauge."""

    id: int
    station_id: str
    state: str
    started_at: datetime
    flooded_at: datetime | None
    ended_at: datetime | None
    peak_cm: float
    acknowledged_by: str | None
    acknowledged_at: datetime | None
