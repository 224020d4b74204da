"""Camera tables: cameras (stream addresses recorded, never proxied) and the events they report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, TimestampMixin, UTCDateTime


class Camera(TimestampMixin, Base):
    """A traffic or security camera (its IoT device has the same id; each lane a TrafficFlowObserved)."""

    __tablename__ = "cam_cameras"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), index=True)  # traffic, security
    road: Mapped[str | None] = mapped_column(String(200))
    lanes: Mapped[int] = mapped_column(Integer, default=0)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)
    stream_url: Mapped[str | None] = mapped_column(String(500))
    last_event_check: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CameraEvent(Base):
    """An event a camera's analytics reported, once per (camera, its event id)."""

    __tablename__ = "cam_events"
    __table_args__ = (UniqueConstraint("camera_id", "external_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    camera_id: Mapped[str] = mapped_column(String(64), index=True)
    external_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_via: Mapped[str] = mapped_column(String(10))  # mqtt, http
    lane: Mapped[int | None] = mapped_column(Integer)
    confidence: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64))
    snapshot_type: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(12), default="new", index=True)  # new, acknowledged
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
