"""Notifications: channels by name, rules over events and indicators, quiet hours, escalation, acks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartcity.core.errors import Forbidden
from smartcity.core.pages import PageParams
from smartcity.core.registry import UnknownExtension
from smartcity.core.security import Actor
from smartcity.ioc import service as ioc_service
from smartcity.ioc.schemas import EventIn
from smartcity.notifications import service
from smartcity.notifications.channels import MockSmsProvider, RecordingEmailChannel, channel_for, channels
from smartcity.notifications.config import NotificationSettings
from smartcity.notifications.models import Message
from smartcity.notifications.schemas import RuleCreate

SYSTEM = Actor.system("test")
HEAD = Actor(kind="user", name="truongphong", user_id=1, roles=frozenset({("head", None)}))
LEADER = Actor(kind="user", name="lanhdao", user_id=2, roles=frozenset({("leader", None)}))
OPERATOR = Actor(kind="user", name="vanhanh", user_id=3, roles=frozenset({("operator", None)}))
WARD_HEAD = Actor(kind="user", name="tp.phuloi", user_id=4, roles=frozenset({("head", "UBND-25747-HCM")}))
SCHOOL_HEAD = Actor(
    kind="user", name="hieutruong", user_id=5, roles=frozenset({("head", "TRUONG-TH-PHUHOA1")})
)


def test_channels_are_named_extensions_and_sms_is_a_mock():
    assert {"in-page", "recording", "smtp", "mock-sms"} <= set(channels.names())
    conf = NotificationSettings()
    assert isinstance(channel_for("sms", conf), MockSmsProvider)
    assert isinstance(channel_for("email", conf), RecordingEmailChannel)
    with pytest.raises(UnknownExtension):
        channel_for("sms", NotificationSettings(sms_channel="viettel"))


def test_quiet_hours_hold_messages_unless_urgent(db, settings):
    night = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # 23:00 in the city
    rule = service.create_rule(
        db,
        actor=SYSTEM,
        data=RuleCreate(
            name="Chỉ số",
            kind="indicator",
            match="*",
            condition={"level": "warning"},
            recipients=["role:head", "email:a@b.vn"],
            channels=["in-page", "email"],
            quiet_start="22:00",
            quiet_end="06:00",
        ),
    )
    from smartcity.notifications.models import NotificationRule

    with db.session() as s:
        row = s.get(NotificationRule, rule.id)
    ids = service.notify(
        db,
        settings=settings,
        recipients=rule.recipients,
        subject="s",
        body="b",
        dedup_key="k1",
        rule=row,
        now=night,
    )
    with db.session() as s:
        held = [s.get(Message, i) for i in ids]
    assert [m.status for m in held] == ["sent", "held"]  # the inbox is silent; the e-mail waits
    assert held[1].send_after == datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 06:00 in the city
    assert service.deliver_due(db, settings=settings, now=night + timedelta(hours=3)) == 0
    sent_before = len(RecordingEmailChannel.sent)
    assert service.deliver_due(db, settings=settings, now=night + timedelta(hours=7, minutes=1)) == 1
    assert (
        len(RecordingEmailChannel.sent) == sent_before + 1 and RecordingEmailChannel.sent[-1][0] == "a@b.vn"
    )
    urgent = service.notify(
        db,
        settings=settings,
        recipients=["role:head"],
        subject="s",
        body="b",
        dedup_key="k2",
        rule=row,
        urgent=True,
        now=night,
    )
    assert (
        service.notify(
            db,
            settings=settings,
            recipients=["role:head"],
            subject="s",
            body="b",
            dedup_key="k2",
            rule=row,
            now=night,
        )
        == []
    )
    with db.session() as s:
        assert s.get(Message, urgent[0]).status == "sent"


@pytest.mark.usefixtures("escalating")
def test_a_severe_incident_notifies_by_rule_escalates_and_stops_when_acknowledged(city, settings):
    assert {r.name for r in service.list_rules(city)} >= {"Sự cố nghiêm trọng mới"}
    texts_before = len(MockSmsProvider.outbox)
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(
            type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title="Cháy kho hàng"
        ),
    )
    inbox = service.inbox(city, actor=HEAD, paging=PageParams())
    message = next(m for m in inbox.items if incident.code in m.subject)
    assert message.urgent and message.link == f"/can-bo/dieu-hanh/su-co/{incident.code}"
    assert "Nguồn: Camera giám sát" in message.body and "Nguồn: camera" not in message.body
    assert len(MockSmsProvider.outbox) == texts_before + 1
    assert service.inbox(city, actor=LEADER, paging=PageParams()).total == 0
    later = message.created_at + timedelta(minutes=11)
    assert service.escalate_unacknowledged(city, settings=settings, now=later) >= 1
    assert any(
        "[Chưa xác nhận]" in m.subject for m in service.inbox(city, actor=LEADER, paging=PageParams()).items
    )
    with pytest.raises(Forbidden):
        service.acknowledge(city, actor=LEADER, message_id=message.id)
    acked = service.acknowledge(city, actor=HEAD, message_id=message.id)
    assert acked.acknowledged_by == "user:truongphong"
    assert service.escalate_unacknowledged(city, settings=settings, now=later + timedelta(hours=1)) == 0


@pytest.mark.usefixtures("escalating")
def test_what_a_rule_told_several_people_escalates_once_and_not_once_anyone_acknowledged(city, settings):
    """The severe-incident rule tells the operators, the heads and a phone: the leader gets one escalation per
    incident nobody acknowledged, not one per copy; one that any of them acknowledged is not escalated."""
    fire = EventIn(type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title="Cháy kho hàng")
    flood = EventIn(type="flooding", severity=5, lon=106.6831, lat=11.0042, source="sensor", title="Ngập sâu")
    unanswered, _ = ioc_service.receive_event(city, actor=SYSTEM, settings=settings, data=fire)
    answered, _ = ioc_service.receive_event(city, actor=SYSTEM, settings=settings, data=flood)
    told = service.inbox(city, actor=HEAD, paging=PageParams()).items
    service.acknowledge(city, actor=HEAD, message_id=next(m.id for m in told if answered.code in m.subject))
    later = max(m.created_at for m in told) + timedelta(minutes=11)

    assert service.escalate_unacknowledged(city, settings=settings, now=later) == 1
    escalated = [
        m.subject
        for m in service.inbox(city, actor=LEADER, paging=PageParams()).items
        if m.subject.startswith("[Chưa xác nhận]")
    ]
    assert len(escalated) == 1 and unanswered.code in escalated[0], escalated
    assert service.escalate_unacknowledged(city, settings=settings, now=later + timedelta(hours=1)) == 0


def test_by_default_a_severe_incident_goes_up_the_centres_chain_only(city, settings):
    """Out of the box the severe-incident message does not escalate on its own: the incident's chain calls the
    head, then the leader; the leader is not called a second time by the message's escalation."""
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title="Cháy"),
    )
    later = incident.opened_at + timedelta(minutes=11)
    assert service.escalate_unacknowledged(city, settings=settings, now=later) == 0
    for _level in (1, 2):  # the head, then the leader
        due = ioc_service.get_incident(city, code=incident.code).ack_due_at
        assert ioc_service.escalate_overdue(city, settings=settings, now=due + timedelta(seconds=1))
        assert service.escalate_unacknowledged(city, settings=settings, now=due + timedelta(seconds=1)) == 0
    leader_inbox = service.inbox(city, actor=LEADER, paging=PageParams()).items
    assert [m.subject[:14] for m in leader_inbox if incident.code in m.body] == ["[Chuyển cấp 2]"]


