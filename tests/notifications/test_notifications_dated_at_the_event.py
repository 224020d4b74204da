"""A notification is dated at the moment of what it tells of (the event's own time), never in the future:
past incidents (the demo's history) read at their own time and in their order, a live one at its time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smartcity.core import clock
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc import service as ioc_service
from smartcity.ioc.events import OperationsReportReady
from smartcity.ioc.schemas import EventIn
from smartcity.notifications import service

SYSTEM = Actor.system("test")
OPERATOR = Actor(kind="user", name="vanhanh", user_id=3, roles=frozenset({("operator", None)}))
LEADER = Actor(kind="user", name="lanhdao", user_id=2, roles=frozenset({("leader", None)}))


def _fire(city, settings, title: str, at: datetime | None = None) -> str:  # type: ignore[no-untyped-def]
    data = EventIn(type="fire", severity=5, lon=106.6525, lat=10.9805, source="camera", title=title)
    incident, _ = ioc_service.receive_event(city, actor=SYSTEM, settings=settings, data=data, now=at)
    return incident.code


def _times(city, actor: Actor) -> dict[str, datetime]:  # type: ignore[no-untyped-def]
    """The time of each message in the person's inbox, by subject, in the inbox's order."""
    return {m.subject: m.created_at for m in service.inbox(city, actor=actor, paging=PageParams()).items}


def test_past_incidents_are_notified_at_their_own_time_newest_first(city, settings):
    now = clock.now()
    older, newer = now - timedelta(days=19, hours=3), now - timedelta(days=4, minutes=7)
    newest = _fire(city, settings, "Cháy kho hàng", at=newer)  # opened in the demo's random order
    oldest = _fire(city, settings, "Cháy chợ", at=older)
    times = _times(city, OPERATOR)
    assert list(times.values()) == [newer, older]
    assert [newest in subject for subject in times] == [True, False] and oldest in list(times)[1]


def test_a_live_incident_is_notified_at_its_time_and_nothing_is_dated_in_the_future(city, settings):
    before = clock.now()
    _fire(city, settings, "Cháy kho hàng")
    (moment,) = _times(city, OPERATOR).values()
    assert before <= moment <= clock.now()
    with UnitOfWork(city, SYSTEM) as uow:
        uow.publish(
            OperationsReportReady(
                kind="daily",
                period="2026-12-05",
                path="/can-bo/dieu-hanh/bao-cao/daily/2026-12-05.pdf",
                recipients=("role:operator",),
                at=(clock.now() + timedelta(days=2)).isoformat(),
            )
        )
    assert max(_times(city, OPERATOR).values()) <= clock.now()


@pytest.mark.usefixtures("escalating")
def test_an_unacknowledged_past_notification_is_escalated_when_its_delay_ran_out(city, settings):
    opened = datetime(2026, 11, 18, 16, 33, tzinfo=UTC)
    _fire(city, settings, "Cháy kho hàng", at=opened)
    assert service.escalate_unacknowledged(city, settings=settings, now=clock.now()) >= 1
    escalated = [t for s, t in _times(city, LEADER).items() if s.startswith("[Chưa xác nhận]")]
    assert escalated and set(escalated) == {opened + timedelta(minutes=10)}


def test_an_event_time_is_read_from_its_payload_naive_as_utc():
    assert service.moment_of({"at": "2026-11-18T16:33:00"}) == datetime(2026, 11, 18, 16, 33, tzinfo=UTC)
    assert service.moment_of({"at": "soon"}) is None and service.moment_of({}) is None
