"""Camera events arrive over HTTP (with a snapshot) or MQTT and are published for the operations centre;
snapshots only for the roles that need them, every view audited."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from smartcity.cameras import demo, service
from smartcity.cameras.schemas import CameraCreate
from smartcity.core.audit import AuditEntry
from smartcity.core.outbox import OutboxMessage
from smartcity.core.security import Actor
from smartcity.iot import service as iot_service
from smartcity.web.deps import current_actor

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="op", user_id=1, roles=frozenset({("operator", None)}))
BOX = Actor(kind="apikey", name="analytics-box", roles=frozenset({("integrator", None)}))
CITIZEN = Actor(kind="user", name="dan", user_id=2, roles=frozenset({("citizen", None)}))


@pytest.fixture
def act_as(app):  # type: ignore[no-untyped-def]
    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)


@pytest.fixture
def cameras(db, settings):  # type: ignore[no-untyped-def]
    service.create_camera(
        db,
        actor=SYSTEM,
        data=CameraCreate(
            id="CAM-1",
            name="Ngã Sáu",
            kind="traffic",
            road="Vòng xoay Ngã Sáu",
            lanes=2,
            lon=106.658,
            lat=10.977,
            stream_url="rtsp://cam.example.invalid/1",
        ),
    )
    service.create_camera(
        db, actor=SYSTEM, data=CameraCreate(id="CAM-S", name="Chợ", kind="security", lon=106.652, lat=10.979)
    )


def _published(db, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return [m.payload for m in s.query(OutboxMessage).filter(OutboxMessage.event_type == name)]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 0, 0)).save(out, format="PNG")
    return out.getvalue()


def test_accident_over_http_is_published_for_the_operations_centre(
    db, settings, client, act_as, cameras
) -> None:  # type: ignore[no-untyped-def]
    act_as(BOX)
    body = {
        "event_id": "A-1",
        "kind": "accident",
        "occurred_at": datetime.now(UTC).isoformat(),
        "lane": 2,
        "confidence": 0.93,
    }
    first = client.post("/api/v1/cameras/CAM-1/events", json=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/cameras/CAM-1/events", json=body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    [event] = _published(db, "cameras.CameraEventReported")
    assert event["kind"] == "accident" and event["category"] == "traffic" and event["severity"] == "Severe"
    assert event["camera_id"] == "CAM-1" and event["lane"] == 2 and event["road"] == "Vòng xoay Ngã Sáu"
    assert event["title_vi"] == "Tai nạn giao thông — Ngã Sáu" and (event["lon"], event["lat"]) == (
        106.658,
        10.977,
    )


def test_snapshot_is_for_operators_and_each_view_is_audited(db, settings, client, act_as, cameras) -> None:  # type: ignore[no-untyped-def]
    act_as(BOX)
    answer = client.post(
        "/api/v1/cameras/CAM-S/events",
        data={"event_id": "S-1", "kind": "smoke", "occurred_at": datetime.now(UTC).isoformat()},
        files={"snapshot": ("s.png", _png(), "image/png")},
    )
    assert answer.status_code == 201 and answer.json()["has_snapshot"] is True
    event_id = answer.json()["id"]
    assert client.get(f"/api/v1/cameras/events/{event_id}/snapshot").status_code == 403
    act_as(CITIZEN)
    assert client.get(f"/can-bo/camera/su-kien/{event_id}/anh").status_code == 403
    act_as(OPERATOR)
    for _ in range(2):
        image = client.get(f"/can-bo/camera/su-kien/{event_id}/anh")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    with db.session() as s:
        views = s.query(AuditEntry).filter(AuditEntry.action == "view_snapshot").count()
    assert views == 2
    # the stream address is shown to operators, never proxied
    page = client.get("/can-bo/camera/CAM-1")
    assert "rtsp://cam.example.invalid/1" in page.text


def test_bad_events_are_explained(db, settings, client, act_as, cameras) -> None:  # type: ignore[no-untyped-def]
    act_as(BOX)
    now = datetime.now(UTC)
    cases = [
        ("CAM-1", {"event_id": "x1", "kind": "accident", "occurred_at": now.isoformat(), "lane": 5}, "làn"),
        ("CAM-S", {"event_id": "x2", "kind": "accident", "occurred_at": now.isoformat()}, "Camera an ninh"),
        (
            "CAM-1",
            {"event_id": "x3", "kind": "accident", "occurred_at": (now + timedelta(hours=3)).isoformat()},
            "tương lai",
        ),
        ("CAM-1", {"event_id": "x4", "kind": "meteor", "occurred_at": now.isoformat()}, "kind"),
    ]
    for camera, body, words in cases:
        answer = client.post(f"/api/v1/cameras/{camera}/events", json=body)
        assert answer.status_code == 422 and words in answer.text, answer.text
    not_image = client.post(
        "/api/v1/cameras/CAM-S/events",
        data={"event_id": "x5", "kind": "smoke", "occurred_at": now.isoformat()},
        files={"snapshot": ("s.txt", b"hello, not an image", "image/png")},
    )
    assert not_image.status_code == 415
    assert _published(db, "cameras.CameraEventReported") == []


def test_event_over_mqtt_through_the_iot_core(db, settings, cameras) -> None:  # type: ignore[no-untyped-def]
    at = datetime.now(UTC) - timedelta(minutes=2)
    envelope = iot_service.Envelope(
        payload={
            "ts": at.isoformat(),
            "msg_id": "m-1",
            "values": {"eventType": "wrong_way", "eventId": "W-9", "eventLane": 1, "eventConfidence": 0.8},
        },
        device_id="CAM-1",
        topic_type="camera",
    )
    assert not iot_service.ingest(db, envelopes=[envelope]).refused
    assert service.pull_mqtt_events(db) == 1
    assert service.pull_mqtt_events(db) == 0
    [event] = service.list_events(db)
    assert (event.kind, event.received_via, event.lane, event.external_id) == ("wrong_way", "mqtt", 1, "W-9")
    assert _published(db, "cameras.CameraEventReported")[0]["kind"] == "wrong_way"


def test_demo_and_acknowledging_from_the_page(db, settings, client, act_as) -> None:  # type: ignore[no-untyped-def]
    summary = demo.load_demo(db, settings=settings, actor=Actor.system("demo"))  # timed in bench/, not here
    assert "8 cameras" in summary
    assert demo.load_demo(db, settings=settings, actor=Actor.system("demo")) == "cameras already there"
    act_as(OPERATOR)
    page = client.get("/can-bo/camera")
    assert page.status_code == 200 and "Xe dừng bất thường" in page.text
    assert "Đã xác nhận · Hệ thống (tự động)" in page.text  # past events the platform acknowledged
    english = client.get("/can-bo/camera", params={"lang": "en"}).text
    assert "Acknowledged · System (automatic)" in english and "Hệ thống" not in english
    [new] = service.list_events(db, state="new")
    assert client.post(f"/can-bo/camera/su-kien/{new.id}/xac-nhan", follow_redirects=False).status_code == 303
    assert service.list_events(db, state="new") == []
    detail = client.get("/can-bo/camera/CAM-NGA6")
    assert detail.status_code == 200 and "<rect" in detail.text
    hours = service.congestion_hours(db, start=datetime.now(UTC) - timedelta(days=7), end=datetime.now(UTC))
    assert hours["Vòng xoay Ngã Sáu"] > 0
