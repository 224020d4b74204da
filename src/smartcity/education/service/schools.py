"""Schools, school years and terms, classes and staff."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys, email_index, encrypt_personal, name_term_indexes
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork
from smartcity.education.models import School, SchoolClass, SchoolYear, Staff, StaffNameTerm, Term
from smartcity.education.schemas import ClassCreate, SchoolCreate, SchoolYearCreate, StaffCreate
from smartcity.education.service.common import (
    LEVEL_GRADES,
    LEVELS,
    MODES,
    SCHOOL_UNIT_PREFIX,
    STAFF_ROLES,
    class_norm,
    grade_name,
    is_department,
    require_school_reader,
    require_school_staff,
    school_by_code,
    school_roles,
    school_row,
    staff_name,
    staff_named,
    ward_name,
    year_by_name,
    year_on,
)

DEPARTMENT_UNIT = "SGDDT-HCM"


def school_org_unit(code: str) -> str:
    """The org unit a school's staff hold their roles in."""
    return f"{SCHOOL_UNIT_PREFIX}{code}"


def ward_of_point(db: Database, *, lon: float, lat: float, on: date) -> str:
    """The code of the ward containing the point on that date; 422 for a point outside the city."""
    ward = city_service.ward_at(db, lon=lon, lat=lat, on=on)
    if ward is None:
        raise ValidationFailed.for_field("lon", "Vị trí không nằm trong thành phố.")
    return ward.code


def upsert_school(
    db: Database, *, actor: Actor, settings: Settings, data: SchoolCreate, name_source: str = "synthetic"
) -> int:
    """Register or update a school (the department), its ward of record today and its org unit."""
    if not is_department(actor, settings):
        raise Forbidden("Chỉ cơ quan quản lý giáo dục được đăng ký trường.")
    today = clock.today(settings)
    ward = ward_of_point(db, lon=data.lon, lat=data.lat, on=today)
    unit = school_org_unit(data.code)
    accounts_service.upsert_org_units(
        db,
        actor=actor,
        units=[
            {
                "code": unit,
                "name": data.name,
                "kind": "school",
                "parent_code": DEPARTMENT_UNIT,
                "admin_unit_code": ward,
            }
        ],
    )
    with UnitOfWork(db, actor) as uow:
        school = uow.session.scalar(select(School).where(School.code == data.code))
        values = data.model_dump() | {"ward_code": ward, "ward_on": today, "org_unit_code": unit}
        if school is None:
            school = School(**values, name_source=name_source)
            uow.session.add(school)
        else:
            for key, value in values.items():
                setattr(school, key, value)
        uow.session.flush()
        uow.audit("education.school.saved", "school", data.code, after={"name": data.name, "ward": ward})
        return school.id


def public_school(school: School, *, on: date | None = None) -> dict[str, Any]:
    """What anyone may know of a school: level, ward by name, address, place, capacity, contacts."""
    return {
        "code": school.code,
        "name": school.name,
        "level": school.level,
        "level_name": LEVELS[school.level],
        "ward_name": ward_name(school.ward_code, school.ward_on),
        "ward_code": school.ward_code,
        "address": school.address,
        "lon": school.lon,
        "lat": school.lat,
        "capacity": school.capacity,
        "phone": school.phone,
        "email": school.email,
    }


def list_schools(db: Database, *, level: str | None = None) -> list[dict[str, Any]]:
    """Every school's public fields, by level then name."""
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    with db.session() as s:
        query = select(School)
        if level:
            query = query.where(School.level == level)
        schools = list(s.scalars(query))
    schools.sort(key=lambda sc: (order[sc.level], fold(sc.name)))
    return [public_school(sc) for sc in schools]


def get_school(db: Database, code: str) -> dict[str, Any]:
    """One school's public fields."""
    with db.session() as s:
        return public_school(school_by_code(s, code))


def on_school_staff(db: Database, *, actor: Actor, school_code: str) -> bool:
    """Whether the actor is on the school's own staff (who do its work; the department only reads)."""
    with db.session() as s:
        return bool(school_roles(actor, school_by_code(s, school_code)))


def require_on_staff(db: Database, *, actor: Actor, school_code: str) -> None:
    """Forbidden unless the actor is on the school's own staff (the department reading it is not)."""
    with db.session() as s:
        require_school_staff(actor, school_by_code(s, school_code))


def my_schools(db: Database, *, actor: Actor) -> list[dict[str, Any]]:
    """The schools where the actor is on the staff."""
    schools = db.all(select(School).order_by(School.name))
    return [public_school(sc) for sc in schools if school_roles(actor, sc)]


