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
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import BadRequest, Conflict, Forbidden
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.documents import attachments, kinds
from smartcity.documents.config import get_documents_settings
from smartcity.documents.events import DeliveryAcknowledged
from smartcity.documents.exchange_incoming import (
    EXCHANGE_ACTOR,
    RECEIPT_FILE,
    _seal,
    _sealed_by,
    _sheet,
    _with_json,
)
from smartcity.documents.exchange_incoming import HEADER_FILE as HEADER_FILE
from smartcity.documents.exchange_incoming import _sha256 as _sha256
from smartcity.documents.exchange_incoming import assign_handling_unit as assign_handling_unit
from smartcity.documents.exchange_incoming import incoming as incoming
from smartcity.documents.exchange_incoming import incoming_attachment_pdf as incoming_attachment_pdf
from smartcity.documents.exchange_incoming import incoming_attachments as incoming_attachments
from smartcity.documents.exchange_incoming import incoming_pdf as incoming_pdf
from smartcity.documents.exchange_incoming import read_json as read_json
from smartcity.documents.exchange_incoming import receive as receive
from smartcity.documents.models import (
    Agency,
    Delivery,
    Document,
)
from smartcity.documents.schemas import AgencyIn, AgencyRead, DeliveryRead
from smartcity.documents.service import Signing
from smartcity.documents.storage import keep_pdf, read_pdf
from smartcity.signing import service as signing

EXCHANGE_PATH = "/api/v1/documents/exchange/envelopes"


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


def _envelope(
    db: Database,
    delivery: Delivery,
    doc: Document,
    pdf: bytes,
    agency: Agency,
    annexes: list[tuple[str, bytes]],
    how: Signing,
) -> bytes:
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
        message = f"HTTP {response.status_code}: {response.text[:300]}"
        raise httpx.HTTPStatusError(message, request=response.request, response=response)
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


def _attempt(db: Database, delivery: Delivery, how: Signing) -> _Outcome:
    with db.session() as s:
        doc, agency = s.get(Document, delivery.document_id), s.get(Agency, delivery.agency_code)
        annexes = attachments.sealed(db, s, delivery.document_id)
    if doc is None or agency is None or not agency.active:
        return _Outcome(False, "Cơ quan nhận không còn trong danh sách cơ quan liên thông")
    pdf = read_pdf(db, doc.pdf_sha256) if doc.pdf_sha256 else b""
    if delivery.envelope_sha256 is None:  # sealed once, then the same envelope is sent on every attempt
        envelope = _envelope(db, delivery, doc, pdf, agency, annexes, how)
        _keep_envelope(db, delivery.id, envelope)
    else:
        envelope = read_pdf(db, delivery.envelope_sha256)
    try:
        answer = _post(agency, envelope, pdf, annexes)
        receipt_pdf = base64.b64decode(answer["receipt_pdf"])
        receipt = _check_receipt(db, receipt_pdf, delivery, how)
    except (httpx.HTTPError, RuntimeError, KeyError, ValueError, BadRequest) as exc:
        log.warning("delivery %s to %s failed: %s: %s", delivery.id, agency.code, type(exc).__name__, exc)
        return _Outcome(False, _failure_in_words(exc))
    return _Outcome(True, receipt=receipt, receipt_pdf=receipt_pdf)


def _failure_in_words(exc: Exception) -> str:
    """Why a delivery failed, for the clerk's page (the technical detail goes to the log)."""
    if isinstance(exc, httpx.ConnectError | httpx.TimeoutException):
        return "Không kết nối được tới hệ thống của cơ quan nhận (máy chủ không trả lời)"
    if isinstance(exc, httpx.HTTPStatusError):
        code = exc.response.status_code
        return f"Hệ thống của cơ quan nhận từ chối văn bản (mã lỗi HTTP {code})"
    if isinstance(exc, httpx.HTTPError):
        return "Đường truyền tới cơ quan nhận bị lỗi"
    return "Biên nhận của cơ quan nhận không hợp lệ (chữ ký hoặc nội dung)"


def _keep_envelope(db: Database, delivery_id: int, envelope: bytes) -> None:
    with db.write_session() as s:
        row = s.get(Delivery, delivery_id)
        if row is not None and row.envelope_sha256 is None:
            row.envelope_sha256 = keep_pdf(db, envelope)


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
            row.receipt = outcome.receipt or {}
            row.receipt_sha256 = keep_pdf(db, outcome.receipt_pdf) if outcome.receipt_pdf else None
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
    due = db.all(query.order_by(Delivery.next_attempt_at).limit(100))
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
        doc = get_or_404(s, Document, document_id, f"No document {document_id}")
        if not actor.has_role("clerk", doc.office_code):
            raise Forbidden("Only the records office sends its documents")
    return deliver_due(db, document_id=document_id, signing_with=signing_with)