def test_the_centres_messages_reach_its_own_staff_not_every_holder_of_the_role(city, settings):
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title="Cháy chợ"),
    )
    ward_inbox = service.inbox(city, actor=WARD_HEAD, paging=PageParams()).items
    message = next(m for m in ward_inbox if incident.code in m.subject)
    assert (
        service.inbox(city, actor=SCHOOL_HEAD, paging=PageParams()).total == 0
    )  # a school's head is a head too
    with pytest.raises(Forbidden):
        service.acknowledge(city, actor=SCHOOL_HEAD, message_id=message.id)
    assert (
        service.acknowledge(city, actor=WARD_HEAD, message_id=message.id).acknowledged_by == "user:tp.phuloi"
    )
    assert service.reaches("role:head@TDM-IOC UBND-", WARD_HEAD) and service.reaches("role:head@UBND-", HEAD)
    assert not service.reaches("role:head@UBND-", SCHOOL_HEAD) and not service.reaches(
        "role:leader@UBND-", WARD_HEAD
    )


def test_the_escalation_chain_of_an_incident_reaches_the_next_role(city, settings):
    incident, _ = ioc_service.receive_event(
        city,
        actor=SYSTEM,
        settings=settings,
        data=EventIn(
            type="flooding", severity=3, lon=106.6525, lat=10.9805, source="sensor", title="Ngập sâu"
        ),
    )
    assert incident.ack_due_at is not None
    ioc_service.escalate_overdue(city, settings=settings, now=incident.ack_due_at + timedelta(seconds=1))
    head_inbox = service.inbox(city, actor=HEAD, paging=PageParams()).items
    called = [m for m in head_inbox if m.subject.startswith("[Chuyển cấp 1] Ngập sâu")]
    assert called and incident.code in called[0].body
    school_inbox = service.inbox(city, actor=SCHOOL_HEAD, paging=PageParams()).items
    assert not any(incident.code in m.body for m in school_inbox)


