"""Use cases of official documents: draft, submit, approve or return, sign, issue (number, seal), registers.

Numbering (Decree 30/2020): a yearly sequence per records office, given only at issue. The records office
reads the next number, fills it into the leader-signed PDF and seals it, then records the number in one
transaction that locks the office's counter row and moves it only if nobody took that number meanwhile
(a compare-and-set; the unique constraint on office, year and number is the last guard). A seal that
fails, or a number that was taken, leaves the counter untouched: no gaps, no duplicates.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.text import fold, search_terms
from smartcity.core.uow import UnitOfWork
from smartcity.documents import form_fields, kinds, rendering
from smartcity.documents.config import get_documents_settings
from smartcity.documents.events import DocumentIssued, DocumentSigned
from smartcity.documents.models import (
    Agency,
    Attachment,
    Counter,
    Delivery,
    Document,
    HistoryStep,
    RegisterEntry,
)
from smartcity.documents.schemas import (
    SECRECIES,
    URGENCIES,
    DocumentBase,
    DocumentRead,
    HistoryRead,
    RegisterEntryRead,
)
from smartcity.signing import service as signing

STATES = ("draft", "submitted", "returned", "approved", "signed", "issued")
DRAFTERS = ("specialist", "head", "leader", "clerk")
EDITABLE = ("draft", "returned")
MAX_NUMBER_RACES = 20
_office_locks: dict[str, threading.Lock] = {}
_office_locks_guard = threading.Lock()


@dataclass(frozen=True)
class Signing:
    """What signing needs besides the actor: the core and signing settings."""

    settings: Settings | None = None
    signing_settings: signing.SigningSettings | None = None


# --- reading ----------------------------------------------------------------------------------------


def _symbol(doc: Document) -> str:
    return kinds.symbol(
        doc.type_code, organisation_abbr=doc.organisation_abbr, drafting_unit_abbr=doc.drafting_unit_abbr
    )


def _read(doc: Document) -> DocumentRead:
    values = {column: getattr(doc, column) for column in DocumentRead.model_fields if column != "symbol"}
    return DocumentRead(**values, symbol=_symbol(doc))


def _get(session: Session, document_id: int) -> Document:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"No document {document_id}")
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
        if doc.pdf is None:
            raise NotFound("This document has no PDF yet")
        return bytes(doc.pdf)


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
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = s.scalars(
            query.order_by(Document.updated_at.desc(), Document.id.desc()).limit(limit).offset(offset)
        )
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


# --- drafting and approval --------------------------------------------------------------------------


def _check_input(db: Database, data: DocumentBase) -> tuple[str, str]:
    """Validate a draft's choices; the signer's full name and the issuing body's name."""
    if data.type_code not in kinds.document_types():
        raise ValidationFailed.for_field("type_code", "is not a document type of Decree 30/2020 Appendix III")
    if data.urgency not in URGENCIES:
        raise ValidationFailed.for_field("urgency", f"must be one of {', '.join(u for u in URGENCIES if u)}")
    if data.secrecy not in SECRECIES:
        raise ValidationFailed.for_field("secrecy", f"must be one of {', '.join(s for s in SECRECIES if s)}")
    unit = accounts.get_org_unit(db, data.office_code)
    if unit is None:
        raise ValidationFailed.for_field("office_code", "is not a known organisational unit")
    signer = accounts.get_user_by_username(db, data.signer_username)
    if signer is None:
        raise ValidationFailed.for_field("signer_username", "is not a known user")
    if data.type_code == kinds.OFFICIAL_LETTER and not data.drafting_unit_abbr:
        raise ValidationFailed.for_field("drafting_unit_abbr", "an official letter needs the drafting unit")
    with db.session() as s:
        known = set(s.scalars(select(Agency.code).where(Agency.code.in_(data.external_agencies))))
    unknown = [code for code in data.external_agencies if code not in known]
    if unknown:
        raise ValidationFailed.for_field("external_agencies", f"not registered: {', '.join(unknown)}")
    return signer.full_name.split(" (")[0], unit.name


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


def _apply(doc: Document, data: DocumentBase, signer_name: str) -> None:
    for name, value in data.model_dump().items():
        setattr(doc, name, value)
    doc.signer_name = signer_name
    doc.search_text = _search_text(doc)


