"""The GIS JSON API and the public planning map page."""

from __future__ import annotations

from smartcity.gis import service
from smartcity.gis.geo import parse_geojson
from smartcity.web.deps import current_actor
from tests.gis.conftest import CITIZEN, SPECIALIST


def test_planning_lookup_and_pdf_sheet(demo, client):
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=3).features[0]
    info = client.get("/api/v1/gis/planning", params={"parcel": parcel.key})
    assert info.status_code == 200 and info.json()["parcel"]["key"] == parcel.key
    pdf = client.get("/api/v1/gis/planning/sheet.pdf", params={"parcel": parcel.key})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    missing = client.get("/api/v1/gis/planning", params={"parcel": "9999/1"})
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/gis/planning").status_code == 422
    assert client.get("/api/v1/gis/planning", params={"lon": "east"}).status_code == 422


def test_plan_check(demo, client):
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=3).features[0]
    body = client.post("/api/v1/gis/plan-check", json={"parcel": parcel.key, "floors": 99}).json()
    assert body["ok"] is False and any(f["rule"] == "max_floors" and not f["ok"] for f in body["findings"])
    assert client.post("/api/v1/gis/plan-check", json={"parcel": parcel.key, "floors": 0}).status_code == 422


def test_house_number_proposal_is_public_assignment_is_for_staff(demo, client, app):
    address = service.query_features(demo, slug="addresses", limit=1, offset=20).features[0]
    point = parse_geojson(address.geometry)
    proposal = client.get("/api/v1/gis/house-numbers/proposal", params={"lon": point.x, "lat": point.y})
    assert proposal.status_code == 200 and proposal.json()["street_code"] == address.properties["street_code"]
    request = {"lon": point.x, "lat": point.y, "reference": "HS-API-1"}
    assert client.post("/api/v1/gis/house-numbers", json=request).status_code == 401
    app.dependency_overrides[current_actor] = lambda: CITIZEN
    assert client.post("/api/v1/gis/house-numbers", json=request).status_code == 403
    app.dependency_overrides[current_actor] = lambda: SPECIALIST
    assigned = client.post("/api/v1/gis/house-numbers", json=request)
    assert (
        assigned.status_code == 201 and assigned.json()["house_number"] != address.properties["house_number"]
    )


def test_owner_reference_needs_staff(demo, client, app):
    key = service.query_features(demo, slug="land-parcels", limit=1).features[0].key
    sheet, number = key.split("/")
    assert client.get(f"/api/v1/gis/parcels/{sheet}/{number}/owner").status_code == 401
    app.dependency_overrides[current_actor] = lambda: SPECIALIST
    assert client.get(f"/api/v1/gis/parcels/{sheet}/{number}/owner").json()["owner_ref"].startswith("SYN-")


def test_layers_registry_for_public_and_staff(city, client, app):
    service.set_published(city, actor=SPECIALIST, slug="buildings", published=False)
    public = {layer["slug"] for layer in client.get("/api/v1/gis/layers").json()}
    assert "buildings" not in public and "land-parcels" in public
    app.dependency_overrides[current_actor] = lambda: SPECIALIST
    assert "buildings" in {layer["slug"] for layer in client.get("/api/v1/gis/layers").json()}


def test_planning_map_page_works_without_javascript(demo, client):
    parcel = service.query_features(demo, slug="land-parcels", limit=1, offset=3).features[0]
    page = client.get("/ban-do-quy-hoach", params={"parcel": parcel.key})
    assert page.status_code == 200 and "Bản đồ quy hoạch" in page.text
    assert "planning-result" in page.text and f"parcel={parcel.key}" in page.text
    missing = client.get("/ban-do-quy-hoach", params={"parcel": "999/9999"}).text
    assert "Không tìm thấy thửa đất số 9999, tờ bản đồ số 999." in missing and "No parcel" not in missing
    unknown_street = client.get("/ban-do-quy-hoach", params={"address": "12A Đường Không Có"}).text
    assert "Không tìm thấy đường “Đường Không Có”." in unknown_street
    english = client.get("/ban-do-quy-hoach", params={"lang": "en"})
    assert "Planning map" in english.text
    assert client.get("/gis/static/planning-map.js").status_code == 200
