"""Pages of public investment: the leader's dashboard, a project's page, the public map of works."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from smartcity.core import clock, numbers
from smartcity.core.config import Settings
from smartcity.core.errors import AppError, ValidationFailed
from smartcity.core.i18n import Phrase, get_translations
from smartcity.core.pages import PageParams
from smartcity.core.security import Actor
from smartcity.investment import photos, service, tracking, works
from smartcity.investment.api import (
    FINANCE,
    FINANCE_UNITS,
    LEADERS,
    require_finance,
    require_leader,
    summary_data,
)
from smartcity.web.deps import DbDep, SettingsDep, scoped_link, verify_csrf
from smartcity.web.forms import (
    fixable_by_the_user,
    form_mistakes,
    notice,
    redirect_with_notice,
    refusal_messages,
)
from smartcity.web.pager import pager_pages
from smartcity.web.templating import render, request_locale

router = APIRouter()
MOVED = {"/static/js/investment-map.js": "/investment/static/investment-map.js"}
PUBLIC_LINKS = ({"label": "Công trình đầu tư công", "href": "/cong-trinh", "place": "city"},)
STAFF_LINKS = (
    scoped_link("Đầu tư công", "/can-bo/dau-tu", LEADERS, FINANCE_UNITS),
    scoped_link("Nhập kế hoạch vốn năm", "/can-bo/dau-tu/ke-hoach-von", FINANCE, FINANCE_UNITS),
)


def bars(rows: list[dict[str, Any]], *, label: str = "name", locale: str = "vi") -> dict[str, Any]:
    """Geometry of a horizontal bar chart (planned vs disbursed), drawn as SVG in the template; amounts
    written in the page's `locale`."""
    top = max([r["planned"] for r in rows] + [r["disbursed"] for r in rows] + [1])
    return {
        "height": 36 * len(rows) + 10,
        "rows": [
            {
                **r,
                "label": str(r[label]),
                "y": 36 * i + 5,
                "w_plan": 420 * r["planned"] / top,
                "w_paid": 420 * r["disbursed"] / top,
                "planned_text": service.format_billion(r["planned"], locale=locale),
                "disbursed_text": service.format_billion(r["disbursed"], locale=locale),
                "amounts_text": _disbursed_of_planned(r["disbursed"], r["planned"], locale),
            }
            for i, r in enumerate(rows)
        ],
    }


def _disbursed_of_planned(disbursed: int, planned: int, locale: str) -> str:
    """A bar's label, the unit written once so that it fits beside the longest bar (as `format_billion`
    writes amounts): "1.110,2 / 1.571,6 tỷ đồng", in English "VND 1,110.2 / 1,571.6 billion"."""
    done, allocated = (
        numbers.number(abs(m) / 1000, None, locale, max_digits=1) for m in (disbursed, planned)
    )
    return f"VND {done} / {allocated} billion" if locale == "en" else f"{done} / {allocated} tỷ đồng"


@router.get("/can-bo/dau-tu", response_class=HTMLResponse)
def dashboard(
    request: Request, db: DbDep, settings: SettingsDep, _a: Actor = Depends(require_leader)
) -> HTMLResponse:
    """The leader's dashboard: programme totals, this year's rate, charts, slowest projects."""
    data = summary_data(db, settings)
    year = data["year"]
    locale = request_locale(request)
    _ = get_translations(locale, "investment").gettext
    charts = {
        _("Theo năm kế hoạch"): bars(service.rates_by(db, dimension="year"), label="key", locale=locale),
        _("Theo nguồn vốn — năm %(year)s") % {"year": year}: bars(
            service.rates_by(db, dimension="source", year=year), locale=locale
        ),
        _("Theo loại công trình — năm %(year)s") % {"year": year}: bars(
            service.rates_by(db, dimension="kind", year=year), locale=locale
        ),
    }
    at_risk = tracking.at_risk(db, today=clock.today(settings), locale=locale)
    context = {**data, **_money(locale), "charts": charts, "at_risk": at_risk}
    return render(request, "investment/dashboard.html", context)


def _money(locale: str) -> dict[str, Any]:
    """The pages' writers of amounts (million VND) in the page's language: `billion(x, signed=False)` and
    `million(x)`."""
    return {
        "billion": partial(service.format_billion, locale=locale),
        "million": partial(tracking.money_text, locale=locale),
    }


# the works on the map by phase: (colour, phases, Vietnamese legend label); with the site photos' dots,
# shared by the map script (data-phase-colours) and its legend
MAP_PHASES = (
    ("#f59f00", ("preparation",), "Công trình chuẩn bị đầu tư"),
    ("#d9480f", ("implementation",), "Công trình đang thi công"),
    ("#2b8a3e", ("completed", "settled"), "Công trình đã hoàn thành hoặc đã quyết toán"),
)
LINE_WORKS = ("#868e96", "Công trình theo tuyến (đường, cống): màu theo giai đoạn như trên")
PHOTO_DOT = ("#1971c2", "Ảnh hiện trường")