def _step(uow: UnitOfWork, doc: Document, action: str, to_state: str, comment: str = "") -> None:
    before = doc.state
    uow.session.add(
        HistoryStep(
            document_id=doc.id,
            action=action,
            actor=uow.actor.label,
            from_state=before or "",
            to_state=to_state,
            comment=comment,
        )
    )
    doc.state = to_state
    uow.audit(f"documents.{action}", "document", doc.id, before={"state": before}, after={"state": to_state})


def create_draft(db: Database, *, actor: Actor, data: DocumentBase) -> DocumentRead:
    """A specialist (or head, leader, clerk) of the office writes a draft."""
    if not any(actor.has_role(r, data.office_code) for r in DRAFTERS):
        raise Forbidden(f"You are not on the staff of {data.office_code}")
    signer_name, organisation = _check_input(db, data)
    conf = get_documents_settings()
    with UnitOfWork(db, actor) as uow:
        doc = Document(
            organisation_name=organisation,
            organisation_abbr=conf.organisation_abbr,
            parent_organisation=conf.parent_organisation,
            place=conf.place,
            author=actor.name,
            state="",
        )
        _apply(doc, data, signer_name)
        uow.session.add(doc)
        uow.session.flush()
        _step(uow, doc, "drafted", "draft")
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
    """The author rewrites a draft (or a returned one)."""
    signer_name, organisation = _check_input(db, data)
    with _transition(db, actor, document_id, EDITABLE) as (uow, doc):
        if doc.author != actor.name and not actor.has_role("admin"):
            raise Forbidden("Only the author may change a draft")
        _apply(doc, data, signer_name)
        doc.organisation_name = organisation
        uow.audit("documents.draft_updated", "document", doc.id, after={"subject": doc.subject})
        return _read(doc)


def submit(db: Database, *, actor: Actor, document_id: int, comment: str = "") -> DocumentRead:
    """The author sends the draft to the head of unit."""
    with _transition(db, actor, document_id, EDITABLE) as (uow, doc):
        if doc.author != actor.name and not actor.has_role("admin"):
            raise Forbidden("Only the author may submit a draft")
        _step(uow, doc, "submitted", "submitted", comment)
        return _read(doc)


def _require_head(actor: Actor, doc: Document) -> None:
    if not (actor.has_role("head", doc.office_code) or actor.has_role("leader", doc.office_code)):
        raise Forbidden("Only the head of unit (or a leader) approves or returns drafts")


def approve(db: Database, *, actor: Actor, document_id: int, comment: str = "") -> DocumentRead:
    """The head of unit approves: the PDF is rendered and goes to the signer's queue."""
    with _transition(db, actor, document_id, ("submitted",)) as (uow, doc):
        _require_head(actor, doc)
        rendered = rendering.render(_layout(doc))
        doc.pdf, doc.signature_page = rendered.pdf, rendered.signature_page
        doc.signature_box = list(rendered.signature_box)
        doc.approver = actor.name
        _step(uow, doc, "approved", "approved", comment)
        return _read(doc)


def return_draft(db: Database, *, actor: Actor, document_id: int, comment: str) -> DocumentRead:
    """The head of unit (or the signer) sends a draft back to its author with a comment."""
    if not comment.strip():
        raise ValidationFailed.for_field("comment", "say what to change")
    with _transition(db, actor, document_id, ("submitted", "approved")) as (uow, doc):
        if not (doc.signer_username == actor.name and doc.state == "approved"):
            _require_head(actor, doc)
        doc.pdf = None
        _step(uow, doc, "returned", "returned", comment)
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


# --- signing and issue ------------------------------------------------------------------------------


