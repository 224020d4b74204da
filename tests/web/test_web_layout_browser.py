"""In headless Chromium at a laptop's 1366 px and at 800 px: the header's menu, a map's credit of its sources,
and the look every form control and table in a page shares."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import chromium_page
from tests.web.test_web_browser import ADMIN_PASSWORD, live_server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser

ATTRIBUTION = ".maplibregl-ctrl-attrib"  # MapLibre's credit of the map's sources

PLAIN_TABLE_AND_CONTROLS = """() => {
  const main = document.querySelector('main');
  main.insertAdjacentHTML('beforeend', '<table id="t-plain"><tr><th>Nhóm</th></tr><tr><td>1</td></tr></table>'
    + '<table id="t-figures" class="data figures"><tr><th>Nhóm</th><th>Tiếp nhận</th></tr>'
    + '<tr><td>Phổ biến, giáo dục pháp luật</td><td>1</td></tr></table>'
    + '<select id="t-select"><option>Tất cả</option></select><input id="t-input">');
  const style = (sel) => getComputedStyle(document.querySelector(sel));
  return {th: style('#t-plain th').textAlign, line: style('#t-plain td').borderBottomWidth,
          select: style('#t-select').fontSize, input: style('#t-input').fontSize,
          group: document.querySelector('#t-figures td').getBoundingClientRect().width,
          figure: style('#t-figures td + td').textAlign};
}"""


def _sign_in(page: Any, url: str) -> None:
    page.goto(f"{url}/login?next=/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def _box(page: Any, selector: str) -> dict[str, float]:
    return page.evaluate(f"() => document.querySelector('{selector}').getBoundingClientRect().toJSON()")


def test_at_1366_px_the_menu_holds_on_one_line_and_the_map_keeps_its_lower_edge(live_server):  # noqa: F811
    with chromium_page(width=1366) as page:
        _sign_in(page, live_server)
        page.goto(f"{live_server}/ban-do")
        page.wait_for_selector("#map[data-ready=true]", timeout=20000)
        brand, account, menu = (_box(page, s) for s in (".brand", ".account", ".main-nav"))
        assert account["top"] < brand["bottom"], "the person's links on the name's line"
        assert menu["height"] < 1.5 * _box(page, ".main-nav a")["height"], "the menu on one line"
        page.wait_for_function(f"() => !document.querySelector('{ATTRIBUTION}.maplibregl-compact-show')")
        assert _box(page, "#map .maplibregl-ctrl-attrib-inner")["height"] <= 1, "folded behind its button"
        assert "gis.chinhphu.vn" in page.inner_text(f"#map {ATTRIBUTION}"), "still the map's own text"
        line = page.locator(".map-attribution")
        assert line.is_visible() and "gis.chinhphu.vn" in line.inner_text(), "credited under the map"
        page.click("#map .maplibregl-ctrl-attrib-button")
        assert _box(page, "#map .maplibregl-ctrl-attrib-inner")["height"] > 10, "the button opens it"
        looks = page.evaluate(PLAIN_TABLE_AND_CONTROLS)
        assert looks["th"] == "left" and looks["line"] == "1px", "a plain table has the site's look"
        assert looks["select"] == "16px" and looks["input"] == "16px", "controls in the page's font size"
        assert looks["group"] >= 256 and looks["figure"] == "right", "a group's name has room, figures align"


def test_at_800_px_the_header_wraps_without_a_sideways_scroll(live_server):  # noqa: F811
    with chromium_page(width=800) as page:
        _sign_in(page, live_server)
        page.goto(f"{live_server}/thu-tuc")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 800
        menu = _box(page, ".main-nav")
        assert menu["right"] <= 800 and menu["top"] >= _box(page, ".brand")["bottom"]
