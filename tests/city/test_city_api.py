"""The city API: units, boundary and wards as GeoJSON, working days; bad input is a 422 naming the field."""

from __future__ import annotations

import pytest

from smartcity.city.loader import load_city_pack
from smartcity.core.security import Actor


@pytest.fixture
def city_client(client, db):
    """An HTTP client on a database with the Thủ Dầu Một pack loaded."""
    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    return client


def test_units_on_a_day(city_client):
    response = city_client.get("/api/v1/city/units", params={"level": "ward", "on": "2022-02-27"})
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 14
    assert set(body[0]) >= {
        "code",
        "name",
        "type",
        "level",
        "parent_code",
        "valid_from",
        "valid_to",
        "area_km2",
        "approximate",
    }


def test_wards_geojson_is_geojson(city_client):
    response = city_client.get("/api/v1/city/wards.geojson", params={"on": "2026-01-01"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert len(collection["features"]) == 5
    props = collection["features"][0]["properties"]
    assert props["approximate"] is True and {"code", "name", "area_km2"} <= set(props)


def test_boundary_is_a_feature(city_client):
    response = city_client.get("/api/v1/city/boundary")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    feature = response.json()
    assert feature["type"] == "Feature" and feature["properties"]["code"] == "718"
    assert 118 < feature["properties"]["area_km2"] < 121


def test_maps_open_on_the_middle_of_the_city_pack_boundary(city_client):
    from shapely.geometry import Point, shape

    from smartcity.city.service import map_centre

    lon, lat = map_centre()
    boundary = shape(city_client.get("/api/v1/city/boundary").json()["geometry"])
    assert boundary.contains(Point(lon, lat))
    assert f'<meta name="map-centre" content="{lon},{lat}">' in city_client.get("/ban-do").text


def test_unit_detail_and_unknown_code(city_client):
    response = city_client.get("/api/v1/city/units/25741", params={"on": "2024-05-01"})
    assert response.status_code == 200
    assert {s["share"] for s in response.json()["successors"]} == {"part", "rest"}
    missing = city_client.get("/api/v1/city/units/99999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/city/units", {"on": "2022-02-30"}, "on"),
        ("/api/v1/city/units", {"level": "county"}, "level"),
        ("/api/v1/city/wards.geojson", {"on": "yesterday"}, "on"),
        ("/api/v1/city/units/25747", {"on": "2025-13-01"}, "on"),
        ("/api/v1/city/working-days", {"from": "2022-02-30", "days": "3"}, "from"),
        ("/api/v1/city/working-days", {"from": "2025-01-02", "days": "-1"}, "days"),
        ("/api/v1/city/working-days", {"from": "2025-01-02", "days": "3651"}, "days"),
        ("/api/v1/city/working-days", {"from": "2025-01-02", "days": "many"}, "days"),
        ("/api/v1/city/working-days", {"days": "3"}, "from"),
        ("/api/v1/city/ward-at", {"lon": "200", "lat": "10"}, "lon"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(city_client, path, params, field):
    response = city_client.get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]


def test_working_days(city_client):
    response = city_client.get("/api/v1/city/working-days", params={"from": "2026-02-13", "days": "1"})
    assert response.status_code == 200
    assert response.json() == {"from": "2026-02-13", "days": 1, "date": "2026-02-23"}


def test_ward_at(city_client):
    url = "/api/v1/city/ward-at"
    inside = city_client.get(url, params={"lon": 106.655, "lat": 10.98, "on": "2026-01-01"})
    assert inside.json()["name"] == "Phường Thủ Dầu Một"
    outside = city_client.get(url, params={"lon": 106.7, "lat": 10.8, "on": "2026-01-01"})
    assert outside.status_code == 200 and outside.json() is None


def test_calendar_exceptions_need_an_admin(city_client):
    assert city_client.get("/api/v1/city/calendar-exceptions").status_code == 401
    body = {"date": "2026-03-02", "kind": "day_off", "note": "test"}
    assert city_client.post("/api/v1/city/calendar-exceptions", json=body).status_code == 401
    assert city_client.delete("/api/v1/city/calendar-exceptions/2025-04-26").status_code == 401


@pytest.fixture
def admin_client(city_client, app):
    """The client acting as an administrator (the accounts dependency overridden)."""
    from smartcity.city.api import require_admin

    app.dependency_overrides[require_admin] = lambda: Actor(
        kind="user", name="admin", roles=frozenset({("admin", None)})
    )
    yield city_client
    app.dependency_overrides.clear()


def test_admin_adds_lists_and_removes_an_exception(admin_client):
    url = "/api/v1/city/calendar-exceptions"
    listed = admin_client.get(url, params={"year": 2025}).json()
    assert [(e["date"], e["kind"]) for e in listed] == [
        ("2025-04-26", "working_day"),
        ("2025-05-02", "day_off"),
    ]
    body = {"date": "2026-03-02", "kind": "day_off", "note": "Decision (test)"}
    created = admin_client.post(url, json=body)
    assert created.status_code == 201 and created.json()["source"] == "admin"
    assert admin_client.post(url, json=body).status_code == 409
    assert admin_client.get("/api/v1/city/calendar/2026-03-02").json()["working"] is False
    after = admin_client.get("/api/v1/city/working-days", params={"from": "2026-02-27", "days": 1}).json()
    assert after["date"] == "2026-03-03"
    assert admin_client.delete(f"{url}/2026-03-02").status_code == 204
    assert admin_client.delete(f"{url}/2026-03-02").status_code == 404
    assert admin_client.get("/api/v1/city/calendar/2026-03-02").json()["working"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-02-30", "kind": "day_off", "note": "x"}, "date"),
        ({"date": "2026-03-02", "kind": "holiday", "note": "x"}, "kind"),
        ({"date": "2026-03-02", "kind": "day_off", "note": ""}, "note"),
        ({"date": "2026-03-02", "kind": "day_off"}, "note"),
    ],
)
def test_bad_exception_is_a_422_naming_the_field(admin_client, body, field):
    response = admin_client.post("/api/v1/city/calendar-exceptions", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_day_status(city_client):
    tet = city_client.get("/api/v1/city/calendar/2026-02-17").json()
    assert tet["working"] is False and tet["reason"] == "holiday"
    swap = city_client.get("/api/v1/city/calendar/2025-04-26").json()  # pinned by the pack's calendar
    assert (swap["working"], swap["reason"]) == (True, "exception_working_day")
    assert city_client.get("/api/v1/city/calendar/2025-02-29").status_code == 422


def test_the_city_page_names_wards_as_each_language_writes_them(city_client):
    vietnamese = city_client.get("/ban-do").text
    assert "<td>Phường Phú Lợi</td>" in vietnamese
    english = city_client.get("/ban-do?lang=en").text
    assert "<td>Phú Lợi Ward</td>" in english and "Phường Phú Lợi" not in english
    before = city_client.get("/ban-do?lang=en&period=before").text
    assert "<td>Hiệp Thành Ward</td>" in before


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("Phường Phú Lợi", "Phú Lợi Ward"),
        ("phường Chánh Hiệp", "Chánh Hiệp Ward"),
        ("Phường 1", "Ward 1"),
        ("Thành phố Hồ Chí Minh", "Hồ Chí Minh City"),
        ("Thị xã Bến Cát", "Bến Cát Town"),
        ("Xã An Tây", "An Tây Commune"),
        ("Tỉnh Bình Dương", "Bình Dương Province"),
        ("Toàn thành phố", "Toàn thành phố"),  # not a unit's name
        ("Khu phố 2", "Khu phố 2"),
    ],
)
def test_a_units_name_in_english(name, english):
    from smartcity.city.service import name_in_english

    assert name_in_english(name) == english
