"""Students: enrolment, class lists, transfers, daily attendance, promotion, parents, exemptions.

A child's name, birth date and personal identification number are sealed at rest; the school's staff
see them (every class list or record read is audited), the child's own parents see their child, the
department only counts.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import mask
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, found_or_404
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.education.events import StudentEnrolled, StudentTransferred
from smartcity.education.models import (
    Enrolment,
    Guardian,
    School,
    SchoolClass,
    SchoolYear,
    Student,
    StudentExemption,
    Transfer,
)
from smartcity.education.schemas import (
    ExemptionGrant,
    GuardianLink,
    PromotionRun,
    StudentCreate,
    TransferCreate,
)
from smartcity.education.service.common import (
    LEVEL_GRADES,
    RELATIONS,
    SCHOOL_OFFICE_ROLES,
    STUDENT_STATUS,
    dmy,
    grade_name,
    id_hash,
    reference,
    require_school_staff,
    school_by_code,
    school_roles,
    school_row,
    seal,
    unseal,
    year_by_name,
)

PRESCHOOL_GROUPS = {2: "Nhà trẻ", 3: "Mầm", 4: "Chồi", 5: "Lá"}


def student_code(student_id: int) -> str:
    """The student's code (mã học sinh) given by the platform."""
    return f"HS{student_id:08d}"


def _check_birth_date(level: str, grade: int, birth: date, on: date) -> None:
    """A child's age must fit the grade within two years either way (early entry, repeated years)."""
    age = on.year - birth.year
    expected = grade + (5 if level != "preschool" else 0)  # grade 1 in the year the child turns 6
    if birth >= on or not expected - 2 <= age <= expected + 3:
        raise ValidationFailed.for_field("birth_date", "Ngày sinh không phù hợp với khối lớp.")


def enrol_student(
    db: Database, *, actor: Actor, settings: Settings, school_code: str, data: StudentCreate
) -> dict[str, Any]:
    """Enrol a child in a class of the school (the school's office); identifiers sealed at rest."""
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
        student = _new_student(s, settings, school, data)
        uow.audit("education.student.enrolled", "student", student.code, after={"school": school_code})
        cls = s.get(SchoolClass, data.class_id)
        year = s.get(SchoolYear, cls.year_id) if cls else None
        uow.publish(
            StudentEnrolled(
                school_code=school_code, class_name=cls.name if cls else "", year=year.name if year else ""
            )
        )
        return {"id": student.id, "code": student.code}


def _new_student(s: Session, settings: Settings, school: School, data: StudentCreate) -> Student:
    """Insert a student and their enrolment in the class (which must be the school's)."""
    cls, class_school = school_row(s, SchoolClass, data.class_id)
    if class_school.id != school.id:
        raise ValidationFailed.for_field("class_id", "Lớp không thuộc trường này.")
    year = s.get(SchoolYear, cls.year_id)
    assert year is not None
    starts = data.starts_on or max(year.starts_on, clock.today(settings))
    _check_birth_date(school.level, cls.grade, data.birth_date, year.starts_on)
    hashed = id_hash(settings, data.personal_id) if data.personal_id else None
    if hashed and s.scalar(select(Student.id).where(Student.personal_id_hash == hashed)) is not None:
        raise Conflict("Học sinh có mã định danh này đã có hồ sơ; hãy làm thủ tục chuyển trường.")
    student = Student(
        code="tmp-" + uuid.uuid4().hex[:12],
        school_id=school.id,
        name_enc=seal(settings, data.full_name.strip()),
        birth_date_enc=seal(settings, data.birth_date.isoformat()),
        personal_id_enc=seal(settings, data.personal_id) if data.personal_id else None,
        personal_id_hash=hashed,
        sex=data.sex,
    )
    s.add(student)
    s.flush()
    student.code = student_code(student.id)
    s.add(Enrolment(student_id=student.id, class_id=cls.id, year_id=cls.year_id, starts_on=starts))
    cls.enrolled_count += 1
    return student