# ------------------------------------------------------------------------------------------ years


def ensure_year(db: Database, *, actor: Actor, data: SchoolYearCreate) -> int:
    """The school year with its two terms (created once; the same dates again change nothing)."""
    if not data.starts_on < data.second_term_starts_on <= data.ends_on:
        raise ValidationFailed.for_field("second_term_starts_on", "Học kỳ II phải nằm trong năm học.")
    with UnitOfWork(db, actor) as uow:
        year = uow.session.scalar(select(SchoolYear).where(SchoolYear.name == data.name))
        if year is not None:
            return year.id
        year = SchoolYear(name=data.name, starts_on=data.starts_on, ends_on=data.ends_on)
        uow.session.add(year)
        uow.session.flush()
        second = data.second_term_starts_on
        uow.session.add_all(
            [
                Term(
                    year_id=year.id,
                    number=1,
                    name="Học kỳ I",
                    starts_on=data.starts_on,
                    ends_on=date.fromordinal(second.toordinal() - 1),
                ),
                Term(year_id=year.id, number=2, name="Học kỳ II", starts_on=second, ends_on=data.ends_on),
            ]
        )
        uow.audit("education.year.created", "school_year", data.name)
        return year.id


def current_year(db: Database, settings: Settings) -> dict[str, Any]:
    """The school year of today, with its terms."""
    today = clock.today(settings)
    with db.session() as s:
        year = year_on(s, today)
        # A list, not the result's iterator: the terms are read twice (all of them, then today's).
        terms = s.scalars(select(Term).where(Term.year_id == year.id).order_by(Term.number)).all()
        return {
            "name": year.name,
            "starts_on": year.starts_on,
            "ends_on": year.ends_on,
            "terms": [{"name": t.name, "starts_on": t.starts_on, "ends_on": t.ends_on} for t in terms],
            "term": next((t.name for t in terms if t.starts_on <= today <= t.ends_on), ""),
            "term_number": next((t.number for t in terms if t.starts_on <= today <= t.ends_on), None),
        }


# ------------------------------------------------------------------------------------------ classes


def create_class(db: Database, *, actor: Actor, school_code: str, data: ClassCreate) -> int:
    """Open a class at the school for a year (the school's office)."""
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        require_school_staff(actor, school, office=True)
        if data.grade not in LEVEL_GRADES[school.level]:
            raise ValidationFailed.for_field(
                "grade", Phrase("Khối lớp không có ở cấp {level}.", level=Phrase.of(LEVELS[school.level]))
            )
        year = year_by_name(uow.session, data.year)
        teacher = data.homeroom_teacher_id
        if teacher is not None and uow.session.get(Staff, teacher) is None:
            raise ValidationFailed.for_field("homeroom_teacher_id", "Không có giáo viên này.")
        row = SchoolClass(
            school_id=school.id,
            year_id=year.id,
            name=data.name.strip(),
            grade=data.grade,
            homeroom_teacher_id=teacher,
        )
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                Phrase("Lớp {name} năm học {year} đã có.", name=data.name, year=data.year)
            ) from exc
        uow.audit("education.class.created", "school_class", row.id, after={"school": school_code})
        return row.id


def class_row(cls: SchoolClass, level: str, teacher: str = "") -> dict[str, Any]:
    """A class in words: grade, enrolment against the norm, teaching mode."""
    norm = class_norm(level, cls.grade)
    return {
        "id": cls.id,
        "name": cls.name,
        "grade": cls.grade,
        "grade_name": grade_name(level, cls.grade),
        "enrolled": cls.enrolled_count,
        "norm": norm,
        "over_norm": cls.enrolled_count > norm,
        "teaching_mode": cls.teaching_mode,
        "teaching_mode_name": MODES[cls.teaching_mode],
        "homeroom_teacher": teacher,
    }


def list_classes(
    db: Database, *, actor: Actor, school_code: str, year: str | None = None
) -> list[dict[str, Any]]:
    """The school's classes of a year (this year by default): for the school's staff and the department."""
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_reader(actor, school, db.settings)
        year_row = year_by_name(s, year) if year else year_on(s, clock.today(db.settings))
        rows = s.execute(
            select(SchoolClass, Staff.full_name_encrypted)
            .outerjoin(Staff, Staff.id == SchoolClass.homeroom_teacher_id)
            .where(SchoolClass.school_id == school.id, SchoolClass.year_id == year_row.id)
        ).all()
        keys = db.settings.personal_keys
        rows = sorted(rows, key=lambda row: (row[0].grade, _natural(row[0].name)))
        return [class_row(c, school.level, staff_name(keys, teacher)) for c, teacher in rows]


