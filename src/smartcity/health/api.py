"""JSON API of the health domain under /api/v1/health, and the FHIR R4 server under /fhir/R4."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Depends, Query, Request

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.datasets import suppress_small
from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.health import service
from smartcity.health.fhir_api import router as fhir_router
from smartcity.health.schemas import (
    AccessRead,
    AlertRead,
    BoardRead,
    CaseCreate,
    CaseCreated,
    CaseMapRead,
    CheckinCreate,
    CheckinResult,
    ConflictRead,
    CoverageRead,
    CurvePoint,
    LinkCreate,
    SystemCreate,
    SystemCreated,
    VaccineCoverageRead,
)
from smartcity.web.deps import DbDep, SettingsDep, UserDep, require_role

HEALTH = ("health_worker", "health_manager")
api = APIRouter(prefix="/api/v1/health", tags=["health"])
router = APIRouter()


@api.post("/systems", status_code=201, response_model=SystemCreated)
def register_system(
    body: SystemCreate, request: Request, db: DbDep, actor: Actor = Depends(require_role("health_manager"))
) -> SystemCreated:
    """Register a clinic's or hospital's system; the secret is shown once."""
    client_id, secret = service.register_system(
        db, actor=actor, name=body.name, organization_id=body.organization_id
    )
    return SystemCreated(
        client_id=client_id,
        client_secret=secret,
        token_url=str(request.base_url).rstrip("/") + "/fhir/R4/auth/token",
    )


@api.get("/coverage", response_model=list[CoverageRead])
def coverage(
    db: DbDep,
    settings: SettingsDep,
    on: date | None = None,
    _actor: Actor = Depends(require_role(*HEALTH, "operator")),
) -> list[CoverageRead]:
    """Share of residents with an electronic record by ward (unit of date) and age group (aggregates)."""
    on = on or clock.today(settings)
    names = service.ward_names(db, on)
    return [
        CoverageRead(
            ward_code=r.ward_code,
            ward_name=names.get(r.ward_code or ""),
            age_group=r.age_group,
            records=r.records,
            population=r.population,
            share=r.share,
        )
        for r in service.coverage_by_ward(db, on)
    ]


@api.get("/immunisation/coverage", response_model=list[VaccineCoverageRead])
def immunisation_coverage(
    db: DbDep,
    settings: SettingsDep,
    on: date | None = None,
    _actor: Actor = Depends(require_role(*HEALTH, "operator")),
) -> list[VaccineCoverageRead]:
    """Coverage by vaccine, dose and ward; counts below 5 suppressed."""
    rows = service.immunisation_coverage(db, on or clock.today(settings))
    return [
        VaccineCoverageRead(
            vaccine=r.vaccine,
            name=r.name,
            dose=r.dose,
            ward_code=r.ward_code,
            eligible=suppress_small(r.eligible),
            vaccinated=suppress_small(r.vaccinated),
            share=r.share if suppress_small(r.eligible) else None,
        )
        for r in rows
    ]


@api.post("/quarantine/cases", status_code=201, response_model=CaseCreated)
def open_case(
    body: CaseCreate, db: DbDep, settings: SettingsDep, actor: Actor = Depends(require_role(*HEALTH))
) -> CaseCreated:
    """Put a person in home quarantine for the disease's configured period."""
    case_id = service.open_case(
        db,
        settings,
        actor=actor,
        patient_id=body.patient_id,
        disease=body.disease,
        kind=body.kind,
        start=body.start_date,
    )
    return CaseCreated(id=case_id)


@api.post("/quarantine/cases/{case_id}/checkins", status_code=201, response_model=CheckinResult)
def check_in(
    case_id: int, body: CheckinCreate, db: DbDep, settings: SettingsDep, actor: UserDep
) -> CheckinResult:
    """A daily check-in by the person or a health worker of the ward."""
    warning = service.check_in(
        db,
        settings,
        actor=actor,
        case_id=case_id,
        temperature=body.temperature,
        symptoms=body.symptoms,
        day=body.day,
    )
    return CheckinResult(warning=warning)


