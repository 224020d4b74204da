"""Environment tables: stations (air quality, flood gauges), hourly and daily VN_AQI, flood events, notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Station(TimestampMixin, Base):
    """A monitoring station: its IoT device (same id), place and, for flood gauges, its levels."""

    __tablename__ = "env_stations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # air, flood
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)
    alert_level_cm: Mapped[float | None] = mapped_column(Float)
    danger_level_cm: Mapped[float | None] = mapped_column(Float)
    last_reading_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_level_cm: Mapped[float | None] = mapped_column(Float)


class AqiHourly(Base):
    """The VN_AQI of one station for the hour starting at `hour` (UTC)."""

    __tablename__ = "env_aqi_hourly"

    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    aqi: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(20))
    dominant: Mapped[str] = mapped_column(String(10))
    sub_indices: Mapped[dict[str, int]] = mapped_column(JSONType)
    concentrations: Mapped[dict[str, float]] = mapped_column(JSONType)


class AqiDaily(Base):
    """The VN_AQI of one station for a calendar day of the city."""

    __tablename__ = "env_aqi_daily"

    station_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    aqi: Mapped[int] = mapped_column(Integer)
    band: Mapped[str] = mapped_column(String(20))
    dominant: Mapped[str] = mapped_column(String(10))
    sub_indices: Mapped[dict[str, int]] = mapped_column(JSONType)
    concentrations: Mapped[dict[str, float]] = mapped_column(JSONType)
    notes: Mapped[list[str]] = mapped_column(JSONType, default=list)


class FloodEvent(Base):
    """Water rising at a gauge: rising, then perhaps flooded, until it recedes."""

    __tablename__ = "env_flood_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(10), index=True)  # rising, flooded, receded
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flooded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    peak_cm: Mapped[float] = mapped_column(Float)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QualityNote(Base):
    """A reading that was not used, and why (impossible jump, contradictory values): shown to operators."""

    __tablename__ = "env_quality_notes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
