"""Pydantic models of the documents API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.pages import Page
from smartcity.core.schemas import RowModel

URGENCIES = ("", "Khẩn", "Thượng khẩn", "Hỏa tốc")
SECRECIES = ("", "Mật", "Tối mật", "Tuyệt mật")


class DocumentBase(BaseModel):
    """What a drafter writes."""

    type_code: str = Field(min_length=1, max_length=8, description="Appendix III code, e.g. QĐ, TB, CV")
    office_code: str = Field(min_length=1, max_length=64, description="Org unit whose records office issues")
    subject: str = Field(min_length=3, max_length=500, description="Trích yếu")
    body: str = Field(default="", max_length=50_000)
    recipients: list[str] = Field(default_factory=list, max_length=50, description="Nơi nhận as printed")
    external_agencies: list[str] = Field(default_factory=list, max_length=50, description="Agency codes")
    urgency: str = Field(default="", description="'', Khẩn, Thượng khẩn, Hỏa tốc")
    secrecy: str = Field(default="", description="'', Mật, Tối mật, Tuyệt mật")
    retention: str = Field(default="", max_length=40, description="Thời hạn bảo quản, e.g. '10 năm'")
    file_code: str = Field(default="", max_length=60, description="Hồ sơ the document is filed in")
    signer_username: str = Field(min_length=1, max_length=150)
    signer_title: str = Field(default="Chủ tịch", max_length=120)
    signer_authority: str = Field(default="TM. Ủy ban nhân dân", max_length=120)
    drafting_unit_abbr: str = Field(default="", max_length=40, description="For công văn: e.g. VP")


class DocumentCreate(DocumentBase):
    """A new draft."""


class DocumentUpdate(DocumentBase):
    """A draft rewritten (only while draft or returned)."""


class Comment(BaseModel):
    """A comment with a transition (required when returning a draft)."""

    comment: str = Field(default="", max_length=2000)


class HistoryRead(RowModel):
    """One step of the flow."""

    action: str
    actor: str
    from_state: str
    to_state: str
    comment: str
    at: datetime


class DocumentRead(DocumentBase):
    """A document as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    state: str
    author: str
    approver: str | None
    signer_name: str
    organisation_name: str
    organisation_abbr: str
    symbol: str
    year: int | None
    number: int | None
    number_symbol: str | None
    issued_on: date | None
    signed_at: datetime | None
    issued_at: datetime | None
    signed_document_id: str | None
    created_at: datetime
    updated_at: datetime


DocumentPage = Page[DocumentRead]


class RegisterEntryRead(RowModel):
    """A register line."""

    book: str = Field(validation_alias="register", description="outgoing or incoming")
    office_code: str
    year: int
    number: int
    registered_at: datetime
    number_symbol: str
    document_date: date
    type_code: str
    subject: str
    counterpart: str
    handling_unit: str
    signer_name: str
    document_id: int | None
    incoming_id: int | None


class AgencyIn(BaseModel):
    """An agency documents are exchanged with."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    endpoint: str = Field(min_length=8, max_length=500, pattern=r"^https?://")
    active: bool = True


class AgencyRead(AgencyIn):
    """An agency as stored."""

    model_config = ConfigDict(from_attributes=True)


class DeliveryRead(RowModel):
    """The state of one envelope."""

    envelope_id: str
    document_id: int
    agency_code: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    delivered_at: datetime | None
    receipt: dict[str, Any]


class IncomingRead(RowModel):
    """A document received from another agency."""

    id: int
    envelope_id: str
    office_code: str
    sender_code: str
    sender_name: str
    number_symbol: str
    document_date: date
    type_code: str
    subject: str
    signer_name: str
    handling_unit: str
    year: int
    number: int
    received_at: datetime
    receipt: dict[str, Any]


class AttachmentRead(RowModel):
    """An attachment of a document (or of a received one): name, size, hash, sealed or not."""

    id: int
    filename: str
    size: int
    sha256: str
    sealed: bool = False


class EnvelopeAttachment(BaseModel):
    """A sealed attachment travelling with a document, base64."""

    filename: str = Field(min_length=1, max_length=255)
    pdf: str = Field(min_length=10, max_length=40_000_000)


class Envelope(BaseModel):
    """What one agency sends another: the sealed envelope (phiếu gửi) and the signed document, base64."""

    envelope_pdf: str = Field(min_length=10, max_length=40_000_000)
    document_pdf: str = Field(min_length=10, max_length=40_000_000)
    attachments: list[EnvelopeAttachment] = Field(default_factory=list, max_length=50)


class Assignment(BaseModel):
    """The unit that handles a received document."""

    handling_unit: str = Field(min_length=1, max_length=200)
