"""Arrears, the month's reconciliation of a school and the collection figures for the department."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import (
    FeePayment,
    Invoice,
    Reconciliation,
    School,
    Student,
)
from smartcity.education.service.common import (
    SCHOOL_OFFICE_ROLES,
    dmy,
    is_department,
    require_school_staff,
    school_by_code,
    school_units,
    year_on,
)

# ------------------------------------------------------------------------------------------ reference
from smartcity.education.service.fees import _period_bounds, _student_names

# ------------------------------------------------------------------------------------------ arrears


def arrears(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, on: date | None = None
) -> list[dict[str, Any]]:
    """Students owing money past the due date, most owed first (staff of the school)."""
    on = on or clock.today(settings)
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school)
        invoices = list(
            s.scalars(
                select(Invoice).where(
                    Invoice.school_id == school.id, Invoice.status == "open", Invoice.due_on < on
                )
            )
        )
        names = _student_names(s, settings, [i.student_id for i in invoices])
        codes = dict(
            s.execute(
                select(Student.id, Student.code).where(Student.id.in_([i.student_id for i in invoices]))
            ).all()
        )
    by_student: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in invoices:
        by_student[invoice.student_id].append(invoice)
    rows: list[dict[str, Any]] = []
    for student_id, owed in by_student.items():
        amount = sum(i.total_vnd - i.paid_vnd for i in owed)
        oldest = min(i.due_on for i in owed)
        name, class_name = names.get(student_id, ("", ""))
        rows.append(
            {
                "student_code": codes.get(student_id, ""),
                "student_name": name,
                "class_name": class_name,
                "months": sorted(f"{i.period[5:]}/{i.period[:4]}" for i in owed),
                "invoices": sorted(i.number for i in owed),
                "amount_vnd": amount,
                "oldest_due": oldest,
                "oldest_due_text": dmy(oldest),
                "days_overdue": (on - oldest).days,
            }
        )
    rows.sort(key=lambda r: (-r["amount_vnd"], r["student_name"]))
    return rows


def count_in_arrears(
    db: Database, *, actor: Actor, settings: Settings, on: date | None = None, city_wide: bool = False
) -> int:
    """How many students owe money past the due date, as `arrears` lists them but counted (no row read): at
    the schools whose office the actor is in, or `city_wide` at every school (the department only)."""
    query = select(func.count(distinct(Invoice.student_id))).where(
        Invoice.status == "open", Invoice.due_on < (on or clock.today(settings))
    )
    if city_wide:
        if not is_department(actor, settings):
            raise Forbidden("Chỉ cơ quan quản lý giáo dục xem được số liệu toàn thành phố.")
    else:
        offices = school_units(actor, SCHOOL_OFFICE_ROLES)
        query = query.join(School, School.id == Invoice.school_id).where(School.org_unit_code.in_(offices))
    with db.session() as s:
        return int(s.scalar(query) or 0)


# ------------------------------------------------------------------------------------------ reconciliation


def _month_utc_bounds(month: str, settings: Settings) -> tuple[datetime, datetime]:
    first, last = _period_bounds(month)
    zone = clock.city_zone(settings)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return start, end


def reconciliation(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, month: str
) -> dict[str, Any]:
    """A school's month: billed, received by channel, online payments confirmed by the provider or not,
    invoices whose payments do not add up, what is still owed; and whether the month is closed."""
    start, end = _month_utc_bounds(month, settings)
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_staff(actor, school)
        billed = s.execute(
            select(func.count(), func.coalesce(func.sum(Invoice.total_vnd), 0)).where(
                Invoice.school_id == school.id, Invoice.period == month
            )
        ).one()
        received = {
            channel: (int(n), int(total))
            for channel, n, total in s.execute(
                select(FeePayment.channel, func.count(), func.coalesce(func.sum(FeePayment.amount_vnd), 0))
                .where(
                    FeePayment.school_id == school.id,
                    FeePayment.status == "paid",
                    FeePayment.paid_at >= start,
                    FeePayment.paid_at < end,
                )
                .group_by(FeePayment.channel)
            )
        }
        unconfirmed = int(
            s.scalar(
                select(func.count())
                .select_from(FeePayment)
                .where(
                    FeePayment.school_id == school.id,
                    FeePayment.channel == "online",
                    FeePayment.status == "paid",
                    FeePayment.paid_at >= start,
                    FeePayment.paid_at < end,
                    FeePayment.provider_txn_no.is_(None),
                )
            )
            or 0
        )
        pending = int(
            s.scalar(
                select(func.count())
                .select_from(FeePayment)
                .where(
                    FeePayment.school_id == school.id,
                    FeePayment.status == "pending",
                    FeePayment.started_at >= start,
                    FeePayment.started_at < end,
                )
            )
            or 0
        )
        mismatched = _mismatched_invoices(s, school.id, month)
        owed = s.execute(
            select(func.count(), func.coalesce(func.sum(Invoice.total_vnd - Invoice.paid_vnd), 0)).where(
                Invoice.school_id == school.id, Invoice.status == "open", Invoice.period <= month
            )
        ).one()
        closed = s.scalar(
            select(Reconciliation).where(Reconciliation.school_id == school.id, Reconciliation.month == month)
        )
    online, counter = received.get("online", (0, 0)), received.get("counter", (0, 0))
    return {
        "school_code": school_code,
        "school_name": school.name,
        "month": month,
        "month_text": f"{month[5:]}/{month[:4]}",
        "invoiced_count": int(billed[0]),
        "invoiced_vnd": int(billed[1]),
        "online_count": online[0],
        "online_vnd": online[1],
        "counter_count": counter[0],
        "counter_vnd": counter[1],
        "received_vnd": online[1] + counter[1],
        "online_unconfirmed": unconfirmed,
        "online_pending": pending,
        "mismatched_invoices": mismatched,
        "open_invoices": int(owed[0]),
        "owed_vnd": int(owed[1]),
        "balanced": unconfirmed == 0 and not mismatched,
        "closed_at": closed.closed_at if closed else None,
        "closed_by": closed.closed_by if closed else "",
    }


def _mismatched_invoices(s: Session, school_id: int, month: str) -> list[str]:
    """Invoices of the month whose recorded payments do not add up to what the invoice says was paid."""
    paid = dict(
        s.execute(
            select(FeePayment.invoice_id, func.sum(FeePayment.amount_vnd))
            .join(Invoice, Invoice.id == FeePayment.invoice_id)
            .where(Invoice.school_id == school_id, Invoice.period == month, FeePayment.status == "paid")
            .group_by(FeePayment.invoice_id)
        ).all()
    )
    invoices = s.execute(
        select(Invoice.id, Invoice.number, Invoice.paid_vnd).where(
            Invoice.school_id == school_id, Invoice.period == month
        )
    )
    return sorted(number for iid, number, recorded in invoices if int(paid.get(iid, 0) or 0) != int(recorded))


def close_month(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, month: str
) -> dict[str, Any]:
    """Close a finished month's reconciliation (the office): refused while it does not balance."""
    if _period_bounds(month)[1] >= clock.today(settings):
        raise ValidationFailed.for_field("month", "Chỉ đối chiếu tháng đã kết thúc.")
    report = reconciliation(db, actor=actor, settings=settings, school_code=school_code, month=month)
    if report["closed_at"] is not None:
        raise Conflict(Phrase("Tháng {month} đã được khóa sổ.", month=report["month_text"]))
    if not report["balanced"]:
        raise Conflict("Số liệu chưa khớp: hãy xử lý các hóa đơn và giao dịch chênh lệch trước khi khóa sổ.")
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        require_school_staff(actor, school, office=True)
        totals = {k: v for k, v in report.items() if k.endswith(("_vnd", "_count"))}
        uow.session.add(
            Reconciliation(school_id=school.id, month=month, totals=totals, closed_by=actor.label)
        )
        uow.audit("education.reconciliation.closed", "school", school_code, after={"month": month} | totals)
    return report | {"closed_by": actor.label}


