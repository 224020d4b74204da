"""Tables of the education domain: schools, years, classes, staff, students, fees, assets, timetables.

Money is in whole đồng. Children's names, birth dates and personal identification numbers are stored
encrypted (core.crypto); `personal_id_hash` is the keyed hash used to find a child by that number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartcity.core.crypto import SEALED, Keys, decrypt_personal
from smartcity.core.db import Base, IdType, JSONType, TimestampMixin, UTCDateTime, utcnow


class School(TimestampMixin, Base):
    """A public school: level, ward of record (valid on `ward_on`), address, place, capacity, contacts."""

    __tablename__ = "education_schools"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), index=True)  # preschool | primary | lower_secondary
    org_unit_code: Mapped[str] = mapped_column(String(64), unique=True)
    ward_code: Mapped[str] = mapped_column(String(10), index=True)
    ward_on: Mapped[date] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(300), default="")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    name_source: Mapped[str] = mapped_column(String(20), default="synthetic")  # reported | synthetic


class SchoolYear(Base):
    """A school year (năm học), e.g. 2026–2027, with its first and last day."""

    __tablename__ = "education_school_years"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(9), unique=True)  # "2026-2027"
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Term(Base):
    """A term (học kỳ) of a school year."""

    __tablename__ = "education_terms"
    __table_args__ = (UniqueConstraint("year_id", "number"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("education_school_years.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Staff(TimestampMixin, Base):
    """A member of a school's staff with an official e-mail address and a role at the school. The name and
    address are stored encrypted; `email_index` (keyed hash) keeps the address unique, `StaffNameTerm`
    serves the search by words of the name."""

    __tablename__ = "education_staff"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id", ondelete="CASCADE"), index=True)
    full_name_encrypted: Mapped[str] = mapped_column(Text, info=SEALED)
    role: Mapped[str] = mapped_column(String(30))  # principal | vice_principal | teacher | accountant ...
    email_encrypted: Mapped[str] = mapped_column(Text, info=SEALED)
    email_index: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(60), default="")
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the platform account, if any
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def full_name(self, keys: Keys) -> str:
        """The staff member's full name, decrypted."""
        return decrypt_personal(keys, self.full_name_encrypted)

    def email(self, keys: Keys) -> str:
        """The staff member's official e-mail address, decrypted."""
        return decrypt_personal(keys, self.email_encrypted)


