"""Commands over HTTP (embedded default): validated, stored before delivery, applied once, acknowledged."""

from __future__ import annotations

from tests.iot.conftest import OPERATOR


def test_group_command_flow_for_devices_polling_over_http(client, act_as, add_device, db):
    lights = {i: add_device(f"SL-{i}", tags=["duong-30-4"]) for i in range(3)}
    add_device("SL-9", tags=["khac"])
    act_as(OPERATOR)
    sent = client.post(
        "/api/v1/iot/commands", json={"name": "dim", "params": {"dimLevel": 40}, "tag": "duong-30-4"}
    )
    assert sent.status_code == 202, sent.text
    group = sent.json()
    assert group["counts"] == {"pending": 3}
    for i, created in lights.items():
        token = {"X-Device-Token": f"SL-{i}:{created.password}"}
        pending = client.get(f"/api/v1/iot/devices/SL-{i}/commands/pending", headers=token).json()
        assert [c["name"] for c in pending] == ["dim"]
        again = client.get(f"/api/v1/iot/devices/SL-{i}/commands/pending", headers=token).json()
        assert [c["command_id"] for c in again] == [pending[0]["command_id"]]  # same id: applied once
        status = "failed" if i == 2 else "ok"
        url = f"/api/v1/iot/devices/SL-{i}/commands/{pending[0]['command_id']}/ack"
        assert client.post(url, json={"status": status}, headers=token).status_code == 200
        assert client.post(url, json={"status": "ok"}, headers=token).json()["status"] in (
            "acknowledged",
            "failed",
        )
    counts = client.get(f"/api/v1/iot/commands/{group['group_id']}").json()["counts"]
    assert counts == {"acknowledged": 2, "failed": 1}


def test_commands_are_checked_against_the_device_type(client, act_as, add_device):
    add_device("SL-1")
    add_device("WC-1", "waste_container")
    act_as(OPERATOR)
    bad = [
        {"name": "dim", "params": {"dimLevel": 140}, "device_ids": ["SL-1"]},
        {"name": "dim", "params": {}, "device_ids": ["SL-1"]},
        {"name": "dim", "params": {"dimLevel": 40}, "device_ids": ["WC-1"]},
        {"name": "dim", "params": {"dimLevel": 40}},
    ]
    for body in bad:
        assert client.post("/api/v1/iot/commands", json=body).status_code == 422, body
    missing = {"name": "dim", "params": {"dimLevel": 40}, "device_ids": ["SL-404"]}
    assert client.post("/api/v1/iot/commands", json=missing).status_code == 404


def test_a_device_cannot_answer_for_another(client, add_device, act_as):
    one = add_device("SL-1")
    add_device("SL-2")
    act_as(OPERATOR)
    group = client.post(
        "/api/v1/iot/commands", json={"name": "dim", "params": {"dimLevel": 1}, "device_ids": ["SL-2"]}
    )
    command_id = group.json()["items"][0]["id"]
    token = {"X-Device-Token": f"SL-1:{one.password}"}
    app_client = client
    app_client.app.dependency_overrides.clear()
    assert (
        app_client.post(
            f"/api/v1/iot/devices/SL-2/commands/{command_id}/ack", json={}, headers=token
        ).status_code
        == 403
    )
    assert app_client.get("/api/v1/iot/devices/SL-2/commands/pending", headers=token).status_code == 403
