"""OGC API - Features at /ogc/: Core, GeoJSON, HTML, CRS by reference; and OWSLib as an independent client."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.gis.conftest import DEMO_PARCELS, SPECIALIST

COLLECTIONS = {
    "administrative-units",
    "planning-zones",
    "land-parcels",
    "buildings",
    "public-offices",
    "streets",
    "addresses",
    "construction-permits",
    "household-businesses",
}


def test_landing_conformance_and_collections(demo, client):
    landing = client.get("/ogc/").json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "alternate", "service-desc", "conformance", "data"} <= rels
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    collections = client.get("/ogc/collections").json()["collections"]
    assert {c["id"] for c in collections} == COLLECTIONS
    parcels = client.get("/ogc/collections/land-parcels").json()
    assert parcels["itemType"] == "feature" and len(parcels["extent"]["spatial"]["bbox"][0]) == 4
    assert "http://www.opengis.net/def/crs/EPSG/0/9210" in parcels["crs"]
    assert client.get("/ogc/api").json()["openapi"].startswith("3.0")
    assert landing["title"] == "Thủ Dầu Một — OGC API Features"  # the city's name from its pack


def test_each_collection_spans_its_own_features(demo, client):
    listed = {
        c["id"]: c["extent"]["spatial"]["bbox"][0]
        for c in client.get("/ogc/collections").json()["collections"]
    }
    for slug in ("land-parcels", "streets"):
        items = client.get(f"/ogc/collections/{slug}/items", params={"limit": 10000}).json()["features"]
        xs, ys = zip(*(point for f in items for point in _points(f["geometry"]["coordinates"])), strict=True)
        assert listed[slug] == pytest.approx([min(xs), min(ys), max(xs), max(ys)], abs=1e-6)
        single = client.get(f"/ogc/collections/{slug}").json()["extent"]["spatial"]["bbox"][0]
        assert single == listed[slug]  # one collection says what the list says
    assert listed["land-parcels"] != listed["streets"]


def _points(coordinates):
    if isinstance(coordinates[0], int | float):
        yield coordinates
        return
    for part in coordinates:
        yield from _points(part)


def test_items_page_with_links_counts_and_content_crs(demo, client):
    response = client.get("/ogc/collections/land-parcels/items", params={"limit": 5})
    assert response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["numberReturned"] == 5
    assert body["numberMatched"] == 1200
    next_link = next(link["href"] for link in body["links"] if link["rel"] == "next")
    second = client.get(next_link).json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in body["features"]})
    assert any(link["rel"] == "prev" for link in second["links"])
    single = client.get(f"/ogc/collections/land-parcels/items/{body['features'][0]['id']}")
    assert single.status_code == 200 and single.json()["properties"] == body["features"][0]["properties"]
    assert "owner_ref" not in single.text


def test_bbox_datetime_and_property_filters(demo, client):
    everything = client.get("/ogc/collections/planning-zones/items", params={"limit": 1}).json()[
        "numberMatched"
    ]
    boxed = client.get(
        "/ogc/collections/planning-zones/items", params={"bbox": "106.655,11.0,106.67,11.02", "limit": 1}
    ).json()["numberMatched"]
    assert 0 < boxed < everything
    # The same box in EPSG:4326 order (lat, lon) through bbox-crs.
    same = client.get(
        "/ogc/collections/planning-zones/items",
        params={
            "bbox": "11.0,106.655,11.02,106.67",
            "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326",
            "limit": 1,
        },
    ).json()["numberMatched"]
    assert same == boxed
    before_plan = client.get(
        "/ogc/collections/planning-zones/items", params={"datetime": "2020-01-01", "limit": 1}
    ).json()["numberMatched"]
    assert before_plan == 0
    odt = client.get(
        "/ogc/collections/planning-zones/items", params={"land_use_code": "ODT", "limit": 500}
    ).json()
    assert odt["numberMatched"] > 0 and {f["properties"]["land_use_code"] for f in odt["features"]} == {"ODT"}
    old_wards = client.get(
        "/ogc/collections/administrative-units/items", params={"datetime": "2024-06-01", "limit": 50}
    ).json()
    new_wards = client.get(
        "/ogc/collections/administrative-units/items", params={"datetime": "2026-01-01", "limit": 50}
    ).json()
    assert sum(f["properties"]["level"] == "ward" for f in old_wards["features"]) == 14
    assert sum(f["properties"]["level"] == "ward" for f in new_wards["features"]) == 5


def test_crs_by_reference(demo, client):
    default = client.get("/ogc/collections/public-offices/items", params={"limit": 1}).json()["features"][0]
    lon, lat = default["geometry"]["coordinates"]
    epsg4326 = client.get(
        "/ogc/collections/public-offices/items",
        params={"limit": 1, "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"},
    )
    assert epsg4326.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert epsg4326.json()["features"][0]["geometry"]["coordinates"] == pytest.approx([lat, lon])
    vn2000 = client.get(
        "/ogc/collections/public-offices/items",
        params={"limit": 1, "crs": "http://www.opengis.net/def/crs/EPSG/0/9210"},
    ).json()
    easting, northing = vn2000["features"][0]["geometry"]["coordinates"]
    assert 570_000 < easting < 630_000 and 1_200_000 < northing < 1_240_000
    refused = client.get("/ogc/collections/public-offices/items", params={"crs": "EPSG:2000"})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "10,10,5,5"},
        {"limit": "0"},
        {"limit": "ten"},
        {"offset": "-1"},
        {"offset": "9" * 30},
        {"limit": "²"},
        {"datetime": "yesterday"},
        {"unknown": "1"},
        {"f": "xml"},
    ],
)
def test_bad_parameters_get_the_ogc_exception(city, client, params):
    response = client.get("/ogc/collections/streets/items", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


def test_limit_above_the_maximum_is_clamped_not_refused(demo, client):
    body = client.get("/ogc/collections/streets/items", params={"limit": "99999999"}).json()
    assert body["numberReturned"] == body["numberMatched"]


def test_unknown_collection_and_item_are_404(demo, client):
    assert client.get("/ogc/collections/nothing").status_code == 404
    assert client.get("/ogc/collections/streets/items/999999").status_code == 404
    assert client.get("/ogc/collections/streets/items/999999").json()["code"] == "NotFound"


def test_unpublished_layers_are_not_collections(demo, client):
    from smartcity.gis import service

    service.set_published(demo, actor=SPECIALIST, slug="buildings", published=False)
    assert "buildings" not in {c["id"] for c in client.get("/ogc/collections").json()["collections"]}
    assert client.get("/ogc/collections/buildings/items").status_code == 404


def test_html_by_f_or_accept(demo, client):
    page = client.get("/ogc/collections/land-parcels/items", params={"f": "html", "limit": 3})
    assert page.headers["content-type"].startswith("text/html")
    assert "Thửa đất" in page.text and 'rel="next"' in page.text
    browser = client.get("/ogc/collections", headers={"accept": "text/html,application/xhtml+xml"})
    assert browser.headers["content-type"].startswith("text/html") and "land-parcels" in browser.text
    assert client.get("/ogc/collections", headers={"accept": "application/json"}).json()["collections"]
    english = client.get("/ogc/collections/land-parcels/items?f=html&limit=3&lang=en")
    assert "<h1>Land parcels</h1>" in english.text  # the layer by its English title on an English page
    listed = client.get("/ogc/collections?f=html&lang=en").text
    assert "Cadastral land parcels (map sheet/parcel" in listed and "Thửa đất địa chính" not in listed
    assert client.get("/ogc/collections/land-parcels").json()["title"] == "Land parcels"  # the same reader
    assert client.get("/ogc/collections/land-parcels?lang=vi").json()["title"] == "Thửa đất"


def test_a_collection_without_features_spans_the_city(city, client):
    from smartcity.city.service import boundary_box

    collections = client.get("/ogc/collections").json()["collections"]
    empty = [c for c in collections if c["id"] == "land-parcels"]  # the city is loaded, no parcel yet
    assert empty and empty[0]["extent"]["spatial"]["bbox"] == [list(boundary_box())]


def _strict_json(text: str) -> Any:
    """Parse as strict JSON (NaN and Infinity refused)."""

    def refuse(name: str) -> None:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_json_pages_are_the_stored_features_as_geojson(demo, client):
    """The database-written GeoJSON says what the feature store says, feature for feature."""
    from smartcity.gis import service

    response = client.get("/ogc/collections/land-parcels/items", params={"limit": 7, "offset": 40})
    body = _strict_json(response.text)
    expected = service.query_features(demo, slug="land-parcels", limit=7, offset=40)
    assert body["features"] == [feature.as_geojson() for feature in expected.features]
    assert (body["numberMatched"], body["numberReturned"]) == (DEMO_PARCELS, 7)
    single = client.get(f"/ogc/collections/land-parcels/items/{expected.features[0].id}")
    item = _strict_json(single.text)
    assert {k: v for k, v in item.items() if k != "links"} == expected.features[0].as_geojson()
    assert {link["rel"] for link in item["links"]} == {"self", "alternate", "collection"}
    box = (106.655, 11.0, 106.67, 11.02)
    boxed = client.get(
        "/ogc/collections/planning-zones/items", params={"bbox": ",".join(map(str, box)), "limit": 1000}
    ).json()
    in_box = service.query_features(demo, slug="planning-zones", bbox_filter=box, limit=1000)
    assert [f["id"] for f in boxed["features"]] == [f.id for f in in_box.features]
    assert boxed["numberMatched"] == boxed["numberReturned"] == in_box.number_matched > 0


def test_number_matched_is_left_out_past_the_count_limit(demo, client, settings):
    """Counting stops at ogc_count_limit: beyond it numberMatched is omitted (optional in Part 1), the
    next link still says whether more follow."""
    from smartcity.gis.config import GisSettings

    settings.set_section(GisSettings(ogc_count_limit=50))
    url = "/ogc/collections/land-parcels/items"
    first = client.get(url, params={"limit": 10}).json()
    assert "numberMatched" not in first and first["numberReturned"] == 10
    assert any(link["rel"] == "next" for link in first["links"])
    last = client.get(url, params={"limit": 10, "offset": DEMO_PARCELS - 4}).json()
    assert (last["numberMatched"], last["numberReturned"]) == (DEMO_PARCELS, 4)
    assert not any(link["rel"] == "next" for link in last["links"])
    few = client.get("/ogc/collections/public-offices/items", params={"limit": 100}).json()
    assert few["numberMatched"] == few["numberReturned"] < 50


def test_a_layer_changed_behind_the_cache_is_seen_at_the_next_request(demo, client):
    """The cached layer is checked against its row in every read: withdrawn elsewhere, it is gone here."""
    from sqlalchemy import text

    url = "/ogc/collections/land-parcels/items"
    feature_id = client.get(url, params={"limit": 1}).json()["features"][0]["id"]
    with demo.engine.begin() as conn:  # as another process would: no event reaches this one
        conn.execute(text("UPDATE gis_layers SET published = false WHERE slug = 'land-parcels'"))
    assert client.get(url, params={"limit": 1}).status_code == 404
    assert client.get(f"{url}/{feature_id}").status_code == 404
    with demo.engine.begin() as conn:
        conn.execute(text("UPDATE gis_layers SET published = true WHERE slug = 'land-parcels'"))
    assert client.get(url, params={"limit": 1}).json()["features"][0]["id"] == feature_id
    assert client.get(f"{url}/{feature_id}").status_code == 200


def test_a_city_unit_is_an_item_too(demo, client):
    """Layers outside the feature store (the wards from the city pack) answer single items as before."""
    ward = client.get("/ogc/collections/administrative-units/items", params={"limit": 1}).json()["features"][
        0
    ]
    single = client.get(f"/ogc/collections/administrative-units/items/{ward['id']}")
    assert single.status_code == 200 and single.json()["properties"] == ward["properties"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(demo, app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The application served over HTTP on a free local port (for an independent client)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_owslib_lists_collections_and_pages_through_items(live_server):
    from owslib.ogcapi.features import Features

    api = Features(f"{live_server}/ogc/")
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert {c["id"] for c in api.collections()["collections"]} == COLLECTIONS
    assert api.collection("streets")["id"] == "streets"
    seen: list[str] = []
    offset = 0
    while True:
        page = api.collection_items("streets", limit=40, offset=offset)
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += 40
    assert len(seen) == len(set(seen)) == page["numberMatched"] > 40
