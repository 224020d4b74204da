"""The operations centre's JSON API under /api/v1/ioc: indicators, incidents, events, alerts, the stream."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.kpis import Indicator
from smartcity.core.pages import Page, PagingDep
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE
from smartcity.ioc import ngsi, service
from smartcity.ioc.catalogue import STAFF_UNITS
from smartcity.ioc.live import hub
from smartcity.ioc.schemas import (
    EventIn,
    IncidentCreate,
    IncidentDetail,
    IncidentRead,
    IndicatorRead,
    PointRead,
    SeriesRead,
    StageIn,
    StepDoneIn,
    TargetIn,
    TransitionIn,
)
from smartcity.ioc.service import layers, reports
from smartcity.web.deps import DbDep, SettingsDep, require_role, require_role_in
from smartcity.web.templating import request_locale

router = APIRouter(prefix="/api/v1/ioc", tags=["ioc"])
STAFF = ("operator", "head", "leader", "specialist")
_REFUSAL = "Việc này dành cho cán bộ của Trung tâm điều hành và Ủy ban nhân dân các phường."
Staff = Annotated[Actor, Depends(require_role_in(STAFF, STAFF_UNITS, refusal=_REFUSAL))]
Operator = Annotated[
    Actor, Depends(require_role_in(("operator", "head", "leader"), STAFF_UNITS, refusal=_REFUSAL))
]
Sender = Annotated[
    Actor, Depends(require_role("operator", "integrator"))
]  # detectors: machine keys, any unit
Leader = Annotated[Actor, Depends(require_role_in(("leader", "head"), STAFF_UNITS, refusal=_REFUSAL))]
JSON_LD = "application/ld+json"


def indicator_read(indicator: Indicator) -> IndicatorRead:
    """The API view of an indicator."""
    return IndicatorRead(
        code=indicator.code,
        domain=indicator.domain,
        name_vi=indicator.name_vi,
        name_en=indicator.name_en,
        unit=indicator.unit,
        formula_vi=indicator.formula_vi,
        formula_en=indicator.formula_en,
        direction=indicator.direction,
        target=indicator.target,
        thresholds=list(indicator.thresholds),
        iso_reference=indicator.iso_reference,
        frequency=indicator.frequency,
        accumulates=indicator.accumulates,
    )


@router.get("/indicators", summary="The indicator catalogue with each indicator's latest city value")
def indicators(db: DbDep, settings: SettingsDep, _actor: Staff) -> list[dict[str, Any]]:
    """Every indicator the domains offer, with its latest value (an indicator that accumulates: of the latest
    complete period), the period it is for, level against thresholds and progress."""
    return [
        {
            **indicator_read(row["indicator"]).model_dump(),
            "value": row["value"],
            "previous": row["previous"],
            "level": row["level"],
            "progress": row["progress"],
            "period_start": row["period_start"],
            "period_end": row["period"].end if row["period"] else None,
            "period_running": row["period"].running if row["period"] else None,
        }
        for row in service.latest(db, settings=settings)
    ]


@router.post("/indicators/compute", summary="Compute indicators now (all, or the codes given)")
def compute(
    db: DbDep, settings: SettingsDep, _actor: Operator, code: Annotated[list[str] | None, Query()] = None
) -> dict[str, int]:
    """Compute the current and previous period of the indicators on demand."""
    return {"computed": service.compute_now(db, settings=settings, codes=code)}


@router.get(
    "/indicators/{code}",
    response_model=SeriesRead,
    summary="An indicator's series (city or ward) and ward breakdown",
)
def indicator_series(
    code: str,
    db: DbDep,
    settings: SettingsDep,
    _actor: Staff,
    ward: str | None = None,
    frequency: Literal["hourly", "daily", "monthly"] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> SeriesRead:
    """Values over time; with `ward` (a ward of today's map), the old wards before 1 July 2025 map to it."""
    indicator = service.get_indicator(db, code)
    for name, moment in (("start", start), ("end", end)):
        if moment is not None and moment.tzinfo is None:
            raise ValidationFailed.for_field(name, "give a time zone offset, e.g. 2026-01-01T00:00:00+07:00")
    start = start or clock.now() - timedelta(days=366)
    points = service.series(
        db, settings=settings, code=code, frequency=frequency, ward=ward, start=start, end=end
    )
    return SeriesRead(
        indicator=indicator_read(indicator),
        ward=ward,
        frequency=frequency or indicator.frequency,
        points=[PointRead(**p.__dict__) for p in points],
        wards=service.ward_breakdown(db, settings=settings, code=code, frequency=frequency),
    )


@router.put(
    "/indicators/{code}/target",
    response_model=IndicatorRead,
    summary="Set an indicator's target and thresholds",
)
def put_target(code: str, body: TargetIn, db: DbDep, actor: Leader) -> IndicatorRead:
    """The centre's own target and warning thresholds for an indicator."""
    return indicator_read(
        service.set_target(db, actor=actor, code=code, target=body.target, thresholds=body.thresholds)
    )


@router.get("/incidents", response_model=Page[IncidentRead], summary="Incidents, newest first")
def incidents(
    db: DbDep,
    paging: PagingDep,
    _actor: Staff,
    state: str | None = None,
    type: str | None = None,
    open: bool = False,
) -> Page[IncidentRead]:
    """Incidents filtered by state, type or openness."""
    return service.list_incidents(db, paging=paging, state=state, type=type, open_only=open)


@router.post("/incidents", response_model=IncidentDetail, status_code=201, summary="Open an incident by hand")
def create_incident(
    body: IncidentCreate, db: DbDep, settings: SettingsDep, actor: Operator
) -> IncidentDetail:
    """An operator opens an incident (a matching open one nearby absorbs it instead)."""
    return service.open_incident(db, actor=actor, settings=settings, data=body)


@router.post("/events", status_code=201, summary="Report an event (cameras, detectors, partner systems)")
def post_event(body: EventIn, db: DbDep, settings: SettingsDep, actor: Sender) -> JSONResponse:
    """An event opens an incident or merges into the open incident of its type nearby; 201 with which."""
    incident, merged = service.receive_event(db, actor=actor, settings=settings, data=body)
    payload = {"merged": merged, "incident": incident.model_dump(mode="json")}
    return JSONResponse(payload, status_code=200 if merged else 201)


@router.get(
    "/incidents/{code}", response_model=IncidentDetail, summary="One incident with playbook and timeline"
)
def incident(code: str, db: DbDep, _actor: Staff) -> IncidentDetail:
    """One incident."""
    return service.get_incident(db, code=code)


@router.post(
    "/incidents/{code}/transitions", response_model=IncidentDetail, summary="Change an incident's state"
)
def post_transition(
    code: str, body: TransitionIn, db: DbDep, settings: SettingsDep, actor: Operator
) -> IncidentDetail:
    """Acknowledge, activate, stabilise, resolve, close (with the closure report) or cancel."""
    return service.transition(
        db,
        actor=actor,
        settings=settings,
        code=code,
        to=body.to,
        note=body.note,
        closure_report=body.closure_report,
    )


@router.post(
    "/incidents/{code}/steps/{step_id}/done",
    response_model=IncidentDetail,
    summary="Mark a playbook step done",
)
def step_done(code: str, step_id: int, body: StepDoneIn, db: DbDep, actor: Operator) -> IncidentDetail:
    """A playbook step was carried out."""
    return service.complete_step(db, actor=actor, code=code, step_id=step_id, outcome=body.outcome)


@router.post("/incidents/{code}/alerts", status_code=201, summary="Publish a CAP alert for an incident")
def post_alert(
    code: str,
    db: DbDep,
    settings: SettingsDep,
    actor: Operator,
    msg_type: Literal["Alert", "Update", "Cancel"] = "Alert",
) -> dict[str, Any]:
    """Publish (and sign) a CAP 1.2 alert; it appears in /cap/alerts.atom."""
    alert = service.publish_alert(db, actor=actor, settings=settings, code=code, msg_type=msg_type)
    return {"id": alert.id, "identifier": alert.identifier, "xml": f"/cap/alerts/{alert.id}.xml"}


@router.get("/stage", summary="The city-wide alert stage")
def stage(db: DbDep, _actor: Staff) -> dict[str, Any]:
    """The stage now (0 normal .. 3 emergency), its reason and since when."""
    value, reason, since = service.current_stage(db)
    return {"stage": value, "reason": reason, "since": since}


@router.put("/stage", summary="Set the city-wide alert stage")
def put_stage(body: StageIn, db: DbDep, actor: Leader) -> dict[str, Any]:
    """Set the stage, separate from any single incident."""
    service.set_stage(db, actor=actor, stage=body.stage, reason=body.reason)
    return stage(db, actor)


@router.get("/map/{layer}", summary="A layer of the live map as GeoJSON")
def map_layer(
    request: Request,
    layer: str,
    db: DbDep,
    settings: SettingsDep,
    _actor: Staff,
    hours: Annotated[int | None, Query(ge=1, le=72)] = None,
) -> JSONResponse:
    """devices, cameras, incidents, reports or dossiers; `hours` adds what happened in the last hours; words
    for people in the page's language (?lang= or the cookie the pages set)."""
    since = clock.now() - timedelta(hours=hours) if hours else None
    locale = request_locale(request)
    return JSONResponse(
        layers.layer(db, settings=settings, name=layer, since=since, locale=locale),
        media_type="application/geo+json",
    )


@router.get("/stream", summary="The live event feed (server-sent events)")
async def stream(_actor: Staff) -> StreamingResponse:
    """Incidents, alarms, reports and alerts as they happen, one SSE frame each."""
    return StreamingResponse(
        hub.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/reports/{kind}/{period}.{fmt}", summary="The daily or monthly operations report (PDF or XLSX)")
def report(
    kind: Literal["daily", "monthly"],
    period: str,
    fmt: Literal["pdf", "xlsx"],
    db: DbDep,
    settings: SettingsDep,
    _actor: Staff,
) -> Response:
    """Indicators against targets, incidents and alerts of a day (2026-12-04) or a month (2026-11)."""
    if fmt == "pdf":
        return Response(
            reports.report_pdf(db, settings=settings, kind=kind, key=period), media_type="application/pdf"
        )
    return Response(
        reports.report_xlsx(db, settings=settings, kind=kind, key=period),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="bao-cao-{kind}-{period}.xlsx"'},
    )


# ---------------------------------------------------------------- NGSI-LD (read-only)


def _ngsi(request: Request, body: Any) -> Response:
    base = str(request.base_url).rstrip("/")
    context = f"{base}{ngsi.CONTEXT_PATH}"
    if JSON_LD in request.headers.get("accept", ""):
        body = (
            [{**e, "@context": context} for e in body]
            if isinstance(body, list)
            else {**body, "@context": context}
        )
        return JSONResponse(body, media_type=JSON_LD)
    link = f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="{JSON_LD}"'
    return JSONResponse(body, headers={"Link": link})


@router.get("/ngsi-ld/context.jsonld", summary="The @context of the KeyPerformanceIndicator entities")
def ngsi_context(request: Request) -> Response:
    """Served locally, never fetched."""
    return JSONResponse(ngsi.context_document(str(request.base_url)), media_type=JSON_LD)


def _entities(db: Any, settings: Any, key_values: bool) -> list[dict[str, Any]]:
    return [
        ngsi.build_entity(
            row["indicator"],
            value=row["value"],
            start=row["period_start"],
            end=service.period_of(row["period_start"], row["indicator"].frequency, settings)[1]
            if row["period_start"]
            else None,
            city=city_service.city_name(),
            key_values=key_values,
        )
        for row in service.latest(db, settings=settings)
    ]


@router.get("/ngsi-ld/entities", summary="Indicators as NGSI-LD KeyPerformanceIndicator entities")
def ngsi_entities(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    type: str = "KeyPerformanceIndicator",
    options: str = "",
) -> Response:
    """Every indicator's latest city value (normalized, or keyValues with options=keyValues)."""
    if type.rsplit("/", 1)[-1] != "KeyPerformanceIndicator":
        return _ngsi(request, [])
    return _ngsi(request, _entities(db, settings, "keyValues" in options))


@router.get("/ngsi-ld/entities/{entity_id}", summary="One KeyPerformanceIndicator entity")
def ngsi_entity(
    entity_id: str, request: Request, db: DbDep, settings: SettingsDep, options: str = ""
) -> Response:
    """One indicator as an entity (404 ResourceNotFound otherwise)."""
    for entity in _entities(db, settings, "keyValues" in options):
        if entity["id"] == entity_id:
            return _ngsi(request, entity)
    raise NotFound(f"No entity {entity_id}")
