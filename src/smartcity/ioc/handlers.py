"""How the operations centre reacts to other domains' events: alarms, urgent reports and camera events
become incidents; an alarm that ends is written on its incident.

Detectors without a domain of their own reach the centre through `POST /api/v1/ioc/events`; a domain that
publishes events (cameras.CameraEventReported) is mapped to `service.receive_event` here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smartcity.cameras import service as cameras_service
from smartcity.cameras.events import CameraEventReported
from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.i18n import Phrase
from smartcity.core.outbox import Handler
from smartcity.core.security import Actor
from smartcity.feedback.events import UrgentReportFlagged
from smartcity.ioc import service
from smartcity.ioc.catalogue import ALARM_SEVERITY, alarm_ref, type_of_alarm, type_of_report
from smartcity.ioc.schemas import EventIn
from smartcity.ioc.service.incidents import titled
from smartcity.iot.events import AlarmCleared, AlarmRaised

STALE_AFTER = timedelta(hours=6)


def _when(text: str) -> datetime | None:
    """The event's time, or None when it is too old to open an incident now (a replay, a data load)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if clock.now() - moment <= STALE_AFTER else None


def incident_from_alarm(event: AlarmRaised, db: Database) -> None:
    """A recent device alarm with a location opens (or joins) an incident of the type of what was measured
    (catalogue.ALARM_INCIDENTS); informational alarms, a device's lost connection and its own troubles (a
    battery, the radio signal) do not."""
    severity = ALARM_SEVERITY.get(event.severity, 2)
    at = _when(event.raised_at)
    if event.lon is None or event.lat is None or severity < 2 or at is None:
        return
    kind = type_of_alarm(event.rule_kind, event.device_type, event.key)
    if kind is None:  # the device's own maintenance: the device alarms page shows it
        return
    title = titled(event.rule_name, event.device_name or event.device_id)  # its name, where it has one
    data = EventIn(
        type=kind,
        severity=severity,
        lon=event.lon,
        lat=event.lat,
        source="alarm",
        source_ref=alarm_ref(event.alarm_id),
        title=title,
        description=event.message,
    )
    _receive(db, "ioc.alarms", data, title)


def incident_alarm_cleared(event: AlarmCleared, db: Database) -> None:
    """An alarm that opened or joined an incident ended: the incident records it (and may be resolved)."""
    service.alarm_cleared(
        db, actor=Actor.system("ioc.alarms"), settings=db.settings, alarm_id=event.alarm_id, by=event.by
    )


def incident_from_report(event: UrgentReportFlagged, db: Database) -> None:
    """A recent urgent 1022 report with a location opens (or joins) an incident."""
    at = _when(event.at)
    if event.lon is None or event.lat is None or at is None:
        return
    title = Phrase("Phản ánh khẩn {code}", code=event.code)
    data = EventIn(
        type=type_of_report(event.category_code),
        severity=4 if event.category_code == "khan-cap" else 3,
        lon=event.lon,
        lat=event.lat,
        source="report",
        source_ref=event.code,
        title=title,
        occurred_at=at,
    )
    _receive(db, "ioc.reports", data, title)


# What a camera saw → the incident type it opens (others, such as a stopped vehicle, stay camera events).
CAMERA_INCIDENTS = {
    "accident": "traffic_accident",
    "wrong_way": "traffic_accident",
    "flooding": "flooding",
    "fire": "fire",
    "smoke": "fire",
    "crowd": "crowd_security",
    "intrusion": "crowd_security",
}
CAP_SEVERITY = {"Minor": 1, "Moderate": 2, "Severe": 4, "Extreme": 5}


def incident_from_camera(event: CameraEventReported, db: Database) -> None:
    """A recent camera event of a kind the centre handles opens (or joins) an incident."""
    kind = CAMERA_INCIDENTS.get(event.kind)
    at = _when(event.occurred_at)
    if kind is None or at is None:
        return
    data = EventIn(
        type=kind,
        severity=max(2, CAP_SEVERITY.get(event.severity, 3)),
        lon=event.lon,
        lat=event.lat,
        source="camera",
        source_ref=f"camera:{event.event_id}",
        title=event.title_vi,
        occurred_at=at,
    )
    _receive(db, "ioc.cameras", data, _camera_title(event))


def _camera_title(event: CameraEventReported) -> Phrase | None:
    """The camera event's title as a phrase (what it saw — the camera), as the cameras write `title_vi`;
    the service keeps it only where it says the same."""
    what = cameras_service.EVENT_NAMES.get(event.kind)
    return titled(what, event.camera_name) if what else None


def _receive(db: Database, who: str, data: EventIn, title: Phrase | None) -> None:
    """The event goes to the centre, from the platform's `who`, with the title it wrote as a phrase."""
    service.receive_event(db, actor=Actor.system(who), settings=db.settings, data=data, title_phrase=title)


def _typed(func: object) -> Handler:
    return func  # type: ignore[return-value]


HANDLERS: dict[str, list[Handler]] = {
    "iot.AlarmRaised": [_typed(incident_from_alarm)],
    "iot.AlarmCleared": [_typed(incident_alarm_cleared)],
    "feedback.UrgentReportFlagged": [_typed(incident_from_report)],
    "cameras.CameraEventReported": [_typed(incident_from_camera)],
}
