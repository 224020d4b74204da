"""Online learning: class timetables with links to online sessions, and how classes are taught."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.crypto import Keys
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import Enrolment, SchoolClass, Staff, TimetableSlot
from smartcity.education.schemas import TimetableSlotIn
from smartcity.education.service.common import MODES, school_row, staff_name
from smartcity.education.service.students import _student_for

WEEKDAYS = {1: "Thứ Hai", 2: "Thứ Ba", 3: "Thứ Tư", 4: "Thứ Năm", 5: "Thứ Sáu", 6: "Thứ Bảy"}


def mode_of(slots: list[str]) -> str:
    """How a class is taught, from its lessons: all online, some online (blended), or in person."""
    online = sum(1 for mode in slots if mode == "online")
    if online and online == len(slots):
        return "online"
    return "blended" if online else "in_person"


def _refresh_mode(s: Session, cls: SchoolClass) -> None:
    modes = list(s.scalars(select(TimetableSlot.mode).where(TimetableSlot.class_id == cls.id)))
    cls.teaching_mode = mode_of(modes)


def set_slot(db: Database, *, actor: Actor, class_id: int, data: TimetableSlotIn) -> dict[str, Any]:
    """Put a lesson in the class's weekly timetable (replacing what was there); an online lesson needs
    its session link. The class's teaching mode follows its lessons."""
    if data.mode == "online" and not data.online_url:
        raise ValidationFailed.for_field("online_url", "Tiết học trực tuyến cần đường dẫn buổi học.")
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        cls, school = school_row(s, SchoolClass, class_id, actor)
        if data.teacher_id is not None:
            teacher = s.get(Staff, data.teacher_id)
            if teacher is None or teacher.school_id != school.id:
                raise ValidationFailed.for_field("teacher_id", "Giáo viên không thuộc trường.")
        slot = s.scalar(
            select(TimetableSlot).where(
                TimetableSlot.class_id == cls.id,
                TimetableSlot.weekday == data.weekday,
                TimetableSlot.period == data.period,
            )
        )
        values = data.model_dump() | {"online_url": data.online_url if data.mode == "online" else ""}
        if slot is None:
            s.add(TimetableSlot(class_id=cls.id, **values))
        else:
            for key, value in values.items():
                setattr(slot, key, value)
        s.flush()
        _refresh_mode(s, cls)
        uow.audit(
            "education.timetable.set",
            "school_class",
            cls.id,
            after={"weekday": data.weekday, "period": data.period, "mode": data.mode},
        )
        return {"teaching_mode": cls.teaching_mode, "teaching_mode_name": MODES[cls.teaching_mode]}


def _slots(s: Session, class_id: int, keys: Keys) -> list[dict[str, Any]]:
    rows = s.execute(
        select(TimetableSlot, Staff.full_name_encrypted)
        .outerjoin(Staff, Staff.id == TimetableSlot.teacher_id)
        .where(TimetableSlot.class_id == class_id)
        .order_by(TimetableSlot.weekday, TimetableSlot.period)
    )
    return [
        {
            "weekday": slot.weekday,
            "weekday_name": WEEKDAYS[slot.weekday],
            "period": slot.period,
            "subject": slot.subject,
            "teacher": staff_name(keys, teacher),
            "mode": slot.mode,
            "mode_name": MODES[slot.mode],
            "online_url": slot.online_url,
        }
        for slot, teacher in rows
    ]


def class_timetable(db: Database, *, actor: Actor, class_id: int) -> list[dict[str, Any]]:
    """A class's weekly timetable (staff of the school)."""
    with db.session() as s:
        school_row(s, SchoolClass, class_id, actor)
        return _slots(s, class_id, db.settings.personal_keys)


def student_timetable(db: Database, *, actor: Actor, code: str) -> list[dict[str, Any]]:
    """The timetable of a child's current class (the child's parent or the school's staff)."""
    with db.session() as s:
        student, _school, _staff = _student_for(s, actor, code)
        class_id = s.scalar(
            select(Enrolment.class_id)
            .where(Enrolment.student_id == student.id, Enrolment.status == "active")
            .order_by(Enrolment.starts_on.desc())
            .limit(1)
        )
        return _slots(s, class_id, db.settings.personal_keys) if class_id else []


def timetable_grid(slots: list[dict[str, Any]]) -> dict[str, Any]:
    """A week of lessons as a grid: the days taught as columns, the periods as rows (None: no lesson)."""
    days = sorted({s["weekday"] for s in slots})
    periods = sorted({s["period"] for s in slots})
    at = {(s["weekday"], s["period"]): s for s in slots}
    return {
        "days": [WEEKDAYS[d] for d in days],
        "rows": [{"period": p, "lessons": [at.get((d, p)) for d in days]} for p in periods],
    }
