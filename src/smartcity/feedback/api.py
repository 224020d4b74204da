"""JSON API of citizen reports at /api/v1/feedback (Open311 GeoReport v2 is in open311.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core.db import Database, utcnow
from smartcity.core.errors import BadRequest, NotFound
from smartcity.core.security import Actor
from smartcity.feedback import open311, service
from smartcity.feedback.config import get_feedback_settings
from smartcity.feedback.schemas import (
    ActionInput,
    CategoryBase,
    CategoryRead,
    ContactRead,
    NearbyReport,
    PublicReport,
    ReportCreate,
    ReportPage,
    ReportRead,
    StatsRead,
    SubmitResult,
)
from smartcity.feedback.stats import report_statistics
from smartcity.web.deps import ActorDep, get_db, get_settings, require_role, require_role_in

api = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
router = APIRouter()

STAFF = ("operator", "clerk", "specialist", "head", "leader")


@api.get("/categories", response_model=list[CategoryRead], summary="Report categories")
def categories(request: Request) -> list[CategoryRead]:
    """Active categories with their handling rule and deadline."""
    return service.list_categories(get_db(request))


@api.put("/categories/{code}", response_model=CategoryRead, summary="Create or change a category")
def put_category(
    request: Request, code: str, body: CategoryBase, actor: Annotated[Actor, Depends(require_role("admin"))]
) -> CategoryRead:
    """Administrators configure categories (handler, department, deadline, attributes)."""
    if body.code != code:
        raise BadRequest("The code in the path and in the body differ.")
    service.upsert_categories(get_db(request), actor=actor, categories=[body])
    return next(c for c in service.list_categories(get_db(request), include_inactive=True) if c.code == code)


@api.post("/reports", response_model=SubmitResult, status_code=201, summary="Submit a report")
def submit(request: Request, body: ReportCreate, actor: ActorDep) -> SubmitResult:
    """Anyone may report (anonymously too); the answer carries the reporter key and nearby duplicates."""
    return service.submit_report(
        get_db(request), actor=actor, data=body, secret=get_settings(request).personal_keys
    )


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _filters(
    actor: Actor,
    *,
    status: str | None,
    category: str | None,
    ward: str | None,
    unit: str | None,
    channel: str | None,
    urgent: bool | None,
    overdue: bool | None,
    start: datetime | None,
    end: datetime | None,
    mine: bool,
    bbox: str | None,
    q: str | None,
) -> service.ReportFilter:
    box = None
    if bbox:
        try:
            parts = [float(v) for v in bbox.split(",")]
        except ValueError as exc:
            raise BadRequest("bbox is min_lon,min_lat,max_lon,max_lat") from exc
        if len(parts) != 4:
            raise BadRequest("bbox is min_lon,min_lat,max_lon,max_lat")
        box = (parts[0], parts[1], parts[2], parts[3])
    return service.ReportFilter(
        status=_split(status),
        category_codes=_split(category),
        ward_code=ward,
        unit_codes=_split(unit),
        channel=channel,
        urgent=urgent,
        overdue=overdue,
        start=start,
        end=end,
        reporter_user_id=actor.user_id if mine else None,
        public_only=not (service.is_staff(actor) or mine),
        bbox=box,
        text=q,
    )


@api.get("/reports", response_model=ReportPage, summary="List reports")
def list_reports(
    request: Request,
    actor: ActorDep,
    status: str | None = None,
    category: str | None = None,
    ward: str | None = None,
    unit: str | None = None,
    channel: str | None = None,
    urgent: bool | None = None,
    overdue: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    mine: bool = False,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    q: str | None = None,
    order: Literal["newest", "oldest", "deadline"] = "newest",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ReportPage:
    """Public reports for everyone; staff see all, a citizen also their own (`mine=true`)."""
    if mine and actor.user_id is None:
        raise BadRequest("Log in to list your own reports.")
    filters = _filters(
        actor,
        status=status,
        category=category,
        ward=ward,
        unit=unit,
        channel=channel,
        urgent=urgent,
        overdue=overdue,
        start=start,
        end=end,
        mine=mine,
        bbox=bbox,
        q=q,
    )
    items, total = service.list_reports(
        get_db(request), actor=actor, filters=filters, limit=limit, offset=offset, order=order
    )
    return ReportPage(items=items, total=total, limit=limit, offset=offset)


@api.get("/reports.geojson", summary="Public reports as GeoJSON (for the map)")
def reports_geojson(
    request: Request,
    actor: ActorDep,
    status: str | None = None,
    category: str | None = None,
    ward: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 2000,
) -> JSONResponse:
    """Public reports with a map point, as a FeatureCollection: the done ones first, those still being
    handled (Open311 "open") last, so that a map drawing them in order shows the open ones on top."""
    filters = _filters(
        Actor(kind="anonymous", name="map"),
        status=status,
        category=category,
        ward=ward,
        unit=None,
        channel=None,
        urgent=None,
        overdue=None,
        start=start,
        end=end,
        mine=False,
        bbox=None,
        q=None,
    )
    items, total = service.list_reports(get_db(request), actor=actor, filters=filters, limit=limit)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
            "properties": {
                "code": r.code,
                "category_code": r.category_code,
                "category_name": r.category_name,
                "status": r.status,
                "open311_status": r.open311_status,
                "description": r.description[:160],
                "submitted_at": r.submitted_at.isoformat(),
                "ward_name": r.ward_name,
                "supporters": r.supporters,
            },
        }
        # the done first, those still being handled last: a map draws the later features above the earlier
        for r in sorted(items, key=lambda r: r.open311_status == "open")
        if r.lon is not None and r.lat is not None
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features, "total": total}, media_type="application/geo+json"
    )


@api.get("/reports/{code}", response_model=ReportRead | PublicReport, summary="One report")
def get_report(request: Request, code: str, actor: ActorDep) -> ReportRead | PublicReport:
    """Staff and the reporter see the full report; others the public view of a public report."""
    return service.get_report(get_db(request), actor=actor, code=code)


ACTIONS = (
    "accept",
    "assign",
    "start",
    "resolve",
    "close",
    "reject",
    "reopen",
    "rate",
    "merge",
    "flag-urgent",
    "join",
)


def run_action(db: Database, *, actor: Actor, code: str, action: str, body: ActionInput) -> Any:
    """Dispatch a workflow action by name (shared by the API and the staff pages)."""
    handlers: dict[str, Any] = {
        "accept": lambda: service.accept_report(db, actor=actor, code=code, comment=body.comment),
        "assign": lambda: service.assign_report(
            db,
            actor=actor,
            code=code,
            unit_code=body.unit_code,
            assignee=body.assignee,
            comment=body.comment,
            note=body.note,
        ),
        "start": lambda: service.start_report(db, actor=actor, code=code, comment=body.comment),
        "resolve": lambda: service.resolve_report(
            db, actor=actor, code=code, comment=body.comment, note=body.note
        ),
        "close": lambda: service.close_report(db, actor=actor, code=code, comment=body.comment),
        "reject": lambda: service.reject_report(
            db, actor=actor, code=code, reason=body.comment, note=body.note
        ),
        "reopen": lambda: service.reopen_report(
            db, actor=actor, code=code, comment=body.comment, reporter_key=body.reporter_key
        ),
        "rate": lambda: service.rate_report(
            db,
            actor=actor,
            code=code,
            rating=body.rating or 0,
            comment=body.comment,
            reporter_key=body.reporter_key,
        ),
        "merge": lambda: service.merge_report(
            db, actor=actor, code=code, into=body.into or "", comment=body.comment
        ),
        "flag-urgent": lambda: service.flag_urgent(db, actor=actor, code=code, comment=body.comment),
        "join": lambda: service.join_report(db, actor=actor, code=code),
    }
    if action not in handlers:
        raise NotFound(f"No action {action!r}; one of {', '.join(ACTIONS)}")
    return handlers[action]()


@api.post("/reports/{code}/photos", status_code=201, summary="Add a photo to a report")
async def add_photo(
    request: Request,
    code: str,
    actor: ActorDep,
    file: Annotated[UploadFile, File()],
    reporter_key: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    """The reporter (or staff) adds a photo; it is re-encoded and stripped of metadata."""
    settings = get_feedback_settings()
    data = await file.read(settings.max_photo_bytes + 1)
    photo_id = await run_in_threadpool(
        service.attach_photo, get_db(request), actor=actor, code=code, data=data, reporter_key=reporter_key
    )
    return {"id": photo_id, "url": f"/api/v1/feedback/photos/{photo_id}"}


@api.post("/reports/{code}/{action}", response_model=ReportRead | PublicReport, summary="Act on a report")
def act(request: Request, code: str, action: str, body: ActionInput, actor: ActorDep) -> Any:
    """accept, assign (unit_code/assignee; reassigns), start, resolve, close, reject (comment = reason),
    reopen and rate (reporter, or reporter_key), merge (into), flag-urgent, join."""
    return run_action(get_db(request), actor=actor, code=code, action=action, body=body)


@api.get("/photos/{photo_id}", summary="A report's photo (JPEG without metadata)")
def photo(request: Request, photo_id: int, actor: ActorDep) -> Response:
    """The cleaned photo, if its report is visible to the caller."""
    data, content_type = service.get_photo(get_db(request), actor=actor, photo_id=photo_id)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})


@api.get("/reports/{code}/contact", response_model=ContactRead, summary="The reporter's contact (logged)")
def contact(
    request: Request,
    code: str,
    actor: Annotated[
        Actor, Depends(require_role_in(STAFF, service.STAFF_UNITS, refusal=service.STAFF_REFUSAL))
    ],
) -> ContactRead:
    """Decrypted contact for staff handling the report; every read is audited."""
    return service.read_contact(
        get_db(request), actor=actor, code=code, secret=get_settings(request).personal_keys
    )


@api.get("/callers", response_model=list[ReportRead], summary="A caller's earlier reports (operators)")
def callers(
    request: Request,
    phone: str,
    actor: Annotated[
        Actor, Depends(require_role_in(("operator",), service.STAFF_UNITS, refusal=service.STAFF_REFUSAL))
    ],
) -> list[ReportRead]:
    """Reports made from this phone number (found by keyed hash; the lookup is audited)."""
    return service.reports_by_phone(
        get_db(request), actor=actor, phone=phone, secret=get_settings(request).personal_keys
    )


@api.get("/nearby", response_model=list[NearbyReport], summary="Open reports nearby (possible duplicates)")
def nearby(
    request: Request,
    category: str,
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    radius_m: Annotated[float | None, Query(gt=0, le=5000)] = None,
    days: Annotated[int | None, Query(ge=1, le=365)] = None,
) -> list[NearbyReport]:
    """Open public reports of this category near the point, nearest first."""
    service.get_category(get_db(request), category)
    return service.nearby_open_reports(
        get_db(request), category_code=category, lon=lon, lat=lat, radius_m=radius_m, max_age_days=days
    )


@api.get("/stats", response_model=StatsRead, summary="Statistics for a period")
def stats(
    request: Request,
    start: datetime | None = None,
    end: datetime | None = None,
    category: str | None = None,
    unit: str | None = None,
) -> StatsRead:
    """Volumes by category, channel, ward, status and month; speed; deadlines; satisfaction."""
    end = end or utcnow()
    start = start or end - timedelta(days=365)
    if start.tzinfo is None or end.tzinfo is None:
        raise BadRequest("start and end need a time zone (e.g. 2025-01-01T00:00:00+07:00)")
    return report_statistics(
        get_db(request),
        start=start,
        end=end,
        timezone=get_settings(request).timezone,
        category_code=category,
        unit_code=unit,
    )


router.include_router(api)
router.include_router(open311.router)
