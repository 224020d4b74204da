"""incidents keep their title as a phrase

An incident's title was Vietnamese text only, so an English page showed the platform's own titles (an
alarm's rule and device, an urgent report, a camera's event) in Vietnamese. The title the platform writes is
now kept as a phrase (template and parts) beside the text; an operator's own title, and incidents opened
before, have none and are shown as their text, as before.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("ioc_incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_phrase", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ioc_incidents", schema=None) as batch_op:
        batch_op.drop_column("title_phrase")
