"""Exchange of issued documents between agencies or platform instances, after edXML (QCVN 102:2016).

The sender's records office seals an envelope: a one-page "phiếu gửi" PDF carrying the header as an
embedded `edxml-header.json` (From, To, Code, PromulgationInfo, DocumentType, Subject, the SHA-256 of the
document). The receiver checks the envelope's seal (a trusted chain, the sender's unit in the certificate,
a registered agency), the document's own signatures and its hash, registers it in the incoming register
and answers with a receipt ("phiếu báo nhận") sealed by its own records office. Receiving the same
envelope again returns the same receipt. The sender retries, with a growing wait, until a valid receipt
comes back.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.accounts import service as accounts
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.documents import attachments, kinds, rendering
from smartcity.documents.config import get_documents_settings
from smartcity.documents.events import DeliveryAcknowledged, DocumentReceived
from smartcity.documents.models import (
    Agency,
    Delivery,
    Document,
    IncomingAttachment,
    IncomingDocument,
    RegisterEntry,
)
from smartcity.documents.schemas import AgencyIn, AgencyRead, AttachmentRead, DeliveryRead, IncomingRead
from smartcity.documents.service import Signing, city_zone, next_number, take_number
from smartcity.signing import service as signing

HEADER_FILE = "edxml-header.json"
RECEIPT_FILE = "edxml-status.json"
EXCHANGE_PATH = "/api/v1/documents/exchange/envelopes"
EXCHANGE_ACTOR = Actor.system("documents.exchange")
MAX_NUMBER_RACES = 20


log = logging.getLogger(__name__)


# --- agencies ---------------------------------------------------------------------------------------


def upsert_agency(db: Database, *, actor: Actor, data: AgencyIn) -> AgencyRead:
    """Register (or change) an agency documents are exchanged with; administrators only."""
    if not actor.has_role("admin"):
        raise Forbidden("Only an administrator registers agencies")
    with UnitOfWork(db, actor) as uow:
        row = uow.session.get(Agency, data.code)
        before = AgencyRead.model_validate(row).model_dump() if row else None
        if row is None:
            row = Agency(code=data.code)
            uow.session.add(row)
        row.name, row.endpoint, row.active = data.name, data.endpoint.rstrip("/"), data.active
        uow.audit("documents.agency_saved", "agency", data.code, before=before, after=data.model_dump())
        return AgencyRead.model_validate(row)


def add_agency(db: Database, *, actor: Actor, data: AgencyIn) -> AgencyRead:
    """Register a new agency; 409 if its code is already registered."""
    with db.session() as s:
        if s.get(Agency, data.code) is not None:
            raise Conflict(f"The agency {data.code} is already registered")
    return upsert_agency(db, actor=actor, data=data)


def list_agencies(db: Database) -> list[AgencyRead]:
    """Every registered agency, by code."""
    with db.session() as s:
        return [AgencyRead.model_validate(a) for a in s.scalars(select(Agency).order_by(Agency.code))]


def deliveries(db: Database, *, document_id: int) -> list[DeliveryRead]:
    """The envelopes of one document and where each stands."""
    with db.session() as s:
        rows = s.scalars(select(Delivery).where(Delivery.document_id == document_id).order_by(Delivery.id))
        return [DeliveryRead.model_validate(row) for row in rows]


# --- PDFs with an embedded JSON part ------------------------------------------------------------------


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


# --- sending ----------------------------------------------------------------------------------------


def _header(
    doc: Document, delivery: Delivery, agency: Agency, document_sha256: str, annexes: list[tuple[str, bytes]]
) -> dict[str, Any]:
    assert doc.issued_on is not None
    return {
        "envelope_id": delivery.envelope_id,
        "from": {"code": doc.office_code, "name": doc.organisation_name},
        "to": {"code": agency.code, "name": agency.name},
        "code": {
            "number": doc.number,
            "symbol": kinds.symbol(
                doc.type_code,
                organisation_abbr=doc.organisation_abbr,
                drafting_unit_abbr=doc.drafting_unit_abbr,
            ),
            "number_symbol": doc.number_symbol,
        },
        "promulgation": {"place": doc.place, "date": doc.issued_on.isoformat()},
        "document_type": doc.type_code,
        "subject": doc.subject,
        "signer": {"name": doc.signer_name, "title": doc.signer_title},
        "urgency": doc.urgency,
        "document_sha256": document_sha256,
        "attachments": [{"filename": name, "sha256": _sha256(pdf)} for name, pdf in annexes],
        "sent_at": utcnow().isoformat(timespec="seconds"),
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _envelope(
    db: Database,
    delivery: Delivery,
    doc: Document,
    agency: Agency,
    annexes: list[tuple[str, bytes]],
    how: Signing,
) -> bytes:
    pdf = bytes(doc.pdf or b"")
    header = _header(doc, delivery, agency, _sha256(pdf), annexes)
    sheet = _sheet(
        "PHIẾU GỬI VĂN BẢN ĐIỆN TỬ",
        [
            ("Mã phiếu gửi", delivery.envelope_id),
            ("Nơi gửi", doc.organisation_name),
            ("Nơi nhận", agency.name),
            ("Số, ký hiệu", doc.number_symbol or ""),
            ("Ngày ban hành", header["promulgation"]["date"]),
            ("Trích yếu", doc.subject),
            ("SHA-256 văn bản", header["document_sha256"][:40]),
            ("Tài liệu kèm theo", str(len(annexes))),
        ],
    )
    return _seal(
        db,
        _with_json(sheet, HEADER_FILE, header),
        doc.office_code,
        how,
        f"phieu-gui-{delivery.envelope_id}.pdf",
    )


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    error: str = ""
    receipt: dict[str, Any] | None = None
    receipt_pdf: bytes | None = None


def _post(
    agency: Agency, envelope_pdf: bytes, document_pdf: bytes, annexes: list[tuple[str, bytes]]
) -> dict[str, Any]:
    body = {
        "envelope_pdf": base64.b64encode(envelope_pdf).decode(),
        "document_pdf": base64.b64encode(document_pdf).decode(),
        "attachments": [{"filename": name, "pdf": base64.b64encode(pdf).decode()} for name, pdf in annexes],
    }
    response = httpx.post(
        agency.endpoint + EXCHANGE_PATH, json=body, timeout=get_documents_settings().exchange_timeout_s
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
    answer: dict[str, Any] = response.json()
    return answer


def _check_receipt(db: Database, receipt_pdf: bytes, delivery: Delivery, how: Signing) -> dict[str, Any]:
    report = signing.verify_pdf(db, receipt_pdf, settings=how.settings, signing_settings=how.signing_settings)
    if not report.all_hold:
        raise RuntimeError(
            "the receipt's seal does not hold: "
            + ", ".join(report.signatures[0].problems if report.signatures else ["unsigned"])
        )
    receipt = read_json(receipt_pdf, RECEIPT_FILE)
    if receipt.get("envelope_id") != delivery.envelope_id or receipt.get("status") != "received":
        raise RuntimeError("the receipt is for another envelope")
    if not _sealed_by(report, delivery.agency_code):
        raise RuntimeError("the receipt is not sealed by the receiving agency")
    return receipt


def _sealed_by(report: Any, unit_code: str) -> bool:
    """True if the last signature's certificate names `unit_code` as its organisational unit."""
    if not report.signatures:
        return False
    parts = [part.strip() for part in report.signatures[-1].signer.subject.split(",")]
    return f"Organizational Unit: {unit_code}" in parts


