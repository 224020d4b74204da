"""The education section of the citizen's space (/cua-toi): the parent's children at school, what is owed."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.education import service


def my_children(db: Database, actor: Actor, settings: Settings) -> CitizenSection | None:
    """The children linked to the signed-in parent, with the fees still to pay (None when there are none)."""
    if actor.user_id is None:
        return None
    children = service.children_of(db, actor=actor, settings=settings)
    if not children:
        return None
    items = []
    for child in children:
        invoices = service.student_invoices(db, actor=actor, code=child["code"])
        owed = sum(i["outstanding_vnd"] for i in invoices if i["status"] == "open")
        status = f"Còn phải nộp {service.vnd(owed)}" if owed else "Không còn khoản phải nộp"
        items.append(
            CitizenItem(
                title=f"{child['full_name']} — lớp {child['class_name']}, {child['school_name']}",
                url=f"/con-toi/{child['code']}",
                status=status,
                code=child["code"],
            )
        )
    return CitizenSection(
        title_vi="Con tôi ở trường",
        title_en="My children at school",
        items=tuple(items),
        more_url="/con-toi",
        more_label_vi="Học phí, chuyên cần, thời khóa biểu",
    )


SECTIONS = [my_children]
