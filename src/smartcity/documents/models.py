"""Tables of official documents: drafts to issued documents, their history, counters, registers, exchange."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Document(TimestampMixin, Base):
    """An official document (văn bản) from draft to issue; number and symbol only once issued."""

    __tablename__ = "documents_documents"
    __table_args__ = (
        UniqueConstraint("office_code", "year", "number", name="uq_documents_documents_office_year_number"),
        Index("ix_documents_documents_state_office", "state", "office_code"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    type_code: Mapped[str] = mapped_column(String(8))
    office_code: Mapped[str] = mapped_column(String(64), index=True)  # the records office (văn thư)
    organisation_name: Mapped[str] = mapped_column(String(300))
    organisation_abbr: Mapped[str] = mapped_column(String(40))
    parent_organisation: Mapped[str] = mapped_column(String(300), default="")
    drafting_unit_abbr: Mapped[str] = mapped_column(String(40), default="")
    place: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    recipients: Mapped[list[str]] = mapped_column(JSONType, default=list)  # nơi nhận as printed
    external_agencies: Mapped[list[str]] = mapped_column(JSONType, default=list)  # agency codes to deliver to
    urgency: Mapped[str] = mapped_column(String(20), default="")
    secrecy: Mapped[str] = mapped_column(String(20), default="")
    retention: Mapped[str] = mapped_column(String(40), default="")  # thời hạn bảo quản
    file_code: Mapped[str] = mapped_column(String(60), default="")  # hồ sơ the document is kept in
    state: Mapped[str] = mapped_column(String(20), default="draft")
    author: Mapped[str] = mapped_column(String(150))
    approver: Mapped[str | None] = mapped_column(String(150), nullable=True)
    signer_username: Mapped[str] = mapped_column(String(150))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_title: Mapped[str] = mapped_column(String(120), default="")
    signer_authority: Mapped[str] = mapped_column(String(120), default="")
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number_symbol: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signature_page: Mapped[int] = mapped_column(Integer, default=0)
    signature_box: Mapped[list[float]] = mapped_column(JSONType, default=list)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # latest PDF, in the file store
    signed_document_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # in signing's store
    search_text: Mapped[str] = mapped_column(Text, default="")


class HistoryStep(Base):
    """One step of a document's flow: who did what, from which state to which, with a comment."""

    __tablename__ = "documents_history"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Counter(Base):
    """The last number given in a register (outgoing: số văn bản; incoming: số đến) of an office in a year."""

    __tablename__ = "documents_counters"

    office_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(10), primary_key=True)  # outgoing | incoming
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class RegisterEntry(Base):
    """A line of the outgoing (sổ văn bản đi) or incoming (sổ văn bản đến) register of an office."""

    __tablename__ = "documents_register"
    __table_args__ = (
        UniqueConstraint("office_code", "register", "year", "number", name="uq_documents_register_line"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    office_code: Mapped[str] = mapped_column(String(64), index=True)
    register: Mapped[str] = mapped_column(String(10))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # số đi / số đến
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    number_symbol: Mapped[str] = mapped_column(String(80))
    document_date: Mapped[date] = mapped_column(Date)
    type_code: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(Text)
    counterpart: Mapped[str] = mapped_column(Text, default="")  # recipients (outgoing) or sender (incoming)
    handling_unit: Mapped[str] = mapped_column(String(200), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    document_id: Mapped[int | None] = mapped_column(IdType, nullable=True, index=True)
    incoming_id: Mapped[int | None] = mapped_column(IdType, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")


class Agency(TimestampMixin, Base):
    """Another agency (or platform instance) documents are exchanged with."""

    __tablename__ = "documents_agencies"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    endpoint: Mapped[str] = mapped_column(String(500))  # base URL of its exchange API
    active: Mapped[bool] = mapped_column(default=True)


class Delivery(TimestampMixin, Base):
    """One envelope sent to one agency, retried until that agency returns a signed receipt."""

    __tablename__ = "documents_deliveries"
    __table_args__ = (
        UniqueConstraint("document_id", "agency_code", name="uq_documents_deliveries_doc_agency"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(64), unique=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), index=True
    )
    agency_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    envelope_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    receipt_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    receipt: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IncomingDocument(TimestampMixin, Base):
    """A document received from another agency: the envelope's facts, the signed PDF, our receipt."""

    __tablename__ = "documents_incoming"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    envelope_id: Mapped[str] = mapped_column(String(64), unique=True)
    office_code: Mapped[str] = mapped_column(String(64), index=True)
    sender_code: Mapped[str] = mapped_column(String(64))
    sender_name: Mapped[str] = mapped_column(String(300))
    number_symbol: Mapped[str] = mapped_column(String(80))
    document_date: Mapped[date] = mapped_column(Date)
    type_code: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(Text)
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    handling_unit: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # số đến
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    envelope_sha256: Mapped[str] = mapped_column(String(64))
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    receipt: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    search_text: Mapped[str] = mapped_column(Text, default="")


class Attachment(TimestampMixin, Base):
    """A PDF sent with a document (phụ lục, tài liệu kèm theo); sealed by the records office at issue."""

    __tablename__ = "documents_attachments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents_documents.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the uploaded file, as stored
    sealed_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # once issued
    signed_document_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # in signing's store


class IncomingAttachment(Base):
    """An attachment received with a document from another agency, as sealed by the sender."""

    __tablename__ = "documents_incoming_attachments"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    incoming_id: Mapped[int] = mapped_column(
        ForeignKey("documents_incoming.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # the PDF, in the file store