def _attempt(db: Database, delivery: Delivery, how: Signing) -> _Outcome:
    with db.session() as s:
        doc, agency = s.get(Document, delivery.document_id), s.get(Agency, delivery.agency_code)
        annexes = attachments.sealed(s, delivery.document_id)
    if doc is None or agency is None or not agency.active:
        return _Outcome(False, f"unknown or inactive agency {delivery.agency_code}")
    envelope = delivery.envelope_pdf
    if envelope is None:  # sealed once, then the same envelope is sent on every attempt
        envelope = _envelope(db, delivery, doc, agency, annexes, how)
        _keep_envelope(db, delivery.id, envelope)
    try:
        answer = _post(agency, envelope, bytes(doc.pdf or b""), annexes)
        receipt_pdf = base64.b64decode(answer["receipt_pdf"])
        receipt = _check_receipt(db, receipt_pdf, delivery, how)
    except (httpx.HTTPError, RuntimeError, KeyError, ValueError, BadRequest) as exc:
        log.warning("delivery %s to %s failed: %s: %s", delivery.id, agency.code, type(exc).__name__, exc)
        return _Outcome(False, _failure_in_words(exc))
    return _Outcome(True, receipt=receipt, receipt_pdf=receipt_pdf)


def _failure_in_words(exc: Exception) -> str:
    """Why a delivery failed, for the clerk's page (the technical detail goes to the log)."""
    if isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
        return "Không kết nối được tới hệ thống của cơ quan nhận (máy chủ không trả lời); sẽ tự gửi lại."
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        return f"Hệ thống của cơ quan nhận từ chối văn bản (mã lỗi HTTP {code}); sẽ tự gửi lại."
    if isinstance(exc, httpx.HTTPError):
        return "Đường truyền tới cơ quan nhận bị lỗi; sẽ tự gửi lại."
    return "Biên nhận của cơ quan nhận không hợp lệ (chữ ký hoặc nội dung); sẽ tự gửi lại."