def find_by_personal_id(
    db: Database, *, actor: Actor, settings: Settings, personal_id: str
) -> dict[str, Any]:
    """Find a child by personal identification number (keyed hash): their code and school, for staff."""
    with db.session() as s:
        student = s.scalar(select(Student).where(Student.personal_id_hash == id_hash(settings, personal_id)))
        if student is None:
            raise NotFound("Không có học sinh với mã định danh này.")
        school = s.get(School, student.school_id)
        assert school is not None
        if not staff_schools_any(actor, s):
            raise Forbidden("Chỉ cán bộ nhà trường được tra cứu.")
        return {"code": student.code, "school": school.name, "school_code": school.code}


def staff_schools_any(actor: Actor, session: Session) -> bool:
    """Whether the actor is on the staff of some school."""
    units = {unit for role, unit in actor.roles if unit}
    if actor.kind == "system":
        return True
    query = select(func.count()).select_from(School).where(School.org_unit_code.in_(units))
    return bool(units) and int(session.scalar(query) or 0) > 0


# ------------------------------------------------------------------------------------------ reading


def _student_view(s: Session, settings: Settings, student: Student, *, full: bool) -> dict[str, Any]:
    """A student in words: name, birth date, masked or clear personal number, class, school."""
    school = s.get(School, student.school_id)
    assert school is not None
    current = s.execute(
        select(Enrolment, SchoolClass)
        .join(SchoolClass, SchoolClass.id == Enrolment.class_id)
        .where(Enrolment.student_id == student.id)
        .order_by(Enrolment.starts_on.desc(), Enrolment.id.desc())
        .limit(1)
    ).first()
    personal_id = unseal(settings, student.personal_id_enc)
    birth = date.fromisoformat(unseal(settings, student.birth_date_enc))
    row: dict[str, Any] = {
        "id": student.id,
        "code": student.code,
        "full_name": unseal(settings, student.name_enc),
        "birth_date": birth,
        "birth_date_text": dmy(birth),
        "sex": student.sex,
        "sex_name": {"M": "Nam", "F": "Nữ"}.get(student.sex, ""),
        "personal_id": personal_id if full else mask(personal_id, keep_end=3) if personal_id else "",
        "status": student.status,
        "status_name": STUDENT_STATUS[student.status],
        "school_code": school.code,
        "school_name": school.name,
        "class_id": current[1].id if current else None,
        "class_name": current[1].name if current else "",
        "grade_name": grade_name(school.level, current[1].grade) if current else "",
    }
    return row


def class_students(db: Database, *, actor: Actor, settings: Settings, class_id: int) -> list[dict[str, Any]]:
    """The students currently in a class (the school's staff; the read is audited)."""
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        cls, _school = school_row(s, SchoolClass, class_id, actor)
        students = s.scalars(
            select(Student)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .where(Enrolment.class_id == cls.id, Enrolment.status == "active")
        )
        rows = [_student_view(s, settings, st, full=False) for st in students]
        uow.audit("education.class_list.read", "school_class", cls.id, after={"students": len(rows)})
    rows.sort(
        key=lambda r: (fold(r["full_name"].split()[-1]) if r["full_name"] else "", fold(r["full_name"]))
    )
    return rows


def guardians_of(session: Session, student_id: int) -> list[int]:
    """The user ids linked as the child's parents."""
    return list(session.scalars(select(Guardian.user_id).where(Guardian.student_id == student_id)))


def _student_for(s: Session, actor: Actor, code: str) -> tuple[Student, School, bool]:
    """The student by code, if the actor is on the school's staff or a linked parent (else 404)."""
    student = found_or_404(s.scalar(select(Student).where(Student.code == code)), "Không có học sinh này.")
    school = s.get(School, student.school_id)
    assert school is not None
    if school_roles(actor, school):
        return student, school, True
    if actor.user_id is not None and actor.user_id in guardians_of(s, student.id):
        return student, school, False
    raise NotFound("Không có học sinh này.")  # never tell a stranger that the child exists


