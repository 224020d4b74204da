"""Drafting and approval: part of the documents service (see __init__)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from smartcity.accounts import service as accounts
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.documents import kinds, rendering
from smartcity.documents.config import get_documents_settings
from smartcity.documents.models import (
    Agency,
    Document,
    HistoryStep,
)
from smartcity.documents.schemas import (
    SECRECIES,
    URGENCIES,
    DocumentBase,
    DocumentRead,
)
from smartcity.documents.service.common import DRAFTERS, EDITABLE
from smartcity.documents.service.reading import _get, _may_read, _read, _symbol
from smartcity.documents.service.signers import Signer, check_signer
from smartcity.documents.storage import keep_pdf


def _check_input(db: Database, data: DocumentBase, *, kept_signer: str | None = None) -> tuple[Signer, str]:
    """Validate a draft's choices; the signer (see `signers`) and the issuing body's name. `kept_signer`:
    the signer the draft names already, refused in words that say they no longer lead."""
    if data.type_code not in kinds.document_types():
        raise ValidationFailed.for_field("type_code", "is not a document type of Decree 30/2020 Appendix III")
    if data.urgency not in URGENCIES:
        raise ValidationFailed.for_field("urgency", f"must be one of {', '.join(u for u in URGENCIES if u)}")
    if data.secrecy not in SECRECIES:
        raise ValidationFailed.for_field("secrecy", f"must be one of {', '.join(s for s in SECRECIES if s)}")
    unit = accounts.get_org_unit(db, data.office_code)
    if unit is None:
        raise ValidationFailed.for_field("office_code", "is not a known organisational unit")
    same = accounts.normalise_username
    kept = kept_signer is not None and same(data.signer_username) == same(kept_signer)
    signer = check_signer(db, data.office_code, data.signer_username, kept=kept)
    if data.type_code == kinds.OFFICIAL_LETTER and not data.drafting_unit_abbr:
        raise ValidationFailed.for_field("drafting_unit_abbr", "an official letter needs the drafting unit")
    with db.session() as s:
        known = set(s.scalars(select(Agency.code).where(Agency.code.in_(data.external_agencies))))
    unknown = [code for code in data.external_agencies if code not in known]
    if unknown:
        raise ValidationFailed.for_field("external_agencies", f"not registered: {', '.join(unknown)}")
    return signer, unit.name


def _search_text(doc: Document) -> str:
    return fold(
        " ".join(
            [
                doc.number_symbol or "",
                doc.subject,
                doc.body[:2000],
                doc.type_code,
                kinds.document_types()[doc.type_code].name,
                doc.signer_name,
                doc.file_code,
            ]
        )
    )


def _apply(doc: Document, data: DocumentBase, signer: Signer) -> None:
    for name, value in data.model_dump().items():
        setattr(doc, name, value)
    doc.signer_username, doc.signer_name = signer.username, signer.full_name
    doc.search_text = _search_text(doc)


def _step(
    uow: UnitOfWork, doc: Document, action: str, to_state: str, comment: str = "", at: datetime | None = None
) -> None:
    """Record a step of the document's flow, done `at` (now unless given: the demo's past)."""
    before, at = doc.state, at or utcnow()
    uow.session.add(
        HistoryStep(
            document_id=doc.id,
            action=action,
            actor=uow.actor.label,
            from_state=before or "",
            to_state=to_state,
            comment=comment,
            at=at,
        )
    )
    doc.state, doc.updated_at = to_state, at
    uow.audit(f"documents.{action}", "document", doc.id, before={"state": before}, after={"state": to_state})


def create_draft(
    db: Database, *, actor: Actor, data: DocumentBase, at: datetime | None = None
) -> DocumentRead:
    """A specialist (or head, leader, clerk) of the office writes a draft (`at`: now unless given)."""
    if not any(actor.has_role(r, data.office_code) for r in DRAFTERS):
        raise Forbidden(f"You are not on the staff of {data.office_code}")
    signer, organisation = _check_input(db, data)
    conf = get_documents_settings()
    with UnitOfWork(db, actor) as uow:
        doc = Document(
            organisation_name=organisation,
            organisation_abbr=conf.organisation_abbr,
            parent_organisation=conf.parent_organisation,
            place=conf.place,
            author=actor.name,
            state="",
            created_at=at or utcnow(),
        )
        _apply(doc, data, signer)
        uow.session.add(doc)
        uow.session.flush()
        _step(uow, doc, "drafted", "draft", at=doc.created_at)
        return _read(doc)


@contextmanager
def _transition(
    db: Database, actor: Actor, document_id: int, allowed: tuple[str, ...]
) -> Iterator[tuple[UnitOfWork, Document]]:
    with UnitOfWork(db, actor) as uow:
        doc = _get(uow.session, document_id)
        if doc.state not in allowed:
            raise Conflict(
                f"The document is {doc.state}; this needs it {' or '.join(allowed)}", state=doc.state
            )
        yield uow, doc


def update_draft(db: Database, *, actor: Actor, document_id: int, data: DocumentBase) -> DocumentRead:
    """The author rewrites a draft (or a returned one). Its signer is checked as a new draft's: one who no
    longer leads is refused, in words that say so (the draft can still be read, and signed once approved)."""
    with db.session() as s:
        stored = _get(s, document_id)
        kept = stored.signer_username if _may_read(actor, stored) else None
    signer, organisation = _check_input(db, data, kept_signer=kept)
    with _transition(db, actor, document_id, EDITABLE) as (uow, doc):
        if doc.author != actor.name and not actor.has_role("admin"):
            raise Forbidden("Only the author may change a draft")
        _apply(doc, data, signer)
        doc.organisation_name = organisation
        uow.audit("documents.draft_updated", "document", doc.id, after={"subject": doc.subject})
        return _read(doc)


def submit(
    db: Database, *, actor: Actor, document_id: int, comment: str = "", at: datetime | None = None
) -> DocumentRead:
    """The author sends the draft to the head of unit."""
    with _transition(db, actor, document_id, EDITABLE) as (uow, doc):
        if doc.author != actor.name and not actor.has_role("admin"):
            raise Forbidden("Only the author may submit a draft")
        _step(uow, doc, "submitted", "submitted", comment, at)
        return _read(doc)


def _require_head(actor: Actor, doc: Document) -> None:
    if not (actor.has_role("head", doc.office_code) or actor.has_role("leader", doc.office_code)):
        raise Forbidden("Only the head of unit (or a leader) approves or returns drafts")


def approve(
    db: Database, *, actor: Actor, document_id: int, comment: str = "", at: datetime | None = None
) -> DocumentRead:
    """The head of unit approves: the PDF is rendered and goes to the signer's queue."""
    with _transition(db, actor, document_id, ("submitted",)) as (uow, doc):
        _require_head(actor, doc)
        rendered = rendering.render(_layout(doc))
        doc.pdf_sha256, doc.signature_page = keep_pdf(db, rendered.pdf), rendered.signature_page
        doc.signature_box = list(rendered.signature_box)
        doc.approver = actor.name
        _step(uow, doc, "approved", "approved", comment, at)
        return _read(doc)


