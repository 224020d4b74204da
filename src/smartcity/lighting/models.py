"""Lighting tables: cabinets, groups, lights, schedules, exceptions, switching orders, tickets, energy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Schedule(TimestampMixin, Base):
    """A switching schedule as data (see lighting.schedule.ScheduleSpec)."""

    __tablename__ = "lighting_schedules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)


class Cabinet(TimestampMixin, Base):
    """A control cabinet (its IoT device has the same id): contactor, meter, door, supply."""

    __tablename__ = "lighting_cabinets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)


class Group(TimestampMixin, Base):
    """Lights on one street and circuit, switched together by one schedule."""

    __tablename__ = "lighting_groups"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200), index=True)
    circuit: Mapped[str] = mapped_column(String(40))
    cabinet_id: Mapped[str] = mapped_column(ForeignKey("lighting_cabinets.id"), index=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("lighting_schedules.id"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    length_km: Mapped[float] = mapped_column(Float, default=0)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)
    commanded_level: Mapped[int | None] = mapped_column(Integer)
    commanded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    command_group_id: Mapped[str | None] = mapped_column(String(36))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmation: Mapped[str | None] = mapped_column(Text)


class Light(TimestampMixin, Base):
    """One luminaire (its IoT device has the same id) on a pole of a group."""

    __tablename__ = "lighting_lights"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("lighting_groups.id"), index=True)
    pole: Mapped[str] = mapped_column(String(40))
    rated_power_w: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class NightException(Base):
    """An exception for one night, for one group or (group_id None) every group: override or event."""

    __tablename__ = "lighting_exceptions"
    __table_args__ = (UniqueConstraint("scope", "night", "kind"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    group_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(64))  # the group id, or "*" for the whole city
    night: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # override, event
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int | None] = mapped_column(Integer)
    on_at: Mapped[str | None] = mapped_column(String(5))  # HH:MM
    off_at: Mapped[str | None] = mapped_column(String(5))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(TimestampMixin, Base):
    """A maintenance ticket for a fault found in telemetry: crew, due date, work notes, closure."""

    __tablename__ = "lighting_tickets"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    asset_id: Mapped[str] = mapped_column(String(64), index=True)
    asset_kind: Mapped[str] = mapped_column(String(10))  # light, cabinet
    group_id: Mapped[str | None] = mapped_column(String(64), index=True)
    fault: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    # the description as a phrase (template and measurements) for the page's language; None before 0034
    description_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open, assigned, closed
    crew: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(Text)


class EnergyDay(Base):
    """Energy of one light on one city day, and what it would have used undimmed."""

    __tablename__ = "lighting_energy_days"

    light_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    kwh: Mapped[float] = mapped_column(Float)
    baseline_kwh: Mapped[float] = mapped_column(Float)
    hours_reported: Mapped[int] = mapped_column(Integer)
