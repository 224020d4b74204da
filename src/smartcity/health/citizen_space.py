"""The health section of the citizen's space (/cua-toi): today's check-in of a home quarantine and the
children's vaccinations that are due, written in the page's language; the record itself stays on /suc-khoe.

It reads no clinical resource: only the person's own quarantine and the children's doses by birth date, so it
decrypts nothing and logs no access (the record's page does both)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.i18n import get_translations
from smartcity.core.search import CitizenItem, CitizenSection
from smartcity.core.security import Actor
from smartcity.health import service
from smartcity.health.config import HealthSettings
from smartcity.health.service.immunisation import DoseStatus, child_schedule, children


def my_health(db: Database, actor: Actor, settings: Settings, locale: str) -> CitizenSection | None:
    """A running home quarantine (has today's check-in been sent?) and each young child's next due dose;
    None for anyone whose account is linked to no health record and who has no child in the programme."""
    if actor.user_id is None:
        return None
    own = service.patient_for_user(db, actor.user_id)
    kids = service.children_of_user(db, actor.user_id)
    if own is None and not kids:
        return None
    _ = get_translations(locale, "health").gettext
    today = clock.today(settings)
    diseases = service.disease_names(settings.section(HealthSettings), locale)
    items = []
    for case in service.cases_of_user(db, actor.user_id):
        title = _("Cách ly y tế tại nhà (%(disease)s), đến hết %(end)s") % {
            "disease": diseases.get(case.disease, case.disease),
            "end": format_date(case.end_date, "dd/MM/yyyy", locale=locale),
        }
        checked = case.last_checkin == today
        status = _("Hôm nay đã khai báo") if checked else _("Hôm nay chưa khai báo y tế")
        items.append(CitizenItem(title=title, url="/suc-khoe#checkin", status=status))
    for child in children(db, today, patient_ids=kids) if kids else []:
        items.append(
            _child_item(child.birthdate, child_schedule(child.birthdate, child.given, today), locale)
        )
    return CitizenSection(
        title=_("Sức khỏe của tôi"),
        items=tuple(items),
        empty=_("Không có việc gì cần làm: không có lần cách ly nào, không có mũi tiêm nào đến hạn."),
        more_url="/suc-khoe",
        more_label=_("Hồ sơ sức khỏe, lịch tiêm chủng, ai đã xem hồ sơ của tôi"),
    )


def _child_item(birthdate: date, doses: list[DoseStatus], locale: str) -> CitizenItem:
    """A child by birth date with the vaccinations to get: overdue ones first, else the next due."""
    _ = get_translations(locale, "health").gettext
    born = format_date(birthdate, "dd/MM/yyyy", locale=locale)
    title = _("Tiêm chủng của con sinh ngày %(born)s") % {"born": born}
    overdue = [d for d in doses if d.state == "overdue"]
    due = [d for d in doses if d.state == "due"]
    if overdue:
        status = _("%(count)s mũi quá hạn") % {"count": len(overdue)}
    elif due:
        status = _("Đến hạn: %(vaccine)s — mũi %(number)s") % {
            "vaccine": service.vaccine_names(locale).get(due[0].dose.vaccine, due[0].dose.name),
            "number": due[0].dose.dose,
        }
    else:
        status = _("Không có mũi nào đến hạn")
    return CitizenItem(title=title, url="/suc-khoe", status=status)


SECTIONS = [my_health]
