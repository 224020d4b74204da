"""Fees: amounts per year and level, exemptions, monthly invoices, counter payments, arrears,
monthly reconciliation, receipts as PDF."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ValidationFailed, found_or_404
from smartcity.core.i18n import Phrase
from smartcity.core.pages import Page, PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import FeePaid, FeesInvoiced
from smartcity.education.models import (
    Enrolment,
    FeePayment,
    Invoice,
    School,
    SchoolClass,
    SchoolYear,
    Student,
    StudentExemption,
)
from smartcity.education.service.common import (
    INVOICE_STATUS,
    LEVELS,
    dmy,
    education_settings,
    reference,
    require_school_staff,
    school_by_code,
    school_roles,
    unseal,
    year_on,
)
from smartcity.education.service.students import guardians_of

# ------------------------------------------------------------------------------------------ reference


def fee_types() -> dict[str, dict[str, Any]]:
    """The fee types by code, each with its legal basis."""
    return {f["code"]: f for f in reference("fees.json")["fee_types"]}


def fee_rates(year: str | None = None) -> list[dict[str, Any]]:
    """Amounts per year, fee and level (all years, or one), with their note and whether checked."""
    types = fee_types()
    return [
        r
        | {
            "fee_name": types[r["fee"]]["name"],
            "level_name": LEVELS[r["level"]],
        }
        for r in reference("fees.json")["rates"]
        if year is None or r["year"] == year
    ]


def _rate(year: str, fee: str, level: str) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in reference("fees.json")["rates"]
            if (r["year"], r["fee"], r["level"]) == (year, fee, level)
        ),
        None,
    )


def _category_names(english: bool = False) -> dict[str, str]:
    return {
        c["code"]: (c.get("name_en") or c["name"]) if english else c["name"]
        for c in reference("fees.json")["categories"]
    }


def _rule(category: str, fee: str, level: str) -> dict[str, Any] | None:
    """The rule of a category for a fee at a level, if it has one."""
    for item in reference("fees.json")["categories"]:
        if item["code"] == category:
            for rule in item["rules"]:
                if rule["fee"] == fee and (not rule.get("levels") or level in rule["levels"]):
                    return dict(rule)
    return None


def _reduction(amount: int, fee: str, level: str, categories: list[str]) -> tuple[int, str]:
    """The largest reduction any of the student's categories gives on a fee line (they do not add up),
    and the category giving it."""
    best = (0, "")
    for category in categories:
        rule = _rule(category, fee, level)
        if rule is None:
            continue
        value = amount * rule["percent"] // 100 if "percent" in rule else min(amount, rule["amount"])
        if value > best[0]:
            best = (int(value), category)
    return best


def invoice_lines(
    *, year: str, level: str, month: int, categories: list[str], insurance_month: int
) -> list[dict[str, Any]]:
    """The lines of a month's invoice for a student of this level, reductions applied (as stored: fee,
    name, amounts and the category of the reduction; `describe_lines` adds the words and legal bases)."""
    lines = []
    for code, fee in fee_types().items():
        if fee["billing"] == "yearly" and month != insurance_month:
            continue
        rate = _rate(year, code, level)
        if rate is None:
            continue
        amount = int(rate["amount"])
        reduction, category = _reduction(amount, code, level, categories)
        lines.append(
            {
                "fee": code,
                "name": fee["name"],
                "amount": amount,
                "reduction": reduction,
                "net": amount - reduction,
                "category": category,
            }
        )
    return lines


def describe_lines(lines: list[dict[str, Any]], *, year: str, level: str) -> list[dict[str, Any]]:
    """Invoice lines with their note, legal basis, reduction category and its legal basis, in words."""
    types, names, names_en = fee_types(), _category_names(), _category_names(english=True)
    out = []
    for line in lines:
        rate = _rate(year, line["fee"], level) or {}
        rule = _rule(line["category"], line["fee"], level) if line.get("category") else None
        out.append(
            line
            | {
                "note": rate.get("note", ""),
                "note_en": rate.get("note_en", ""),  # for pages in English
                "legal_basis": types.get(line["fee"], {}).get("legal_basis", ""),
                "name_en": types.get(line["fee"], {}).get("name_en", ""),  # for pages in English
                "category_name": names.get(line.get("category") or "", ""),
                "category_name_en": names_en.get(line.get("category") or "", ""),
                "reduction_basis": rule["legal_basis"] if rule else "",
            }
        )
    return out


# ------------------------------------------------------------------------------------------ invoices


def _period_bounds(period: str) -> tuple[date, date]:
    year, month = (int(p) for p in period.split("-"))
    first = date(year, month, 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def _due_on(period: str, issued: date, due_day: int) -> date:
    first, _last = _period_bounds(period)
    due = first.replace(day=due_day)
    return due if due >= issued else issued + timedelta(days=10)


def issue_invoices(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    school_code: str,
    period: str,
    issued_on: date | None = None,
) -> dict[str, int]:
    """Bill every student enrolled at the school during the month (once per student and month)."""
    config = education_settings(settings)
    today = clock.today(settings)
    first, last = _period_bounds(period)
    issued = issued_on or today
    if first > today:
        raise ValidationFailed.for_field("period", "Chưa thể lập hóa đơn cho tháng chưa đến.")
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
        year = year_on(s, first)
        if not (year.starts_on <= last and first <= year.ends_on):
            raise ValidationFailed.for_field("period", "Tháng không thuộc năm học.")
        created, total = _bill(
            s, school, year, period, issued, config.invoice_due_day, config.health_insurance_month
        )
        if created:
            uow.audit(
                "education.invoices.issued",
                "school",
                school_code,
                after={"period": period, "invoices": created, "total": total},
            )
            uow.publish(
                FeesInvoiced(school_code=school_code, period=period, invoices=created, total_vnd=total)
            )
    return {"invoices": created, "total_vnd": total}


def _bill(
    s: Session,
    school: School,
    year: SchoolYear,
    period: str,
    issued: date,
    due_day: int,
    insurance_month: int,
) -> tuple[int, int]:
    """Insert the missing invoices of a school's month; returns (invoices, total)."""
    first, last = _period_bounds(period)
    enrolled = (
        s.execute(
            select(Enrolment.student_id)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(
                SchoolClass.school_id == school.id,
                Enrolment.year_id == year.id,
                Enrolment.starts_on <= last,
                (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= first),
                Enrolment.status.in_(("active", "promoted", "repeated", "graduated")),
            )
            .distinct()
        )
        .scalars()
        .all()
    )
    billed = set(
        s.scalars(
            select(Invoice.student_id).where(Invoice.period == period, Invoice.student_id.in_(enrolled))
        )
    )
    exemptions: dict[int, list[str]] = defaultdict(list)
    for student_id, category in s.execute(
        select(StudentExemption.student_id, StudentExemption.category).where(
            StudentExemption.year_id == year.id
        )
    ):
        exemptions[student_id].append(category)
    seq = int(
        s.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.school_id == school.id, Invoice.period == period)
        )
        or 0
    )
    month = int(period[5:])
    created = total = 0
    for student_id in sorted(set(enrolled) - billed):
        lines = invoice_lines(
            year=year.name,
            level=school.level,
            month=month,
            categories=exemptions[student_id],
            insurance_month=insurance_month,
        )
        amount = sum(line["net"] for line in lines)
        seq += 1
        s.add(
            Invoice(
                number=f"{school.code}-{period.replace('-', '')}-{seq:04d}",
                school_id=school.id,
                student_id=student_id,
                year_id=year.id,
                period=period,
                lines=lines,
                total_vnd=amount,
                paid_vnd=0,
                issued_on=issued,
                due_on=_due_on(period, issued, due_day),
                status="open" if amount > 0 else "paid",
            )
        )
        created, total = created + 1, total + amount
    s.flush()
    return created, total


