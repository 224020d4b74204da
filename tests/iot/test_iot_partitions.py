"""Telemetry partitioned by month on PostgreSQL (migration 0002); the same functions are no-ops on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from smartcity.core.db import Database, utcnow
from smartcity.iot import partitions, service, tasks
from smartcity.iot.models import Telemetry
from smartcity.iot.partitions import Month
from smartcity.iot.pipeline import Envelope
from tests.iot.conftest import message


def ingest(db: Database, device_id: str, msg_id: str, ts: datetime, **values: float) -> service.IngestOutcome:
    envelope = Envelope(message(msg_id, dict(values), ts=ts), device_id=device_id)
    return service.ingest(db, envelopes=[envelope], now=ts + timedelta(minutes=1))


def children(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'iot_telemetry'::regclass"
            )
        )
        return set(rows.scalars())


def partition_of(db: Database, device_id: str, msg_id: str) -> set[str]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT tableoid::regclass::text FROM iot_telemetry "
                "WHERE device_id = :d AND msg_id = :m"
            ),
            {"d": device_id, "m": msg_id},
        )
        return set(rows.scalars())


def stored(db: Database, device_id: str) -> int:
    with db.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Telemetry).where(Telemetry.device_id == device_id)) or 0
        )


def test_telemetry_is_partitioned_by_month_on_postgresql(db):
    with db.engine.connect() as conn:
        assert partitions.is_partitioned(conn) is (db.dialect == "postgresql")
    if db.dialect != "postgresql":
        return
    with db.engine.connect() as conn:
        strategy, column = conn.execute(
            text(
                "SELECT p.partstrat, a.attname FROM pg_partitioned_table p "
                "JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] "
                "WHERE p.partrelid = 'iot_telemetry'::regclass"
            )
        ).one()
        primary_key = conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'iot_telemetry'::regclass AND contype = 'p'"
            )
        ).one()
        indexes = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'iot_telemetry'")
        ).all()
    assert (strategy, column) == ("r", "ts")
    # in the order reads use it (a device's key over time), and the only index a stored value updates
    assert primary_key == ("pk_iot_telemetry", "PRIMARY KEY (device_id, key, ts, msg_id)")
    assert [name for (name,) in indexes] == ["pk_iot_telemetry"]
    this_month = Month.of(utcnow())
    expected = {f"iot_partitions.{this_month.plus(i).name}" for i in range(3)}
    assert expected | {"iot_partitions.iot_telemetry_default"} <= children(db)


def test_ingested_rows_land_in_their_months_partition_and_duplicates_are_ignored(db, add_device):
    add_device("AQ-1", "air_quality")
    this_month = Month.of(utcnow())
    now = this_month.start + timedelta(days=1, hours=3)
    next_month = this_month.plus(1).start + timedelta(hours=5)
    assert ingest(db, "AQ-1", "a", now, pm25=12.0, temperature=30.0).accepted == 1
    assert ingest(db, "AQ-1", "b", next_month, pm25=14.0).accepted == 1
    again = ingest(db, "AQ-1", "a", now, pm25=12.0, temperature=30.0)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert stored(db, "AQ-1") == 3
    assert service.stored_message_count(db) == 2
    if db.dialect == "postgresql":
        assert partition_of(db, "AQ-1", "a") == {f"iot_partitions.{this_month.name}"}
        assert partition_of(db, "AQ-1", "b") == {f"iot_partitions.{this_month.plus(1).name}"}


def test_ensure_partitions_creates_the_months_ahead_once(db, add_device):
    assert tasks.INTERVALS["iot.ensure_telemetry_partitions"] == timedelta(hours=6)
    assert tasks.TASKS["iot.ensure_telemetry_partitions"](db) == 0  # the migration made them
    assert service.ensure_telemetry_partitions(db) == 0
    add_device("AQ-1", "air_quality")
    far = datetime(2031, 5, 10, 12, 0, tzinfo=UTC)
    ingest(db, "AQ-1", "early", far, pm25=3.0)  # no partition yet for May 2031: the DEFAULT one
    if db.dialect == "postgresql":
        assert partition_of(db, "AQ-1", "early") == {"iot_partitions.iot_telemetry_default"}
    created = partitions.ensure_telemetry_partitions(db, months_ahead=2, now=far)
    assert created == (3 if db.dialect == "postgresql" else 0)
    assert partitions.ensure_telemetry_partitions(db, months_ahead=2, now=far) == 0
    assert stored(db, "AQ-1") == 1
    if db.dialect == "postgresql":
        names = {f"iot_partitions.iot_telemetry_p2031_{m:02d}" for m in (5, 6, 7)}
        assert names <= children(db)
        assert partition_of(db, "AQ-1", "early") == {"iot_partitions.iot_telemetry_p2031_05"}
        ingest(db, "AQ-1", "later", far + timedelta(days=31), pm25=4.0)
        assert partition_of(db, "AQ-1", "later") == {"iot_partitions.iot_telemetry_p2031_06"}


def test_purge_drops_old_partitions_and_keeps_rollups(db, add_device):
    add_device("AQ-1", "air_quality")
    january = datetime(2025, 1, 10, 8, 0, tzinfo=UTC)
    february = datetime(2025, 2, 10, 8, 0, tzinfo=UTC)
    for i in range(3):
        ingest(db, "AQ-1", f"jan{i}", january + timedelta(minutes=10 * i), pm25=float(i))
        ingest(db, "AQ-1", f"feb{i}", february + timedelta(minutes=10 * i), pm25=float(10 + i))
    partitions.ensure_telemetry_partitions(db, months_ahead=1, now=january)
    if db.dialect == "postgresql":
        assert partition_of(db, "AQ-1", "jan0") == {"iot_partitions.iot_telemetry_p2025_01"}
    assert service.roll_up(db, interval="hour", start=january, end=february + timedelta(hours=1)) == 2
    assert service.purge_telemetry(db, before=february + timedelta(minutes=15)) == 5
    if db.dialect == "postgresql":
        names = children(db)
        assert "iot_partitions.iot_telemetry_p2025_01" not in names  # dropped whole
        assert "iot_partitions.iot_telemetry_p2025_02" in names  # only partly older: rows deleted
    assert [r["msg_id"] for r in service.telemetry(db, device_id="AQ-1")] == ["feb2"]
    hourly = service.rollups(db, device_id="AQ-1", key="pm25", interval="hour")
    assert [(p["start"], p["count"], p["avg"]) for p in hourly] == [
        (january.replace(minute=0), 3, 1.0),
        (february.replace(minute=0), 3, 11.0),
    ]
