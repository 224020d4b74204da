"""Pages of the health domain: staff (patient search, immunisation lists, quarantine board, coverage) and
the citizen's own space (check-in, own and children's immunisation record, who read my record)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import AppError, Forbidden, NotFound
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.health import labels, service
from smartcity.health.config import HealthSettings
from smartcity.health.fhir import store
from smartcity.health.fhir.access import is_health_actor
from smartcity.health.fhir.outcome import FhirError
from smartcity.health.models import FhirResource
from smartcity.health.service.immunisation import child_schedule, children
from smartcity.web.deps import ActorDep, DbDep, PageUserDep, SettingsDep, login_redirect
from smartcity.web.forms import notice, redirect_with_notice, refusal_sentence
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
PUBLIC_LINKS = (
    {"label": "Sức khỏe của tôi", "href": "/suc-khoe", "place": "personal"},
    {"label": "Tình hình dịch bệnh", "href": "/dich-benh", "place": "city"},
)
HEALTH = ("health_worker", "health_manager")
STAFF_LINKS = (
    {"label": "Y tế — tra cứu người bệnh", "href": "/can-bo/y-te", "roles": HEALTH},
    {"label": "Y tế — tiêm chủng mở rộng", "href": "/can-bo/y-te/tiem-chung", "roles": HEALTH},
    {"label": "Y tế — cách ly tại nhà", "href": "/can-bo/y-te/cach-ly", "roles": HEALTH},
)
BASE = "/can-bo/y-te"


def _staff(actor: Actor) -> None:
    if not is_health_actor(actor):
        raise Forbidden("Trang dành cho cán bộ y tế.")


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    names = {"vaccine_names": service.vaccine_names(request_locale(request))}
    page = {**names, **context, "labels": labels, "base": BASE}
    return render(request, f"health/{template}", page, status_code=status)


def _disease_names(request: Request, settings: Settings) -> dict[str, str]:
    """The configured diseases' names by code, in the page's language."""
    return service.disease_names(settings.section(HealthSettings), request_locale(request))


@router.get(BASE, response_class=HTMLResponse)
def staff_home(
    request: Request,
    actor: PageUserDep,
    db: DbDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Patient search (citizen ID or name) and record coverage by ward and age group."""
    _staff(actor)
    today = clock.today(settings)
    names = service.ward_names(db, today)
    found = service.patient_summaries(db, settings, actor=actor, query=q) if q else []
    coverage = service.coverage_by_ward(db, today)
    conflicts = service.list_conflicts(db) if actor.has_role("health_manager") else []
    context = {
        "q": q,
        "found": found,
        "names": names,
        "coverage": coverage,
        "population_sources": service.population_sources(db, today),
        "today": today,
        "conflicts": conflicts,
    }
    return _page(request, "staff_home.html", context)


def _child_record(db: Database, settings: Settings, patient_id: str, today: date) -> list[Any]:
    kids = children(db, today, patient_ids=[patient_id])
    return child_schedule(kids[0].birthdate, kids[0].given, today) if kids else []


NO_RECORD = "Không tìm thấy hồ sơ sức khỏe của người này."


def _patient(
    db: Database, settings: Settings, patient_id: str, wards: set[str] | None = None
) -> dict[str, Any]:
    """A person's record, summary and visits; a person outside `wards` (None: every ward) is not found, and
    their record is not decrypted (SECURITY.md V8.2: another ward's person, as if there were none)."""
    with db.session() as s:
        ward = s.scalar(
            select(FhirResource.ward_code).where(
                FhirResource.resource_type == "Patient",
                FhirResource.logical_id == patient_id,
                FhirResource.is_current.is_(True),
            )
        )
        if wards is not None and ward not in wards:
            raise NotFound(NO_RECORD)
        try:
            found = store.read(s, settings.personal_keys, "Patient", patient_id)
        except FhirError as exc:
            raise NotFound(NO_RECORD) from exc
        encounters = s.scalars(
            select(FhirResource.clinical_date)
            .where(
                FhirResource.resource_type == "Encounter",
                FhirResource.is_current.is_(True),
                FhirResource.patient_ref == f"Patient/{patient_id}",
            )
            .order_by(FhirResource.clinical_date.desc())
        ).all()
    from smartcity.health.service.records import summary

    return {
        "stored": found,
        "summary": summary(found, settings.section(HealthSettings).national_id_system, ward),
        "encounters": encounters,
    }


