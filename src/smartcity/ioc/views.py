"""Pages of the operations centre: live view /ioc, incidents, indicators, dashboards, reports, CAP feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from babel.dates import format_date
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from smartcity.cameras import service as cameras_service
from smartcity.city import service as city_service
from smartcity.core import clock, numbers
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, NotFound
from smartcity.core.i18n import in_language
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE
from smartcity.environment.service import BAND_NAMES
from smartcity.ioc import service
from smartcity.ioc.catalogue import (
    OPEN_STATES,
    SEVERITIES,
    STAFF_UNITS,
    STAGES,
    STATES,
    STEP_KINDS,
    TYPES,
    UNIT_WORDS,
)
from smartcity.ioc.live import hub
from smartcity.ioc.schemas import EventIn
from smartcity.ioc.service import public_alerts as alert_page
from smartcity.ioc.service import reports
from smartcity.lighting import service as lighting_service
from smartcity.waste import service as waste_service
from smartcity.web.deps import (
    ActorDep,
    DbDep,
    SettingsDep,
    current_actor,
    get_settings,
    require_page_role,
    scoped_link,
    verify_csrf,
)
from smartcity.web.responses import pdf_response
from smartcity.web.templating import render, request_locale

router = APIRouter(include_in_schema=False)
STAFF_ROLES = ("operator", "head", "leader", "specialist")
PUBLIC_LINKS = ({"label": "Cảnh báo công cộng", "href": "/canh-bao", "place": "city"},)
LEADER_ROLES = ("leader", "head")
STAFF_LINKS = (
    scoped_link("Trung tâm điều hành (IOC)", "/ioc", STAFF_ROLES, STAFF_UNITS),
    scoped_link("Sự cố đang xử lý", "/can-bo/dieu-hanh/su-co", STAFF_ROLES, STAFF_UNITS),
    scoped_link("Báo cáo vận hành", "/can-bo/dieu-hanh/bao-cao", STAFF_ROLES, STAFF_UNITS),
)
DOMAIN_NAMES = {
    "dossiers": "Thủ tục hành chính",
    "feedback": "Phản ánh hiện trường",
    "iot": "Thiết bị IoT",
    "lighting": "Chiếu sáng",
    "waste": "Rác thải",
    "cameras": "Giao thông, camera",
    "environment": "Môi trường",
    "investment": "Đầu tư công",
    "health": "Y tế",
    "education": "Giáo dục",
    "opendata": "Dữ liệu mở",
}
CsrfDep = Annotated[None, Depends(verify_csrf)]


CentreStaff = Annotated[
    Actor,
    Depends(
        require_page_role(
            *STAFF_ROLES,
            units=STAFF_UNITS,
            refusal="Trang này dành cho cán bộ của Trung tâm điều hành và Ủy ban nhân dân các phường.",
        )
    ),
]


def _leads(actor: Actor) -> bool:
    """Whether the actor may set the city's alert stage: a leader or head of the centre or of a ward."""
    return any(actor.has_role_in(role, STAFF_UNITS) for role in LEADER_ROLES)


def number(value: float | None, unit: str = "", locale: str = "vi") -> str:
    """A figure to one decimal at most, written the page's way (core.numbers: 1.234,5 in Vietnamese, 1,234.5
    in English, as the charts' legends write it) with its unit in the page's language (a percentage with the
    locale's sign: 88,7%), or a dash."""
    if value is None:
        return "—"
    suffix = _unit_words(locale).get(unit, unit)
    if suffix == "%":
        return numbers.percent(value, None, locale, max_digits=1)
    return f"{numbers.number(value, None, locale, max_digits=1)} {suffix}".strip()


def _unit_words(locale: str) -> dict[str, str]:
    """How the units are written in the page's language (the charts' legends write values as `number`)."""
    return UNIT_WORDS.get(locale, UNIT_WORDS["vi"])


RUNNING = {"vi": "tính đến hiện tại", "en": "so far"}
# How a day's or a month's period is written, by Babel's date patterns (the weekday names are Babel's).
PERIOD_PATTERNS = {
    "monthly": {"vi": "'tháng' M/y", "en": "MMMM y"},
    "daily": {"vi": "EEEE, dd/MM/y", "en": "EEEE d MMMM y"},
}


