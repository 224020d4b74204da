"""The dossier page's papers: a sentence instead of an empty list, saying why none is shown."""

from __future__ import annotations

import html

from smartcity.dossiers import service, views
from tests.dossiers.dossier_fixtures import house_request, local, make_user, submit_house
from tests.dossiers.test_dossiers_pages import _login


def test_a_dossier_without_papers_says_so_in_both_languages(app, db, settings, people, monkeypatch):
    data = house_request()
    data.paper_documents = ["gcn_qsdd", "don_de_nghi"]  # seen on paper at the counter: no file attached
    detail, _ = service.submit_dossier(
        db, actor=people.clerk, settings=settings, data=data, channel="counter", now=local(2025, 6, 2, 9)
    )
    clerk, _token = _login(app, "clerk1")
    listed = clerk.get(f"/ho-so/{detail.code}").text
    assert '<ul id="documents">' in listed and 'id="no-documents"' not in listed  # its forms, as before
    monkeypatch.setattr(views, "_downloadable", lambda detail: [])  # no form either
    page = clerk.get(f"/ho-so/{detail.code}").text
    assert '<p class="muted" id="no-documents">Chưa có giấy tờ nào.</p>' in page
    assert 'id="documents"' not in page
    assert "No papers yet." in clerk.get(f"/ho-so/{detail.code}", params={"lang": "en"}).text


def test_an_operator_not_assigned_reads_that_the_papers_are_withheld(app, db, settings, people):
    code = submit_house(db, settings, people, now=local(2025, 6, 2, 9)).code
    make_user(db, "operator1", [("operator", None)])
    operator, _token = _login(app, "operator1")
    page = html.unescape(operator.get(f"/ho-so/{code}").text)
    assert 'id="documents"' not in page and "Chưa có giấy tờ nào." not in page
    assert "điều hành viên chỉ xem được khi được giao hồ sơ." in page.split('id="no-documents">')[1]
    english = html.unescape(operator.get(f"/ho-so/{code}", params={"lang": "en"}).text)
    assert "an operator may see them only when the dossier is assigned to them." in english
