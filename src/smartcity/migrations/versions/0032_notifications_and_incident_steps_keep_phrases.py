"""notifications and incident steps keep their sentences as phrases

A notification's subject and body and an incident step's outcome were Vietnamese text only, so an English
page showed them in Vietnamese. They now keep the sentence as a phrase (template and parts) beside the
text; those written before have none and are shown as their text, as before.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_phrase", JSON, nullable=True))
        batch_op.add_column(sa.Column("body_phrase", JSON, nullable=True))
    with op.batch_alter_table("ioc_incident_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome_phrase", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ioc_incident_steps", schema=None) as batch_op:
        batch_op.drop_column("outcome_phrase")
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.drop_column("body_phrase")
        batch_op.drop_column("subject_phrase")
