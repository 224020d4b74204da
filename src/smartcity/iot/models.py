"""IoT tables: devices, telemetry (append-only), latest state, rejections, commands, rules, alarms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Device(TimestampMixin, Base):
    """A device in the registry, with its place, status and MQTT credentials (hashed)."""

    __tablename__ = "iot_devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(120))
    serial: Mapped[str | None] = mapped_column(String(120))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(10), index=True)
    installed_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    relationships: Mapped[dict[str, str]] = mapped_column(
        JSONType, default=dict, server_default="{}"
    )  # NGSI-LD Relationship name → target URI
    mqtt_username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    mosquitto_hash: Mapped[str | None] = mapped_column(String(300))
    decommissioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RegistryStamp(Base):
    """One row whose version goes up, in the same transaction, whenever a row of iot_devices is inserted,
    updated or deleted (database triggers, migration 0023): ingest processes keep the registry in memory
    and read only this number a batch."""

    __tablename__ = "iot_registry_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(IdType, default=0)


class Telemetry(Base):
    """One value of one message: append-only, unique by device, message id and key (duplicates ignored).

    `ts` is part of the key because PostgreSQL partitions the table by month of `ts` and a partition key
    must be in every unique constraint; a retransmitted message carries the same `ts`, so it is still
    ignored (see iot/partitions.py).
    """

    __tablename__ = "iot_telemetry"

    # One index: the key in the order reads use it (a device's key over a time range), so that a stored
    # value updates one index, not a key and an index (migration 0028).
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(String(200))


class Rollup(Base):
    """Down-sampled telemetry: count/min/max/sum of a numeric key per hour or day (kept after raw purge)."""

    __tablename__ = "iot_rollups"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(IdType)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    sum: Mapped[float | None] = mapped_column(Float)


class LatestValue(Base):
    """The newest value of each key of each device (no index but the key: a new value is a heap-only
    update on PostgreSQL, see migration 0023)."""

    __tablename__ = "iot_latest"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    msg_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(String(200))


class Rejection(Base):
    """How many messages of a device were rejected, and why (counted per device and reason)."""

    __tablename__ = "iot_rejections"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(IdType, default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_detail: Mapped[str | None] = mapped_column(Text)


class Command(Base):
    """A command to one device, stored before it is published; its id travels in the payload."""

    __tablename__ = "iot_commands"
    __table_args__ = (Index("ix_iot_commands_status_deadline", "status", "deadline"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("iot_devices.id"), index=True)
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_attempts: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class Rule(TimestampMixin, Base):
    """A rule as data: which devices, which key, which condition, what severity; versioned."""

    __tablename__ = "iot_rules"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    device_type: Mapped[str | None] = mapped_column(String(40), index=True)
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tag: Mapped[str | None] = mapped_column(String(60))
    key: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    severity: Mapped[str] = mapped_column(String(20), default="warning")
    enabled: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Alarm(Base):
    """An alarm raised by a rule on a device; at most one open alarm per rule and device. `message` is the
    Vietnamese text (API, events, audit); `message_phrase` keeps it as a phrase for pages to say it in their
    language (None for alarms raised before)."""

    __tablename__ = "iot_alarms"
    __table_args__ = (UniqueConstraint("open_key"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("iot_rules.id"), index=True)
    rule_version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str | None] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="active", index=True)
    message: Mapped[str] = mapped_column(Text)
    message_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    value: Mapped[float | None] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    open_key: Mapped[str | None] = mapped_column(String(120))


class NgsiSubscription(TimestampMixin, Base):
    """An NGSI-LD subscription: what to watch (spec) and how its notifications went."""

    __tablename__ = "iot_ngsi_subscriptions"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    throttling: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(200))
    times_sent: Mapped[int] = mapped_column(Integer, default=0)
    times_failed: Mapped[int] = mapped_column(Integer, default=0)
    last_notification: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_reason: Mapped[str | None] = mapped_column(Text)


class NgsiDelivery(Base):
    """One notification of a subscription to deliver at least once: retried with backoff until it is
    accepted or the attempts run out (then status "failed")."""

    __tablename__ = "iot_ngsi_deliveries"
    __table_args__ = (Index("ix_iot_ngsi_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("iot_ngsi_subscriptions.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
