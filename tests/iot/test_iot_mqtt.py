"""MQTT ingestion against real Mosquitto brokers: storage, bad input, commands, and surviving SIGKILLs."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from smartcity.core.config import Settings
from smartcity.iot import service
from smartcity.iot.models import Command, Telemetry
from smartcity.iot.mqtt import Broker, Ingestor, parse_topic
from smartcity.iot.schemas import CommandCreate
from tests.conftest import service_missing
from tests.iot.conftest import SYSTEM
from tests.iot.mqtt_support import (
    IngestProcess,
    Mosquitto,
    Publisher,
    wait_for_port,
    wait_for_subscriber,
    wait_until,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def broker(tmp_path):  # type: ignore[no-untyped-def]
    """A private Mosquitto with persistence on a free loopback port."""
    folder = tmp_path / "broker"
    folder.mkdir()
    server = Mosquitto(folder)
    server.start()
    yield server
    server.stop()


class InProcessIngest:
    """An Ingestor on a thread, for tests that do not kill it."""

    def __init__(self, db, url: str, client_id: str) -> None:  # type: ignore[no-untyped-def]
        self.ingestor = Ingestor(db, Broker.from_url(url), client_id=client_id)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.ingestor.run, args=(self.stop,), daemon=True)

    def __enter__(self) -> Ingestor:
        self.thread.start()
        assert wait_until(self.ingestor.client.is_connected, timeout=10)
        time.sleep(0.3)  # let the SUBACK arrive
        return self.ingestor

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)


def payload(msg_id: str, values: dict, ts: datetime = T0) -> dict:
    return {"msg_id": msg_id, "ts": ts.isoformat(), "values": values}


def test_topics_are_parsed():
    assert parse_topic("city/streetlight/SL-1/telemetry") == ("streetlight", "SL-1", "telemetry")
    assert parse_topic("city/streetlight/SL-1/command/ack") == ("streetlight", "SL-1", "command/ack")
    assert parse_topic("city/streetlight/SL-1/command") is None
    assert parse_topic("elsewhere/x") is None


def test_ingest_from_the_shared_broker(db, add_device):
    """The platform's Mosquitto (settings.mqtt_url): unique ids, and the session is wiped afterwards."""
    broker = Broker.from_url(Settings().mqtt_url)
    try:
        wait_for_port(broker.port, timeout=1)
    except TimeoutError:
        service_missing(f"no MQTT broker at {broker.host}:{broker.port}")
    device_id = f"SL-{uuid.uuid4().hex[:8]}"
    add_device(device_id)
    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    with InProcessIngest(db, Settings().mqtt_url, client_id):
        publisher = Publisher(broker.port, f"test-pub-{uuid.uuid4().hex[:8]}")
        publisher.publish(
            [
                (f"city/streetlight/{device_id}/telemetry", payload(f"m{i}", {"dimLevel": i}))
                for i in range(50)
            ]
        )
        publisher.close()
        assert wait_until(lambda: service.stored_message_count(db) == 50, timeout=20)
    _wipe_session(broker, client_id)


def _wipe_session(broker: Broker, client_id: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port, clean_start=True)
    client.loop_start()
    wait_until(client.is_connected, timeout=5)
    client.disconnect()
    client.loop_stop()


def test_bad_messages_are_counted_and_do_not_block_good_ones(db, add_device, broker):
    add_device("SL-1")
    add_device("WC-1", "waste_container")
    with InProcessIngest(db, broker.url, "ingest-bad"):
        publisher = Publisher(broker.port, "pub-bad")
        publisher.client.publish("city/streetlight/SL-1/telemetry", b"\xff\xfe not json", qos=1)
        publisher.publish(
            [
                ("city/streetlight/SL-1/telemetry", payload("a", {"dimLevel": 900})),
                ("city/streetlight/GHOST/telemetry", payload("b", {"dimLevel": 9})),
                ("city/waste_container/SL-1/telemetry", payload("c", {"fillingLevel": 9})),
                ("city/waste_container/WC-1/telemetry", payload("d", {"fillingLevel": 75})),
                ("city/waste_container/WC-1/events", {"msg_id": "e", "event": "lidForced"}),
            ]
        )
        publisher.close()
        assert wait_until(lambda: service.stored_message_count(db) == 2, timeout=15)
        assert wait_until(lambda: sum(r.count for r in service.rejections(db)) == 4, timeout=10)
    reasons = {(r.device_id, r.reason): r.count for r in service.rejections(db)}
    assert reasons == {
        ("SL-1", "malformed"): 1,
        ("SL-1", "invalid_value"): 1,
        ("GHOST", "unknown_device"): 1,
        ("SL-1", "wrong_type"): 1,
    }
    assert service.latest_state(db, device_ids=["WC-1"])["WC-1"]["_event"][0] == "lidForced"


