"""Camera use cases: inventory, events over HTTP (with snapshot) or MQTT (through the IoT core), audited
snapshot views, acknowledgement, traffic flow and congestion per lane."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.cameras.config import CamerasSettings
from smartcity.cameras.events import CameraEventAcknowledged, CameraEventReported
from smartcity.cameras.models import Camera, CameraEvent
from smartcity.cameras.schemas import CameraCreate, EventIn
from smartcity.core import clock
from smartcity.core.config import section_of
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import Forbidden, NotFound, ValidationFailed
from smartcity.core.files import FileStore, file_store
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.iot.schemas import DeviceCreate

SYSTEM = Actor.system("cameras")
EVENT_NAMES = iot_service.CAMERA_EVENT_NAMES
SEVERITY = {
    "accident": "Severe",
    "fire": "Severe",
    "wrong_way": "Severe",
    "flooding": "Moderate",
    "smoke": "Moderate",
    "intrusion": "Moderate",
    "stopped_vehicle": "Minor",
    "crowd": "Minor",
}
TRAFFIC_EVENTS = {"accident", "stopped_vehicle", "wrong_way", "flooding"}
SNAPSHOT_TYPES = ("image/jpeg", "image/png")
# Traffic and security cameras are run by the operations centre (TDM-IOC), the Urban Management division
# (TDM-QLDT: traffic) and the people's committees (UBND-): their operators, or city-wide ones, or admin.
OPERATOR_UNITS = ("TDM-IOC", "TDM-QLDT", "UBND-")
OPERATOR_REFUSAL = (
    "Việc này dành cho cán bộ vận hành của Trung tâm điều hành, Phòng Quản lý đô thị "
    "và Ủy ban nhân dân thành phố, phường."
)


def _settings(db: Database) -> CamerasSettings:
    return section_of(CamerasSettings, db.settings)


def snapshots(db: Database) -> FileStore:
    """The store of camera snapshots."""
    assert db.settings is not None
    return file_store(db.settings, "cameras")


def lane_device(camera_id: str, lane: int) -> str:
    """The id of a lane's TrafficFlowObserved device."""
    return f"{camera_id}-L{lane}"


def create_camera(db: Database, *, actor: Actor, data: CameraCreate) -> Camera:
    """Install a camera: its device, and for a traffic camera one flow device per lane."""
    point = {"type": "Point", "coordinates": [data.lon, data.lat]}
    device = iot_service.register_device(
        db,
        actor=actor,
        data=DeviceCreate(
            id=data.id, type="camera", name=data.name, location=point, tags=["cameras", data.kind, *data.tags]
        ),
    ).device
    for lane in range(1, data.lanes + 1 if data.kind == "traffic" else 1):
        iot_service.register_device(
            db,
            actor=actor,
            data=DeviceCreate(
                id=lane_device(data.id, lane),
                type="traffic_flow",
                name=f"{data.name} — làn {lane}",
                location=point,
                tags=["cameras", *data.tags],
                relationships={"refDevice": f"urn:ngsi-ld:Camera:{data.id}"},
            ),
        )
    with UnitOfWork(db, actor) as uow:
        values = data.model_dump(exclude={"tags"})
        uow.session.add(Camera(**values, ward_code=device.ward_code))
        uow.audit(
            "create", "cameras.camera", data.id, after={k: v for k, v in values.items() if k != "stream_url"}
        )
    return get_camera(db, camera_id=data.id)


def get_camera(db: Database, *, camera_id: str) -> Camera:
    """One camera; 404 if unknown."""
    return db.get_or_404(Camera, camera_id, Phrase("Không có camera {camera}.", camera=repr(camera_id)))


def list_cameras(db: Database, *, kind: str | None = None) -> list[Camera]:
    """Cameras by name."""
    query = select(Camera).order_by(Camera.kind, Camera.name)
    if kind:
        query = query.where(Camera.kind == kind)
    return db.all(query)


def may_see_streams(db: Database, actor: Actor) -> bool:
    """Whether the actor's roles allow stream addresses."""
    return any(actor.has_role(role) for role in _settings(db).stream_roles)


# ---------------------------------------------------------------- events


