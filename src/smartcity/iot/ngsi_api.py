"""NGSI-LD API at /ngsi-ld/v1: entities, attributes, batch upsert, subscriptions, temporal, @context."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from smartcity.core.db import utcnow
from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.iot import ngsi_types_api, service, subscriptions, temporal
from smartcity.iot.device_types import type_for_sdm
from smartcity.iot.models import Device
from smartcity.iot.ngsi import (
    CONTEXT_PATH,
    BadRequestData,
    GeoQuery,
    InvalidRequest,
    OperationNotSupported,
    ResourceNotFound,
    as_ngsi_error,
    build_entity,
    check_context,
    context_document,
    device_id_of,
    key_values_of,
    link_context,
    observed_at,
    parse_q,
    relationships_of,
    short_type,
)
from smartcity.iot.ngsi_http import JSON_LD, Reader, Writer, _base, _call, _respond
from smartcity.iot.pipeline import DeviceInfo, Envelope, Refused, judge
from smartcity.iot.schemas import DeviceCreate, DeviceUpdate
from smartcity.web.deps import get_db


def _linked_context(request: Request) -> None:
    """A JSON-LD context named in a Link header must be one this broker knows (it fetches none)."""
    linked = link_context(request.headers.get("link"))
    if linked is not None:
        check_context(linked, _base(request))


router = APIRouter(prefix="/ngsi-ld/v1", tags=["ngsi-ld"], dependencies=[Depends(_linked_context)])
MAX_LIMIT = 1000
REGISTRY_ATTRIBUTES = {"name": "name", "serialNumber": "serial", "modelName": "model"}
P = ParamSpec("P")
T = TypeVar("T")


async def _off_loop(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run the sync part of an `async def` route (service calls, the database) in a worker thread, as
    FastAPI runs a plain `def` route: the event loop keeps serving other requests meanwhile. Only the body
    is read on the loop. Context variables (the request's shared read connection, the log's request id)
    are copied to the thread; errors are raised here as they were."""
    return await run_in_threadpool(work, *args, **kwargs)


@router.get("/context.jsonld", summary="The @context of this broker, served locally", include_in_schema=True)
def get_context(request: Request) -> Response:
    return JSONResponse(context_document(_base(request)), media_type=JSON_LD)


@router.get("/entities", summary="Query entities (type, id, idPattern, q, attrs, geo-query, pagination)")
def query_entities(request: Request, _actor: Reader) -> Response:
    params = request.query_params
    query = EntityQuery(
        types=params.get("type"),
        ids=params.get("id"),
        id_pattern=params.get("idPattern"),
        q=params.get("q"),
        geo=GeoQuery.parse(params.get("georel"), params.get("geometry"), params.get("coordinates")),
        attrs=_attrs(params.get("attrs")),
    )
    return _answer_query(request, query)


@router.post("/entityOperations/query", summary="Query entities with a Query in the body (CIM 009 §5.7.2)")
async def post_query(request: Request, _actor: Reader) -> Response:
    body = await _json(request)
    if not isinstance(body, dict) or body.get("type") != "Query":
        raise BadRequestData('send a Query object: {"type": "Query", ...}')
    selectors = body.get("entities") or [{}]
    if not isinstance(selectors, list) or not all(isinstance(e, dict) for e in selectors):
        raise BadRequestData("entities must be an array of entity selectors")
    if len(selectors) > 1:
        raise OperationNotSupported("one entity selector per query")
    geo_q = body.get("geoQ") or {}
    if not isinstance(geo_q, dict):
        raise BadRequestData("geoQ must be an object")
    coordinates = geo_q.get("coordinates")
    query = EntityQuery(
        types=selectors[0].get("type"),
        ids=selectors[0].get("id"),
        id_pattern=selectors[0].get("idPattern"),
        q=body.get("q"),
        geo=GeoQuery.parse(
            geo_q.get("georel"),
            geo_q.get("geometry"),
            json.dumps(coordinates) if coordinates is not None else None,
        ),
        attrs=set(body["attrs"]) if isinstance(body.get("attrs"), list) else None,
    )
    return await _off_loop(_answer_query, request, query)


@dataclass(frozen=True)
class EntityQuery:
    """What a query selects, from the URL parameters or a Query body."""

    types: str | None = None
    ids: str | None = None
    id_pattern: str | None = None
    q: str | None = None
    geo: GeoQuery | None = None
    attrs: set[str] | None = None


