"""Telemetry queries: part of the iot service (see __init__)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.iot import partitions
from smartcity.iot.models import (
    Device,
    LatestValue,
    Rejection,
    Rollup,
    Telemetry,
)
from smartcity.iot.pipeline import typed_value
from smartcity.iot.service.common import INTERVALS
from smartcity.iot.service.registry import get_device


def telemetry(
    db: Database,
    *,
    device_id: str,
    key: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Stored values of a device, newest first (optionally one key, within [start, end))."""
    device = get_device(db, device_id=device_id)
    query = select(Telemetry).where(Telemetry.device_id == device_id)
    if key:
        query = query.where(Telemetry.key == key)
    query = _within(query, Telemetry.ts, start, end)
    with db.session() as s:
        rows = s.scalars(query.order_by(Telemetry.ts.desc(), Telemetry.key).limit(limit)).all()
    return [
        {
            "ts": r.ts,
            "key": r.key,
            "msg_id": r.msg_id,
            "value": typed_value(device.type, r.key, r.value, r.text_value),
        }
        for r in rows
    ]


def _within(query: Any, column: Any, start: datetime | None, end: datetime | None) -> Any:
    """The query limited to start <= column < end (either bound optional)."""
    if start:
        query = query.where(column >= start)
    if end:
        query = query.where(column < end)
    return query


