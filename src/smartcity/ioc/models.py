"""Tables of the operations centre: indicator series and targets, incidents, playbook steps, CAP alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED
from smartcity.core.db import Base, IdType, JSONType, UTCDateTime, utcnow


class IndicatorValue(Base):
    """One computed value of an indicator for a period, for the city (ward "") or a ward of record."""

    __tablename__ = "ioc_indicator_values"
    __table_args__ = (
        UniqueConstraint("code", "frequency", "period_start", "ward_code"),
        Index("ix_ioc_indicator_values_code_start", "code", "period_start"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(80))
    frequency: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    ward_code: Mapped[str] = mapped_column(String(10), default="")  # "" = the whole city
    value: Mapped[float | None] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndicatorTarget(Base):
    """A target and warning thresholds set by the centre, overriding the domain's defaults."""

    __tablename__ = "ioc_indicator_targets"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    target: Mapped[float | None] = mapped_column(Float)
    thresholds: Mapped[list[float]] = mapped_column(JSONType, default=list)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(Base):
    """Something happening in the city that operators handle: from alarms, cameras, reports or by hand."""

    __tablename__ = "ioc_incidents"
    __table_args__ = (Index("ix_ioc_incidents_type_state", "type", "state"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int] = mapped_column(Integer)  # 1 minor .. 5 catastrophic
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    title: Mapped[str] = mapped_column(String(300))
    # The title as a phrase (core.i18n.Phrase.to_json) for pages to say it in their language, where the
    # platform wrote it; None for an operator's own title and for incidents opened before phrases were kept.
    title_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float] = mapped_column(Float, default=200.0)
    area: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)  # GeoJSON polygon
    ward_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    source: Mapped[str] = mapped_column(String(40))  # alarm | camera | report | manual | api
    units: Mapped[list[str]] = mapped_column(JSONType, default=list)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_count: Mapped[int] = mapped_column(Integer, default=1)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closure_report: Mapped[str] = mapped_column(Text, default="")


class IncidentEntry(Base):
    """One line of an incident's timeline (an event merged in, a state change, a step done, a note)."""

    __tablename__ = "ioc_incident_entries"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ioc_incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class IncidentStep(Base):
    """One step of the playbook, instantiated for an incident, with its due time and outcome."""

    __tablename__ = "ioc_incident_steps"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ioc_incidents.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # manual | notification | automated
    action: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    outcome: Mapped[str] = mapped_column(Text, default="")
    # The outcome as a phrase (core.i18n.Phrase.to_json) for pages to say it in their language; None for an
    # operator's own words and for steps done before phrases were kept.
    outcome_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class IncidentLink(Base):
    """A resource linked to an incident: a device, a camera, a citizen report, an alarm."""

    __tablename__ = "ioc_incident_links"
    __table_args__ = (UniqueConstraint("incident_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ioc_incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(300), default="")


class CapAlert(Base):
    """A public alert as a signed CAP 1.2 message (its XML kept exactly as published)."""

    __tablename__ = "ioc_cap_alerts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("ioc_incidents.id"), nullable=True, index=True)
    msg_type: Mapped[str] = mapped_column(String(10))
    headline_vi: Mapped[str] = mapped_column(String(300))
    headline_en: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    xml: Mapped[str] = mapped_column(Text)


class AlertStage(Base):
    """The city-wide alert stage (0 normal .. 3 emergency), one row per change; the newest holds."""

    __tablename__ = "ioc_alert_stages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    stage: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigningKey(Base):
    """The centre's CAP signing key (encrypted at rest) and its certificate from the city's issuing CA."""

    __tablename__ = "ioc_signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_sealed: Mapped[str] = mapped_column(Text, info=SEALED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
