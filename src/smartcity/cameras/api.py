"""Camera JSON API under /api/v1/cameras: events in (JSON, or multipart with a snapshot), events out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from smartcity.cameras import service
from smartcity.cameras.config import CamerasSettings
from smartcity.cameras.schemas import EventIn, EventRead
from smartcity.core.errors import BadRequest, ValidationFailed
from smartcity.core.malware import Intake
from smartcity.core.security import Actor
from smartcity.web.deps import DbDep, SettingsDep, require_role, require_role_in

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])
Sender = Depends(require_role("integrator", "operator"))
Operator = Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))


def _read(event: Any) -> EventRead:
    read = EventRead.model_validate(event)
    read.has_snapshot = event.snapshot_sha256 is not None
    return read


async def _event_input(
    request: Request, db: DbDep, settings: SettingsDep, actor: Actor
) -> tuple[EventIn, tuple[str, str] | None]:
    snapshot = None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str) and v != ""}
        upload = form.get("snapshot")
        if isinstance(upload, UploadFile):
            limits = settings.section(CamerasSettings)
            stored = await service.snapshots(db).save_upload(
                upload,
                max_bytes=limits.max_snapshot_bytes,
                allowed_types=service.SNAPSHOT_TYPES,
                intake=Intake(db, actor, "cameras.snapshot", field_name="snapshot"),
            )
            snapshot = (stored.sha256, stored.media_type or "image/jpeg")
    else:
        try:
            fields = await request.json()
        except ValueError:
            raise BadRequest("The request body is not valid JSON") from None
    try:
        return EventIn.model_validate(fields), snapshot
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed.for_field(
            ".".join(str(p) for p in first["loc"]) or "body", first["msg"]
        ) from None


@router.post("/{camera_id}/events", response_model=EventRead, status_code=201)
async def post_event(
    camera_id: str, request: Request, db: DbDep, settings: SettingsDep, actor: Actor = Sender
) -> Response:
    """A camera's analytics report an event (JSON, or multipart/form-data with a `snapshot` JPEG/PNG).

    Idempotent on (camera, event_id): a repeat answers 200 with the stored event."""
    data, snapshot = await _event_input(request, db, settings, actor)
    event, created = await run_in_threadpool(
        lambda: service.report_event(db, actor=actor, camera_id=camera_id, data=data, snapshot=snapshot)
    )
    return JSONResponse(_read(event).model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/events", response_model=list[EventRead])
def events(db: DbDep, state: str | None = None, actor: Actor = Operator) -> list[EventRead]:
    """Recent camera events, new first."""
    return [_read(e) for e in service.list_events(db, state=state)]


@router.post("/events/{event_id}/acknowledge", response_model=EventRead)
def acknowledge(event_id: int, db: DbDep, actor: Actor = Operator) -> EventRead:
    """An operator acknowledges an event."""
    return _read(service.acknowledge_event(db, actor=actor, event_id=event_id))


@router.get("/events/{event_id}/snapshot")
def snapshot(event_id: int, db: DbDep, actor: Actor = Operator) -> Response:
    """The event's snapshot (audited on every view)."""
    content, media_type = service.view_snapshot(db, actor=actor, event_id=event_id)
    return Response(content, media_type=media_type, headers={"Cache-Control": "no-store"})
