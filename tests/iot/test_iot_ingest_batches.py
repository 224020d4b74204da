"""Batched ingestion: compiled rules follow rule and device changes; a batch that fails at commit is stored
once when the broker delivers it again."""

from __future__ import annotations

import json
import struct
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from smartcity.core.uow import UnitOfWork
from smartcity.iot import service
from smartcity.iot.models import Alarm, Device, LatestValue, Telemetry
from smartcity.iot.mqtt import Broker, Ingestor, Received
from smartcity.iot.pipeline import Envelope
from smartcity.iot.rules import current_rules
from smartcity.iot.schemas import DeviceUpdate, RuleCreate
from smartcity.iot.service.common import INGEST_ACTOR
from tests.iot.conftest import SYSTEM, message

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
FULL = RuleCreate(
    name="Thùng đầy",
    kind="threshold",
    device_type="waste_container",
    key="fillingLevel",
    params={"op": ">", "value": 90},
    severity="medium",
)


def send(db, device_id: str, values: dict, minutes: float):  # type: ignore[no-untyped-def]
    body = message(f"{device_id}-{minutes}", values, ts=T0 + timedelta(minutes=minutes))
    return service.ingest(db, envelopes=[Envelope(body, device_id=device_id)])


def open_alarms(db) -> list[tuple[str, float | None]]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        query = select(Alarm.device_id, Alarm.value).where(Alarm.open_key.is_not(None)).order_by(Alarm.id)
        return [(d, v) for d, v in s.execute(query)]


def compiled(db):  # type: ignore[no-untyped-def]
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        return current_rules(uow)


def test_a_changed_threshold_applies_to_the_next_message(db, add_device):
    add_device("WC-1", "waste_container")
    stored = service.create_rule(db, actor=SYSTEM, data=FULL)
    send(db, "WC-1", {"fillingLevel": 85}, 0)
    assert open_alarms(db) == []
    first = compiled(db)
    assert compiled(db) is first  # nothing changed: the compiled rules are reused, not rebuilt

    service.update_rule(
        db, actor=SYSTEM, rule_id=stored.id, data=FULL.model_copy(update={"params": {"op": ">", "value": 80}})
    )
    send(db, "WC-1", {"fillingLevel": 85}, 1)
    assert open_alarms(db) == [("WC-1", 85)]
    assert compiled(db) is not first and compiled(db).rules[0].params["value"] == 80


def test_a_disabled_rule_stops_at_the_next_message(db, add_device):
    add_device("WC-1", "waste_container")
    stored = service.create_rule(db, actor=SYSTEM, data=FULL)
    send(db, "WC-1", {"fillingLevel": 95}, 0)
    assert len(open_alarms(db)) == 1
    service.update_rule(db, actor=SYSTEM, rule_id=stored.id, data=FULL.model_copy(update={"enabled": False}))
    send(db, "WC-1", {"fillingLevel": 10}, 1)  # a disabled rule neither raises nor clears
    assert len(open_alarms(db)) == 1
    assert compiled(db).rules == ()


def test_a_device_given_a_watched_tag_is_watched_from_the_next_message(db, add_device):
    add_device("WC-1", "waste_container")
    service.create_rule(db, actor=SYSTEM, data=FULL.model_copy(update={"tag": "chợ"}))
    send(db, "WC-1", {"fillingLevel": 95}, 0)
    assert open_alarms(db) == []
    service.update_device(db, actor=SYSTEM, device_id="WC-1", data=DeviceUpdate(tags=["chợ"]))
    send(db, "WC-1", {"fillingLevel": 96}, 1)
    assert open_alarms(db) == [("WC-1", 96)]


def test_a_decommissioned_device_is_refused_at_the_next_message(db, add_device):
    add_device("WC-1", "waste_container")
    assert send(db, "WC-1", {"fillingLevel": 5}, 0).accepted == 1
    service.decommission_device(db, actor=SYSTEM, device_id="WC-1")
    outcome = send(db, "WC-1", {"fillingLevel": 6}, 1)
    assert outcome.accepted == 0 and [r.reason for r in outcome.refused] == ["decommissioned"]


