"""The accounts' section of the citizen's space (/cua-toi): the person's own details, masked, with the link to
change them."""

from __future__ import annotations

from smartcity.accounts.service import get_user
from smartcity.accounts.views import OWN_DETAILS_PAGE
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor

PAGE = OWN_DETAILS_PAGE


def own_details(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """The signed-in person's ID number and phone as the e-forms will fill them in, masked (None for anyone
    not signed in)."""
    if actor.user_id is None:
        return None
    _ = get_translations(locale, "accounts").gettext
    user = get_user(db, actor.user_id)

    def given(masked: str | None) -> str:
        """A number given, by its last three digits (the page reads as words, not as a row of stars)."""
        return _("Đã khai, tận cùng là {digits}").format(digits=masked[-3:]) if masked else _("Chưa khai")

    items = (
        CitizenItem(_("Số định danh cá nhân"), PAGE, given(user.citizen_id_masked)),
        CitizenItem(_("Số điện thoại"), PAGE, given(user.phone_masked)),
        CitizenItem(_("Thư điện tử"), PAGE, _("Đã khai") if user.email else _("Chưa khai")),
    )
    return CitizenSection(
        title=_("Thông tin cá nhân"),
        items=items,
        empty=_("Chưa có thông tin cá nhân."),
        actions=((_("Sửa thông tin cá nhân"), PAGE),),
        position=100,
    )


SECTIONS = [own_details]
