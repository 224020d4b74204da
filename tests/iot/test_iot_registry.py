"""Device registry: registration over the API and the CLI, CSV import, decommissioning, credentials."""

from __future__ import annotations

from smartcity.iot import service
from smartcity.iot.device_types import device_types
from tests.iot.conftest import CITIZEN, INTEGRATOR, OPERATOR, SYSTEM, TDM


def test_every_builtin_type_maps_to_a_smart_data_model():
    kinds = {slug: t.sdm_type for slug, t in device_types().items()}
    assert kinds == {
        "device": "Device",
        "streetlight": "Streetlight",
        "streetlight_cabinet": "StreetlightControlCabinet",
        "waste_container": "WasteContainer",
        "traffic_flow": "TrafficFlowObserved",
        "air_quality": "AirQualityObserved",
        "flood_sensor": "FloodMonitoring",
        "streetlight_group": "StreetlightGroup",
        "camera": "Camera",
    }


def test_register_device_over_api_shows_password_once(client, act_as):
    act_as(INTEGRATOR)
    body = {
        "id": "SL-0001",
        "type": "streetlight",
        "location": {"type": "Point", "coordinates": list(TDM)},
        "tags": ["dai-lo-binh-duong"],
    }
    created = client.post("/api/v1/iot/devices", json=body)
    assert created.status_code == 201, created.text
    password = created.json()["credentials"]["password"]
    assert len(password) >= 30
    act_as(OPERATOR)
    shown = client.get("/api/v1/iot/devices/SL-0001").json()
    assert shown["location"]["coordinates"] == list(TDM)
    assert "credentials" not in shown and password not in str(shown)
    assert client.post("/api/v1/iot/devices", json=body).status_code == 409


def test_register_rejects_bad_input_without_writing(client, act_as, db):
    act_as(INTEGRATOR)
    bad = [
        {"id": "SL/1", "type": "streetlight"},
        {"id": "SL-1", "type": "toaster"},
        {"id": "SL-1", "type": "streetlight", "location": {"type": "Point", "coordinates": [200, 10]}},
    ]
    for body in bad:
        response = client.post("/api/v1/iot/devices", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert service.list_devices(db, where=service.DeviceFilter())[1] == 0


def test_roles_are_enforced(client, act_as):
    act_as(CITIZEN)
    assert client.post("/api/v1/iot/devices", json={"id": "X1", "type": "device"}).status_code == 403
    assert client.get("/api/v1/iot/alarms").status_code == 403


def test_anonymous_caller_is_refused(client):
    assert client.get("/api/v1/iot/devices").status_code == 401


def test_list_filters_by_type_tag_and_bbox(db, add_device, client, act_as):
    add_device("SL-1", tags=["a"])
    add_device("SL-2", tags=["b"], lon=106.70)
    add_device("WC-1", "waste_container")
    act_as(OPERATOR)
    ids = lambda **q: [d["id"] for d in client.get("/api/v1/iot/devices", params=q).json()["items"]]  # noqa: E731
    assert ids(type="streetlight") == ["SL-1", "SL-2"]
    assert ids(tag="b") == ["SL-2"]
    assert ids(bbox="106.6,10.9,106.66,11.0") == ["SL-1", "WC-1"]
    assert client.get("/api/v1/iot/devices", params={"bbox": "x"}).status_code == 400


def test_csv_import_is_all_or_nothing(client, act_as, db):
    act_as(INTEGRATOR)
    good = "id,type,lon,lat,tags\nSL-10,streetlight,106.65,10.98,a;b\nWC-10,waste_container,106.66,10.97,\n"
    bad = good + "XX-1,toaster,106.6,10.9,\nSL-10,streetlight,1,1,\n"
    response = client.post("/api/v1/iot/devices/import", content=bad, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert [e["line"] for e in response.json()["errors"]] == [4, 5]
    assert service.list_devices(db, where=service.DeviceFilter())[1] == 0
    response = client.post("/api/v1/iot/devices/import", content=good, headers={"content-type": "text/csv"})
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    assert service.get_device(db, device_id="SL-10").tags == ["a", "b"]


def test_decommissioned_device_loses_credentials_and_is_hidden(db, add_device):
    created = add_device("SL-1")
    assert service.authenticate_device(db, username="SL-1", password=created.password) is not None
    service.decommission_device(db, actor=SYSTEM, device_id="SL-1")
    assert service.authenticate_device(db, username="SL-1", password=created.password) is None
    assert service.list_devices(db, where=service.DeviceFilter())[1] == 0
    assert service.list_devices(db, where=service.DeviceFilter(status="decommissioned"))[1] == 1


def test_device_password_hashes_are_stored_not_passwords(db, add_device):
    created = add_device("SL-1")
    device = service.get_device(db, device_id="SL-1")
    assert created.password not in device.password_hash
    assert device.mosquitto_hash and device.mosquitto_hash.startswith("$7$")


def test_ward_comes_from_the_city_pack(db, add_device):
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    created = add_device("SL-W1", lon=TDM[0], lat=TDM[1])
    assert created.device.ward_code is not None and len(created.device.ward_code) == 5
    outside = add_device("SL-W2", lon=105.0, lat=10.0)
    assert outside.device.ward_code is None
