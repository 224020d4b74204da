"""Pydantic shapes of the city domain's API and read functions."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.schemas import RowModel, StrictModel

Level = Literal["province", "district", "ward"]
Share = Literal["whole", "part", "rest"]
ExceptionKind = Literal["day_off", "working_day"]


class AdministrativeUnitRead(RowModel):
    """An administrative unit during one period (valid_from None: start not known)."""

    # frozen: the lists `units_on` keeps are shared by all its callers
    model_config = ConfigDict(from_attributes=True, frozen=True)

    code: str
    name: str
    type: str
    level: Level
    parent_code: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    area_km2: float | None
    approximate: bool = Field(description="True when the unit's geometry and area are approximate")


class UnitPeriod(BaseModel):
    """Another period during which the same code named a unit."""

    name: str
    level: Level
    valid_from: dt.date | None
    valid_to: dt.date | None


class SuccessionRead(BaseModel):
    """A predecessor or successor of a unit; code None for an area outside the pack."""

    code: str | None
    name: str
    share: Share
    effective: dt.date
    legal_basis: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class AdministrativeUnitDetail(AdministrativeUnitRead):
    """A unit with its history: what it came from, what it became, other units with its code."""

    valid_on: bool = Field(description="True when the unit is valid on the date asked")
    source: str
    geometry_note: str | None
    predecessors: list[SuccessionRead]
    successors: list[SuccessionRead]
    other_periods: list[UnitPeriod]


class WorkingDaysRead(BaseModel):
    """The date `days` working days after `from`."""

    model_config = ConfigDict(populate_by_name=True)

    start: dt.date = Field(alias="from")
    days: int
    date: dt.date


class DayStatusRead(BaseModel):
    """Whether a day is a working day, and why."""

    date: dt.date
    working: bool
    reason: str
    name: str | None = None


class CalendarExceptionCreate(StrictModel):
    """A local make-up working day or extra day off."""

    date: dt.date
    kind: ExceptionKind
    note: str = Field(min_length=1, max_length=500, description="Why, and the decision that says so")


class CalendarExceptionRead(BaseModel):
    """A calendar exception and where it came from ("pack:<name>" or "admin")."""

    date: dt.date
    kind: ExceptionKind
    note: str
    source: str


class CityPackRead(BaseModel):
    """A city pack available to load, and whether (and when) it is loaded."""

    name: str
    title: str
    loaded: bool
    digest: str | None = None
    loaded_at: dt.datetime | None = None
    current: bool | None = Field(None, description="True when the loaded data matches the pack files")