@router.get(BASE + "/benh-nhan/{patient_id}", response_class=HTMLResponse)
def staff_patient(
    request: Request, patient_id: str, actor: PageUserDep, db: DbDep, settings: SettingsDep
) -> Response:
    """One person's record summary and, for a child, the immunisation schedule; the read is logged."""
    _staff(actor)
    today = clock.today(settings)
    record = _patient(db, settings, patient_id, service.staff_wards(db, actor))
    service.log_access(db, actor.label, "page", [record["stored"]])
    return _page(
        request,
        "staff_patient.html",
        {
            **record,
            "schedule": _child_record(db, settings, patient_id, today),
            "names": service.ward_names(db, today),
            "diseases": _disease_names(request, settings),
            "linked": request.query_params.get("da-lien-ket"),
            "error": notice(request, "loi"),
        },
    )


@router.post(BASE + "/benh-nhan/{patient_id}/lien-ket")
async def staff_link(request: Request, patient_id: str, actor: ActorDep, db: DbDep) -> Response:
    """Link a citizen's account to this person's record (after checking their ID card)."""
    _staff(actor)
    form = await _form(request)
    username = str(form.get("username") or "").strip()
    target = f"{BASE}/benh-nhan/{patient_id}"
    if not await run_in_threadpool(_link, db, actor, patient_id, username):
        return redirect_with_notice(request, target, loi="Không có tài khoản nào với tên đăng nhập này.")
    return RedirectResponse(f"{target}?da-lien-ket=1", status_code=303)


def _link(db: Database, actor: Actor, patient_id: str, username: str) -> bool:
    """Link the user's account to the person's record (in a worker thread); False if there is no such user."""
    user = accounts_service.get_user_by_username(db, username)
    if user is None:
        return False
    service.link_person(
        db, actor=actor, user_id=user.id, patient_id=patient_id, wards=service.staff_wards(db, actor)
    )
    return True


@router.get(BASE + "/tiem-chung", response_class=HTMLResponse)
def staff_immunisation(request: Request, actor: PageUserDep, db: DbDep, settings: SettingsDep) -> Response:
    """Children with overdue doses in the caller's wards, and coverage by vaccine and dose."""
    _staff(actor)
    today = clock.today(settings)
    wards = service.staff_wards(db, actor)
    overdue = service.overdue_children(db, settings, on=today, wards=wards, actor=actor)
    coverage = [c for c in service.immunisation_coverage(db, today, wards) if c.ward_code is None]
    return _page(
        request,
        "staff_immunisation.html",
        {"overdue": overdue, "coverage": coverage, "names": service.ward_names(db, today), "today": today},
    )


@router.get(BASE + "/cach-ly", response_class=HTMLResponse)
def staff_quarantine(request: Request, actor: PageUserDep, db: DbDep, settings: SettingsDep) -> Response:
    """The quarantine board of the caller's wards: open alerts first."""
    _staff(actor)
    return _board(request, db, settings, actor, error=notice(request, "loi"))


