"""Tables of notifications: rules over indicators and events, and the messages they sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, UTCDateTime, utcnow


class NotificationRule(Base):
    """When to notify whom: an event type or an indicator crossing a threshold, through which channels."""

    __tablename__ = "notifications_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # event | indicator
    match: Mapped[str] = mapped_column(String(120))  # event name ("ioc.IncidentOpened") or indicator code
    condition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    channels: Mapped[list[str]] = mapped_column(JSONType, default=list)
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "22:00", city time
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    escalate_after_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalate_to: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Message(Base):
    """One notification to one recipient on one channel: queued, held (quiet hours), sent or failed."""

    __tablename__ = "notifications_messages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications_rules.id"), nullable=True, index=True
    )
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The subject and body as phrases (core.i18n.Phrase.to_json) for pages to say them in their language;
    # None for text written as it is (a person's own words) and for messages stored before phrases were kept.
    subject_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    body_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    link: Mapped[str] = mapped_column(String(300), default="")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_after: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
