"""In headless Chromium: axe-core on every public page (no serious or critical WCAG 2.1 A/AA violation), and
the core paths without JavaScript (find a procedure, look up a dossier, send a report)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from smartcity.accounts.service import create_user
from smartcity.core.security import Actor
from smartcity.portal.demo import load_demo
from tests.support import chromium_browser, run_once_on_sqlite, served

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Browser-portal-1"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PUBLIC_PAGES = (
    "/",
    "/tim-kiem?q=khai+sinh",
    "/tim-kiem?q=xyzzy",
    "/tin-tuc",
    "/tin-tuc/xay-dung-thu-dau-mot-do-thi-thong-minh",
    "/trang/gioi-thieu",
    "/lien-he",
    "/du-lieu-mo",
    "/du-lieu-mo/procedures-catalogue",
    "/du-lieu-mo/gis-planning-zones",
    "/thu-tuc",
    "/tra-cuu",
    "/phan-anh",
    "/phan-anh/gui",
    "/ban-do",
    "/ban-do-quy-hoach",
    "/login",
    "/?lang=en",
)
SIGNED_IN_PAGES = ("/cua-toi", "/ho-so", "/phan-anh/cua-toi")


@pytest.fixture
def live_server(app, public_city, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app with the public city, the demo news and a citizen, served on a free port."""
    run_once_on_sqlite(public_city)
    load_demo(public_city, settings=settings, actor=Actor.system("demo"))
    create_user(
        public_city, actor=Actor.system("t"), username="congdan", password=PASSWORD, roles=[("citizen", None)]
    )
    with served(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium."""
    with chromium_browser() as chromium:
        yield chromium


def _serious(page: Any) -> list[str]:
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    assert len(result["passes"]) > 10, "axe-core did not run its rules"
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_public_page_passes_axe(live_server, browser):
    # axe is the test's own tool, injected as a script: the page's CSP (no inline script) must not stop it
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    problems: dict[str, list[str]] = {}
    code = None
    for path in PUBLIC_PAGES:
        answer = page.goto(f"{live_server}{path}", wait_until="load")
        assert answer is not None and answer.status == 200, path
        problems[path] = _serious(page)
        if path == "/thu-tuc":
            code = page.get_attribute("a[href^='/thu-tuc/']", "href")
    assert code is not None
    page.goto(f"{live_server}{code}")
    problems[code] = _serious(page)

    page.goto(f"{live_server}/login?next=/cua-toi")
    page.fill("input[name=username]", "congdan")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/cua-toi")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-citizen-space.png"), full_page=True)
    for path in SIGNED_IN_PAGES:
        page.goto(f"{live_server}{path}")
        problems[path] = _serious(page)
    context.close()
    failing = {path: found for path, found in problems.items() if found}
    assert not failing, failing

    page = browser.new_page(bypass_csp=True)
    page.goto(f"{live_server}/lien-he")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=/x.png><input>')")
    found = " ".join(_serious(page))
    assert "image-alt" in found and "label" in found, "the check itself finds what it should"


def test_the_core_paths_work_without_javascript(live_server, browser):
    context = browser.new_context(
        locale="vi-VN", java_script_enabled=False, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto(f"{live_server}/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "portal-home-phone.png"), full_page=True)
    page.fill("#home-q", "dang ky khai sinh")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/tim-kiem?q=*")
    page.click("a[href^='/thu-tuc/']:has-text('khai sinh')")
    assert "Đăng ký khai sinh" in page.inner_text("h1")

    page.goto(f"{live_server}/tra-cuu")
    page.fill("#code", "UBND-000000-0000")
    page.fill("#second_factor", "0912345678")
    page.click("main form button[type=submit]")
    assert page.url.endswith("/tra-cuu")
    assert "Không tìm thấy" in page.inner_text("main")

    page.goto(f"{live_server}/phan-anh/gui")
    page.select_option("#category_code", "ha-tang")
    page.fill("#description", "Ổ gà sâu giữa đường Bạch Đằng, xe máy dễ té")
    page.fill("#address", "Đường Bạch Đằng, gần chợ Thủ Dầu Một")
    page.select_option("#ward_code", index=1)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-code")
    assert page.inner_text("#report-code").startswith("PA-")
    context.close()
