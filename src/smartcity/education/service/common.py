"""Shared names of the education service: reference data, words for codes, money, access, lookups."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core.config import Settings
from smartcity.core.crypto import (
    Keys,
    blind_index,
    decrypt_optional,
    decrypt_personal,
    encrypt_personal,
    owners_named,
)
from smartcity.core.db import get_or_404
from smartcity.core.errors import Forbidden, NotFound
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.education.config import EducationSettings
from smartcity.education.models import Asset, School, SchoolClass, SchoolYear, StaffNameTerm, Stocktake

DATA = Path(__file__).resolve().parent.parent / "data"

LEVELS = {"preschool": "Mầm non", "primary": "Tiểu học", "lower_secondary": "Trung học cơ sở"}
LEVEL_GRADES = {"preschool": (2, 3, 4, 5), "primary": (1, 2, 3, 4, 5), "lower_secondary": (6, 7, 8, 9)}
# The largest class the national school charters allow, by level and grade (age group for preschool).
# Preschool: Circular 52/2020/TT-BGDĐT (Điều lệ trường mầm non) — nhà trẻ 24–36 months 25, mẫu giáo
# 3–4 years 25, 4–5 years 30, 5–6 years 35. Primary: Circular 28/2020/TT-BGDĐT — 35. Lower secondary:
# Circular 32/2020/TT-BGDĐT — 45. (Article numbers not checked, so not cited.)
CLASS_NORMS = {
    ("preschool", 2): 25,
    ("preschool", 3): 25,
    ("preschool", 4): 30,
    ("preschool", 5): 35,
    **{("primary", g): 35 for g in LEVEL_GRADES["primary"]},
    **{("lower_secondary", g): 45 for g in LEVEL_GRADES["lower_secondary"]},
}
NORM_BASIS = {
    "preschool": "Thông tư 52/2020/TT-BGDĐT (Điều lệ trường mầm non)",
    "primary": "Thông tư 28/2020/TT-BGDĐT (Điều lệ trường tiểu học)",
    "lower_secondary": "Thông tư 32/2020/TT-BGDĐT (Điều lệ trường THCS, trường THPT)",
}
STAFF_ROLES = {
    "principal": "Hiệu trưởng",
    "vice_principal": "Phó Hiệu trưởng",
    "teacher": "Giáo viên",
    "accountant": "Kế toán",
    "clerk": "Văn thư",
    "equipment": "Nhân viên thiết bị",
    "nurse": "Nhân viên y tế",
}
ATTENDANCE = {
    "present": "Có mặt",
    "excused": "Vắng có phép",
    "unexcused": "Vắng không phép",
    "late": "Đi muộn",
}
CONDITIONS = {"good": "Tốt", "fair": "Khá", "poor": "Kém", "broken": "Hỏng"}
ASSET_CATEGORIES = {"equipment": "Thiết bị", "furniture": "Nội thất", "it": "Công nghệ thông tin"}
ASSET_STATUS = {
    "in_use": "Đang sử dụng",
    "written_off": "Đã thanh lý",
    "transferred": "Đã điều chuyển",
    "missing": "Thiếu khi kiểm kê",
}
MODES = {"in_person": "Trực tiếp", "blended": "Kết hợp", "online": "Trực tuyến"}
INVOICE_STATUS = {"open": "Chưa thanh toán", "paid": "Đã thanh toán", "cancelled": "Đã hủy"}
RELATIONS = {"mother": "Mẹ", "father": "Cha", "guardian": "Người giám hộ"}
STUDENT_STATUS = {
    "studying": "Đang học",
    "transferred": "Đã chuyển trường",
    "graduated": "Đã hoàn thành chương trình",
    "left": "Đã thôi học",
}
# Platform roles that give a person access to a school's own records when held in the school's org unit.
SCHOOL_ROLES = ("clerk", "specialist", "head", "leader")
# Of those, the school's office (principal, accountant, clerk): classes, staff, fees, money, assets.
SCHOOL_OFFICE_ROLES = ("clerk", "head", "leader")
DEPARTMENT_ROLES = ("specialist", "head", "leader")
# Of those, the school's leaders (principal, vice principals): they see every class's work.
SCHOOL_LEAD_ROLES = ("head", "leader")
SCHOOL_UNIT_PREFIX = "TRUONG-"  # a school's org unit is "TRUONG-<code>"


@lru_cache(maxsize=8)
def reference(name: str) -> dict[str, Any]:
    """A reference file of the domain's data folder (fees.json, depreciation.json, schools.json)."""
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def dmy(day: date | None) -> str:
    """A date as dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y") if day else "—"


def grade_name(level: str, grade: int, locale: str = "vi") -> str:
    """The words for a grade: "Khối 6" ("Grade 6" in English), or the preschool age group."""
    english = locale == "en"
    if level == "preschool":
        if grade <= 2:
            return "Nursery, 24–36 months" if english else "Nhà trẻ 24–36 tháng"
        return f"Kindergarten, ages {grade}–{grade + 1}" if english else f"Mẫu giáo {grade}–{grade + 1} tuổi"
    return f"Grade {grade}" if english else f"Khối {grade}"


def class_norm(level: str, grade: int) -> int:
    """The largest class the national charter allows for this level and grade."""
    return CLASS_NORMS.get((level, grade), 35)


def ward_name(code: str, on: date) -> str:
    """A ward's name on the record's date (never its code)."""
    return city_service.unit_name_on(code, on) or "—"


# ------------------------------------------------------------------------------------------ access


def education_settings(settings: Settings) -> EducationSettings:
    """The education section of the settings."""
    return settings.section(EducationSettings)


def is_department(actor: Actor, settings: Settings) -> bool:
    """The education department (aggregates of every school): its units' staff, city leaders, admins."""
    if actor.kind == "system" or ("admin", None) in actor.roles or ("leader", None) in actor.roles:
        return True
    units = set(education_settings(settings).department_units)
    return any(role in DEPARTMENT_ROLES and unit in units for role, unit in actor.roles)