class StaffNameTerm(Base):
    """One keyed hash of a word (or word prefix) of a staff member's name: the blind index of the search."""

    __tablename__ = "education_staff_name_terms"

    staff_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("education_staff.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class SchoolClass(TimestampMixin, Base):
    """A class (lớp) of a school in a year; `enrolled_count` is the class's enrolment as the school reports
    it (the demo writes only a sample of student records per class, the count stays whole)."""

    __tablename__ = "education_classes"
    __table_args__ = (UniqueConstraint("school_id", "year_id", "name"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id", ondelete="CASCADE"), index=True)
    year_id: Mapped[int] = mapped_column(ForeignKey("education_school_years.id"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(Integer)  # preschool: age group 2..5; primary 1..5; lower sec. 6..9
    homeroom_teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("education_staff.id", ondelete="SET NULL"), nullable=True
    )
    enrolled_count: Mapped[int] = mapped_column(Integer, default=0)
    teaching_mode: Mapped[str] = mapped_column(String(12), default="in_person")  # in_person|blended|online


class Student(TimestampMixin, Base):
    """A child: identifiers encrypted at rest, a keyed hash to find them by their personal number."""

    __tablename__ = "education_students"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # mã học sinh given by the platform
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"), index=True)
    name_enc: Mapped[str] = mapped_column(Text, info=SEALED)
    birth_date_enc: Mapped[str] = mapped_column(Text, info=SEALED)
    personal_id_enc: Mapped[str | None] = mapped_column(Text, nullable=True, info=SEALED)
    personal_id_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    sex: Mapped[str] = mapped_column(String(1), default="")  # M | F
    status: Mapped[str] = mapped_column(String(20), default="studying")  # studying|transferred|graduated|left


class Enrolment(Base):
    """A student in a class for a year, from a date to a date, and how it ended."""

    __tablename__ = "education_enrolments"
    __table_args__ = (Index("ix_education_enrolments_class_status", "class_id", "status"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("education_students.id", ondelete="CASCADE"), index=True
    )
    class_id: Mapped[int] = mapped_column(ForeignKey("education_classes.id", ondelete="CASCADE"))
    year_id: Mapped[int] = mapped_column(ForeignKey("education_school_years.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # active | transferred | promoted | repeated | graduated | left


class Transfer(Base):
    """A student's move from one school to another on a date, with the reason."""

    __tablename__ = "education_transfers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    student_id: Mapped[int] = mapped_column(
        ForeignKey("education_students.id", ondelete="CASCADE"), index=True
    )
    from_school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    to_school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    to_class_id: Mapped[int] = mapped_column(ForeignKey("education_classes.id"))
    on_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """A student's attendance on a school day (present, excused or unexcused absence, late)."""

    __tablename__ = "education_attendance"
    __table_args__ = (
        UniqueConstraint("student_id", "day"),
        Index("ix_education_attendance_class_day", "class_id", "day"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("education_students.id", ondelete="CASCADE"))
    class_id: Mapped[int] = mapped_column(ForeignKey("education_classes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # present | excused | unexcused | late


class Guardian(Base):
    """A citizen account linked as a child's parent or guardian by the school."""

    __tablename__ = "education_guardians"
    __table_args__ = (UniqueConstraint("student_id", "user_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("education_students.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    relation: Mapped[str] = mapped_column(String(12))  # mother | father | guardian
    linked_by: Mapped[str] = mapped_column(String(120))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StudentExemption(Base):
    """A student's exemption or reduction category for a school year, with the evidence noted."""

    __tablename__ = "education_student_exemptions"
    __table_args__ = (UniqueConstraint("student_id", "year_id", "category"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("education_students.id", ondelete="CASCADE"))
    year_id: Mapped[int] = mapped_column(ForeignKey("education_school_years.id"))
    category: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[str] = mapped_column(String(300), default="")
    granted_by: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invoice(TimestampMixin, Base):
    """A month's fees of one student: lines (fee, amount, reduction, legal basis), total and what is paid."""

    __tablename__ = "education_invoices"
    __table_args__ = (
        UniqueConstraint("student_id", "period"),
        Index("ix_education_invoices_school_period", "school_id", "period"),
        Index("ix_education_invoices_status_due", "status", "due_on"),  # the arrears: open and past due
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("education_students.id", ondelete="CASCADE"))
    year_id: Mapped[int] = mapped_column(ForeignKey("education_school_years.id"))
    period: Mapped[str] = mapped_column(String(7))  # "2026-12"
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    total_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | paid | cancelled


class FeePayment(Base):
    """Money paid on an invoice online (through the payment provider) or at the school's counter."""

    __tablename__ = "education_fee_payments"
    __table_args__ = (Index("ix_education_payments_school_paid", "school_id", "paid_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("education_invoices.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    channel: Mapped[str] = mapped_column(String(10))  # online | counter
    provider: Mapped[str] = mapped_column(String(30), default="")
    txn_ref: Mapped[str | None] = mapped_column(String(60), unique=True, nullable=True)
    provider_txn_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    amount_vnd: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | paid | failed
    receipt_number: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    payer: Mapped[str] = mapped_column(String(120), default="")
    received_by: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PaymentCallbackLog(Base):
    """Every callback or return from the payment provider, with its verdict (forged ones too)."""

    __tablename__ = "education_payment_callbacks"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    txn_ref: Mapped[str | None] = mapped_column(String(60), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    verdict: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reconciliation(Base):
    """A school's month closed by its accountant: the totals as they stood, who closed it and when."""

    __tablename__ = "education_reconciliations"
    __table_args__ = (UniqueConstraint("school_id", "month"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    month: Mapped[str] = mapped_column(String(7))
    totals: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    closed_by: Mapped[str] = mapped_column(String(120))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Asset(TimestampMixin, Base):
    """An item of a school's inventory: kind, depreciation class, quantity, unit value, condition."""

    __tablename__ = "education_assets"
    __table_args__ = (UniqueConstraint("school_id", "code"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))  # equipment | furniture | it
    depreciation_class: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    unit_value_vnd: Mapped[int] = mapped_column(BigInteger)
    acquired_on: Mapped[date] = mapped_column(Date)
    condition: Mapped[str] = mapped_column(String(12), default="good")  # good | fair | poor | broken
    learning_device: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(14), default="in_use")  # in_use | written_off | missing


class AssetMovement(Base):
    """A change to the register: received, transferred, written off, or a stock-take difference."""

    __tablename__ = "education_asset_movements"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("education_assets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # received | transfer_out | transfer_in | write_off | stocktake_shortage | stocktake_surplus | condition
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    value_vnd: Mapped[int] = mapped_column(BigInteger, default=0)
    on_date: Mapped[date] = mapped_column(Date)
    other_school_id: Mapped[int | None] = mapped_column(ForeignKey("education_schools.id"), nullable=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str] = mapped_column(String(80), default="")
    actor: Mapped[str] = mapped_column(String(120), default="")


class Stocktake(Base):
    """The yearly stock-take (kiểm kê) of a school: open while counting, closed once applied."""

    __tablename__ = "education_stocktakes"
    __table_args__ = (UniqueConstraint("school_id", "year"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("education_schools.id"))
    year: Mapped[int] = mapped_column(Integer)
    counted_on: Mapped[date] = mapped_column(Date)
    committee: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str] = mapped_column(String(120), default="")


class StocktakeLine(Base):
    """One asset as counted: the book quantity, what was found, its condition and why they differ."""

    __tablename__ = "education_stocktake_lines"
    __table_args__ = (UniqueConstraint("stocktake_id", "asset_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("education_stocktakes.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("education_assets.id", ondelete="CASCADE"))
    book_quantity: Mapped[int] = mapped_column(Integer)
    counted_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_condition: Mapped[str] = mapped_column(String(12))
    counted_condition: Mapped[str | None] = mapped_column(String(12), nullable=True)
    explanation: Mapped[str] = mapped_column(String(300), default="")


class TimetableSlot(Base):
    """A lesson of a class's weekly timetable, taught in person or online (with the session's link)."""

    __tablename__ = "education_timetable_slots"
    __table_args__ = (UniqueConstraint("class_id", "weekday", "period"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("education_classes.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # 1 Monday .. 6 Saturday
    period: Mapped[int] = mapped_column(Integer)  # 1..10
    subject: Mapped[str] = mapped_column(String(60))
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("education_staff.id", ondelete="SET NULL"), nullable=True
    )
    mode: Mapped[str] = mapped_column(String(10), default="in_person")  # in_person | online
    online_url: Mapped[str] = mapped_column(String(300), default="")
