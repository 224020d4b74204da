"""Indicators: catalogue, computation, series by ward across 1 July 2025, targets, NGSI-LD."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from smartcity.city import service as city_service
from smartcity.core.i18n import written_in_vietnamese
from smartcity.core.kpis import Indicator
from smartcity.feedback import service as feedback_service
from smartcity.feedback.schemas import ReportCreate
from smartcity.ioc import service
from smartcity.ioc.service.indicators import period_of
from tests.ioc.conftest import LEADER, SYSTEM, login

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
BEFORE = datetime(2025, 3, 10, 9, 0, tzinfo=LOCAL)  # 14 wards
AFTER = datetime(2025, 9, 15, 9, 0, tzinfo=LOCAL)  # 5 wards
PHU_CUONG = (106.655, 10.98)


def report(db, settings, at: datetime) -> None:  # type: ignore[no-untyped-def]
    data = ReportCreate(
        category_code="ha-tang",
        description="Ổ gà lớn giữa đường, xe máy dễ té.",
        lon=PHU_CUONG[0],
        lat=PHU_CUONG[1],
        address="Đường Bạch Đằng",
    )
    feedback_service.submit_report(db, actor=SYSTEM, data=data, secret=settings.resolved_secret_key, at=at)


def test_the_catalogue_gathers_every_domains_indicators_with_their_references():
    indicators = service.catalogue()
    codes = {i.code for i in indicators}
    assert {
        "dossiers.on_time_share",
        "dossiers.online_share",
        "feedback.share_within_deadline",
        "iot.devices_reporting",
        "iot.open_alarms",
    } <= codes
    assert all(isinstance(i, Indicator) and i.name_vi and i.name_en and i.formula_vi for i in indicators)
    assert (
        next(i for i in indicators if i.code == "feedback.mean_days_to_resolve").iso_reference
        == "ISO 37122:2019, 10.3"
    )


def test_every_indicator_says_how_it_is_computed_in_english_too():
    indicators = service.catalogue()
    missing = {i.code for i in indicators if not i.formula_en.strip()}
    assert not missing, sorted(missing)
    written = [i for i in indicators if i.formula_en]
    assert not [i.code for i in written if written_in_vietnamese(i.formula_en)]
    received = next(i for i in indicators if i.code == "dossiers.received")
    assert received.formula("en") == "dossiers submitted in the period"
    assert received.formula("vi") == received.formula_vi == "số hồ sơ nộp trong kỳ"
    unwritten = replace(received, formula_en="")
    assert unwritten.formula("en") == "số hồ sơ nộp trong kỳ"  # Vietnamese rather than nothing


def test_a_ward_series_crossing_the_reorganisation_maps_old_wards_to_their_successor(city, settings):
    for at in (BEFORE, BEFORE, AFTER):
        report(city, settings, at)
    indicator = service.get_indicator(city, "feedback.reports")
    for moment in (BEFORE, AFTER):
        start, end = period_of(moment, "monthly", settings)
        service.compute(city, settings, indicator, frequency="monthly", start=start, end=end)
    old = city_service.ward_at(city, lon=PHU_CUONG[0], lat=PHU_CUONG[1], on=BEFORE.date())
    new = city_service.ward_at(city, lon=PHU_CUONG[0], lat=PHU_CUONG[1], on=AFTER.date())
    assert old and new and old.name == "Phường Phú Cường" and new.name == "Phường Thủ Dầu Một"
    points = service.series(
        city, settings=settings, code="feedback.reports", frequency="monthly", ward=new.code
    )
    assert [(p.start.astimezone(LOCAL).strftime("%Y-%m"), p.value, p.mapped) for p in points] == [
        ("2025-03", 2.0, True),
        ("2025-09", 1.0, False),
    ]
    city_points = service.series(city, settings=settings, code="feedback.reports", frequency="monthly")
    assert [p.value for p in city_points] == [2.0, 1.0]


def test_compute_on_demand_targets_levels_and_the_api(client, city, settings):
    report(city, settings, datetime.now(LOCAL) - timedelta(days=1))  # yesterday: a complete day
    operator = login(client, "vanhanh", [("operator", None)])
    assert client.post("/api/v1/ioc/indicators/compute", headers=operator).json()["computed"] >= 20
    rows = {r["code"]: r for r in client.get("/api/v1/ioc/indicators", headers=operator).json()}
    # a total over the day: yesterday's, not today's that has only begun
    assert rows["feedback.reports"]["value"] == 1.0 and rows["feedback.reports"]["level"] == "ok"
    assert rows["feedback.reports"]["accumulates"] and rows["feedback.reports"]["period_running"] is False
    assert client.get("/api/v1/ioc/indicators", headers={}).status_code == 401
    updated = service.set_target(
        city, actor=LEADER, code="feedback.reports", target=0.0, thresholds=[0.5, 0.8]
    )
    assert updated.target == 0.0 and service.level_of(updated, 1.0) == "critical"
    assert service.progress(service.get_indicator(city, "dossiers.online_share"), 40.0) == 50.0
    series = client.get("/api/v1/ioc/indicators/feedback.reports", headers=operator).json()
    assert series["indicator"]["target"] == 0.0
    assert [p["value"] for p in series["points"]][-2:] == [1.0, 0.0]  # yesterday, today so far
    assert {w["name"] for w in series["wards"]} and all("code" not in w for w in series["wards"])
    assert client.get("/api/v1/ioc/indicators/nope.nothing", headers=operator).status_code == 404
    bad = client.get(
        "/api/v1/ioc/indicators/feedback.reports", params={"start": "2025-01-01T00:00:00"}, headers=operator
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_indicators_as_ngsi_ld_key_performance_indicators(client, city, settings):
    service.compute_now(city, settings=settings, codes=["feedback.reports"])
    response = client.get("/api/v1/ioc/ngsi-ld/entities", params={"type": "KeyPerformanceIndicator"})
    assert response.status_code == 200 and "json-ld#context" in response.headers["link"]
    entity = next(
        e for e in response.json() if e["id"] == "urn:ngsi-ld:KeyPerformanceIndicator:feedback.reports"
    )
    assert entity["type"] == "KeyPerformanceIndicator"
    assert entity["kpiValue"]["type"] == "Property" and entity["kpiValue"]["value"] == 0.0
    assert entity["calculationFrequency"]["value"] == "daily" and entity["kpiValue"]["observedAt"].endswith(
        "Z"
    )
    one = client.get(
        f"/api/v1/ioc/ngsi-ld/entities/{entity['id']}",
        params={"options": "keyValues"},
        headers={"Accept": "application/ld+json"},
    )
    assert one.json()["kpiValue"] == 0.0 and one.json()["@context"].endswith(
        "/api/v1/ioc/ngsi-ld/context.jsonld"
    )
    context = client.get("/api/v1/ioc/ngsi-ld/context.jsonld").json()["@context"]
    assert context["kpiValue"].startswith("https://smartdatamodels.org/dataModel.KeyPerformanceIndicator/")


def test_an_indicator_without_thresholds_is_judged_by_its_target() -> None:
    """With no warning levels, a value short of the target is a warning (a card's colour says so), one that
    reaches it is ok, and an indicator with neither is never coloured."""
    up = Indicator(
        code="x.rate",
        name_vi="Tỷ lệ",
        name_en="Rate",
        unit="%",
        formula_vi="",
        direction="up",
        compute=lambda db, ctx: [],
        target=95.0,
    )
    down = replace(up, direction="down", target=3.0)
    assert [service.level_of(up, v) for v in (38.3, 95.0, None)] == ["warning", "ok", "ok"]
    assert [service.level_of(down, v) for v in (4.0, 2.5)] == ["warning", "ok"]
    assert service.level_of(replace(up, target=None), 1.0) == "ok"
    assert service.level_of(replace(up, thresholds=(30.0, 60.0)), 38.3) == "warning"
