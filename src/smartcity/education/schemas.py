"""Pydantic shapes of the education API: what schools, staff, parents and the department send."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from smartcity.core.schemas import CITIZEN_ID_PATTERN

Level = Literal["preschool", "primary", "lower_secondary"]
StaffRole = Literal["principal", "vice_principal", "teacher", "accountant", "clerk", "equipment", "nurse"]
AttendanceStatus = Literal["present", "excused", "unexcused", "late"]
Condition = Literal["good", "fair", "poor", "broken"]
AssetCategory = Literal["equipment", "furniture", "it"]
PERIOD = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
YEAR = r"^20[0-9]{2}-20[0-9]{2}$"


class SchoolCreate(BaseModel):
    """A public school the department registers."""

    code: str = Field(pattern=r"^[A-Z0-9-]{3,40}$")
    name: str = Field(min_length=3, max_length=200)
    level: Level
    address: str = Field(default="", max_length=300)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    capacity: int = Field(default=0, ge=0, le=10000)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=120)


class SchoolYearCreate(BaseModel):
    """A school year with its two terms."""

    name: str = Field(pattern=YEAR)
    starts_on: date
    ends_on: date
    second_term_starts_on: date


class ClassCreate(BaseModel):
    """A class of the school in a year."""

    year: str = Field(pattern=YEAR)
    name: str = Field(min_length=1, max_length=20)
    grade: int = Field(ge=1, le=9)
    homeroom_teacher_id: int | None = None


class StaffCreate(BaseModel):
    """A member of staff with their official e-mail address."""

    full_name: str = Field(min_length=3, max_length=120)
    role: StaffRole
    email: str = Field(max_length=120)
    subject: str = Field(default="", max_length=60)
    username: str | None = Field(default=None, description="The platform account to link, if any")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        local, _, domain = value.partition("@")
        if not local or "." not in domain or " " in value:
            raise ValueError("không phải địa chỉ thư điện tử")
        return value


class StudentCreate(BaseModel):
    """A child enrolled in a class: identifiers are stored encrypted."""

    full_name: str = Field(min_length=2, max_length=120)
    birth_date: date
    sex: Literal["M", "F"]
    personal_id: str | None = Field(
        default=None, pattern=CITIZEN_ID_PATTERN, description="Mã định danh cá nhân"
    )
    class_id: int
    starts_on: date | None = None


class StudentLookup(BaseModel):
    """A child's personal identification number, to find their record (keyed hash, never stored in clear)."""

    personal_id: str = Field(pattern=CITIZEN_ID_PATTERN)


class TransferCreate(BaseModel):
    """A move to another school's class on a date."""

    to_school: str
    to_class_id: int
    on_date: date
    reason: str = Field(default="", max_length=300)


class AttendanceMark(BaseModel):
    """One student's status on the day (everyone not listed is present)."""

    student_id: int
    status: AttendanceStatus


class AttendanceSheet(BaseModel):
    """A class's attendance on a day: the absences and late arrivals."""

    day: date
    marks: list[AttendanceMark] = Field(default_factory=list, max_length=200)


class PromotionRun(BaseModel):
    """End of year: everyone moves up a grade except those held back; the last grade completes."""

    from_year: str = Field(pattern=YEAR)
    to_year: str = Field(pattern=YEAR)
    held_back: list[int] = Field(default_factory=list, description="Student ids repeating the grade")


class GuardianLink(BaseModel):
    """A citizen account linked as the child's parent or guardian."""

    username: str = Field(min_length=3, max_length=64)
    relation: Literal["mother", "father", "guardian"]


class ExemptionGrant(BaseModel):
    """An exemption or reduction category for the student in a year, with its evidence."""

    year: str = Field(pattern=YEAR)
    category: str = Field(min_length=2, max_length=40)
    evidence: str = Field(min_length=3, max_length=300)


class InvoiceRun(BaseModel):
    """Bill every student of the school for a month."""

    period: str = Field(pattern=PERIOD)


class CounterPayment(BaseModel):
    """Money received at the school's counter."""

    amount_vnd: int = Field(gt=0, le=100_000_000)
    payer: str = Field(min_length=2, max_length=120)


class ReconciliationClose(BaseModel):
    """Close a month's reconciliation."""

    month: str = Field(pattern=PERIOD)


class AssetCreate(BaseModel):
    """An item received into the school's register."""

    name: str = Field(min_length=2, max_length=200)
    category: AssetCategory
    depreciation_class: str = Field(min_length=2, max_length=40)
    quantity: int = Field(ge=1, le=100000)
    unit_value_vnd: int = Field(ge=0, le=100_000_000_000)
    acquired_on: date
    condition: Condition = "good"
    learning_device: bool = False


class AssetTransfer(BaseModel):
    """Some or all of an item moved to another school."""

    to_school: str
    quantity: int = Field(ge=1)
    on_date: date
    reason: str = Field(min_length=3, max_length=300)


class AssetWriteOff(BaseModel):
    """Some or all of an item written off (thanh lý) by a decision."""

    quantity: int = Field(ge=1)
    on_date: date
    reason: str = Field(min_length=3, max_length=300)
    reference: str = Field(default="", max_length=80, description="Number of the write-off decision")


class StocktakeOpen(BaseModel):
    """The yearly stock-take opened on a day by a committee."""

    year: int = Field(ge=2000, le=2100)
    counted_on: date
    committee: str = Field(default="", max_length=300)


class StocktakeCount(BaseModel):
    """What the committee found for one item."""

    counted_quantity: int = Field(ge=0)
    counted_condition: Condition
    explanation: str = Field(default="", max_length=300)


class TimetableSlotIn(BaseModel):
    """A lesson of the class's weekly timetable."""

    weekday: int = Field(ge=1, le=6)
    period: int = Field(ge=1, le=10)
    subject: str = Field(min_length=2, max_length=60)
    teacher_id: int | None = None
    mode: Literal["in_person", "online"] = "in_person"
    online_url: str = Field(default="", max_length=300)

    @field_validator("online_url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith("https://"):
            raise ValueError("đường dẫn buổi học trực tuyến phải bắt đầu bằng https://")
        return value
