"""The feedback section of the citizen's own space (/cua-toi): the reports they sent and their status,
written in the page's language."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.feedback.service import STATUS_NAMES, ReportFilter, category_names, list_reports

SHOWN = 5


def my_reports(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """The signed-in citizen's latest reports (None for anyone not signed in)."""
    if actor.user_id is None:
        return None
    _ = get_translations(locale, "feedback").gettext
    names = category_names(db, locale)
    items, total = list_reports(
        db, actor=actor, filters=ReportFilter(reporter_user_id=actor.user_id, public_only=False), limit=SHOWN
    )
    return CitizenSection(
        title=_("Phản ánh của tôi"),
        items=tuple(
            CitizenItem(
                title=names.get(r.category_code, r.category_name),
                url=f"/phan-anh/{r.code}",
                status=_(STATUS_NAMES[r.status]) if r.status in STATUS_NAMES else "",
                when=r.submitted_at,
                code=r.code,
            )
            for r in items
        ),
        empty=_("Bạn chưa gửi phản ánh nào."),
        more_url="/phan-anh/cua-toi" if total > len(items) else "",
        more_label=_("Xem tất cả phản ánh của tôi"),
        actions=((_("Gửi phản ánh"), "/phan-anh/gui"),),
    )


SECTIONS = [my_reports]
