"""Receiving documents from other agencies: checking envelopes, recording arrivals, handing them on."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.accounts import service as accounts
from smartcity.core import clock
from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.malware import Intake, screen
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.documents import attachments, rendering
from smartcity.documents.events import DocumentReceived
from smartcity.documents.models import (
    Agency,
    IncomingAttachment,
    IncomingDocument,
    RegisterEntry,
)
from smartcity.documents.schemas import AttachmentRead, IncomingRead
from smartcity.documents.service import Signing, next_number, take_number
from smartcity.documents.storage import keep_pdf, read_pdf
from smartcity.signing import service as signing

HEADER_FILE = "edxml-header.json"
RECEIPT_FILE = "edxml-status.json"
EXCHANGE_ACTOR = Actor.system("documents.exchange")
MAX_NUMBER_RACES = 20


# --- PDFs with an embedded JSON part (sending uses them too) ---------------------------------------


def _sheet(title: str, lines: list[tuple[str, str]]) -> bytes:
    rendering.font_family()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont(f"{rendering.FAMILY}-Bold", 15)
    page.drawCentredString(A4[0] / 2, A4[1] - 30 * mm, title)
    y = A4[1] - 45 * mm
    for label, value in lines:
        page.setFont(f"{rendering.FAMILY}-Bold", 12)
        page.drawString(25 * mm, y, f"{label}:")
        page.setFont(rendering.FAMILY, 12)
        page.drawString(75 * mm, y, value[:90])
        y -= 8 * mm
    page.showPage()
    page.save()
    return buffer.getvalue()


def _with_json(pdf: bytes, name: str, payload: dict[str, Any]) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    embedded = EmbeddedFileObject.from_file_data(writer, data, mime_type="application/json")
    embed_file(writer, FileSpec(file_spec_string=name, file_name=name, embedded_data=embedded))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def read_json(pdf: bytes, name: str) -> dict[str, Any]:
    """The JSON file `name` embedded in a PDF (400 if it is not there)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for index in range(0, len(names), 2):
            if str(names[index]) == name:
                data = names[index + 1].get_object()["/EF"]["/F"].get_object().data
                payload: dict[str, Any] = json.loads(data)
                return payload
    except (KeyError, ValueError, TypeError) as exc:
        raise BadRequest(f"The PDF carries no readable {name}: {exc}") from exc
    raise BadRequest(f"The PDF carries no {name}")


def _seal(db: Database, pdf: bytes, office: str, how: Signing, filename: str) -> bytes:
    return signing.sign_pdf(
        db,
        actor=EXCHANGE_ACTOR,
        pdf=pdf,
        org_unit_code=office,
        appearance_kind="invisible",
        filename=filename,
        settings=how.settings,
        signing_settings=how.signing_settings,
    ).pdf


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sealed_by(report: Any, unit_code: str) -> bool:
    """True if the last signature's certificate names `unit_code` as its organisational unit."""
    if not report.signatures:
        return False
    parts = [part.strip() for part in report.signatures[-1].signer.subject.split(",")]
    return f"Organizational Unit: {unit_code}" in parts


