"""NGSI-LD discovery (ETSI GS CIM 009 §5.7.5–5.7.10): clients find types and attributes unseen."""

from __future__ import annotations

from datetime import timedelta

from smartcity.environment import service
from tests.environment.conftest import OPERATOR, hour, send


def test_types_and_attributes_can_be_discovered(db, settings, station, client, act_as) -> None:  # type: ignore[no-untyped-def]
    station("AQ-1")
    station("FL-1", "flood")
    start = hour("2026-11-30 00:00")
    for h in range(3):
        send(db, "AQ-1", start + timedelta(hours=h, minutes=30), {"pm25": 30.0})
    service.compute_hourly(db, now=start + timedelta(hours=3))
    act_as(OPERATOR)
    types = client.get("/ngsi-ld/v1/types").json()
    assert types["type"] == "EntityTypeList" and types["id"].startswith("urn:ngsi-ld:EntityTypeList:")
    assert types["typeList"] == ["AirQualityObserved", "FloodMonitoring"]
    details = client.get("/ngsi-ld/v1/types", params={"details": "true"}).json()
    air = next(t for t in details if t["typeName"] == "AirQualityObserved")
    assert air["type"] == "EntityType" and air["id"].endswith("/AirQualityObserved")
    assert {"airQualityIndex", "pm25", "location"} <= set(air["attributeNames"])
    info = client.get("/ngsi-ld/v1/types/AirQualityObserved").json()
    assert info["type"] == "EntityTypeInfo" and info["entityCount"] == 1
    location = next(a for a in info["attributeDetails"] if a["attributeName"] == "location")
    assert location["attributeTypes"] == ["GeoProperty"]
    attributes = client.get("/ngsi-ld/v1/attributes").json()
    assert attributes["type"] == "AttributeList" and "airQualityIndex" in attributes["attributeList"]
    one = client.get("/ngsi-ld/v1/attributes/location").json()
    assert one["type"] == "Attribute" and one["attributeCount"] == 2
    assert one["typeNames"] == ["AirQualityObserved", "FloodMonitoring"]
    assert client.get("/ngsi-ld/v1/types/Unicorn").status_code == 404
    assert client.get("/ngsi-ld/v1/attributes/nothing").status_code == 404