def school_roles(actor: Actor, school: School) -> set[str]:
    """The platform roles the actor holds in this very school (never inherited from elsewhere)."""
    if actor.kind == "system":
        return set(SCHOOL_ROLES)
    return {role for role, unit in actor.roles if unit == school.org_unit_code and role in SCHOOL_ROLES}


def school_units(actor: Actor, roles: tuple[str, ...] = SCHOOL_ROLES) -> set[str]:
    """The org units of the schools where the actor holds one of `roles` (held there, never city-wide)."""
    prefix = SCHOOL_UNIT_PREFIX
    return {unit for role, unit in actor.roles if role in roles and unit and unit.startswith(prefix)}


def require_school_staff(actor: Actor, school: School, *, office: bool = False) -> None:
    """Forbidden unless the actor is on this school's staff (for `office` work: its office)."""
    roles = school_roles(actor, school)
    needed = SCHOOL_OFFICE_ROLES if office else SCHOOL_ROLES
    if not roles.intersection(needed):
        what = "lãnh đạo, kế toán hoặc văn thư" if office else "cán bộ"
        raise Forbidden(
            Phrase("Chỉ {who} của {school} được làm việc này.", who=Phrase.of(what), school=school.name)
        )


def require_school_reader(actor: Actor, school: School, settings: Settings) -> None:
    """Forbidden unless the actor is on this school's staff or is the education department, which oversees
    every public school and reads its overview (classes, staff) without doing the school's work."""
    if school_roles(actor, school) or is_department(actor, settings):
        return
    raise Forbidden(
        Phrase("Chỉ cán bộ của {school} và cơ quan quản lý giáo dục được xem trang này.", school=school.name)
    )


# ------------------------------------------------------------------------------------------ lookups


def school_by_code(session: Session, code: str) -> School:
    """The school with this code (404 otherwise)."""
    school = session.scalar(select(School).where(School.code == code))
    if school is None:
        raise NotFound(Phrase("Không có trường mã {code}.", code=code))
    return school


Owned = TypeVar("Owned", Asset, SchoolClass, Stocktake)  # a school's own records, by id
MISSING = {
    Asset: "Không có tài sản này.",
    SchoolClass: "Không có lớp này.",
    Stocktake: "Không có đợt kiểm kê này.",
}


def school_row(
    session: Session, model: type[Owned], key: int, actor: Actor | None = None, *, office: bool = False
) -> tuple[Owned, School]:
    """A row of a school's records by id (404 otherwise) and its school; with `actor`, only for the school's
    staff (its office, for `office` work)."""
    row = get_or_404(session, model, key, MISSING[model])
    school = session.get(School, row.school_id)
    assert school is not None
    if actor is not None:
        require_school_staff(actor, school, office=office)
    return row, school


def year_on(session: Session, on: date) -> SchoolYear:
    """The school year a day falls in (the latest one started, between two years)."""
    year = session.scalar(
        select(SchoolYear).where(SchoolYear.starts_on <= on).order_by(SchoolYear.starts_on.desc()).limit(1)
    )
    if year is None:
        raise NotFound("Chưa có năm học nào.")
    return year


def year_by_name(session: Session, name: str) -> SchoolYear:
    """The school year named "2026-2027" (404 otherwise)."""
    year = session.scalar(select(SchoolYear).where(SchoolYear.name == name))
    if year is None:
        raise NotFound(Phrase("Không có năm học {year}.", year=name))
    return year


# ------------------------------------------------------------------------------------------ crypto


def seal(settings: Settings, value: str) -> str:
    """Encrypt a child's personal value at rest."""
    return encrypt_personal(settings.personal_keys, value)


def unseal(settings: Settings, token: str | None) -> str:
    """Decrypt a value sealed by `seal` ("" for none)."""
    return decrypt_personal(settings.personal_keys, token) if token else ""


def id_hash(settings: Settings, personal_id: str) -> str:
    """The keyed hash of a personal identification number, for lookup."""
    return blind_index(settings.personal_keys, personal_id)


def staff_name(keys: Keys, sealed: str | None) -> str:
    """A staff member's name from its sealed column ("" for none, e.g. a lesson without a teacher)."""
    return decrypt_optional(keys, sealed) or ""


def staff_named(keys: Keys, query: str) -> Select[int] | None:
    """The ids of staff whose name has, for every word of the query, a word beginning with it (blind
    index); None when the query has no word."""
    return owners_named(keys, query, owner=StaffNameTerm.staff_id, term=StaffNameTerm.term)
