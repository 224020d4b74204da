"""iot alarms keep their message as a phrase

An alarm's message was Vietnamese text only ("Quá nhiệt: Nhiệt độ thiết bị = 55,2 (ngưỡng > 50)"), so an
English page showed it in Vietnamese. The alarm now keeps the message as a phrase (template and parts) beside
the text; the alarms raised before have none and are shown as their text, as before.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 10:02:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("iot_alarms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_phrase", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("iot_alarms", schema=None) as batch_op:
        batch_op.drop_column("message_phrase")
