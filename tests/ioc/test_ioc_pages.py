"""The centre's pages with a browser-like client: staff only, Vietnamese first, English, names not codes."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any, cast

from fastapi.testclient import TestClient

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.ioc import demo
from smartcity.ioc import service as ioc_service
from smartcity.ioc.views import number
from tests.ioc.conftest import PASSWORD, SYSTEM
from tests.support import csrf_of, sign_in

WARD_CODE = re.compile(r"\b2[5-6]\d{3}\b")


def browser(app, username: str | None, roles: list[tuple[str, str | None]]) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, headers={"Accept": "text/html"})
    if username:
        accounts_service.create_user(
            app.state.db, actor=SYSTEM, username=username, password=PASSWORD, roles=roles
        )
        sign_in(client, username, PASSWORD, "/ioc")
    return client


def _feed_words(page: str) -> dict[str, Any]:
    """The words the centre page gives its script (the live feed's among them)."""
    found = re.search(r'<script id="ioc-i18n" type="application/json">(.*?)</script>', page, re.S)
    assert found
    return cast(dict[str, Any], json.loads(found.group(1)))


def test_staff_pages_of_the_centre_in_both_languages(app, pki, settings):
    demo.load_demo(pki, settings=settings, actor=SYSTEM)
    anonymous = browser(app, None, [])
    assert anonymous.get("/ioc", follow_redirects=False).headers["location"].startswith("/login")
    citizen = browser(app, "congdan", [("citizen", None)])
    assert citizen.get("/ioc").status_code == 403
    assert "Bạn không có quyền truy cập" in citizen.get("/ioc").text

    staff = browser(app, "lanhdao", [("leader", None)])
    centre = staff.get("/ioc")
    assert centre.status_code == 200
    assert "Tỷ lệ hồ sơ giải quyết đúng hạn" in centre.text and "Mục tiêu" in centre.text
    assert "Đặt cấp cảnh báo toàn thành phố" in centre.text and "Theo dõi" in centre.text
    assert 'id="ioc-map"' in centre.text and "/static/vendor/uplot/uPlot.iife.min.js" in centre.text
    assert not re.search(r'(src|href)="(https?:)?//', centre.text), "everything is served locally"
    english = staff.get("/ioc?lang=en")
    assert "Intelligent Operations Centre" in english.text and "Dossiers settled on time" in english.text
    # the live feed names an indicator in the page's language, never by its code, and says when it is empty
    feed_vi, feed_en = _feed_words(staff.get("/ioc?lang=vi").text), _feed_words(english.text)
    aqi = "environment.days_aqi_above_moderate"
    assert feed_vi["indicators"][aqi] == "Tỷ lệ ngày-trạm có VN_AQI trên mức trung bình"
    assert feed_en["indicators"][aqi] == "Station-days with VN_AQI above moderate"
    assert set(feed_vi["indicators"]) == {i.code for i in ioc_service.catalogue()}
    assert (feed_vi["newEvent"], feed_en["newEvent"]) == ("Sự kiện mới", "New event")
    assert "No events since the page was opened." in english.text
    assert "Chế độ màn hình lớn" in staff.get("/ioc?lang=vi").text  # back to Vietnamese (cookie)
    assert "Chưa có sự kiện nào kể từ khi mở trang." in staff.get("/ioc").text
    assert (
        "ioc-wall" not in staff.get("/ioc").text.split("<main>")[0]
        and staff.get("/ioc?wall=1").status_code == 200
    )

    listing = staff.get("/can-bo/dieu-hanh/su-co?state=new&type=traffic_accident")
    code = re.search(r"/can-bo/dieu-hanh/su-co/(SC-\d{6}-\d{4})", listing.text).group(1)
    # The demo ran the incident's past timers (its escalations, its playbook's notice); what falls due
    # in the next two hours runs too: the playbook's notifications sent, the incident escalated.
    later = clock.now() + timedelta(hours=2)
    ioc_service.escalate_overdue(pki, settings=settings, now=later)
    ioc_service.run_due_steps(pki, settings=settings, now=later)
    page = staff.get(f"/can-bo/dieu-hanh/su-co/{code}")
    assert "Kịch bản xử lý" in page.text and "Nhật ký" in page.text
    shown = re.sub(r"<[^>]+>", " ", page.text.split("<main>")[1])
    assert not WARD_CODE.search(shown), "a ward code is shown to a person"
    assert not re.search(r"\b(new|acknowledged|active|traffic_accident|flooding|manual|automated)\b", shown)
    assert "Đã gửi thông báo tới: Nhân viên vận hành IOC" in shown and "chuyển cấp 1 (" in shown
    assert "role:" not in shown and not re.search(r"\((operator|head|leader)\)", shown)

    token = csrf_of(centre.text)
    staged = staff.post(
        "/ioc/stage",
        data={"stage": "2", "reason": "Mưa lớn kéo dài", "csrf_token": token},
        follow_redirects=False,
    )
    assert staged.status_code == 303 and "Cảnh báo" in staff.get("/ioc").text
    assert (
        staff.post("/ioc/stage", data={"stage": "2", "reason": "x y z"}, follow_redirects=False).status_code
        == 403
    )

    indicator = staff.get("/can-bo/dieu-hanh/chi-so/dossiers.on_time_share")
    assert indicator.status_code == 200 and "Phường Thủ Dầu Một" in indicator.text
    assert "Trước 01/07/2025, số liệu của các phường cũ" in indicator.text  # the day asked of city's service
    assert staff.get("/can-bo/dieu-hanh/linh-vuc/feedback").status_code == 200
    # indicators in Vietnamese: a domain by its name, no English in references and formulas, units in words
    assert "Dữ liệu mở" in centre.text and ">opendata<" not in centre.text
    opendata = staff.get("/can-bo/dieu-hanh/chi-so/opendata.downloads").text
    assert "· <a" in opendata and ">Dữ liệu mở</a>" in opendata and ">opendata</a>" not in opendata
    english = (
        "city services requested online",
        "(check)",
        "online health record",
        "(Patient)",
        "(Encounter)",
    )
    for code in (
        "dossiers.online_share",
        "education.students",
        "education.learning_devices_per_1000",
        "health.record_coverage",
    ):
        shown = staff.get(f"/can-bo/dieu-hanh/chi-so/{code}").text
        assert not [words for words in english if words in shown], code
    assert number(0, "h") == "0 giờ" and number(12.5, "per 1000") == "12,5 trên 1.000"  # a unit in words
    assert staff.get("/can-bo/dieu-hanh/linh-vuc/nothing").status_code == 404
    english_page = staff.get("/can-bo/dieu-hanh/chi-so/dossiers.on_time_share?lang=en").text
    assert "Before 1 July 2025, the figures of the former wards" in english_page
    staff.get("/ioc?lang=vi")
    reports = staff.get("/can-bo/dieu-hanh/bao-cao")
    day = (clock.today(settings)).strftime("%d/%m/%Y")
    assert reports.status_code == 200 and day not in reports.text  # yesterday and before only
    link = re.search(r'href="(/can-bo/dieu-hanh/bao-cao/daily/[\d-]+\.pdf)"', reports.text).group(1)
    pdf = staff.get(link)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert staff.get("/can-bo/thong-bao").status_code == 200
    for layer in ("devices", "incidents", "reports", "dossiers", "cameras", "planning"):
        collection = staff.get(f"/api/v1/ioc/map/{layer}", params={"hours": 24}).json()
        assert collection["type"] == "FeatureCollection", layer
    incidents = staff.get("/api/v1/ioc/map/incidents").json()["features"]
    assert incidents and all(
        f["properties"]["state"] in ("new", "acknowledged", "active", "stable") for f in incidents
    )
    dossiers = staff.get("/api/v1/ioc/map/dossiers").json()["features"]
    assert len(dossiers) == 5 and all("dossiers" in f["properties"] for f in dossiers)
    assert staff.get("/api/v1/ioc/map/nothing").status_code == 404
    for asset in ("/ioc/static/ioc.js", "/ioc/static/charts.js", "/ioc/static/ioc.css"):
        assert staff.get(asset).status_code == 200
    assert staff.get("/ioc/static/../models.py").status_code == 404
