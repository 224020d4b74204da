"""NGSI-LD over the same devices and latest state: query, read, create, update, upsert, @context."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from tests.iot.conftest import INTEGRATOR, message

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
BASE = "/ngsi-ld/v1"


@pytest.fixture
def city(db, add_device, act_as):  # type: ignore[no-untyped-def]
    """Three lights along a street, a container further away, with latest values."""
    for i, lon in enumerate((106.6530, 106.6540, 106.6550)):
        add_device(f"SL-{i}", lon=lon, lat=10.9800, name=f"Đèn {i}")
        values = {"dimLevel": 30 * i, "powerState": "on" if i else "off"}
        service.ingest(db, envelopes=[Envelope(message(f"s{i}", values, ts=T0), device_id=f"SL-{i}")])
    add_device("WC-1", "waste_container", lon=106.70, lat=10.99)
    service.ingest(db, envelopes=[Envelope(message("w", {"fillingLevel": 80}, ts=T0), device_id="WC-1")])
    act_as(INTEGRATOR)


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()]


def test_entity_in_normalized_and_key_values_form(client, city):
    entity = client.get(f"{BASE}/entities/urn:ngsi-ld:Streetlight:SL-1").json()
    assert entity["type"] == "Streetlight"
    assert entity["location"] == {
        "type": "GeoProperty",
        "value": {"type": "Point", "coordinates": [106.654, 10.98]},
    }
    assert entity["dimLevel"] == {
        "type": "Property",
        "value": 30.0,
        "observedAt": "2026-03-01T20:00:00Z",
        "unitCode": "P1",
    }
    simple = client.get(
        f"{BASE}/entities/urn:ngsi-ld:Streetlight:SL-1", params={"options": "keyValues"}
    ).json()
    assert simple["powerState"] == "on" and simple["name"] == "Đèn 1"
    response = client.get(f"{BASE}/entities/urn:ngsi-ld:Streetlight:SL-9")
    assert response.status_code == 404
    assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"


def test_query_by_type_q_attrs_and_pages(client, city):
    assert ids(client.get(f"{BASE}/entities", params={"type": "WasteContainer"})) == [
        "urn:ngsi-ld:WasteContainer:WC-1"
    ]
    found = client.get(
        f"{BASE}/entities", params={"type": "Streetlight", "q": 'dimLevel>10;powerState=="on"'}
    )
    assert ids(found) == ["urn:ngsi-ld:Streetlight:SL-1", "urn:ngsi-ld:Streetlight:SL-2"]
    assert ids(client.get(f"{BASE}/entities", params={"type": "Streetlight", "q": "dimLevel==0..30"})) == [
        "urn:ngsi-ld:Streetlight:SL-0",
        "urn:ngsi-ld:Streetlight:SL-1",
    ]
    assert ids(client.get(f"{BASE}/entities", params={"q": "(fillingLevel>50|dimLevel>50)"})) == [
        "urn:ngsi-ld:Streetlight:SL-2",
        "urn:ngsi-ld:WasteContainer:WC-1",
    ]
    page = client.get(
        f"{BASE}/entities",
        params={"type": "Streetlight", "limit": 2, "offset": 1, "count": "true", "attrs": "dimLevel"},
    )
    assert ids(page) == ["urn:ngsi-ld:Streetlight:SL-1", "urn:ngsi-ld:Streetlight:SL-2"]
    assert page.headers["NGSILD-Results-Count"] == "3"
    assert set(page.json()[0]) == {"id", "type", "dimLevel"}
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in page.headers["Link"]


def test_geo_queries(client, city):
    near = {
        "type": "Streetlight,WasteContainer",
        "georel": "near;maxDistance==150",
        "geometry": "Point",
        "coordinates": "[106.6541, 10.9801]",
    }
    assert ids(client.get(f"{BASE}/entities", params=near)) == [
        "urn:ngsi-ld:Streetlight:SL-0",
        "urn:ngsi-ld:Streetlight:SL-1",
        "urn:ngsi-ld:Streetlight:SL-2",
    ]
    polygon = [[[106.69, 10.98], [106.71, 10.98], [106.71, 11.0], [106.69, 11.0], [106.69, 10.98]]]
    within = {
        "type": "WasteContainer,Streetlight",
        "georel": "within",
        "geometry": "Polygon",
        "coordinates": json.dumps(polygon),
    }
    assert ids(client.get(f"{BASE}/entities", params=within)) == ["urn:ngsi-ld:WasteContainer:WC-1"]


def test_bad_queries_are_400_with_etsi_types(client, city):
    for params in (
        {"q": "dimLevel>>"},
        {"limit": "-1"},
        {"limit": "5000"},
        {"georel": "near"},
        {"georel": "near", "geometry": "Point", "coordinates": "[1,"},
        {"idPattern": "("},
    ):
        response = client.get(f"{BASE}/entities", params=params)
        assert response.status_code == 400, params
        assert response.json()["type"].startswith("https://uri.etsi.org/ngsi-ld/errors/")


def test_json_ld_accept_puts_the_context_inline_and_it_is_served_locally(client, city):
    response = client.get(
        f"{BASE}/entities", params={"type": "WasteContainer"}, headers={"Accept": "application/ld+json"}
    )
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json()[0]["@context"].endswith("/ngsi-ld/v1/context.jsonld")
    context = client.get(f"{BASE}/context.jsonld").json()["@context"]
    assert context["Streetlight"] == "https://smartdatamodels.org/dataModel.Streetlighting/Streetlight"
    assert context["dimLevel"].startswith("https://smartdatamodels.org/")


def test_create_update_and_upsert(client, city, db):
    entity = {
        "id": "urn:ngsi-ld:AirQualityObserved:AQ-7",
        "type": "AirQualityObserved",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [106.66, 10.97]}},
        "pm25": {"type": "Property", "value": 31.5, "observedAt": "2026-03-01T20:00:00Z"},
    }
    created = client.post(f"{BASE}/entities", json=entity)
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith("urn:ngsi-ld:AirQualityObserved:AQ-7")
    assert client.post(f"{BASE}/entities", json=entity).status_code == 409
    patch = {"pm25": {"type": "Property", "value": 40.0, "observedAt": "2026-03-01T21:00:00Z"}}
    assert (
        client.patch(f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:AQ-7/attrs", json=patch).status_code
        == 204
    )
    bad = client.patch(
        f"{BASE}/entities/urn:ngsi-ld:AirQualityObserved:AQ-7/attrs",
        json={"pm25": {"type": "Property", "value": -3}},
    )
    assert bad.status_code == 207 and bad.json()["notUpdated"][0]["attributeName"] == "pm25"
    assert service.latest_state(db, device_ids=["AQ-7"])["AQ-7"]["pm25"][0] == 40.0
    batch = [
        {
            "id": "urn:ngsi-ld:WasteContainer:WC-1",
            "type": "WasteContainer",
            "fillingLevel": {"type": "Property", "value": 12},
        },
        {"id": "urn:ngsi-ld:WasteContainer:WC-2", "type": "WasteContainer"},
    ]
    upserted = client.post(f"{BASE}/entityOperations/upsert", json=batch)
    assert upserted.status_code == 201 and upserted.json() == ["urn:ngsi-ld:WasteContainer:WC-2"]
    assert client.post(f"{BASE}/entityOperations/upsert", json=batch[:1]).status_code == 204
    mixed = client.post(
        f"{BASE}/entityOperations/upsert", json=[{"id": "urn:ngsi-ld:Toaster:T1", "type": "Toaster"}]
    )
    assert mixed.status_code == 207 and mixed.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Toaster:T1"
    assert (
        client.post(
            f"{BASE}/entities", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
