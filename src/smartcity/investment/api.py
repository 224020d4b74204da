"""JSON API of public investment at /api/v1/investment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from smartcity.core import clock
from smartcity.core.pages import Page, PagingDep
from smartcity.core.security import Actor
from smartcity.core.sheets import XLSX_MEDIA_TYPE as XLSX
from smartcity.investment import photos, service, tracking, works
from smartcity.investment.schemas import (
    AdjustmentIn,
    ContractIn,
    DecisionIn,
    DelayIn,
    ExtensionIn,
    MediumTermIn,
    MilestoneIn,
    ProgressIn,
    SettlementIn,
)
from smartcity.web.deps import DbDep, SettingsDep, require_role_in

router = APIRouter(prefix="/api/v1/investment", tags=["investment"])
# Public investment is the work of the Finance and Planning division (TDM-TCKH) and of the people's committees
# (UBND-: the city's until 1 July 2025, each ward's since, which took over the district's public investment).
# Their specialists, heads and leaders (or city-wide holders, or admin) record and read; no school's or
# health station's staff does.
FINANCE_UNITS = ("TDM-TCKH", "UBND-")
FINANCE = ("specialist", "head", "leader", "admin")
LEADERS = ("leader", "head", "specialist", "admin")
FINANCE_REFUSAL = (
    "Việc này dành cho cán bộ Phòng Tài chính – Kế hoạch và Ủy ban nhân dân thành phố, phường "
    "phụ trách đầu tư công."
)
require_finance = require_role_in(FINANCE, FINANCE_UNITS, refusal=FINANCE_REFUSAL)
require_leader = require_role_in(LEADERS, FINANCE_UNITS, refusal=FINANCE_REFUSAL)
PROJECT_COLUMNS = [
    ("code", "Mã dự án"),
    ("name", "Tên dự án"),
    ("kind_name", "Loại công trình"),
    ("phase_name", "Giai đoạn"),
    ("investor", "Chủ đầu tư"),
    ("total_investment", "Tổng mức đầu tư (triệu đồng)"),
    ("wards", "Phường"),
    ("expected_end_text", "Dự kiến hoàn thành"),
    ("progress_percent", "Tiến độ (%)"),
]


def _xlsx(body: bytes, name: str) -> Response:
    """A spreadsheet download."""
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def summary_data(db: Any, settings: Any) -> dict[str, Any]:
    """The dashboard's figures: 2016–2020 programmes, roads, this year's rate and slowest projects."""
    year = clock.today(settings).year
    rate = service.disbursement_rate(db, year=year)
    return {
        "programmes": service.programme_totals(db),
        "roads_2016_2020": service.road_totals(db, first_year=2016, last_year=2020),
        "year": year,
        "rate": {
            "planned": rate.planned,
            "disbursed": rate.disbursed,
            "percent": rate.percent,
            "planned_text": service.format_billion(rate.planned),
            "disbursed_text": service.format_billion(rate.disbursed),
            "initial_plan": rate.initial_plan,
            "adjusted": rate.adjusted,
            "initial_plan_text": service.format_billion(rate.initial_plan),
            "adjusted_text": service.format_billion(rate.adjusted, signed=True),
        },
        "slowest": service.slowest_projects(db, year=year, limit=5),
    }


@router.get("/summary", summary="Leader's figures")
def summary(db: DbDep, settings: SettingsDep, _a: Actor = Depends(require_leader)) -> dict[str, Any]:
    """Programme totals, road totals, this year's disbursement rate and the slowest projects."""
    return summary_data(db, settings)


WardCode = Annotated[str | None, Query(max_length=40, description="Ward code: works in it today")]


@router.get("/projects", summary="Projects (public fields)")
def projects(
    db: DbDep, settings: SettingsDep, ward: WardCode = None, kind: str | None = None
) -> list[dict[str, Any]]:
    """Projects, optionally of one type and in one ward as `/cong-trinh` filters (`works.list_works`: a
    ward valid today finds the works in it today, also those recorded in a ward it took over in 2025; a ward
    no longer valid finds the works recorded in it)."""
    return [
        {k: v for k, v in p.items() if k != "geometry"}
        for p in works.list_works(db, on=clock.today(settings), ward=ward, kind=kind)
    ]


