"""The education section of the citizen's space (/cua-toi): the parent's children at school, what is owed,
written in the page's language."""

from __future__ import annotations

from smartcity.core import clock, numbers
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.education import service


def my_children(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """The children linked to the signed-in parent, with the fees still to pay (None when there are none)."""
    if actor.user_id is None:
        return None
    children = service.children_of(db, actor=actor, settings=settings)
    if not children:
        return None
    _ = get_translations(locale, "education").gettext
    today = clock.today(settings)
    items = []
    for child in children:
        invoices = service.student_invoices(db, actor=actor, code=child["code"])
        open_invoices = [i for i in invoices if i["status"] == "open" and i["outstanding_vnd"] > 0]
        owed = sum(i["outstanding_vnd"] for i in open_invoices)
        due = min((i["due_on"] for i in open_invoices if i["due_on"]), default=None)
        if owed and due:  # the date that matters to a parent: when the first of them is (or was) due
            words = (
                _("Còn phải nộp %(amount)s, quá hạn từ %(due)s")
                if due < today
                else _("Còn phải nộp %(amount)s, hạn nộp %(due)s")
            )
            status = words % {"amount": numbers.money_vnd(owed, locale), "due": service.dmy(due)}
        elif owed:
            status = _("Còn phải nộp %(amount)s") % {"amount": numbers.money_vnd(owed, locale)}
        else:
            status = _("Không còn khoản nào phải nộp")
        # The child's, the class's and the school's names are data; only the word for a class is ours.
        title = _("%(name)s — lớp %(class_name)s, %(school)s") % {
            "name": child["full_name"],
            "class_name": child["class_name"],
            "school": child["school_name"],
        }
        # No code: a parent looks for the child's name, which leads the line and is its link (the pupil's
        # code is on the child's page); no date either, the fees' due date is in the status.
        items.append(CitizenItem(title=title, url=f"/con-toi/{child['code']}", status=status))
    return CitizenSection(
        title=_("Con tôi ở trường"),
        items=tuple(items),
        empty=_("Chưa có con nào được liên kết với tài khoản của bạn."),
        more_url="/con-toi",
        more_label=_("Học phí, chuyên cần, thời khóa biểu"),
    )


SECTIONS = [my_children]
