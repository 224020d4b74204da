"""Open311 GeoReport v2 at /open311/v2/: discovery, services, requests and tokens, in JSON and XML.

Field names, status values (open/closed), dates (ISO 8601 with offset) and XML element names follow
the GeoReport v2 specification and its published examples; errors use its format
(`[{"code": 400, "description": "..."}]`, `<errors><error>...</error></errors>`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from smartcity.core.crypto import Keys
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import AppError
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.geo import check_point
from smartcity.feedback.schemas import CategoryRead, ReportCreate
from smartcity.web.deps import actor_from_api_key, get_db, get_settings

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-01-01T00:00:00+07:00"
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
PLURAL_ITEMS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}
POST_FIELDS_LIMIT = 64 * 1024


class Open311Error(Exception):
    """An error answered in the GeoReport v2 error format."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def _from_app_error(error: AppError) -> Open311Error:
    status = {401: 403, 422: 400}.get(error.status, error.status)
    return Open311Error(status, error.detail)


# ---------------------------------------------------------------------------------------------- rendering


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _xml_fill(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_fill(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _xml_fill(element, PLURAL_ITEMS.get(name, "item"), item)
    else:
        element.text = _text(value)


def render(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200) -> Response:
    """JSON as is; XML with `root` wrapping one `item` element per list entry (or the dict's fields)."""
    if fmt == "json":
        import json

        body = json.dumps(data, ensure_ascii=False).encode()
        return Response(body, status_code=status, media_type=MEDIA_TYPES["json"])
    element = ET.Element(root)
    if isinstance(data, list):
        for entry in data:
            _xml_fill(element, item or "item", entry)
    else:
        for key, value in data.items():
            _xml_fill(element, key, value)
    xml = ET.tostring(element, encoding="unicode")
    body = ('<?xml version="1.0" encoding="utf-8"?>\n' + xml).encode()
    return Response(body, status_code=status, media_type=MEDIA_TYPES["xml"])


def error_response(fmt: str, error: Open311Error) -> Response:
    """The GeoReport v2 error list with the error's HTTP status."""
    fmt = fmt if fmt in MEDIA_TYPES else "json"
    return render(
        fmt,
        [{"code": error.status, "description": error.description}],
        root="errors",
        item="error",
        status=error.status,
    )


def _answer(fmt: str, build: Callable[[], Response]) -> Response:
    if fmt not in MEDIA_TYPES:
        return error_response("json", Open311Error(400, f"Unknown format {fmt!r}: use .json or .xml"))
    try:
        return build()
    except Open311Error as exc:
        return error_response(fmt, exc)
    except AppError as exc:
        return error_response(fmt, _from_app_error(exc))


def iso(moment: datetime | None, timezone: str) -> str | None:
    """ISO 8601 with the city's UTC offset, to the second (e.g. 2025-03-10T09:00:00+07:00)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def _base_url(request: Request) -> str:
    """SMARTCITY_PUBLIC_BASE_URL when it is set (behind a proxy), else the address of this request."""
    return str(get_settings(request).public_url(str(request.base_url)))


def _timezone(request: Request) -> str:
    return str(get_settings(request).timezone)


def _check_jurisdiction(request: Request, values: Any, settings: FeedbackSettings) -> None:
    jurisdiction = values.get("jurisdiction_id")
    if jurisdiction and jurisdiction != settings.open311_jurisdiction_id:
        raise Open311Error(404, f"jurisdiction_id {jurisdiction!r} not found")


# ---------------------------------------------------------------------------------------------- shapes


def service_entry(category: CategoryRead) -> dict[str, Any]:
    """A category as a GeoReport v2 service."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def service_definition(category: CategoryRead) -> dict[str, Any]:
    """A category's attributes as a GeoReport v2 service definition."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v.key, "name": v.name} for v in a.values],
            }
            for a in sorted(category.attributes, key=lambda a: a.order)
        ],
    }


def request_entry(report: Any, *, base_url: str, timezone: str) -> dict[str, Any]:
    """A report as a GeoReport v2 service request."""
    media_url = None
    if report.photos:
        media_url = base_url.rstrip("/") + report.photos[0]
    elif report.media_url:
        media_url = report.media_url
    return {
        "service_request_id": report.code,
        "status": report.open311_status,
        "status_notes": report.status_notes or None,
        "service_name": report.category_name,
        "service_code": report.category_code,
        "description": report.description,
        "agency_responsible": report.unit_name or None,
        "service_notice": None,
        "requested_datetime": iso(report.submitted_at, timezone),
        "updated_datetime": iso(report.updated_at, timezone),
        "expected_datetime": iso(report.deadline_at, timezone),
        "address": report.address or report.ward_name or None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": media_url,
    }


# ---------------------------------------------------------------------------------------------- reads


@router.get("/discovery.{fmt}", summary="Service discovery")
def discovery(request: Request, fmt: str) -> Response:
    """Where the GeoReport v2 endpoint is and what it speaks."""
    settings = get_feedback_settings()
    url = _base_url(request).rstrip("/") + "/open311/v2"
    data = {
        "changeset": CHANGESET,
        "contact": settings.open311_contact,
        "key_service": _base_url(request).rstrip("/") + "/can-bo",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return _answer(fmt, lambda: render(fmt, data, root="discovery"))


@router.get("/services.{fmt}", summary="GET Service List")
def services(request: Request, fmt: str) -> Response:
    """Every active category as a GeoReport v2 service."""

    def build() -> Response:
        _check_jurisdiction(request, request.query_params, get_feedback_settings())
        items = [service_entry(c) for c in service.list_categories(get_db(request))]
        return render(fmt, items, root="services", item="service")

    return _answer(fmt, build)


@router.get("/services/{service_code}.{fmt}", summary="GET Service Definition")
def service_definition_endpoint(request: Request, service_code: str, fmt: str) -> Response:
    """The attributes a category asks for."""

    def build() -> Response:
        _check_jurisdiction(request, request.query_params, get_feedback_settings())
        category = _category(get_db(request), service_code)
        return render(fmt, service_definition(category), root="service_definition")

    return _answer(fmt, build)


def _category(db: Database, code: str) -> CategoryRead:
    try:
        return service.get_category(db, code)
    except AppError as exc:
        raise Open311Error(404, f"service_code {code!r} not found") from exc


def _parse_date(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} is not a W3C date-time (e.g. 2025-03-10T09:00:00+07:00)") from exc
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone (Z or +07:00)")
    return moment


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _request_filter(params: Any, settings: FeedbackSettings) -> service.ReportFilter:
    ids = _split(params.get("service_request_id"))
    if ids:
        return service.ReportFilter(codes=ids)
    statuses: list[str] = []
    for status in _split(params.get("status")):
        if status not in ("open", "closed"):
            raise Open311Error(400, f"status must be open or closed, not {status!r}")
        statuses += [s for s in service.STATUSES if service.open311_status(s) == status]
    start = _parse_date(params["start_date"], "start_date") if params.get("start_date") else None
    end = _parse_date(params["end_date"], "end_date") if params.get("end_date") else None
    if start and end and end < start:
        raise Open311Error(400, "end_date is before start_date")
    if start is None and end is None:
        start = utcnow() - timedelta(days=settings.open311_default_days)
    return service.ReportFilter(
        status=statuses, category_codes=_split(params.get("service_code")), start=start, end=end
    )


@router.get("/requests.{fmt}", summary="GET Service Requests")
def list_requests(request: Request, fmt: str) -> Response:
    """Public service requests, filtered by id, service code, dates and status."""

    def build() -> Response:
        settings = get_feedback_settings()
        _check_jurisdiction(request, request.query_params, settings)
        filters = _request_filter(request.query_params, settings)
        items, _total = service.list_reports(
            get_db(request),
            actor=Actor(kind="anonymous", name="open311"),
            filters=filters,
            limit=settings.open311_max_results,
            details=True,
        )
        base = _base_url(request)
        data = [request_entry(r, base_url=base, timezone=_timezone(request)) for r in items]
        return render(fmt, data, root="service_requests", item="request")

    return _answer(fmt, build)


@router.get("/requests/{service_request_id}.{fmt}", summary="GET Service Request")
def get_request(request: Request, service_request_id: str, fmt: str) -> Response:
    """One public service request."""

    def build() -> Response:
        _check_jurisdiction(request, request.query_params, get_feedback_settings())
        try:
            report = service.get_public_report(get_db(request), service_request_id)
        except AppError as exc:
            raise Open311Error(404, f"service_request_id {service_request_id!r} not found") from exc
        data = [request_entry(report, base_url=_base_url(request), timezone=_timezone(request))]
        return render(fmt, data, root="service_requests", item="request")

    return _answer(fmt, build)


@router.get("/tokens/{token}.{fmt}", summary="GET service_request_id from a token")
def get_token(request: Request, token: str, fmt: str) -> Response:
    """The service request created with this token."""

    def build() -> Response:
        try:
            code, found = service.get_report_by_token(get_db(request), token)
        except AppError as exc:
            raise Open311Error(404, f"token {token!r} not found") from exc
        return render(
            fmt, [{"service_request_id": code, "token": found}], root="service_requests", item="request"
        )

    return _answer(fmt, build)


# ---------------------------------------------------------------------------------------------- post


def _coordinates(form: Any) -> tuple[float | None, float | None]:
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if not lat and not lon:
        return None, None
    if not lat or not lon:
        raise Open311Error(400, "lat and long must be given together")
    try:
        x, y = check_point(lon, lat)
    except ValueError as exc:
        raise Open311Error(400, f"lat/long: {exc}") from exc
    return x, y


def _attributes(form: Any) -> dict[str, str]:
    values = {}
    for key in list(form):
        if key.startswith("attribute[") and key.endswith("]"):
            values[key[len("attribute[") : -1]] = str(form.get(key) or "")
    return values


def _report_input(form: Any, category: CategoryRead) -> ReportCreate:
    lon, lat = _coordinates(form)
    address = (form.get("address_string") or "").strip()
    if lon is None and not address and not form.get("address_id"):
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    name = " ".join(
        p for p in ((form.get("first_name") or "").strip(), (form.get("last_name") or "").strip()) if p
    )
    description = (form.get("description") or "").strip() or category.name
    values = {
        "category_code": category.code,
        "description": description,
        "lon": lon,
        "lat": lat,
        "address": address,
        "channel": "open311",
        "reporter_name": name or None,
        "reporter_phone": form.get("phone") or None,
        "reporter_email": form.get("email") or None,
        "account_id": form.get("account_id") or None,
        "attributes": _attributes(form),
        "media_url": form.get("media_url") or None,
    }
    try:
        return ReportCreate(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = {"lon": "long", "reporter_phone": "phone", "reporter_email": "email"}.get(
            str(first["loc"][0]), str(first["loc"][0])
        )
        raise Open311Error(400, f"{field}: {first['msg']}") from exc


def _create(db: Database, secret: Keys, form: Any, photos: list[bytes]) -> dict[str, Any]:
    api_key = (form.get("api_key") or "").strip()
    if not api_key:
        raise Open311Error(403, "api_key is required to create a service request")
    try:
        actor = actor_from_api_key(db, api_key)
    except AppError as exc:
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.") from exc
    code = (form.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    category = _category(db, code)
    data = _report_input(form, category)
    result = service.submit_report(db, actor=actor, data=data, secret=secret, photos=photos)
    notice = f"Phản ánh đã chuyển tới {result.report.unit_name}."
    return {"service_request_id": result.report.code, "service_notice": notice, "account_id": data.account_id}


@router.post("/requests.{fmt}", summary="POST Service Request")
async def create_request(request: Request, fmt: str) -> Response:
    """Create a service request (form-encoded, api_key as a form field; multipart may carry `media`)."""
    settings = get_feedback_settings()
    limit = settings.max_photo_bytes * max(settings.max_photos, 1) + POST_FIELDS_LIMIT
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return error_response(fmt, Open311Error(413, "The request is too large."))
    try:
        form = await request.form()
    except Exception:  # a malformed body is the client's error, not ours
        return error_response(fmt, Open311Error(400, "The body must be form-encoded."))
    photos = []
    for upload in form.getlist("media"):
        if isinstance(upload, UploadFile):
            photos.append(await upload.read(settings.max_photo_bytes + 1))
    db, secret = get_db(request), get_settings(request).personal_keys

    def build() -> Response:
        _check_jurisdiction(request, form, settings)
        return render(fmt, [_create(db, secret, form, photos)], root="service_requests", item="request")

    if fmt not in MEDIA_TYPES:
        return error_response("json", Open311Error(400, f"Unknown format {fmt!r}: use .json or .xml"))
    return await run_in_threadpool(_answer, fmt, build)


@router.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
def not_found(rest: str) -> Response:
    """Anything else under /open311/v2/: a GeoReport v2 404."""
    fmt = rest.rsplit(".", 1)[-1] if "." in rest else "json"
    return error_response(fmt, Open311Error(404, f"No such GeoReport v2 resource: {rest}"))
