"""Notifications' work on the staff page: in-page messages the person has not acknowledged."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.notifications import service
from smartcity.web.deps import work_item


def _unacknowledged(db: Database, actor: Actor, _settings: Settings) -> int:
    return service.inbox(db, actor=actor, paging=PageParams(limit=1), unacknowledged=True).total


WORKLIST = (
    work_item(
        "Thông báo chưa xác nhận",
        "/can-bo/thong-bao",
        ("operator", "head", "leader", "specialist", "clerk"),
        None,
        _unacknowledged,
    ),
)
