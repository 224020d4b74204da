"""Transaction and batch Bundles: a hospital system pushes its data in one request.

A transaction is all or nothing: every entry is validated first, urn:uuid references are resolved to the
ids the server assigns, then all entries are written in one database transaction. A batch runs each entry
on its own and answers each with its status or an OperationOutcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smartcity.health.fhir import store
from smartcity.health.fhir.outcome import FhirError, operation_outcome
from smartcity.health.fhir.validate import SUPPORTED_TYPES, check_type, validate

Searcher = Callable[["store.StoreContext", "Entry"], dict[str, Any]]
FIRST = {"Organization": 0, "Location": 1, "Practitioner": 1, "Patient": 2}


@dataclass
class Entry:
    """One Bundle entry to carry out."""

    index: int
    method: str
    resource_type: str
    logical_id: str | None
    resource: dict[str, Any] | None
    full_url: str | None
    if_none_exist: str | None
    if_match: str | None


def parse_bundle(bundle: Any, max_entries: int) -> tuple[str, list[Entry]]:
    """The bundle's type (transaction | batch) and its entries; 400 naming the element if malformed."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirError.of(400, "POST to the base URL takes a Bundle", code="structure", expression="Bundle")
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise FhirError.of(
            400, "Bundle.type must be transaction or batch", code="value", expression="Bundle.type"
        )
    raw = bundle.get("entry") or []
    if not isinstance(raw, list) or len(raw) > max_entries:
        raise FhirError.of(
            400, f"Bundle.entry must be a list of at most {max_entries}", expression="Bundle.entry"
        )
    return kind, [_entry(i, e) for i, e in enumerate(raw)]


