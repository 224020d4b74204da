"""Documents keep their PDFs in the file store; migration 0022 moves them out of columns and back."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import make_url

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import PayloadTooLarge
from smartcity.core.files import file_store
from smartcity.core.migrate import alembic_config, upgrade
from smartcity.documents.config import DocumentsSettings
from smartcity.documents.storage import keep_pdf, read_pdf
from tests.conftest import POSTGRES_URL, TEST_SECRET, service_missing

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
SEALED = b"%PDF-1.7\nsealed\n%%EOF\n"
ENVELOPE = b"%PDF-1.7\nenvelope\n%%EOF\n"
RECEIPT = b"%PDF-1.7\nreceipt\n%%EOF\n"


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with nothing migrated yet: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'm.db'}")
        yield database
        database.dispose()
        return
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need SMARTCITY_TEST_POSTGRES_URL (.ci/run sets it)")
    assert POSTGRES_URL is not None
    url = make_url(Settings(database_url=POSTGRES_URL).resolved_database_url)
    name = f"{url.database}_migration_0022"
    admin = Database(url.render_as_string(hide_password=False))
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    database = Database(url.set(database=name).render_as_string(hide_password=False))
    with database.engine.begin() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    yield database
    database.dispose()
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _filler(column: sa.Column[Any]) -> Any:
    """A value of the column's type for a required column the test does not care about."""
    kind = column.type.python_type if not isinstance(column.type, sa.JSON) else dict
    return {
        int: 1,
        str: "x",
        bool: False,
        bytes: b"",
        date: date(2026, 3, 2),
        datetime: datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        dict: {},
        list: [],
    }[kind]


def _insert(conn: sa.Connection, table_name: str, **values: Any) -> None:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    row = {c.name: _filler(c) for c in table.columns if not c.nullable and not c.primary_key}
    conn.execute(table.insert().values({**row, **values}))


def _row(conn: sa.Connection, table_name: str) -> dict[str, Any]:
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    return dict(conn.execute(sa.select(table)).mappings().one())


def test_pdfs_move_into_the_file_store_and_back(empty_db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", database_url=empty_db.url, secret_key=TEST_SECRET)
    empty_db.bind_settings(settings)
    upgrade(empty_db, "0021")
    with empty_db.engine.begin() as conn:
        _insert(conn, "documents_documents", id=1, pdf=PDF, signature_box=[])
        _insert(
            conn, "documents_attachments", id=1, document_id=1, sha256=_sha(PDF), pdf=PDF, sealed_pdf=SEALED
        )
        _insert(conn, "documents_deliveries", id=1, document_id=1, envelope_pdf=ENVELOPE, receipt_pdf=None)
        _insert(conn, "documents_incoming", id=1, pdf=PDF, envelope_pdf=ENVELOPE, receipt_pdf=RECEIPT)
        _insert(conn, "documents_incoming_attachments", id=1, incoming_id=1, sha256=_sha(SEALED), pdf=SEALED)

    upgrade(empty_db, "0022")

    store = file_store(settings, "documents")
    with empty_db.engine.connect() as conn:
        document, attachment = _row(conn, "documents_documents"), _row(conn, "documents_attachments")
        delivery, incoming = _row(conn, "documents_deliveries"), _row(conn, "documents_incoming")
        incoming_attachment = _row(conn, "documents_incoming_attachments")
    assert "pdf" not in document and store.get(document["pdf_sha256"]) == PDF
    assert "pdf" not in attachment and "sealed_pdf" not in attachment
    assert store.get(attachment["sha256"]) == PDF and store.get(attachment["sealed_sha256"]) == SEALED
    assert store.get(delivery["envelope_sha256"]) == ENVELOPE and delivery["receipt_sha256"] is None
    assert [store.get(incoming[c]) for c in ("pdf_sha256", "envelope_sha256", "receipt_sha256")] == [
        PDF,
        ENVELOPE,
        RECEIPT,
    ]
    assert store.get(incoming_attachment["sha256"]) == SEALED and "pdf" not in incoming_attachment

    with empty_db.engine.begin() as connection:
        config = alembic_config(empty_db.url)
        config.attributes.update(connection=connection, settings=settings)
        command.downgrade(config, "0021")
    with empty_db.engine.connect() as conn:
        document, attachment = _row(conn, "documents_documents"), _row(conn, "documents_attachments")
        delivery, incoming = _row(conn, "documents_deliveries"), _row(conn, "documents_incoming")
        incoming_attachment = _row(conn, "documents_incoming_attachments")
    assert bytes(document["pdf"]) == PDF and "pdf_sha256" not in document
    assert (bytes(attachment["pdf"]), bytes(attachment["sealed_pdf"])) == (PDF, SEALED)
    assert bytes(delivery["envelope_pdf"]) == ENVELOPE and delivery["receipt_pdf"] is None
    assert [bytes(incoming[c]) for c in ("pdf", "envelope_pdf", "receipt_pdf")] == [PDF, ENVELOPE, RECEIPT]
    assert bytes(incoming_attachment["pdf"]) == SEALED


def test_a_pdf_is_kept_once_by_content_and_refused_past_the_limit(db: Database, settings: Settings) -> None:
    settings.set_section(DocumentsSettings(max_stored_pdf_bytes=len(PDF)))
    digest = keep_pdf(db, PDF)
    assert digest == _sha(PDF) == keep_pdf(db, PDF) and read_pdf(db, digest) == PDF
    assert (settings.data_dir / "files" / "documents" / digest[:2] / digest).stat().st_mode & 0o777 == 0o600
    with pytest.raises(PayloadTooLarge):
        keep_pdf(db, PDF + b" ")
    assert sorted(p.name for p in (settings.data_dir / "files" / "documents").rglob("*") if p.is_file()) == [
        digest
    ]
