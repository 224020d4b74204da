"""Camera API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from smartcity.core.schemas import RowModel

EventKind = Literal[
    "accident", "stopped_vehicle", "wrong_way", "flooding", "intrusion", "crowd", "fire", "smoke"
]


class CameraCreate(BaseModel):
    """A camera to install (registered as an IoT device; a traffic camera gets one flow device per lane)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,60}$")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["traffic", "security"]
    road: str | None = Field(default=None, max_length=200)
    lanes: int = Field(default=0, ge=0, le=12)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    stream_url: str | None = Field(default=None, max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("stream_url")
    @classmethod
    def _stream(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("rtsp://", "rtsps://", "https://", "http://")):
            raise ValueError("a stream address is rtsp://, rtsps:// or an HLS https:// URL")
        return value


class EventIn(BaseModel):
    """An event as a camera or its analytics box posts it."""

    event_id: str = Field(min_length=1, max_length=120)
    kind: EventKind
    occurred_at: datetime
    lane: int | None = Field(default=None, ge=1, le=12)
    confidence: float | None = Field(default=None, ge=0, le=1)
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("occurred_at needs a time zone (e.g. Z or +07:00)")
        return value


class EventRead(RowModel):
    """A camera event (the snapshot is reached through its own, audited address)."""

    id: int
    camera_id: str
    external_id: str
    kind: str
    occurred_at: datetime
    received_via: str
    lane: int | None
    confidence: float | None
    note: str | None
    state: str
    has_snapshot: bool = False
