"""Rules as data evaluated on ingestion; alarms raised once, acknowledged, cleared; events published."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import Mock

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from smartcity.core import clock
from smartcity.core.errors import ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.iot import service
from smartcity.iot.events import AlarmRaised
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from smartcity.iot.service import ingestion
from tests.iot.conftest import OPERATOR, SYSTEM, message

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)


def send(db, device_id: str, values: dict, minutes: float, msg_id: str | None = None):  # type: ignore[no-untyped-def]
    ts = T0 + timedelta(minutes=minutes)
    body = message(msg_id or f"{device_id}-{minutes}", values, ts=ts)
    return service.ingest(db, envelopes=[Envelope(body, device_id=device_id)])


def rule(db, **fields):  # type: ignore[no-untyped-def]
    return service.create_rule(db, actor=SYSTEM, data=RuleCreate(**fields))


def events(db, name: str) -> list[dict]:
    with db.session() as s:
        query = select(OutboxMessage).where(OutboxMessage.event_type == name).order_by(OutboxMessage.id)
        return [m.payload for m in s.scalars(query)]


def test_threshold_raises_once_and_clears_when_back(db, add_device):
    add_device("WC-1", "waste_container")
    rule(
        db,
        name="Thùng đầy",
        kind="threshold",
        device_type="waste_container",
        key="fillingLevel",
        params={"op": ">=", "value": 90},
        severity="high",
    )
    send(db, "WC-1", {"fillingLevel": 50}, 0)
    send(db, "WC-1", {"fillingLevel": 92}, 1)
    send(db, "WC-1", {"fillingLevel": 95}, 2)
    alarms, total = service.list_alarms(db, state="open")
    assert total == 1 and alarms[0].severity == "high" and alarms[0].value == 92
    raised = events(db, "iot.AlarmRaised")
    assert len(raised) == 1 and raised[0]["device_id"] == "WC-1" and raised[0]["lon"] is not None
    assert raised[0]["rule_kind"] == "threshold"
    stored_before = {k: v for k, v in raised[0].items() if k != "rule_kind"}  # an event from before the field
    assert AlarmRaised.from_payload(stored_before).rule_kind is None
    send(db, "WC-1", {"fillingLevel": 5}, 3)
    assert service.list_alarms(db, state="open")[1] == 0
    assert len(events(db, "iot.AlarmCleared")) == 1


def test_duplicate_message_does_not_raise_twice(db, add_device):
    add_device("WC-1", "waste_container")
    rule(
        db,
        name="Cháy",
        kind="threshold",
        key="temperature",
        params={"op": ">", "value": 70},
        severity="critical",
    )
    send(db, "WC-1", {"temperature": 80}, 0, msg_id="hot")
    service.clear_alarm(db, actor=SYSTEM, alarm_id=service.list_alarms(db)[0][0].id)
    send(db, "WC-1", {"temperature": 80}, 0, msg_id="hot")
    assert service.list_alarms(db)[1] == 1


def test_range_rate_and_state_change(db, add_device):
    add_device("SL-1")
    add_device("AQ-1", "air_quality")
    rule(
        db,
        name="Điện áp",
        kind="range",
        device_type="streetlight",
        key="voltage",
        params={"min": 200, "max": 240},
    )
    rule(db, name="PM2.5 tăng nhanh", kind="rate", key="pm25", params={"max_per_minute": 5})
    rule(
        db,
        name="Đèn tắt",
        kind="state_change",
        device_type="streetlight",
        key="powerState",
        params={"to": ["off"], "from": ["on", "low"]},
    )
    send(db, "SL-1", {"voltage": 230, "powerState": "on"}, 0)
    send(db, "SL-1", {"voltage": 180}, 1)
    send(db, "AQ-1", {"pm25": 20}, 0)
    send(db, "AQ-1", {"pm25": 30}, 10)
    send(db, "AQ-1", {"pm25": 90}, 12)
    send(db, "SL-1", {"powerState": "off"}, 2)
    names = sorted(a.message.split(":")[0] for a in service.list_alarms(db, state="open")[0])
    assert names == ["PM2.5 tăng nhanh", "Điện áp", "Đèn tắt"]


def test_no_data_alarm_from_the_sweep_and_cleared_by_data(db, add_device):
    add_device("SL-1")
    rule(db, name="Mất kết nối", kind="no_data", device_type="streetlight", params={"minutes": 15})
    assert service.check_silent_devices(db, now=T0) == 0  # the platform listens from T0
    send(db, "SL-1", {"dimLevel": 50}, 0)
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=10)) == 0
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=20)) == 1
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=25)) == 0
    send(db, "SL-1", {"dimLevel": 50}, 26)
    assert service.list_alarms(db, state="open")[1] == 0


def test_no_data_waits_until_the_platform_has_listened_for_the_whole_window(db, add_device, monkeypatch):
    """Devices whose last message is old when the platform starts are not silent yet: it has not listened."""
    add_device("SL-1")
    add_device("SL-2")
    rule(db, name="Mất kết nối", kind="no_data", device_type="streetlight", params={"minutes": 15})
    send(db, "SL-1", {"dimLevel": 50}, -120)  # history from before the start
    send(db, "SL-2", {"dimLevel": 50}, -120)

    def sweep_at(minutes: float) -> int:
        monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(minutes=minutes))
        return service.check_silent_devices(db)

    assert sweep_at(0) == 0  # the first sweep: the platform begins listening
    assert sweep_at(10) == 0
    send(db, "SL-2", {"dimLevel": 50}, 12)  # SL-2 speaks once listened to; SL-1 stays silent
    assert sweep_at(15) == 1
    [alarm] = service.list_alarms(db, state="open")[0]
    assert alarm.device_id == "SL-1" and alarm.raised_at == T0 + timedelta(minutes=15)
    assert sweep_at(28) == 1  # SL-2 silent for longer than 15 minutes now
    assert sweep_at(40) == 0  # each raised once


def test_sweeps_failing_for_minutes_start_the_watch_again_a_busy_moment_does_not(db, add_device, monkeypatch):
    add_device("SL-1")
    rule(db, name="Mất kết nối", kind="no_data", device_type="streetlight", params={"minutes": 15})
    send(db, "SL-1", {"dimLevel": 50}, -120)

    def failing_sweep(minutes: float) -> None:
        away = OperationalError("SELECT", {}, Exception("connection refused"))
        with monkeypatch.context() as patched:
            patched.setattr(ingestion, "load_rules", Mock(side_effect=away))
            with pytest.raises(OperationalError):
                service.check_silent_devices(db, now=T0 + timedelta(minutes=minutes))

    assert service.check_silent_devices(db, now=T0) == 0
    failing_sweep(5)  # the database away for five minutes: nothing could be stored either
    failing_sweep(8)
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=10)) == 0  # listening again from here
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=20)) == 0
    failing_sweep(24.5)  # busy for a moment
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=25)) == 1


def test_a_rule_asking_two_readings_ignores_one_odd_reading(db, add_device):
    add_device("WC-1", "waste_container")
    rule(
        db,
        name="Nguy cơ cháy",
        kind="threshold",
        device_type="waste_container",
        key="temperature",
        params={"op": ">", "value": 60, "readings": 2},
        severity="critical",
    )
    send(db, "WC-1", {"temperature": 31}, 0)
    send(db, "WC-1", {"temperature": 95}, 1)  # a sensor's glitch
    send(db, "WC-1", {"temperature": 30}, 2)
    assert service.list_alarms(db, state="open")[1] == 0 and events(db, "iot.AlarmRaised") == []
    send(db, "WC-1", {"temperature": 72}, 3)
    assert service.list_alarms(db, state="open")[1] == 0
    send(db, "WC-1", {"temperature": 80}, 4)  # the second reading in a row: a fire
    alarms, total = service.list_alarms(db, state="open")
    assert total == 1 and alarms[0].value == 80
    send(db, "WC-1", {"temperature": 90}, 5)
    assert len(events(db, "iot.AlarmRaised")) == 1
    send(db, "WC-1", {"temperature": 35}, 6)  # one reading back under the threshold clears it
    assert service.list_alarms(db, state="open")[1] == 0


def test_rule_params_are_checked(db):
    with pytest.raises(ValidationFailed):
        rule(db, name="x", kind="threshold", key="temperature", params={"op": ">", "value": 1, "readings": 3})
    with pytest.raises(ValidationFailed):
        rule(db, name="x", kind="threshold", key="fillingLevel", params={"op": "~", "value": 1})
    with pytest.raises(ValidationFailed):
        rule(db, name="x", kind="rate", params={"max_per_minute": 1})
    with pytest.raises(ValidationFailed):
        rule(db, name="x", kind="range", device_type="streetlight", key="fillingLevel", params={"min": 1})


def test_rules_export_import_and_versions(client, act_as, db):
    act_as(OPERATOR)
    body = {"name": "Đầy", "kind": "threshold", "key": "fillingLevel", "params": {"op": ">", "value": 80}}
    created = client.post("/api/v1/iot/rules", json=body).json()
    assert created["version"] == 1
    exported = yaml.safe_load(client.get("/api/v1/iot/rules/export").text)
    exported["rules"][0]["params"]["value"] = 85
    exported["rules"].append({**body, "name": "Rất đầy", "params": {"op": ">", "value": 95}})
    assert client.post("/api/v1/iot/rules/import", json=exported).json() == {"created": 1, "updated": 1}
    rules = {r["name"]: r for r in client.get("/api/v1/iot/rules").json()}
    assert rules["Đầy"]["version"] == 2 and rules["Đầy"]["params"]["value"] == 85
    assert client.post("/api/v1/iot/rules/import", json=exported).json() == {"created": 0, "updated": 0}


def test_operator_acknowledges_and_clears_over_the_api(client, act_as, db, add_device):
    add_device("WC-1", "waste_container")
    rule(db, name="Đầy", kind="threshold", key="fillingLevel", params={"op": ">", "value": 80})
    send(db, "WC-1", {"fillingLevel": 99}, 0)
    act_as(OPERATOR)
    alarm = client.get("/api/v1/iot/alarms", params={"state": "active"}).json()["items"][0]
    acked = client.post(f"/api/v1/iot/alarms/{alarm['id']}/acknowledge").json()
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "user:op"
    assert client.post(f"/api/v1/iot/alarms/{alarm['id']}/clear").json()["state"] == "cleared"
    assert client.post(f"/api/v1/iot/alarms/{alarm['id']}/clear").status_code == 409
    assert client.post("/api/v1/iot/alarms/999/acknowledge").status_code == 404
