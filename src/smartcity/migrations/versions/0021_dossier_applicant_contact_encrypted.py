"""dossier applicants' names, e-mails and addresses encrypted at rest

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 19:40:00

The clear-text columns are replaced by ciphertext made with the platform's personal-data key ring
(core.crypto, as ID numbers and phones already are) and a keyed hash of the name for exact search.
Existing rows are encrypted in place before the clear columns are dropped; downgrade decrypts them back.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from smartcity.core.config import Settings, get_settings
from smartcity.core.crypto import KeyRing, blind_index, decrypt_optional, encrypt_optional, encrypt_personal

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BATCH = 500
_DOSSIERS = sa.table(
    "dossiers",
    sa.column("id", sa.Integer),
    sa.column("applicant_name", sa.String),
    sa.column("applicant_email", sa.String),
    sa.column("applicant_address", sa.String),
    sa.column("applicant_name_encrypted", sa.Text),
    sa.column("applicant_name_index", sa.String),
    sa.column("applicant_email_encrypted", sa.Text),
    sa.column("applicant_address_encrypted", sa.Text),
)


def _keys() -> KeyRing:
    settings: Settings = context.config.attributes.get("settings") or get_settings()
    return settings.personal_keys


def _batches(columns: Sequence[sa.ColumnClause[Any]]) -> Iterator[Sequence[sa.Row[Any]]]:
    connection, last = op.get_bind(), 0
    while True:
        rows = connection.execute(
            sa.select(_DOSSIERS.c.id, *columns)
            .where(_DOSSIERS.c.id > last)
            .order_by(_DOSSIERS.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_name_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("applicant_name_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("applicant_email_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("applicant_address_encrypted", sa.Text(), nullable=True))
    keys, connection = _keys(), op.get_bind()
    clear = [_DOSSIERS.c.applicant_name, _DOSSIERS.c.applicant_email, _DOSSIERS.c.applicant_address]
    for rows in _batches(clear):
        for row in rows:
            connection.execute(
                _DOSSIERS.update()
                .where(_DOSSIERS.c.id == row.id)
                .values(
                    applicant_name_encrypted=encrypt_personal(keys, row.applicant_name or ""),
                    applicant_name_index=blind_index(keys, row.applicant_name or ""),
                    applicant_email_encrypted=encrypt_optional(keys, row.applicant_email),
                    applicant_address_encrypted=encrypt_optional(keys, row.applicant_address),
                )
            )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.alter_column("applicant_name_encrypted", existing_type=sa.Text(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_dossiers_applicant_name_index"), ["applicant_name_index"], unique=False
        )
        batch_op.drop_column("applicant_name")
        batch_op.drop_column("applicant_email")
        batch_op.drop_column("applicant_address")
    # The clear values may linger in freed pages: smartcity.core.migrate rewrites the table after commit.
    context.config.attributes.setdefault("rewrite_tables", set()).add("dossiers")


def downgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicant_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("applicant_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("applicant_address", sa.String(length=300), nullable=True))
    keys, connection = _keys(), op.get_bind()
    sealed = [
        _DOSSIERS.c.applicant_name_encrypted,
        _DOSSIERS.c.applicant_email_encrypted,
        _DOSSIERS.c.applicant_address_encrypted,
    ]
    for rows in _batches(sealed):
        for row in rows:
            connection.execute(
                _DOSSIERS.update()
                .where(_DOSSIERS.c.id == row.id)
                .values(
                    applicant_name=decrypt_optional(keys, row.applicant_name_encrypted) or "",
                    applicant_email=decrypt_optional(keys, row.applicant_email_encrypted),
                    applicant_address=decrypt_optional(keys, row.applicant_address_encrypted),
                )
            )
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.alter_column("applicant_name", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_index(batch_op.f("ix_dossiers_applicant_name_index"))
        batch_op.drop_column("applicant_address_encrypted")
        batch_op.drop_column("applicant_email_encrypted")
        batch_op.drop_column("applicant_name_index")
        batch_op.drop_column("applicant_name_encrypted")