@api.post("/quarantine/cases/{case_id}/release", status_code=204)
def release(case_id: int, db: DbDep, actor: Actor = Depends(require_role(*HEALTH))) -> None:
    """End a quarantine."""
    service.release_case(db, actor=actor, case_id=case_id)


@api.get("/quarantine/board", response_model=list[BoardRead])
def board(db: DbDep, actor: Actor = Depends(require_role(*HEALTH))) -> list[BoardRead]:
    """Running quarantines of the caller's wards, those with open alerts first."""
    rows = service.quarantine_board(db, wards=service.staff_wards(db, actor))
    return [
        BoardRead(
            case_id=r.case_id,
            patient_id=r.patient_id,
            disease=r.disease,
            kind=r.kind,
            ward_code=r.ward_code,
            start_date=r.start_date,
            end_date=r.end_date,
            last_checkin=r.last_checkin,
            open_alerts=[
                AlertRead(id=i, kind=k, case_id=r.case_id, ward_code=r.ward_code, day=d)
                for i, k, d in r.open_alerts
            ],
        )
        for r in rows
    ]


@api.post("/alerts/{alert_id}/acknowledge", status_code=204)
def acknowledge(alert_id: int, db: DbDep, actor: Actor = Depends(require_role(*HEALTH))) -> None:
    """Take an alert in hand."""
    service.acknowledge_alert(db, actor=actor, alert_id=alert_id)


@api.get("/quarantine/map", response_model=list[CaseMapRead])
def case_map(
    db: DbDep, settings: SettingsDep, on: date | None = None, disease: str | None = None
) -> list[CaseMapRead]:
    """Running cases by ward (public aggregate: counts below 5 suppressed)."""
    on = on or clock.today(settings)
    names = service.ward_names(db, on)
    return [
        CaseMapRead(ward_code=w, ward_name=names.get(w, w), cases=c)
        for w, c in service.case_map(db, on=on, disease=disease).items()
    ]


@api.get("/quarantine/curve", response_model=list[CurvePoint])
def curve(
    db: DbDep, settings: SettingsDep, days: int = Query(default=60, ge=1, le=730), disease: str | None = None
) -> list[CurvePoint]:
    """New cases per day (public aggregate: counts below 5 suppressed)."""
    end = clock.today(settings)
    points = service.epidemic_curve(db, start=end - timedelta(days=days - 1), end=end, disease=disease)
    return [CurvePoint(day=d, cases=c) for d, c in points]


@api.post("/links", status_code=204)
def link(body: LinkCreate, db: DbDep, actor: Actor = Depends(require_role(*HEALTH))) -> None:
    """Link a citizen's account to their Patient record (the health worker has checked the ID card)."""
    user = accounts_service.get_user_by_username(db, body.username)
    if user is None:
        raise ValidationFailed.for_field("username", "no such account")
    wards = service.staff_wards(db, actor)
    service.link_person(db, actor=actor, user_id=user.id, patient_id=body.patient_id, wards=wards)


@api.get("/conflicts", response_model=list[ConflictRead])
def conflicts(db: DbDep, _actor: Actor = Depends(require_role("health_manager"))) -> list[ConflictRead]:
    """Patients sent twice with the same citizen ID and different details, not merged, awaiting a person."""
    return [ConflictRead(**c) for c in service.list_conflicts(db)]


@api.get("/me/accesses", response_model=list[AccessRead])
def my_accesses(db: DbDep, actor: UserDep) -> list[AccessRead]:
    """Who read my health record (the signed-in citizen's own)."""
    assert actor.user_id is not None
    return [
        AccessRead(actor=a.actor, interaction=a.interaction, resource_type=a.resource_type, at=a.at)
        for a in service.accesses_of_user(db, actor.user_id)
    ]


router.include_router(api)
router.include_router(fhir_router)