def get_student(db: Database, *, actor: Actor, settings: Settings, code: str) -> dict[str, Any]:
    """A student's record: school staff (personal number in clear) or the child's parent (masked)."""
    with UnitOfWork(db, actor) as uow:
        student, school, staff = _student_for(uow.session, actor, code)
        row = _student_view(uow.session, settings, student, full=staff)
        row["office"] = bool(school_roles(actor, school) & set(SCHOOL_OFFICE_ROLES))
        row["guardians"] = [
            {"relation_name": RELATIONS[g.relation], "linked_at": g.linked_at, "user_id": g.user_id}
            for g in uow.session.scalars(select(Guardian).where(Guardian.student_id == student.id))
        ]
        if staff:
            row["exemptions"] = _exemptions(uow.session, student.id)
            row["transfers"] = _transfers(uow.session, student.id)
        uow.audit("education.student.read", "student", code, after={"as": "staff" if staff else "parent"})
    for guardian in row["guardians"]:
        user_id = guardian.pop("user_id")
        if staff:
            guardian["name"] = accounts_service.get_user(db, user_id).full_name
    return row


def _exemptions(s: Session, student_id: int) -> list[dict[str, Any]]:
    """The student's exemption categories by year, in words."""
    names = {c["code"]: c["name"] for c in categories()}
    rows = s.execute(
        select(StudentExemption, SchoolYear.name)
        .join(SchoolYear, SchoolYear.id == StudentExemption.year_id)
        .where(StudentExemption.student_id == student_id)
        .order_by(SchoolYear.name.desc(), StudentExemption.id)
    )
    return [
        {
            "year": year.replace("-", "–"),
            "category": e.category,
            "category_name": names.get(e.category, e.category),
            "evidence": e.evidence,
        }
        for e, year in rows
    ]


def _transfers(s: Session, student_id: int) -> list[dict[str, Any]]:
    """The student's moves between schools, oldest first, in words."""
    names = dict(s.execute(select(School.id, School.name)).all())
    rows = s.scalars(select(Transfer).where(Transfer.student_id == student_id).order_by(Transfer.on_date))
    return [
        {
            "on_text": dmy(t.on_date),
            "from_name": names.get(t.from_school_id, ""),
            "to_name": names.get(t.to_school_id, ""),
            "reason": t.reason,
        }
        for t in rows
    ]


def transfer_targets(db: Database, *, actor: Actor, code: str) -> list[dict[str, Any]]:
    """The classes of the same year and grade at other schools of the level, grouped by school."""
    with db.session() as s:
        student, school, staff = _student_for(s, actor, code)
        current = _active_enrolment(s, student.id)
        if not staff or current is None:
            return []
        here = s.get(SchoolClass, current.class_id)
        assert here is not None
        rows = s.execute(
            select(SchoolClass, School)
            .join(School, School.id == SchoolClass.school_id)
            .where(
                SchoolClass.year_id == current.year_id,
                SchoolClass.grade == here.grade,
                School.level == school.level,
                School.id != school.id,
            )
            .order_by(School.name, SchoolClass.name)
        )
        groups: dict[str, dict[str, Any]] = {}
        for cls, target in rows:
            group = groups.setdefault(
                target.code, {"school_code": target.code, "school_name": target.name, "classes": []}
            )
            group["classes"].append({"id": cls.id, "name": cls.name})
        return list(groups.values())


def children_of(db: Database, *, actor: Actor, settings: Settings) -> list[dict[str, Any]]:
    """The children linked to the signed-in parent."""
    if actor.user_id is None:
        return []
    with db.session() as s:
        students = s.scalars(
            select(Student)
            .join(Guardian, Guardian.student_id == Student.id)
            .where(Guardian.user_id == actor.user_id)
            .order_by(Student.id)
        )
        return [_student_view(s, settings, st, full=False) for st in students]


# ------------------------------------------------------------------------------------------ parents