def test_the_operations_report_is_announced_in_words_with_its_link(city, settings):
    from smartcity.core.uow import UnitOfWork
    from smartcity.ioc.events import OperationsReportReady

    path = "/can-bo/dieu-hanh/bao-cao/daily/2026-12-05.pdf"
    with UnitOfWork(city, SYSTEM) as uow:
        uow.publish(
            OperationsReportReady(
                kind="daily",
                period="2026-12-05",
                path=path,
                recipients=("role:head",),
                at="2026-12-06T00:00:00",
            )
        )
    message = next(
        m for m in service.inbox(city, actor=HEAD, paging=PageParams()).items if "vận hành" in m.subject
    )
    assert message.subject == "Báo cáo vận hành ngày 05/12/2026" and message.link == path
    for shown in (message.subject, message.body):
        assert "2026-12-05" not in shown and "/can-bo/" not in shown


def test_an_indicator_at_its_critical_level_notifies_by_the_indicator_rule(city, settings):
    from smartcity.core.uow import UnitOfWork
    from smartcity.ioc.events import IndicatorComputed

    sent_before = len(RecordingEmailChannel.sent)
    noon = "2026-11-20T05:00:00+00:00"  # 12:00 in the city: outside the rule's quiet hours
    for level in ("warning", "critical"):
        with UnitOfWork(city, SYSTEM) as uow:
            uow.publish(
                IndicatorComputed(
                    code="feedback.share_within_deadline",
                    frequency="daily",
                    period_start=noon,
                    value=61.0,
                    target=95.0,
                    level=level,
                    at=noon,
                )
            )
    messages = service.inbox(city, actor=HEAD, paging=PageParams()).items
    assert [m.subject for m in messages] == ["Chỉ số ở mức báo động: Tỷ lệ phản ánh xử lý đúng hạn"]
    assert messages[0].body == "Giá trị 61 (kỳ 20/11/2026) ở mức báo động."
    held = [m for m in _messages(city) if m.channel == "email"]
    assert len(held) == 1 and (held[0].status == "held") == _quiet_now(settings)
    assert len(RecordingEmailChannel.sent) >= sent_before


def _messages(db):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    with db.session() as s:
        return list(s.scalars(select(Message)))


def _quiet_now(settings) -> bool:  # type: ignore[no-untyped-def]
    from smartcity.core import clock

    hour = clock.local(clock.now(), settings).hour
    return hour >= 22 or hour < 6
