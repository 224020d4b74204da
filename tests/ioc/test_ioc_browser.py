"""In headless Chromium: the operator opens the centre (indicators with trends and targets, the live map),
a camera's accident arrives on the live feed without reload, is handled through its playbook to closure on
the incident page, and its public alert is on the portal and in the CAP feed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from smartcity.accounts import service as accounts_service
from smartcity.ioc import demo
from smartcity.ioc.live import hub
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from tests.ioc.conftest import PASSWORD, SYSTEM, YERSIN, login
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app, pki, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served with the city, the PKI and the centre's demo past (SQLite only)."""
    run_once_on_sqlite(pki)
    for n in range(3):
        iot_service.register_device(
            pki,
            actor=SYSTEM,
            data=iot_schemas.DeviceCreate(
                id=f"SL-Y{n}",
                type="streetlight",
                location=iot_schemas.GeoPoint(coordinates=(YERSIN[0] + 0.0004 * n, YERSIN[1])),
            ),
        )
    demo.load_demo(pki, settings=settings, actor=SYSTEM)
    with served(app) as url:
        yield url


def test_operator_handles_a_camera_accident_from_the_live_view_to_closure(live_server, client, pki, tmp_path):
    accounts_service.create_user(
        pki, actor=SYSTEM, username="vanhanh", password=PASSWORD, roles=[("operator", None), ("head", None)]
    )
    camera = login(client, "camera_gw", [("integrator", None)])
    errors: list[str] = []
    with chromium_page(width=1400, height=1000) as page:
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/login?next=/ioc")
        page.fill("input[name=username]", "vanhanh")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#ioc-map[data-ready=true]", timeout=30000)
        assert page.locator(".widget").count() >= 10
        assert "Mục tiêu" in page.inner_text(".widgets")
        page.wait_for_selector(".spark[data-points]", timeout=15000)
        # a total's day so far (today's dossiers) is left off its sparkline, as off the indicator's chart
        received = '.spark[data-spark="dossiers.received"][data-running]'
        assert page.wait_for_selector(received, timeout=15000).get_attribute("data-running") == "apart"
        assert int(page.get_attribute("#ioc-map", "data-devices")) == 3
        open_before = int(page.get_attribute("#ioc-map", "data-incidents"))
        page.wait_for_selector("#feed[data-connected=true]", state="attached", timeout=10000)
        page.screenshot(path=str(tmp_path / "ioc-centre.png"))
        assert page.inner_text("#feed-empty") == "Chưa có sự kiện nào kể từ khi mở trang."
        aqi = {"code": "environment.days_aqi_above_moderate", "frequency": "daily", "value": 12.5}
        hub.publish("ioc.IndicatorComputed", {**aqi, "period_start": "", "target": 10.0, "level": "warning"})
        shown = page.wait_for_selector("#feed li:has-text('Cập nhật chỉ số')", timeout=10000).inner_text()
        assert "Tỷ lệ ngày-trạm có VN_AQI trên mức trung bình" in shown and "days_aqi" not in shown
        assert page.locator("#feed-empty").count() == 0

        event = {
            "type": "traffic_accident",
            "severity": 4,
            "lon": YERSIN[0],
            "lat": YERSIN[1],
            "source": "camera",
            "source_ref": "CAM-YERSIN-01/evt-77",
            "title": "Tai nạn liên hoàn trên đường Yersin",
        }
        created = httpx.post(f"{live_server}/api/v1/ioc/events", json=event, headers=camera)
        assert created.status_code == 201, created.text
        code = created.json()["incident"]["code"]
        page.wait_for_selector("#feed li:has-text('Tai nạn liên hoàn trên đường Yersin')", timeout=10000)
        page.wait_for_function(
            f"() => Number(document.getElementById('ioc-map').dataset.incidents) > {open_before}",
            timeout=10000,
        )
        assert page.url.endswith("/ioc")  # no reload: the same page got it

        page.goto(f"{live_server}/can-bo/dieu-hanh/su-co/{code}")
        assert "Đã gửi lệnh sáng 100% tới" in page.inner_text(".steps")
        for to in ("acknowledged", "active"):
            page.click(f"button[data-to={to}]")
        assert "Tai nạn giao thông" in page.inner_text("#alerts")
        while page.locator(".steps form button").count():
            page.locator(".steps form button").first.click()
        page.click("button[data-to=resolved]")
        page.fill(
            "textarea[name=closure_report]", "Hai ô tô va chạm, không có thương vong; thông xe sau 35 phút."
        )
        page.click("button[data-to=closed]")
        assert page.inner_text("#state") == "Đã đóng"
        page.screenshot(path=str(tmp_path / "ioc-incident.png"), full_page=True)

        page.goto(f"{live_server}/canh-bao")
        assert "Tai nạn liên hoàn trên đường Yersin" in page.inner_text("#public-alerts")

        # the year's chart of a total ends at the last complete month; the month so far is stated, not drawn
        page.goto(f"{live_server}/can-bo/dieu-hanh/chi-so/dossiers.received")
        chart = page.wait_for_selector("#chart[data-running]", timeout=15000)
        assert chart.get_attribute("data-running") == "apart"
        assert re.fullmatch(r"Tháng \d{1,2}/\d{4}: [\d.,]+", page.inner_text(".chart-current"))
        note = page.inner_text(".chart-note")
        assert "tính đến hiện tại: " in note and "không vẽ trên biểu đồ" in note

        # an incident opened by hand: its place picked on the form's map, not typed as numbers
        page.goto(f"{live_server}/can-bo/dieu-hanh/su-co")
        page.click("#mo-su-co summary")
        picker = page.wait_for_selector("#incident-pick[data-ready=true]", timeout=20000)
        box = picker.bounding_box()
        assert (
            box is not None and box["height"] > 200
        )  # drawn when opened, not at no size inside the closed form
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        lon, lat = (
            float(page.input_value("#mo-su-co input[name=lon]")),
            float(page.input_value("#mo-su-co input[name=lat]")),
        )
        assert 106.5 < lon < 106.8 and 10.9 < lat < 11.2, (lon, lat)
        page.fill("#mo-su-co input[name=title]", "Cây đổ chắn đường")
        page.click("#mo-su-co button[type=submit]")
        page.wait_for_load_state()
        assert "/can-bo/dieu-hanh/su-co/SC-" in page.url and "Phường" in page.inner_text("main")
    feed = httpx.get(f"{live_server}/cap/alerts.atom").text
    assert "Tai nạn liên hoàn trên đường Yersin" in feed
    assert errors == []
