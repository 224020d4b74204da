"""Reading: part of the documents service (see __init__)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, NotFound, ValidationFailed, found_or_404
from smartcity.core.pages import count_and_slice
from smartcity.core.security import Actor
from smartcity.core.text import search_terms
from smartcity.documents import kinds
from smartcity.documents.models import (
    Document,
    HistoryStep,
    RegisterEntry,
)
from smartcity.documents.schemas import (
    DocumentRead,
    HistoryRead,
    RegisterEntryRead,
)
from smartcity.documents.service.common import DRAFTERS, STATES
from smartcity.documents.storage import read_pdf


def _symbol(doc: Document) -> str:
    return kinds.symbol(
        doc.type_code, organisation_abbr=doc.organisation_abbr, drafting_unit_abbr=doc.drafting_unit_abbr
    )


def _read(doc: Document) -> DocumentRead:
    values = {column: getattr(doc, column) for column in DocumentRead.model_fields if column != "symbol"}
    return DocumentRead(**values, symbol=_symbol(doc))


def _get(session: Session, document_id: int) -> Document:
    doc = found_or_404(session.get(Document, document_id), f"No document {document_id}")
    return doc


def _may_read(actor: Actor, doc: Document) -> bool:
    return actor.has_role("admin") or any(actor.has_role(r, doc.office_code) for r in DRAFTERS)


def get_document(db: Database, *, actor: Actor, document_id: int) -> DocumentRead:
    """One document, for the staff of its office."""
    with db.session() as s:
        doc = _get(s, document_id)
        if not _may_read(actor, doc):
            raise Forbidden("Only the staff of the issuing office may read this document")
        return _read(doc)


def document_pdf(db: Database, *, actor: Actor, document_id: int) -> bytes:
    """The latest PDF of a document (rendered draft, leader-signed, or issued)."""
    with db.session() as s:
        doc = _get(s, document_id)
        if not _may_read(actor, doc):
            raise Forbidden("Only the staff of the issuing office may read this document")
        if doc.pdf_sha256 is None:
            raise NotFound("This document has no PDF yet")
        return read_pdf(db, doc.pdf_sha256)


def history(db: Database, *, actor: Actor, document_id: int) -> list[HistoryRead]:
    """Every step of a document's flow, oldest first."""
    with db.session() as s:
        doc = _get(s, document_id)
        if not _may_read(actor, doc):
            raise Forbidden("Only the staff of the issuing office may read this document")
        steps = s.scalars(
            select(HistoryStep)
            .where(HistoryStep.document_id == document_id)
            .order_by(HistoryStep.at, HistoryStep.id)
        )
        return [HistoryRead.model_validate(step) for step in steps]


def _offices(actor: Actor) -> set[str | None]:
    return set().union(*(actor.units_for(role) for role in DRAFTERS))


def _scope(actor: Actor, query: Any, column: Any) -> Any:
    if actor.has_role("admin"):
        return query
    offices = _offices(actor)
    if None in offices:
        return query
    return query.where(column.in_([o for o in offices if o]))


def _search(query: Any, column: Any, text: str | None) -> Any:
    for term in search_terms(text or ""):
        query = query.where(column.contains(term, autoescape=True))
    return query


def list_documents(
    db: Database,
    *,
    actor: Actor,
    q: str | None = None,
    state: str | None = None,
    office_code: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DocumentRead], int]:
    """Documents of the actor's offices, newest first; `q` matches with or without diacritics."""
    query = _scope(actor, select(Document), Document.office_code)
    query = _search(query, Document.search_text, q)
    if state:
        if state not in STATES:
            raise ValidationFailed.for_field("state", f"must be one of {', '.join(STATES)}")
        query = query.where(Document.state == state)
    if office_code:
        query = query.where(Document.office_code == office_code)
    with db.session() as s:
        order = (Document.updated_at.desc(), Document.id.desc())
        rows, total = count_and_slice(s, query, *order, limit=limit, offset=offset)
        return [_read(doc) for doc in rows], total


def sign_queue(db: Database, *, actor: Actor) -> list[DocumentRead]:
    """Approved documents waiting for this official's signature, oldest first."""
    with db.session() as s:
        rows = s.scalars(
            select(Document)
            .where(Document.state == "approved", Document.signer_username == actor.name)
            .order_by(Document.updated_at)
        )
        return [_read(doc) for doc in rows] if actor.kind == "user" else []


def issue_queue(db: Database, *, actor: Actor) -> list[DocumentRead]:
    """Signed documents waiting for the records office the actor works in."""
    query = select(Document).where(Document.state == "signed")
    query = (
        query
        if actor.has_role("admin")
        else query.where(Document.office_code.in_([u for u in actor.units_for("clerk") if u]))
    )
    with db.session() as s:
        return [_read(doc) for doc in s.scalars(query.order_by(Document.signed_at))]


def register(
    db: Database,
    *,
    actor: Actor,
    register_name: str,
    office_code: str | None = None,
    year: int | None = None,
    q: str | None = None,
) -> list[RegisterEntryRead]:
    """The outgoing or incoming register of the actor's offices, by number."""
    if register_name not in ("outgoing", "incoming"):
        raise ValidationFailed.for_field("register", "must be outgoing or incoming")
    query = _scope(actor, select(RegisterEntry), RegisterEntry.office_code)
    query = _search(query.where(RegisterEntry.register == register_name), RegisterEntry.search_text, q)
    if office_code:
        query = query.where(RegisterEntry.office_code == office_code)
    if year:
        query = query.where(RegisterEntry.year == year)
    with db.session() as s:
        rows = s.scalars(query.order_by(RegisterEntry.year.desc(), RegisterEntry.number.desc()))
        return [RegisterEntryRead.model_validate(row) for row in rows]
