"""Official documents' work on the staff page: documents waiting for the person's signature or issuing."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.documents import service
from smartcity.web.deps import work_item


def _to_sign(db: Database, actor: Actor, _settings: Settings) -> int:
    return len(service.sign_queue(db, actor=actor))


def _to_issue(db: Database, actor: Actor, _settings: Settings) -> int:
    return len(service.issue_queue(db, actor=actor))


WORKLIST = (
    work_item("Văn bản chờ bạn ký", "/can-bo/van-ban/cho-ky", ("leader",), service.OFFICE_UNITS, _to_sign),
    work_item("Văn bản chờ ban hành", "/can-bo/van-ban/cho-ky", ("clerk",), service.OFFICE_UNITS, _to_issue),
)
