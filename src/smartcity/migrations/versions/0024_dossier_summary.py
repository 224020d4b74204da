"""dossier summary counts (per local day and month, procedure, field, unit); a partial index for queues

Statistics read `dossier_monthly_counts`, `dossier_daily_counts` (the edges of a period) and
`dossier_open_counts` instead of every dossier; the dossier
service keeps them in the transaction of each change (`dossiers.summary`). Both are filled here from the
dossiers already stored, by the local day of the city's zone (the loaded pack's, else the settings').
Queues and deadline lists read the dossiers awaiting someone through a partial index on the due date
they show; a unit's queue through partial indexes on the unit they wait in.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 23:10:00
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import context, op

from smartcity.core.config import Settings, get_settings

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

COUNTS = (
    "received",
    "online",
    "paid_online",
    "early",
    "on_time",
    "late",
    "refused",
    "withdrawn",
    "stopped",
    "rated",
    "satisfied",
)
OPEN_STATES = "2, 4, 5, 6"
SLOTS = ("intake", "processing", "deciding")
FINISHED_STATES = "9, 10"


def _key_columns(first: str = "day") -> list[sa.Column[object]]:
    return [
        sa.Column(first, sa.Date(), nullable=False),
        sa.Column("procedure_code", sa.String(length=40), nullable=False),
        sa.Column("field_code", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
    ]


def _zone() -> ZoneInfo:
    """The city's zone as the working calendar reads it: the loaded pack's, else the settings'."""
    settings: Settings = context.config.attributes.get("settings") or get_settings()
    recorded = op.get_bind().scalar(sa.text("SELECT timezone FROM city_packs ORDER BY id LIMIT 1"))
    return ZoneInfo(recorded or settings.timezone)


def _local_day(column: str, dialect: str, zone: ZoneInfo) -> str:
    if dialect == "postgresql":
        return f"CAST(timezone(:zone, {column}) AS date)"
    # SQLite keeps UTC text: shift by the zone's offset (no DST in the city's zone since 1975).
    delta = datetime.now(zone).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta else 0
    return f"date(datetime({column}, '{minutes:+d} minutes'))"


def _fill(zone: ZoneInfo) -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    day = _local_day("d.submitted_at", dialect, zone)
    finished_on = _local_day("d.finished_at", dialect, zone)
    finished = f"d.state IN ({FINISHED_STATES}) AND d.finished_at IS NOT NULL"
    rules = {
        "received": "1 = 1",
        "online": "d.channel = 'online'",
        "paid_online": "d.paid_online",
        "early": f"{finished} AND d.due_date IS NOT NULL AND {finished_on} < d.due_date",
        "on_time": f"{finished} AND (d.due_date IS NULL OR {finished_on} = d.due_date)",
        "late": f"{finished} AND d.due_date IS NOT NULL AND {finished_on} > d.due_date",
        "refused": "d.state = 3",
        "withdrawn": "d.state = 7",
        "stopped": "d.state = 8",
        "rated": "r.overall IS NOT NULL",
        "satisfied": "r.overall >= 2",
    }
    sums = ", ".join(f"SUM(CASE WHEN {rules[name]} THEN 1 ELSE 0 END)" for name in COUNTS)
    params = {"zone": zone.key} if dialect == "postgresql" else {}
    bind.execute(
        sa.text(
            f"INSERT INTO dossier_daily_counts (day, procedure_code, field_code, unit, {', '.join(COUNTS)}) "
            f"SELECT {day}, d.procedure_code, d.field_code, d.processing_unit, {sums} "
            "FROM dossiers d LEFT JOIN dossier_ratings r ON r.dossier_id = d.id GROUP BY 1, 2, 3, 4"
        ),
        params,
    )
    month = (
        "CAST(date_trunc('month', day) AS date)" if dialect == "postgresql" else "date(day, 'start of month')"
    )
    columns, summed = ", ".join(COUNTS), ", ".join(f"SUM({name})" for name in COUNTS)
    bind.execute(
        sa.text(
            f"INSERT INTO dossier_monthly_counts (month, procedure_code, field_code, unit, {columns}) "
            f"SELECT {month}, procedure_code, field_code, unit, {summed} "
            "FROM dossier_daily_counts GROUP BY 1, 2, 3, 4"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO dossier_open_counts "
            "(day, procedure_code, field_code, unit, due_date, running, paused) "
            f"SELECT {day}, d.procedure_code, d.field_code, d.processing_unit, d.due_date, "
            "SUM(CASE WHEN d.state <> 5 THEN 1 ELSE 0 END), SUM(CASE WHEN d.state = 5 THEN 1 ELSE 0 END) "
            f"FROM dossiers d WHERE d.state IN ({OPEN_STATES}) AND d.due_date IS NOT NULL "
            "GROUP BY 1, 2, 3, 4, 5"
        ),
        params,
    )


def upgrade() -> None:
    op.create_table(
        "dossier_daily_counts",
        *_key_columns(),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("day", "procedure_code", "field_code", "unit"),
    )
    op.create_table(
        "dossier_monthly_counts",
        *_key_columns("month"),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.PrimaryKeyConstraint("month", "procedure_code", "field_code", "unit"),
    )
    op.create_table(
        "dossier_open_counts",
        *_key_columns(),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("running", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "procedure_code", "field_code", "unit", "due_date"),
    )
    awaiting = sa.text("state IN (1, 2, 4, 5, 6, 9)")
    op.create_index(
        "ix_dossiers_awaiting_due",
        "dossiers",
        [sa.text("coalesce(apology_due_date, due_date)"), "id"],
        postgresql_where=awaiting,
        sqlite_where=awaiting,
    )
    for slot in SLOTS:
        op.create_index(
            f"ix_dossiers_{slot}_awaiting",
            "dossiers",
            [f"{slot}_unit", "state"],
            postgresql_where=awaiting,
            sqlite_where=awaiting,
        )
    _fill(_zone())


def downgrade() -> None:
    for slot in SLOTS:
        op.drop_index(f"ix_dossiers_{slot}_awaiting", table_name="dossiers")
    op.drop_index("ix_dossiers_awaiting_due", table_name="dossiers")
    op.drop_table("dossier_open_counts")
    op.drop_table("dossier_monthly_counts")
    op.drop_table("dossier_daily_counts")
