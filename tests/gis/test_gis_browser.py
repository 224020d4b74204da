"""In headless Chromium: the public planning map draws parcels and zones from vector tiles."""

from __future__ import annotations

from collections.abc import Iterator

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
    assert sheet.endswith("parcel=" + parcel.key.replace("/", "%2F"))
    assert errors == []
