"""Tables of the city domain: administrative units over time, their successions, the calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class AdministrativeUnit(TimestampMixin, Base):
    """A province, district or ward during one period; a code can name different units over time."""

    __tablename__ = "city_admin_units"
    __table_args__ = (
        UniqueConstraint("code", "valid_from"),
        Index("ix_city_admin_units_level_period", "level", "valid_from", "valid_to"),
        Index("ix_city_admin_units_bbox", "min_lon", "max_lon", "min_lat", "max_lat"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(20))  # province | district | ward
    parent_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)  # NULL: start not known
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)  # inclusive; NULL: still valid
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)  # GeoJSON, WGS 84
    min_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    area_km2: Mapped[float | None] = mapped_column(Float, nullable=True)
    geometry_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    geometry_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")
    pack: Mapped[str] = mapped_column(String(60), default="")


class UnitSuccession(TimestampMixin, Base):
    """One unit (or a named area outside the pack) passing wholly or partly to a successor unit."""

    __tablename__ = "city_unit_successions"
    __table_args__ = (UniqueConstraint("successor_id", "predecessor_id", "predecessor_name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    predecessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("city_admin_units.id", ondelete="CASCADE"), nullable=True, index=True
    )
    predecessor_name: Mapped[str] = mapped_column(String(200))
    successor_id: Mapped[int] = mapped_column(
        ForeignKey("city_admin_units.id", ondelete="CASCADE"), index=True
    )
    share: Mapped[str] = mapped_column(String(10))  # whole | part | rest
    effective: Mapped[date] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(Text, default="")


class CalendarException(TimestampMixin, Base):
    """A date whose working status differs from weekends and national holidays."""

    __tablename__ = "city_calendar_exceptions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # day_off | working_day
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(100), default="")  # "pack:<name>" or "admin"


class CityPackRecord(Base):
    """A city pack loaded into this database, with the digest of what was loaded."""

    __tablename__ = "city_packs"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(60))
    afternoon_cutoff: Mapped[str] = mapped_column(String(5))  # HH:MM local
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