def aggregates(
    db: Database,
    *,
    device_id: str,
    key: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Count/min/avg/max of a numeric key by interval (minute, 5min, 15min, hour, day), oldest first."""
    if interval not in INTERVALS:
        raise ValidationFailed.for_field("interval", f"one of {', '.join(INTERVALS)}")
    return aggregates_every(
        db, device_id=device_id, key=key, seconds=INTERVALS[interval], start=start, end=end, limit=limit
    )


def aggregates_every(
    db: Database,
    *,
    device_id: str,
    key: str,
    seconds: int,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Count/min/avg/max/sum of a numeric key by periods of `seconds` (aligned on the epoch), oldest first."""
    if seconds < 1:
        raise ValidationFailed.for_field("seconds", "at least one second")
    get_device(db, device_id=device_id)
    bucket = _bucket(db, seconds).label("bucket")
    query = select(
        bucket,
        func.count(Telemetry.value),
        func.min(Telemetry.value),
        func.avg(Telemetry.value),
        func.max(Telemetry.value),
        func.sum(Telemetry.value),
    ).where(Telemetry.device_id == device_id, Telemetry.key == key)
    query = _within(query, Telemetry.ts, start, end)
    with db.session() as s:
        rows = s.execute(query.group_by(bucket).order_by(bucket).limit(limit)).all()
    return [
        {
            "start": datetime.fromtimestamp(int(b), UTC),
            "count": n,
            "min": lo,
            "avg": float(avg) if avg is not None else None,
            "max": hi,
            "sum": total,
        }
        for b, n, lo, avg, hi, total in rows
    ]


def _bucket(db: Database, seconds: int) -> Any:
    if db.dialect == "postgresql":
        return func.floor(func.extract("epoch", Telemetry.ts) / seconds) * seconds
    return cast(func.strftime("%s", Telemetry.ts), Integer) // seconds * seconds


ROLLUP_INTERVALS = {"hour": 3600, "day": 86400}


def roll_up(db: Database, *, interval: str, start: datetime, end: datetime) -> int:
    """(Re)compute hourly or daily count/min/max/sum of numeric values in [start, end); idempotent."""
    seconds = ROLLUP_INTERVALS[interval]
    start = datetime.fromtimestamp(int(start.timestamp()) // seconds * seconds, UTC)
    end = datetime.fromtimestamp(-(-int(end.timestamp()) // seconds) * seconds, UTC)
    bucket = _bucket(db, seconds).label("bucket")
    query = (
        select(
            Telemetry.device_id,
            Telemetry.key,
            bucket,
            func.count(Telemetry.value),
            func.min(Telemetry.value),
            func.max(Telemetry.value),
            func.sum(Telemetry.value),
        )
        .where(Telemetry.value.is_not(None), Telemetry.ts >= start, Telemetry.ts < end)
        .group_by(Telemetry.device_id, Telemetry.key, bucket)
    )
    with db.write_session() as s:
        rows = [
            {
                "device_id": d,
                "key": k,
                "interval": interval,
                "start": datetime.fromtimestamp(int(b), UTC),
                "count": n,
                "min": lo,
                "max": hi,
                "sum": total,
            }
            for d, k, b, n, lo, hi, total in s.execute(query)
        ]
        insert_ = pg_insert if db.dialect == "postgresql" else sqlite_insert
        for chunk in range(0, len(rows), 5000):
            statement = insert_(Rollup)
            statement = statement.on_conflict_do_update(
                index_elements=["device_id", "key", "interval", "start"],
                set_={c: statement.excluded[c] for c in ("count", "min", "max", "sum")},
            )
            s.execute(statement, rows[chunk : chunk + 5000])
    return len(rows)


def purge_telemetry(db: Database, *, before: datetime) -> int:
    """Delete raw values older than `before` (roll them up first: roll-ups are kept); return how many.

    On PostgreSQL the monthly partitions that end before `before` are dropped whole, then the rest is
    deleted row by row.
    """
    with db.write_session() as s:
        dropped = partitions.drop_months_before(s.connection(), before) if db.dialect == "postgresql" else 0
        result: Any = s.execute(delete(Telemetry).where(Telemetry.ts < before))
        return dropped + int(result.rowcount or 0)


def ensure_telemetry_partitions(db: Database, *, months_ahead: int = 2) -> int:
    """Create the monthly partitions of telemetry up to `months_ahead` months ahead (PostgreSQL; else 0)."""
    return partitions.ensure_telemetry_partitions(db, months_ahead=months_ahead)


def rollups(
    db: Database,
    *,
    device_id: str,
    key: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 2000,
) -> list[dict[str, Any]]:
    """Hourly or daily count/min/avg/max of a key from the roll-up table, oldest first."""
    if interval not in ROLLUP_INTERVALS:
        raise ValidationFailed.for_field("interval", "hour or day")
    query = select(Rollup).where(
        Rollup.device_id == device_id, Rollup.key == key, Rollup.interval == interval
    )
    query = _within(query, Rollup.start, start, end)
    with db.session() as s:
        items = s.scalars(query.order_by(Rollup.start).limit(limit)).all()
    return [
        {
            "start": r.start,
            "count": r.count,
            "min": r.min,
            "max": r.max,
            "avg": (r.sum / r.count) if r.count and r.sum is not None else None,
        }
        for r in items
    ]


def latest_state(db: Database, *, device_ids: Sequence[str]) -> dict[str, dict[str, tuple[Any, datetime]]]:
    """The newest value and its time of each key of each device."""
    query = (
        select(LatestValue, Device.type)
        .join(Device, Device.id == LatestValue.device_id)
        .where(LatestValue.device_id.in_(list(device_ids)))
    )
    state: dict[str, dict[str, tuple[Any, datetime]]] = {i: {} for i in device_ids}
    with db.session() as s:
        for latest, kind in s.execute(query):
            value = typed_value(kind, latest.key, latest.value, latest.text_value)
            state[latest.device_id][latest.key] = (value, latest.ts)
    return state


def reported_since(db: Database, *, device_ids: Sequence[str], since: datetime) -> set[str]:
    """Those of the devices that reported any value at or after `since`."""
    query = (
        select(LatestValue.device_id)
        .where(LatestValue.device_id.in_(list(device_ids)), LatestValue.ts >= since)
        .distinct()
    )
    with db.session() as s:
        return set(s.scalars(query))


def rejections(db: Database, *, device_id: str | None = None, limit: int = 200) -> list[Rejection]:
    """Rejection counters, most recent first (of one device, or all)."""
    query = select(Rejection).order_by(Rejection.last_at.desc()).limit(limit)
    if device_id:
        query = query.where(Rejection.device_id == device_id)
    return db.all(query)


def stored_message_count(db: Database) -> int:
    """How many distinct messages are stored (for tests and benchmarks)."""
    with db.session() as s:
        query = select(func.count()).select_from(
            select(Telemetry.device_id, Telemetry.msg_id).distinct().subquery()
        )
        return s.scalar(query) or 0
