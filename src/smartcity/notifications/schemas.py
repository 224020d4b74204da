"""What the notifications API reads and writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.schemas import RowModel

TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class RuleCreate(BaseModel):
    """A rule: an event name or indicator code, a condition, channels, recipients, quiet hours, escalation."""

    name: str = Field(min_length=3, max_length=200)
    kind: Literal["event", "indicator"]
    match: str = Field(min_length=1, max_length=120, description="event name or indicator code; * for any")
    condition: dict[str, Any] = Field(
        default_factory=dict, description='e.g. {"min_severity": 4} or {"level": "critical"}'
    )
    channels: list[Literal["in-page", "email", "sms"]] = Field(default=["in-page"], min_length=1)
    recipients: list[str] = Field(
        min_length=1, max_length=50, description="role:operator, user:name, email:a@b, sms:+84..."
    )
    quiet_start: str | None = Field(default=None, pattern=TIME)
    quiet_end: str | None = Field(default=None, pattern=TIME)
    escalate_after_min: int | None = Field(default=None, ge=1, le=10080)
    escalate_to: list[str] = Field(default_factory=list, max_length=20)


class RuleRead(RuleCreate):
    """A stored rule."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    active: bool


class MessageRead(RowModel):
    """A notification."""

    id: int
    channel: str
    recipient: str
    subject: str
    body: str
    # The subject and body as phrases, for pages to say them in their language; not part of the API.
    subject_phrase: dict[str, Any] | None = Field(default=None, exclude=True)
    body_phrase: dict[str, Any] | None = Field(default=None, exclude=True)
    link: str
    urgent: bool
    status: str
    created_at: datetime
    sent_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
