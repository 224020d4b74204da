"""Citizen reports' work on the staff page: open reports of the person's units, and those past deadline."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.web.deps import work_item


def _open_reports(db: Database, actor: Actor, _settings: Settings, *, overdue: bool | None = None) -> int:
    """Open reports as the queue lists them: every unit's for operators, the person's units' for others."""
    city_wide = actor.has_role_in("operator", service.STAFF_UNITS)
    units = [] if city_wide else sorted({u for r in service.STAFF_ROLES for u in actor.units_for(r) if u})
    filters = service.ReportFilter(
        status=sorted(service.OPEN_STATUSES), unit_codes=units, overdue=overdue, public_only=False
    )
    return service.list_reports(db, actor=actor, filters=filters, limit=1)[1]


def _overdue_reports(db: Database, actor: Actor, settings: Settings) -> int:
    return _open_reports(db, actor, settings, overdue=True)


WORKLIST = (
    work_item(
        "Phản ánh đang chờ xử lý", "/can-bo/phan-anh", service.STAFF_ROLES, service.STAFF_UNITS, _open_reports
    ),
    work_item(
        "Phản ánh quá hạn xử lý",
        "/can-bo/phan-anh?overdue=true",
        service.STAFF_ROLES,
        service.STAFF_UNITS,
        _overdue_reports,
        urgent=True,
    ),
)
