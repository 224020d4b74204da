"""The FHIR R4 HTTP interface at /fhir/R4: JSON (XML for reads and searches), ETags, Location headers,
OperationOutcome errors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import AppError
from smartcity.core.uow import UnitOfWork
from smartcity.health import service
from smartcity.health.config import HealthSettings
from smartcity.health.fhir import bundle as bundles
from smartcity.health.fhir import search, store
from smartcity.health.fhir.access import Caller, basic_credentials, fhir_caller, issue_system_token
from smartcity.health.fhir.capability import capability_statement
from smartcity.health.fhir.outcome import (
    FHIR_JSON,
    FHIR_XML,
    FhirError,
    Issue,
    issue_code_for,
    operation_outcome,
)
from smartcity.health.fhir.validate import SUPPORTED_TYPES, model_class
from smartcity.web.deps import DbDep, SettingsDep

PREFIX = "/fhir/R4"
ACCEPTED_BODIES = ("application/fhir+json", "application/json", "application/json+fhir")
XML_FORMATS = ("xml", "text/xml", "application/xml", "application/fhir+xml", "application/xml+fhir")


def wants_xml(request: Request) -> bool:
    """Whether the client asks for XML (`_format`, else an Accept naming XML and not JSON)."""
    wanted = request.query_params.get("_format", "").split(";")[0].strip().lower()
    if wanted:
        return wanted in XML_FORMATS
    accept = request.headers.get("accept", "").lower()
    return "xml" in accept and "json" not in accept and "*/*" not in accept


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None, *, xml: bool = False
) -> Response:
    """A FHIR response: JSON, or XML written by the fhir.resources model of the resource."""
    if xml:
        content = model_class(body["resourceType"]).model_validate(body).model_dump_xml()
        return Response(content, status_code=status, media_type=FHIR_XML, headers=headers)
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def outcome_response(
    status: int, issues: list[Issue], headers: dict[str, str] | None = None, *, xml: bool = False
) -> Response:
    """An error as OperationOutcome."""
    return fhir_response(operation_outcome(issues), status, headers, xml=xml)


class FhirRoute(APIRoute):
    """A route whose every error, authorisation included, is answered with an OperationOutcome."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler to turn errors into OperationOutcome."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            xml = request.method == "GET" and wants_xml(request)
            try:
                return await original(request)
            except FhirError as exc:
                return outcome_response(exc.status, exc.issues, exc.headers, xml=xml)
            except AppError as exc:
                issue = Issue(exc.detail, code=issue_code_for(exc.status))
                return outcome_response(exc.status, [issue], exc.headers, xml=xml)
            except RequestValidationError as exc:
                issues = [
                    Issue(
                        str(e.get("msg")), expression=".".join(str(p) for p in e.get("loc", ())[1:]) or None
                    )
                    for e in exc.errors()
                ]
                return outcome_response(400, issues)

        return handler


router = APIRouter(prefix=PREFIX, tags=["HL7 FHIR R4"], route_class=FhirRoute)
CallerDep = Annotated[Caller, Depends(fhir_caller)]


def base_url(request: Request) -> str:
    """This server's FHIR base URL."""
    return str(request.base_url).rstrip("/") + PREFIX


def _check_format(request: Request) -> bool:
    """True for XML, False for JSON; 406 for any other `_format`."""
    wanted = request.query_params.get("_format", "").split(";")[0].strip().lower()
    if wanted and wanted not in XML_FORMATS and wanted not in ("json", *ACCEPTED_BODIES):
        raise FhirError.of(
            406, f"_format {wanted!r}: use json or xml", code="not-supported", expression="_format"
        )
    return wants_xml(request)


def _check_type(resource_type: str) -> None:
    if resource_type not in SUPPORTED_TYPES:
        raise FhirError.of(404, f"Resource type {resource_type} is not supported here", code="not-supported")


async def _body(request: Request) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in ACCEPTED_BODIES:
        raise FhirError.of(415, f"Send application/fhir+json, not {content_type}", code="not-supported")
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise FhirError.of(400, f"The body is not valid JSON: {exc}", code="structure") from None