def return_draft(
    db: Database, *, actor: Actor, document_id: int, comment: str, at: datetime | None = None
) -> DocumentRead:
    """The head of unit (or the signer) sends a draft back to its author with a comment."""
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "say what to change")
    with _transition(db, actor, document_id, ("submitted", "approved")) as (uow, doc):
        if not (doc.signer_username == actor.name and doc.state == "approved"):
            _require_head(actor, doc)
        doc.pdf_sha256 = None
        _step(uow, doc, "returned", "returned", comment, at)
        return _read(doc)


def _layout(doc: Document) -> rendering.Layout:
    kind = kinds.document_types()[doc.type_code]
    return rendering.Layout(
        parent_organisation=doc.parent_organisation,
        organisation=doc.organisation_name,
        symbol=_symbol(doc),
        place=doc.place,
        type_title=kind.title,
        subject=doc.subject,
        body=doc.body.splitlines(),
        signer_authority=doc.signer_authority,
        signer_title=doc.signer_title,
        signer_name=doc.signer_name,
        recipients=[*doc.recipients, "Lưu: VT"],
        urgency=doc.urgency or None,
        secrecy=doc.secrecy or None,
    )


def preview_pdf(db: Database, *, actor: Actor, document_id: int) -> bytes:
    """The draft laid out as it will be printed (not stored)."""
    with db.session() as s:
        doc = _get(s, document_id)
        if not _may_read(actor, doc):
            raise Forbidden("Only the staff of the issuing office may read this document")
        return rendering.render(_layout(doc)).pdf
