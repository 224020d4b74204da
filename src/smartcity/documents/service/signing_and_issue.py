"""Signing and issue: part of the documents service (see __init__)."""

from __future__ import annotations

import threading
import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, Forbidden
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.documents import form_fields, kinds, rendering
from smartcity.documents.events import DocumentIssued, LeaderSigned
from smartcity.documents.models import (
    Attachment,
    Counter,
    Delivery,
    Document,
    RegisterEntry,
)
from smartcity.documents.schemas import (
    DocumentRead,
)
from smartcity.documents.service.common import MAX_NUMBER_RACES, Signing, _office_locks, _office_locks_guard
from smartcity.documents.service.drafting_and_approval import _search_text, _step, _transition
from smartcity.documents.service.reading import _get, _read, _symbol
from smartcity.documents.storage import keep_pdf, read_pdf
from smartcity.signing import service as signing


def sign(
    db: Database,
    *,
    actor: Actor,
    document_id: int,
    signing_with: Signing | None = None,
    at: datetime | None = None,
) -> DocumentRead:
    """The designated leader signs the approved PDF with a personal, visible PAdES signature (`at`: the
    time the document records, now unless given)."""
    how = signing_with or Signing()
    with db.session() as s:
        doc = _get(s, document_id)
        if actor.kind != "user" or actor.name != doc.signer_username:
            raise Forbidden("Only the official named as signer may sign this document")
        if doc.state != "approved" or doc.pdf_sha256 is None:
            raise Conflict(
                f"The document is {doc.state}; only an approved document can be signed", state=doc.state
            )
        before, page, box = doc.pdf_sha256, doc.signature_page, doc.signature_box
    pdf = read_pdf(db, before)
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
        if doc.pdf_sha256 != before:
            raise Conflict("The document changed while it was being signed; sign again")
        doc.pdf_sha256, doc.signed_at = keep_pdf(db, signed.pdf), at or utcnow()
        doc.signed_document_id = signed.document_id
        _step(uow, doc, "signed", "signed", at=doc.signed_at)
        uow.publish(LeaderSigned(document_id=doc.id, office_code=doc.office_code, signer=actor.name))
        return _read(doc)


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


def _date_fields(day: date) -> dict[str, str]:
    # Decree 30: days below 10 and months below 3 are written with a leading zero.
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return {"ngay": f"{day.day:02d}", "thang": month, "nam": str(day.year)}


def issue(
    db: Database,
    *,
    actor: Actor,
    document_id: int,
    signing_with: Signing | None = None,
    at: datetime | None = None,
) -> DocumentRead:
    """The records office numbers the signed document, fills number and date, seals and registers it (`at`:
    the time of issue the document records, its day the date written on it; now unless given).

    Each attachment gets the organisation's attachment stamp with the same number and symbol in the same
    attempt; if any seal fails, nothing is recorded and the number stays free."""
    how = signing_with or Signing()
    with db.session() as s:
        doc = _get(s, document_id)
        office = doc.office_code
        if not actor.has_role("clerk", office):
            raise Forbidden(f"Only the records office of {office} issues its documents")
        if doc.state != "signed" or doc.pdf_sha256 is None:
            raise Conflict(
                f"The document is {doc.state}; only a signed document can be issued", state=doc.state
            )
        signed_pdf, symbol_text = read_pdf(db, doc.pdf_sha256), _symbol(doc)
        originals = [
            (row.id, row.filename, read_pdf(db, row.sha256))
            for row in s.scalars(
                select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
            )
        ]
    with _office_lock(office):  # one issuer at a time in this process; other processes race below
        for _attempt in range(MAX_NUMBER_RACES):
            day = clock.local_date(at, db.settings) if at else clock.today(db.settings)
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
                at=at,
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
    at: datetime | None = None,
) -> DocumentRead | None:
    try:
        with _transition(db, actor, document_id, ("signed",)) as (uow, doc):
            if not take_number(uow.session, doc.office_code, day.year, number):
                raise _NumberTaken
            doc.year, doc.number, doc.number_symbol, doc.issued_on = day.year, number, label, day
            doc.issued_at, doc.pdf_sha256 = at or utcnow(), keep_pdf(db, pdf)
            doc.signed_document_id = signed_document_id
            doc.search_text = _search_text(doc)
            for attachment_id, sealed in sealed_attachments:
                row = uow.session.get(Attachment, attachment_id)
                if row is None:
                    raise Conflict("An attachment was removed while the document was being issued")
                row.sealed_sha256, row.signed_document_id = keep_pdf(db, sealed.pdf), sealed.document_id
            uow.session.add(_outgoing_entry(doc))
            for code in dict.fromkeys(doc.external_agencies):  # one envelope per agency, sent by the worker
                uow.session.add(Delivery(envelope_id=uuid.uuid4().hex, document_id=doc.id, agency_code=code))
            _step(uow, doc, "issued", "issued", label, doc.issued_at)
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