def _decode(value: Any, field: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except ValueError as exc:
        raise ValidationFailed.for_field(field, "is not base64") from exc


def _check_attachments(
    db: Database, header: dict[str, Any], annexes: list[tuple[str, bytes]], how: Signing
) -> None:
    """The attachments are those the sealed header names (same order and hashes), each signature holding."""
    listed = [(str(a.get("filename", "")), str(a.get("sha256", ""))) for a in header.get("attachments") or []]
    if listed != [(name, _sha256(pdf)) for name, pdf in annexes]:
        raise ValidationFailed.for_field("attachments", "do not match the envelope's list of attachments")
    for index, (_name, pdf) in enumerate(annexes):
        if not signing.verify_pdf(
            db, pdf, settings=how.settings, signing_settings=how.signing_settings
        ).all_hold:
            raise ValidationFailed.for_field(f"attachments.{index}", "its signatures do not hold")


def _check_envelope(db: Database, envelope_pdf: bytes, document_pdf: bytes, how: Signing) -> dict[str, Any]:
    header = read_json(envelope_pdf, HEADER_FILE)
    for key in (
        "envelope_id",
        "from",
        "to",
        "code",
        "promulgation",
        "document_type",
        "subject",
        "document_sha256",
    ):
        if key not in header:
            raise ValidationFailed.for_field(f"header.{key}", "is missing")
    sender = header["from"].get("code", "")
    with db.session() as s:
        agency = s.get(Agency, sender)
    if agency is None or not agency.active:
        raise Forbidden(f"{sender} is not an agency this platform exchanges documents with")
    report = signing.verify_pdf(
        db, envelope_pdf, settings=how.settings, signing_settings=how.signing_settings
    )
    if not report.all_hold or not _sealed_by(report, sender):
        raise Forbidden("The envelope is not sealed by the sending agency with a trusted certificate")
    if hashlib.sha256(document_pdf).hexdigest() != header["document_sha256"]:
        raise ValidationFailed.for_field("document_pdf", "does not match the envelope's hash")
    if not signing.verify_pdf(
        db, document_pdf, settings=how.settings, signing_settings=how.signing_settings
    ).all_hold:
        raise ValidationFailed.for_field("document_pdf", "its signatures do not hold")
    if accounts.get_org_unit(db, header["to"].get("code", "")) is None:
        raise NotFound(f"No office {header['to'].get('code')} here")
    return header


def _stored_receipt(db: Database, envelope_id: str) -> dict[str, Any] | None:
    with db.session() as s:
        row = s.scalar(select(IncomingDocument).where(IncomingDocument.envelope_id == envelope_id))
        if row is None:
            return None
        return {
            "receipt_pdf": base64.b64encode(read_pdf(db, row.receipt_sha256)).decode(),
            "receipt": row.receipt,
            "incoming_id": row.id,
        }


def receive(db: Database, *, body: dict[str, Any], signing_with: Signing | None = None) -> dict[str, Any]:
    """Take an envelope from another agency: check, register (số đến), answer with a sealed receipt."""
    how = signing_with or Signing()
    envelope_pdf, document_pdf = (
        _decode(body.get("envelope_pdf"), "envelope_pdf"),
        _decode(body.get("document_pdf"), "document_pdf"),
    )
    annexes = [
        (str(a["filename"]), _decode(a["pdf"], f"attachments.{i}"))
        for i, a in enumerate(body.get("attachments") or [])
    ]
    header = _check_envelope(db, envelope_pdf, document_pdf, how)
    _check_attachments(db, header, annexes, how)
    # Scanned once the seal shows a known agency sent it (no login here: anyone could make us scan).
    intake = Intake(
        db, Actor.system(f"agency:{header['from']['code']}"), "documents.incoming", "document_pdf"
    )
    for pdf in (envelope_pdf, document_pdf, *(pdf for _name, pdf in annexes)):
        screen(intake, pdf)
    office = header["to"]["code"]
    for _attempt_number in range(MAX_NUMBER_RACES):
        stored = _stored_receipt(db, header["envelope_id"])
        if stored is not None:
            return stored
        received_at = utcnow()
        year = clock.local(received_at, db.settings).year
        number = next_number(db, office, year, "incoming")
        receipt = {
            "envelope_id": header["envelope_id"],
            "status": "received",
            "receiver": office,
            "incoming_number": number,
            "year": year,
            "received_at": received_at.isoformat(timespec="seconds"),
            "document_sha256": header["document_sha256"],
            "attachments_sha256": [_sha256(pdf) for _name, pdf in annexes],
        }
        sheet = _sheet(
            "PHIẾU BÁO NHẬN VĂN BẢN",
            [
                ("Mã phiếu gửi", header["envelope_id"]),
                ("Nơi nhận", office),
                ("Số đến", f"{number:02d}"),
                ("Văn bản", header["code"].get("number_symbol", "")),
                ("Nơi gửi", header["from"].get("name", "")),
                ("Thời điểm nhận", receipt["received_at"]),
            ],
        )
        receipt_pdf = _seal(
            db, _with_json(sheet, RECEIPT_FILE, receipt), office, how, f"bao-nhan-{number}.pdf"
        )
        arrived = _Arrival(envelope_pdf, document_pdf, annexes, received_at)
        if _record_incoming(db, header, receipt, receipt_pdf, arrived):
            stored = _stored_receipt(db, header["envelope_id"])
            assert stored is not None
            return stored
    raise Conflict("Too many documents are being received at once; send again")


@dataclass(frozen=True)
class _Arrival:
    """What came in: the envelope, the document, its attachments (name, PDF), when."""

    envelope_pdf: bytes
    document_pdf: bytes
    annexes: list[tuple[str, bytes]]
    received_at: datetime


def _record_incoming(
    db: Database, header: dict[str, Any], receipt: dict[str, Any], receipt_pdf: bytes, arrived: _Arrival
) -> bool:
    office, number, year = header["to"]["code"], receipt["incoming_number"], receipt["year"]
    try:
        with UnitOfWork(db, EXCHANGE_ACTOR) as uow:
            s = uow.session
            if s.scalar(
                select(IncomingDocument.id).where(IncomingDocument.envelope_id == header["envelope_id"])
            ):
                return True  # the same envelope arrived twice at once: the other one registered it
            if not take_number(s, office, year, number, "incoming"):
                return False
            row = IncomingDocument(
                envelope_id=header["envelope_id"],
                office_code=office,
                sender_code=header["from"]["code"],
                sender_name=header["from"].get("name", ""),
                number_symbol=header["code"].get("number_symbol", ""),
                document_date=date.fromisoformat(header["promulgation"]["date"]),
                type_code=header["document_type"],
                subject=header["subject"],
                signer_name=(header.get("signer") or {}).get("name", ""),
                year=year,
                number=number,
                received_at=arrived.received_at,
                pdf_sha256=keep_pdf(db, arrived.document_pdf),
                envelope_sha256=keep_pdf(db, arrived.envelope_pdf),
                receipt_sha256=keep_pdf(db, receipt_pdf),
                receipt=receipt,
                search_text=fold(f"{header['code'].get('number_symbol', '')} {header['subject']}"),
            )
            s.add(row)
            s.flush()
            for name, pdf in arrived.annexes:
                s.add(
                    IncomingAttachment(
                        incoming_id=row.id,
                        filename=attachments.safe_filename(name),
                        size=len(pdf),
                        sha256=keep_pdf(db, pdf),
                    )
                )
            s.add(
                RegisterEntry(
                    office_code=office,
                    register="incoming",
                    year=year,
                    number=number,
                    registered_at=arrived.received_at,
                    number_symbol=row.number_symbol,
                    document_date=row.document_date,
                    type_code=row.type_code,
                    subject=row.subject,
                    counterpart=row.sender_name,
                    signer_name=row.signer_name,
                    incoming_id=row.id,
                    search_text=row.search_text,
                )
            )
            uow.audit("documents.received", "incoming_document", row.id, after=receipt)
            uow.publish(
                DocumentReceived(
                    incoming_id=row.id,
                    office_code=office,
                    sender_code=row.sender_code,
                    number_symbol=row.number_symbol,
                )
            )
            return True
    except IntegrityError:  # a concurrent receive of the same envelope won: read its receipt
        return False


def incoming(db: Database, *, actor: Actor, incoming_id: int) -> IncomingRead:
    """A received document, for the staff of the receiving office."""
    with db.session() as s:
        row = get_or_404(s, IncomingDocument, incoming_id, f"No incoming document {incoming_id}")
        if not any(actor.has_role(r, row.office_code) for r in ("clerk", "specialist", "head", "leader")):
            raise Forbidden("Only the staff of the receiving office may read it")
        return IncomingRead.model_validate(row)


def incoming_pdf(db: Database, *, actor: Actor, incoming_id: int) -> bytes:
    """The signed PDF of a received document."""
    incoming(db, actor=actor, incoming_id=incoming_id)
    with db.session() as s:
        row = s.get(IncomingDocument, incoming_id)
        assert row is not None
        return read_pdf(db, row.pdf_sha256)


def incoming_attachments(db: Database, *, actor: Actor, incoming_id: int) -> list[AttachmentRead]:
    """The attachments received with a document, as the sender sealed them."""
    incoming(db, actor=actor, incoming_id=incoming_id)
    with db.session() as s:
        rows = s.scalars(
            select(IncomingAttachment)
            .where(IncomingAttachment.incoming_id == incoming_id)
            .order_by(IncomingAttachment.id)
        )
        return [
            AttachmentRead(id=r.id, filename=r.filename, size=r.size, sha256=r.sha256, sealed=True)
            for r in rows
        ]


def incoming_attachment_pdf(
    db: Database, *, actor: Actor, incoming_id: int, attachment_id: int
) -> tuple[bytes, str]:
    """One received attachment's PDF and file name."""
    incoming(db, actor=actor, incoming_id=incoming_id)
    with db.session() as s:
        row = s.get(IncomingAttachment, attachment_id)
        if row is None or row.incoming_id != incoming_id:
            raise NotFound(f"No attachment {attachment_id} on incoming document {incoming_id}")
        return read_pdf(db, row.sha256), row.filename


def assign_handling_unit(db: Database, *, actor: Actor, incoming_id: int, handling_unit: str) -> IncomingRead:
    """The records office (or a head, a leader) names the unit that handles a received document."""
    handling_unit = handling_unit.strip()
    if not handling_unit:
        raise ValidationFailed.for_field("handling_unit", "name the unit that handles the document")
    with UnitOfWork(db, actor) as uow:
        row = get_or_404(uow.session, IncomingDocument, incoming_id, f"No incoming document {incoming_id}")
        if not any(actor.has_role(r, row.office_code) for r in ("clerk", "head", "leader")):
            raise Forbidden("Only the records office or the leaders of the receiving office assign it")
        before = row.handling_unit
        row.handling_unit = handling_unit[:200]
        entry = uow.session.scalar(select(RegisterEntry).where(RegisterEntry.incoming_id == incoming_id))
        if entry is not None:
            entry.handling_unit = row.handling_unit
        uow.audit(
            "documents.incoming_assigned",
            "incoming_document",
            incoming_id,
            before={"handling_unit": before},
            after={"handling_unit": row.handling_unit},
        )
        return IncomingRead.model_validate(row)