@router.get("/projects.xlsx", summary="Projects as XLSX")
def projects_xlsx(
    db: DbDep, settings: SettingsDep, ward: WardCode = None, kind: str | None = None
) -> Response:
    """The project list as a spreadsheet, filtered as `projects`."""
    rows = works.list_works(db, on=clock.today(settings), ward=ward, kind=kind)
    return _xlsx(service.export_xlsx(rows, PROJECT_COLUMNS), "du-an.xlsx")


@router.get("/projects.geojson", summary="Works on the map")
def projects_geojson(
    db: DbDep,
    settings: SettingsDep,
    ward: WardCode = None,
    phase: Annotated[str | None, Query(max_length=20, description="Stage code, e.g. implementation")] = None,
    q: Annotated[str, Query(max_length=200, description="Words of the name, diacritics optional")] = "",
) -> dict[str, Any]:
    """Works as GeoJSON (WGS 84) with their status and expected end; those the public list `/cong-trinh`
    shows for the same filters (a ward valid today: the works in it today, also those recorded in a ward it
    took over in the 2025 reorganisation; a ward no longer valid: the works recorded in it)."""
    filters = works.WorksFilter(ward=ward or None, phase=phase or None, q=q)
    return works.works_geojson(db, on=clock.today(settings), filters=filters)


@router.get("/projects/{project_id}", summary="One project")
def project(db: DbDep, project_id: int) -> dict[str, Any]:
    """A project's public fields."""
    return service.get_project(db, project_id)


@router.get("/plans/template.xlsx", summary="Yearly plan template")
def plan_template() -> Response:
    """The XLSX template the finance department fills for a yearly plan."""
    return _xlsx(service.plan_template(), "mau-ke-hoach-von.xlsx")


@router.post("/plans/{year}/import", summary="Import a yearly plan", status_code=201)
def import_plan(
    db: DbDep,
    year: Annotated[int, Path(ge=2000, le=2100)],
    file: Annotated[UploadFile, File()],
    actor: Actor = Depends(require_finance),
) -> dict[str, Any]:
    """Store a year's plan from XLSX: all rows or none; bad rows come back with their row numbers."""
    stored = service.import_plan_xlsx(db, actor=actor, year=year, content=file.file.read(5_000_000))
    return {"year": year, "rows": stored}


@router.get("/projects/{project_id}/geojson", summary="One project on the map")
def project_geojson(db: DbDep, project_id: int) -> dict[str, Any]:
    """A project as a GeoJSON FeatureCollection of one feature."""
    item = service.get_project(db, project_id)
    props = {k: v for k, v in item.items() if k not in ("geometry", "ward_codes")}
    features = (
        [{"type": "Feature", "geometry": item["geometry"], "properties": props}] if item["geometry"] else []
    ) + photos.photo_features(db, project_id=project_id)
    return {"type": "FeatureCollection", "features": features}


ProjectId = Annotated[int, Path(ge=1)]


@router.get("/projects/{project_id}/lists/{kind}.xlsx", summary="A project's list as XLSX")
def project_list_xlsx(
    db: DbDep,
    settings: SettingsDep,
    project_id: ProjectId,
    kind: Annotated[str, Path(pattern="^(" + "|".join(tracking.LISTS) + ")$")],
) -> Response:
    """The same list as a spreadsheet, with Vietnamese headings."""
    page = tracking.project_list(db, kind=kind, project_id=project_id, today=clock.today(settings))
    return _xlsx(service.export_xlsx(page.items, tracking.XLSX_COLUMNS[kind]), f"{kind}.xlsx")


@router.get(
    "/projects/{project_id}/lists/{kind}", summary="A project's list (decisions, milestones, contracts...)"
)
def project_list(
    db: DbDep,
    settings: SettingsDep,
    project_id: ProjectId,
    kind: Annotated[str, Path(pattern="^(" + "|".join(tracking.LISTS) + ")$")],
    paging: PagingDep,
) -> Page[dict[str, Any]]:
    """Decisions, milestones, progress, contracts, delays, medium-term plans or adjustments, oldest first."""
    return tracking.project_list(
        db, kind=kind, project_id=project_id, today=clock.today(settings), paging=paging
    )