def _keep_envelope(db: Database, delivery_id: int, envelope: bytes) -> None:
    with db.write_session() as s:
        row = s.get(Delivery, delivery_id)
        if row is not None and row.envelope_pdf is None:
            row.envelope_pdf = envelope


def _backoff(attempts: int) -> timedelta:
    conf = get_documents_settings()
    return timedelta(
        seconds=min(conf.exchange_max_retry_s, conf.exchange_first_retry_s * 2 ** max(0, attempts - 1))
    )


def _record(db: Database, delivery_id: int, outcome: _Outcome, now: datetime) -> DeliveryRead:
    with UnitOfWork(db, EXCHANGE_ACTOR) as uow:
        row = uow.session.get(Delivery, delivery_id)
        assert row is not None
        row.attempts += 1
        if outcome.delivered:
            row.status, row.delivered_at, row.last_error = "delivered", utcnow(), ""
            row.receipt, row.receipt_pdf = outcome.receipt or {}, outcome.receipt_pdf
            uow.audit("documents.delivered", "delivery", row.envelope_id, after=row.receipt)
            uow.publish(
                DeliveryAcknowledged(
                    document_id=row.document_id, agency_code=row.agency_code, envelope_id=row.envelope_id
                )
            )
        else:
            row.last_error, row.next_attempt_at = outcome.error, now + _backoff(row.attempts)
        return DeliveryRead.model_validate(row)


def deliver_due(
    db: Database,
    *,
    now: datetime | None = None,
    document_id: int | None = None,
    signing_with: Signing | None = None,
) -> list[DeliveryRead]:
    """Send every pending envelope whose time has come (or all of one document's); the new states."""
    now = now or utcnow()
    query = select(Delivery).where(Delivery.status == "pending")
    query = (
        query.where(Delivery.document_id == document_id)
        if document_id
        else query.where(Delivery.next_attempt_at <= now)
    )
    with db.session() as s:
        due = list(s.scalars(query.order_by(Delivery.next_attempt_at).limit(100)))
    how = signing_with or Signing()
    return [_record(db, d.id, _attempt(db, d, how), now) for d in due]


def send_now(
    db: Database,
    *,
    actor: Actor,
    document_id: int,
    signing_with: Signing | None = None,
) -> list[DeliveryRead]:
    """The records office sends a document's pending envelopes at once instead of waiting for the worker."""
    with db.session() as s:
        doc = s.get(Document, document_id)
        if doc is None:
            raise NotFound(f"No document {document_id}")
        if not actor.has_role("clerk", doc.office_code):
            raise Forbidden("Only the records office sends its documents")
    return deliver_due(db, document_id=document_id, signing_with=signing_with)


# --- receiving --------------------------------------------------------------------------------------


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
            "receipt_pdf": base64.b64encode(row.receipt_pdf).decode(),
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
    office = header["to"]["code"]
    for _attempt_number in range(MAX_NUMBER_RACES):
        stored = _stored_receipt(db, header["envelope_id"])
        if stored is not None:
            return stored
        received_at = utcnow()
        year = received_at.astimezone(city_zone(db)).year
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
                pdf=arrived.document_pdf,
                envelope_pdf=arrived.envelope_pdf,
                receipt_pdf=receipt_pdf,
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
                        sha256=_sha256(pdf),
                        pdf=pdf,
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
        row = s.get(IncomingDocument, incoming_id)
        if row is None:
            raise NotFound(f"No incoming document {incoming_id}")
        if not any(actor.has_role(r, row.office_code) for r in ("clerk", "specialist", "head", "leader")):
            raise Forbidden("Only the staff of the receiving office may read it")
        return IncomingRead.model_validate(row)


def incoming_pdf(db: Database, *, actor: Actor, incoming_id: int) -> bytes:
    """The signed PDF of a received document."""
    incoming(db, actor=actor, incoming_id=incoming_id)
    with db.session() as s:
        row = s.get(IncomingDocument, incoming_id)
        assert row is not None
        return bytes(row.pdf)


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
        return bytes(row.pdf), row.filename


def assign_handling_unit(db: Database, *, actor: Actor, incoming_id: int, handling_unit: str) -> IncomingRead:
    """The records office (or a head, a leader) names the unit that handles a received document."""
    handling_unit = handling_unit.strip()
    if not handling_unit:
        raise ValidationFailed.for_field("handling_unit", "name the unit that handles the document")
    with UnitOfWork(db, actor) as uow:
        row = uow.session.get(IncomingDocument, incoming_id)
        if row is None:
            raise NotFound(f"No incoming document {incoming_id}")
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