def sign(
    db: Database, *, actor: Actor, document_id: int, signing_with: Signing | None = None
) -> DocumentRead:
    """The designated leader signs the approved PDF with a personal, visible PAdES signature."""
    how = signing_with or Signing()
    with db.session() as s:
        doc = _get(s, document_id)
        if actor.kind != "user" or actor.name != doc.signer_username:
            raise Forbidden("Only the official named as signer may sign this document")
        if doc.state != "approved" or doc.pdf is None:
            raise Conflict(
                f"The document is {doc.state}; only an approved document can be signed", state=doc.state
            )
        pdf, page, box = bytes(doc.pdf), doc.signature_page, doc.signature_box
        before = _sha256(pdf)
    signed = signing.sign_pdf(
        db,
        actor=actor,
        pdf=pdf,
        signer_username=actor.name,
        placement=signing.Placement(page=page, box=(box[0], box[1], box[2], box[3])),
        reason="Ký ban hành văn bản",
        filename=f"van-ban-{document_id}.pdf",
        settings=how.settings,
        signing_settings=how.signing_settings,
    )
    with _transition(db, actor, document_id, ("approved",)) as (uow, doc):
        if doc.pdf is None or _sha256(bytes(doc.pdf)) != before:
            raise Conflict("The document changed while it was being signed; sign again")
        doc.pdf, doc.signed_at, doc.signed_document_id = signed.pdf, utcnow(), signed.document_id
        _step(uow, doc, "signed", "signed")
        uow.publish(DocumentSigned(document_id=doc.id, office_code=doc.office_code, signer=actor.name))
        return _read(doc)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _office_lock(office_code: str) -> threading.Lock:
    with _office_locks_guard:
        return _office_locks.setdefault(office_code, threading.Lock())


def next_number(db: Database, office_code: str, year: int, register_name: str = "outgoing") -> int:
    """The number the office's register would give next (to be taken with `take_number`)."""
    with db.session() as s:
        last = s.scalar(
            select(Counter.last_number).where(
                Counter.office_code == office_code, Counter.year == year, Counter.register == register_name
            )
        )
        return (last or 0) + 1


def take_number(
    session: Session, office_code: str, year: int, number: int, register_name: str = "outgoing"
) -> bool:
    """Move the office's counter from number-1 to number (row locked); False if someone took it."""
    counter = session.scalar(
        select(Counter)
        .where(Counter.office_code == office_code, Counter.year == year, Counter.register == register_name)
        .with_for_update()
    )
    if counter is None:
        if number != 1:
            return False
        session.add(Counter(office_code=office_code, year=year, register=register_name, last_number=1))
        session.flush()
        return True
    if counter.last_number != number - 1:
        return False
    counter.last_number = number
    return True


def city_zone(db: Database) -> ZoneInfo:
    """The city's time zone (settings.timezone): document dates and yearly numbering follow it."""
    return ZoneInfo(db.settings.timezone)


def _local_today(db: Database) -> date:
    return utcnow().astimezone(city_zone(db)).date()


def _date_fields(day: date) -> dict[str, str]:
    # Decree 30: days below 10 and months below 3 are written with a leading zero.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return {"ngay": f"{day.day:02d}", "thang": month, "nam": str(day.year)}


def issue(
    db: Database, *, actor: Actor, document_id: int, signing_with: Signing | None = None
) -> DocumentRead:
    """The records office numbers the signed document, fills number and date, seals and registers it.

    Each attachment gets the organisation's attachment stamp with the same number and symbol in the same
    attempt; if any seal fails, nothing is recorded and the number stays free."""
    how = signing_with or Signing()
    with db.session() as s:
        doc = _get(s, document_id)
        office = doc.office_code
        if not actor.has_role("clerk", office):
            raise Forbidden(f"Only the records office of {office} issues its documents")
        if doc.state != "signed" or doc.pdf is None:
            raise Conflict(
                f"The document is {doc.state}; only a signed document can be issued", state=doc.state
            )
        signed_pdf, symbol_text = bytes(doc.pdf), _symbol(doc)
        originals = [
            (row.id, row.filename, bytes(row.pdf))
            for row in s.scalars(
                select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
            )
        ]
    with _office_lock(office):  # one issuer at a time in this process; other processes race below
        for _attempt in range(MAX_NUMBER_RACES):
            day = _local_today(db)
            number = next_number(db, office, day.year)
            label = kinds.number_symbol(number, symbol_text)
            values = {rendering.NUMBER_FIELD: f"{number:02d}", **_date_fields(day)}
            filled = form_fields.fill(signed_pdf, values)
            sealed = signing.sign_pdf(
                db,
                actor=actor,
                pdf=filled,
                org_unit_code=office,
                reason=f"Ban hành văn bản số {label}",
                document_number=f"{number:02d}",
                document_symbol=symbol_text,
                filename=f"{label.replace('/', '-')}.pdf",
                settings=how.settings,
                signing_settings=how.signing_settings,
            )
            sealed_attachments = [
                _seal_attachment(db, actor, office, original, number, symbol_text, label, how)
                for original in originals
            ]
            recorded = _record_issue(
                db,
                actor=actor,
                document_id=document_id,
                number=number,
                day=day,
                label=label,
                pdf=sealed.pdf,
                signed_document_id=sealed.document_id,
                sealed_attachments=sealed_attachments,
            )
            if recorded is not None:
                return recorded
    raise Conflict("Too many documents are being issued at once in this office; try again")


