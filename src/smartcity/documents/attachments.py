"""Attachments of official documents (phụ lục, tài liệu kèm theo): PDFs added to a draft, sealed at issue.

Decree 30/2020 (Appendix I): a separate attachment carries the organisation's stamp with the document's
number, symbol and the ISO 8601 time, at the top right of its first page. It is made through the signing
service, in `service.issue`: the same flow that numbers and seals the document.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    found_or_404,
)
from smartcity.core.malware import Intake, screen
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.documents import service
from smartcity.documents.config import get_documents_settings
from smartcity.documents.models import Attachment, Document
from smartcity.documents.schemas import AttachmentRead
from smartcity.documents.storage import keep_pdf, read_pdf
from smartcity.signing import service as signing_service

PDF_TYPES = ("application/pdf", "application/x-pdf", "application/octet-stream", "")


def read(row: Attachment) -> AttachmentRead:
    """The public facts of an attachment."""
    return AttachmentRead(
        id=row.id,
        filename=row.filename,
        size=row.size,
        sha256=row.sha256,
        sealed=row.sealed_sha256 is not None,
    )


def safe_filename(name: str | None) -> str:
    """A plain ASCII file name ending in .pdf (Vietnamese letters lose their marks, đ becomes d)."""
    folded = unicodedata.normalize("NFKD", (name or "").replace("đ", "d").replace("Đ", "D"))
    ascii_name = folded.encode("ascii", "ignore").decode()
    base = ascii_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", base)).strip("-.")
    stem = re.sub(r"\.pdf$", "", stem, flags=re.IGNORECASE)[:120] or "phu-luc"
    return f"{stem}.pdf"


def check_upload(content: bytes, content_type: str | None) -> None:
    """413 past the size limit, 415 for anything but a PDF, 422 for an empty, unreadable or locked PDF."""
    limit = get_documents_settings().max_attachment_bytes
    if len(content) > limit:
        raise PayloadTooLarge(f"The attachment is larger than the limit of {limit} bytes", limit=limit)
    if (content_type or "").split(";")[0].strip().lower() not in PDF_TYPES:
        raise UnsupportedMediaType("An attachment must be a PDF file (application/pdf)")
    reader = signing_service.open_pdf(content, max_bytes=limit)
    if int(reader.root["/Pages"]["/Count"]) < 1:
        raise ValidationFailed.for_field("file", "the PDF has no page")


def _document(session: Session, document_id: int) -> Document:
    doc = found_or_404(session.get(Document, document_id), f"No document {document_id}")
    return doc


def _require_author(actor: Actor, doc: Document) -> None:
    if doc.author != actor.name and not actor.has_role("admin"):
        raise Forbidden("Only the author changes the attachments of a draft")
    if doc.state not in service.EDITABLE:
        raise Conflict(f"The document is {doc.state}; attachments change only on a draft", state=doc.state)


def add(
    db: Database,
    *,
    actor: Actor,
    document_id: int,
    filename: str | None,
    content: bytes,
    content_type: str | None,
) -> AttachmentRead:
    """The author adds a PDF to a draft (or a returned document); it is scanned for malware first."""
    screen(Intake(db, actor, "documents.attachment"), content)
    check_upload(content, content_type)
    with UnitOfWork(db, actor) as uow:
        doc = _document(uow.session, document_id)
        _require_author(actor, doc)
        count = uow.session.scalar(
            select(func.count()).select_from(Attachment).where(Attachment.document_id == document_id)
        )
        most = get_documents_settings().max_attachments
        if (count or 0) >= most:
            raise ValidationFailed.for_field("file", f"a document carries at most {most} attachments")
        row = Attachment(
            document_id=document_id,
            filename=safe_filename(filename),
            size=len(content),
            sha256=keep_pdf(db, content),
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit("documents.attachment_added", "document", document_id, after=read(row).model_dump())
        return read(row)


def remove(db: Database, *, actor: Actor, document_id: int, attachment_id: int) -> None:
    """The author removes an attachment from a draft (or a returned document)."""
    with UnitOfWork(db, actor) as uow:
        doc = _document(uow.session, document_id)
        _require_author(actor, doc)
        row = uow.session.get(Attachment, attachment_id)
        if row is None or row.document_id != document_id:
            raise NotFound(f"No attachment {attachment_id} on document {document_id}")
        uow.audit("documents.attachment_removed", "document", document_id, before=read(row).model_dump())
        uow.session.delete(row)


def list_for(db: Database, *, actor: Actor, document_id: int) -> list[AttachmentRead]:
    """The attachments of a document, in the order they were added."""
    service.get_document(db, actor=actor, document_id=document_id)  # 404, or 403 for other offices
    with db.session() as s:
        rows = s.scalars(
            select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
        )
        return [read(row) for row in rows]


def pdf_of(db: Database, *, actor: Actor, document_id: int, attachment_id: int) -> tuple[bytes, str]:
    """An attachment's PDF (sealed once the document is issued) and its file name."""
    service.get_document(db, actor=actor, document_id=document_id)  # 404, or 403 for other offices
    with db.session() as s:
        row = s.get(Attachment, attachment_id)
        if row is None or row.document_id != document_id:
            raise NotFound(f"No attachment {attachment_id} on document {document_id}")
        return read_pdf(db, row.sealed_sha256 or row.sha256), row.filename


def sealed(db: Database, session: Session, document_id: int) -> list[tuple[str, bytes]]:
    """File name and sealed PDF of each attachment of an issued document."""
    rows = session.scalars(
        select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
    )
    return [(row.filename, read_pdf(db, row.sealed_sha256 or row.sha256)) for row in rows]
