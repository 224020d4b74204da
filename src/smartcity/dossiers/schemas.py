"""Pydantic models of the dossiers domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from smartcity.core.pages import KeysetPage
from smartcity.core.schemas import CITIZEN_ID_PATTERN, RowModel, StrictModel

PHONE_PATTERN = r"^\+?[0-9]{8,15}$"


class ApplicantIn(BaseModel):
    """Who applies: the citizen ID number or the phone serves as the second factor of the public lookup."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=2, max_length=200)
    id_number: str | None = Field(default=None, pattern=CITIZEN_ID_PATTERN, description="12-digit CCCD")
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(default=None, max_length=300)


class DossierCreate(StrictModel):
    """A new dossier: the procedure, the applicant, the e-form and (at the counter) paper documents seen."""

    procedure_code: str = Field(min_length=2, max_length=40)
    applicant: ApplicantIn
    form: dict[str, Any] = Field(default_factory=dict)
    ward_code: str | None = Field(default=None, pattern=r"^[0-9]{5}$")
    paper_documents: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Required documents checked on paper (counter intake)",
    )


class ActionRequest(StrictModel):
    """The body of `POST /api/v1/dossiers/{code}/actions/{action}`."""

    reason: str | None = Field(default=None, max_length=2000)
    assignee: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=64, description="transfer: the receiving unit")
    new_due_date: date | None = Field(default=None, description="apologise: the new date")
    result: dict[str, Any] | None = Field(default=None, description="process: the result's data")


class TimelineEntry(BaseModel):
    """One step of the dossier's history."""

    action: str
    from_state: int | None
    to_state: int
    state_name: str
    step: str | None
    unit: str | None
    actor: str | None = None
    note: str | None = None
    at: datetime


class AttachmentRead(RowModel):
    """A file attached to the dossier."""

    id: int
    document_code: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime


class DossierSummary(BaseModel):
    """A dossier in a list (the applicant's personal data masked)."""

    code: str
    procedure_code: str
    procedure_name: str
    channel: str
    state: int
    state_name: str
    step: str | None
    intake_unit: str
    processing_unit: str
    applicant_name: str
    applicant_id_masked: str | None
    submitted_at: datetime
    received_at: datetime | None
    due_date: date | None
    deadline_status: str
    finished_at: datetime | None


class DossierDetail(DossierSummary):
    """A dossier with its due dates, the actions the caller may take now, timeline and files."""

    deciding_unit: str
    ward_code: str | None
    level: int
    online_scope: str | None
    assignee: str | None
    fee_vnd: int
    paid_at: datetime | None
    start_date: date | None
    apology_due_date: date | None
    step_due_dates: dict[str, date]
    paused_working_days: int
    outcome_reason: str | None
    actions: list[str]
    timeline: list[TimelineEntry]
    attachments: list[AttachmentRead]
    documents: list[str]
    form: dict[str, Any] | None = None
    result_data: dict[str, Any] = Field(default_factory=dict)
    rating: int | None = None
    personal_data_withheld: bool = Field(
        default=False,
        description="The e-form, files and documents are withheld from this reader (not assigned).",
    )


DossierPage = KeysetPage[DossierSummary]


class LookupRequest(BaseModel):
    """Public lookup: the dossier code and a second factor (citizen ID number or phone)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(min_length=3, max_length=80)
    second_factor: str = Field(min_length=6, max_length=20)


class LookupResult(BaseModel):
    """What anyone with the code and second factor sees: never the applicant's personal data."""

    code: str
    procedure_name: str
    state: int
    state_name: str
    submitted_at: datetime
    due_date: date | None
    apology_due_date: date | None
    deadline_status: str
    timeline: list[TimelineEntry]
    result_available: bool


class RatingIn(StrictModel):
    """The applicant's rating: 1 không hài lòng, 2 hài lòng, 3 rất hài lòng, overall and by indicator."""

    overall: int = Field(ge=1, le=3)
    indicators: dict[str, int] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=2000)