def link_guardian(db: Database, *, actor: Actor, code: str, data: GuardianLink) -> None:
    """Link a citizen account as the child's parent or guardian (the school's office)."""
    user = accounts_service.get_user_by_username(db, data.username)
    if user is None or not user.is_active:
        raise ValidationFailed.for_field("username", "Không có tài khoản công dân này.")
    with UnitOfWork(db, actor) as uow:
        student, school, _staff = _student_for(uow.session, actor, code)
        require_school_staff(actor, school, office=True)
        if user.id in guardians_of(uow.session, student.id):
            raise Conflict("Tài khoản này đã được liên kết với học sinh.")
        uow.session.add(
            Guardian(student_id=student.id, user_id=user.id, relation=data.relation, linked_by=actor.label)
        )
        uow.audit(
            "education.guardian.linked",
            "student",
            code,
            after={"user_id": user.id, "relation": data.relation},
        )


# ------------------------------------------------------------------------------------------ transfers


def transfer_student(
    db: Database, *, actor: Actor, settings: Settings, code: str, data: TransferCreate
) -> None:
    """Move a student to another school's class (the office of either school)."""
    if data.on_date > clock.today(settings):
        raise ValidationFailed.for_field("on_date", "Ngày chuyển trường không được ở tương lai.")
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        student = s.scalar(select(Student).where(Student.code == code))
        if student is None:
            raise NotFound("Không có học sinh này.")
        source = s.get(School, student.school_id)
        target = school_by_code(s, data.to_school)
        assert source is not None
        if not (school_roles(actor, source) | school_roles(actor, target)) & {"clerk", "head", "leader"}:
            raise Forbidden("Chỉ văn phòng trường đi hoặc trường đến được chuyển trường.")
        to_class, to_school = school_row(s, SchoolClass, data.to_class_id)
        if to_school.id != target.id or target.id == source.id:
            raise ValidationFailed.for_field("to_class_id", "Lớp không thuộc trường đến.")
        current = _active_enrolment(s, student.id)
        if current is None:
            raise Conflict("Học sinh không đang học ở lớp nào.")
        old_class = s.get(SchoolClass, current.class_id)
        assert old_class is not None
        if to_class.year_id != current.year_id or to_class.grade != old_class.grade:
            raise ValidationFailed.for_field("to_class_id", "Lớp đến phải cùng năm học và cùng khối.")
        current.status, current.ends_on = "transferred", data.on_date
        old_class.enrolled_count = max(0, old_class.enrolled_count - 1)
        s.add(
            Enrolment(
                student_id=student.id, class_id=to_class.id, year_id=to_class.year_id, starts_on=data.on_date
            )
        )
        to_class.enrolled_count += 1
        student.school_id = target.id
        s.add(
            Transfer(
                student_id=student.id,
                from_school_id=source.id,
                to_school_id=target.id,
                to_class_id=to_class.id,
                on_date=data.on_date,
                reason=data.reason,
            )
        )
        uow.audit(
            "education.student.transferred",
            "student",
            code,
            before={"school": source.code},
            after={"school": target.code},
        )
        uow.publish(
            StudentTransferred(
                from_school=source.code, to_school=target.code, on_date=data.on_date.isoformat()
            )
        )


def _active_enrolment(s: Session, student_id: int) -> Enrolment | None:
    return s.scalar(
        select(Enrolment)
        .where(Enrolment.student_id == student_id, Enrolment.status == "active")
        .order_by(Enrolment.starts_on.desc())
        .limit(1)
    )


# ------------------------------------------------------------------------------------------ promotion


def next_class_name(level: str, grade: int, name: str) -> str:
    """Next year's name of a class: "3A2" → "4A2", preschool "Mầm 2" → "Chồi 2"."""
    if level == "preschool":
        for group in sorted(PRESCHOOL_GROUPS.values(), key=len, reverse=True):
            if name.startswith(group):
                return PRESCHOOL_GROUPS[grade + 1] + name[len(group) :]
        return f"{PRESCHOOL_GROUPS[grade + 1]} {name}"
    match = re.match(r"^(\d+)(.*)$", name)
    return f"{grade + 1}{match.group(2)}" if match else f"{grade + 1}{name}"


