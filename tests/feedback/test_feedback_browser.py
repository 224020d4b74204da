"""In headless Chromium: drop a pin, see the nearby duplicate, submit; the map shows it; the console works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.feedback import service
from tests.feedback.conftest import CITIZEN, PASSWORD, PHU_CUONG, SECRET, SYSTEM
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app, city) -> Iterator[str]:
    """The app served with the city loaded (SQLite only: the browser test runs once)."""
    run_once_on_sqlite(city)
    with served(app) as url:
        yield url


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A fresh page in headless Chromium."""
    with chromium_page(height=1000) as fresh:
        yield fresh


def test_citizen_pins_a_report_sees_the_duplicate_and_the_map(live_server, page, city, report_data):
    existing = service.submit_report(city, actor=CITIZEN, data=report_data(), secret=SECRET).report.code
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/phan-anh/gui")
    page.select_option("#category_code", "ha-tang")
    page.wait_for_selector("#fb-pick[data-ready=true]", timeout=20000)
    target = [PHU_CUONG[0] + 0.0001, PHU_CUONG[1]]  # about 11 m from the existing report
    page.evaluate(f"() => window.feedbackPickMap.jumpTo({{center: {target}, zoom: 17}})")  # zoom in
    point = page.evaluate(f"() => window.feedbackPickMap.project({target})")
    box = page.locator("#fb-pick").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector("#nearby[data-count='1']", timeout=10000)
    assert existing in page.inner_text("#nearby")
    assert abs(float(page.input_value("#lat")) - PHU_CUONG[1]) < 0.001
    page.fill("#description", "Đèn đường tắt, tối om cả đoạn")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-code")
    code = page.inner_text("#report-code")
    assert code.startswith("PA-") and page.inner_text("#reporter-key")

    page.goto(f"{live_server}/phan-anh")
    page.wait_for_selector("#fb-map[data-ready=true]", timeout=20000)
    assert page.get_attribute("#fb-map", "data-report-count") == "2"
    assert "Đèn đường tắt, tối om cả đoạn" in page.inner_text("#report-list")
    assert errors == []


def test_operator_takes_a_call_in_the_console(live_server, page, city):
    accounts_service.create_user(
        city, actor=SYSTEM, username="tongdai", password=PASSWORD, roles=[("operator", None)]
    )
    page.goto(f"{live_server}/login?next=/can-bo/phan-anh/tong-dai")
    page.fill("input[name=username]", "tongdai")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#console-form")
    page.fill("#reporter_phone", "0908 765 432")
    page.select_option("#category_code", "an-ninh-trat-tu")
    page.fill("#console-form textarea[name=description]", "Tụ tập đua xe trên đường Yersin")
    page.fill("#lat", str(PHU_CUONG[1]))
    page.fill("#lon", str(PHU_CUONG[0]))
    page.check("#console-form input[name=urgent]")
    page.click("#console-form button[type=submit]")
    page.wait_for_selector("#console-message")
    assert "PA-" in page.inner_text("#console-message")
    assert "PA-" in page.inner_text("#urgent")
    page.fill("#caller-lookup input[name=phone]", "0908765432")
    page.click("#caller-lookup button[type=submit]")
    page.wait_for_selector("#earlier li a")
