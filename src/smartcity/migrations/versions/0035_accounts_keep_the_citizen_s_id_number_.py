"""accounts keep the citizen's ID number sealed

A citizen's e-form asked for the personal ID number (căn cước, 12 digits) every time: the account had none to
fill it in with. The account now keeps the number the person gives, sealed with the personal-data key ring
(core.crypto), masked for pages, and a keyed hash that is unique, so one number has one account. Accounts made
before have none until their holder adds it.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 22:46:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index, not a batch (on SQLite a batch rebuilds the table, and dropping the
    # old one would cascade to the rows that reference users).
    op.add_column("users", sa.Column("citizen_id_encrypted", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("citizen_id_masked", sa.String(length=16), nullable=True))
    op.add_column("users", sa.Column("citizen_id_index", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_users_citizen_id_index"), "users", ["citizen_id_index"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_users_citizen_id_index"), table_name="users")
    for column in ("citizen_id_index", "citizen_id_masked", "citizen_id_encrypted"):
        op.drop_column("users", column)  # ALTER TABLE … DROP COLUMN (SQLite 3.35+), no rebuild
