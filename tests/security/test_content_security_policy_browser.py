"""ASVS V3.4 in a real headless Chromium: under the site's Content-Security-Policy every page's scripts run
(maps drawn, charts drawn, a form behaviour, live values, server-sent events) and no violation is reported."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from smartcity.core.config import Settings
from smartcity.demo import DEMO_ADMIN, DemoLogin
from tests.support import chromium_browser, served

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""
MAP_PAGES = [  # (page, what its own script sets once its map has drawn; base-map.js sets data-map-drawn)
    ("/ban-do", "#map[data-ready=true]"),
    ("/ban-do-quy-hoach", "#plan-map[data-ready=true]"),
    ("/phan-anh", "#fb-map[data-ready=true]"),
    ("/phan-anh/gui", "#fb-pick[data-ready=true]"),
    ("/can-bo/chieu-sang", "#lighting-map[data-ready=true][data-map-drawn]"),
    ("/can-bo/camera", "#camera-map[data-ready=true][data-map-drawn]"),
    ("/can-bo/thu-gom", "#waste-map[data-ready=true][data-map-drawn]"),
    ("/moi-truong", "#env-map[data-ready=true][data-map-drawn]"),
    ("/can-bo/thiet-bi", "#iot-map[data-ready=true]"),
    ("/can-bo/giao-duc", "#edu-map[data-ready][data-map-drawn]"),
    ("/cong-trinh", "#inv-map[data-ready=true][data-map-drawn]"),
    ("/ioc", "#ioc-map[data-ready=true]"),
]


@pytest.fixture(scope="module")
def site(small_demo: tuple[Settings, str]) -> Iterator[tuple[str, DemoLogin]]:
    """The demo (small sizes, SQLite; a copy of the run's) served on a free loopback port."""
    from smartcity.web.app import create_app

    settings, password = small_demo
    with served(create_app(settings)) as url:
        yield url, DemoLogin(DEMO_ADMIN, password)


@dataclass
class Browsing:
    """A signed-in page and what the browser reported against it (CSP violations, script errors)."""

    page: Any
    reports: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        """Everything reported on the current page since the last call."""
        found = [*self.page.evaluate("() => window.__cspViolations"), *self.reports]
        self.reports.clear()
        return found


@pytest.fixture(scope="module")
def admin(site: tuple[str, DemoLogin]) -> Iterator[Browsing]:
    """Headless Chromium signed in as the demo administrator, watching for CSP violations."""
    url, login = site
    with chromium_browser() as browser:
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        context.add_init_script(WATCH_VIOLATIONS)  # run by the browser itself: not subject to the page's CSP
        browsing = Browsing(context.new_page())
        browsing.page.on(
            "console", lambda m: "Content Security Policy" in m.text and browsing.reports.append(m.text)
        )
        browsing.page.on("pageerror", lambda exc: browsing.reports.append(str(exc)))
        browsing.page.goto(f"{url}/login?next=/")
        browsing.page.fill("input[name=username]", login.username)
        browsing.page.fill("input[name=password]", login.password)
        browsing.page.click("button[type=submit]")
        browsing.page.wait_for_url(f"{url}/")
        yield browsing
        context.close()


def test_the_watch_sees_what_the_policy_blocks(site, admin):
    """The detector works: an inline script added to a page is refused and reported."""
    url, _ = site
    admin.page.goto(f"{url}/ban-do")
    admin.page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ranInline = true';"
        " document.body.appendChild(s); }"
    )
    admin.page.wait_for_function("() => window.__cspViolations.length > 0", timeout=5000)
    assert admin.page.evaluate("() => window.ranInline") is None
    assert any("script-src" in v for v in admin.violations())


@pytest.mark.parametrize(("path", "drawn"), MAP_PAGES)
def test_each_map_page_draws_its_map_without_a_violation(site, admin, path, drawn):
    url, _ = site
    admin.page.goto(f"{url}{path}")
    admin.page.wait_for_selector(drawn, state="attached", timeout=30000)
    assert admin.page.locator(f"{drawn} canvas").count() == 1  # MapLibre's canvas: its blob: worker ran
    assert admin.violations() == []


def test_page_words_reach_the_map_scripts_through_json_data_blocks(site, admin):
    url, _ = site
    admin.page.goto(f"{url}/ban-do")
    admin.page.wait_for_selector("#map[data-ready=true]", timeout=30000)
    city_words = "() => JSON.parse(document.getElementById('map').dataset.i18n).ward"
    assert admin.page.evaluate(city_words) == "Phường"
    admin.page.goto(f"{url}/ban-do-quy-hoach")
    admin.page.wait_for_selector("#plan-map[data-ready=true]", timeout=30000)
    assert admin.page.evaluate("() => document.getElementById('plan-map').dataset.lang") == "vi"
    assert admin.page.evaluate("() => window.planningMap.getLayer('parcels') !== undefined")
    admin.page.goto(f"{url}/phan-anh/gui")
    words = "() => JSON.parse(document.getElementById('feedback-i18n').textContent).join"
    assert admin.page.evaluate(words) == "Tham gia phản ánh này"
    assert admin.violations() == []


def test_a_dashboard_draws_its_charts_and_the_centre_gets_live_events(site, admin):
    url, _ = site
    admin.page.goto(f"{url}/ioc")
    admin.page.wait_for_selector("#feed[data-connected=true]", state="attached", timeout=15000)  # EventSource
    dashboard = admin.page.get_attribute("a[href^='/can-bo/dieu-hanh/linh-vuc/']", "href")
    admin.page.goto(f"{url}{dashboard}")
    admin.page.wait_for_selector(".chart[data-points] .uplot", timeout=15000)
    assert admin.page.locator(".chart .uplot canvas").count() >= 1
    assert admin.violations() == []


def test_the_editor_layer_pick_submits_on_change_without_an_inline_handler(site, admin):
    from smartcity.gis.views import EDITOR_PATH

    url, _ = site
    admin.page.goto(f"{url}{EDITOR_PATH}")
    options = admin.page.eval_on_selector_all("#layer-select option", "els => els.map(e => e.value)")
    current = admin.page.input_value("#layer-select")
    other = next(value for value in options if value != current)
    with admin.page.expect_navigation():
        admin.page.select_option("#layer-select", other)
    assert f"layer={other}" in admin.page.url
    assert admin.violations() == []


def test_a_device_page_refreshes_its_latest_values(site, admin):
    url, _ = site
    admin.page.goto(f"{url}/can-bo/thiet-bi")
    device = admin.page.get_attribute("#device-table tbody a", "href")
    admin.page.goto(f"{url}{device}")
    admin.page.wait_for_selector("#latest[data-refreshed=true]", state="attached", timeout=15000)  # every 5 s
    assert admin.violations() == []