def _seal_attachment(
    db: Database,
    actor: Actor,
    office: str,
    original: tuple[int, str, bytes],
    number: int,
    symbol_text: str,
    label: str,
    how: Signing,
) -> tuple[int, signing.SignedPdf]:
    """The organisation's attachment stamp on one attachment (number, symbol, time; top right, page 1)."""
    attachment_id, filename, pdf = original
    sealed = signing.sign_pdf(
        db,
        actor=actor,
        pdf=pdf,
        org_unit_code=office,
        appearance_kind="attachment",
        reason=f"Tài liệu kèm theo văn bản số {label}",
        document_number=f"{number:02d}",
        document_symbol=symbol_text,
        filename=f"{label.replace('/', '-')}-{filename}",
        settings=how.settings,
        signing_settings=how.signing_settings,
    )
    return attachment_id, sealed


def _record_issue(
    db: Database,
    *,
    actor: Actor,
    document_id: int,
    number: int,
    day: date,
    label: str,
    pdf: bytes,
    signed_document_id: str,
    sealed_attachments: list[tuple[int, signing.SignedPdf]],
) -> DocumentRead | None:
    try:
        with _transition(db, actor, document_id, ("signed",)) as (uow, doc):
            if not take_number(uow.session, doc.office_code, day.year, number):
                raise _NumberTaken
            doc.year, doc.number, doc.number_symbol, doc.issued_on = day.year, number, label, day
            doc.issued_at, doc.pdf, doc.signed_document_id = utcnow(), pdf, signed_document_id
            doc.search_text = _search_text(doc)
            for attachment_id, sealed in sealed_attachments:
                row = uow.session.get(Attachment, attachment_id)
                if row is None:
                    raise Conflict("An attachment was removed while the document was being issued")
                row.sealed_pdf, row.signed_document_id = sealed.pdf, sealed.document_id
            uow.session.add(_outgoing_entry(doc))
            for code in dict.fromkeys(doc.external_agencies):  # one envelope per agency, sent by the worker
                uow.session.add(Delivery(envelope_id=uuid.uuid4().hex, document_id=doc.id, agency_code=code))
            _step(uow, doc, "issued", "issued", label)
            uow.publish(
                DocumentIssued(
                    document_id=doc.id,
                    office_code=doc.office_code,
                    number_symbol=label,
                    issued_on=day.isoformat(),
                    external_agencies=list(doc.external_agencies),
                )
            )
            return _read(doc)
    except (_NumberTaken, IntegrityError):
        return None


class _NumberTaken(Exception):
    """Another issuer took the number first (rolls the transaction back)."""


def _outgoing_entry(doc: Document) -> RegisterEntry:
    assert doc.number is not None and doc.year is not None and doc.issued_on is not None
    counterpart = "; ".join(doc.recipients)
    return RegisterEntry(
        office_code=doc.office_code,
        register="outgoing",
        year=doc.year,
        number=doc.number,
        number_symbol=doc.number_symbol or "",
        document_date=doc.issued_on,
        type_code=doc.type_code,
        subject=doc.subject,
        counterpart=counterpart,
        handling_unit=doc.drafting_unit_abbr,
        signer_name=doc.signer_name,
        document_id=doc.id,
        search_text=fold(" ".join([doc.number_symbol or "", doc.subject, counterpart])),
    )