# ------------------------------------------------------------------------------------------ collection


def collection_by_school(db: Database, *, on: date) -> dict[int, tuple[int, int]]:
    """(paid, billed) per school id over the school year's invoices fallen due by `on`."""
    with db.session() as s:
        year = year_on(s, on)
        rows = s.execute(
            select(Invoice.school_id, func.sum(Invoice.paid_vnd), func.sum(Invoice.total_vnd))
            .where(Invoice.year_id == year.id, Invoice.due_on <= on)
            .group_by(Invoice.school_id)
        )
        return {int(k): (int(p or 0), int(t or 0)) for k, p, t in rows}


def collection_by_month(db: Database) -> list[dict[str, Any]]:
    """Per school and billed month: invoices, billed, collected (aggregates for the open-data catalogue)."""
    with db.session() as s:
        rows = s.execute(
            select(
                School.code,
                School.name,
                Invoice.period,
                func.count(),
                func.sum(Invoice.total_vnd),
                func.sum(Invoice.paid_vnd),
            )
            .join(School, School.id == Invoice.school_id)
            .group_by(School.code, School.name, Invoice.period)
            .order_by(School.code, Invoice.period)
        ).all()
    return [
        {
            "school_code": code,
            "school_name": name,
            "month": period,
            "invoices": int(n),
            "billed_vnd": int(billed or 0),
            "collected_vnd": int(paid or 0),
        }
        for code, name, period, n, billed, paid in rows
    ]
