"""JSON API of the IoT core under /api/v1/iot: devices, telemetry, commands, rules, alarms. Thin."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.errors import BadRequest, Forbidden, UnsupportedMediaType
from smartcity.core.pages import MAX_LIMIT
from smartcity.core.security import Actor
from smartcity.iot import service
from smartcity.iot.auth import Sender, integrator, operator, signed_in, telemetry_sender
from smartcity.iot.models import Command, Device
from smartcity.iot.ngsi_api import router as ngsi_router
from smartcity.iot.pipeline import Envelope
from smartcity.iot.schemas import (
    AggregateSeries,
    AlarmRead,
    CommandAck,
    CommandCreate,
    CommandGroupRead,
    CommandRead,
    Credentials,
    DeviceCreate,
    DeviceCreated,
    DevicePage,
    DeviceRead,
    DeviceUpdate,
    ImportReport,
    IngestReport,
    LatestState,
    RejectionRead,
    RuleCreate,
    RuleRead,
    TelemetryBatch,
    TelemetryPoint,
    TelemetrySeries,
)
from smartcity.web.deps import get_db

iot = APIRouter(prefix="/api/v1/iot", tags=["iot"])
Operator = Annotated[Actor, Depends(operator)]
Integrator = Annotated[Actor, Depends(integrator)]
SignedIn = Annotated[Actor, Depends(signed_in)]
MAX_CSV_BYTES = 5_000_000


def _utc(value: datetime | None) -> datetime | None:
    """Query times: naive ones are read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def device_read(device: Device, health: tuple[datetime | None, int] = (None, 0)) -> DeviceRead:
    """A device for the API, with its last report and rejected-message count."""
    location = {"type": "Point", "coordinates": [device.lon, device.lat]} if device.lon is not None else None
    return DeviceRead.model_validate(
        {
            **service.device_snapshot(device),
            "location": location,
            "mqtt_username": device.mqtt_username,
            "created_at": device.created_at,
            "decommissioned_at": device.decommissioned_at,
            "last_seen_at": health[0],
            "rejected_messages": health[1],
        }
    )


@iot.get("/types", summary="Device types with their telemetry keys and commands")
def list_types(_actor: SignedIn) -> list[dict[str, Any]]:
    return service.known_types()


@iot.post("/devices", status_code=201, response_model=DeviceCreated, summary="Register a device")
def create_device(data: DeviceCreate, request: Request, actor: Integrator) -> DeviceCreated:
    created = service.register_device(get_db(request), actor=actor, data=data)
    read = device_read(created.device)
    return DeviceCreated(
        **read.model_dump(),
        credentials=Credentials(username=created.device.mqtt_username, password=created.password),
    )


@iot.post("/devices/import", response_model=ImportReport, summary="Register devices from CSV (all or none)")
async def import_devices(request: Request, actor: Integrator) -> Response | ImportReport:
    if not request.headers.get("content-type", "").startswith(("text/csv", "text/plain")):
        raise UnsupportedMediaType("Send the CSV as text/csv")
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise BadRequest("CSV larger than 5 MB; split it")
    try:
        content = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The CSV must be UTF-8") from None
    created, errors = await run_in_threadpool(  # the database work off the event loop
        lambda: service.import_devices_csv(get_db(request), actor=actor, content=content)
    )
    report = ImportReport(
        created=len(created),
        errors=errors,
        credentials=[Credentials(username=c.device.mqtt_username, password=c.password) for c in created],
    )
    if errors:
        return Response(report.model_dump_json(), status_code=422, media_type="application/json")
    return report


