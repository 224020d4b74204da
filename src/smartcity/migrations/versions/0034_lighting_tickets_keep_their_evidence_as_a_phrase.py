"""lighting tickets keep their evidence as a phrase

A ticket's description (the evidence of the fault, "Đèn tiêu thụ 290 W, vượt mức 200 W …") was Vietnamese text
only, so an English page showed it in Vietnamese: a sentence with numbers in it is not found whole in a
catalogue. The description is now kept as a phrase (template and measurements) beside the text; tickets opened
before have none and are shown as their text, as before.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("lighting_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description_phrase", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lighting_tickets", schema=None) as batch_op:
        batch_op.drop_column("description_phrase")
