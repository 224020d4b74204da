"""The IoT demo's alarm rules: their alarms read naturally; re-running the demo renames, never duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartcity.iot import service
from smartcity.iot.demo import DEMO_RULES, load_demo
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import RuleCreate
from tests.iot.conftest import SYSTEM, message

T0 = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
OLD_NAME = "Thiết bị mất kết nối 15 phút"


def no_data_rules(db) -> list:  # type: ignore[no-untyped-def]
    return [r for r in service.list_rules(db) if r.kind == "no_data"]


def test_the_demo_no_data_alarm_does_not_repeat_its_reason(db, settings, add_device):
    load_demo(db, settings=settings, actor=SYSTEM)
    add_device("SL-1")
    service.check_silent_devices(db, now=T0)  # the platform listens from T0
    body = message("m1", {"dimLevel": 50}, ts=T0)
    service.ingest(db, envelopes=[Envelope(body, device_id="SL-1")])
    assert service.check_silent_devices(db, now=T0 + timedelta(minutes=20)) == 1
    [alarm] = service.list_alarms(db, state="open")[0]
    assert alarm.message == "Mất kết nối: không nhận được dữ liệu trong 15 phút"
    assert alarm.message.count("15 phút") == 1 and alarm.message.lower().count("kết nối") == 1


def test_rerunning_the_demo_on_a_database_with_the_old_rule_renames_it(db, settings):
    old = service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(name=OLD_NAME, kind="no_data", params={"minutes": 15}, severity="low"),
    )
    summary = load_demo(db, settings=settings, actor=SYSTEM)
    [rule] = no_data_rules(db)
    assert (rule.id, rule.name, rule.params) == (old.id, "Mất kết nối", {"minutes": 15})
    assert OLD_NAME not in {r.name for r in service.list_rules(db)}
    assert "1 renamed" in summary
    load_demo(db, settings=settings, actor=SYSTEM)
    assert [r.id for r in no_data_rules(db)] == [old.id]
    assert len(service.list_rules(db)) == len(DEMO_RULES)


def test_the_demo_rules_are_created_once(db, settings):
    load_demo(db, settings=settings, actor=SYSTEM)
    load_demo(db, settings=settings, actor=SYSTEM)
    names = sorted(r.name for r in service.list_rules(db))
    assert names == sorted(r.name for r in DEMO_RULES) and len(no_data_rules(db)) == 1
