"""Citizen reports' work on the staff page: open reports of the person's units, and those past deadline."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.web.deps import work_item


def _open_reports(db: Database, actor: Actor, _settings: Settings, *, overdue: bool | None = None) -> int:
    """Open reports as the person's queue lists them (counted: no report is read)."""
    filters = service.ReportFilter(
        status=sorted(service.OPEN_STATUSES),
        unit_codes=service.queue_units(actor),
        overdue=overdue,
        public_only=False,
    )
    return service.list_reports(db, actor=actor, filters=filters, limit=0)[1]


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
