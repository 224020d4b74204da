"""telemetry partitioned by month (PostgreSQL only)

iot_telemetry becomes a table PARTITIONED BY RANGE (ts) with the same columns, primary key and index names;
its partitions live in the schema iot_partitions: a DEFAULT one and one a month (this month and the next
two; smartcity.iot.partitions.ensure_telemetry_partitions adds the following ones). Nothing on SQLite.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from datetime import UTC, datetime

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCHEMA = "iot_partitions"
COLUMNS = "device_id, msg_id, key, ts, value, text_value"
MONTHS_AHEAD = 2


def _months(count: int) -> list[tuple[str, datetime, datetime]]:
    """(partition name, start, end) of this month (UTC) and the `count` following ones."""
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1
    months = []
    for i in range(index, index + count + 1):
        (year, month), (next_year, next_month) = divmod(i, 12), divmod(i + 1, 12)
        start = datetime(year, month + 1, 1, tzinfo=UTC)
        end = datetime(next_year, next_month + 1, 1, tzinfo=UTC)
        months.append((f"iot_telemetry_p{year:04d}_{month + 1:02d}", start, end))
    return months


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE iot_telemetry RENAME TO iot_telemetry_unpartitioned")
    op.execute(
        "ALTER TABLE iot_telemetry_unpartitioned RENAME CONSTRAINT pk_iot_telemetry TO pk_iot_telemetry_old"
    )
    op.execute("ALTER INDEX ix_iot_telemetry_device_key_ts RENAME TO ix_iot_telemetry_device_key_ts_old")
    op.execute(
        "CREATE TABLE iot_telemetry (LIKE iot_telemetry_unpartitioned "
        "INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (ts)"
    )
    op.execute(
        "ALTER TABLE iot_telemetry ADD CONSTRAINT pk_iot_telemetry PRIMARY KEY (device_id, msg_id, key, ts)"
    )
    op.execute("CREATE INDEX ix_iot_telemetry_device_key_ts ON iot_telemetry (device_id, key, ts)")
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    op.execute(f"CREATE TABLE {SCHEMA}.iot_telemetry_default PARTITION OF iot_telemetry DEFAULT")
    for name, start, end in _months(MONTHS_AHEAD):
        op.execute(
            f"CREATE TABLE {SCHEMA}.{name} PARTITION OF iot_telemetry "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    op.execute(f"INSERT INTO iot_telemetry ({COLUMNS}) SELECT {COLUMNS} FROM iot_telemetry_unpartitioned")
    op.execute("DROP TABLE iot_telemetry_unpartitioned")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE iot_telemetry RENAME TO iot_telemetry_partitioned")
    op.execute(
        "ALTER TABLE iot_telemetry_partitioned RENAME CONSTRAINT pk_iot_telemetry TO pk_iot_telemetry_old"
    )
    op.execute("ALTER INDEX ix_iot_telemetry_device_key_ts RENAME TO ix_iot_telemetry_device_key_ts_old")
    op.execute(
        "CREATE TABLE iot_telemetry (LIKE iot_telemetry_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    op.execute(
        "ALTER TABLE iot_telemetry ADD CONSTRAINT pk_iot_telemetry PRIMARY KEY (device_id, msg_id, key, ts)"
    )
    op.execute("CREATE INDEX ix_iot_telemetry_device_key_ts ON iot_telemetry (device_id, key, ts)")
    op.execute(f"INSERT INTO iot_telemetry ({COLUMNS}) SELECT {COLUMNS} FROM iot_telemetry_partitioned")
    op.execute("DROP TABLE iot_telemetry_partitioned")
    op.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
