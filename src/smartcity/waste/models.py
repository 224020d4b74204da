"""Waste tables: depots, vehicles, containers, daily plans and their routes, collections, alarms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime


class Depot(TimestampMixin, Base):
    """Where the vehicles start and end their rounds."""

    __tablename__ = "waste_depots"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)


class Vehicle(TimestampMixin, Base):
    """A collection truck: plate, capacity, depot and shift (local HH:MM)."""

    __tablename__ = "waste_vehicles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # licence plate
    name: Mapped[str] = mapped_column(String(200))
    capacity_kg: Mapped[int] = mapped_column(Integer)
    depot_id: Mapped[str] = mapped_column(ForeignKey("waste_depots.id"))
    shift_start: Mapped[str] = mapped_column(String(5))
    shift_end: Mapped[str] = mapped_column(String(5))


class Container(TimestampMixin, Base):
    """A container (its IoT device has the same id): surface or underground, capacity, waste kind, window."""

    __tablename__ = "waste_containers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # surface, underground
    waste_kind: Mapped[str] = mapped_column(String(12))  # recyclable, food, other
    capacity_l: Mapped[int] = mapped_column(Integer)
    density_kg_l: Mapped[float] = mapped_column(Float, default=0.2)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)
    window_start: Mapped[str] = mapped_column(String(5), default="05:00")
    window_end: Mapped[str] = mapped_column(String(5), default="10:00")


class Plan(Base):
    """A day's collection plan: which containers, routed on which vehicles, and what could not be served."""

    __tablename__ = "waste_plans"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    threshold: Mapped[float] = mapped_column(Float)
    unserved: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    forecasts: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)


class Route(Base):
    """One vehicle's route of a plan: stops in order with arrival and load, length, load, geometry."""

    __tablename__ = "waste_routes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("waste_plans.id"), index=True)
    vehicle_id: Mapped[str] = mapped_column(String(40))
    stops: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    distance_km: Mapped[float] = mapped_column(Float)
    load_kg: Mapped[int] = mapped_column(Integer)
    start_min: Mapped[int] = mapped_column(Integer)
    end_min: Mapped[int] = mapped_column(Integer)


class Collection(Base):
    """A container emptied: when, by which vehicle, how full it was (a round recorded)."""

    __tablename__ = "waste_collections"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    container_id: Mapped[str] = mapped_column(String(64), index=True)
    vehicle_id: Mapped[str] = mapped_column(String(40))
    route_id: Mapped[int | None] = mapped_column(IdType)
    emptied_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fill_before: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    recorded_by: Mapped[str] = mapped_column(String(200))


class Alarm(Base):
    """An overflow, fire or tilt alarm of a container, until an operator acknowledges it."""

    __tablename__ = "waste_alarms"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    container_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # overflow, fire, tilt
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="active", index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
