"""JSON API of public investment at /api/v1/investment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, UploadFile
from fastapi.responses import Response

from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.investment import service
from smartcity.web.deps import DbDep, SettingsDep, require_role

router = APIRouter(prefix="/api/v1/investment", tags=["investment"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Finance officers are specialists/heads of the finance department; leaders read everything.
FINANCE = ("specialist", "head", "leader", "admin")
LEADERS = ("leader", "head", "specialist", "admin")
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
        },
        "slowest": service.slowest_projects(db, year=year, limit=5),
    }


@router.get("/summary", summary="Leader's figures")
def summary(db: DbDep, settings: SettingsDep, _a: Actor = Depends(require_role(*LEADERS))) -> dict[str, Any]:
    """Programme totals, road totals, this year's disbursement rate and the slowest projects."""
    return summary_data(db, settings)


@router.get("/projects", summary="Projects (public fields)")
def projects(db: DbDep, ward: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Projects, optionally in one ward (code) or of one type."""
    return [
        {k: v for k, v in p.items() if k != "geometry"}
        for p in service.list_projects(db, ward=ward, kind=kind)
    ]


@router.get("/projects.xlsx", summary="Projects as XLSX")
def projects_xlsx(db: DbDep, ward: str | None = None, kind: str | None = None) -> Response:
    """The project list as a spreadsheet."""
    body = service.export_xlsx(service.list_projects(db, ward=ward, kind=kind), PROJECT_COLUMNS)
    return Response(
        body, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="du-an.xlsx"'}
    )


@router.get("/projects.geojson", summary="Works on the map")
def projects_geojson(db: DbDep, ward: str | None = None) -> dict[str, Any]:
    """Works as GeoJSON (WGS 84) with their status and expected end."""
    return service.projects_geojson(db, ward=ward)


@router.get("/projects/{project_id}", summary="One project")
def project(db: DbDep, project_id: int) -> dict[str, Any]:
    """A project's public fields."""
    return service.get_project(db, project_id)


@router.get("/plans/template.xlsx", summary="Yearly plan template")
def plan_template() -> Response:
    """The XLSX template the finance department fills for a yearly plan."""
    return Response(
        service.plan_template(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="mau-ke-hoach-von.xlsx"'},
    )


@router.post("/plans/{year}/import", summary="Import a yearly plan", status_code=201)
def import_plan(
    db: DbDep,
    year: Annotated[int, Path(ge=2000, le=2100)],
    file: Annotated[UploadFile, File()],
    actor: Actor = Depends(require_role(*FINANCE)),
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
    )
    return {"type": "FeatureCollection", "features": features}
