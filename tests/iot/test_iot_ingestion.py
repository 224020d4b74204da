"""HTTP ingestion and storage: once-only, bad input refused and counted, latest state, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartcity.iot import service
from smartcity.iot.pipeline import Envelope
from tests.iot.conftest import INTEGRATOR, OPERATOR, message

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def post(client, messages, **headers):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/iot/telemetry", json={"messages": messages}, headers=headers)


def test_batch_is_stored_once_even_when_sent_twice(client, act_as, add_device, db):
    add_device("SL-1")
    act_as(INTEGRATOR)
    batch = [
        message(f"m{i}", {"dimLevel": i, "powerState": "on"}, ts=T0 + timedelta(minutes=i), device_id="SL-1")
        for i in range(20)
    ]
    first = post(client, batch + batch[:3]).json()
    assert (first["accepted"], first["duplicates"], first["rejected"]) == (20, 3, 0)
    again = post(client, batch).json()
    assert (again["accepted"], again["duplicates"]) == (0, 20)
    assert service.stored_message_count(db) == 20
    assert len(service.telemetry(db, device_id="SL-1", limit=1000)) == 40


def test_bad_messages_are_refused_and_counted_without_blocking_others(client, act_as, add_device, db):
    add_device("SL-1")
    add_device("WC-1", "waste_container")
    act_as(INTEGRATOR)
    future = datetime.now(UTC) + timedelta(days=2)
    batch = [
        "not an object",
        message("a", {"dimLevel": 50}, device_id="NOPE"),
        message("b", {"dimLevel": 150}, device_id="SL-1"),
        message("c", {"colour": "red"}, device_id="SL-1"),
        message("d", {"dimLevel": 10}, ts=future, device_id="SL-1"),
        {"device_id": "SL-1", "msg_id": "e", "ts": "yesterday", "values": {"dimLevel": 1}},
        {"device_id": "SL-1", "msg_id": "f", "ts": "2026-03-01T08:00:00", "values": {"dimLevel": 1}},
        message("g", {"powerState": "exploded"}, device_id="SL-1"),
        message("h", {"fillingLevel": 40.5, "lidOpen": False}, device_id="WC-1"),
    ]
    report = post(client, batch).json()
    assert report["accepted"] == 1 and report["rejected"] == 8
    reasons = [(e["device_id"], e["reason"]) for e in report["errors"]]
    assert reasons == [
        ("?", "malformed"),
        ("NOPE", "unknown_device"),
        ("SL-1", "invalid_value"),
        ("SL-1", "unknown_key"),
        ("SL-1", "future_timestamp"),
        ("SL-1", "malformed"),
        ("SL-1", "malformed"),
        ("SL-1", "invalid_value"),
    ]
    counts = {(r.device_id, r.reason): r.count for r in service.rejections(db)}
    assert counts[("SL-1", "invalid_value")] == 2 and counts[("NOPE", "unknown_device")] == 1
    act_as(OPERATOR)
    shown = client.get("/api/v1/iot/devices/SL-1").json()
    assert shown["rejected_messages"] == 6
    assert client.get("/api/v1/iot/devices/WC-1/state").json()["values"] == {
        "fillingLevel": 40.5,
        "lidOpen": False,
    }


def test_latest_state_keeps_the_newest_value_whatever_the_arrival_order(db, add_device):
    add_device("SL-1")
    late = Envelope(message("late", {"dimLevel": 30}, ts=T0 + timedelta(hours=1)), device_id="SL-1")
    early = Envelope(message("early", {"dimLevel": 80}, ts=T0), device_id="SL-1")
    service.ingest(db, envelopes=[late])
    service.ingest(db, envelopes=[early])
    value, ts = service.latest_state(db, device_ids=["SL-1"])["SL-1"]["dimLevel"]
    assert (value, ts) == (30, T0 + timedelta(hours=1))


def test_reported_since_names_only_devices_heard_from_at_or_after_the_moment(db, add_device):
    for device_id in ("SL-1", "SL-2", "SL-3"):
        add_device(device_id)
    service.ingest(db, envelopes=[Envelope(message("old", {"dimLevel": 10}, ts=T0), device_id="SL-1")])
    later = message("new", {"dimLevel": 20}, ts=T0 + timedelta(hours=2))
    service.ingest(db, envelopes=[Envelope(later, device_id="SL-2")])
    heard = service.reported_since(db, device_ids=["SL-1", "SL-2", "SL-3"], since=T0 + timedelta(hours=1))
    assert heard == {"SL-2"}
    assert service.reported_since(db, device_ids=["SL-1", "SL-3"], since=T0) == {"SL-1"}


def test_telemetry_range_and_aggregates(client, act_as, add_device, db):
    add_device("AQ-1", "air_quality")
    envelopes = [
        Envelope(message(f"m{i}", {"pm25": float(i)}, ts=T0 + timedelta(minutes=10 * i)), device_id="AQ-1")
        for i in range(12)
    ]
    service.ingest(db, envelopes=envelopes)
    act_as(OPERATOR)
    params = {"key": "pm25", "from": "2026-03-01T08:30:00Z", "to": "2026-03-01T09:00:00Z"}
    values = [
        p["value"] for p in client.get("/api/v1/iot/devices/AQ-1/telemetry", params=params).json()["items"]
    ]
    assert values == [5.0, 4.0, 3.0]
    hourly = client.get(
        "/api/v1/iot/devices/AQ-1/aggregates", params={"key": "pm25", "interval": "hour"}
    ).json()
    assert [(p["start"][:19], p["count"], p["min"], p["avg"], p["max"]) for p in hourly["items"]] == [
        ("2026-03-01T08:00:00", 6, 0.0, 2.5, 5.0),
        ("2026-03-01T09:00:00", 6, 6.0, 8.5, 11.0),
    ]
    assert (
        client.get(
            "/api/v1/iot/devices/AQ-1/aggregates", params={"key": "pm25", "interval": "week"}
        ).status_code
        == 422
    )
    assert client.get("/api/v1/iot/devices/AQ-1/telemetry", params={"from": "soon"}).status_code == 422


def test_device_credentials_send_only_for_their_device(client, add_device, db):
    created = add_device("SL-1")
    add_device("SL-2")
    token = {"X-Device-Token": f"SL-1:{created.password}"}
    report = post(client, [message("x", {"dimLevel": 5})], **token)
    assert report.status_code == 200 and report.json()["accepted"] == 1
    assert post(client, [message("y", {"dimLevel": 5}, device_id="SL-2")], **token).status_code == 403
    assert (
        post(client, [message("z", {"dimLevel": 5})], **{"X-Device-Token": "SL-1:wrong"}).status_code == 401
    )
    assert post(client, [message("z", {"dimLevel": 5})]).status_code == 401


def test_malformed_body_is_a_client_error(client, act_as):
    act_as(INTEGRATOR)
    response = client.post(
        "/api/v1/iot/telemetry", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert client.post("/api/v1/iot/telemetry", json={"messages": "x"}).status_code == 422


def test_rollups_survive_the_purge_of_raw_values(client, act_as, add_device, db):
    add_device("AQ-1", "air_quality")
    envelopes = [
        Envelope(
            message(f"m{i}", {"pm25": float(i), "temperature": 30.0}, ts=T0 + timedelta(minutes=10 * i)),
            device_id="AQ-1",
        )
        for i in range(12)
    ]
    service.ingest(db, envelopes=envelopes)
    assert service.roll_up(db, interval="hour", start=T0, end=T0 + timedelta(hours=2)) == 4
    assert service.roll_up(db, interval="hour", start=T0, end=T0 + timedelta(hours=2)) == 4  # idempotent
    service.roll_up(db, interval="day", start=T0, end=T0 + timedelta(hours=2))
    assert service.purge_telemetry(db, before=T0 + timedelta(days=1)) == 24
    assert service.telemetry(db, device_id="AQ-1") == []
    act_as(OPERATOR)
    hourly = client.get("/api/v1/iot/devices/AQ-1/rollups", params={"key": "pm25", "interval": "hour"}).json()
    assert [(p["count"], p["min"], p["avg"], p["max"]) for p in hourly["items"]] == [
        (6, 0.0, 2.5, 5.0),
        (6, 6.0, 8.5, 11.0),
    ]
    daily = client.get("/api/v1/iot/devices/AQ-1/rollups", params={"key": "pm25", "interval": "day"}).json()
    assert [(p["count"], p["avg"]) for p in daily["items"]] == [(12, 5.5)]
