"""In headless Chromium: the public planning map draws parcels and zones from vector tiles."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import pytest

from smartcity.gis import service
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(app, demo) -> Iterator[str]:
    """The app served with the demo GIS data (SQLite only: the browser test runs once)."""
    run_once_on_sqlite(demo)
    with served(app) as url:
        yield url


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    """A fresh page in headless Chromium."""
    with chromium_page() as fresh:
        yield fresh


RENDERED = """(layer) => new Promise((resolve) => {
  const map = window.planningMap;
  const count = () => map.queryRenderedFeatures({layers: [layer]}).length;
  if (map.loaded() && count() > 0) { resolve(count()); return; }
  const done = () => { if (count() > 0) { map.off("idle", done); resolve(count()); } };
  map.on("idle", done);
  setTimeout(() => resolve(count()), 15000);
})"""


def test_planning_map_shows_parcels_and_zones_from_vector_tiles(live_server, page, demo):
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=5).features[0]
    a, b, c, d = parcel.bbox
    centre = [(a + c) / 2, (b + d) / 2]
    errors: list[str] = []
    tile_requests: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: tile_requests.append(r.url) if "/tiles/WebMercatorQuad/" in r.url else None)
    page.goto(f"{live_server}/ban-do-quy-hoach")
    page.wait_for_selector("#plan-map[data-ready=true]", timeout=20000)
    page.evaluate(f"() => window.planningMap.jumpTo({{center: {centre}, zoom: 17}})")
    assert page.evaluate(RENDERED, "parcels") > 0
    assert page.evaluate(RENDERED, "zones") > 0
    assert any("/collections/land-parcels/tiles/" in url for url in tile_requests)
    keys = page.evaluate(
        "() => window.planningMap.queryRenderedFeatures({layers: ['parcels']})"
        ".map(f => f.properties.map_sheet + '/' + f.properties.parcel_number)"
    )
    assert parcel.key in keys
    point = page.evaluate(f"() => window.planningMap.project({centre})")
    box = page.locator("#plan-map").bounding_box()
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector("#planning-result", timeout=10000)
    sheet = page.get_attribute("#sheet-link", "href") or ""
    assert unquote(sheet).endswith("parcel=" + parcel.key)
    assert errors == []


def test_staff_picks_a_parcel_on_the_editor_map_and_saves_a_correction(live_server, page, demo):
    from smartcity.accounts import service as accounts_service
    from smartcity.gis.views import EDITOR_PATH
    from tests.gis.conftest import SYSTEM

    password = "Mat-khau-rat-dai-2026"
    accounts_service.create_user(
        demo, actor=SYSTEM, username="bando.cv", password=password, roles=[("specialist", None)]
    )
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=7).features[0]
    a, b, c, d = parcel.bbox
    centre = [(a + c) / 2, (b + d) / 2]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?next={EDITOR_PATH}")
    page.fill("input[name=username]", "bando.cv")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.goto(f"{live_server}{EDITOR_PATH}?layer=land-parcels")
    page.wait_for_selector("#edit-map[data-ready=true]", timeout=20000)
    page.evaluate(f"() => window.editorMap.jumpTo({{center: {centre}, zoom: 18}})")
    assert page.evaluate(RENDERED.replace("planningMap", "editorMap"), "fill") > 0
    point = page.evaluate(f"() => window.editorMap.project({centre})")
    box = page.locator("#edit-map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    page.wait_for_selector("#edit-form")
    assert parcel.key in page.inner_text("h2")
    page.fill("input[name=p_land_use_code]", "DKV")
    page.fill("#reason", "Chuyển thành đất cây xanh theo quy hoạch")
    page.click("#edit-form button[type=submit]")
    page.wait_for_selector("#saved")
    assert "cây xanh" in page.inner_text("#history")
    stored = service.get_feature(demo, slug="land-parcels", feature_id=parcel.id)
    assert stored.properties["land_use_code"] == "DKV"
    assert errors == []