def _board(
    request: Request,
    db: Database,
    settings: Settings,
    actor: Actor,
    *,
    error: str = "",
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The board page; after a refused check-in, its reason with whose it was, and what was typed."""
    today = clock.today(settings)
    board = service.quarantine_board(db, wards=service.staff_wards(db, actor))
    people = _names(db, settings, [r.patient_id for r in board], actor)
    typed = typed or {}
    failed = next((r for r in board if str(r.case_id) == typed.get("case_id")), None)
    if failed is not None and failed.patient_id in people:
        error = Phrase(
            "Chưa ghi được khai báo của {name}. {reason}", name=people[failed.patient_id], reason=error
        )
    context = {
        "board": board,
        "people": people,
        "names": service.ward_names(db, today),
        "today": today,
        "diseases": _disease_names(request, settings),
        "warning_symptoms": settings.section(HealthSettings).warning_symptoms,
        "error": error,
        "typed": typed,
    }
    return _page(request, "staff_quarantine.html", context, status)


def _names(db: Database, settings: Settings, patient_ids: list[str], actor: Actor) -> dict[str, str]:
    """Names of the people on a staff page; showing them is a read of their record, so it is logged."""
    from smartcity.health.service.records import summary

    system = settings.section(HealthSettings).national_id_system
    with db.session() as s:
        found = [store.read(s, settings.personal_keys, "Patient", pid) for pid in dict.fromkeys(patient_ids)]
    service.log_access(db, actor.label, "page", found)
    return {f.resource["id"]: summary(f, system).name for f in found}


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.getlist(k) if k == "symptoms" else form.get(k) for k in form}


@router.post(BASE + "/cach-ly")
async def staff_quarantine_action(
    request: Request, actor: ActorDep, db: DbDep, settings: SettingsDep
) -> Response:
    """Open a case, check in for a person, release, or take an alert in hand; then back to the board."""
    _staff(actor)
    form = await _form(request)
    try:
        await run_in_threadpool(_quarantine_action, db, settings, actor, form)
    except AppError as exc:
        if form.get("action") != "checkin":
            return redirect_with_notice(request, f"{BASE}/cach-ly", loi=refusal_sentence(exc))
        shown = partial(_board, error=_reason(exc), typed=_typed(form), status=exc.status)
        return await run_in_threadpool(shown, request, db, settings, actor)
    return RedirectResponse(f"{BASE}/cach-ly", status_code=303)


def _reason(exc: AppError) -> Phrase:
    """Why a check-in was refused, sentence by sentence (each translated on the page)."""
    return Phrase.joined(exc.sentences_for_people or [refusal_sentence(exc)])


def _typed(form: dict[str, Any]) -> dict[str, Any]:
    """What a refused check-in form held, to fill it in again: its case, temperature and symptoms."""
    return {
        "case_id": str(form.get("case_id") or ""),
        "temperature": str(form.get("temperature") or "")[:20],
        "symptoms": list(form.get("symptoms") or []),
    }


def _quarantine_action(db: Database, settings: Settings, actor: Actor, form: dict[str, Any]) -> None:
    """Do the board's action of the form (in a worker thread)."""
    action = form.get("action")
    if action == "open":
        service.open_case(
            db,
            settings,
            actor=actor,
            patient_id=str(form.get("patient_id")),
            disease=str(form.get("disease")),
            kind=str(form.get("kind")),
        )
    elif action == "checkin":
        _check_in(db, settings, actor, int(str(form.get("case_id"))), form)
    elif action == "release":
        service.release_case(db, actor=actor, case_id=int(str(form.get("case_id"))))
    elif action == "acknowledge":
        service.acknowledge_alert(db, actor=actor, alert_id=int(str(form.get("alert_id"))))


def _check_in(db: Database, settings: Settings, actor: Actor, case_id: int, form: dict[str, Any]) -> None:
    """A check-in of the form's temperature and symptoms for the case (in a worker thread)."""
    service.check_in(
        db,
        settings,
        actor=actor,
        case_id=case_id,
        temperature=_temperature(form.get("temperature")),
        symptoms=list(form.get("symptoms") or []),
    )


def _temperature(value: Any) -> float | None:
    text = str(value or "").replace(",", ".").strip()
    try:
        return float(text) if text else None
    except ValueError:
        from smartcity.core.errors import ValidationFailed

        raise ValidationFailed.for_field("temperature", "Nhiệt độ phải là một số, ví dụ 37,2.") from None


@router.get("/suc-khoe", response_class=HTMLResponse)
def citizen_space(request: Request, actor: PageUserDep, db: DbDep, settings: SettingsDep) -> Response:
    """The citizen's health space: today's check-in, own and children's immunisation, who read my record."""
    return _citizen_page(request, actor, db, settings, error=notice(request, "loi"))


def _citizen_page(
    request: Request,
    actor: Actor,
    db: Database,
    settings: Settings,
    *,
    error: str = "",
    typed: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The citizen's space; after a refused check-in, its reason and the form as it was filled in."""
    assert actor.user_id is not None
    today = clock.today(settings)
    own = service.patient_for_user(db, actor.user_id)
    records = []
    for patient_id in ([own] if own else []) + service.children_of_user(db, actor.user_id):
        record = _patient(db, settings, patient_id)
        records.append({**record, "schedule": _child_record(db, settings, patient_id, today)})
    cases = service.cases_of_user(db, actor.user_id)
    return render(
        request,
        "health/citizen.html",
        {
            "linked": own is not None,
            "records": records,
            "cases": cases,
            "labels": labels,
            "vaccine_names": service.vaccine_names(request_locale(request)),
            "today": today,
            "accesses": service.accesses_of_user(db, actor.user_id, limit=30),
            "diseases": _disease_names(request, settings),
            "user_consents": actor.user_id in service.consented(db, "immunisation-reminders"),
            "consent_text": service.CONSENT_PURPOSES["immunisation-reminders"][1],
            "done": request.query_params.get("da-khai-bao"),
            "error": error,
            "typed": typed or {},
        },
        status_code=status,
    )


@router.post("/suc-khoe/khai-bao")
async def citizen_check_in(
    request: Request, actor: PageUserDep, db: DbDep, settings: SettingsDep
) -> Response:
    """The person's own daily check-in."""
    form = await _form(request)
    case_id = str(form.get("case_id") or "")
    if not case_id.isdigit() or len(case_id) > 12:
        return redirect_with_notice(request, "/suc-khoe", loi="Chưa chọn đợt theo dõi để khai báo.")
    try:
        await run_in_threadpool(_check_in, db, settings, actor, int(case_id), form)
    except AppError as exc:
        shown = partial(_citizen_page, error=_reason(exc), typed=_typed(form), status=exc.status)
        return await run_in_threadpool(shown, request, actor, db, settings)
    return RedirectResponse("/suc-khoe?da-khai-bao=1", status_code=303)


@router.get("/dich-benh", response_class=HTMLResponse)
def epidemic(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Public: running cases by ward and the epidemic curve of 60 days (counts below 5 hidden)."""
    today = clock.today(settings)
    names = service.ward_names(db, today)
    counts = service.case_map(db, on=today)
    curve = service.epidemic_curve(db, start=today - timedelta(days=59), end=today)
    top = max([c or 0 for _, c in curve] + [5])
    return render(
        request,
        "health/epidemic.html",
        {
            "labels": labels,
            "today": today,
            "wards": [(names[w], c) for w, c in counts.items()],
            "curve": curve,
            "top": top,
        },
    )


@router.post("/suc-khoe/dong-y")
async def citizen_consent(request: Request, actor: ActorDep, db: DbDep) -> Response:
    """Give or withdraw consent to immunisation reminders (recorded with the text's version)."""
    if not actor.is_authenticated or actor.user_id is None:
        return login_redirect(request.url.path)
    user_id = actor.user_id
    form = await _form(request)
    await run_in_threadpool(
        lambda: service.set_consent(
            db, actor=actor, user_id=user_id, purpose="immunisation-reminders", given=form.get("given") == "1"
        )
    )
    return RedirectResponse("/suc-khoe", status_code=303)
