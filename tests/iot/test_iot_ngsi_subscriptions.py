"""NGSI-LD subscriptions: CRUD, filters, and notifications POSTed to a real HTTP receiver on loopback."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from smartcity.core.config import get_settings
from smartcity.core.security import Actor
from smartcity.iot import service, subscriptions
from smartcity.iot.pipeline import Envelope
from tests.iot.conftest import INTEGRATOR, OPERATOR, SYSTEM, message

BASE = "/ngsi-ld/v1"
T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


class Receiver:
    """A tiny HTTP server on loopback that records the notifications it gets."""

    def __init__(self, status: int = 204, *, first: tuple[int, ...] = ()) -> None:
        """Answer `status`, except the first requests, which get the statuses in `first`."""
        self.received: queue.Queue[tuple[dict[str, str], dict[str, Any]]] = queue.Queue()
        owner, answers = self, list(first)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.received.put((dict(self.headers), json.loads(self.rfile.read(length))))
                self.send_response(answers.pop(0) if answers else status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The next notification (waits for it)."""
        return self.received.get(timeout=10)

    def nothing_more(self) -> bool:
        """True when no further notification arrived once deliveries under way are done."""
        subscriptions.wait_for_deliveries()
        return self.received.empty()

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _loopback_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests' receivers listen on loopback, which production refuses (SSRF): allow it here."""
    monkeypatch.setenv("SMARTCITY_NGSI_ALLOW_PRIVATE_ENDPOINTS", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _deliveries_done() -> Iterator[None]:
    """Let notifications under way finish before the database goes away."""
    yield
    subscriptions.wait_for_deliveries()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A notification receiver answering 204."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def lights(db, add_device, act_as):  # type: ignore[no-untyped-def]
    """Two lights and a waste container; requests come from an integrator."""
    add_device("SL-1", name="Đèn 1")
    add_device("SL-2", name="Đèn 2")
    add_device("WC-1", "waste_container")
    act_as(INTEGRATOR)


def send(db, device_id: str, msg_id: str, values: dict[str, Any], ts: datetime = T0) -> None:  # type: ignore[no-untyped-def]
    """Ingest one message."""
    outcome = service.ingest(db, envelopes=[Envelope(message(msg_id, values, ts=ts), device_id=device_id)])
    assert outcome.accepted == 1, outcome


def subscribe(client, uri: str, **members: Any) -> str:  # type: ignore[no-untyped-def]
    """Create a subscription, returning its id."""
    body = {"type": "Subscription", "notification": {"endpoint": {"uri": uri}}, **members}
    if "format" in members or "attributes" in members:
        body["notification"].update({k: body.pop(k) for k in ("format", "attributes") if k in body})
    response = client.post(f"{BASE}/subscriptions", json=body)
    assert response.status_code == 201, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def test_notification_arrives_with_the_entity(client, db, lights, receiver):
    sub_id = subscribe(
        client, receiver.url, entities=[{"type": "Streetlight"}], watchedAttributes=["dimLevel"]
    )
    send(db, "SL-1", "m1", {"dimLevel": 40, "powerState": "on"})
    headers, body = receiver.next()
    assert body["type"] == "Notification" and body["subscriptionId"] == sub_id
    assert body["id"].startswith("urn:ngsi-ld:Notification:") and body["notifiedAt"].endswith("Z")
    [entity] = body["data"]
    assert entity["id"] == "urn:ngsi-ld:Streetlight:SL-1"
    assert entity["dimLevel"] == {
        "type": "Property",
        "value": 40.0,
        "observedAt": "2026-03-01T20:00:00Z",
        "unitCode": "P1",
    }
    assert headers["Content-Type"] == "application/json"
    subscriptions.wait_for_deliveries()
    shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()
    assert shown["notification"]["timesSent"] == 1 and shown["notification"]["status"] == "ok"
    assert "lastSuccess" in shown["notification"] and "lastNotification" in shown["notification"]
    assert shown["status"] == "active" and shown["isActive"] is True


def test_filters_type_watched_attributes_and_q(client, db, lights, receiver):
    subscribe(
        client,
        receiver.url,
        entities=[{"type": "Streetlight", "idPattern": "SL-2$"}],
        q="dimLevel>50",
        format="keyValues",
        attributes=["dimLevel"],
    )
    send(db, "WC-1", "w1", {"fillingLevel": 90})  # another type
    send(db, "SL-1", "a1", {"dimLevel": 90})  # another id
    send(db, "SL-2", "b1", {"dimLevel": 20})  # q false
    send(db, "SL-2", "b2", {"dimLevel": 70, "powerState": "on"}, ts=T0 + timedelta(minutes=1))
    _, body = receiver.next()
    assert body["data"] == [{"id": "urn:ngsi-ld:Streetlight:SL-2", "type": "Streetlight", "dimLevel": 70.0}]
    assert receiver.nothing_more()


def test_watched_attributes_alone_and_paused_subscription(client, db, lights, receiver):
    sub_id = subscribe(client, receiver.url, watchedAttributes=["fillingLevel"])
    send(db, "SL-1", "a1", {"dimLevel": 10})
    send(db, "WC-1", "w1", {"fillingLevel": 55})
    _, body = receiver.next()
    assert [e["id"] for e in body["data"]] == ["urn:ngsi-ld:WasteContainer:WC-1"]
    assert client.patch(f"{BASE}/subscriptions/{sub_id}", json={"isActive": False}).status_code == 204
    assert client.get(f"{BASE}/subscriptions/{sub_id}").json()["status"] == "paused"
    send(db, "WC-1", "w2", {"fillingLevel": 60}, ts=T0 + timedelta(minutes=1))
    assert receiver.nothing_more()


def test_throttling_sends_once_per_period(client, db, lights, receiver):
    subscribe(client, receiver.url, entities=[{"type": "Streetlight"}], throttling=3600)
    send(db, "SL-1", "a1", {"dimLevel": 10})
    receiver.next()
    send(db, "SL-1", "a2", {"dimLevel": 20}, ts=T0 + timedelta(minutes=1))
    assert receiver.nothing_more()


def test_expired_subscription_sends_nothing(client, db, lights, receiver):
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    sub_id = subscribe(client, receiver.url, entities=[{"type": "Streetlight"}], expiresAt=past)
    send(db, "SL-1", "a1", {"dimLevel": 10})
    assert receiver.nothing_more()
    assert client.get(f"{BASE}/subscriptions/{sub_id}").json()["status"] == "expired"


def test_failures_are_recorded_and_ingestion_goes_on(client, db, lights):
    failing = Receiver(status=500)
    try:
        sub_id = subscribe(client, failing.url, entities=[{"type": "Streetlight"}])
        send(db, "SL-1", "a1", {"dimLevel": 10})
        failing.next()
        subscriptions.wait_for_deliveries()
    finally:
        failing.close()
    shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()["notification"]
    assert shown["status"] == "failed" and shown["timesFailed"] == 1 and "lastFailure" in shown
    unreachable = subscribe(client, "http://127.0.0.1:9/none", entities=[{"type": "Streetlight"}])
    send(db, "SL-1", "a2", {"dimLevel": 20}, ts=T0 + timedelta(minutes=1))
    subscriptions.wait_for_deliveries()
    assert client.get(f"{BASE}/subscriptions/{unreachable}").json()["notification"]["status"] == "failed"
    assert service.latest_state(db, device_ids=["SL-1"])["SL-1"]["dimLevel"][0] == 20.0


def test_crud_and_bad_subscriptions(client, lights, act_as):
    sub_id = subscribe(client, "http://127.0.0.1:1/x", entities=[{"type": "Streetlight"}], description="Đèn")
    listed = client.get(f"{BASE}/subscriptions", params={"count": "true"})
    assert listed.headers["NGSILD-Results-Count"] == "1"
    assert [s["id"] for s in listed.json()] == [sub_id]
    patched = client.patch(f"{BASE}/subscriptions/{sub_id}", json={"q": "dimLevel>5", "throttling": 10})
    assert patched.status_code == 204
    shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()
    assert shown["q"] == "dimLevel>5" and shown["throttling"] == 10 and shown["description"] == "Đèn"
    bad_bodies = [
        {"type": "Subscription", "entities": [{"type": "Streetlight"}]},
        {
            "type": "Subscription",
            "notification": {"endpoint": {"uri": "ftp://x"}},
            "watchedAttributes": ["a"],
        },
        {"type": "Subscription", "notification": {"endpoint": {"uri": "http://x"}}},
        {
            "type": "Subscription",
            "notification": {"endpoint": {"uri": "http://x"}, "format": "odd"},
            "watchedAttributes": ["a"],
        },
        {
            "type": "Subscription",
            "notification": {"endpoint": {"uri": "http://x"}},
            "q": "((",
            "watchedAttributes": ["a"],
        },
        {
            "type": "Subscription",
            "notification": {"endpoint": {"uri": "http://x"}},
            "throttling": -1,
            "watchedAttributes": ["a"],
        },
        [1, 2],
    ]
    for body in bad_bodies:
        response = client.post(f"{BASE}/subscriptions", json=body)
        assert response.status_code == 400, body
        assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
    assert client.post(f"{BASE}/subscriptions", content=b"{").status_code == 400
    same = {
        "id": sub_id,
        "type": "Subscription",
        "notification": {"endpoint": {"uri": "http://x"}},
        "watchedAttributes": ["a"],
    }
    assert client.post(f"{BASE}/subscriptions", json=same).status_code == 409
    assert client.delete(f"{BASE}/subscriptions/{sub_id}").status_code == 204
    assert client.get(f"{BASE}/subscriptions/{sub_id}").status_code == 404
    assert client.delete(f"{BASE}/subscriptions/{sub_id}").status_code == 404
    act_as(OPERATOR)
    assert client.get(f"{BASE}/subscriptions").status_code == 200


def ingested_events(db) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Payloads of the TelemetryIngested events in the outbox."""
    from sqlalchemy import select

    from smartcity.core.outbox import OutboxMessage

    query = select(OutboxMessage.payload).where(OutboxMessage.event_type == "iot.TelemetryIngested")
    with db.session() as s:
        return list(s.scalars(query.order_by(OutboxMessage.id)))


def test_events_only_for_what_a_subscription_may_want(client, db, lights):
    send(db, "SL-1", "a1", {"dimLevel": 10})
    assert ingested_events(db) == []  # no subscription at all
    subscribe(client, "http://127.0.0.1:9/x", entities=[{"type": "WasteContainer"}], isActive=True)
    subscribe(client, "http://127.0.0.1:9/y", watchedAttributes=["powerState"])
    send(db, "SL-1", "a2", {"dimLevel": 20}, ts=T0 + timedelta(minutes=1))
    assert ingested_events(db) == []  # neither the type nor the attribute is watched
    send(db, "SL-2", "b1", {"powerState": "on"}, ts=T0 + timedelta(minutes=2))
    assert [e["changes"] for e in ingested_events(db)] == [[["SL-2", ["powerState"]]]]
    subscriptions.wait_for_deliveries()


def test_json_ld_receiver_gets_the_context_after_an_ngsi_update(client, db, lights, receiver):
    response = client.post(
        f"{BASE}/subscriptions",
        json={
            "type": "Subscription",
            "entities": [{"type": "Streetlight", "id": "urn:ngsi-ld:Streetlight:SL-2"}],
            "notification": {"endpoint": {"uri": receiver.url, "accept": "application/ld+json"}},
        },
    )
    assert response.status_code == 201, response.text
    patched = client.patch(
        f"{BASE}/entities/urn:ngsi-ld:Streetlight:SL-2/attrs",
        json={"dimLevel": {"type": "Property", "value": 55, "observedAt": "2026-03-01T21:00:00Z"}},
    )
    assert patched.status_code == 204, patched.text
    headers, body = receiver.next()
    assert headers["Content-Type"] == "application/ld+json"
    assert body["@context"].endswith("/ngsi-ld/v1/context.jsonld")
    assert body["data"][0]["dimLevel"]["value"] == 55.0
    assert receiver.nothing_more()


def test_http_ingestion_notifies(client, db, lights, receiver):
    subscribe(client, receiver.url, watchedAttributes=["fillingLevel"], format="keyValues")
    posted = client.post(
        "/api/v1/iot/telemetry",
        json={"messages": [{"device_id": "WC-1", **message("h1", {"fillingLevel": 42}, ts=T0)}]},
    )
    assert posted.status_code in (200, 202), posted.text
    _, body = receiver.next()
    assert body["data"][0]["fillingLevel"] == 42.0


def test_mqtt_ingestion_notifies(client, db, lights, receiver, tmp_path):
    from tests.iot.mqtt_support import Mosquitto, Publisher
    from tests.iot.test_iot_mqtt import InProcessIngest, payload

    subscribe(client, receiver.url, entities=[{"type": "Streetlight", "id": "urn:ngsi-ld:Streetlight:SL-1"}])
    folder = tmp_path / "broker"
    folder.mkdir()
    broker = Mosquitto(folder)
    broker.start()
    try:
        with InProcessIngest(db, broker.url, "ingest-notify"):
            publisher = Publisher(broker.port, "pub-notify")
            publisher.publish([("city/streetlight/SL-1/telemetry", payload("q1", {"dimLevel": 77}))])
            publisher.close()
            _, body = receiver.next()
    finally:
        broker.stop()
    assert [(e["id"], e["dimLevel"]["value"]) for e in body["data"]] == [
        ("urn:ngsi-ld:Streetlight:SL-1", 77.0)
    ]


def test_geo_query_filter(client, db, lights, add_device, receiver):
    add_device("SL-FAR", lon=106.70, lat=11.05)
    subscribe(
        client,
        receiver.url,
        entities=[{"type": "Streetlight"}],
        geoQ={"georel": "near;maxDistance==500", "geometry": "Point", "coordinates": [106.70, 11.05]},
    )
    send(db, "SL-1", "a1", {"dimLevel": 10})
    send(db, "SL-FAR", "f1", {"dimLevel": 30})
    _, body = receiver.next()
    assert [e["id"] for e in body["data"]] == ["urn:ngsi-ld:Streetlight:SL-FAR"]
    assert receiver.nothing_more()
    bad = {"georel": "near", "geometry": "Point", "coordinates": [106.7, 11.05]}
    response = client.post(
        f"{BASE}/subscriptions",
        json={
            "type": "Subscription",
            "watchedAttributes": ["a"],
            "geoQ": bad,
            "notification": {"endpoint": {"uri": receiver.url}},
        },
    )
    assert response.status_code == 400


def test_a_failed_notification_is_retried_until_accepted(client, db, lights):
    flaky = Receiver(first=(500, 503))
    try:
        sub_id = subscribe(client, flaky.url, entities=[{"type": "Streetlight"}])
        send(db, "SL-1", "r1", {"dimLevel": 10})
        _, first = flaky.next()
        subscriptions.wait_for_deliveries()
        shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()["notification"]
        assert shown["status"] == "failed" and shown["timesFailed"] == 1
        assert subscriptions.deliver_due(db) == 0  # the retry is not due yet
        later = datetime.now(UTC) + timedelta(hours=1)
        assert subscriptions.deliver_due(db, now=later) == 1
        assert subscriptions.deliver_due(db, now=later + timedelta(hours=1)) == 1
        _, second = flaky.next()
        _, third = flaky.next()
        assert first["id"] == second["id"] == third["id"]  # the same notification, at least once
        assert third["data"] == first["data"]
    finally:
        flaky.close()
    shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()["notification"]
    assert shown["status"] == "ok" and shown["timesSent"] == 3 and shown["timesFailed"] == 2
    assert shown["lastSuccess"] > shown["lastFailure"]
    assert subscriptions.delivery_counts(db, subscription_id=sub_id) == {"sent": 1}
    assert subscriptions.deliver_due(db, now=later + timedelta(days=1)) == 0


def test_retries_stop_after_the_last_attempt(client, db, lights):
    failing = Receiver(status=500)
    try:
        sub_id = subscribe(client, failing.url, entities=[{"type": "Streetlight"}])
        send(db, "SL-1", "g1", {"dimLevel": 10})
        subscriptions.wait_for_deliveries()
        moment = datetime.now(UTC)
        for _ in range(subscriptions.MAX_ATTEMPTS + 2):
            moment += timedelta(hours=2)
            subscriptions.deliver_due(db, now=moment)
    finally:
        failing.close()
    assert failing.received.qsize() == subscriptions.MAX_ATTEMPTS
    shown = client.get(f"{BASE}/subscriptions/{sub_id}").json()["notification"]
    assert shown["timesFailed"] == subscriptions.MAX_ATTEMPTS and shown["status"] == "failed"
    assert subscriptions.delivery_counts(db, subscription_id=sub_id) == {"failed": 1}
    assert [subscriptions.retry_delay(n).total_seconds() for n in (1, 2, 5, 9)] == [10, 60, 3600, 3600]


OTHER_CLIENT = Actor(kind="apikey", name="other-integration", roles=frozenset({("integrator", None)}))


def test_subscriptions_belong_to_their_creator(client, db, lights, act_as):
    sub_id = subscribe(client, "http://127.0.0.1:9/mine", entities=[{"type": "Streetlight"}])
    act_as(OTHER_CLIENT)
    assert client.get(f"{BASE}/subscriptions").json() == []
    for method in ("get", "delete"):
        response = getattr(client, method)(f"{BASE}/subscriptions/{sub_id}")
        assert response.status_code == 404
        assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    assert client.patch(f"{BASE}/subscriptions/{sub_id}", json={"q": "dimLevel>1"}).status_code == 404
    theirs = subscribe(client, "http://127.0.0.1:9/theirs", entities=[{"type": "Streetlight"}])
    listed = client.get(f"{BASE}/subscriptions", params={"count": "true"})
    assert [s["id"] for s in listed.json()] == [theirs] and listed.headers["NGSILD-Results-Count"] == "1"
    act_as(SYSTEM)  # an administrator sees every client's subscriptions
    assert {s["id"] for s in client.get(f"{BASE}/subscriptions").json()} == {sub_id, theirs}
    assert client.get(f"{BASE}/subscriptions/{sub_id}").status_code == 200
    act_as(INTEGRATOR)
    assert [s["id"] for s in client.get(f"{BASE}/subscriptions").json()] == [sub_id]


def test_non_public_endpoints_are_refused(client, lights, monkeypatch):
    monkeypatch.setenv("SMARTCITY_NGSI_ALLOW_PRIVATE_ENDPOINTS", "false")
    get_settings.cache_clear()
    for uri in (
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.1.1/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
        "http://no-such-host.invalid/x",
    ):
        notification = {"endpoint": {"uri": uri}}
        body = {"type": "Subscription", "notification": notification, "watchedAttributes": ["a"]}
        response = client.post(f"{BASE}/subscriptions", json=body)
        assert response.status_code == 400, uri
        problem = response.json()
        assert problem["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"
        assert "endpoint" in problem["detail"], problem
    assert client.get(f"{BASE}/subscriptions").json() == []
    public = subscribe(client, "https://93.184.215.14/notify", watchedAttributes=["a"])
    patched = client.patch(
        f"{BASE}/subscriptions/{public}", json={"notification": {"endpoint": {"uri": "http://10.0.0.1/"}}}
    )
    assert patched.status_code == 400