def report_event(
    db: Database,
    *,
    actor: Actor,
    camera_id: str,
    data: EventIn,
    via: str = "http",
    snapshot: tuple[str, str] | None = None,
) -> tuple[CameraEvent, bool]:
    """Store an event once per camera event id and publish it; returns (event, created)."""
    camera = get_camera(db, camera_id=camera_id)
    _check_kind(camera, data)
    if data.occurred_at > clock.now() + timedelta(minutes=5):
        raise ValidationFailed.for_field(
            "occurred_at", "Sự kiện không thể xảy ra ở tương lai (kiểm tra đồng hồ camera)."
        )
    existing = _find(db, camera_id, data.event_id)
    if existing is not None:
        return existing, False
    try:
        with UnitOfWork(db, actor) as uow:
            event = CameraEvent(
                camera_id=camera.id,
                external_id=data.event_id,
                kind=data.kind,
                occurred_at=data.occurred_at,
                received_at=clock.now(),
                received_via=via,
                lane=data.lane,
                confidence=data.confidence,
                note=data.note,
                snapshot_sha256=snapshot[0] if snapshot else None,
                snapshot_type=snapshot[1] if snapshot else None,
                state="new",
            )
            uow.session.add(event)
            uow.session.flush()
            uow.audit("report", "cameras.event", event.id, after={"camera": camera.id, "kind": data.kind})
            uow.publish(_reported(camera, event))
            event_id = event.id
    except IntegrityError:  # the same event arrived twice at once
        found = _find(db, camera_id, data.event_id)
        assert found is not None
        return found, False
    return get_event(db, event_id=event_id), True


def _check_kind(camera: Camera, data: EventIn) -> None:
    traffic = data.kind in TRAFFIC_EVENTS
    if camera.kind == "security" and traffic and data.kind != "flooding":
        raise ValidationFailed.for_field(
            "kind",
            Phrase(
                "Camera an ninh không báo sự kiện giao thông “{event}”.", event=Phrase(EVENT_NAMES[data.kind])
            ),
        )
    if data.lane is not None and (camera.kind != "traffic" or data.lane > camera.lanes):
        raise ValidationFailed.for_field(
            "lane",
            Phrase("Camera này có {lanes} làn; không có làn {lane}.", lanes=camera.lanes, lane=data.lane),
        )


def _reported(camera: Camera, event: CameraEvent) -> CameraEventReported:
    return CameraEventReported(
        event_id=event.id,
        camera_id=camera.id,
        camera_name=camera.name,
        category="traffic" if event.kind in TRAFFIC_EVENTS else "security",
        kind=event.kind,
        title_vi=f"{EVENT_NAMES[event.kind]} — {camera.name}",
        severity=SEVERITY[event.kind],
        occurred_at=event.occurred_at.isoformat(),
        lon=camera.lon,
        lat=camera.lat,
        ward_code=camera.ward_code,
        road=camera.road,
        lane=event.lane,
        confidence=event.confidence,
        has_snapshot=event.snapshot_sha256 is not None,
    )


def _find(db: Database, camera_id: str, external_id: str) -> CameraEvent | None:
    with db.session() as s:
        return s.scalars(
            select(CameraEvent).where(
                CameraEvent.camera_id == camera_id, CameraEvent.external_id == external_id
            )
        ).first()


def get_event(db: Database, *, event_id: int) -> CameraEvent:
    """One event; 404 if unknown."""
    return db.get_or_404(CameraEvent, event_id, Phrase("Không có sự kiện {event}.", event=event_id))


def list_events(
    db: Database, *, camera_id: str | None = None, state: str | None = None, limit: int = 100
) -> list[CameraEvent]:
    """Events, new ones first, newest first."""
    query = select(CameraEvent).order_by(CameraEvent.state == "acknowledged", CameraEvent.occurred_at.desc())
    if camera_id:
        query = query.where(CameraEvent.camera_id == camera_id)
    if state:
        query = query.where(CameraEvent.state == state)
    return db.all(query.limit(limit))


def acknowledge_event(db: Database, *, actor: Actor, event_id: int) -> CameraEvent:
    """An operator has seen an event and handled it."""
    with UnitOfWork(db, actor) as uow:
        event = get_or_404(
            uow.session, CameraEvent, event_id, Phrase("Không có sự kiện {event}.", event=event_id)
        )
        if event.state != "acknowledged":
            event.state, event.acknowledged_by, event.acknowledged_at = (
                "acknowledged",
                actor.shown_name,
                clock.now(),
            )
            uow.audit("acknowledge", "cameras.event", event_id)
            uow.publish(CameraEventAcknowledged(event_id, event.camera_id, actor.label))
    return get_event(db, event_id=event_id)