def _map_context(settings: Settings) -> dict[str, Any]:
    """What a page with the works' map needs: base map, the phases' colours and the legend."""
    legend = [
        {"layer": "works-fill", "label": label, "colour": colour, "shape": "fill"}
        for colour, _, label in MAP_PHASES
    ]
    legend += [
        {"layer": "works-line", "label": LINE_WORKS[1], "colour": LINE_WORKS[0], "shape": "line"},
        {"layer": "works-photos", "label": PHOTO_DOT[1], "colour": PHOTO_DOT[0], "shape": "dot"},
    ]
    return {
        "base_map_style_url": settings.base_map_style_url,
        "phase_colours": {phase: colour for colour, phases, _ in MAP_PHASES for phase in phases},
        "phase_names": service.PHASES,
        "photo_colour": PHOTO_DOT[0],
        "legend": legend,
    }


@router.get("/can-bo/dau-tu/du-an/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    project_id: int,
    _a: Actor = Depends(require_leader),
) -> HTMLResponse:
    """A project's page: facts, map, money by year and progress."""
    project = service.get_project(db, project_id)
    locale = request_locale(request)
    money = bars(service.project_money(db, project_id=project_id), label="key", locale=locale)
    today = clock.today(settings)
    lists = {
        kind: tracking.project_list(db, kind=kind, project_id=project_id, today=today).items
        for kind in tracking.LISTS
    }
    context = {
        "project": project,
        "wards": works.get_work(db, project_id, on=today),  # its wards today, and those it was recorded in
        "money": money,
        "lists": lists,
        "carry_over": tracking.carry_over(db, project_id=project_id, today=today),
        "settlement": tracking.settlement_of(db, project_id=project_id),
        "photos": photos.list_photos(db, project_id=project_id).items,
        **_map_context(settings),
        **_money(locale),
        "today": today.isoformat(),
        "message": MESSAGES.get(request.query_params.get("msg", ""), ""),
        "error": notice(request),
    }
    return render(request, "investment/project.html", context)


MESSAGES = {"progress": "Đã ghi nhận báo cáo tiến độ.", "photo": "Đã thêm ảnh hiện trường."}


def _back(request: Request, project_id: int, **params: str) -> RedirectResponse:
    return redirect_with_notice(request, f"/can-bo/dau-tu/du-an/{project_id}", **params)


@router.post("/can-bo/dau-tu/du-an/{project_id}/tien-do", dependencies=[Depends(verify_csrf)])
def report_progress(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    project_id: int,
    ngay: Annotated[date, Form(title="Ngày báo cáo")],
    phan_tram: Annotated[int, Form(title="Khối lượng hoàn thành (%)")],
    actor: Actor = Depends(require_finance),
) -> RedirectResponse:
    """The managing unit reports the physical progress of the works on a day."""
    service.get_project(db, project_id)
    if ngay > clock.today(settings):
        return _back(request, project_id, error="Ngày báo cáo không được ở tương lai.")
    try:
        tracking.add_progress(db, actor=actor, project_id=project_id, reported_on=ngay, percent=phan_tram)
    except ValidationFailed as exc:
        return _back(request, project_id, error=refusal_messages(exc)[0])
    return _back(request, project_id, msg="progress")


@router.post("/can-bo/dau-tu/du-an/{project_id}/anh", dependencies=[Depends(verify_csrf)])
async def upload_photo(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    project_id: int,
    file: Annotated[UploadFile, File(title="Ảnh công trình")],
    ngay_chup: Annotated[date, Form(title="Ngày chụp")],
    ghi_chu: Annotated[str, Form(title="Ghi chú", max_length=300)] = "",
    actor: Actor = Depends(require_finance),
) -> RedirectResponse:
    """A photo of the site with the day it was taken (JPEG or PNG, at most 8 MB)."""
    if ngay_chup > clock.today(settings):
        return _back(request, project_id, error="Ngày chụp không được ở tương lai.")
    try:
        await photos.upload_photo(
            db,
            settings=settings,
            actor=actor,
            project_id=project_id,
            file=file,
            taken_on=ngay_chup,
            caption=ghi_chu.strip(),
        )
    except AppError as exc:
        if not fixable_by_the_user(exc):
            raise
        return _back(request, project_id, error=refusal_messages(exc)[0])
    return _back(request, project_id, msg="photo")


WORKS_PER_PAGE = 20


