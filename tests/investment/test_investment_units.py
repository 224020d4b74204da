"""Public investment is the work of the finance department and the people's committees, not of a school."""

from __future__ import annotations

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.investment import service
from tests.investment.conftest import PASSWORD, SYSTEM
from tests.investment.test_investment_api import _xlsx
from tests.investment.test_investment_progress import _project
from tests.support import sign_in

SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1
STAFF_ONLY = ("/can-bo/dau-tu/ke-hoach-von", "/can-bo/dau-tu", "/can-bo/ban-do-chinh-sua")


@pytest.fixture
def city(city):  # type: ignore[no-untyped-def]
    """The city pack, and the primary school whose head and teacher are the outsiders here."""
    accounts_service.upsert_org_units(
        city, actor=SYSTEM, units=[{"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}]
    )
    return city


def _sign_in(client, db, username, role):  # type: ignore[no-untyped-def]
    accounts_service.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=[role])
    sign_in(client, username, PASSWORD)


def test_a_schools_staff_may_not_import_the_capital_plan_or_record_progress(client, city, login):
    plan = _xlsx([("DA-TEST-1", "Ngân sách thành phố", 1000)])
    pid = _project(city)
    for username, role in (("giaovien", "specialist"), ("hieutruong", "head")):
        headers = login(username, (role, SCHOOL))
        refused = client.post(
            "/api/v1/investment/plans/2027/import", headers=headers, files={"file": ("kh.xlsx", plan)}
        )
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(
            "application/problem+json"
        )
        progress = {"reported_on": "2025-06-01", "percent": 20}
        assert (
            client.post(
                f"/api/v1/investment/projects/{pid}/progress", headers=headers, json=progress
            ).status_code
            == 403
        )
        assert client.get("/api/v1/investment/summary", headers=headers).status_code == 403
    assert service.disbursement_rate(city, year=2027).planned == 0


def test_a_finance_department_specialist_imports_the_plan(client, city, login):
    headers = login("ketoan.tckh", ("specialist", "TDM-TCKH"))
    plan = _xlsx([("DA-TEST-1", "Ngân sách thành phố", 1000)])
    pid = _project(city)
    imported = client.post(
        "/api/v1/investment/plans/2027/import", headers=headers, files={"file": ("kh.xlsx", plan)}
    )
    assert imported.status_code == 201, imported.text
    progress = {"reported_on": "2025-06-01", "percent": 20}
    assert (
        client.post(f"/api/v1/investment/projects/{pid}/progress", headers=headers, json=progress).status_code
        == 201
    )


def test_the_school_head_is_refused_the_import_page_and_not_offered_it(client, city):
    _sign_in(client, city, "hieutruong.phuhoa1", ("head", SCHOOL))
    page = client.get("/can-bo/dau-tu/ke-hoach-von", headers={"Accept": "text/html"})
    assert page.status_code == 403 and "Phòng Tài chính – Kế hoạch" in page.text
    home = client.get("/can-bo")
    assert home.status_code == 200
    for href in STAFF_ONLY:
        assert f'href="{href}"' not in home.text, href


def test_the_finance_specialist_is_offered_the_import_page(client, city):
    _sign_in(client, city, "ketoan.tckh", ("specialist", "TDM-TCKH"))
    assert client.get("/can-bo/dau-tu/ke-hoach-von").status_code == 200
    home = client.get("/can-bo").text
    assert 'href="/can-bo/dau-tu/ke-hoach-von"' in home and 'href="/can-bo/ban-do-chinh-sua"' not in home