def view_snapshot(db: Database, *, actor: Actor, event_id: int) -> tuple[bytes, str]:
    """The snapshot of an event, for the roles allowed to see it; every view is written to the audit log."""
    if not any(actor.has_role(role) for role in _settings(db).snapshot_roles):
        raise Forbidden("Chỉ cán bộ được phân quyền mới xem được ảnh chụp từ camera.")
    event = get_event(db, event_id=event_id)
    if event.snapshot_sha256 is None:
        raise NotFound("Sự kiện này không có ảnh chụp.")
    content = snapshots(db).get(event.snapshot_sha256)
    with UnitOfWork(db, actor) as uow:
        uow.audit("view_snapshot", "cameras.event", event_id, after={"camera": event.camera_id})
    return content, event.snapshot_type or "image/jpeg"


def pull_mqtt_events(db: Database, *, now: datetime | None = None) -> int:
    """Turn the events cameras sent over MQTT (eventType telemetry via the IoT core) into camera events."""
    now = now or clock.now()
    created = 0
    for camera in list_cameras(db):
        since = camera.last_event_check or now - timedelta(hours=1)
        rows = iot_service.telemetry(db, device_id=camera.id, start=since, end=now, limit=2000)
        by_message: dict[str, dict[str, Any]] = defaultdict(dict)
        for found in rows:
            by_message[found["msg_id"]][found["key"]] = found["value"]
            by_message[found["msg_id"]]["_ts"] = found["ts"]
        for msg_id, values in sorted(by_message.items(), key=lambda item: item[1]["_ts"]):
            if "eventType" in values:
                created += _from_message(db, camera, msg_id, values)
        with UnitOfWork(db, SYSTEM) as uow:
            stored = uow.session.get(Camera, camera.id)
            assert stored is not None
            stored.last_event_check = now
    return created


def _from_message(db: Database, camera: Camera, msg_id: str, values: dict[str, Any]) -> int:
    lane = values.get("eventLane")
    data = EventIn(
        event_id=str(values.get("eventId") or msg_id),
        kind=values["eventType"],
        occurred_at=values["_ts"],
        lane=int(lane) if lane is not None else None,
        confidence=values.get("eventConfidence"),
    )
    try:
        _event, created = report_event(db, actor=SYSTEM, camera_id=camera.id, data=data, via="mqtt")
    except ValidationFailed:
        return 0  # an event that contradicts the camera (lane it does not have) is refused as over HTTP
    return int(created)


# ---------------------------------------------------------------- traffic flow


def lane_flow(db: Database, *, camera: Camera, since: datetime) -> dict[int, list[dict[str, Any]]]:
    """Hourly vehicles and mean speed of each lane since a moment."""
    flows = {}
    for lane in range(1, camera.lanes + 1):
        device = lane_device(camera.id, lane)
        counts = iot_service.aggregates_every(
            db, device_id=device, key="intensity", seconds=3600, start=since
        )
        speeds = {
            r["start"]: r["avg"]
            for r in iot_service.aggregates_every(
                db, device_id=device, key="averageVehicleSpeed", seconds=3600, start=since
            )
        }
        flows[lane] = [
            {"start": r["start"], "vehicles": r["sum"], "speed": speeds.get(r["start"])} for r in counts
        ]
    return flows


def congestion_hours(db: Database, *, start: datetime, end: datetime) -> dict[str, float]:
    """Hours of congestion by road: lane-hours whose mean speed was below the congestion speed."""
    limit = _settings(db).congestion_speed_kmh
    hours: dict[str, float] = defaultdict(float)
    for camera in list_cameras(db, kind="traffic"):
        for lane in range(1, camera.lanes + 1):
            rows = iot_service.aggregates_every(
                db,
                device_id=lane_device(camera.id, lane),
                key="averageVehicleSpeed",
                seconds=3600,
                start=start,
                end=end,
            )
            hours[camera.road or camera.name] += sum(
                1 for r in rows if r["avg"] is not None and r["avg"] < limit
            )
    return dict(hours)
