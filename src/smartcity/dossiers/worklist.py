"""The one-stop shop's work on the staff page: dossiers awaiting the person, and those of them overdue."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.dossiers import service
from smartcity.web.deps import work_item

ROLES = ("clerk", "specialist", "head", "leader")


def _awaiting(db: Database, actor: Actor, settings: Settings) -> int:
    return service.count_awaiting(db, actor=actor, settings=settings)


def _overdue(db: Database, actor: Actor, settings: Settings) -> int:
    return service.count_awaiting(db, actor=actor, settings=settings, deadline="overdue")


WORKLIST = (
    work_item("Hồ sơ chờ bạn xử lý", "/can-bo/ho-so", ROLES, service.STAFF_UNITS, _awaiting),
    work_item(
        "Hồ sơ quá hạn chờ bạn xử lý",
        "/can-bo/ho-so?deadline=overdue",
        ROLES,
        service.STAFF_UNITS,
        _overdue,
        urgent=True,
    ),
)