def _answer_query(request: Request, query: EntityQuery) -> Response:
    params = request.query_params
    limit, offset = _int(params, "limit", 20, 0, MAX_LIMIT), _int(params, "offset", 0, 0, 10**9)
    count = params.get("count") == "true"
    if limit == 0 and not count:
        raise BadRequestData("limit=0 needs count=true")
    predicate = parse_q(query.q) if query.q else None
    pattern = _pattern(query.id_pattern)
    devices = _candidates(request, query.types, query.ids)
    states = service.latest_state(get_db(request), device_ids=[d.id for d in devices])
    entities = []
    for device in devices:
        full = build_entity(device, states[device.id], key_values=True)
        if pattern and not pattern.search(full["id"]):
            continue
        if (predicate and not predicate(full)) or (
            query.geo and not query.geo.matches(device.lon, device.lat)
        ):
            continue
        entities.append((device, states[device.id]))
    page = entities[offset : offset + limit]
    body = [build_entity(d, s, attrs=query.attrs, key_values=_key_values(params)) for d, s in page]
    return _respond(request, body, headers={"NGSILD-Results-Count": str(len(entities))} if count else None)


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
        raise BadRequestData(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _pattern(raw: str | None) -> re.Pattern[str] | None:
    if not raw:
        return None
    try:
        return re.compile(raw)
    except re.error as exc:
        raise BadRequestData(f"idPattern: {exc}") from None


def _attrs(raw: str | None) -> set[str] | None:
    return {a.strip() for a in raw.split(",") if a.strip()} if raw else None


def _key_values(params: Any) -> bool:
    options = (params.get("options") or "").split(",")
    return "keyValues" in options or params.get("format") in ("keyValues", "simplified")


def _candidates(request: Request, types: str | None, ids: str | None) -> list[Device]:
    kinds = None
    if types:
        known = [type_for_sdm(short_type(t.strip())) for t in types.split(",")]
        kinds = [k.slug for k in known if k is not None]
        if not kinds:
            return []
    device_ids = [device_id_of(i.strip()) for i in ids.split(",")] if ids else None
    return service.find_devices(get_db(request), types=kinds, device_ids=device_ids)


@router.get("/entities/{entity_id}", summary="One entity")
def get_entity(entity_id: str, request: Request, _actor: Reader) -> Response:
    device = _device(request, entity_id)
    state = service.latest_state(get_db(request), device_ids=[device.id])[device.id]
    params = request.query_params
    return _respond(
        request,
        build_entity(device, state, attrs=_attrs(params.get("attrs")), key_values=_key_values(params)),
    )


def _device(request: Request, entity_id: str) -> Device:
    device_id = device_id_of(entity_id)
    device = _call(lambda: service.get_device(get_db(request), device_id=device_id))
    if device.status == "decommissioned":
        raise ResourceNotFound(f"entity {entity_id!r} is decommissioned")
    return device


async def _json(request: Request) -> Any:
    """The JSON body, its @context checked: in the body for application/ld+json, else by Link (§6.3.5)."""
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        raise InvalidRequest(f"the body is not JSON: {exc}") from None
    json_ld = request.headers.get("content-type", "").split(";")[0].strip() == JSON_LD
    for item in [i for i in (body if isinstance(body, list) else [body]) if isinstance(i, dict)]:
        if json_ld and "@context" not in item:
            raise BadRequestData("application/ld+json needs an @context in the body")
        if not json_ld and "@context" in item:
            raise BadRequestData("an @context in the body needs Content-Type application/ld+json")
        if json_ld:
            check_context(item["@context"], _base(request))
    return body


@router.post("/entities", status_code=201, summary="Create an entity (registers a device)")
async def create_entity(request: Request, actor: Writer) -> Response:
    entity = await _json(request)
    device = await _off_loop(_create, request, actor, entity)
    location = f"/ngsi-ld/v1/entities/{build_entity(device, {})['id']}"
    return Response(status_code=201, headers={"Location": location})


def _create(request: Request, actor: Actor, entity: Any) -> Device:
    if not isinstance(entity, dict) or not isinstance(entity.get("id"), str) or not entity.get("type"):
        raise BadRequestData("an entity needs an id and a type")
    kind = type_for_sdm(short_type(str(entity["type"])))
    if kind is None:
        raise BadRequestData(f"type {entity['type']!r} is not a device type of this platform")
    values = key_values_of(entity)
    registry = {field: values.pop(attr) for attr, field in REGISTRY_ATTRIBUTES.items() if attr in values}
    location = values.pop("location", None)
    for ignored in ("areaServed", "deviceState", "dateInstalled"):
        values.pop(ignored, None)
    db = get_db(request)
    try:
        data = DeviceCreate.model_validate(
            {
                "id": device_id_of(entity["id"]),
                "type": kind.slug,
                "location": location,
                "relationships": relationships_of(entity),
                **registry,
            }
        )
    except ValueError as exc:
        raise BadRequestData(str(exc).splitlines()[0]) from None
    message = _message(data.id, values, observed_at(entity)) if values else None
    if message is not None:  # judged before registering: a refused value leaves no half-made device
        verdict = judge(
            0,
            Envelope(message, device_id=data.id),
            {data.id: DeviceInfo(data.id, kind.slug, "active")},
            utcnow(),
        )
        if isinstance(verdict, Refused):
            raise BadRequestData(verdict.detail)
    created = _call(lambda: service.register_device(db, actor=actor, data=data))
    if values:
        _ingest(request, created.device.id, values, observed_at(entity), strict=True)
    return created.device


def _message(device_id: str, values: dict[str, Any], observed: str | None) -> dict[str, Any]:
    """Attribute values as a device message; with observedAt its msg_id is stable (replays are duplicates)."""
    digest = hashlib.sha256(json.dumps([device_id, values, observed], sort_keys=True, default=str).encode())
    msg_id = f"ngsi-{digest.hexdigest()[:32]}" if observed else f"ngsi-{uuid.uuid4().hex}"
    return {"msg_id": msg_id, "values": values, **({"ts": observed} if observed else {})}


def _ingest(
    request: Request, device_id: str, values: dict[str, Any], observed: str | None, *, strict: bool
) -> list[dict[str, Any]]:
    """Store attribute values as a device message; returns the refusal reasons (raises when strict)."""
    body = _message(device_id, values, observed)
    outcome = service.ingest(get_db(request), envelopes=[Envelope(body, device_id=device_id)])
    problems = [{"reason": r.reason, "detail": r.detail} for r in outcome.refused]
    if problems and strict:
        raise BadRequestData(problems[0]["detail"])
    return problems


@router.patch("/entities/{entity_id}/attrs", summary="Update attributes (telemetry values, name, location)")
async def update_attributes(entity_id: str, request: Request, actor: Writer) -> Response:
    attributes = await _json(request)
    if not isinstance(attributes, dict) or not attributes:
        raise BadRequestData("send an object of attributes")
    not_updated = await _off_loop(lambda: _update(request, actor, _device(request, entity_id), attributes))
    if not not_updated:
        return Response(status_code=204)
    updated = [
        a for a in attributes if a not in {n["attributeName"] for n in not_updated} and a != "@context"
    ]
    return JSONResponse({"updated": updated, "notUpdated": not_updated}, status_code=207)


def _update(
    request: Request,
    actor: Actor,
    device: Device,
    attributes: dict[str, Any],
    *,
    replace_relationships: bool = False,
) -> list[dict[str, Any]]:
    values = key_values_of(attributes)
    registry = {field: values.pop(attr) for attr, field in REGISTRY_ATTRIBUTES.items() if attr in values}
    if "location" in values:
        registry["location"] = values.pop("location")
    relationships = relationships_of(attributes)
    if replace_relationships and relationships != device.relationships:
        registry["relationships"] = relationships
    elif relationships:
        registry["relationships"] = {**device.relationships, **relationships}
    if registry:
        try:
            change = DeviceUpdate.model_validate(registry)
        except ValueError as exc:
            raise BadRequestData(str(exc).splitlines()[0]) from None
        _call(lambda: service.update_device(get_db(request), actor=actor, device_id=device.id, data=change))
    not_updated = []
    for name in [n for n in values if n in ("areaServed", "deviceState", "dateInstalled")]:
        values.pop(name)
        not_updated.append({"attributeName": name, "reason": "read-only attribute"})
    if values and _ingest(request, device.id, values, observed_at(attributes), strict=False):
        not_updated += [{"attributeName": n, "reason": "rejected by the device type"} for n in values]
    return not_updated


@router.post("/entityOperations/create", summary="Create many entities (CIM 009 §5.6.7)")
async def batch_create(request: Request, actor: Writer) -> Response:
    entities = await _batch_body(request)
    outcome = await _off_loop(_each, entities, lambda entity: _create_new(request, actor, entity))
    return _batch_answer(outcome, created_status=201)


@router.post("/entityOperations/upsert", summary="Create or update many entities (CIM 009 §5.6.8)")
async def upsert(request: Request, actor: Writer) -> Response:
    replace = _option(request, allowed=("replace", "update"), default="replace") == "replace"
    entities = await _batch_body(request)
    outcome = await _off_loop(
        _each, entities, lambda entity: _upsert_one(request, actor, entity, replace=replace)
    )
    return _batch_answer(outcome, created_status=201)


@router.post("/entityOperations/update", summary="Update attributes of many entities (CIM 009 §5.6.9)")
async def batch_update(request: Request, actor: Writer) -> Response:
    _option(request, allowed=(), default=None)
    entities = await _batch_body(request)
    outcome = await _off_loop(_each, entities, lambda entity: _update_existing(request, actor, entity))
    return _batch_answer(outcome, created_status=None)


@router.post("/entityOperations/delete", summary="Delete many entities (CIM 009 §5.6.10)")
async def batch_delete(request: Request, actor: Writer) -> Response:
    ids = await _batch_body(request)
    if not all(isinstance(i, str) for i in ids):
        raise BadRequestData("send an array of entity ids")
    outcome = await _off_loop(
        _each, [{"id": i} for i in ids], lambda entity: _delete_one(request, actor, entity["id"])
    )
    return _batch_answer(outcome, created_status=None)


def _option(request: Request, *, allowed: tuple[str, ...], default: str | None) -> str | None:
    """The one `options` value of a batch operation; noOverwrite and the like are not supported here."""
    option = request.query_params.get("options") or default
    if option is not None and option not in allowed:
        raise OperationNotSupported(f"options={option} is not supported by this operation here")
    return option


async def _batch_body(request: Request) -> list[Any]:
    body = await _json(request)
    if not isinstance(body, list):
        raise BadRequestData("send an array")
    return body


@dataclass
class BatchOutcome:
    """Per entity of a batch: created, updated, or refused with an NGSI-LD problem."""

    created: list[Any]
    updated: list[Any]
    errors: list[dict[str, Any]]


def _each(entities: list[Any], action: Callable[[Any], str]) -> BatchOutcome:
    outcome = BatchOutcome([], [], [])
    for entity in entities:
        entity_ref = entity.get("id") if isinstance(entity, dict) else None
        try:
            result = action(entity)
        except AppError as error:
            problem = as_ngsi_error(error).to_problem()
            outcome.errors.append({"entityId": entity_ref, "error": problem})
            continue
        (outcome.created if result == "created" else outcome.updated).append(entity_ref)
    return outcome


def _batch_answer(outcome: BatchOutcome, *, created_status: int | None) -> Response:
    """207 with BatchOperationResult when anything failed; else 201 + created ids, or 204."""
    if outcome.errors:
        success = outcome.created + outcome.updated
        return JSONResponse({"success": success, "errors": outcome.errors}, status_code=207)
    if outcome.created and created_status:
        return JSONResponse(outcome.created, status_code=created_status)
    return Response(status_code=204)


def _create_new(request: Request, actor: Actor, entity: Any) -> str:
    _create(request, actor, entity)
    return "created"


def _update_existing(request: Request, actor: Actor, entity: Any) -> str:
    if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
        raise BadRequestData("an entity needs an id")
    device = _device(request, entity["id"])
    attributes = {k: v for k, v in entity.items() if k not in ("id", "type", "@context")}
    if attributes and _update(request, actor, device, attributes):
        raise BadRequestData("some attributes were rejected by the device type")
    return "updated"


def _delete_one(request: Request, actor: Actor, entity_ref: str) -> str:
    device = _device(request, entity_ref)
    _call(lambda: service.decommission_device(get_db(request), actor=actor, device_id=device.id))
    return "deleted"


def _upsert_one(request: Request, actor: Actor, entity: Any, *, replace: bool) -> str:
    """Create, or update the attributes given; `replace` also drops Relationships the entity no longer has.

    Property values are observations kept as history, so replacing an entity never erases them.
    """
    if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
        raise BadRequestData("an entity needs an id")
    try:
        device = service.get_device(get_db(request), device_id=device_id_of(entity["id"]))
    except AppError:
        _create(request, actor, entity)
        return "created"
    attributes = {k: v for k, v in entity.items() if k not in ("id", "type", "@context")}
    if (attributes or replace) and _update(request, actor, device, attributes, replace_relationships=replace):
        raise BadRequestData("some attributes were rejected by the device type")
    return "updated"


@router.delete(
    "/entities/{entity_id}", status_code=204, summary="Delete an entity (decommissions the device)"
)
def delete_entity(entity_id: str, request: Request, actor: Writer) -> Response:
    device = _device(request, entity_id)
    _call(lambda: service.decommission_device(get_db(request), actor=actor, device_id=device.id))
    return Response(status_code=204)


# ---------------------------------------------------------------- subscriptions (CIM 009 §5.8)


@router.post("/subscriptions", status_code=201, summary="Create a subscription (HTTP notifications)")
async def create_subscription(request: Request, actor: Writer) -> Response:
    body = await _json(request)
    context = f"{_base(request)}{CONTEXT_PATH}"
    db = get_db(request)
    created = await _off_loop(
        _call, lambda: subscriptions.create_subscription(db, actor=actor, body=body, context_url=context)
    )
    return Response(status_code=201, headers={"Location": f"/ngsi-ld/v1/subscriptions/{created.id}"})


@router.get("/subscriptions", summary="List subscriptions")
def list_subscriptions(request: Request, actor: Writer) -> Response:
    params = request.query_params
    limit, offset = _int(params, "limit", 20, 1, MAX_LIMIT), _int(params, "offset", 0, 0, 10**9)
    db = get_db(request)
    items, total = subscriptions.list_subscriptions(db, actor=actor, limit=limit, offset=offset)
    headers = {"NGSILD-Results-Count": str(total)} if params.get("count") == "true" else None
    return _respond(request, [subscriptions.subscription_json(s) for s in items], headers=headers)


@router.get("/subscriptions/{subscription_id}", summary="One subscription with its notification status")
def get_subscription(subscription_id: str, request: Request, actor: Writer) -> Response:
    found = _call(
        lambda: subscriptions.get_subscription(get_db(request), actor=actor, subscription_id=subscription_id)
    )
    return _respond(request, subscriptions.subscription_json(found))


@router.patch("/subscriptions/{subscription_id}", status_code=204, summary="Change a subscription")
async def update_subscription(subscription_id: str, request: Request, actor: Writer) -> Response:
    body = await _json(request)
    db = get_db(request)
    await _off_loop(
        _call,
        lambda: subscriptions.update_subscription(
            db, actor=actor, subscription_id=subscription_id, body=body
        ),
    )
    return Response(status_code=204)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(subscription_id: str, request: Request, actor: Writer) -> Response:
    db = get_db(request)
    _call(lambda: subscriptions.delete_subscription(db, actor=actor, subscription_id=subscription_id))
    return Response(status_code=204)


# ---------------------------------------------------------------- temporal API (CIM 009 §5.6.11, §6.18)


@router.get("/temporal/entities/{entity_id}", summary="History of one entity (timerel, lastN, aggregation)")
def get_temporal_entity(entity_id: str, request: Request, _actor: Reader) -> Response:
    query = temporal.parse_query(request.query_params)
    device = _device(request, entity_id)
    return _respond(request, temporal.temporal_entity(get_db(request), device, query))


@router.get("/temporal/entities", summary="History of the entities of a type, id or idPattern")
def query_temporal_entities(request: Request, _actor: Reader) -> Response:
    params = request.query_params
    if not (params.get("type") or params.get("id") or params.get("idPattern") or params.get("attrs")):
        raise BadRequestData("a temporal query needs type, id, idPattern or attrs")
    query = temporal.parse_query(params)
    limit, offset = _int(params, "limit", 20, 1, MAX_LIMIT), _int(params, "offset", 0, 0, 10**9)
    pattern = _pattern(params.get("idPattern"))
    devices = [
        d
        for d in _candidates(request, params.get("type"), params.get("id"))
        if not pattern or pattern.search(build_entity(d, {})["id"])
    ]
    db = get_db(request)
    body = [temporal.temporal_entity(db, d, query) for d in devices[offset : offset + limit]]
    headers = {"NGSILD-Results-Count": str(len(devices))} if params.get("count") == "true" else None
    return _respond(request, body, headers=headers)


# ---------------------------------------------------------------- discovery (ETSI GS CIM 009 §5.7.5–5.7.10)


router.include_router(ngsi_types_api.router)
