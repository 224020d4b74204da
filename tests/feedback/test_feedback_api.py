"""The JSON API /api/v1/feedback: submit, list, act, photos, callers, nearby, statistics and KPIs."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.config import Settings
from smartcity.core.kpis import KpiContext
from smartcity.feedback import service
from smartcity.feedback.kpis import INDICATORS
from tests.feedback.conftest import BEFORE, CITIZEN, OPERATOR, PHU_CUONG, SECRET, jpeg_with_gps

BODY = {
    "category_code": "ha-tang",
    "description": "Đèn đường tắt cả tuần, gọi 0912345678",
    "lon": PHU_CUONG[0],
    "lat": PHU_CUONG[1],
    "address": "Đường Yersin",
    "reporter_phone": "0912345678",
}


def test_anonymous_report_then_reporter_key_and_duplicates(client, city):
    first = client.post("/api/v1/feedback/reports", json=BODY)
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["reporter_key"] and result["nearby"] == []
    assert "0912345678" not in result["report"]["description"]
    code = result["report"]["code"]
    second = client.post("/api/v1/feedback/reports", json={**BODY, "lon": PHU_CUONG[0] + 0.0002}).json()
    assert [n["code"] for n in second["nearby"]] == [code]
    nearby = client.get(
        "/api/v1/feedback/nearby",
        params={"category": "ha-tang", "lat": PHU_CUONG[1], "lon": PHU_CUONG[0], "radius_m": 100},
    ).json()
    assert {n["code"] for n in nearby} == {code, second["report"]["code"]}
    public = client.get(f"/api/v1/feedback/reports/{code}").json()
    assert "original_description" not in public and "token" not in public
    key = {"reporter_key": result["reporter_key"]}
    photo = client.post(
        f"/api/v1/feedback/reports/{code}/photos",
        data=key,
        files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert photo.status_code == 201, photo.text
    assert client.get(photo.json()["url"]).headers["content-type"] == "image/jpeg"
    refused = client.post(
        f"/api/v1/feedback/reports/{code}/photos",
        data={"reporter_key": "wrong"},
        files={"file": ("a.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert refused.status_code == 403
    not_image = client.post(
        f"/api/v1/feedback/reports/{code}/photos",
        data={"reporter_key": result["reporter_key"]},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert not_image.status_code == 415 and not_image.headers["content-type"] == "application/problem+json"


def test_bad_input_gets_problem_details(client, city):
    outside = client.post("/api/v1/feedback/reports", json={**BODY, "lon": 106.8, "lat": 10.8})
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "lat"
    assert client.post("/api/v1/feedback/reports", json={**BODY, "lat": 123}).status_code == 422
    assert client.post("/api/v1/feedback/reports", json={**BODY, "category_code": "x"}).status_code == 404
    assert (
        client.post(
            "/api/v1/feedback/reports", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )


def test_staff_workflow_over_http(client, city, login):
    operator = login("tongdai1", ("operator", None))
    citizen = login("dan1", ("citizen", None))
    code = client.post("/api/v1/feedback/reports", json=BODY, headers=citizen).json()["report"]["code"]
    assert client.post(f"/api/v1/feedback/reports/{code}/accept", json={}, headers=citizen).status_code == 403
    assert client.post(f"/api/v1/feedback/reports/{code}/accept", json={}).status_code == 403
    accepted = client.post(
        f"/api/v1/feedback/reports/{code}/accept", json={"comment": "Đã nhận"}, headers=operator
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    wrong = client.post(f"/api/v1/feedback/reports/{code}/close", json={}, headers=operator)
    assert wrong.status_code == 409
    resolved = client.post(
        f"/api/v1/feedback/reports/{code}/resolve", json={"comment": "Đã thay bóng"}, headers=operator
    ).json()
    assert resolved["status"] == "resolved" and resolved["open311_status"] == "closed"
    rated = client.post(f"/api/v1/feedback/reports/{code}/rate", json={"rating": 2}, headers=citizen)
    assert rated.status_code == 200 and rated.json()["rating"] == 2
    mine = client.get("/api/v1/feedback/reports", params={"mine": "true"}, headers=citizen).json()
    assert [r["code"] for r in mine["items"]] == [code]
    contact = client.get(f"/api/v1/feedback/reports/{code}/contact", headers=operator).json()
    assert contact["phone"] == "0912345678"
    assert client.get(f"/api/v1/feedback/reports/{code}/contact", headers=citizen).status_code == 403
    calls = client.get("/api/v1/feedback/callers", params={"phone": "0912 345 678"}, headers=operator).json()
    assert [r["code"] for r in calls] == [code]
    listed = client.get("/api/v1/feedback/reports", params={"status": "resolved"}, headers=operator).json()
    assert listed["total"] == 1 and listed["items"][0]["channel"] == "web"
    geo = client.get("/api/v1/feedback/reports.geojson").json()
    assert geo["features"][0]["geometry"]["coordinates"] == [PHU_CUONG[0], PHU_CUONG[1]]
    assert client.post(f"/api/v1/feedback/reports/{code}/fly", json={}, headers=operator).status_code == 404


def test_statistics_and_kpis(client, city, report_data):
    def submit(**fields):
        return service.submit_report(
            city, actor=CITIZEN, data=report_data(**fields), secret=SECRET, at=BEFORE
        ).report.code

    on_time, late = submit(), submit(category_code="an-ninh-trat-tu")
    submit(channel="hotline")  # stays open past its deadline
    service.accept_report(city, actor=OPERATOR, code=on_time, at=BEFORE + timedelta(hours=1))
    service.resolve_report(city, actor=OPERATOR, code=on_time, comment="Xong", at=BEFORE + timedelta(days=1))
    service.rate_report(city, actor=CITIZEN, code=on_time, rating=3, at=BEFORE + timedelta(days=2))
    service.resolve_report(city, actor=OPERATOR, code=late, comment="Xong", at=BEFORE + timedelta(days=3))
    service.rate_report(city, actor=CITIZEN, code=late, rating=1, at=BEFORE + timedelta(days=4))
    stats = client.get(
        "/api/v1/feedback/stats",
        params={"start": "2025-03-01T00:00:00+07:00", "end": "2025-03-31T00:00:00+07:00"},
    ).json()
    assert stats["total"] == 3 and stats["resolved"] == 2 and stats["accepted"] == 2
    assert stats["share_within_deadline"] == 0.5 and stats["overdue_open"] == 1
    assert stats["mean_rating"] == 2.0 and stats["share_satisfied"] == 0.5
    assert stats["mean_hours_to_accept"] == 36.5  # 1 h, and 72 h (accepted when resolved)
    assert {b["key"]: b["count"] for b in stats["by_channel"]} == {"web": 2, "hotline": 1}
    assert {b["key"] for b in stats["by_ward"]} == {"25747"}
    assert stats["by_month"] == [{"key": "2025-03", "label": "2025-03", "count": 3}]
    assert client.get("/api/v1/feedback/stats", params={"start": "2025-03-01T00:00:00"}).status_code == 400
    indicator = next(i for i in INDICATORS if i.code == "feedback.share_within_deadline")
    context = KpiContext(
        settings=Settings(),
        start=BEFORE - timedelta(days=1),
        end=BEFORE + timedelta(days=30),
        on=BEFORE.date(),
    )
    kpi = next(v for v in indicator.compute(city, context) if v.ward is None)
    assert (kpi.value, kpi.numerator, kpi.denominator, indicator.direction) == (50.0, 1.0, 2.0, "up")


def test_overdue_indicator_counts_every_report_open_and_late_at_the_period_end(city, report_data):
    """A day's "open reports past their deadline" are all those still open and late at its end, whatever day
    they came in; not only that day's own reports (which can hardly be late yet)."""

    def submit(at):
        return service.submit_report(
            city, actor=CITIZEN, data=report_data(), secret=SECRET, at=at
        ).report.code

    day = BEFORE + timedelta(days=20)
    _still_open, resolved_early, resolved_after_the_day = submit(BEFORE), submit(BEFORE), submit(BEFORE)
    submit(day + timedelta(hours=1))  # that day's own: not late by its end
    service.resolve_report(
        city, actor=OPERATOR, code=resolved_early, comment="Xong", at=BEFORE + timedelta(hours=3)
    )
    service.resolve_report(
        city, actor=OPERATOR, code=resolved_after_the_day, comment="Xong", at=day + timedelta(days=2)
    )
    indicator = next(i for i in INDICATORS if i.code == "feedback.overdue_open")
    context = KpiContext(settings=Settings(), start=day, end=day + timedelta(days=1), on=day.date())
    late = {v.ward: v.value for v in indicator.compute(city, context)}
    assert late[None] == 2.0 and late["25747"] == 2.0  # _still_open and resolved_after_the_day
    before_any = KpiContext(
        settings=Settings(), start=BEFORE, end=BEFORE + timedelta(hours=1), on=BEFORE.date()
    )
    assert [v.value for v in indicator.compute(city, before_any)] == [0.0]