def promote(db: Database, *, actor: Actor, school_code: str, data: PromotionRun) -> dict[str, int]:
    """End of year: move every student up a grade (those held back repeat it; the last grade completes)."""
    held = set(data.held_back)
    result = Counter[str]()
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        school = school_by_code(s, school_code)
        require_school_staff(actor, school, office=True)
        old, new = year_by_name(s, data.from_year), year_by_name(s, data.to_year)
        if new.starts_on <= old.starts_on:
            raise ValidationFailed.for_field("to_year", "Năm học mới phải sau năm học cũ.")
        last_grade = LEVEL_GRADES[school.level][-1]
        classes = list(
            s.scalars(
                select(SchoolClass).where(SchoolClass.school_id == school.id, SchoolClass.year_id == old.id)
            )
        )
        targets: dict[tuple[int, str], SchoolClass] = {}
        for cls in classes:
            for enrolment in s.scalars(
                select(Enrolment).where(Enrolment.class_id == cls.id, Enrolment.status == "active")
            ):
                student = s.get(Student, enrolment.student_id)
                assert student is not None
                enrolment.ends_on = old.ends_on
                if enrolment.student_id in held:
                    enrolment.status, grade, name = "repeated", cls.grade, cls.name
                elif cls.grade == last_grade:
                    enrolment.status, student.status = "graduated", "graduated"
                    result["graduated"] += 1
                    continue
                else:
                    enrolment.status, grade, name = (
                        "promoted",
                        cls.grade + 1,
                        next_class_name(school.level, cls.grade, cls.name),
                    )
                target = targets.get((grade, name)) or _class_for(s, school.id, new.id, grade, name)
                targets[(grade, name)] = target
                s.add(
                    Enrolment(
                        student_id=student.id, class_id=target.id, year_id=new.id, starts_on=new.starts_on
                    )
                )
                target.enrolled_count += 1
                result[enrolment.status] += 1
        uow.audit("education.promotion", "school", school_code, after=dict(result) | {"to": data.to_year})
    return dict(result)


def _class_for(s: Session, school_id: int, year_id: int, grade: int, name: str) -> SchoolClass:
    cls = s.scalar(
        select(SchoolClass).where(
            SchoolClass.school_id == school_id, SchoolClass.year_id == year_id, SchoolClass.name == name
        )
    )
    if cls is None:
        cls = SchoolClass(school_id=school_id, year_id=year_id, grade=grade, name=name, enrolled_count=0)
        s.add(cls)
        s.flush()
    return cls


# ------------------------------------------------------------------------------------------ exemptions


def categories() -> list[dict[str, Any]]:
    """The exemption and reduction categories, each rule with its legal basis."""
    return list(reference("fees.json")["categories"])


def grant_exemption(db: Database, *, actor: Actor, code: str, data: ExemptionGrant) -> None:
    """Record that a student belongs to a category for a year (the school's office, with evidence)."""
    if data.category not in {c["code"] for c in categories()}:
        raise ValidationFailed.for_field("category", "Không có diện miễn, giảm này.")
    with UnitOfWork(db, actor) as uow:
        student, school, _staff = _student_for(uow.session, actor, code)
        require_school_staff(actor, school, office=True)
        year = year_by_name(uow.session, data.year)
        exists = uow.session.scalar(
            select(StudentExemption.id).where(
                StudentExemption.student_id == student.id,
                StudentExemption.year_id == year.id,
                StudentExemption.category == data.category,
            )
        )
        if exists is not None:
            raise Conflict("Học sinh đã có diện này trong năm học.")
        uow.session.add(
            StudentExemption(
                student_id=student.id,
                year_id=year.id,
                category=data.category,
                evidence=data.evidence,
                granted_by=actor.label,
            )
        )
        uow.audit(
            "education.exemption.granted",
            "student",
            code,
            after={"category": data.category, "year": data.year},
        )
