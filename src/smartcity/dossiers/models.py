"""Tables of the dossiers domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED, Keys, decrypt_optional, decrypt_personal
from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class Dossier(TimestampMixin, Base):
    """A dossier (hồ sơ): one application for one procedure, from intake to the returned result."""

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("created_by", "idempotency_key", name="uq_dossiers_idempotency"),
        Index("ix_dossiers_state_due", "state", "due_date"),
        # Queues and deadline lists read the dossiers awaiting someone (submitted, open, decided) in order
        # of the due date they show (an apology's new date when there is one): a partial index on them.
        Index(
            "ix_dossiers_awaiting_due",
            func.coalesce(text("apology_due_date"), text("due_date")),
            "id",
            postgresql_where=text("state IN (1, 2, 4, 5, 6, 9)"),
            sqlite_where=text("state IN (1, 2, 4, 5, 6, 9)"),
        ),
        # A unit's queue: its awaiting dossiers by the unit they wait in, in the queue's order (a page is
        # one short range of each index; `queues.branches`).
        *(
            Index(
                f"ix_dossiers_{slot}_awaiting_due",
                f"{slot}_unit",
                func.coalesce(text("apology_due_date"), text("due_date")),
                "id",
                postgresql_where=text("state IN (1, 2, 4, 5, 6, 9)"),
                sqlite_where=text("state IN (1, 2, 4, 5, 6, 9)"),
            )
            for slot in ("intake", "processing", "deciding")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(40), index=True)
    procedure_name: Mapped[str] = mapped_column(String(500))
    field_code: Mapped[str] = mapped_column(String(20), index=True)
    level: Mapped[int] = mapped_column(Integer)
    online_scope: Mapped[str | None] = mapped_column(String(20), nullable=True)
    processing_days: Mapped[int] = mapped_column(Integer)
    workflow: Mapped[str] = mapped_column(String(40))
    interlinked: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(10))  # online | counter
    state: Mapped[int] = mapped_column(Integer, index=True)
    step: Mapped[str | None] = mapped_column(String(20), nullable=True)
    intake_unit: Mapped[str] = mapped_column(String(64), index=True)
    processing_unit: Mapped[str] = mapped_column(String(64), index=True)
    deciding_unit: Mapped[str] = mapped_column(String(64))
    ward_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    applicant_user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    applicant_name_encrypted: Mapped[str] = mapped_column(Text, info=SEALED)
    applicant_name_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    applicant_id_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    applicant_id_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    applicant_id_masked: Mapped[str | None] = mapped_column(String(20), nullable=True)
    applicant_phone_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    applicant_phone_index: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    applicant_phone_masked: Mapped[str | None] = mapped_column(String(20), nullable=True)
    applicant_email_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    applicant_address_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    form_encrypted: Mapped[str] = mapped_column(Text, info=SEALED)
    result_data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    paper_documents: Mapped[list[str]] = mapped_column(JSONType, default=list)
    fee_vnd: Mapped[int] = mapped_column(Integer, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    received_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    apology_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_working_days: Mapped[int] = mapped_column(Integer, default=0)
    resume_state: Mapped[int | None] = mapped_column(Integer, nullable=True)
    resume_step: Mapped[str | None] = mapped_column(String(20), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

    def applicant_name(self, keys: Keys) -> str:
        """The applicant's name, decrypted (it is stored encrypted, like every personal field)."""
        return decrypt_personal(keys, self.applicant_name_encrypted)

    def applicant_email(self, keys: Keys) -> str | None:
        """The applicant's e-mail address, decrypted (None when none was given)."""
        return decrypt_optional(keys, self.applicant_email_encrypted)