DISBURSEMENT_COLUMNS = [
    ("code", "Mã dự án"),
    ("name", "Tên dự án"),
    ("source_name", "Nguồn vốn"),
    ("paid_on_text", "Ngày giải ngân"),
    ("amount", "Số tiền (triệu đồng)"),
    ("in_time", "Thời hạn giải ngân"),
]
RATE_COLUMNS = [
    ("name", "Nhóm"),
    ("planned", "Vốn được giao, gồm kế hoạch và điều chỉnh (triệu đồng)"),
    ("disbursed", "Đã giải ngân trong hạn (triệu đồng)"),
    ("percent", "Tỷ lệ giải ngân (%)"),
]
SLOW_COLUMNS = [
    ("code", "Mã dự án"),
    ("name", "Tên dự án"),
    ("planned", "Vốn được giao, gồm kế hoạch và điều chỉnh (triệu đồng)"),
    ("disbursed", "Đã giải ngân trong hạn (triệu đồng)"),
    ("percent", "Tỷ lệ giải ngân (%)"),
    ("reason", "Lý do"),
]
RISK_COLUMNS = [("code", "Mã dự án"), ("name", "Tên dự án"), ("reasons", "Lý do")]
Year = Annotated[int, Query(ge=2000, le=2100)]


@router.get("/disbursements", summary="Disbursement report of a plan year")
def disbursements(
    db: DbDep, year: Year, paging: PagingDep, _a: Actor = Depends(require_leader)
) -> Page[dict[str, Any]]:
    """Every payment charged to the year's plan, by date, with whether it counts within the deadline."""
    rows = service.disbursement_report(db, year=year)
    return Page.of(rows[paging.offset : paging.offset + paging.limit], total=len(rows), paging=paging)


@router.get("/disbursements.xlsx", summary="Disbursement report as XLSX")
def disbursements_xlsx(db: DbDep, year: Year, _a: Actor = Depends(require_leader)) -> Response:
    """The year's disbursement report as a spreadsheet."""
    rows = service.disbursement_report(db, year=year)
    return _xlsx(service.export_xlsx(rows, DISBURSEMENT_COLUMNS), f"giai-ngan-{year}.xlsx")