def _invoice_row(invoice: Invoice, name: str = "", class_name: str = "") -> dict[str, Any]:
    outstanding = invoice.total_vnd - invoice.paid_vnd
    return {
        "number": invoice.number,
        "period": invoice.period,
        "period_text": f"{invoice.period[5:]}/{invoice.period[:4]}",
        "student_name": name,
        "class_name": class_name,
        "total_vnd": invoice.total_vnd,
        "paid_vnd": invoice.paid_vnd,
        "outstanding_vnd": outstanding,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "due_text": dmy(invoice.due_on),
        "status": invoice.status,
        "status_name": INVOICE_STATUS[invoice.status],
    }


def list_invoices(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    school_code: str,
    paging: PageParams,
    period: str | None = None,
    status: str | None = None,
) -> Page[dict[str, Any]]:
    """The school's invoices, newest month first (staff of the school)."""
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school)
        query = select(Invoice).where(Invoice.school_id == school.id)
        if period:
            query = query.where(Invoice.period == period)
        if status:
            query = query.where(Invoice.status == status)
        total = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
        invoices = list(
            s.scalars(
                query.order_by(Invoice.period.desc(), Invoice.number)
                .limit(paging.limit)
                .offset(paging.offset)
            )
        )
        names = _student_names(s, settings, [i.student_id for i in invoices])
        items = [_invoice_row(i, *names.get(i.student_id, ("", ""))) for i in invoices]
    return Page.of(items, total=total, paging=paging)


