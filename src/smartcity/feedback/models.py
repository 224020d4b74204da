"""Tables of the feedback domain: categories, reports, their lifecycle steps and photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED
from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Category(TimestampMixin, Base):
    """A kind of report (an Open311 service): who handles it and how fast."""

    __tablename__ = "feedback_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(100), default="")
    keywords: Mapped[str] = mapped_column(Text, default="")
    handler: Mapped[str] = mapped_column(String(20), default="ward")  # ward | department
    department_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    deadline_hours: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deadline_working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Report(TimestampMixin, Base):
    """A citizen's report: what, where, who (encrypted, optional), and where it stands."""

    __tablename__ = "feedback_reports"
    __table_args__ = (
        Index("ix_feedback_reports_lat_lon", "lat", "lon"),
        Index("ix_feedback_reports_status_deadline", "status", "deadline_at"),
        Index("ix_feedback_reports_category_submitted", "category_code", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    category_code: Mapped[str] = mapped_column(String(40), index=True)
    description: Mapped[str] = mapped_column(Text)
    public_description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    address: Mapped[str] = mapped_column(Text, default="")
    ward_code: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    ward_name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(20), index=True)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    is_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), index=True)
    unit_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    unit_name: Mapped[str] = mapped_column(String(300), default="")
    assignee: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(200), default="")
    reporter_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    reporter_name_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    reporter_phone_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    reporter_phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    reporter_phone_masked: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reporter_email_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    reporter_key_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_to: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_notes: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback_reports.id", ondelete="SET NULL"), nullable=True, index=True
    )
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReportStep(Base):
    """One step of a report's life: when, who, from which state to which, and a public comment."""

    __tablename__ = "feedback_report_steps"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    unit_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    public_comment: Mapped[str] = mapped_column(Text, default="")
    # The platform's own sentence of `public_comment` (Phrase.to_json: template and parts), so that a page
    # says it in its language; None for a person's own words.
    comment_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    internal_note: Mapped[str] = mapped_column(Text, default="")


class Photo(Base):
    """A photo of a report, re-encoded as JPEG without any metadata."""

    __tablename__ = "feedback_photos"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("feedback_reports.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(50), default="image/jpeg")
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
