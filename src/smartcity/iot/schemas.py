"""Request and response shapes of the IoT API (Pydantic v2)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartcity.core.pages import Page
from smartcity.core.schemas import RowModel

DEVICE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
MAX_BATCH = 5000


class GeoPoint(BaseModel):
    """A GeoJSON Point in WGS 84: coordinates [longitude, latitude]."""

    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]

    @field_validator("coordinates")
    @classmethod
    def _in_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lon, lat = value
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError("longitude must be within ±180 and latitude within ±90")
        return value


def _relationship_targets(value: dict[str, str]) -> dict[str, str]:
    """Relationship names are attribute names and each target is a URI (urn:…, https://…)."""
    for name, target in value.items():
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", name):
            raise ValueError(f"relationship name {name!r} is not an attribute name")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:\S{1,200}", target):
            raise ValueError(f"relationship {name!r} must point to a URI, not {target!r}")
    return value


class DeviceBase(BaseModel):
    """Fields a device is registered with."""

    type: str = Field(max_length=40)
    name: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=120)
    serial: str | None = Field(default=None, max_length=120)
    location: GeoPoint | None = None
    installed_on: date | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    relationships: dict[str, str] = Field(default_factory=dict, max_length=20)

    @field_validator("relationships")
    @classmethod
    def _targets_are_uris(cls, value: dict[str, str]) -> dict[str, str]:
        return _relationship_targets(value)


class DeviceCreate(DeviceBase):
    """A device to register; its id is also its MQTT topic segment."""

    id: str = Field(pattern=DEVICE_ID_PATTERN)


class DeviceUpdate(BaseModel):
    """Registry fields an operator may change."""

    name: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=120)
    serial: str | None = Field(default=None, max_length=120)
    location: GeoPoint | None = None
    installed_on: date | None = None
    tags: list[str] | None = Field(default=None, max_length=20)
    status: Literal["active", "inactive", "faulty"] | None = None
    relationships: dict[str, str] | None = Field(default=None, max_length=20)

    @field_validator("relationships")
    @classmethod
    def _targets_are_uris(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _relationship_targets(value)


class DeviceRead(DeviceBase):
    """A device as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    ward_code: str | None = None
    status: str
    mqtt_username: str
    created_at: datetime
    decommissioned_at: datetime | None = None
    last_seen_at: datetime | None = None
    rejected_messages: int = 0


class Credentials(BaseModel):
    """MQTT (and HTTP) credentials of a device: the password is shown only once."""

    username: str
    password: str


class DeviceCreated(DeviceRead):
    """A freshly registered device with its one-time credentials."""

    credentials: Credentials


DevicePage = Page[DeviceRead]


class ImportReport(BaseModel):
    """The outcome of a CSV import: rows created, and each bad row with why."""

    created: int
    errors: list[dict[str, Any]]
    credentials: list[Credentials] = Field(default_factory=list)


class TelemetryBatch(BaseModel):
    """Messages to ingest over HTTP; each is checked on its own, so one bad message rejects only itself."""

    messages: list[Any] = Field(max_length=MAX_BATCH)


class IngestReport(BaseModel):
    """What happened to a batch: stored, already stored (duplicates) and rejected (with reasons)."""

    accepted: int
    duplicates: int
    rejected: int
    errors: list[dict[str, Any]] = Field(default_factory=list)


class TelemetryPoint(BaseModel):
    """One stored value."""

    ts: datetime
    key: str
    value: float | bool | str | None
    msg_id: str


class TelemetrySeries(BaseModel):
    """Values of a device, newest first."""

    device_id: str
    items: list[TelemetryPoint]


class AggregatePoint(BaseModel):
    """Min/avg/max/count of a key over one interval."""

    start: datetime
    count: int
    min: float | None
    avg: float | None
    max: float | None


class AggregateSeries(BaseModel):
    """Aggregates of one key of one device by interval."""

    device_id: str
    key: str
    interval: str
    items: list[AggregatePoint]


class LatestState(BaseModel):
    """The newest value of each key of a device."""

    device_id: str
    values: dict[str, Any]
    observed_at: dict[str, datetime]


class RejectionRead(RowModel):
    """Rejected messages of a device for one reason."""

    device_id: str
    reason: str
    count: int
    last_at: datetime
    last_detail: str | None


class CommandCreate(BaseModel):
    """A command for one device, a list of devices, or every device matching a selector."""

    name: str = Field(max_length=60)
    params: dict[str, Any] = Field(default_factory=dict)
    device_ids: list[str] = Field(default_factory=list, max_length=10000)
    device_type: str | None = None
    tag: str | None = None
    ward_code: str | None = None
    timeout_seconds: int = Field(default=60, ge=1, le=86400)


class CommandRead(RowModel):
    """A command and where it stands."""

    id: str
    device_id: str
    group_id: str | None
    name: str
    params: dict[str, Any]
    status: str
    created_at: datetime
    created_by: str
    deadline: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None


class CommandGroupRead(BaseModel):
    """The commands sent together, with a count per status."""

    group_id: str
    counts: dict[str, int]
    items: list[CommandRead]


class CommandAck(BaseModel):
    """A device's answer to a command."""

    status: Literal["ok", "failed"] = "ok"
    detail: dict[str, Any] | None = None


RuleKind = Literal["threshold", "range", "rate", "no_data", "state_change"]


class RuleCreate(BaseModel):
    """A rule as data (see iot/rules.py for each kind's params)."""

    name: str = Field(max_length=120)
    kind: RuleKind
    device_type: str | None = None
    device_id: str | None = None
    tag: str | None = None
    key: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["informational", "low", "medium", "high", "critical", "warning"] = "warning"
    enabled: bool = True


class RuleRead(RuleCreate):
    """A stored rule with its version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int


class AlarmRead(RowModel):
    """An alarm as operators see it."""

    id: int
    rule_id: int
    rule_version: int
    device_id: str
    key: str | None
    severity: str
    state: str
    message: str
    value: float | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    cleared_at: datetime | None