def _entry(index: int, raw: Any) -> Entry:
    where = f"Bundle.entry[{index}]"
    request = raw.get("request") if isinstance(raw, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        raise FhirError.of(
            400, "request.method and request.url are required", code="required", expression=f"{where}.request"
        )
    method = str(request.get("method", "")).upper()
    if method not in ("POST", "PUT", "GET"):
        raise FhirError.of(
            400,
            f"request.method {method or '(none)'} is not supported (POST, PUT, GET)",
            code="not-supported",
            expression=f"{where}.request.method",
        )
    path = request["url"].split("?")[0].strip("/")
    parts = path.split("/")
    if parts[0] not in SUPPORTED_TYPES:
        raise FhirError.of(
            400,
            f"request.url names an unsupported type {parts[0]!r}",
            code="not-supported",
            expression=f"{where}.request.url",
        )
    resource = raw.get("resource")
    if method in ("POST", "PUT"):
        try:
            check_type(resource, parts[0])
        except FhirError as exc:
            raise exc.prefixed(where) from None
    if method == "PUT" and len(parts) != 2:
        raise FhirError.of(400, "PUT needs request.url Type/id", expression=f"{where}.request.url")
    return Entry(
        index=index,
        method=method,
        resource_type=parts[0],
        logical_id=parts[1] if len(parts) > 1 else None,
        resource=resource,
        full_url=raw.get("fullUrl"),
        if_none_exist=request.get("ifNoneExist"),
        if_match=request.get("ifMatch"),
    )


def _unresolved(value: Any, path: str) -> str | None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "reference" and isinstance(v, str) and v.startswith("urn:"):
                return f"{path}.reference"
            found = _unresolved(v, f"{path}.{k}")
            if found:
                return found
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _unresolved(v, f"{path}[{i}]")
            if found:
                return found
    return None


def _response(stored: store.Stored, status: str) -> dict[str, Any]:
    return {
        "response": {
            "status": status,
            "location": f"{stored.reference}/_history/{stored.version}",
            "etag": stored.etag,
            "lastModified": store.instant(stored.last_updated),
        },
        "fullUrl": stored.reference,
        "resource": stored.resource,
    }


def run_entry(ctx: store.StoreContext, entry: Entry, search: Searcher) -> dict[str, Any]:
    """Carry out one entry; its response entry."""
    if entry.method == "GET":
        if entry.logical_id:
            from smartcity.health.fhir.search import visible

            if not visible(ctx.session, ctx.caller, entry.resource_type, entry.logical_id):
                raise FhirError.of(
                    404, f"{entry.resource_type}/{entry.logical_id} is not known", code="not-found"
                )
            found = store.read(ctx.session, ctx.secret, entry.resource_type, entry.logical_id)
            from smartcity.health.fhir.reads import log_access_in

            log_access_in(ctx.session, ctx.caller.label, "read", [found])
            return {"response": {"status": "200 OK"}, "resource": found.resource}
        return {"response": {"status": "200 OK"}, "resource": search(ctx, entry)}
    assert entry.resource is not None
    if entry.method == "PUT":
        assert entry.logical_id is not None
        stored, created = store.update_resource(
            ctx,
            entry.resource,
            resource_type=entry.resource_type,
            logical_id=entry.logical_id,
            if_match=entry.if_match,
        )
        return _response(stored, "201 Created" if created else "200 OK")
    if entry.if_none_exist:
        stored, created = store.conditional_create(
            ctx,
            entry.resource,
            resource_type=entry.resource_type,
            criteria=entry.if_none_exist,
            logical_id=entry.logical_id,
        )
        return _response(stored, "201 Created" if created else "200 OK")
    return _response(
        store.create(ctx, entry.resource, resource_type=entry.resource_type, logical_id=entry.logical_id),
        "201 Created",
    )


def prepare_transaction(ctx: store.StoreContext, entries: list[Entry]) -> list[Entry]:
    """Give each new resource its id, resolve urn:uuid and conditional (Type?identifier=...) references,
    validate every entry; returns the entries in run order."""
    mapping = _assign_ids(ctx, entries)
    for entry in entries:
        if entry.resource is None:
            continue
        where = f"Bundle.entry[{entry.index}]"
        entry.resource = _resolve(ctx, entry.resource, mapping, f"{where}.resource")
        try:
            validate(entry.resource, expected=entry.resource_type, national_system=ctx.national_system)
        except FhirError as exc:
            raise exc.prefixed(where) from None
        missing = _unresolved(entry.resource, f"{where}.resource")
        if missing:
            raise FhirError.of(
                400,
                "This urn:uuid reference names no entry of the Bundle",
                code="not-found",
                expression=missing,
            )
    order = {"POST": 0, "PUT": 1, "GET": 2}
    return sorted(entries, key=lambda e: (order[e.method], FIRST.get(e.resource_type, 3), e.index))


def _assign_ids(ctx: store.StoreContext, entries: list[Entry]) -> dict[str, str]:
    """Ids of the entries to create (a conditional create's match); fullUrl and criteria → Type/id."""
    mapping: dict[str, str] = {}
    for entry in entries:
        if entry.method != "POST":
            continue
        if entry.if_none_exist:
            matches = store.conditional_match(ctx, entry.resource_type, entry.if_none_exist)
            if len(matches) > 1:
                raise FhirError.of(
                    412,
                    "ifNoneExist matches several resources",
                    code="multiple-matches",
                    expression=f"Bundle.entry[{entry.index}].request.ifNoneExist",
                )
            entry.logical_id = matches[0].logical_id if matches else uuid.uuid4().hex
            mapping[f"{entry.resource_type}?{entry.if_none_exist.split('?')[-1]}"] = (
                f"{entry.resource_type}/{entry.logical_id}"
            )
        else:
            entry.logical_id = uuid.uuid4().hex
        if entry.full_url:
            mapping[entry.full_url] = f"{entry.resource_type}/{entry.logical_id}"
    return mapping


def _resolve(ctx: store.StoreContext, value: Any, mapping: dict[str, str], path: str) -> Any:
    """References replaced: urn:uuid by the new ids, Type?identifier=... by the one resource it matches."""
    if isinstance(value, list):
        return [_resolve(ctx, v, mapping, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    resolved = {}
    for key, item in value.items():
        if key == "reference" and isinstance(item, str):
            resolved[key] = mapping.get(item) or _conditional(ctx, item, f"{path}.reference")
        else:
            resolved[key] = _resolve(ctx, item, mapping, f"{path}.{key}")
    return resolved


def _conditional(ctx: store.StoreContext, reference: str, path: str) -> str:
    kind, question, criteria = reference.partition("?")
    if not question:
        return reference
    matches = store.conditional_match(ctx, kind, criteria)
    if len(matches) != 1:
        status, code = (404, "not-found") if not matches else (412, "multiple-matches")
        raise FhirError.of(
            status, f"The conditional reference matches {len(matches)} resources", code=code, expression=path
        )
    return f"{kind}/{matches[0].logical_id}"


def run_transaction(ctx: store.StoreContext, entries: list[Entry], search: Searcher) -> list[dict[str, Any]]:
    """Carry out a prepared transaction in the caller's session; response entries in the Bundle's order."""
    responses: dict[int, dict[str, Any]] = {}
    for entry in prepare_transaction(ctx, entries):
        try:
            responses[entry.index] = run_entry(ctx, entry, search)
        except FhirError as exc:
            raise exc.prefixed(f"Bundle.entry[{entry.index}]") from None
    return [responses[i] for i in sorted(responses)]


def error_entry(exc: FhirError) -> dict[str, Any]:
    """A batch response entry for a failed entry."""
    return {"response": {"status": str(exc.status), "outcome": operation_outcome(exc.issues)}}