def _natural(name: str) -> list[Any]:
    """A class name's sort key as a school reads it: 1A2 before 1A10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def class_with_school(db: Database, *, actor: Actor, class_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A class and its school (staff of the school only)."""
    with db.session() as s:
        cls, school = school_row(s, SchoolClass, class_id, actor)
        teacher = s.get(Staff, cls.homeroom_teacher_id) if cls.homeroom_teacher_id else None
        year = s.get(SchoolYear, cls.year_id)
        name = teacher.full_name(db.settings.personal_keys) if teacher else ""
        row = class_row(cls, school.level, name)
        row["year"] = year.name if year else ""
        return row, public_school(school)


# ------------------------------------------------------------------------------------------ staff


def sealed_staff(keys: Keys, *, full_name: str, email: str) -> dict[str, str]:
    """The stored form of a staff member's name and official address: sealed, with the address's keyed hash
    (unique) for lookup."""
    return {
        "full_name_encrypted": encrypt_personal(keys, full_name.strip()),
        "email_encrypted": encrypt_personal(keys, email),
        "email_index": email_index(keys, email),
    }


def index_staff_names(session: Session, keys: Keys, names: Iterable[tuple[int, str]]) -> None:
    """Record the keyed hashes of the words of staff members' names, (id, name) pairs: the blind index of
    the search by name."""
    rows = [
        {"staff_id": staff_id, "term": term}
        for staff_id, full_name in names
        for term in sorted(name_term_indexes(keys, full_name))
    ]
    if rows:
        session.execute(insert(StaffNameTerm), rows)


def add_staff(db: Database, *, actor: Actor, school_code: str, data: StaffCreate) -> int:
    """A member of staff with an official e-mail address (unique, by its keyed hash), linked to a platform
    account if named; the name and address are stored sealed."""
    user_id = None
    if data.username:
        user = accounts_service.get_user_by_username(db, data.username)
        if user is None:
            raise ValidationFailed.for_field("username", "Không có tài khoản này.")
        user_id = user.id
    keys = db.settings.personal_keys
    sealed = sealed_staff(keys, full_name=data.full_name, email=data.email)
    with UnitOfWork(db, actor) as uow:
        school = school_by_code(uow.session, school_code)
        require_school_staff(actor, school, office=True)
        if uow.session.scalar(select(Staff.id).where(Staff.email_index == sealed["email_index"])):
            raise Conflict(Phrase("Địa chỉ {email} đã được cấp cho người khác.", email=data.email))
        row = Staff(school_id=school.id, user_id=user_id, role=data.role, subject=data.subject, **sealed)
        uow.session.add(row)
        try:
            uow.session.flush()
        except IntegrityError as exc:  # the same address added concurrently
            raise Conflict(Phrase("Địa chỉ {email} đã được cấp cho người khác.", email=data.email)) from exc
        index_staff_names(uow.session, keys, [(row.id, data.full_name)])
        uow.audit(
            "education.staff.added",
            "education_staff",
            row.id,
            after={"school": school_code, "role": data.role},
        )
        return row.id


def list_staff(
    db: Database, *, actor: Actor, school_code: str, query: str | None = None
) -> list[dict[str, Any]]:
    """The school's staff with their roles and official e-mail addresses (for the school's staff and the
    department), by given name as Vietnamese lists go; `query` keeps those whose name has a word beginning
    with each of its words ("nguyen th" finds "Nguyễn Thị Thu"). Names are sealed: the bounded list of one
    school is decrypted and sorted here."""
    keys = db.settings.personal_keys
    with db.session() as s:
        school = school_by_code(s, school_code)
        require_school_reader(actor, school, db.settings)
        stmt = select(Staff).where(Staff.school_id == school.id, Staff.active.is_(True))
        named = staff_named(keys, query) if query else None
        if named is not None:
            stmt = stmt.where(Staff.id.in_(named))
        rows = [
            {
                "id": r.id,
                "full_name": r.full_name(keys),
                "role": r.role,
                "role_name": STAFF_ROLES[r.role],
                "email": r.email(keys),
                "subject": r.subject,
            }
            for r in s.scalars(stmt)
        ]
    return sorted(rows, key=lambda r: (fold(r["full_name"]).split(" ")[-1], fold(r["full_name"]), r["id"]))