def _headers(stored: store.Stored, request: Request) -> dict[str, str]:
    return {
        "ETag": stored.etag,
        "Last-Modified": stored.last_updated.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "Location": f"{base_url(request)}/{stored.reference}/_history/{stored.version}",
        "Content-Location": f"{base_url(request)}/{stored.reference}/_history/{stored.version}",
    }


def _representation(request: Request, stored: store.Stored, status: int) -> Response:
    headers = _headers(stored, request)
    prefer = request.headers.get("prefer", "")
    if "return=minimal" in prefer:
        return Response(status_code=status, headers=headers)
    return fhir_response(stored.resource, status, headers)


@router.get("/metadata", summary="CapabilityStatement")
def metadata(request: Request) -> Response:
    """What this server supports, with no credentials needed."""
    xml = _check_format(request)
    return fhir_response(capability_statement(base_url(request), store.instant(utcnow())), xml=xml)


@router.post("/auth/token", summary="OAuth2 token (client credentials) for registered systems")
async def token(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Exchange a registered system's client id and secret for a bearer token."""
    form = await request.form()
    if form.get("grant_type") != "client_credentials":
        raise FhirError.of(400, "unsupported_grant_type: use client_credentials", expression="grant_type")
    basic = basic_credentials(request)
    client_id, secret = basic or (str(form.get("client_id") or ""), str(form.get("client_secret") or ""))
    body = await run_in_threadpool(
        issue_system_token, db, settings, client_id=client_id, client_secret=secret
    )
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _search_bundle(
    request: Request,
    db: Database,
    settings: Settings,
    caller: Caller,
    resource_type: str,
    items: list[tuple[str, str]],
    session: Session | None = None,
) -> dict[str, Any]:
    health, secret = settings.section(HealthSettings), settings.personal_keys
    strict = "handling=strict" in request.headers.get("prefer", "")
    query = search.parse(
        resource_type,
        items,
        secret=secret,
        settings=settings,
        default_count=health.fhir_default_count,
        max_count=health.fhir_max_count,
        strict=strict,
    )
    query.conditions += search.scope(resource_type, caller)
    if session is not None:
        matches, total, included = search.run(session, secret, resource_type, query)
        service.log_access_in(session, caller.label, "search", [*matches, *included])
    else:
        with db.session() as s:
            matches, total, included = search.run(s, secret, resource_type, query)
        service.log_access(db, caller.label, "search", [*matches, *included])
    return _searchset(base_url(request), resource_type, query, matches, total, included)


def _searchset(
    base: str,
    resource_type: str,
    query: search.Query,
    matches: list[store.Stored],
    total: int,
    included: list[store.Stored],
) -> dict[str, Any]:
    def link(relation: str, offset: int) -> dict[str, str]:
        params = [*query.used, *([("_count", str(query.count))] if "_count" not in dict(query.used) else [])]
        return {
            "relation": relation,
            "url": f"{base}/{resource_type}?{urlencode([*params, ('_offset', str(offset))])}",
        }

    links = [link("self", query.offset), link("first", 0)]
    if query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    if total:
        links.append(link("last", ((total - 1) // max(query.count, 1)) * max(query.count, 1)))
    entries = [
        {"fullUrl": f"{base}/{m.reference}", "resource": m.resource, "search": {"mode": "match"}}
        for m in matches
    ]
    entries += [
        {"fullUrl": f"{base}/{m.reference}", "resource": m.resource, "search": {"mode": "include"}}
        for m in included
    ]
    return {
        "resourceType": "Bundle",
        "id": uuid.uuid4().hex,
        "meta": {"lastUpdated": store.instant(utcnow())},
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": entries,
    }


def _write(
    db: Database, settings: Settings, caller: Caller, action: Callable[[store.StoreContext], Any]
) -> Any:
    conflicts: list[Any] = []
    try:
        with UnitOfWork(db, caller.actor) as uow:
            ctx = service.store_context(uow.session, db, settings, caller)
            conflicts = ctx.conflicts
            result = action(ctx)
            for kind, logical_id, version in _written(result):
                uow.audit("fhir.write", kind, logical_id, after={"version": version})
            return result
    finally:
        if conflicts:  # listed for a person even when the write was refused
            with db.write_session() as s:
                s.add_all(conflicts)


def _written(result: Any) -> list[tuple[str, str, int]]:
    """(type, id, version) of each resource a write stored (a Stored, or a Bundle response entry)."""
    items = result if isinstance(result, list) else [result]
    found = []
    for item in items:
        if isinstance(item, tuple):
            item = item[0]
        if isinstance(item, store.Stored):
            found.append((item.resource["resourceType"], item.resource["id"], item.version))
        elif isinstance(item, dict) and "location" in item.get("response", {}):
            resource = item["resource"]
            found.append((resource["resourceType"], resource["id"], int(resource["meta"]["versionId"])))
    return found


@router.post("", summary="Transaction or batch Bundle")
@router.post("/", include_in_schema=False)
async def transaction(request: Request, db: DbDep, settings: SettingsDep, caller: CallerDep) -> Response:
    """Carry out a transaction (all or nothing) or a batch Bundle."""
    body = await _body(request)
    health = settings.section(HealthSettings)
    kind, entries = bundles.parse_bundle(body, health.max_bundle_entries)

    def searcher(ctx: store.StoreContext, entry: bundles.Entry) -> dict[str, Any]:
        url = body["entry"][entry.index]["request"]["url"]
        items = parse_qsl(url.split("?", 1)[1] if "?" in url else "")
        return _search_bundle(request, db, settings, ctx.caller, entry.resource_type, items, ctx.session)

    if kind == "transaction":
        responses = await run_in_threadpool(
            _write, db, settings, caller, lambda ctx: bundles.run_transaction(ctx, entries, searcher)
        )
    else:
        responses = await run_in_threadpool(_batch, db, settings, caller, entries, searcher)
    return fhir_response(
        {
            "resourceType": "Bundle",
            "id": uuid.uuid4().hex,
            "type": f"{kind}-response",
            "entry": [{k: v for k, v in r.items() if k != "fullUrl"} for r in responses],
        }
    )


def _entry_action(
    entry: bundles.Entry, searcher: bundles.Searcher
) -> Callable[[store.StoreContext], dict[str, Any]]:
    return lambda ctx: bundles.run_entry(ctx, entry, searcher)


def _batch(
    db: Database, settings: Settings, caller: Caller, entries: list[bundles.Entry], searcher: bundles.Searcher
) -> list[dict[str, Any]]:
    responses = []
    for entry in entries:
        try:
            if entry.method == "POST" and entry.logical_id is not None:
                raise FhirError.of(
                    400,
                    "POST takes a type, not Type/id",
                    expression=f"Bundle.entry[{entry.index}].request.url",
                )
            responses.append(_write(db, settings, caller, _entry_action(entry, searcher)))
        except FhirError as exc:
            responses.append(bundles.error_entry(exc.prefixed(f"Bundle.entry[{entry.index}]")))
    return responses


def _check_visible(session: Session, caller: Caller, resource_type: str, logical_id: str) -> None:
    if not search.visible(session, caller, resource_type, logical_id):
        raise FhirError.of(404, f"{resource_type}/{logical_id} is not known", code="not-found")


@router.get("/{resource_type}", summary="Search")
def search_type(
    request: Request, resource_type: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """Search a resource type; a searchset Bundle with paging links."""
    _check_type(resource_type)
    xml = _check_format(request)
    items = [(k, v) for k, v in request.query_params.multi_items()]
    return fhir_response(_search_bundle(request, db, settings, caller, resource_type, items), xml=xml)


@router.post("/{resource_type}/_search", summary="Search by POST")
async def search_post(
    request: Request, resource_type: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """Search with the parameters in a form body."""
    _check_type(resource_type)
    form = await request.form()
    items = [(k, str(v)) for k, v in [*request.query_params.multi_items(), *form.multi_items()]]
    bundle = await run_in_threadpool(_search_bundle, request, db, settings, caller, resource_type, items)
    return fhir_response(bundle)


@router.post("/{resource_type}", summary="Create (conditional with If-None-Exist)")
async def create(
    request: Request, resource_type: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """Create a resource; with If-None-Exist, answer the existing match instead (200)."""
    _check_type(resource_type)
    body = await _body(request)
    criteria = request.headers.get("if-none-exist")

    def action(ctx: store.StoreContext) -> tuple[store.Stored, bool]:
        if criteria:
            return store.conditional_create(ctx, body, resource_type=resource_type, criteria=criteria)
        return store.create(ctx, body, resource_type=resource_type), True

    stored, created = await run_in_threadpool(_write, db, settings, caller, action)
    return _representation(request, stored, 201 if created else 200)


@router.put("/{resource_type}/{logical_id}", summary="Update (or create with this id)")
async def update(
    request: Request, resource_type: str, logical_id: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """Store a new version; If-Match W/"n" makes it conditional on the current version."""
    _check_type(resource_type)
    body = await _body(request)
    if_match = request.headers.get("if-match")
    stored, created = await run_in_threadpool(
        _write,
        db,
        settings,
        caller,
        lambda ctx: store.update_resource(
            ctx, body, resource_type=resource_type, logical_id=logical_id, if_match=if_match
        ),
    )
    return _representation(request, stored, 201 if created else 200)


@router.get("/{resource_type}/{logical_id}", summary="Read")
def read(
    request: Request, resource_type: str, logical_id: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """The current version of a resource."""
    _check_type(resource_type)
    xml = _check_format(request)
    with db.session() as s:
        _check_visible(s, caller, resource_type, logical_id)
        stored = store.read(s, settings.personal_keys, resource_type, logical_id)
    if request.headers.get("if-none-match") == stored.etag:
        return Response(status_code=304, headers={"ETag": stored.etag})
    service.log_access(db, caller.label, "read", [stored])
    return fhir_response(
        stored.resource, 200, {k: v for k, v in _headers(stored, request).items() if k != "Location"}, xml=xml
    )


@router.get("/{resource_type}/{logical_id}/_history", summary="Instance history")
def instance_history(
    request: Request, resource_type: str, logical_id: str, db: DbDep, settings: SettingsDep, caller: CallerDep
) -> Response:
    """Every version of a resource, newest first, as a history Bundle."""
    _check_type(resource_type)
    xml = _check_format(request)
    with db.session() as s:
        _check_visible(s, caller, resource_type, logical_id)
        versions = store.history(s, settings.personal_keys, resource_type, logical_id)
    service.log_access(db, caller.label, "history", versions[:1])
    base = base_url(request)
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "history",
            "total": len(versions),
            "link": [{"relation": "self", "url": f"{base}/{resource_type}/{logical_id}/_history"}],
            "entry": [
                {
                    "fullUrl": f"{base}/{v.reference}",
                    "resource": v.resource,
                    "request": {"method": "PUT" if v.version > 1 else "POST", "url": v.reference},
                    "response": {"status": "200 OK" if v.version > 1 else "201 Created", "etag": v.etag},
                }
                for v in versions
            ],
        },
        xml=xml,
    )


@router.get("/{resource_type}/{logical_id}/_history/{version}", summary="Version read (vread)")
def version_read(
    request: Request,
    resource_type: str,
    logical_id: str,
    version: str,
    db: DbDep,
    settings: SettingsDep,
    caller: CallerDep,
) -> Response:
    """One version of a resource."""
    _check_type(resource_type)
    if not version.isdigit():
        raise FhirError.of(400, "The version must be a whole number", expression="version")
    xml = _check_format(request)
    with db.session() as s:
        _check_visible(s, caller, resource_type, logical_id)
        stored = store.vread(s, settings.personal_keys, resource_type, logical_id, int(version))
    service.log_access(db, caller.label, "vread", [stored])
    return fhir_response(
        stored.resource, 200, {k: v for k, v in _headers(stored, request).items() if k != "Location"}, xml=xml
    )


@router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unsupported(rest: str, request: Request) -> Response:
    """Anything else: an OperationOutcome saying it is not supported."""
    raise FhirError.of(
        405 if request.method in ("PATCH", "DELETE") else 404,
        f"{request.method} {PREFIX}/{rest} is not supported by this server",
        code="not-supported",
    )
