"""dossier queue counts (an exact total for every queue); unit queue indexes in the queue's order

`dossier_queue_counts` counts the dossiers awaiting someone (states 1, 2, 4, 5, 6, 9) by what the queues'
rules ask of them (units, state, workflow, step, assignee, unpaid fee, interlinked, received): a queue's
total is the sum of the rows its rules select (`dossiers.queues.queue_total`), kept by the dossier service
in the transaction of each change (`dossiers.summary`) and filled here from the stored dossiers.

The partial indexes on (unit, state) of each unit slot become (unit, shown due date, id): a unit's queue
page is then the first rows of one index range per unit slot (`queues.branches`), not every awaiting
dossier of the unit sorted.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SLOTS = ("intake", "processing", "deciding")
AWAITING = "state IN (1, 2, 4, 5, 6, 9)"
KEY = (
    "intake_unit",
    "processing_unit",
    "deciding_unit",
    "state",
    "workflow",
    "step",
    "assignee",
    "unpaid_fee",
    "interlinked",
    "received",
)
FILL = f"""INSERT INTO dossier_queue_counts ({", ".join(KEY)}, waiting)
SELECT intake_unit, processing_unit, deciding_unit, state, workflow,
  COALESCE(step, ''), COALESCE(assignee, ''),
  CASE WHEN fee_vnd > 0 AND paid_at IS NULL THEN true ELSE false END,
  CASE WHEN interlinked THEN true ELSE false END,
  CASE WHEN received_at IS NOT NULL THEN true ELSE false END,
  COUNT(*)
FROM dossiers WHERE {AWAITING}
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""


def upgrade() -> None:
    op.create_table(
        "dossier_queue_counts",
        sa.Column("intake_unit", sa.String(64), nullable=False),
        sa.Column("processing_unit", sa.String(64), nullable=False),
        sa.Column("deciding_unit", sa.String(64), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(40), nullable=False),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("assignee", sa.String(64), nullable=False),
        sa.Column("unpaid_fee", sa.Boolean(), nullable=False),
        sa.Column("interlinked", sa.Boolean(), nullable=False),
        sa.Column("received", sa.Boolean(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY),
    )
    op.get_bind().execute(sa.text(FILL))
    for slot in SLOTS:
        op.drop_index(f"ix_dossiers_{slot}_awaiting", table_name="dossiers")
        op.create_index(
            f"ix_dossiers_{slot}_awaiting_due",
            "dossiers",
            [f"{slot}_unit", sa.text("coalesce(apology_due_date, due_date)"), "id"],
            postgresql_where=sa.text(AWAITING),
            sqlite_where=sa.text(AWAITING),
        )


def downgrade() -> None:
    for slot in SLOTS:
        op.drop_index(f"ix_dossiers_{slot}_awaiting_due", table_name="dossiers")
        op.create_index(
            f"ix_dossiers_{slot}_awaiting",
            "dossiers",
            [f"{slot}_unit", "state"],
            postgresql_where=sa.text(AWAITING),
            sqlite_where=sa.text(AWAITING),
        )
    op.drop_table("dossier_queue_counts")
