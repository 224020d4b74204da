"""Public investment through the API: programme totals, this year's rate, XLSX plan import, ward map."""

from __future__ import annotations

import io
import time

from openpyxl import Workbook, load_workbook
from shapely.geometry import shape

from smartcity.core import clock
from smartcity.investment import service


def _xlsx(rows: list[tuple[object, ...]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(service.TEMPLATE_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_leader_sees_2016_2020_totals_rate_and_slowest(client, demo, settings, login):
    headers = login("lanhdao", ("leader", None))
    body = client.get("/api/v1/investment/summary", headers=headers).json()
    programmes = {p["programme"]: p for p in body["programmes"]}
    assert programmes["2016-2020-province"]["projects"] == 61
    assert programmes["2016-2020-province"]["total"] == 3_048_000
    assert programmes["2016-2020-province"]["total_text"] == "3.048 tỷ đồng"
    assert programmes["2016-2020-city"]["projects"] == 106
    assert programmes["2016-2020-city"]["total_text"] == "2.318,7 tỷ đồng"
    roads = body["roads_2016_2020"]
    assert (roads["allocated"], roads["disbursed"], roads["roads_disbursed"]) == (3_558_800, 1_992_700, 77)
    assert body["year"] == clock.today(settings).year
    assert 0 < body["rate"]["percent"] < 100
    slowest = [s["percent"] for s in body["slowest"]]
    assert slowest == sorted(slowest) and len(slowest) == 5


def test_summary_is_for_staff_only(client, demo):
    assert client.get("/api/v1/investment/summary").status_code == 401


def test_demo_dates_nothing_in_the_future_and_draws_roads_in_the_city(demo, settings):
    today = clock.today(settings)
    features = service.projects_geojson(demo)["features"]
    assert len(features) == 61 + 106 + 14
    roads = [f for f in features if f["properties"]["kind"] == "road"]
    assert all(shape(f["geometry"]).geom_type == "LineString" for f in roads)
    with demo.session() as session:
        from sqlalchemy import func, select

        from smartcity.investment.models import Disbursement

        assert session.scalar(select(func.max(Disbursement.paid_on))) <= today


def test_demo_is_idempotent_and_fast(city, settings):
    from smartcity.investment.demo import load_demo
    from tests.investment.conftest import SYSTEM

    started = time.monotonic()
    load_demo(city, settings=settings, actor=SYSTEM)
    load_demo(city, settings=settings, actor=SYSTEM)
    assert time.monotonic() - started < 15
    assert len(service.list_projects(city)) == 181


def test_finance_officer_imports_a_plan_and_a_bad_row_stores_nothing(client, demo, login):
    headers = login("ketoan", ("specialist", None))
    before = service.disbursement_rate(demo, year=2027).planned
    bad = _xlsx(
        [
            ("DA-2026-001", "Ngân sách thành phố", 1000),
            ("KHONG-CO", "Ngân sách tỉnh", 5),
            ("DA-2026-002", "Tiền chợ", 7),
        ]
    )
    response = client.post(
        "/api/v1/investment/plans/2027/import", headers=headers, files={"file": ("kh.xlsx", bad)}
    )
    assert response.status_code == 422
    problem = response.json()
    assert (
        "Dòng 3" in problem["detail"] and "Dòng 4" in problem["detail"] and "Dòng 2" not in problem["detail"]
    )
    assert service.disbursement_rate(demo, year=2027).planned == before == 0
    good = _xlsx([("DA-2026-001", "Ngân sách thành phố", 1000), ("DA-2026-002", "Ngân sách tỉnh", 2500)])
    response = client.post(
        "/api/v1/investment/plans/2027/import", headers=headers, files={"file": ("kh.xlsx", good)}
    )
    assert response.status_code == 201, response.text
    assert service.disbursement_rate(demo, year=2027).planned == 3500


def test_citizen_cannot_import_and_template_is_served(client, demo, login):
    headers = login("congdan", ("citizen", None))
    response = client.post(
        "/api/v1/investment/plans/2027/import", headers=headers, files={"file": ("kh.xlsx", _xlsx([]))}
    )
    assert response.status_code == 403
    template = client.get("/api/v1/investment/plans/template.xlsx")
    sheet = load_workbook(io.BytesIO(template.content)).active
    assert tuple(c.value for c in sheet[1]) == service.TEMPLATE_HEADERS


def test_citizen_finds_works_in_their_ward(client, demo, settings):
    from smartcity.city import service as city_service

    today = clock.today(settings)
    wards = city_service.units_on(demo, on=today, level="ward")
    found = {}
    for ward in wards:
        features = client.get("/api/v1/investment/projects.geojson", params={"ward": ward.code}).json()[
            "features"
        ]
        for feature in features:
            assert feature["properties"]["wards_today"] == [ward.name]  # also works of the wards it took over
            assert "ward_codes" not in feature["properties"]
        found[ward.code] = len(features)
    every = client.get("/api/v1/investment/projects.geojson").json()["features"]
    assert sum(found.values()) == len(every) > 100


def test_carry_over_deadline_is_31_january_next_year():
    assert service.deadline_for_year(2025).isoformat() == "2026-01-31"


def test_projects_export_to_xlsx(client, demo):
    response = client.get("/api/v1/investment/projects.xlsx", params={"kind": "road"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value == "Mã dự án" and sheet.max_row == 1 + 40 + 50 + 7
