"""Pydantic shapes of the feedback domain: categories, reports (staff and public views), actions, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartcity.core.pages import Page
from smartcity.core.schemas import RowModel

Channel = Literal["web", "app", "hotline", "zalo", "email", "open311"]
CHANNELS: tuple[str, ...] = ("web", "app", "hotline", "zalo", "email", "open311")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AttributeValue(BaseModel):
    """One allowed value of a list attribute (Open311 `values`)."""

    key: str
    name: str


class CategoryAttribute(BaseModel):
    """An extra question of a category (Open311 service definition attribute)."""

    code: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] = "string"
    required: bool = False
    variable: bool = True
    description: str = ""
    datatype_description: str = ""
    order: int = 1
    values: list[AttributeValue] = Field(default_factory=list)


class CategoryBase(_Strict):
    """A category as configured: handler rule and deadline."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = ""
    description: str = ""
    group: str = ""
    keywords: str = ""
    handler: Literal["ward", "department"] = "ward"
    department_code: str | None = None
    deadline_hours: int | None = Field(default=None, ge=1, le=24 * 365)
    deadline_working_days: int | None = Field(default=None, ge=1, le=365)
    urgent: bool = False
    attributes: list[CategoryAttribute] = Field(default_factory=list)
    position: int = 0
    active: bool = True


class CategoryRead(CategoryBase, RowModel):
    """A category as stored."""

    model_config = ConfigDict(from_attributes=True)


class ReportCreate(_Strict):
    """A new report from the web, the app, an operator on the phone, Zalo, e-mail or Open311."""

    category_code: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=3, max_length=5000)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    address: str = Field(default="", max_length=500)
    ward_code: str | None = Field(default=None, max_length=10)
    channel: Channel = "web"
    is_public: bool = True
    urgent: bool = False
    reporter_name: str | None = Field(default=None, max_length=200)
    reporter_phone: str | None = Field(default=None, max_length=30)
    reporter_email: str | None = Field(default=None, max_length=254)
    account_id: str | None = Field(default=None, max_length=100)
    attributes: dict[str, str] = Field(default_factory=dict)
    media_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")

    @field_validator("reporter_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
        if not 8 <= len(digits.lstrip("+")) <= 15:
            raise ValueError("a phone number has 8 to 15 digits")
        return digits

    @field_validator("reporter_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError("not an e-mail address")
        return value


class StepRead(RowModel):
    """One step of a report's life."""

    at: datetime
    action: str
    from_status: str | None
    to_status: str
    actor: str
    unit_code: str | None
    public_comment: str
    comment_phrase: dict[str, Any] | None = Field(default=None, exclude=True)  # for pages, not the API
    internal_note: str = ""


class PublicStep(RowModel):
    """One step as the public sees it (no internal note, no staff name)."""

    at: datetime
    action: str
    to_status: str
    unit_code: str | None
    public_comment: str
    comment_phrase: dict[str, Any] | None = Field(default=None, exclude=True)  # for pages, not the API


class PublicReport(BaseModel):
    """A public report: moderated text, place, state and public comments."""

    code: str
    category_code: str
    category_name: str
    status: str
    open311_status: Literal["open", "closed"]
    description: str
    address: str
    ward_code: str | None
    ward_name: str
    lon: float | None
    lat: float | None
    unit_code: str | None
    unit_name: str
    status_notes: str
    supporters: int
    is_urgent: bool
    submitted_at: datetime
    updated_at: datetime
    deadline_at: datetime | None
    resolved_at: datetime | None
    merged_into: str | None = None
    rating: int | None = None
    media_url: str | None = None
    photos: list[str] = Field(default_factory=list)
    steps: list[PublicStep] = Field(default_factory=list)


class ReportRead(PublicReport):
    """A report as staff see it: also the original text, channel, privacy and masked contact."""

    id: int
    token: str
    original_description: str
    channel: str
    is_public: bool
    assignee: str | None
    submitted_by: str
    reporter_user_id: int | None
    reporter_phone_masked: str | None
    has_contact: bool
    account_id: str | None
    attributes: dict[str, Any]
    accepted_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    escalated_to: str | None
    overdue: bool
    staff_steps: list[StepRead] = Field(default_factory=list)


class NearbyReport(BaseModel):
    """An open report of the same category near a point, that a new reporter may join."""

    code: str
    category_code: str
    description: str
    status: str
    distance_m: float
    submitted_at: datetime
    supporters: int
    lon: float
    lat: float


class SubmitResult(BaseModel):
    """What a reporter gets back: the report, the key to rate or reopen it, and nearby duplicates."""

    report: ReportRead
    reporter_key: str | None = Field(default=None, description="Shown once: lets an anonymous reporter act")
    nearby: list[NearbyReport] = Field(default_factory=list)


ReportPage = Page[PublicReport | ReportRead]


class ActionInput(_Strict):
    """A workflow action on a report, with an optional public comment and internal note."""

    comment: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=2000)
    unit_code: str | None = Field(default=None, max_length=64)
    assignee: str | None = Field(default=None, max_length=200)
    into: str | None = Field(default=None, max_length=32, description="merge: the code of the kept report")
    reporter_key: str | None = Field(default=None, max_length=100)
    rating: int | None = Field(default=None, ge=1, le=3)


class ContactRead(BaseModel):
    """The reporter's contact, decrypted for staff (each read is logged)."""

    name: str | None
    phone: str | None
    email: str | None


class Breakdown(BaseModel):
    """A count per key."""

    key: str
    label: str
    count: int


class StatsRead(BaseModel):
    """Figures for a period: volumes, speed, deadlines, satisfaction."""

    start: datetime
    end: datetime
    total: int
    by_category: list[Breakdown]
    by_channel: list[Breakdown]
    by_ward: list[Breakdown]
    by_status: list[Breakdown]
    by_month: list[Breakdown]
    accepted: int
    resolved: int
    mean_hours_to_accept: float | None
    median_hours_to_accept: float | None
    mean_hours_to_resolve: float | None
    median_hours_to_resolve: float | None
    resolved_within_deadline: int
    share_within_deadline: float | None
    overdue_open: int
    rated: int
    mean_rating: float | None
    share_satisfied: float | None
