"""Monthly partitions of iot_telemetry on PostgreSQL (migration 0002); nothing to do on SQLite.

The partitioned table `public.iot_telemetry` has its partitions in the schema `iot_partitions` (so that they
are not taken for unmapped tables of ours): `iot_telemetry_default` and one `iot_telemetry_pYYYY_MM` a month,
for [first of the month, first of the next month) in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from smartcity.core.db import Database, utcnow

SCHEMA = "iot_partitions"
PARENT = "iot_telemetry"
DEFAULT_PARTITION = f"{PARENT}_default"
COLUMNS = "device_id, msg_id, key, ts, value, text_value"
_NAME = re.compile(rf"^{PARENT}_p(\d{{4}})_(\d{{2}})$")
_LOCK = 7_441_002  # advisory lock: one process at a time changes the partitions


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month, the range of one partition."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
        return cls(moment.year, moment.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.plus(1).start

    @property
    def name(self) -> str:
        return f"{PARENT}_p{self.year:04d}_{self.month:02d}"


def is_partitioned(conn: Connection) -> bool:
    """True when iot_telemetry is a partitioned table (PostgreSQL after migration 0002)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = :parent AND n.nspname = current_schema()"
        ),
        {"parent": PARENT},
    ).first()
    return found is not None


def monthly_partitions(conn: Connection) -> dict[Month, str]:
    """The monthly partitions that exist, by month (qualified table names)."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE i.inhparent = to_regclass(:parent) AND n.nspname = :schema"
        ),
        {"parent": PARENT, "schema": SCHEMA},
    ).scalars()
    months: dict[Month, str] = {}
    for name in rows:
        match = _NAME.match(name)
        if match:
            months[Month(int(match[1]), int(match[2]))] = f"{SCHEMA}.{name}"
    return months


def create_month(conn: Connection, month: Month) -> None:
    """Add the partition of `month`, moving its rows out of the DEFAULT partition if there are any."""
    table = f"{SCHEMA}.{month.name}"
    bounds = {"start": month.start, "end": month.end}
    conn.execute(text(f"CREATE TABLE {table} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {SCHEMA}.{DEFAULT_PARTITION} WHERE ts >= :start AND ts < :end "
            f"RETURNING {COLUMNS}) INSERT INTO {table} ({COLUMNS}) SELECT {COLUMNS} FROM moved"
        ),
        bounds,
    )
    # Bounds as UTC literals: they do not depend on the session's time zone.
    conn.execute(
        text(
            f"ALTER TABLE {PARENT} ATTACH PARTITION {table} FOR VALUES "
            f"FROM ('{month.start.isoformat()}') TO ('{month.end.isoformat()}')"
        )
    )


def ensure_telemetry_partitions(db: Database, *, months_ahead: int = 2, now: datetime | None = None) -> int:
    """Create the missing monthly partitions from the month of `now` to `months_ahead` after it.

    Idempotent; returns how many partitions were created. No-op (0) on SQLite or an unpartitioned table.
    """
    if db.dialect != "postgresql":
        return 0
    first = Month.of(now or utcnow())
    created = 0
    with db.engine.begin() as conn:
        if not is_partitioned(conn):
            return 0
        conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK})
        existing = monthly_partitions(conn)
        for month in (first.plus(i) for i in range(months_ahead + 1)):
            if month not in existing:
                create_month(conn, month)
                created += 1
    return created


def drop_months_before(conn: Connection, before: datetime) -> int:
    """Drop the monthly partitions that end at or before `before`; return how many rows they held."""
    if not is_partitioned(conn):
        return 0
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    conn.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _LOCK})
    removed = 0
    for month, table in sorted(monthly_partitions(conn).items(), key=lambda item: item[0].start):
        if month.end <= before:
            removed += int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            conn.execute(text(f"DROP TABLE {table}"))
    return removed