@router.get("/rates.xlsx", summary="Disbursement rates as XLSX")
def rates_xlsx(
    db: DbDep,
    dimension: Annotated[str, Query(pattern="^(source|kind|investor|year)$")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    _a: Actor = Depends(require_leader),
) -> Response:
    """Allocated (plan and adjustments), disbursed within the deadline and rate by source, type, investor
    or year."""
    rows = service.rates_by(db, dimension=dimension, year=year)
    return _xlsx(service.export_xlsx(rows, RATE_COLUMNS), f"ty-le-giai-ngan-{dimension}.xlsx")


@router.get("/slowest.xlsx", summary="Slowest projects as XLSX")
def slowest_xlsx(db: DbDep, settings: SettingsDep, _a: Actor = Depends(require_leader)) -> Response:
    """This year's projects, slowest disbursement first."""
    rows = service.slowest_projects(db, year=clock.today(settings).year, limit=1000)
    return _xlsx(service.export_xlsx(rows, SLOW_COLUMNS), "du-an-giai-ngan-cham.xlsx")


@router.get("/at-risk.xlsx", summary="Projects at risk as XLSX")
def at_risk_xlsx(db: DbDep, settings: SettingsDep, _a: Actor = Depends(require_leader)) -> Response:
    """Projects at risk with their reasons."""
    rows = tracking.at_risk(db, today=clock.today(settings))
    return _xlsx(service.export_xlsx(rows, RISK_COLUMNS), "du-an-co-nguy-co.xlsx")


@router.get("/projects/{project_id}/money", summary="A project's capital by year and carry-over")
def project_money(db: DbDep, settings: SettingsDep, project_id: ProjectId) -> dict[str, Any]:
    """Allocated, disbursed within the law's deadline and lapsed capital per year; the settlement."""
    service.get_project(db, project_id)
    return {
        "years": tracking.carry_over(db, project_id=project_id, today=clock.today(settings)),
        "settlement": tracking.settlement_of(db, project_id=project_id),
    }


@router.get("/at-risk", summary="Projects at risk with their reasons")
def at_risk(
    db: DbDep, settings: SettingsDep, paging: PagingDep, _a: Actor = Depends(require_leader)
) -> Page[dict[str, Any]]:
    """Expired schedules, late milestones, guarantees expiring, capital past its deadline."""
    rows = tracking.at_risk(db, today=clock.today(settings))
    return Page.of(rows[paging.offset : paging.offset + paging.limit], total=len(rows), paging=paging)


@router.post("/projects/{project_id}/progress", status_code=201, summary="Report physical progress")
def post_progress(
    db: DbDep, project_id: ProjectId, body: ProgressIn, actor: Actor = Depends(require_finance)
) -> dict[str, Any]:
    """Physical progress in percent on a day."""
    row = tracking.add_progress(
        db, actor=actor, project_id=project_id, reported_on=body.reported_on, percent=body.percent
    )
    return {"id": row}


# What the finance staff record on a project, one row each from the body, answered with its id:
# (path, route name, summary, body, tracking's use case; its docstring describes the route)
RECORDINGS: list[tuple[str, str, str, type[BaseModel], Callable[..., int]]] = [
    ("decisions", "post_decision", "Record a decision", DecisionIn, tracking.add_decision),
    ("milestones", "post_milestone", "Add a milestone", MilestoneIn, tracking.add_milestone),
    ("contracts", "post_contract", "Record a contract", ContractIn, tracking.add_contract),
    ("delays", "post_delay", "Record a delay", DelayIn, tracking.add_delay),
    ("medium-term", "post_medium_term", "Medium-term plan capital", MediumTermIn, tracking.add_medium_term),
    ("adjustments", "post_adjustment", "Adjust the year's capital", AdjustmentIn, tracking.add_adjustment),
    ("extensions", "post_extension", "Allow carry-over to year end", ExtensionIn, tracking.allow_extension),
    ("settlement", "post_settlement", "Record the final settlement", SettlementIn, tracking.settle),
]


def _recording(action: Callable[..., int], body_type: type[BaseModel]) -> Callable[..., dict[str, Any]]:
    """The endpoint that records a `body_type` on a project through `action`, answering with the row's id."""

    def record(
        db: DbDep, project_id: ProjectId, body: BaseModel, actor: Actor = Depends(require_finance)
    ) -> dict[str, Any]:
        return {"id": action(db, actor=actor, project_id=project_id, data=body.model_dump())}

    record.__annotations__["body"] = body_type  # the body FastAPI reads, checks and documents
    return record


for _path, _name, _summary, _body, _action in RECORDINGS:
    router.add_api_route(
        f"/projects/{{project_id}}/{_path}",
        _recording(_action, _body),
        methods=["POST"],
        status_code=201,
        summary=_summary,
        description=_action.__doc__,
        name=_name,
    )


@router.post("/projects/{project_id}/photos", status_code=201, summary="Upload a site photo")
async def post_photo(
    db: DbDep,
    settings: SettingsDep,
    project_id: ProjectId,
    file: Annotated[UploadFile, File()],
    taken_on: Annotated[date, Form()],
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    caption: Annotated[str, Form(max_length=300)] = "",
    actor: Actor = Depends(require_finance),
) -> dict[str, Any]:
    """A JPEG or PNG of the site (at most 8 MB) with its date and place; a thumbnail is made."""
    photo_id = await photos.upload_photo(
        db,
        settings=settings,
        actor=actor,
        project_id=project_id,
        file=file,
        taken_on=taken_on,
        lon=lon,
        lat=lat,
        caption=caption,
    )
    return {"id": photo_id}


@router.get("/projects/{project_id}/photos", summary="A project's site photos")
def project_photos(db: DbDep, project_id: ProjectId, paging: PagingDep) -> Page[dict[str, Any]]:
    """Site photos, newest first, with their date, place and links."""
    service.get_project(db, project_id)
    return photos.list_photos(db, project_id=project_id, paging=paging)


@router.get("/photos/{photo_id}", summary="A site photo")
def photo(db: DbDep, settings: SettingsDep, photo_id: int) -> Response:
    """The photo itself."""
    return _photo(db, settings, photo_id, thumb=False)


@router.get("/photos/{photo_id}/thumb", summary="A site photo's thumbnail")
def photo_thumb(db: DbDep, settings: SettingsDep, photo_id: int) -> Response:
    """The photo's thumbnail (JPEG)."""
    return _photo(db, settings, photo_id, thumb=True)


def _photo(db: Any, settings: Any, photo_id: int, *, thumb: bool) -> Response:
    """A photo or its thumbnail, cacheable for a day."""
    content, media_type = photos.photo_content(db, settings=settings, photo_id=photo_id, thumb=thumb)
    return Response(content, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
