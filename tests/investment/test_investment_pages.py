"""The pages: the leader's dashboard and a project's page, the public map of works by ward."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import date
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


def test_dashboard_writes_money_and_rates_the_english_way_on_english_pages(client, demo, login):
    headers = login("lanhdao", ("leader", None))
    client.cookies.set("lang", "en")
    html = client.get("/can-bo/dau-tu", headers=headers).text
    for text in ("VND 3,048 billion", "VND 2,318.7 billion", "VND 3,558.8 billion", "VND 1,992.7 billion"):
        assert text in html
    assert "tỷ đồng" not in html and "By source of capital" in html and "City budget" in html
    slow = service.slowest_projects(demo, year=2026, limit=1)[0]
    assert f"Only {slow['percent']:.1f}% of the capital allocated for 2026 disbursed" in html
    risk = html.split('id="at-risk"')[1].split("</section>")[0]  # the reasons, money in them too
    assert "Milestone «" in risk and "advance payment guarantee expired" in risk
    assert "trễ hạn" not in risk and "hết hạn" not in risk and "triệu đồng" not in risk
    page = client.get(f"/can-bo/dau-tu/du-an/{slow['id']}", headers=headers).text
    assert "VND " in page and "tỷ đồng" not in page and "triệu đồng" not in page
    facts = page.split('<dl class="card">')[1].split("</dl>")[0]  # its type, stage and wards in English
    project = service.get_project(demo, slow["id"])
    assert project["kind_name"] not in facts and project["phase_name"] not in facts and "Phường" not in facts
    assert "Ward" in facts
    client.cookies.set("lang", "vi")
    vietnamese = client.get("/can-bo/dau-tu", headers=headers).text
    assert "2.318,7 tỷ đồng" in vietnamese and "VND" not in vietnamese
    assert "Theo nguồn vốn — năm 2026" in vietnamese and "Ngân sách thành phố" in vietnamese
    assert f"Giải ngân mới đạt {slow['percent']:.1f}% vốn được giao năm 2026".replace(".", ",") in vietnamese
    assert "bảo lãnh tạm ứng đã hết hạn" in vietnamese.split('id="at-risk"')[1]


def _recorded_in(db, ward: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """The works recorded in the ward (not those of the wards it took over)."""
    return [p for p in service.list_projects(db) if ward in p["ward_codes"]]


def test_public_map_lists_works_of_one_ward_by_name(client, demo, settings):
    ward = next(
        w
        for w in city_service.units_on(demo, on=clock.today(settings), level="ward")
        if _recorded_in(demo, w.code)
    )
    html = client.get("/cong-trinh", params={"phuong": ward.code}).text
    recorded = _recorded_in(demo, ward.code)  # and those of the wards it took over in 2025
    count = int(html.split('id="works-count">')[1].split(" công trình")[0].replace(".", ""))
    assert count >= len(recorded) and ward.name in html.split('id="works"')[1]


# Every text of the page's bar charts whose box leaves its chart's viewBox (a label cut off) or, a row's
# name, runs into the bars, as "text: x,y,width,height in the viewBox".
CUT_OFF_LABELS = """() => [...document.querySelectorAll("svg.inv-chart")].flatMap(svg => {
  const view = svg.viewBox.baseVal, bars = svg.querySelector("rect").x.baseVal.value;
  const out = (box) => box.x < view.x || box.y < view.y || box.x + box.width > view.x + view.width
    || box.y + box.height > view.y + view.height;
  return [...svg.querySelectorAll("text")].map(text => [text, text.getBBox()])
    .filter(([text, box]) => out(box) || (text.x.baseVal[0].value < bars && box.x + box.width > bars))
    .map(([text, box]) => text.textContent + ": " + [box.x, box.y, box.width, box.height].map(Math.round)
      + " in " + view.width + "×" + view.height);
})"""


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
        assert page.locator("svg.inv-chart text").count() > 10
        assert (cut := page.evaluate(CUT_OFF_LABELS)) == [], "\n".join(cut)
        page.goto(f"{live_server}/can-bo/dau-tu?lang=en")  # English labels are longer: they fit too
        assert "VND 3,048 billion" in page.inner_text("#programmes")
        assert page.locator("svg.inv-chart text").count() > 10
        assert (cut := page.evaluate(CUT_OFF_LABELS)) == [], "\n".join(cut)
        page.screenshot(path=str(SHOTS / "investment-dashboard-en.png"), full_page=True)
        page.goto(f"{live_server}/can-bo/dau-tu?lang=vi")
        page.click("#at-risk tbody tr a")
        page.wait_for_selector("#photos img")
        page.wait_for_function("document.querySelector('#photos img').naturalWidth > 0")
        assert "Bảo lãnh tạm ứng" in page.inner_text("#contracts")
        assert (cut := page.evaluate(CUT_OFF_LABELS)) == [], "\n".join(cut)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SHOTS / "investment-project.png"), full_page=True)
        page.goto(f"{live_server}/cong-trinh")
        ward = next(
            w
            for w in city_service.units_on(demo, on=clock.today(settings), level="ward")
            if _recorded_in(demo, w.code)
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


def test_the_dashboard_counts_the_years_capital_one_way_and_says_what_it_is(client, city, settings, login):
    """A plan of 100 billion cut by 22.4 billion during the year: the rate, the charts by year, source,
    type and investor, the slowest projects and the project's own page all count the 77.6 billion
    allocated, and the dashboard says what the allocated capital is made of."""
    from smartcity.investment import tracking
    from smartcity.investment.models import CapitalPlan

    year = clock.today(settings).year
    pid = service.create_project(
        city,
        actor=SYSTEM,
        data={"code": "DA-VON-1", "name": "Cải tạo đường Yersin", "kind": "road", "investor": "Ban QLDA"},
    )
    with city.write_session() as session:
        session.add(CapitalPlan(project_id=pid, year=year, source="city", amount=100_000))
    adjustment = {"year": year, "source": "city", "amount": -22_400, "decided_on": date(year, 1, 15)}
    tracking.add_adjustment(city, actor=SYSTEM, project_id=pid, data={**adjustment, "reason": "Điều chuyển"})
    service.add_disbursement(
        city,
        actor=SYSTEM,
        project_id=pid,
        plan_year=year,
        source="city",
        paid_on=date(year, 1, 20),
        amount=7_760,
    )

    rate = service.disbursement_rate(city, year=year)
    assert (rate.planned, rate.initial_plan, rate.adjusted, rate.percent) == (77_600, 100_000, -22_400, 10.0)
    for dimension, key in (("year", year), ("source", "city"), ("kind", "road"), ("investor", "Ban QLDA")):
        row = next(r for r in service.rates_by(city, dimension=dimension, year=year) if r["key"] == key)
        assert (row["planned"], row["disbursed"], row["percent"]) == (77_600, 7_760, 10.0), dimension
    assert service.slowest_projects(city, year=year)[0]["planned"] == 77_600
    assert service.project_money(city, project_id=pid) == [
        {"key": year, "planned": 77_600, "disbursed": 7_760}
    ]

    headers = login("lanhdao", ("leader", None))
    html = client.get("/can-bo/dau-tu", headers=headers).text
    card = html.split('id="rate">')[1].split("</div>\n</div>")[0]
    assert "Đã giải ngân trong hạn 7,8 tỷ đồng / vốn được giao 77,6 tỷ đồng" in card
    assert "kế hoạch vốn đầu năm 100 tỷ đồng và điều chỉnh trong năm −22,4 tỷ đồng" in card
    charts = html.split('id="slowest"')[1]
    assert "100 tỷ đồng" not in charts  # no other total for the year
    assert charts.count("7,8 / 77,6 tỷ đồng") == 3  # by year, by source, by type of works
    assert "Vốn được giao (kế hoạch và điều chỉnh)" in charts
    project = client.get(f"/can-bo/dau-tu/du-an/{pid}", headers=headers).text
    assert "7,8 / 77,6 tỷ đồng" in project and "100 tỷ đồng" not in project
    client.cookies.set("lang", "en")
    english = client.get("/can-bo/dau-tu", headers=headers).text
    card = english.split('id="rate">')[1].split("</div>\n</div>")[0]
    assert "10.0%" in card and "VND 7.8 billion / allocated capital VND 77.6 billion" in card
    assert "VND 100 billion and the adjustments during the year −VND 22.4 billion" in card
    project = client.get(f"/can-bo/dau-tu/du-an/{pid}", headers=headers).text
    assert "VND 7.8 / 77.6 billion" in project and "City budget: −VND 22,400 million" in project
