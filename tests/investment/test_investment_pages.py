"""The pages: the leader's dashboard and a project's page, the public map of works by ward."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.investment import service
from tests.investment.conftest import PASSWORD, SYSTEM
from tests.support import chromium_page, run_once_on_sqlite, served

SHOTS = Path(tempfile.gettempdir())


def test_dashboard_shows_totals_in_vietnamese_and_hides_codes(client, demo, login):
    headers = login("lanhdao", ("leader", None))
    html = client.get("/can-bo/dau-tu", headers=headers).text
    for text in ("3.048 tỷ đồng", "2.318,7 tỷ đồng", "3.558,8 tỷ đồng", "1.992,7 tỷ đồng", "77", "61", "106"):
        assert text in html
    assert "2016-2020-province" not in html and "<svg" in html
    slow = service.slowest_projects(demo, year=2026, limit=1)[0]
    page = client.get(f"/can-bo/dau-tu/du-an/{slow['id']}", headers=headers)
    assert page.status_code == 200 and slow["name"] in page.text


def test_public_map_lists_works_of_one_ward_by_name(client, demo, settings):
    ward = next(
        w
        for w in city_service.units_on(demo, on=clock.today(settings), level="ward")
        if service.list_projects(demo, ward=w.code)
    )
    html = client.get("/cong-trinh", params={"phuong": ward.code}).text
    works = service.list_projects(demo, ward=ward.code)
    assert f"{len(works)} công trình" in html and works[0]["name"] in html


@pytest.fixture
def live_server(app, demo) -> Iterator[str]:
    """The app served with the demo loaded (SQLite only)."""
    run_once_on_sqlite(demo)
    with served(app) as url:
        yield url


@pytest.mark.browser
def test_leader_and_citizen_in_the_browser(live_server, demo, settings):
    accounts_service.create_user(
        demo, actor=SYSTEM, username="lanhdao", password=PASSWORD, roles=[("leader", None)]
    )
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/login?next=/can-bo/dau-tu")
        page.fill("input[name=username]", "lanhdao")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#programmes")
        assert "3.048 tỷ đồng" in page.inner_text("#programmes")
        assert "%" in page.inner_text("#rate")
        assert page.locator("#slowest tbody tr").count() == 5
        page.screenshot(path=str(SHOTS / "investment-dashboard.png"), full_page=True)
        page.click("#at-risk tbody tr a")
        page.wait_for_selector("#photos img")
        page.wait_for_function("document.querySelector('#photos img').naturalWidth > 0")
        assert "Bảo lãnh tạm ứng" in page.inner_text("#contracts")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "investment-project.png"), full_page=True)
        page.goto(f"{live_server}/cong-trinh")
        ward = next(
            w
            for w in city_service.units_on(demo, on=clock.today(settings), level="ward")
            if service.list_projects(demo, ward=w.code)
        )
        page.select_option("select[name=phuong]", ward.code)
        page.click("form.card button[type=submit]")
        page.wait_for_selector("#works tbody tr")
        assert ward.name in page.inner_text("#works")
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "investment-map.png"), full_page=True)
        assert errors == []


def test_finance_officer_imports_through_the_page_and_sees_bad_rows(client, demo, settings):
    from tests.investment.test_investment_api import _xlsx

    accounts_service.create_user(
        demo, actor=SYSTEM, username="ketoan", password=PASSWORD, roles=[("specialist", None)]
    )
    login = client.get("/login")
    token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "ketoan", "password": PASSWORD, "csrf_token": token})
    form = client.get("/can-bo/dau-tu/ke-hoach-von")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = _xlsx([("DA-2026-001", "Ngân sách tỉnh", 100), ("DA-2026-002", "Ngân sách tỉnh", -4)])
    page = client.post(
        "/can-bo/dau-tu/ke-hoach-von",
        data={"year": "2028", "csrf_token": token},
        files={"file": ("kh.xlsx", bad)},
    )
    assert page.status_code == 422 and "Dòng 3" in page.text
    assert service.disbursement_rate(demo, year=2028).planned == 0
    good = _xlsx([("DA-2026-001", "Ngân sách tỉnh", 100)])
    page = client.post(
        "/can-bo/dau-tu/ke-hoach-von",
        data={"year": "2028", "csrf_token": token},
        files={"file": ("kh.xlsx", good)},
    )
    assert "Đã nhập 1 dòng" in page.text and service.disbursement_rate(demo, year=2028).planned == 100
