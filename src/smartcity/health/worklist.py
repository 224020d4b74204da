"""Health's work on the staff page: open home-quarantine alerts and children with an overdue dose, in the
health worker's wards."""

from __future__ import annotations

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.health import service
from smartcity.web.deps import work_item

HEALTH = ("health_worker", "health_manager")


def _open_quarantine_alerts(db: Database, actor: Actor, _settings: Settings) -> int:
    board = service.quarantine_board(db, wards=service.staff_wards(db, actor))
    return sum(len(row.open_alerts) for row in board)


def _children_overdue(db: Database, actor: Actor, settings: Settings) -> int:
    wards = service.staff_wards(db, actor)
    return service.count_overdue_children(db, on=clock.today(settings), wards=wards)


WORKLIST = (
    work_item(
        "Cảnh báo cách ly chưa xử lý",
        "/can-bo/y-te/cach-ly",
        HEALTH,
        None,
        _open_quarantine_alerts,
        urgent=True,
    ),
    work_item("Trẻ quá hạn tiêm chủng", "/can-bo/y-te/tiem-chung", HEALTH, None, _children_overdue),
)
