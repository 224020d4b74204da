"""The device registry's work on the staff page: device alarms nobody has acknowledged yet."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.web.deps import work_item


def _unacknowledged_alarms(db: Database, _actor: Actor, _settings: Settings) -> int:
    return service.list_alarms(db, state="active", limit=1)[1]


WORKLIST = (
    work_item(
        "Cảnh báo thiết bị chưa xác nhận",
        "/can-bo/canh-bao-thiet-bi?state=active",
        ("operator",),
        None,
        _unacknowledged_alarms,
    ),
)
