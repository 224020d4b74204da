"""The operations centre's work on the staff page: new incidents nobody has taken up yet."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.ioc import service
from smartcity.ioc.catalogue import STAFF_UNITS
from smartcity.web.deps import work_item

STAFF_ROLES = ("operator", "head", "leader", "specialist")


def _new_incidents(db: Database, _actor: Actor, _settings: Settings) -> int:
    return service.counts_by_state(db).get("new", 0)


WORKLIST = (
    work_item(
        "Sự cố mới chưa tiếp nhận",
        "/can-bo/dieu-hanh/su-co?state=new",
        STAFF_ROLES,
        STAFF_UNITS,
        _new_incidents,
        urgent=True,
    ),
)
