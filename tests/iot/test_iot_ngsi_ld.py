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


CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"


def test_context_comes_from_the_body_or_the_link_header_and_is_never_fetched(client, city, db):
    light = {"id": "urn:ngsi-ld:Streetlight:C-1", "type": "Streetlight"}
    ld_json = {"content-type": "application/ld+json"}
    missing = client.post(f"{BASE}/entities", content=json.dumps(light), headers=ld_json)
    assert missing.status_code == 400 and "@context" in missing.json()["detail"]
    in_plain_json = client.post(f"{BASE}/entities", json={**light, "@context": CORE})
    assert in_plain_json.status_code == 400
    remote = client.post(
        f"{BASE}/entities",
        content=json.dumps({**light, "@context": [CORE, "https://example.org/ctx.jsonld"]}),
        headers=ld_json,
    )
    assert remote.status_code == 503
    assert remote.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable"
    redefined = client.post(
        f"{BASE}/entities",
        content=json.dumps({**light, "@context": [{"dimLevel": "https://example.org/other"}, CORE]}),
        headers=ld_json,
    )
    assert redefined.status_code == 400 and "dimLevel" in redefined.json()["detail"]
    assert service.find_devices(db, device_ids=["C-1"]) == []
    ours = client.get(f"{BASE}/context.jsonld").json()["@context"]
    agreeing = {**light, "@context": [{"dimLevel": ours["dimLevel"], "extra": "https://example.org/x"}, CORE]}
    assert client.post(f"{BASE}/entities", content=json.dumps(agreeing), headers=ld_json).status_code == 201

    def link(url: str) -> dict[str, str]:
        return {"Link": f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'}

    assert (
        client.get(f"{BASE}/entities", params={"type": "Streetlight"}, headers=link(CORE)).status_code == 200
    )
    own = client.get(
        f"{BASE}/entities",
        params={"type": "Streetlight"},
        headers=link(f"http://testserver{BASE}/context.jsonld"),
    )
    assert own.status_code == 200
    unknown = client.get(
        f"{BASE}/entities", params={"type": "Streetlight"}, headers=link("https://example.org/c")
    )
    assert unknown.status_code == 503
    other_rel = {"Link": '<https://example.org/c>; rel="alternate"'}
    assert (
        client.get(f"{BASE}/entities", params={"type": "Streetlight"}, headers=other_rel).status_code == 200
    )


def test_relationships_are_kept_updated_and_queried(client, city, db):
    cabinet = "urn:ngsi-ld:StreetlightControlCabinet:TU-9"
    light = {
        "id": "urn:ngsi-ld:Streetlight:R-1",
        "type": "Streetlight",
        "refStreetlightControlCabinet": {"type": "Relationship", "object": cabinet},
    }
    assert client.post(f"{BASE}/entities", json=light).status_code == 201
    got = client.get(f"{BASE}/entities/urn:ngsi-ld:Streetlight:R-1").json()
    assert got["refStreetlightControlCabinet"] == {"type": "Relationship", "object": cabinet}
    simple = client.get(
        f"{BASE}/entities/urn:ngsi-ld:Streetlight:R-1", params={"options": "keyValues"}
    ).json()
    assert simple["refStreetlightControlCabinet"] == cabinet
    found = client.get(f"{BASE}/entities", params={"q": f'refStreetlightControlCabinet=="{cabinet}"'})
    assert ids(found) == ["urn:ngsi-ld:Streetlight:R-1"]
    moved = {"refStreetlightControlCabinet": {"type": "Relationship", "object": "urn:ngsi-ld:X:TU-2"}}
    assert client.patch(f"{BASE}/entities/urn:ngsi-ld:Streetlight:R-1/attrs", json=moved).status_code == 204
    assert service.get_device(db, device_id="R-1").relationships == {
        "refStreetlightControlCabinet": "urn:ngsi-ld:X:TU-2"
    }
    not_uri = {
        **light,
        "id": "urn:ngsi-ld:Streetlight:R-2",
        "refX": {"type": "Relationship", "object": "TU 9"},
    }
    assert client.post(f"{BASE}/entities", json=not_uri).status_code == 400
    no_object = {
        **light,
        "id": "urn:ngsi-ld:Streetlight:R-3",
        "refX": {"type": "Relationship", "value": "u:x"},
    }
    assert client.post(f"{BASE}/entities", json=no_object).status_code == 400
    assert service.find_devices(db, device_ids=["R-2", "R-3"]) == []


def test_batch_create_update_delete_and_query_by_body(client, city, db):
    lights = [
        {
            "id": f"urn:ngsi-ld:Streetlight:B-{i}",
            "type": "Streetlight",
            "dimLevel": {"type": "Property", "value": i},
        }
        for i in (1, 2)
    ]
    created = client.post(f"{BASE}/entityOperations/create", json=lights)
    assert created.status_code == 201 and created.json() == [e["id"] for e in lights]
    again = client.post(f"{BASE}/entityOperations/create", json=lights[:1])
    assert again.status_code == 207
    assert again.json()["errors"][0]["error"]["type"] == "https://uri.etsi.org/ngsi-ld/errors/AlreadyExists"
    change = [{"id": lights[0]["id"], "type": "Streetlight", "dimLevel": {"type": "Property", "value": 55}}]
    assert client.post(f"{BASE}/entityOperations/update", json=change).status_code == 204
    assert service.latest_state(db, device_ids=["B-1"])["B-1"]["dimLevel"][0] == 55
    missing = [{"id": "urn:ngsi-ld:Streetlight:NOPE", "dimLevel": {"type": "Property", "value": 1}}]
    updated = client.post(f"{BASE}/entityOperations/update", json=missing)
    assert updated.status_code == 207 and updated.json()["success"] == []
    query = {
        "type": "Query",
        "entities": [{"type": "Streetlight"}],
        "q": "dimLevel==55",
        "attrs": ["dimLevel"],
    }
    answer = client.post(f"{BASE}/entityOperations/query", json=query, params={"count": "true"})
    assert ids(answer) == ["urn:ngsi-ld:Streetlight:B-1"] and answer.headers["NGSILD-Results-Count"] == "1"
    assert set(answer.json()[0]) == {"id", "type", "dimLevel"}
    near = {
        "type": "Query",
        "entities": [{"type": "Streetlight"}],
        "geoQ": {"georel": "near;maxDistance==60", "geometry": "Point", "coordinates": [106.6530, 10.9800]},
    }
    assert ids(client.post(f"{BASE}/entityOperations/query", json=near)) == ["urn:ngsi-ld:Streetlight:SL-0"]
    assert client.post(f"{BASE}/entityOperations/query", json={"type": "Other"}).status_code == 400
    gone = client.post(
        f"{BASE}/entityOperations/delete", json=[lights[1]["id"], "urn:ngsi-ld:Streetlight:NOPE"]
    )
    assert gone.status_code == 207 and gone.json()["success"] == [lights[1]["id"]]
    assert service.get_device(db, device_id="B-2").status == "decommissioned"
    assert client.post(f"{BASE}/entityOperations/delete", json=[lights[0]["id"]]).status_code == 204


def test_a_refused_value_leaves_no_half_created_entity(client, city, db):
    bad = {
        "id": "urn:ngsi-ld:Streetlight:H-1",
        "type": "Streetlight",
        "name": {"type": "Property", "value": "Đèn nửa vời"},
        "dimLevel": {"type": "Property", "value": 400},
    }
    for url, body in ((f"{BASE}/entities", bad), (f"{BASE}/entityOperations/create", [bad])):
        response = client.post(url, json=body)
        assert response.status_code in (400, 207), response.text
    unknown = {**bad, "id": "urn:ngsi-ld:Streetlight:H-2", "dimLevel": 5, "wingSpan": 3}
    assert client.post(f"{BASE}/entities", json=unknown).status_code == 400
    assert service.find_devices(db, device_ids=["H-1", "H-2"]) == []
    good = {**bad, "dimLevel": {"type": "Property", "value": 40}}
    assert client.post(f"{BASE}/entities", json=good).status_code == 201
    assert service.latest_state(db, device_ids=["H-1"])["H-1"]["dimLevel"][0] == 40


def test_upsert_replace_drops_relationships_update_keeps_them(client, city, db):
    def rel(target: str) -> dict[str, str]:
        return {"type": "Relationship", "object": target}

    light = {"id": "urn:ngsi-ld:Streetlight:U-1", "type": "Streetlight", "refA": rel("urn:x:a")}
    assert client.post(f"{BASE}/entityOperations/upsert", json=[light]).status_code == 201
    more = {"id": light["id"], "type": "Streetlight", "refB": rel("urn:x:b")}
    assert client.post(f"{BASE}/entityOperations/upsert?options=update", json=[more]).status_code == 204
    assert service.get_device(db, device_id="U-1").relationships == {"refA": "urn:x:a", "refB": "urn:x:b"}
    dim = {"id": light["id"], "type": "Streetlight", "dimLevel": {"type": "Property", "value": 20}}
    assert client.post(f"{BASE}/entityOperations/upsert", json=[dim]).status_code == 204  # replace: default
    assert service.get_device(db, device_id="U-1").relationships == {}
    assert service.latest_state(db, device_ids=["U-1"])["U-1"]["dimLevel"][0] == 20
    for url in ("entityOperations/upsert?options=noOverwrite", "entityOperations/update?options=noOverwrite"):
        refused = client.post(f"{BASE}/{url}", json=[dim])
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/OperationNotSupported"


def test_types_and_attributes_are_discovered_under_the_broker_prefix(client, city):
    listed = client.get(f"{BASE}/types")
    assert listed.status_code == 200, listed.text
    assert listed.json()["typeList"] == ["Streetlight", "WasteContainer"]
    info = client.get(f"{BASE}/types/Streetlight").json()
    assert info["entityCount"] == 3
    assert {"dimLevel", "powerState", "location"} <= {a["attributeName"] for a in info["attributeDetails"]}
    filling = client.get(f"{BASE}/attributes/fillingLevel").json()
    assert (filling["typeNames"], filling["attributeCount"]) == (["WasteContainer"], 1)
    assert "fillingLevel" in client.get(f"{BASE}/attributes").json()["attributeList"]
    missing = client.get(f"{BASE}/types/Nothing")
    assert missing.status_code == 404
    assert missing.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert f"{BASE}/types/{{type_name}}" in client.app.openapi()["paths"]  # documented with the broker
