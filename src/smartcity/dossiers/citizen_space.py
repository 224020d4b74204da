"""The dossiers' sections of the citizen's space (/cua-toi): latest dossiers, and fees waiting for payment,
written in the page's language."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.dossiers.schemas import DossierSummary
from smartcity.dossiers.service import list_dossiers
from smartcity.dossiers.states import PAYMENT

SHOWN = 5


def _item(dossier: DossierSummary) -> CitizenItem:
    """A dossier as a line of the section: its procedure's official name (data) and its state's name, which
    `list_dossiers` already gives in the page's language."""
    return CitizenItem(
        title=dossier.procedure_name,
        url=f"/ho-so/{dossier.code}",
        status=dossier.state_name,
        when=dossier.submitted_at,
        code=dossier.code,
    )


def my_dossiers(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """The signed-in citizen's latest dossiers (None for anyone not signed in)."""
    if actor.user_id is None:
        return None
    _ = get_translations(locale, "dossiers").gettext
    page = list_dossiers(db, actor=actor, settings=settings, limit=SHOWN, locale=locale)
    items = tuple(_item(d) for d in page.items)
    return CitizenSection(
        title=_("Hồ sơ thủ tục hành chính"),
        items=items,
        empty=_("Bạn chưa nộp hồ sơ trực tuyến nào."),
        more_url="/ho-so" if page.total > len(items) else "",
        more_label=_("Xem tất cả hồ sơ"),
        actions=((_("Tìm thủ tục để nộp hồ sơ"), "/thu-tuc"), (_("Tra cứu hồ sơ"), "/tra-cuu")),
    )


def fees_due(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """Dossiers waiting for the citizen's payment of fees (state 6), shown only when there are some."""
    if actor.user_id is None:
        return None
    _ = get_translations(locale, "dossiers").gettext
    page = list_dossiers(db, actor=actor, settings=settings, state=PAYMENT, limit=SHOWN, locale=locale)
    if not page.items:
        return None
    return CitizenSection(
        title=_("Phí, lệ phí cần nộp"),
        items=tuple(_item(d) for d in page.items),
        empty=_("Không có khoản phí nào cần nộp."),
        more_url="/ho-so" if page.total > len(page.items) else "",
        more_label=_("Xem tất cả hồ sơ"),
    )


SECTIONS = [my_dossiers, fees_due]