class DossierEvent(Base):
    """One entry of a dossier's timeline: an action, who did it, the state before and after."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_state: Mapped[int] = mapped_column(Integer)
    step: Mapped[str | None] = mapped_column(String(20), nullable=True)
    actor: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierCodeCounter(Base):
    """The last sequence number given in one code scope (unit and day); never decremented."""

    __tablename__ = "dossier_code_counters"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class DossierAttachment(Base):
    """A file attached to a dossier for one of the procedure's required documents."""

    __tablename__ = "dossier_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    document_code: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierDocument(Base):
    """A generated document kept with the dossier (the result), stored by content hash."""

    __tablename__ = "dossier_documents"
    __table_args__ = (UniqueConstraint("dossier_id", "kind", name="uq_dossier_documents_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    number: Mapped[str | None] = mapped_column(String(60), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierPayment(Base):
    """A payment of a dossier's fees through a provider (or recorded at the counter)."""

    __tablename__ = "dossier_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    txn_ref: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    amount_vnd: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | paid | failed
    provider_txn_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PaymentCallback(Base):
    """Every payment callback or return received, with the verdict (kept for forged and replayed ones)."""

    __tablename__ = "dossier_payment_callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_ref: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(10))  # ipn | return
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    verdict: Mapped[str] = mapped_column(String(20))  # accepted | duplicate | forged | rejected
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierRating(Base):
    """The applicant's satisfaction with a finished dossier (three levels, by indicator)."""

    __tablename__ = "dossier_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(40), index=True)
    unit: Mapped[str] = mapped_column(String(64), index=True)
    official: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    overall: Mapped[int] = mapped_column(Integer)  # 1 không hài lòng, 2 hài lòng, 3 rất hài lòng
    indicators: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DossierNotification(Base):
    """A message sent (or recorded by the sink) to an applicant about their dossier."""

    __tablename__ = "dossier_notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(80), index=True)
    event_key: Mapped[str] = mapped_column(String(160), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | email
    recipient_masked: Mapped[str] = mapped_column(String(260))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupFailure(Base):
    """A public lookup whose code and second factor did not match (to slow down guessing)."""

    __tablename__ = "dossier_lookup_failures"
    __table_args__ = (Index("ix_dossier_lookup_failures_client_at", "client", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class _DossierCounts:
    """The counters of the summary rows (see `dossiers.summary`)."""

    procedure_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    online: Mapped[int] = mapped_column(Integer, default=0)
    paid_online: Mapped[int] = mapped_column(Integer, default=0)
    early: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    stopped: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)


class DossierDailyCount(_DossierCounts, Base):
    """Dossiers submitted on one local day for one procedure, field and processing unit, by outcome.

    Kept by `dossiers.summary` in the transaction of every change of a dossier or a rating, so that
    statistics read these few rows instead of every dossier of the period.
    """

    __tablename__ = "dossier_daily_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class DossierMonthlyCount(_DossierCounts, Base):
    """The daily counts of one local month (its first day), kept alongside them: whole months read these."""

    __tablename__ = "dossier_monthly_counts"

    month: Mapped[date] = mapped_column(Date, primary_key=True)


class DossierOpenCount(Base):
    """Open dossiers (with a due date) of one submission day, procedure, field and unit, by due date.

    Whether they are overdue depends on the day of the read, so they are counted by due date: running
    (accepted, processing, payment) and paused (waiting for a supplement). Rows at zero are removed.
    """

    __tablename__ = "dossier_open_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    field_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    running: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[int] = mapped_column(Integer, default=0)


class DossierQueueCount(Base):
    """Dossiers awaiting someone (states 1, 2, 4, 5, 6, 9) by everything a queue's rules ask of them.

    A queue's total is the sum of the rows its rules select (`queues.awaiting` over these columns), exact
    at any size. Kept by `dossiers.summary` with every change; rows at zero are removed. `step` and
    `assignee` are '' when the dossier has none.
    """

    __tablename__ = "dossier_queue_counts"

    intake_unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    processing_unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    deciding_unit: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow: Mapped[str] = mapped_column(String(40), primary_key=True)
    step: Mapped[str] = mapped_column(String(20), primary_key=True)
    assignee: Mapped[str] = mapped_column(String(64), primary_key=True)
    unpaid_fee: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    interlinked: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    received: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    waiting: Mapped[int] = mapped_column(Integer, default=0)
