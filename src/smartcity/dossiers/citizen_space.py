"""The dossiers' section of the citizen's own space (/cua-toi): their latest dossiers and where they stand."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.dossiers.service import list_dossiers
from smartcity.portal.schemas import CitizenItem, CitizenSection

SHOWN = 5


def my_dossiers(db: Database, actor: Actor, settings: Settings) -> CitizenSection | None:
    """The signed-in citizen's latest dossiers (None for anyone not signed in)."""
    if actor.user_id is None:
        return None
    page = list_dossiers(db, actor=actor, settings=settings, limit=SHOWN)
    items = tuple(
        CitizenItem(
            title=d.procedure_name,
            url=f"/ho-so/{d.code}",
            status=d.state_name,
            when=d.submitted_at,
            code=d.code,
        )
        for d in page.items
    )
    return CitizenSection(
        title_vi="Hồ sơ thủ tục hành chính",
        title_en="My dossiers",
        items=items,
        more_url="/ho-so" if page.total > len(items) else "",
        empty_vi="Bạn chưa nộp hồ sơ trực tuyến nào.",
        actions=(("Tìm thủ tục để nộp hồ sơ", "/thu-tuc"), ("Tra cứu hồ sơ", "/tra-cuu")),
    )


SECTIONS = [my_dossiers]
