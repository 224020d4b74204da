"""Progress, decisions and money through the API and the project page: schedules, guarantees, carry-over."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from smartcity.core import clock
from smartcity.investment import service, tracking
from tests.investment.conftest import SYSTEM


def _project(db, code: str = "DA-TEST-1", phase: str = "implementation") -> int:
    return service.create_project(
        db,
        actor=SYSTEM,
        data={
            "code": code,
            "name": "Cải tạo đường Yersin",
            "phase": phase,
            "total_investment": 50_000,
            "start_date": date(2025, 3, 1),
            "expected_end": date(2027, 6, 30),
        },
    )


def test_latest_decision_is_the_total_investment(client, city, login):
    headers = login("ketoan", ("specialist", None))
    pid = _project(city)
    url = f"/api/v1/investment/projects/{pid}/decisions"
    first = {
        "kind": "approval",
        "number": "1201/QĐ-UBND",
        "signed_on": "2025-01-10",
        "signer": "Nguyễn Văn A",
    }
    assert client.post(url, headers=headers, json={**first, "total_investment": 48_000}).status_code == 201
    later = {**first, "kind": "adjustment", "number": "2401/QĐ-UBND", "signed_on": "2025-09-01"}
    assert client.post(url, headers=headers, json={**later, "total_investment": 61_500}).status_code == 201
    assert client.get(f"/api/v1/investment/projects/{pid}").json()["total_investment"] == 61_500
    page = client.get(f"/api/v1/investment/projects/{pid}/lists/decisions", params={"limit": 1}).json()
    assert page["total"] == 2 and [d["number"] for d in page["items"]] == ["1201/QĐ-UBND"]
    bad = client.post(url, headers=headers, json={**first, "kind": "khac", "total_investment": 1})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    citizen = login("congdan", ("citizen", None))
    assert client.post(url, headers=citizen, json={**first, "total_investment": 1}).status_code == 403


def test_carry_over_counts_until_31_january_or_year_end_when_extended(client, city, login):
    headers = login("ketoan", ("specialist", None))
    pid = _project(city)
    with city.write_session() as session:
        from smartcity.investment.models import CapitalPlan

        session.add(CapitalPlan(project_id=pid, year=2025, source="city", amount=100))
    for paid_on, amount in ((date(2025, 12, 20), 30), (date(2026, 1, 31), 5), (date(2026, 3, 1), 20)):
        service.add_disbursement(
            city, actor=SYSTEM, project_id=pid, plan_year=2025, source="city", paid_on=paid_on, amount=amount
        )
    assert service.disbursement_rate(city, year=2025).disbursed == 35
    by_source = {
        row["key"]: row["disbursed"] for row in service.rates_by(city, dimension="source", year=2025)
    }
    by_year = {row["key"]: row["disbursed"] for row in service.rates_by(city, dimension="year")}
    assert by_source["city"] == 35 and by_year[2025] == 35  # the charts follow the same deadline
    money = client.get(f"/api/v1/investment/projects/{pid}/money").json()["years"][0]
    assert (money["deadline_text"], money["lapsed"], money["extended"]) == ("31/01/2026", 65, False)
    body = {"plan_year": 2025, "decision_number": "301/QĐ-UBND", "decided_on": "2026-01-20"}
    url = f"/api/v1/investment/projects/{pid}/extensions"
    assert client.post(url, headers=headers, json=body).status_code == 201
    assert client.post(url, headers=headers, json=body).status_code == 422
    assert service.disbursement_rate(city, year=2025).disbursed == 55
    money = client.get(f"/api/v1/investment/projects/{pid}/money").json()["years"][0]
    assert (money["deadline_text"], money["extended"]) == ("31/12/2026", True)
    adjust = {"year": 2025, "source": "city", "amount": 60, "decided_on": "2025-07-15", "reason": "Bổ sung"}
    response = client.post(f"/api/v1/investment/projects/{pid}/adjustments", headers=headers, json=adjust)
    assert response.status_code == 201
    assert service.disbursement_rate(city, year=2025).planned == 160
    cut = {**adjust, "amount": -500}
    response = client.post(f"/api/v1/investment/projects/{pid}/adjustments", headers=headers, json=cut)
    assert response.status_code == 422 and service.disbursement_rate(city, year=2025).planned == 160


def test_at_risk_lists_expired_schedules_guarantees_and_lapsed_capital(client, demo, settings, login):
    headers = login("lanhdao", ("leader", None))
    assert client.get("/api/v1/investment/at-risk").status_code == 401
    page = client.get("/api/v1/investment/at-risk", headers=headers, params={"limit": 500}).json()
    reasons = [r for item in page["items"] for r in item["reasons"]]
    assert page["total"] == len(page["items"]) > 0
    assert any("bảo lãnh tạm ứng đã hết hạn" in r for r in reasons)
    assert any("bảo lãnh tạm ứng sắp hết hạn" in r for r in reasons)
    assert any(r.startswith("Mốc «Hoàn thành phần móng, nền» trễ hạn") for r in reasons)
    last = clock.today(settings).year - 1
    assert any(f"Vốn năm {last} còn" in r and "quá hạn giải ngân (31/01/" in r for r in reasons)
    assert not any(f"(31/12/{last + 1})" in r for r in reasons)  # extended capital is not lapsed yet


def test_progress_contracts_delays_and_settlement(client, city, login):
    headers = login("ketoan", ("specialist", None))
    pid = _project(city)
    base = f"/api/v1/investment/projects/{pid}"
    for day, percent in (("2025-06-01", 20), ("2025-10-01", 45)):
        assert (
            client.post(
                f"{base}/progress", headers=headers, json={"reported_on": day, "percent": percent}
            ).status_code
            == 201
        )
    assert (
        client.post(
            f"{base}/progress", headers=headers, json={"reported_on": "2025-11-01", "percent": 140}
        ).status_code
        == 422
    )
    assert client.get(base).json()["progress_percent"] == 45
    contract = {
        "number": "01/2025/HĐXD",
        "contractor": "Công ty TNHH Xây dựng Phú Lợi",
        "value": 40_000,
        "signed_on": "2025-03-20",
        "ends_on": "2025-01-01",
    }
    assert client.post(f"{base}/contracts", headers=headers, json=contract).status_code == 422
    contract["ends_on"] = "2027-06-30"
    assert client.post(f"{base}/contracts", headers=headers, json=contract).status_code == 201
    delay = {"reported_on": "2025-09-01", "days": 45, "reason": "Vướng giải phóng mặt bằng"}
    assert client.post(f"{base}/delays", headers=headers, json=delay).status_code == 201
    plan = {"period": "2026-2030", "source": "city", "amount": 30_000}
    assert client.post(f"{base}/medium-term", headers=headers, json=plan).status_code == 201
    assert (
        client.post(f"{base}/medium-term", headers=headers, json={**plan, "period": "2031-2035"}).status_code
        == 422
    )
    settlement = {"settled_value": 49_000, "settled_on": "2027-10-01", "decision_number": "88/QĐ-UBND"}
    assert client.post(f"{base}/settlement", headers=headers, json=settlement).status_code == 422
    done = _project(city, code="DA-TEST-2", phase="completed")
    url = f"/api/v1/investment/projects/{done}/settlement"
    assert client.post(url, headers=headers, json=settlement).status_code == 201
    assert client.get(f"/api/v1/investment/projects/{done}").json()["phase"] == "settled"
    assert (
        client.get(f"/api/v1/investment/projects/{done}/money").json()["settlement"]["settled_value"]
        == 49_000
    )
    contracts = client.get(f"{base}/lists/contracts").json()["items"]
    assert contracts[0]["contractor"] == "Công ty TNHH Xây dựng Phú Lợi"
    sheet = load_workbook(io.BytesIO(client.get(f"{base}/lists/delays.xlsx").content)).active
    assert [c.value for c in sheet[1]] == ["Ngày ghi nhận", "Số ngày chậm", "Lý do"]
    assert [c.value for c in sheet[2]] == ["01/09/2025", 45, "Vướng giải phóng mặt bằng"]
    assert client.get(f"{base}/lists/khac").status_code == 422


def test_project_page_shows_progress_in_vietnamese(client, demo, settings, login):
    headers = login("lanhdao", ("leader", None))
    today = clock.today(settings)
    risky = tracking.at_risk(demo, today=today)[0]
    html = client.get(f"/can-bo/dau-tu/du-an/{risky['id']}", headers=headers).text
    for heading in (
        "Quyết định phê duyệt, điều chỉnh",
        "Mốc tiến độ",
        "Hợp đồng và nhà thầu",
        "Kế hoạch trung hạn",
    ):
        assert heading in html
    decisions = tracking.project_list(demo, kind="decisions", project_id=risky["id"], today=today).items
    assert decisions[-1]["number"] in html and decisions[-1]["total_investment_text"] in html
    assert "Phê duyệt dự án" in html and "approval" not in html and "2026-2030" in html


def test_demo_keeps_past_totals_and_settles_the_past(demo):
    totals = {p["programme"]: p["total"] for p in service.programme_totals(demo)}
    assert totals == {"2016-2020-city": 2_318_700, "2016-2020-province": 3_048_000}
    with demo.session() as session:
        from sqlalchemy import func, select

        from smartcity.investment.models import Decision, Settlement

        assert session.scalar(select(func.count()).select_from(Settlement)) == 167
        assert session.scalar(select(func.max(Decision.signed_on))) <= date(2026, 12, 5)


def test_reports_export_to_xlsx_and_dashboard_links_them(client, demo, settings, login):
    headers = login("lanhdao", ("leader", None))
    year = clock.today(settings).year
    response = client.get("/api/v1/investment/disbursements.xlsx", headers=headers, params={"year": year})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    report = service.disbursement_report(demo, year=year)
    assert rows[0][0] == "Mã dự án" and len(rows) == 1 + len(report)
    assert sum(r[4] for r in rows[1:]) == sum(r["amount"] for r in report) > 0
    page = client.get("/api/v1/investment/disbursements", headers=headers, params={"year": year, "limit": 3})
    assert page.json()["total"] == len(report) and len(page.json()["items"]) == 3
    late = service.disbursement_report(demo, year=year - 1)
    assert {r["in_time"] for r in late} == {"Trong hạn"}  # May payments were on extended capital
    for url, params in (
        ("/api/v1/investment/rates.xlsx", {"dimension": "source", "year": year}),
        ("/api/v1/investment/slowest.xlsx", {}),
        ("/api/v1/investment/at-risk.xlsx", {}),
    ):
        response = client.get(url, headers=headers, params=params)
        assert response.status_code == 200, url
        assert load_workbook(io.BytesIO(response.content)).active.max_row > 1
    assert client.get("/api/v1/investment/disbursements.xlsx", params={"year": year}).status_code == 401
    html = client.get("/can-bo/dau-tu", headers=headers).text
    assert "/api/v1/investment/disbursements.xlsx" in html and "Dự án có nguy cơ chậm" in html


def test_slowest_projects_follow_adjustments_and_the_deadline(city):
    from smartcity.investment.models import CapitalPlan

    pid = _project(city)
    with city.write_session() as session:
        session.add(CapitalPlan(project_id=pid, year=2025, source="city", amount=100))
    service.add_disbursement(
        city, actor=SYSTEM, project_id=pid, plan_year=2025, source="city", paid_on=date(2025, 6, 1), amount=40
    )
    service.add_disbursement(
        city, actor=SYSTEM, project_id=pid, plan_year=2025, source="city", paid_on=date(2026, 3, 1), amount=60
    )
    tracking.add_adjustment(
        city,
        actor=SYSTEM,
        project_id=pid,
        data={"year": 2025, "source": "city", "amount": 100, "decided_on": date(2025, 7, 1)},
    )
    row = service.slowest_projects(city, year=2025)[0]
    assert (row["planned"], row["disbursed"], row["percent"]) == (200, 40, 20.0)
