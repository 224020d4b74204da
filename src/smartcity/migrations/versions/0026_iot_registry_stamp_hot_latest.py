"""iot registry stamp: a version that goes up with every change of iot_devices; latest values updated in place

Ingest processes keep the device registry (type, status, tags, place) in memory and read only this one
number a batch; triggers raise it in the transaction that changes a device, so a batch that sees the new
number also sees the change.

iot_latest loses its index on ts (every reader groups by device, which the primary key serves) and keeps
free room in its pages (PostgreSQL fillfactor 50): a new latest value, written for every device at every
batch, is then a heap-only update that touches no index.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 23:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The version goes up by one; a missing row (a table emptied by hand) starts again from the clock in
# microseconds, so that a process never mistakes a new registry for the one it remembers.
POSTGRES_BUMP = (
    "INSERT INTO iot_registry_stamp (id, version) "
    "VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint) "
    "ON CONFLICT (id) DO UPDATE SET version = iot_registry_stamp.version + 1"
)
SQLITE_BUMP = (
    "INSERT OR IGNORE INTO iot_registry_stamp (id, version) "
    "VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)); "
    "UPDATE iot_registry_stamp SET version = version + 1 WHERE id = 1"
)
POSTGRES_UP = (
    "CREATE FUNCTION iot_registry_touched() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN {POSTGRES_BUMP}; RETURN NULL; END $$",
    # Once a statement (a bulk import raises it once, not once a row).
    "CREATE TRIGGER iot_devices_touched AFTER INSERT OR UPDATE OR DELETE ON iot_devices "
    "FOR EACH STATEMENT EXECUTE FUNCTION iot_registry_touched()",
    "CREATE TRIGGER iot_devices_truncated AFTER TRUNCATE ON iot_devices "
    "FOR EACH STATEMENT EXECUTE FUNCTION iot_registry_touched()",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS iot_devices_truncated ON iot_devices",
    "DROP TRIGGER IF EXISTS iot_devices_touched ON iot_devices",
    "DROP FUNCTION IF EXISTS iot_registry_touched()",
)
SQLITE_EVENTS = ("insert", "update", "delete")  # SQLite triggers are per row


def upgrade() -> None:
    op.create_table(
        "iot_registry_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_registry_stamp")),
    )
    op.drop_index("ix_iot_latest_ts", table_name="iot_latest")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE iot_latest SET (fillfactor = 50)")
        for statement in (*POSTGRES_UP, POSTGRES_BUMP):
            op.execute(statement)
        return
    op.execute(SQLITE_BUMP.split("; ")[0])
    for name in SQLITE_EVENTS:
        op.execute(
            f"CREATE TRIGGER iot_devices_{name}_touched AFTER {name.upper()} ON iot_devices "
            f"BEGIN {SQLITE_BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE iot_latest RESET (fillfactor)")
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    else:
        for name in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS iot_devices_{name}_touched")
    op.drop_table("iot_registry_stamp")
    op.create_index("ix_iot_latest_ts", "iot_latest", ["ts"], unique=False)