@iot.get("/devices", response_model=DevicePage, summary="List devices")
def list_devices(
    request: Request,
    _actor: SignedIn,
    type: str | None = None,
    status: str | None = None,
    ward_code: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DevicePage:
    where = service.DeviceFilter(
        type=type, status=status, ward_code=ward_code, tag=tag, q=q, bbox=_bbox(bbox)
    )
    items, total = service.list_devices(get_db(request), where=where, limit=limit, offset=offset)
    health = service.device_health(get_db(request), device_ids=[d.id for d in items])
    return DevicePage(
        items=[device_read(d, health[d.id]) for d in items], total=total, limit=limit, offset=offset
    )


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    if not raw:
        return None
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        raise BadRequest("bbox is west,south,east,north in degrees") from None
    return west, south, east, north


@iot.get("/devices/{device_id}", response_model=DeviceRead, summary="One device")
def get_device(device_id: str, request: Request, _actor: SignedIn) -> DeviceRead:
    device = service.get_device(get_db(request), device_id=device_id)
    return device_read(device, service.device_health(get_db(request), device_ids=[device_id])[device_id])


@iot.patch("/devices/{device_id}", response_model=DeviceRead, summary="Change a device's registry fields")
def patch_device(device_id: str, data: DeviceUpdate, request: Request, actor: Operator) -> DeviceRead:
    return device_read(service.update_device(get_db(request), actor=actor, device_id=device_id, data=data))


@iot.post("/devices/{device_id}/decommission", response_model=DeviceRead, summary="Take out of service")
def decommission(device_id: str, request: Request, actor: Operator) -> DeviceRead:
    return device_read(service.decommission_device(get_db(request), actor=actor, device_id=device_id))


@iot.post("/devices/{device_id}/credentials", response_model=Credentials, summary="New device password")
def new_credentials(device_id: str, request: Request, actor: Operator) -> Credentials:
    created = service.reset_credentials(get_db(request), actor=actor, device_id=device_id)
    return Credentials(username=created.device.mqtt_username, password=created.password)


@iot.get("/devices/{device_id}/state", response_model=LatestState, summary="Latest value of each key")
def device_state(device_id: str, request: Request, _actor: SignedIn) -> LatestState:
    service.get_device(get_db(request), device_id=device_id)
    state = service.latest_state(get_db(request), device_ids=[device_id])[device_id]
    return LatestState(
        device_id=device_id,
        values={k: v for k, (v, _) in state.items()},
        observed_at={k: ts for k, (_, ts) in state.items()},
    )


@iot.get("/devices/{device_id}/telemetry", response_model=TelemetrySeries, summary="Stored values")
def device_telemetry(
    device_id: str,
    request: Request,
    _actor: SignedIn,
    key: str | None = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> TelemetrySeries:
    items = service.telemetry(
        get_db(request), device_id=device_id, key=key, start=_utc(start), end=_utc(end), limit=limit
    )
    return TelemetrySeries(device_id=device_id, items=[TelemetryPoint(**i) for i in items])


@iot.get("/devices/{device_id}/aggregates", response_model=AggregateSeries, summary="Min/avg/max by interval")
def device_aggregates(
    device_id: str,
    key: str,
    request: Request,
    _actor: SignedIn,
    interval: str = "hour",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> AggregateSeries:
    items = service.aggregates(
        get_db(request), device_id=device_id, key=key, interval=interval, start=_utc(start), end=_utc(end)
    )
    return AggregateSeries.model_validate(
        {"device_id": device_id, "key": key, "interval": interval, "items": items}
    )


@iot.get("/devices/{device_id}/rollups", response_model=AggregateSeries, summary="Hourly or daily roll-ups")
def device_rollups(
    device_id: str,
    key: str,
    request: Request,
    _actor: SignedIn,
    interval: str = "hour",
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> AggregateSeries:
    service.get_device(get_db(request), device_id=device_id)
    items = service.rollups(
        get_db(request), device_id=device_id, key=key, interval=interval, start=_utc(start), end=_utc(end)
    )
    return AggregateSeries.model_validate(
        {"device_id": device_id, "key": key, "interval": interval, "items": items}
    )


@iot.get("/rejections", response_model=list[RejectionRead], summary="Rejected messages, counted per device")
def list_rejections(request: Request, _actor: Operator, device_id: str | None = None) -> list[RejectionRead]:
    return [RejectionRead.model_validate(r) for r in service.rejections(get_db(request), device_id=device_id)]


@iot.post("/telemetry", response_model=IngestReport, summary="Ingest a batch of device messages")
def post_telemetry(
    batch: TelemetryBatch, request: Request, sender: Annotated[Sender, Depends(telemetry_sender)]
) -> IngestReport:
    envelopes = [_envelope(message, sender) for message in batch.messages]
    outcome = service.ingest(get_db(request), envelopes=envelopes)
    return IngestReport(
        accepted=outcome.accepted,
        duplicates=outcome.duplicates,
        rejected=len(outcome.refused),
        errors=[
            {"index": r.index, "device_id": r.device_id, "reason": r.reason, "detail": r.detail}
            for r in outcome.refused
        ],
    )


def _envelope(message: Any, sender: Sender) -> Envelope:
    if sender.device_id is None:
        return Envelope(message)
    claimed = message.get("device_id") if isinstance(message, dict) else None
    if claimed is not None and not sender.may_send_for(claimed):
        raise Forbidden(f"device {sender.device_id!r} may not send for {claimed!r}")
    return Envelope(message, device_id=sender.device_id)


@iot.post(
    "/commands",
    status_code=202,
    response_model=CommandGroupRead,
    summary="Send a command to devices (stored, then published)",
)
def post_command(data: CommandCreate, request: Request, actor: Operator) -> CommandGroupRead:
    group_id, commands = service.send_commands(get_db(request), actor=actor, data=data)
    return _group(group_id, commands)


def _group(group_id: str, commands: list[Command]) -> CommandGroupRead:
    return CommandGroupRead(
        group_id=group_id,
        counts=service.status_counts(commands),
        items=[CommandRead.model_validate(c) for c in commands],
    )


@iot.get("/commands/{group_id}", response_model=CommandGroupRead, summary="A command or group and its status")
def get_command_group(group_id: str, request: Request, _actor: Operator) -> CommandGroupRead:
    return _group(group_id, service.command_group(get_db(request), group_id=group_id))


@iot.get("/devices/{device_id}/commands", response_model=list[CommandRead], summary="Latest commands")
def device_commands(device_id: str, request: Request, _actor: Operator) -> list[CommandRead]:
    return [
        CommandRead.model_validate(c) for c in service.list_commands(get_db(request), device_id=device_id)
    ]


@iot.get("/devices/{device_id}/commands/pending", summary="For devices polling over HTTP: commands to apply")
def pending_commands(
    device_id: str, request: Request, sender: Annotated[Sender, Depends(telemetry_sender)]
) -> list[dict[str, Any]]:
    if not sender.may_send_for(device_id):
        raise Forbidden(f"device {sender.device_id!r} may not read {device_id!r}'s commands")
    return [service.command_payload(c) for c in service.take_commands(get_db(request), device_id=device_id)]


@iot.post(
    "/devices/{device_id}/commands/{command_id}/ack",
    response_model=CommandRead,
    summary="A device's answer to a command",
)
def ack_command(
    device_id: str,
    command_id: str,
    ack: CommandAck,
    request: Request,
    sender: Annotated[Sender, Depends(telemetry_sender)],
) -> CommandRead:
    if not sender.may_send_for(device_id):
        raise Forbidden(f"device {sender.device_id!r} may not answer for {device_id!r}")
    command = service.acknowledge_command(
        get_db(request), device_id=device_id, command_id=command_id, ok=ack.status == "ok", detail=ack.detail
    )
    return CommandRead.model_validate(command)


@iot.get("/rules", response_model=list[RuleRead], summary="Rules")
def list_rules(request: Request, _actor: Operator) -> list[RuleRead]:
    return [RuleRead.model_validate(r) for r in service.list_rules(get_db(request))]


@iot.post("/rules", status_code=201, response_model=RuleRead, summary="Add a rule")
def create_rule(data: RuleCreate, request: Request, actor: Operator) -> RuleRead:
    return RuleRead.model_validate(service.create_rule(get_db(request), actor=actor, data=data))


@iot.put("/rules/{rule_id}", response_model=RuleRead, summary="Replace a rule (new version)")
def put_rule(rule_id: int, data: RuleCreate, request: Request, actor: Operator) -> RuleRead:
    return RuleRead.model_validate(
        service.update_rule(get_db(request), actor=actor, rule_id=rule_id, data=data)
    )


@iot.get("/rules/export", summary="Every rule as YAML or JSON")
def export_rules(request: Request, _actor: Operator, format: str = "yaml") -> Response:
    rules = [service.rule_snapshot(r) for r in service.list_rules(get_db(request))]
    if format == "json":
        return Response(
            json.dumps({"rules": rules}, ensure_ascii=False, indent=2), media_type="application/json"
        )
    if format != "yaml":
        raise BadRequest("format is yaml or json")
    return Response(
        yaml.safe_dump({"rules": rules}, allow_unicode=True, sort_keys=False), media_type="application/yaml"
    )


@iot.post("/rules/import", summary="Create or update rules by name from an export")
def import_rules(
    request: Request, actor: Operator, document: Annotated[dict[str, Any], Body()]
) -> dict[str, int]:
    items = document.get("rules")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest('expected {"rules": [ ... ]}')
    created, updated = service.import_rules(get_db(request), actor=actor, rules=items)
    return {"created": created, "updated": updated}


@iot.get("/alarms", summary="Alarms, newest first")
def list_alarms(
    request: Request,
    _actor: Operator,
    state: str | None = None,
    device_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    items, total = service.list_alarms(
        get_db(request), state=state, device_id=device_id, limit=limit, offset=offset
    )
    return {
        "items": [AlarmRead.model_validate(a) for a in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@iot.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmRead, summary="Acknowledge an alarm")
def acknowledge_alarm(alarm_id: int, request: Request, actor: Operator) -> AlarmRead:
    return AlarmRead.model_validate(
        service.acknowledge_alarm(get_db(request), actor=actor, alarm_id=alarm_id)
    )


@iot.post("/alarms/{alarm_id}/clear", response_model=AlarmRead, summary="Clear an alarm by hand")
def clear_alarm(alarm_id: int, request: Request, actor: Operator) -> AlarmRead:
    return AlarmRead.model_validate(service.clear_alarm(get_db(request), actor=actor, alarm_id=alarm_id))


router = APIRouter()
router.include_router(iot)
router.include_router(ngsi_router)
