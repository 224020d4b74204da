"""Incidents: opened from events, merged, escalated again and again, handled through the playbook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.outbox import OutboxMessage
from smartcity.ioc import service
from smartcity.ioc.schemas import EventIn
from smartcity.iot import schemas as iot_schemas
from smartcity.iot import service as iot_service
from tests.ioc.conftest import OPERATOR, SYSTEM, YERSIN


def accident(**fields) -> EventIn:  # type: ignore[no-untyped-def]
    values = {
        "type": "traffic_accident",
        "severity": 3,
        "lon": YERSIN[0],
        "lat": YERSIN[1],
        "source": "camera",
        "source_ref": "cam-01/evt-1",
        "title": "Va chạm xe máy",
    }
    values.update(fields)
    return EventIn(**values)


def test_related_events_merge_into_one_incident_and_others_open_their_own(city, settings):
    first, merged = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident())
    assert not merged and first.state == "new" and first.event_count == 1
    assert first.ward_code is not None and first.code.startswith("SC-")
    again, merged = service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=accident(lon=YERSIN[0] + 0.001, severity=4, source_ref="cam-02/evt-9"),
    )
    assert merged and again.code == first.code and again.event_count == 2 and again.severity == 4
    assert {(link.kind, link.ref) for link in again.links} >= {
        ("camera", "cam-01/evt-1"),
        ("camera", "cam-02/evt-9"),
    }
    far, merged = service.receive_event(
        city, actor=SYSTEM, settings=settings, data=accident(lon=YERSIN[0] + 0.05)
    )
    other_type, merged2 = service.receive_event(
        city, actor=SYSTEM, settings=settings, data=accident(type="flooding")
    )
    earlier, merged3 = service.receive_event(
        city, actor=SYSTEM, settings=settings, data=accident(occurred_at=clock.now() - timedelta(hours=2))
    )
    with pytest.raises(ValidationFailed):
        service.receive_event(
            city, actor=SYSTEM, settings=settings, data=accident(occurred_at=clock.now() + timedelta(hours=1))
        )
    assert not merged and not merged2 and not merged3
    assert len({first.code, far.code, other_type.code, earlier.code}) == 4


def test_escalation_fires_again_at_each_passing_deadline_until_acknowledged(city, settings):
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident(severity=4))
    assert incident.ack_due_at is not None
    assert (
        service.escalate_overdue(city, settings=settings, now=incident.ack_due_at - timedelta(seconds=1))
        == []
    )
    first = incident.ack_due_at + timedelta(seconds=1)
    assert service.escalate_overdue(city, settings=settings, now=first) == [incident.code]
    assert service.escalate_overdue(city, settings=settings, now=first + timedelta(seconds=30)) == []
    assert service.escalate_overdue(city, settings=settings, now=first + timedelta(minutes=11)) == [
        incident.code
    ]
    detail = service.get_incident(city, code=incident.code)
    assert detail.escalation_level == 2
    assert [e.text for e in detail.timeline if e.kind == "escalation"][-1].endswith("(Lãnh đạo)")
    service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to="acknowledged")
    assert service.escalate_overdue(city, settings=settings, now=first + timedelta(hours=5)) == []


def test_states_follow_the_lifecycle_and_closing_needs_the_steps_and_a_report(city, settings):
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident())
    with pytest.raises(Conflict):
        service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to="resolved")
    for state in ("acknowledged", "active", "stable", "resolved"):
        service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to=state)
    with pytest.raises(ValidationFailed):
        service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to="closed")
    with pytest.raises(Conflict):
        service.transition(
            city, actor=OPERATOR, settings=settings, code=incident.code, to="closed", closure_report="Xong"
        )
    detail = service.get_incident(city, code=incident.code)
    for step in detail.steps:
        if step.done_at is None:
            with pytest.raises(Conflict):  # resolved is no longer open for steps
                service.complete_step(city, actor=OPERATOR, code=incident.code, step_id=step.id)
            break
    service.transition(
        city, actor=OPERATOR, settings=settings, code=incident.code, to="active", note="Còn vướng"
    )
    for step in service.get_incident(city, code=incident.code).steps:
        if step.done_at is None:
            service.complete_step(city, actor=OPERATOR, code=incident.code, step_id=step.id, outcome="Đã làm")
    service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to="resolved")
    closed = service.transition(
        city,
        actor=OPERATOR,
        settings=settings,
        code=incident.code,
        to="closed",
        closure_report="Thông xe lúc 9 giờ",
    )
    assert closed.state == "closed" and closed.closure_report == "Thông xe lúc 9 giờ" and closed.closed_at
    kinds = [e.kind for e in closed.timeline]
    assert kinds[0] == "opened" and kinds.count("state") == 7 and "step" in kinds
    with pytest.raises(Conflict):
        service.transition(city, actor=OPERATOR, settings=settings, code=incident.code, to="active")


def test_the_playbook_switches_the_streets_lights_to_full_through_the_iot_service(city, settings):
    for n, dx in enumerate((0.0005, 0.001, 0.05)):
        iot_service.register_device(
            city,
            actor=SYSTEM,
            data=iot_schemas.DeviceCreate(
                id=f"SL-{n}",
                type="streetlight",
                location=iot_schemas.GeoPoint(coordinates=(YERSIN[0] + dx, YERSIN[1])),
            ),
        )
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident(radius_m=200))
    automated = next(s for s in incident.steps if s.kind == "automated")
    assert automated.done_at is not None and "2 đèn" in automated.outcome
    commands = iot_service.list_commands(city, device_id="SL-0") + iot_service.list_commands(
        city, device_id="SL-2"
    )
    assert [(c.device_id, c.name, c.params) for c in commands] == [("SL-0", "dim", {"dimLevel": 100})]
    assert {("device", "SL-0"), ("device", "SL-1")} <= {(link.kind, link.ref) for link in incident.links}
    notification = next(s for s in incident.steps if s.kind == "notification")
    assert notification.done_at is None  # due 5 minutes after opening
    assert service.run_due_steps(city, settings=settings, now=incident.opened_at + timedelta(minutes=6)) >= 1
    done = next(s for s in service.get_incident(city, code=incident.code).steps if s.id == notification.id)
    assert done.done_at is not None and "Nhân viên vận hành IOC" in done.outcome
    assert "role:" not in done.outcome and "operator" not in done.outcome


def test_a_playbooks_notice_to_a_role_reaches_the_centres_staff_not_every_holder_in_the_city(city, settings):
    incident, _ = service.receive_event(city, actor=SYSTEM, settings=settings, data=accident(radius_m=200))
    service.run_due_steps(city, settings=settings, now=incident.opened_at + timedelta(minutes=6))
    with city.session() as s:
        due = OutboxMessage.event_type.like("%PlaybookNotificationDue")
        payloads = [m.payload for m in s.scalars(select(OutboxMessage).where(due))]
    recipients = {r for p in payloads if p["code"] == incident.code for r in p["recipients"]}
    assert recipients and all(r.startswith("role:") for r in recipients)
    assert recipients == {
        service.staff_address(r.removeprefix("role:").partition("@")[0]) for r in recipients
    }
