"""In headless Chromium, the city services of the demo: air quality, lighting, waste routes, cameras."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from smartcity.cameras import demo as cameras_demo
from smartcity.core.security import Actor
from smartcity.environment import demo as environment_demo
from smartcity.lighting import demo as lighting_demo
from smartcity.waste import demo as waste_demo
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser
PASSWORD = "Services-browser-test-1"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "services"


@pytest.fixture
def live_server(app, db, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from smartcity.accounts.service import ensure_admin

    run_once_on_sqlite(db)
    ensure_admin(db, username="admin", password=PASSWORD)
    actor = Actor.system("demo")
    for module in (environment_demo, lighting_demo, waste_demo, cameras_demo):
        module.load_demo(db, settings=settings, actor=actor)
    with served(app) as url:
        yield url


def test_the_services_pages_in_a_browser(live_server) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/moi-truong")
        page.wait_for_selector("#env-map[data-ready=true]", timeout=20000)
        assert page.locator("td.aqi").count() == 4
        page.screenshot(path=str(SHOTS / "moi-truong.png"), full_page=True)
        page.click("text=Trạm vòng xoay Ngã Sáu")
        page.wait_for_selector(".aqi-now")
        page.screenshot(path=str(SHOTS / "tram.png"), full_page=True)
        page.goto(f"{live_server}/login?next=/can-bo/chieu-sang")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/can-bo/chieu-sang")
        page.wait_for_selector("#lighting-map[data-ready=true]", timeout=20000)
        page.screenshot(path=str(SHOTS / "chieu-sang.png"), full_page=True)
        page.click("text=Bạch Đằng — lộ 1")
        page.wait_for_selector("#switch-on")
        page.screenshot(path=str(SHOTS / "nhom-den.png"), full_page=True)
        page.goto(f"{live_server}/can-bo/chieu-sang/phieu")
        page.click("tbody a >> nth=0")
        page.select_option("select[name=crew]", index=1)
        page.click("text=Giao việc")
        page.fill("input[name=resolution]", "Đã thay bộ nguồn LED")
        page.click("text=Đóng phiếu")
        page.wait_for_load_state()  # the click returns once the answer starts loading, not when it has
        assert page.locator("#ticket-state").inner_text() == "Đã xong"
        page.goto(f"{live_server}/can-bo/thu-gom")
        page.wait_for_selector("#waste-map[data-ready=true]", timeout=20000)
        page.screenshot(path=str(SHOTS / "thu-gom.png"), full_page=True)
        page.goto(f"{live_server}/can-bo/camera")
        page.wait_for_selector("#camera-map[data-ready=true]", timeout=20000)
        page.screenshot(path=str(SHOTS / "camera.png"), full_page=True)
        assert errors == []
