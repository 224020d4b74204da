"""A camera's accident reaches the operations centre as an incident (through cameras' published event)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartcity.cameras import service as cameras
from smartcity.cameras.schemas import CameraCreate, EventIn
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.ioc import service as ioc

SYSTEM = Actor.system("test")
BOX = Actor(kind="apikey", name="analytics-box", roles=frozenset({("integrator", None)}))


def _camera(db) -> None:  # type: ignore[no-untyped-def]
    cameras.create_camera(
        db,
        actor=SYSTEM,
        data=CameraCreate(
            id="CAM-NGA6",
            name="Ngã Sáu",
            kind="traffic",
            road="Vòng xoay Ngã Sáu",
            lanes=2,
            lon=106.658,
            lat=10.977,
        ),
    )


def _report(db, kind: str, event_id: str, when: datetime) -> None:  # type: ignore[no-untyped-def]
    data = EventIn(event_id=event_id, kind=kind, occurred_at=when)
    cameras.report_event(db, actor=BOX, camera_id="CAM-NGA6", data=data)


def test_a_camera_accident_opens_one_incident_and_a_second_report_joins_it(db, settings):
    _camera(db)
    now = datetime.now(UTC)
    _report(db, "accident", "A-1", now - timedelta(minutes=2))
    _report(db, "accident", "A-2", now - timedelta(minutes=1))  # the same crash, seen again
    page = ioc.list_incidents(db, paging=PageParams(), type="traffic_accident")
    assert page.total == 1
    [incident] = page.items
    assert incident.source == "camera" and "Ngã Sáu" in incident.title


def test_old_or_unhandled_camera_events_open_nothing(db, settings):
    _camera(db)
    now = datetime.now(UTC)
    _report(db, "accident", "OLD", now - timedelta(days=2))  # a replay or a late upload
    _report(db, "stopped_vehicle", "S-1", now)  # stays a camera event for the operator
    assert ioc.list_incidents(db, paging=PageParams()).total == 0
