"""The dossiers' sections of the citizen's space (/cua-toi): latest dossiers, and fees waiting for payment."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.dossiers.service import list_dossiers
from smartcity.dossiers.states import PAYMENT

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


def fees_due(db: Database, actor: Actor, settings: Settings) -> CitizenSection | None:
    """Dossiers waiting for the citizen's payment of fees (state 6), shown only when there are some."""
    if actor.user_id is None:
        return None
    page = list_dossiers(db, actor=actor, settings=settings, state=PAYMENT, limit=SHOWN)
    if not page.items:
        return None
    return CitizenSection(
        title_vi="Phí, lệ phí cần nộp",
        title_en="Fees to pay",
        items=tuple(
            CitizenItem(
                title=d.procedure_name,
                url=f"/ho-so/{d.code}",
                status=d.state_name,
                when=d.submitted_at,
                code=d.code,
            )
            for d in page.items
        ),
        more_url="/ho-so" if page.total > len(page.items) else "",
    )


SECTIONS = [my_dossiers, fees_due]
