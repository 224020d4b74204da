"""The feedback section of the citizen's own space (/cua-toi): the reports they sent and their status."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.feedback.service import STATUS_NAMES, ReportFilter, list_reports

SHOWN = 5


def my_reports(db: Database, actor: Actor, settings: Settings) -> CitizenSection | None:
    """The signed-in citizen's latest reports (None for anyone not signed in)."""
    if actor.user_id is None:
        return None
    items, total = list_reports(
        db, actor=actor, filters=ReportFilter(reporter_user_id=actor.user_id, public_only=False), limit=SHOWN
    )
    return CitizenSection(
        title_vi="Phản ánh của tôi",
        title_en="My reports",
        items=tuple(
            CitizenItem(
                title=r.category_name,
                url=f"/feedback/r/{r.code}",
                status=STATUS_NAMES.get(r.status, ""),
                when=r.submitted_at,
                code=r.code,
            )
            for r in items
        ),
        more_url="/feedback/mine" if total > len(items) else "",
        empty_vi="Bạn chưa gửi phản ánh nào.",
        actions=(("Gửi phản ánh", "/feedback/new"),),
    )


SECTIONS = [my_reports]