def _page_number(text: str) -> int:
    """The page asked for in the query string; anything but a page number is the first page."""
    return int(text) if text.isdigit() and 0 < len(text) < 7 else 1


@router.get("/cong-trinh", response_class=HTMLResponse)
def public_map(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    phuong: str = "",
    giai_doan: str = "",
    q: str = "",
    page: str = "1",
) -> HTMLResponse:
    """The public works a page at a time, with their map: by the ward they are in today, by stage and by
    words of their name (with or without diacritics)."""
    today = clock.today(settings)
    wards = works.current_wards(db, on=today)
    ward = phuong if any(w.code == phuong for w in wards) else ""  # a ward not valid today: all wards
    filters = works.WorksFilter(ward=ward or None, phase=works.STAGES.get(giai_doan), q=q[:200])
    number = _page_number(page)
    found = works.find_works(
        db, on=today, filters=filters, paging=PageParams.for_page(number, WORKS_PER_PAGE)
    )
    if not found.items and found.total:  # past the last page: the last page
        last = PageParams.for_page(found.pages, WORKS_PER_PAGE)
        found = works.find_works(db, on=today, filters=filters, paging=last)
    stage = giai_doan if giai_doan in works.STAGES else ""
    kept = {"phuong": ward, "giai_doan": stage, "q": filters.q.strip()}
    on_map = {k: v for k, v in {"ward": ward, "phase": filters.phase or "", "q": kept["q"]}.items() if v}
    counts = works.stage_counts(db)
    return render(
        request,
        "investment/public_map.html",
        {
            "wards": wards,
            "ward": ward,
            "stages": [
                {"value": slug, "name": service.PHASES[phase], "count": counts[phase]}
                for slug, phase in works.STAGES.items()
            ],
            "stage": stage,
            "q": kept["q"],
            "works": found,
            "filtered": any(kept.values()),
            "page_query": urlencode({k: v for k, v in kept.items() if v}),
            "pager": pager_pages(found.number, found.pages),
            "map_source": "/api/v1/investment/projects.geojson?"
            + urlencode({k: v for k, v in on_map.items() if v}),
            **_map_context(settings),
            **_money(request_locale(request)),
        },
    )


@router.get("/cong-trinh/{project_id}", response_class=HTMLResponse)
def public_work(request: Request, db: DbDep, settings: SettingsDep, project_id: int) -> HTMLResponse:
    """A work as the public sees it: where, what stage, how much, when it should end, its site photos."""
    context = {
        "work": works.get_work(db, project_id, on=clock.today(settings)),
        "photos": photos.list_photos(db, project_id=project_id).items,
        **_map_context(settings),
        **_money(request_locale(request)),
    }
    return render(request, "investment/public_work.html", context)


class PlanForm(BaseModel):
    """The capital plan import form as sent: the plan's year and its XLSX file."""

    year: int = Field(title="Năm kế hoạch", ge=2000, le=2100)
    content: bytes = Field(title="Tệp kế hoạch vốn")


PLAN_TITLES = {name: str(field.title) for name, field in PlanForm.model_fields.items()}


def _plan_page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    """The import form: what was typed (`year`), the form's mistakes, the file's bad rows or the result."""
    page = {"year": "", "mistakes": [], "errors": [], "message": "", **context}
    return render(request, "investment/plan_import.html", page, status_code=status)


@router.get("/can-bo/dau-tu/ke-hoach-von", response_class=HTMLResponse)
def plan_import_form(request: Request, _a: Actor = Depends(require_finance)) -> HTMLResponse:
    """The finance officer's form to import a yearly capital plan from XLSX."""
    return _plan_page(request)


@router.post("/can-bo/dau-tu/ke-hoach-von", response_class=HTMLResponse, dependencies=[Depends(verify_csrf)])
async def plan_import(
    request: Request,
    db: DbDep,
    year: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
    actor: Actor = Depends(require_finance),
) -> HTMLResponse:
    """Import the plan: all rows or none; each bad row by its number, each mistake beside the form."""
    content = await file.read(5_000_000) if file else b""
    sent = {name: value for name, value in (("year", year.strip()), ("content", content)) if value}
    try:
        plan = PlanForm.model_validate(sent)
    except ValidationError as exc:
        mistakes = form_mistakes(request, exc, PLAN_TITLES, "investment")
        return _plan_page(request, 422, year=year, mistakes=mistakes)
    try:
        rows = await run_in_threadpool(
            lambda: service.import_plan_xlsx(db, actor=actor, year=plan.year, content=plan.content)
        )
    except ValidationFailed as exc:
        return _plan_page(request, 422, year=year, errors=refusal_messages(exc))
    message = Phrase("Đã nhập {rows} dòng kế hoạch vốn năm {year}.", rows=rows, year=plan.year)
    return _plan_page(request, message=message)
