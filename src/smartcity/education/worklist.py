"""Education's work on the staff page: for a school's office, pupils owing fees past due and open stock-takes;
for its leaders and each homeroom teacher, classes not yet marked today; for the department, pupils owing
fees past due across the city."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.education import service
from smartcity.education.service.common import (
    DEPARTMENT_ROLES,
    SCHOOL_OFFICE_ROLES,
    SCHOOL_ROLES,
    SCHOOL_UNIT_PREFIX,
)
from smartcity.web.deps import work_item

SCHOOLS = (SCHOOL_UNIT_PREFIX,)
DEPARTMENT = ("SGDDT-", "TDM-GDDT")  # as the department's staff link (views.STAFF_LINKS)


def _school_arrears(db: Database, actor: Actor, settings: Settings) -> int:
    return service.count_in_arrears(db, actor=actor, settings=settings)


def _city_arrears(db: Database, actor: Actor, settings: Settings) -> int:
    if not service.is_department(actor, settings):
        return 0
    return service.count_in_arrears(db, actor=actor, settings=settings, city_wide=True)


def _unmarked_classes(db: Database, actor: Actor, settings: Settings) -> int:
    return service.count_unmarked_classes(db, actor=actor, settings=settings)


def _open_stocktakes(db: Database, actor: Actor, _settings: Settings) -> int:
    return service.count_open_stocktakes(db, actor=actor)


WORKLIST = (
    work_item(
        "Học sinh nợ phí quá hạn",
        "/can-bo/giao-duc/truong?muc=hoc-phi#no-qua-han",
        SCHOOL_OFFICE_ROLES,
        SCHOOLS,
        _school_arrears,
        urgent=True,
    ),
    work_item(
        "Lớp chưa điểm danh hôm nay", "/can-bo/giao-duc/truong", SCHOOL_ROLES, SCHOOLS, _unmarked_classes
    ),
    work_item(
        "Đợt kiểm kê tài sản chưa khóa sổ",
        "/can-bo/giao-duc/truong?muc=tai-san",
        SCHOOL_OFFICE_ROLES,
        SCHOOLS,
        _open_stocktakes,
    ),
    work_item(
        "Học sinh toàn thành phố nợ phí quá hạn",
        "/can-bo/giao-duc",
        DEPARTMENT_ROLES,
        DEPARTMENT,
        _city_arrears,
    ),
)
