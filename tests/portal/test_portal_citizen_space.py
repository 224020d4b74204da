"""The citizen's own space (/cua-toi) in the page's language: each domain writes its section's words in it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from smartcity.accounts import service as accounts_service
from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.search import CitizenSection
from smartcity.core.security import ANONYMOUS, Actor
from smartcity.domains import collect
from smartcity.dossiers.states import PAYMENT, RETURNED, SUBMITTED, SUPPLEMENT
from smartcity.feedback.schemas import ReportCreate
from tests.education.conftest import PASSWORD, SYSTEM, demo, postgres_demo, sqlite_demo  # noqa: F401  (shared fixtures)
from tests.support import sign_in

STATES = (SUBMITTED, SUPPLEMENT, PAYMENT, RETURNED)


@pytest.fixture
def household(request, settings):  # type: ignore[no-untyped-def]
    """The education demo's database, where its parent `congdan` (two children at school) has a dossier in
    each of STATES and has sent a report; (database, the parent as actor)."""
    from smartcity.dossiers.demo import seed_demo_dossiers
    from smartcity.dossiers.models import Dossier
    from smartcity.feedback import service as feedback
    from smartcity.procedures import service as procedures

    database = request.getfixturevalue("demo")
    parent = accounts_service.get_user_by_username(database, "congdan")
    actor = Actor(kind="user", name="congdan", user_id=parent.id, roles=frozenset({("citizen", None)}))
    procedures.load_city_catalogue(database, actor=SYSTEM)
    seed_demo_dossiers(database, settings=settings, count=8, years=1)
    with database.write_session() as s:
        ids = list(s.scalars(select(Dossier.id).order_by(Dossier.id).limit(len(STATES))))
        for dossier_id, state in zip(ids, STATES, strict=True):
            s.execute(
                update(Dossier)
                .where(Dossier.id == dossier_id)
                .values(applicant_user_id=parent.id, state=state)
            )
    feedback.submit_report(
        database,
        actor=actor,
        data=ReportCreate(
            category_code="ha-tang", description="Nắp cống bị vỡ trước nhà số 5", lon=106.655, lat=10.98
        ),
        secret=settings.resolved_secret_key,
    )
    return database, actor


def _sections(db, actor, settings, locale: str) -> list[CitizenSection]:  # type: ignore[no-untyped-def]
    return [
        section
        for _domain, providers in collect("citizen_space", "SECTIONS")
        for provide in providers
        if (section := provide(db, actor, settings, locale)) is not None
    ]


def _words(section: CitizenSection) -> list[str]:
    """The section's own words (item titles are data: a procedure's official name, a child's name)."""
    words = [section.title, section.empty, *(label for label, _url in section.actions)]
    words += [section.more_label] if section.more_url else []
    return words + [item.status for item in section.items if item.status]


def test_every_section_is_written_in_the_pages_language(settings, household):
    database, parent = household
    english = _sections(database, parent, settings, "en")
    vietnamese = _sections(database, parent, settings, "vi")
    assert {s.title for s in vietnamese} >= {
        "Hồ sơ thủ tục hành chính",
        "Phí, lệ phí cần nộp",
        "Phản ánh của tôi",
        "Con tôi ở trường",
    }
    assert len(english) == len(vietnamese)
    for section in english:
        for text in _words(section):
            assert not written_in_vietnamese(text), f"{section.title}: {text!r}"
        assert all(" lớp " not in item.title for item in section.items), section.title
    for section in vietnamese:
        for text in _words(section):
            assert written_in_vietnamese(text), f"{section.title}: {text!r}"
    children = next(s for s in english if s.title == "My children at school")
    assert all(" — class " in item.title for item in children.items)
    assert _sections(database, ANONYMOUS, settings, "en") == []


def _sign_in(client) -> None:  # type: ignore[no-untyped-def]
    user = accounts_service.get_user_by_username(client.app.state.db, "congdan")
    accounts_service.set_password(client.app.state.db, actor=SYSTEM, user_id=user.id, password=PASSWORD)
    sign_in(client, "congdan", PASSWORD)


def test_the_english_citizen_space_reads_in_english_and_the_vietnamese_in_vietnamese(client, household):
    _sign_in(client)
    client.cookies.set("lang", "en")
    english = client.get("/cua-toi").text
    for words in ("My dossiers", "Submitted", "Supplement requested", "Payment required", "Result returned"):
        assert words in english
    for words in ("Fees to pay", "My reports", "My children at school", "School fees, attendance, timetable"):
        assert words in english
    assert "still to pay" in english and "— class " in english and "Find a procedure to apply" in english
    for words in ("Mới đăng ký", "Yêu cầu bổ sung giấy tờ", "Đã trả kết quả", "Hồ sơ thủ tục hành chính"):
        assert words not in english
    for words in ("Con tôi ở trường", "Còn phải nộp", "lớp ", "Học phí", "Mới tiếp nhận", "Request payment"):
        assert words not in english
    assert "Active" not in english  # another domain's translation of "Được tiếp nhận"

    client.cookies.set("lang", "vi")
    vietnamese = client.get("/cua-toi").text
    for words in ("Hồ sơ thủ tục hành chính", "Mới đăng ký", "Yêu cầu bổ sung giấy tờ", "Đã trả kết quả"):
        assert words in vietnamese
    assert "Con tôi ở trường" in vietnamese and "Còn phải nộp" in vietnamese and "Mới tiếp nhận" in vietnamese
    assert "Submitted" not in vietnamese and "Result returned" not in vietnamese


def _card(html: str, title: str) -> str:
    """The card of the section titled `title` on the citizen space."""
    start = html.index(f"<h2>{title}</h2>")
    return html[start : html.index("</li>", start)]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_childs_line_leads_with_the_name_and_no_section_ends_with_a_separator(client, household, lang):
    database, parent = household
    _sign_in(client)
    client.cookies.set("lang", lang)
    html = client.get("/cua-toi").text
    for title in re.findall(r"<h2>([^<]+)</h2>", html):
        card = _card(html, title)
        assert not re.search(r"·\s*</p>", card) and not re.search(r"<p>\s*·", card), title
    children = _card(html, "Con tôi ở trường" if lang == "vi" else "My children at school")
    from smartcity.education import service as education

    for child in education.children_of(database, actor=parent, settings=client.app.state.settings):
        assert re.search(rf'<td><a href="/con-toi/{child["code"]}">{child["full_name"]} — ', children)
        assert f">{child['code']}<" not in children  # the pupil's code is not the link text
    assert "<th" in children and ">Mã<" not in children and ">Code<" not in children
    assert ">Ngày<" not in children and ">Date<" not in children  # no column of dashes
    dossiers = _card(html, "Hồ sơ thủ tục hành chính" if lang == "vi" else "My dossiers")
    assert (">Mã<" if lang == "vi" else ">Code<") in dossiers
