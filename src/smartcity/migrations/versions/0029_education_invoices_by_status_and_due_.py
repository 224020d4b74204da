"""education invoices by status and due date

The arrears (open invoices past their due date) are asked of every school and of the whole city on the staff
pages' work list; without an index each visit read every invoice of the city.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 04:20:52
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

INDEX = "ix_education_invoices_status_due"


def upgrade() -> None:
    op.create_index(INDEX, "education_invoices", ["status", "due_on"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="education_invoices")