def _student_names(s: Session, settings: Settings, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(name, current class) of these students, decrypted for the school's own staff."""
    if not ids:
        return {}
    students = {st.id: st for st in s.scalars(select(Student).where(Student.id.in_(ids)))}
    classes = dict(
        s.execute(
            select(Enrolment.student_id, SchoolClass.name)
            .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
            .where(Enrolment.student_id.in_(ids))
            .order_by(Enrolment.starts_on)
        ).all()
    )
    return {i: (unseal(settings, st.name_enc), classes.get(i, "")) for i, st in students.items()}


def _invoice_for(s: Session, actor: Actor, number: str) -> tuple[Invoice, School, bool]:
    """The invoice, if the actor is on the school's staff (True) or the child's parent (False)."""
    invoice = found_or_404(s.scalar(select(Invoice).where(Invoice.number == number)), "Không có hóa đơn này.")
    school = s.get(School, invoice.school_id)
    assert school is not None
    if school_roles(actor, school):
        return invoice, school, True
    if actor.user_id is not None and actor.user_id in guardians_of(s, invoice.student_id):
        return invoice, school, False
    raise NotFound("Không có hóa đơn này.")


def get_invoice(db: Database, *, actor: Actor, settings: Settings, number: str) -> dict[str, Any]:
    """An invoice with its lines, legal bases and payments (school staff or the child's parent)."""
    with db.session() as s:
        invoice, school, _staff = _invoice_for(s, actor, number)
        name, class_name = _student_names(s, settings, [invoice.student_id]).get(invoice.student_id, ("", ""))
        student = s.get(Student, invoice.student_id)
        payments = s.scalars(
            select(FeePayment)
            .where(FeePayment.invoice_id == invoice.id, FeePayment.status == "paid")
            .order_by(FeePayment.paid_at)
        )
        row = _invoice_row(invoice, name, class_name) | {
            "school_name": school.name,
            "school_code": school.code,
            "student_code": student.code if student else "",
            "lines": describe_lines(invoice.lines, year=_year_name(s, invoice.year_id), level=school.level),
            "payments": [_payment_row(p) for p in payments],
        }
        return row


def _year_name(s: Session, year_id: int) -> str:
    year = s.get(SchoolYear, year_id)
    return year.name if year else ""


def _payment_row(payment: FeePayment) -> dict[str, Any]:
    return {
        "receipt_number": payment.receipt_number,
        "amount_vnd": payment.amount_vnd,
        "channel": payment.channel,
        "channel_name": "Trực tuyến" if payment.channel == "online" else "Tại trường",
        "paid_at": payment.paid_at,
        "payer": payment.payer,
    }


def invoice_student_code(db: Database, number: str) -> str:
    """The code of the student an invoice bills (for the page a verified payment returns to)."""
    with db.session() as s:
        code = s.scalar(
            select(Student.code)
            .join(Invoice, Invoice.student_id == Student.id)
            .where(Invoice.number == number)
        )
        if code is None:
            raise NotFound("Không có hóa đơn này.")
        return str(code)


def student_invoices(db: Database, *, actor: Actor, code: str) -> list[dict[str, Any]]:
    """A child's invoices, newest first (the child's parent or the school's staff)."""
    with db.session() as s:
        student = s.scalar(select(Student).where(Student.code == code))
        if student is None:
            raise NotFound("Không có học sinh này.")
        school = s.get(School, student.school_id)
        assert school is not None
        if not school_roles(actor, school) and actor.user_id not in guardians_of(s, student.id):
            raise NotFound("Không có học sinh này.")
        invoices = s.scalars(
            select(Invoice).where(Invoice.student_id == student.id).order_by(Invoice.period.desc())
        )
        rows = []
        for invoice in invoices:
            receipts = s.scalars(
                select(FeePayment.receipt_number).where(
                    FeePayment.invoice_id == invoice.id, FeePayment.status == "paid"
                )
            ).all()
            rows.append(_invoice_row(invoice) | {"receipts": [r for r in receipts if r]})
        return rows


# ------------------------------------------------------------------------------------------ payments


def next_receipt_number(s: Session, school: School, on: date) -> str:
    """The school's next receipt number of the year (BL-<school>-<year>-<sequence>)."""
    prefix = f"BL-{school.code}-{on.year}-"
    count = s.scalar(
        select(func.count()).select_from(FeePayment).where(FeePayment.receipt_number.like(prefix + "%"))
    )
    return f"{prefix}{int(count or 0) + 1:06d}"


def settle(
    s: Session, invoice: Invoice, payment: FeePayment, school: School, now: datetime, settings: Settings
) -> None:
    """Mark a payment paid, give it a receipt number and put the money on the invoice."""
    payment.status, payment.paid_at = "paid", now
    payment.receipt_number = next_receipt_number(s, school, clock.local_date(now, settings))
    invoice.paid_vnd += payment.amount_vnd
    if invoice.paid_vnd >= invoice.total_vnd:
        invoice.status = "paid"


def record_counter_payment(
    db: Database, *, actor: Actor, settings: Settings, number: str, amount_vnd: int, payer: str
) -> dict[str, Any]:
    """Money received at the school's counter (the office): up to what is still owed; a receipt follows."""
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        invoice, school, _staff = _invoice_for(s, actor, number)
        require_school_staff(actor, school, office=True)
        outstanding = invoice.total_vnd - invoice.paid_vnd
        if invoice.status != "open" or outstanding <= 0:
            raise Conflict("Hóa đơn này không còn khoản phải thu.")
        if amount_vnd > outstanding:
            raise ValidationFailed.for_field(
                "amount_vnd",
                Phrase("Số tiền vượt quá số còn phải nộp ({amount} ₫).", amount=Decimal(outstanding)),
            )
        payment = FeePayment(
            invoice_id=invoice.id,
            school_id=school.id,
            channel="counter",
            amount_vnd=amount_vnd,
            payer=payer.strip(),
            received_by=actor.label,
        )
        s.add(payment)
        settle(s, invoice, payment, school, utcnow(), settings)
        s.flush()
        receipt = str(payment.receipt_number)
        uow.audit(
            "education.fee.counter_payment",
            "invoice",
            number,
            after={"amount": amount_vnd, "receipt": receipt},
        )
        uow.publish(
            FeePaid(
                school_code=school.code,
                invoice_number=number,
                receipt_number=receipt,
                amount_vnd=amount_vnd,
                channel="counter",
            )
        )
        return {
            "receipt_number": receipt,
            "status": invoice.status,
            "outstanding_vnd": invoice.total_vnd - invoice.paid_vnd,
        }
