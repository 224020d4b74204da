"""The public map: one menu item per page (the main menu's), and the reports still being handled drawn above
the many done ones (the GeoJSON's order and the layer the page gives the script)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from smartcity.accounts import service as accounts_service
from smartcity.feedback import service
from smartcity.feedback.models import Report
from tests.feedback.conftest import BEFORE, CITIZEN, PASSWORD, SECRET, SYSTEM

SCRIPT = Path(__file__).resolve().parents[2] / "src/smartcity/feedback/static/feedback.js"


def _main_nav(html: str) -> str:
    return html.split('class="main-nav"')[1].split("</nav>")[0]


def test_the_feedback_pages_name_the_map_once_in_the_menu(client, city, report_data):
    code = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET).report.code
    for path in ("/phan-anh", "/phan-anh/gui", f"/phan-anh/{code}"):
        nav = _main_nav(client.get(path).text)
        assert nav.count('href="/phan-anh"') == 1, path
        assert "Phản ánh hiện trường" in nav and ">Phản ánh<" not in nav
    accounts_service.create_user(
        city, actor=SYSTEM, username="dan.menu", password=PASSWORD, roles=[("citizen", None)]
    )
    token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"username": "dan.menu", "password": PASSWORD, "csrf_token": token})
    nav = _main_nav(client.get("/phan-anh").text)
    assert (
        nav.count('href="/phan-anh"') == 1 and 'href="/phan-anh/cua-toi"' in nav
    )  # the page's own item stays


def _evaluate(expression: Any, properties: dict[str, Any]) -> Any:
    """A MapLibre expression of the few operators the layer uses, for one feature's properties."""
    if not isinstance(expression, list):
        return expression
    operator, *args = expression
    if operator == "get":
        return properties.get(args[0])
    if operator == "==":
        return _evaluate(args[0], properties) == _evaluate(args[1], properties)
    if operator == "case":
        for test, value in zip(args[:-1:2], args[1:-1:2], strict=True):
            if _evaluate(test, properties):
                return _evaluate(value, properties)
        return _evaluate(args[-1], properties)
    if operator == "match":
        found = _evaluate(args[0], properties)
        for label, value in zip(args[1:-1:2], args[2:-1:2], strict=True):
            if found == label or (isinstance(label, list) and found in label):
                return _evaluate(value, properties)
        return _evaluate(args[-1], properties)
    raise AssertionError(f"an operator the test does not know: {operator}")


def test_the_map_draws_open_reports_above_and_larger_than_done_ones(client, city):
    html = client.get("/phan-anh").text
    found = re.search(
        r'<script type="application/json" id="feedback-report-layer">(.*?)</script>', html, re.S
    )
    assert found, "the page gives the script the reports' layer"
    layer = json.loads(found.group(1))
    open_, done = {"open311_status": "open"}, {"open311_status": "closed"}
    sort_key = layer["layout"]["circle-sort-key"]  # MapLibre draws a higher key above a lower one
    assert _evaluate(sort_key, open_) > _evaluate(sort_key, done)
    paint = layer["paint"]
    assert _evaluate(paint["circle-radius"], open_) > _evaluate(paint["circle-radius"], done)
    assert _evaluate(paint["circle-opacity"], done) < _evaluate(paint["circle-opacity"], open_) == 1
    assert _evaluate(paint["circle-color"], open_) == "#e8710a"  # the legend's colours
    assert _evaluate(paint["circle-color"], done) == "#2e8b57"
    assert (
        "#e8710a" in html.split('class="map-legend"')[1] and "#2e8b57" in html.split('class="map-legend"')[1]
    )
    assert 'getElementById("feedback-report-layer")' in SCRIPT.read_text(encoding="utf-8")


def test_the_geojson_lists_the_done_reports_first_and_the_open_ones_last(client, city, report_data):
    codes = [
        service.submit_report(
            city, actor=CITIZEN, data=report_data(), secret=SECRET, at=BEFORE + timedelta(hours=hour)
        ).report.code
        for hour in range(4)
    ]
    done = {codes[0], codes[2]}  # the oldest and a middle one: newest first, an open one would come between
    with city.session() as s, s.begin():
        s.execute(update(Report).where(Report.code.in_(done)).values(status="closed"))
    features = client.get("/api/v1/feedback/reports.geojson").json()["features"]
    states = [f["properties"]["open311_status"] for f in features]
    assert sorted(f["properties"]["code"] for f in features) == sorted(codes)
    assert states == ["closed", "closed", "open", "open"]
    newest_first = [f["properties"]["code"] for f in features]
    assert newest_first == [codes[2], codes[0], codes[3], codes[1]]  # each group still newest first
