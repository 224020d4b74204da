"""Daily attendance: a class's sheet, a student's days, rates for the school and the department."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import (
    Attendance,
    Enrolment,
    School,
    SchoolClass,
    SchoolYear,
    Staff,
)
from smartcity.education.schemas import (
    AttendanceSheet,
)
from smartcity.education.service.common import (
    ATTENDANCE,
    SCHOOL_LEAD_ROLES,
    dmy,
    education_settings,
    school_row,
    school_units,
    year_on,
)
from smartcity.education.service.students import _student_for

# ------------------------------------------------------------------------------------------ attendance


def record_attendance(
    db: Database, *, actor: Actor, settings: Settings, class_id: int, sheet: AttendanceSheet
) -> dict[str, int]:
    """A class's attendance on a day: the listed marks, everyone else present (staff of the school)."""
    if sheet.day > clock.today(settings):
        raise ValidationFailed.for_field("day", "Không điểm danh trước cho ngày chưa đến.")
    if sheet.day.isoweekday() == 7:
        raise ValidationFailed.for_field("day", "Chủ nhật không phải ngày học.")
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        cls, _school = school_row(s, SchoolClass, class_id, actor)
        year = s.get(SchoolYear, cls.year_id)
        assert year is not None
        if not year.starts_on <= sheet.day <= year.ends_on:
            raise ValidationFailed.for_field("day", "Ngày không thuộc năm học của lớp.")
        members = set(
            s.scalars(
                select(Enrolment.student_id).where(
                    Enrolment.class_id == cls.id,
                    Enrolment.starts_on <= sheet.day,
                    (Enrolment.ends_on.is_(None)) | (Enrolment.ends_on >= sheet.day),
                )
            )
        )
        marks = {m.student_id: m.status for m in sheet.marks}
        strangers = sorted(set(marks) - members)
        if strangers:
            raise ValidationFailed.for_field(
                "marks",
                Phrase(
                    "Học sinh {pupils} không thuộc lớp vào ngày này.", pupils=", ".join(map(str, strangers))
                ),
            )
        existing = {
            a.student_id: a
            for a in s.scalars(
                select(Attendance).where(Attendance.class_id == cls.id, Attendance.day == sheet.day)
            )
        }
        for student_id in members:
            status = marks.get(student_id, "present")
            row = existing.get(student_id)
            if row is None:
                s.add(Attendance(student_id=student_id, class_id=cls.id, day=sheet.day, status=status))
            else:
                row.status = status
        uow.audit(
            "education.attendance.recorded",
            "school_class",
            cls.id,
            after={"day": sheet.day.isoformat(), "absent": len(marks)},
        )
    counts: Counter[str] = Counter(str(marks.get(m, "present")) for m in members)
    return {key: counts.get(key, 0) for key in ATTENDANCE}


def class_attendance(db: Database, *, actor: Actor, class_id: int, day: date) -> dict[int, str]:
    """The statuses already marked for a class on a day, by student id (staff of the school)."""
    with db.session() as s:
        school_row(s, SchoolClass, class_id, actor)
        rows = s.execute(
            select(Attendance.student_id, Attendance.status).where(
                Attendance.class_id == class_id, Attendance.day == day
            )
        ).all()
        return {int(student_id): str(status) for student_id, status in rows}


def student_attendance(db: Database, *, actor: Actor, code: str, since: date) -> list[dict[str, Any]]:
    """A student's attendance since a day (staff of the school or the child's parent)."""
    with db.session() as s:
        student, _school, _staff = _student_for(s, actor, code)
        rows = s.scalars(
            select(Attendance)
            .where(Attendance.student_id == student.id, Attendance.day >= since)
            .order_by(Attendance.day.desc())
        )
        return [
            {"day": a.day, "day_text": dmy(a.day), "status": a.status, "status_name": ATTENDANCE[a.status]}
            for a in rows
        ]