def test_the_registry_is_read_again_only_after_a_device_changed_even_outside_the_service(db, add_device):
    add_device("WC-1", "waste_container")
    add_device("WC-2", "waste_container")
    assert send(db, "WC-1", {"fillingLevel": 5}, 0).accepted == 1
    reads: list[str] = []

    def count_registry_reads(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM iot_devices" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_registry_reads)
    try:
        assert send(db, "WC-1", {"fillingLevel": 6}, 1).accepted == 1
        assert reads == []  # the device is remembered: only the stamp was read
        assert send(db, "WC-2", {"fillingLevel": 6}, 1).accepted == 1
        assert len(reads) == 1  # a device not seen yet is read
        with db.write_session() as s:  # a change by hand, not through the service: the trigger sees it
            s.execute(update(Device).where(Device.id == "WC-1").values(status="decommissioned"))
        outcome = send(db, "WC-1", {"fillingLevel": 7}, 2)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_registry_reads)
    assert outcome.accepted == 0 and [r.reason for r in outcome.refused] == ["decommissioned"]
    assert len(reads) == 2


class RecordedAcks:
    """Stands in for paho's send queue (no broker in this test): records the message ids of the PUBACK
    packets queued (4 bytes each: type 0x40, remaining length 2, message id)."""

    def __init__(self) -> None:
        self.mids: list[int] = []

    def __call__(self, command: int, packet: bytes, mid: int, qos: int, info: object = None) -> None:
        assert command == 0x40 and len(packet) % 4 == 0
        for offset in range(0, len(packet), 4):
            kind, length, acked = struct.unpack_from("!BBH", packet, offset)
            assert (kind, length) == (0x40, 2)
            self.mids.append(acked)


def received(mid: int, device_id: str, minutes: float, level: float) -> Received:
    body = message(f"m{mid}", {"fillingLevel": level}, ts=T0 + timedelta(minutes=minutes))
    return Received(f"city/waste_container/{device_id}/telemetry", json.dumps(body).encode(), mid, 1)


def counts(db) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.scalar(select(func.count()).select_from(Telemetry)) or 0
        latest = s.scalar(select(func.count()).select_from(LatestValue)) or 0
        alarms = s.scalar(select(func.count()).select_from(Alarm)) or 0
    return rows, latest, alarms


def test_a_batch_failing_at_commit_is_stored_once_when_delivered_again(db, add_device):
    for n in range(3):
        add_device(f"WC-{n}", "waste_container")
    service.create_rule(db, actor=SYSTEM, data=FULL)
    ingestor = Ingestor(db, Broker("127.0.0.1", 1), client_id="test-batches", publish_commands=False)
    acks = RecordedAcks()
    ingestor.client._packet_queue = acks  # type: ignore[method-assign]

    first = [received(1, "WC-0", 0, 50), received(2, "WC-1", 0, 95)]
    ingestor._store_until_done(first, threading.Event())
    assert acks.mids == [1, 2] and counts(db) == (2, 2, 1)

    # The broker delivers 2 again (its acknowledgement was lost) with new messages, and the commit of this
    # batch fails after every row was written: nothing of it may stay, nothing may be acknowledged.
    again = [received(2, "WC-1", 0, 95), received(3, "WC-2", 1, 97), received(4, "WC-0", 1, 60)]
    failures = {"left": 1}

    def fail_once(_session) -> None:  # type: ignore[no-untyped-def]
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("the database went away during COMMIT")

    event.listen(Session, "before_commit", fail_once)
    try:
        with pytest.raises(RuntimeError):
            ingestor.store(again)
        assert acks.mids == [1, 2] and counts(db) == (2, 2, 1)
        # Redelivered after the failure: stored once, the alarm of WC-1 not raised a second time.
        ingestor._store_until_done(again, threading.Event())
    finally:
        event.remove(Session, "before_commit", fail_once)
    assert acks.mids == [1, 2, 2, 3, 4]
    assert counts(db) == (4, 3, 2)
    assert sorted(open_alarms(db)) == [("WC-1", 95), ("WC-2", 97)]
    with db.session() as s:
        assert s.scalar(select(func.count(func.distinct(Telemetry.msg_id)))) == 4