def period_text(period: service.Period | None, settings: Any, locale: str = "vi") -> str:
    """Which period a value is for, in the page's language: "tháng 11/2026", "Thứ Bảy, 05/12/2026" (the
    day of the week tells why a day's count may be 0), "05/12/2026, 14:00–15:00"; a period still running
    says so ("tính đến hiện tại")."""
    if period is None:
        return ""
    start, end = clock.local(period.start, settings), clock.local(period.end, settings)
    language = "en" if locale == "en" else "vi"
    patterns = PERIOD_PATTERNS.get(period.frequency)
    if patterns is None:  # hourly
        text = f"{start:%d/%m/%Y}, {start:%H:%M}–{end:%H:%M}"
    else:
        text = format_date(start, patterns[language], locale="en_US" if language == "en" else "vi")
    return f"{text}, {RUNNING[language]}" if period.running else text


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _widgets(db: Any, settings: Any, locale: str, codes: list[str] | None = None) -> list[dict[str, Any]]:
    out = []
    for row in service.latest(db, settings=settings, codes=codes):
        ind = row["indicator"]
        value, previous = row["value"], row["previous"]
        trend = (
            None
            if value is None or previous is None
            else ("up" if value > previous else "down" if value < previous else "flat")
        )
        good = None if trend in (None, "flat") else (trend == ind.direction)
        out.append(
            {
                **row,
                "code": ind.code,
                "name": ind.name(locale),
                "domain": ind.domain,
                "text": number(value, ind.unit, locale),
                "target_text": number(ind.target, ind.unit, locale),
                "period_text": _capital(period_text(row["period"], settings, locale)),
                "trend": trend,
                "good": good,
            }
        )
    return out


@router.get("/ioc", response_class=HTMLResponse)
def centre(
    request: Request, db: DbDep, settings: SettingsDep, actor: CentreStaff, wall: bool = False
) -> Response:
    """The live view: indicator widgets, the map with its layers and time slider, the live feed."""
    counts = service.counts_by_state(db)
    stage, reason, since = service.current_stage(db)
    recent = service.list_incidents(db, paging=PageParams(limit=12), open_only=True).items
    locale = request_locale(request)
    return render(
        request,
        "ioc/centre.html",
        {
            "widgets": _widgets(db, settings, locale),
            "indicator_names": {i.code: i.name(locale) for i in service.catalogue()},  # the feed's words
            "camera_kinds": cameras_service.EVENT_NAMES,
            "waste_alarms": waste_service.ALARM_NAMES,
            "light_faults": lighting_service.FAULT_NAMES,
            "aqi_bands": {code: in_language(*names, locale) for code, names in BAND_NAMES.items()},
            "counts": counts,
            "states": STATES,
            "open_states": OPEN_STATES,
            "stage": stage,
            "stage_name": STAGES[stage][0],
            "stage_reason": reason,
            "stage_since": since,
            "stages": STAGES,
            "recent": recent,
            "types": TYPES,
            "severities": SEVERITIES,
            "wall": wall,
            "domains": DOMAIN_NAMES,
            "base_map_style_url": settings.base_map_style_url,
            "can_set_stage": _leads(actor),
        },
    )


