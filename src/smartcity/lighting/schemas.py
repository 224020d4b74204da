"""Lighting API shapes: inventory, schedules, exceptions, tickets, energy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from smartcity.core.schemas import RowModel

ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class ScheduleCreate(BaseModel):
    """A schedule: sun events with offsets, dimming steps, holiday level (see lighting.schedule)."""

    name: str = Field(min_length=1, max_length=120)
    spec: dict[str, Any]


class CabinetCreate(BaseModel):
    """A control cabinet to install (registered as an IoT device with the same id)."""

    id: str = Field(pattern=ID)
    name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    installed_on: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=10, description="Extra device tags")


class GroupCreate(BaseModel):
    """A group of lights on one street and circuit."""

    id: str = Field(pattern=ID)
    name: str = Field(min_length=1, max_length=200)
    street: str = Field(min_length=1, max_length=200)
    circuit: str = Field(min_length=1, max_length=40)
    cabinet_id: str
    schedule_id: int
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    length_km: float = Field(default=0, ge=0, le=100)
    tags: list[str] = Field(default_factory=list, max_length=10, description="Extra device tags")


class LightCreate(BaseModel):
    """A luminaire on a pole of a group."""

    id: str = Field(pattern=ID)
    group_id: str
    pole: str = Field(min_length=1, max_length=40)
    rated_power_w: float = Field(gt=0, le=1000)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    installed_on: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=10, description="Extra device tags")


class ExceptionCreate(BaseModel):
    """An exception for one night: an operator's override or a city event; group None = every group."""

    group_id: str | None = None
    night: date
    kind: Literal["override", "event"] = "override"
    name: str = Field(min_length=1, max_length=200)
    level: int | None = Field(default=None, ge=0, le=100)
    on_at: str | None = Field(default=None, pattern=HHMM)
    off_at: str | None = Field(default=None, pattern=HHMM)


class GroupRead(RowModel):
    """A group with tonight's times."""

    id: str
    name: str
    street: str
    circuit: str
    cabinet_id: str
    schedule_id: int
    lon: float
    lat: float
    commanded_level: int | None
    confirmed_at: datetime | None
    confirmation: str | None


class NightPlanRead(BaseModel):
    """One night of a group: switch-on and -off, the sun events, the steps and what decided them."""

    group_id: str
    night: date
    on_at: datetime
    off_at: datetime
    sun_on: datetime
    sun_off: datetime
    steps: list[tuple[datetime, int]]
    reason: str
    notes: list[str]


class TicketRead(RowModel):
    """A maintenance ticket."""

    id: int
    asset_id: str
    asset_kind: str
    group_id: str | None
    fault: str
    description: str
    description_phrase: dict[str, Any] | None = Field(default=None, exclude=True)  # for pages, not the API
    detected_at: datetime
    state: str
    crew: str | None
    due_on: date
    notes: list[dict[str, Any]]
    closed_at: datetime | None
    closed_by: str | None
    resolution: str | None


class TicketAssign(BaseModel):
    """Assign a ticket to a crew with a due date."""

    crew: str = Field(min_length=1, max_length=120)
    due_on: date | None = None


class TicketNote(BaseModel):
    """A work note on a ticket."""

    text: str = Field(min_length=1, max_length=2000)


class TicketClose(BaseModel):
    """Close a ticket with what was done."""

    resolution: str = Field(min_length=1, max_length=2000)


class EnergyRow(BaseModel):
    """Energy of a light, group or street for a day or month, with the undimmed baseline and savings."""

    key: str
    period: str
    kwh: float
    baseline_kwh: float
    saving_kwh: float
    saving_pct: float | None