def test_commands_are_published_once_and_acknowledged(db, add_device, broker):
    add_device("SL-1")
    add_device("SL-2")
    received: list[dict] = []
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="fake-lights", protocol=mqtt.MQTTv5)

    def on_message(client, _userdata, message):  # type: ignore[no-untyped-def]
        body = json.loads(message.payload)
        received.append(body)
        device_id = message.topic.split("/")[2]
        answer = {
            "command_id": body["command_id"],
            "status": "ok",
            "detail": {"dimLevel": body["params"]["dimLevel"]},
        }
        client.publish(f"city/streetlight/{device_id}/command/ack", json.dumps(answer), qos=1)

    device.on_message = on_message
    device.connect("127.0.0.1", broker.port)
    device.subscribe("city/streetlight/+/command", qos=1)
    device.loop_start()
    try:
        with InProcessIngest(db, broker.url, "ingest-cmd"):
            group_id, _ = service.send_commands(
                db,
                actor=SYSTEM,
                data=CommandCreate(name="dim", params={"dimLevel": 40}, device_type="streetlight"),
            )
            done = lambda: service.status_counts(service.command_group(db, group_id=group_id))  # noqa: E731
            assert wait_until(lambda: done() == {"acknowledged": 2}, timeout=15), done()
    finally:
        device.loop_stop()
        device.disconnect()
    assert sorted(b["params"]["dimLevel"] for b in received) == [40, 40]
    assert len({b["command_id"] for b in received}) == 2


def test_command_never_goes_out_twice_once_the_broker_took_it(db, add_device, broker):
    add_device("SL-1")
    service.send_commands(
        db, actor=SYSTEM, data=CommandCreate(name="dim", params={"dimLevel": 10}, device_ids=["SL-1"])
    )
    from smartcity.iot.mqtt import new_client, publish_pending_commands

    client = new_client("cmd-publisher", Broker.from_url(broker.url), persistent=False)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        assert publish_pending_commands(db, client) == 1
        assert publish_pending_commands(db, client) == 0
    finally:
        client.disconnect()
        client.loop_stop()
    with db.session() as s:
        assert s.scalar(select(Command.status)) == "sent"


def test_timed_out_commands_are_closed(db, add_device):
    add_device("SL-1")
    service.send_commands(
        db,
        actor=SYSTEM,
        data=CommandCreate(name="switch", params={"state": "off"}, device_ids=["SL-1"], timeout_seconds=5),
    )
    assert service.expire_commands(db, now=datetime.now(UTC) + timedelta(seconds=10)) == 1
    with db.session() as s:
        assert s.scalar(select(Command.status)) == "timed_out"


def test_every_message_is_stored_exactly_once_through_kills_and_a_broker_restart(
    db, add_device, broker, tmp_path
):
    """SIGKILL the ingest process three times and restart the broker once while 3,000 messages flow."""
    devices = [f"SL-{n:03d}" for n in range(30)]
    for device_id in devices:
        add_device(device_id)
    add_device("PROBE", "device")
    ingest = IngestProcess(db.url, broker.url, tmp_path, client_id="ingest-reliability")
    ingest.start()
    publisher = Publisher(broker.port, "publisher-reliability")
    total, chunk = 3000, 250
    messages = [
        (
            f"city/streetlight/{devices[i % 30]}/telemetry",
            payload(f"r{i}", {"dimLevel": i % 101, "powerConsumption": 40.0}, T0 + timedelta(seconds=i)),
        )
        for i in range(total)
    ]
    disruptions = {2: ingest.kill, 4: broker.restart, 6: ingest.kill, 9: ingest.kill}
    stored_for = lambda prefix: _stored_for(db, prefix)  # noqa: E731
    try:
        wait_for_subscriber(publisher, "city/device/PROBE/telemetry", lambda: stored_for("PROBE") > 0)
        for n, start in enumerate(range(0, total, chunk)):
            action = disruptions.get(n)
            if action is not None:
                before = stored_for("SL-")
                action()
                if action == ingest.kill:
                    ingest.start()
            publisher.publish(messages[start : start + chunk], timeout=60)
            if action is not None:  # the next disruption hits a process that is working again
                assert wait_until(lambda b=before: stored_for("SL-") > b, timeout=60), "no progress"
        done = wait_until(lambda: stored_for("SL-") == total, timeout=90)
        assert done, f"{stored_for('SL-')} of {total} stored"
    finally:
        publisher.close()
        ingest.stop()
    with db.session() as s:
        rows = s.scalar(select(func.count()).select_from(Telemetry).where(Telemetry.device_id.like("SL-%")))
    assert (rows, stored_for("SL-")) == (2 * total, total)


def _stored_for(db, prefix: str) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count(func.distinct(Telemetry.msg_id))).where(Telemetry.device_id.like(f"{prefix}%"))
    with db.session() as s:
        return s.scalar(query) or 0