@router.get("/ioc/stream")
async def stream(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Response:
    """The live feed for the page, its sentences in the page's language (server-sent events; staff only)."""
    if not any(actor.has_role_in(r, STAFF_UNITS) for r in STAFF_ROLES):
        return Response(status_code=403)
    return StreamingResponse(
        hub.stream(request_locale(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/ioc/stage")
def post_stage(
    request: Request,
    db: DbDep,
    actor: ActorDep,
    _csrf: CsrfDep,
    stage: Annotated[int, Form(title="Cấp cảnh báo")],
    reason: Annotated[str, Form(title="Lý do")],
) -> Response:
    """Set the city-wide alert stage (head or leader)."""
    if not _leads(actor):
        raise Forbidden("Chỉ lãnh đạo đặt cấp cảnh báo toàn thành phố.")
    service.set_stage(db, actor=actor, stage=stage, reason=reason)
    return RedirectResponse("/ioc", status_code=303)


@router.get("/can-bo/dieu-hanh/su-co", response_class=HTMLResponse)
def incidents(
    request: Request, db: DbDep, actor: CentreStaff, state: str = "", type: str = "", page: int = 1
) -> Response:
    """Incidents, newest first, filtered by state (or open) and type."""
    return _incidents_page(request, db, state=state, type=type, page=page)


def _incidents_page(
    request: Request,
    db: Database,
    *,
    state: str = "",
    type: str = "",
    page: int = 1,
    mistakes: list[str] | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    """The incidents list, with the manual form's mistakes and what was typed when it was refused."""
    listing = service.list_incidents(
        db,
        paging=PageParams.for_page(page, 30),
        state=state if state in STATES else None,
        type=type or None,
        open_only=state == "open",
    )
    return render(
        request,
        "ioc/incidents.html",
        {
            "page": listing,
            "state": state,
            "type": type,
            "states": STATES,
            "types": TYPES,
            "severities": SEVERITIES,
            "mistakes": mistakes or [],
            "typed": typed or {},
            "base_map_style_url": get_settings(request).base_map_style_url,
        },
        status_code=422 if mistakes else 200,
    )


@router.post("/can-bo/dieu-hanh/su-co")
def create_incident(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    actor: CentreStaff,
    _csrf: CsrfDep,
    type: Annotated[str, Form()],
    severity: Annotated[int, Form(title="Mức độ")],
    lon: Annotated[float, Form(title="Kinh độ")],
    lat: Annotated[float, Form(title="Vĩ độ")],
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    """An operator opens an incident by hand: a title of their own and a place inside the city are asked for
    before anything (the playbook's automatic steps) is set in motion."""
    mistakes = _manual_incident_mistakes(db, settings, title=title.strip(), lon=lon, lat=lat)
    if mistakes:
        typed = {
            "type": type,
            "severity": severity,
            "lon": lon,
            "lat": lat,
            "title": title,
            "description": description,
        }
        return _incidents_page(request, db, mistakes=mistakes, typed=typed)
    data = EventIn(
        type=type,
        severity=severity,
        lon=lon,
        lat=lat,
        source="manual",
        title=title.strip(),
        description=description,
    )
    incident, _merged = service.receive_event(db, actor=actor, settings=settings, data=data)
    return RedirectResponse(f"/can-bo/dieu-hanh/su-co/{incident.code}", status_code=303)


def _manual_incident_mistakes(
    db: Database, settings: Settings, *, title: str, lon: float, lat: float
) -> list[str]:
    """What keeps a hand-made incident from opening, in words: no title, or a place outside the city."""
    mistakes = []
    if len(title) < 3:
        mistakes.append("Tiêu đề: Hãy ghi sự cố là gì (ít nhất 3 ký tự).")
    if city_service.ward_at(db, lon=lon, lat=lat, on=clock.today(settings)) is None:
        mistakes.append("Vị trí: Điểm này nằm ngoài địa bàn thành phố; hãy kiểm tra kinh độ và vĩ độ.")
    return mistakes


@router.get("/can-bo/dieu-hanh/su-co/{code}", response_class=HTMLResponse)
def incident(request: Request, code: str, db: DbDep, settings: SettingsDep, actor: CentreStaff) -> Response:
    """One incident: playbook steps with actions, timeline, linked resources, alerts, closure."""
    detail = service.get_incident(db, code=code)
    ward = None
    if detail.ward_code:
        try:
            ward = city_service.get_unit(
                db, detail.ward_code, on=clock.local_date(detail.opened_at, settings)
            ).name
        except NotFound:
            ward = None
    from smartcity.ioc.catalogue import TRANSITIONS

    return render(
        request,
        "ioc/incident.html",
        {
            "i": detail,
            "ward": ward,
            "types": TYPES,
            "severities": SEVERITIES,
            "states": STATES,
            "kinds": STEP_KINDS,
            "next_states": TRANSITIONS[detail.state],
            "alerts": service.list_alerts_for(db, code=code),
            "linked": service.linked_resources(db, detail),
            "may_see_devices": actor.has_role("operator"),  # the device pages are the operators'
        },
    )


@router.post("/can-bo/dieu-hanh/su-co/{code}/trang-thai")
def change_state(
    code: str,
    db: DbDep,
    settings: SettingsDep,
    actor: CentreStaff,
    _csrf: CsrfDep,
    to: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    closure_report: Annotated[str, Form()] = "",
) -> Response:
    """Move the incident to another state."""
    service.transition(
        db, actor=actor, settings=settings, code=code, to=to, note=note, closure_report=closure_report
    )
    return RedirectResponse(f"/can-bo/dieu-hanh/su-co/{code}", status_code=303)


@router.post("/can-bo/dieu-hanh/su-co/{code}/buoc/{step_id}")
def step_done(
    code: str,
    step_id: int,
    db: DbDep,
    actor: CentreStaff,
    _csrf: CsrfDep,
    outcome: Annotated[str, Form()] = "",
) -> Response:
    """Mark a playbook step done."""
    service.complete_step(db, actor=actor, code=code, step_id=step_id, outcome=outcome)
    return RedirectResponse(f"/can-bo/dieu-hanh/su-co/{code}#buoc", status_code=303)


@router.post("/can-bo/dieu-hanh/su-co/{code}/ghi-chu")
def note(code: str, db: DbDep, actor: CentreStaff, _csrf: CsrfDep, text: Annotated[str, Form()]) -> Response:
    """Add a note to the timeline."""
    service.add_note(db, actor=actor, code=code, text=text)
    return RedirectResponse(f"/can-bo/dieu-hanh/su-co/{code}#nhat-ky", status_code=303)


@router.post("/can-bo/dieu-hanh/su-co/{code}/canh-bao")
def publish(
    code: str,
    db: DbDep,
    settings: SettingsDep,
    actor: CentreStaff,
    _csrf: CsrfDep,
    msg_type: Annotated[str, Form()] = "Alert",
) -> Response:
    """Publish a CAP alert for the incident."""
    service.publish_alert(
        db,
        actor=actor,
        settings=settings,
        code=code,
        msg_type=msg_type if msg_type in ("Alert", "Update", "Cancel") else "Alert",
    )
    return RedirectResponse(f"/can-bo/dieu-hanh/su-co/{code}", status_code=303)


@router.get("/can-bo/dieu-hanh/chi-so/{code}", response_class=HTMLResponse)
def indicator(request: Request, code: str, db: DbDep, settings: SettingsDep, actor: CentreStaff) -> Response:
    """One indicator: the city's value as its widget shows it, its series over a year against the target,
    and the wards in the latest month, each with the period it is for."""
    locale = request_locale(request)
    ind = service.get_indicator(db, code)
    widget = _widgets(db, settings, locale, codes=[code])[0]
    months = service.breakdown(db, settings=settings, code=code, frequency="monthly")
    for w in months.wards:
        w["text"] = number(w["value"], ind.unit, locale)
    return render(
        request,
        "ioc/indicator.html",
        {
            "ind": ind,
            "widget": widget,
            "wards": months.wards,
            "wards_period_text": period_text(months.period, settings, locale),
            "city_month_text": number(months.city, ind.unit, locale),
            "target_text": number(ind.target, ind.unit, locale),
            "domains": DOMAIN_NAMES,
            "unit_words": _unit_words(locale),
        },
    )


@router.get("/can-bo/dieu-hanh/linh-vuc/{domain}", response_class=HTMLResponse)
def dashboard(
    request: Request, domain: str, db: DbDep, settings: SettingsDep, actor: CentreStaff
) -> Response:
    """A domain's dashboard: a chart for each of its indicators."""
    locale = request_locale(request)
    widgets = [w for w in _widgets(db, settings, locale) if w["domain"] == domain]
    if not widgets:
        raise NotFound(f"No indicators for {domain}")
    return render(
        request,
        "ioc/dashboard.html",
        {
            "widgets": widgets,
            "domain": domain,
            "domain_name": DOMAIN_NAMES.get(domain, domain),
            "unit_words": _unit_words(locale),
        },
    )


@router.get("/can-bo/dieu-hanh/bao-cao", response_class=HTMLResponse)
def report_list(request: Request, settings: SettingsDep, actor: CentreStaff) -> Response:
    """The daily reports of the last two weeks and the monthly ones of the last year."""
    today = clock.today(settings)
    days = [today - timedelta(days=n) for n in range(1, 15)]
    months, first = [], today.replace(day=1)
    for _ in range(12):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return render(request, "ioc/reports.html", {"days": days, "months": months})


@router.get("/can-bo/dieu-hanh/bao-cao/{kind}/{period}.{fmt}")
def report(
    kind: str, period: str, fmt: str, db: DbDep, settings: SettingsDep, actor: CentreStaff
) -> Response:
    """A daily or monthly report as PDF or XLSX."""
    if fmt == "pdf":
        pdf = reports.report_pdf(db, settings=settings, kind=kind, key=period)
        return pdf_response(pdf, f"bao-cao-{kind}-{period}.pdf")
    if fmt == "xlsx":
        return Response(
            reports.report_xlsx(db, settings=settings, kind=kind, key=period),
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="bao-cao-{kind}-{period}.xlsx"'},
        )
    raise NotFound("pdf or xlsx")


# ---------------------------------------------------------------- public alerts (CAP)


@router.get("/canh-bao", response_class=HTMLResponse)
def public_alerts(request: Request, db: DbDep, settings: SettingsDep, page: int = 1) -> Response:
    """Public alerts on the portal in the page's language: those in effect now, in full, then a page of
    the recent past; each one its incident's latest message, with its signed CAP XML, and the feed."""
    listing = alert_page.public_alerts(db, settings=settings, language=request_locale(request), page=page)
    return render(request, "ioc/alerts.html", {"alerts": listing, "past_days": alert_page.PAST_DAYS})


@router.get("/cap/alerts.atom")
def cap_feed(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """The Atom feed of public alerts, each linking to its signed CAP 1.2 XML."""
    base = (
        settings.public_base_url if "public_base_url" in settings.model_fields_set else str(request.base_url)
    )
    return Response(
        service.atom_feed(db, settings=settings, base_url=base), media_type="application/atom+xml"
    )


@router.get("/cap/alerts/{alert_id}.xml")
def cap_alert(alert_id: int, db: DbDep) -> Response:
    """One alert's signed CAP 1.2 XML, exactly as published."""
    return Response(service.get_alert(db, alert_id).xml.encode(), media_type="application/cap+xml")
