"""What the operations centre's API reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from smartcity.core.schemas import RowModel
from smartcity.ioc.catalogue import TYPES

Source = Literal["alarm", "camera", "report", "manual", "api", "sensor"]


class EventIn(BaseModel):
    """An event someone saw (a camera, a sensor, an operator): it opens an incident or joins an open one."""

    type: str = Field(description="Incident type code, e.g. traffic_accident")
    severity: int = Field(ge=1, le=5, description="1 minor .. 5 extreme")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    source: Source = "api"
    source_ref: str = Field(default="", max_length=120, description="The id of the event at its source")
    title: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=4000)
    radius_m: float = Field(default=200.0, gt=0, le=20000)
    occurred_at: datetime | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in TYPES:
            raise ValueError(f"unknown incident type; one of {', '.join(TYPES)}")
        return value


class IncidentCreate(EventIn):
    """An incident opened by hand by an operator."""

    source: Source = "manual"
    units: list[str] = Field(default_factory=list, max_length=20)


class TransitionIn(BaseModel):
    """Move an incident to another state; closing needs the closure report."""

    to: Literal["acknowledged", "active", "stable", "resolved", "closed", "cancelled"]
    note: str = Field(default="", max_length=4000)
    closure_report: str = Field(default="", max_length=20000)


class StepDoneIn(BaseModel):
    """A playbook step was carried out."""

    outcome: str = Field(default="", max_length=4000)


class StageIn(BaseModel):
    """Set the city-wide alert stage."""

    stage: int = Field(ge=0, le=3)
    reason: str = Field(min_length=3, max_length=2000)


class TargetIn(BaseModel):
    """The centre's target and warning thresholds of an indicator."""

    target: float | None = None
    thresholds: list[float] = Field(default_factory=list, max_length=4)


class StepRead(RowModel):
    """A playbook step of an incident."""

    id: int
    position: int
    title: str
    unit: str
    role: str
    kind: str
    due_at: datetime
    done_at: datetime | None
    done_by: str | None
    outcome: str
    # The outcome as the platform said it (Phrase.to_json()), for pages to say it in their language; not sent.
    outcome_phrase: dict[str, Any] | None = Field(default=None, exclude=True)


class EntryRead(RowModel):
    """A line of an incident's timeline."""

    at: datetime
    kind: str
    text: str
    actor: str
    # What the line records (the phrase the platform said it as, under "phrase"); for pages, not sent.
    data: dict[str, Any] = Field(default_factory=dict, exclude=True)


class LinkRead(RowModel):
    """A linked resource."""

    kind: str
    ref: str
    label: str


class IncidentRead(RowModel):
    """An incident as lists show it."""

    code: str
    type: str
    severity: int
    state: str
    title: str
    # The title as the platform wrote it (Phrase.to_json()), for pages to say it in their language; not sent.
    title_phrase: dict[str, Any] | None = Field(default=None, exclude=True)
    lon: float | None
    lat: float | None
    radius_m: float
    ward_code: str | None
    source: str
    opened_at: datetime
    last_event_at: datetime
    event_count: int
    ack_due_at: datetime | None
    escalation_level: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


class IncidentDetail(IncidentRead):
    """An incident with its playbook, timeline, links and closure report."""

    description: str
    units: list[str]
    closure_report: str
    steps: list[StepRead]
    timeline: list[EntryRead]
    links: list[LinkRead]


class IndicatorRead(BaseModel):
    """An indicator of the catalogue."""

    code: str
    domain: str
    name_vi: str
    name_en: str
    unit: str
    formula_vi: str
    formula_en: str = ""  # empty while the domain has not written it
    direction: str
    target: float | None
    thresholds: list[float]
    iso_reference: str | None
    frequency: str
    accumulates: bool = False  # a total over the period: its value is that of a complete period


class PointRead(BaseModel):
    """A point of a series."""

    start: datetime
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    mapped: bool = False
    end: datetime | None = None  # the period's end (exclusive)
    running: bool = False  # the period has not ended: its value is one so far (see indicator.accumulates)


class SeriesRead(BaseModel):
    """An indicator's series for the city or a ward, and the latest ward breakdown."""

    indicator: IndicatorRead
    ward: str | None
    frequency: str
    points: list[PointRead]
    wards: list[dict[str, Any]]
