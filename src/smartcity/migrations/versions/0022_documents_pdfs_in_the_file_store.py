"""documents' PDFs move from table columns into core's file store

Every PDF the documents domain held in a column (documents, envelopes, receipts, attachments) is written
into the file store (area "documents", content-addressed) and the row keeps its SHA-256. A file is checked
on disk before its column is dropped; the downgrade reads the files back into the columns.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 19:40:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

from smartcity.core.config import Settings, get_settings
from smartcity.core.files import FileStore, file_store

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# (table, column with the bytes, column with the digest, the digest column is new and may be null)
MOVES = (
    ("documents_documents", "pdf", "pdf_sha256", True),
    ("documents_deliveries", "envelope_pdf", "envelope_sha256", True),
    ("documents_deliveries", "receipt_pdf", "receipt_sha256", True),
    ("documents_incoming", "pdf", "pdf_sha256", False),
    ("documents_incoming", "envelope_pdf", "envelope_sha256", False),
    ("documents_incoming", "receipt_pdf", "receipt_sha256", False),
    ("documents_attachments", "sealed_pdf", "sealed_sha256", True),
)
# Attachments already kept the digest of their PDF: the bytes move, the digest column stays.
KEPT_DIGEST = (("documents_attachments", "pdf"), ("documents_incoming_attachments", "pdf"))


def _store() -> FileStore:
    """The documents' file store of the settings the migration runs for (core.migrate hands them in)."""
    settings: Settings = context.config.attributes.get("settings") or get_settings()
    return file_store(settings, "documents")


def _to_store(store: FileStore, table: str, blob: str, digest: str) -> None:
    """Write each row's bytes into the store, check the file, and record its digest in the row."""
    bind = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column(blob, sa.LargeBinary), sa.column(digest, sa.String))
    ids = bind.execute(sa.select(t.c.id).where(t.c[blob].isnot(None)).order_by(t.c.id)).scalars().all()
    for row_id in ids:
        content = bytes(bind.execute(sa.select(t.c[blob]).where(t.c.id == row_id)).scalar_one())
        sha256 = store.put(content)
        if store.path(sha256).stat().st_size != len(content):
            raise RuntimeError(
                f"{table} {row_id}: the stored {blob} differs from the column; nothing dropped"
            )
        bind.execute(sa.update(t).where(t.c.id == row_id).values({digest: sha256}))


def _from_store(store: FileStore, table: str, blob: str, digest: str) -> None:
    """Read each row's file back into its bytes column."""
    bind = op.get_bind()
    t = sa.table(table, sa.column("id"), sa.column(blob, sa.LargeBinary), sa.column(digest, sa.String))
    rows = bind.execute(sa.select(t.c.id, t.c[digest]).where(t.c[digest].isnot(None)).order_by(t.c.id)).all()
    for row_id, sha256 in rows:
        bind.execute(sa.update(t).where(t.c.id == row_id).values({blob: store.get(sha256)}))


def _require(table: str, column: str, kind: sa.types.TypeEngine[Any]) -> None:
    """Make a filled column NOT NULL. SQLite rebuilds the table, and dropping the old table would cascade
    into its children: their rows are kept aside and put back."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(table, column, existing_type=kind, nullable=False)
        return
    inspector = sa.inspect(bind)
    children = [
        name
        for name in inspector.get_table_names()
        if any(fk["referred_table"] == table for fk in inspector.get_foreign_keys(name))
    ]
    for child in children:
        bind.exec_driver_sql(f'CREATE TEMP TABLE "kept_{child}" AS SELECT * FROM "{child}"')
    with op.batch_alter_table(table) as batch:
        batch.alter_column(column, existing_type=kind, nullable=False)
    for child in children:
        bind.exec_driver_sql(f'DELETE FROM "{child}"')
        bind.exec_driver_sql(f'INSERT INTO "{child}" SELECT * FROM "kept_{child}"')
        bind.exec_driver_sql(f'DROP TABLE "kept_{child}"')


def upgrade() -> None:
    store = _store()
    for table, _blob, digest, _nullable in MOVES:
        op.add_column(table, sa.Column(digest, sa.String(length=64), nullable=True))
    for table, blob, digest, _nullable in MOVES:
        _to_store(store, table, blob, digest)
    for table, blob in KEPT_DIGEST:
        _to_store(store, table, blob, "sha256")
    for table, blob, digest, nullable in MOVES:
        op.drop_column(table, blob)
        if not nullable:
            _require(table, digest, sa.String(length=64))
    for table, blob in KEPT_DIGEST:
        op.drop_column(table, blob)


def downgrade() -> None:
    store = _store()
    for table, blob, _digest, _nullable in MOVES:
        op.add_column(table, sa.Column(blob, sa.LargeBinary(), nullable=True))
    for table, blob in KEPT_DIGEST:
        op.add_column(table, sa.Column(blob, sa.LargeBinary(), nullable=True))
    for table, blob, digest, _nullable in MOVES:
        _from_store(store, table, blob, digest)
    for table, blob in KEPT_DIGEST:
        _from_store(store, table, blob, "sha256")
    for table, blob, digest, nullable in MOVES:
        op.drop_column(table, digest)
        if not nullable:
            _require(table, blob, sa.LargeBinary())
    for table, blob in KEPT_DIGEST:
        _require(table, blob, sa.LargeBinary())