def count_unmarked_classes(db: Database, *, actor: Actor, settings: Settings, on: date | None = None) -> int:
    """How many classes have no attendance yet on a school day (today by default): every class of the schools
    the actor leads, and the classes the actor is the homeroom teacher of; none on a day off (the city's
    working calendar: weekends, holidays), outside the school year or before today's lessons begin."""
    on, staff_of = on or clock.today(settings), school_units(actor)
    if not staff_of or not city_service.working_calendar(db, settings=settings).is_working_day(on):
        return 0
    if on == clock.today(settings) and not school_day_started(settings):
        return 0
    with db.session() as s:
        try:
            year = year_on(s, on)
        except NotFound:
            return 0
        if on > year.ends_on:
            return 0
        mine = and_(Staff.user_id == actor.user_id, Staff.active.is_(True)) if actor.user_id else false()
        query = (
            select(func.count())
            .select_from(SchoolClass)
            .join(School, School.id == SchoolClass.school_id)
            .outerjoin(Staff, Staff.id == SchoolClass.homeroom_teacher_id)
            .where(
                SchoolClass.year_id == year.id,
                School.org_unit_code.in_(staff_of),
                or_(School.org_unit_code.in_(school_units(actor, SCHOOL_LEAD_ROLES)), mine),
                ~exists().where(Attendance.class_id == SchoolClass.id, Attendance.day == on),
            )
        )
        return int(s.scalar(query) or 0)


def school_day_started(settings: Settings, *, at: datetime | None = None) -> bool:
    """Whether today's lessons have begun in the city (at `at`, now by default): today is behind the city's
    clock or its time is past the school day's start, so that today's register can have been taken."""
    moment = clock.local(at or clock.now(), settings)
    today = clock.today(settings)
    starts = education_settings(settings).school_day_starts
    return moment.date() > today or (moment.date() == today and moment.time() >= starts)


def classes_marked_today(db: Database, *, settings: Settings, class_ids: list[int]) -> set[int] | None:
    """Which of `class_ids` have attendance recorded today; None on a day off (the city's working calendar),
    when no sheet is expected (before the school day starts, see `school_day_started`, classes not marked yet
    are not late)."""
    today = clock.today(settings)
    if not class_ids or not city_service.working_calendar(db, settings=settings).is_working_day(today):
        return None
    with db.session() as s:
        query = select(Attendance.class_id).where(Attendance.class_id.in_(class_ids), Attendance.day == today)
        return set(s.scalars(query.distinct()))


def attendance_rate(db: Database, *, start: date, end: date, school_id: int | None = None) -> tuple[int, int]:
    """(present or late, all marks) between two days inclusive, for a school or the whole city."""
    query = select(Attendance.status, func.count()).where(Attendance.day.between(start, end))
    if school_id is not None:
        query = query.join(SchoolClass, SchoolClass.id == Attendance.class_id).where(
            SchoolClass.school_id == school_id
        )
    with db.session() as s:
        counts = dict(s.execute(query.group_by(Attendance.status)).all())
    present = int(counts.get("present", 0)) + int(counts.get("late", 0))
    return present, int(sum(counts.values()))


def attendance_by_school(db: Database, *, start: date, end: date) -> dict[int, tuple[int, int]]:
    """(present or late, all marks) per school id between two days inclusive."""
    with db.session() as s:
        rows = s.execute(
            select(SchoolClass.school_id, Attendance.status, func.count())
            .join(SchoolClass, SchoolClass.id == Attendance.class_id)
            .where(Attendance.day.between(start, end))
            .group_by(SchoolClass.school_id, Attendance.status)
        )
        out: dict[int, list[int]] = {}
        for school_id, status, count in rows:
            pair = out.setdefault(int(school_id), [0, 0])
            pair[1] += int(count)
            if status in ("present", "late"):
                pair[0] += int(count)
    return {k: (v[0], v[1]) for k, v in out.items()}
