"""Where the documents domain keeps its PDFs: core's one file store (area "documents"); rows hold digests."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.files import FileStore, file_store
from smartcity.documents.config import get_documents_settings

AREA = "documents"


def pdf_store(db: Database) -> FileStore:
    """The documents' area of the file store, under the data directory of the database's settings."""
    return file_store(db.settings, AREA)


def keep_pdf(db: Database, content: bytes) -> str:
    """Store a PDF once by its content and return its SHA-256 (413 past the largest stored PDF)."""
    limit = get_documents_settings(db.settings).max_stored_pdf_bytes
    return pdf_store(db).put_chunks([content], max_bytes=limit).sha256


def read_pdf(db: Database, digest: str) -> bytes:
    """The PDF stored under this digest."""
    return pdf_store(db).get(digest)
