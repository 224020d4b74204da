"""Use cases of public investment: projects, yearly plans (XLSX import), disbursement rates, totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core import numbers
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.sheets import first_sheet, xlsx
from smartcity.core.uow import UnitOfWork
from smartcity.investment.models import CapitalAdjustment, CapitalPlan, Disbursement, Project
from smartcity.investment.tracking import SOURCES, counted_payment, standard_deadline

SOURCE_BY_NAME = {name.casefold(): code for code, name in SOURCES.items()}
KINDS = {
    "road": "Giao thông",
    "drainage": "Thoát nước",
    "school": "Giáo dục",
    "health": "Y tế",
    "lighting": "Chiếu sáng",
    "public_building": "Công trình công cộng",
}
TEMPLATE_HEADERS = ("Mã dự án", "Nguồn vốn", "Kế hoạch vốn (triệu đồng)")


def format_billion(million: int, *, signed: bool = False, locale: str = "vi") -> str:
    """Money in million VND as billions written the page's way, e.g. 3048000 -> '3.048 tỷ đồng' (English:
    'VND 3,048 billion'); `signed` writes the sign of a change (-22400 -> '−22,4 tỷ đồng', 5000 -> '+5 tỷ
    đồng')."""
    text = numbers.number(abs(million) / 1000, None, locale, max_digits=1)
    sign = "−" if million < 0 else "+" if signed and million > 0 else ""
    return f"{sign}VND {text} billion" if locale == "en" else f"{sign}{text} tỷ đồng"


def deadline_for_year(year: int) -> date:
    """Last day a year's capital may be disbursed without an extension decision (Law 2019, art. 68)."""
    return standard_deadline(year)


def create_project(db: Database, *, actor: Actor, data: dict[str, Any]) -> int:
    """Register a project; returns its id."""
    with UnitOfWork(db, actor) as uow:
        project = Project(**data)
        uow.session.add(project)
        uow.session.flush()
        uow.audit("investment.project.create", "investment_project", project.id, after={"code": project.code})
        return project.id


def add_disbursement(
    db: Database, *, actor: Actor, project_id: int, plan_year: int, source: str, paid_on: date, amount: int
) -> int:
    """Record money paid out on a project; returns the row id."""
    if amount <= 0:
        raise ValidationFailed.for_field("amount", "Số tiền giải ngân phải lớn hơn 0.")
    with UnitOfWork(db, actor) as uow:
        row = Disbursement(
            project_id=project_id, plan_year=plan_year, source=source, paid_on=paid_on, amount=amount
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit(
            "investment.disbursement.create", "investment_disbursement", row.id, after={"amount": amount}
        )
        return row.id


def plan_template() -> bytes:
    """The XLSX template of a yearly capital plan, as the finance department fills it."""
    return xlsx([TEMPLATE_HEADERS, ("DA-2026-001", SOURCES["city"], 12000)], title="Kế hoạch vốn")


def _parse_rows(db: Database, content: bytes) -> tuple[list[tuple[int, str, int]], list[dict[str, Any]]]:
    """The valid (project id, source, amount) rows and one error per bad row, with its row number."""
    try:
        sheet = first_sheet(content)
    except Exception as exc:  # openpyxl raises many kinds on a non-XLSX file
        raise ValidationFailed.for_field("file", "Tệp không phải bảng tính XLSX hợp lệ.") from exc
    with db.session() as session:
        ids = {code: pid for code, pid in session.execute(select(Project.code, Project.id))}
    rows, errors = [], []
    for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        if values is None or all(v in (None, "") for v in values[:3]):
            continue
        code, source_name, amount = [*list(values), None, None, None][:3]
        source = SOURCE_BY_NAME.get(str(source_name or "").strip().casefold())
        problem = None
        if str(code or "").strip() not in ids:
            problem = f"không có dự án mã «{code}»"
        elif source is None:
            problem = f"nguồn vốn «{source_name}» không hợp lệ"
        elif not isinstance(amount, int | float) or amount <= 0:
            problem = f"kế hoạch vốn «{amount}» phải là số dương"
        if problem:
            errors.append({"field": f"row {number}", "message": f"Dòng {number}: {problem}."})
        else:
            rows.append((ids[str(code).strip()], str(source), int(amount)))
    return rows, errors


def import_plan_xlsx(db: Database, *, actor: Actor, year: int, content: bytes) -> int:
    """Store a year's capital plan from XLSX; any bad row rejects the whole file. Returns rows stored."""
    rows, errors = _parse_rows(db, content)
    if errors:
        raise ValidationFailed("; ".join(e["message"] for e in errors), errors=errors)
    if not rows:
        raise ValidationFailed.for_field("file", "Tệp không có dòng kế hoạch vốn nào.")
    with UnitOfWork(db, actor) as uow:
        for project_id, source, amount in rows:
            uow.session.add(CapitalPlan(project_id=project_id, year=year, source=source, amount=amount))
        uow.audit("investment.plan.import", "investment_plan_year", year, after={"rows": len(rows)})
    return len(rows)


@dataclass(frozen=True)
class Rate:
    """Allocated and disbursed capital of a year, and the rate in percent.

    `planned` is the capital allocated for the year: the yearly plan with the year's adjustments
    (`adjusted`, signed), what the rate is measured against everywhere.
    """

    year: int
    planned: int
    disbursed: int
    adjusted: int = 0

    @property
    def initial_plan(self) -> int:
        """The yearly plan as imported, before the year's adjustments."""
        return self.planned - self.adjusted

    @property
    def percent(self) -> float:
        """Disbursed over planned, in percent (0 when nothing is planned)."""
        return round(100 * self.disbursed / self.planned, 1) if self.planned else 0.0


def disbursement_rate(db: Database, *, year: int) -> Rate:
    """A year's rate: allocated capital (plan and adjustments) against payments within the law's deadline.

    Capital of year N counts until 31 January of N+1, or until 31 December of N+1 where an extension
    was allowed for the project (Law on Public Investment 2019, art. 68).
    """
    with db.session() as session:
        planned = session.scalar(
            select(func.coalesce(func.sum(CapitalPlan.amount), 0)).where(CapitalPlan.year == year)
        )
        adjusted = session.scalar(
            select(func.coalesce(func.sum(CapitalAdjustment.amount), 0)).where(CapitalAdjustment.year == year)
        )
        disbursed = session.scalar(
            select(func.coalesce(func.sum(Disbursement.amount), 0)).where(counted_payment(year))
        )
    return Rate(
        year=year,
        planned=int(planned or 0) + int(adjusted or 0),
        disbursed=int(disbursed or 0),
        adjusted=int(adjusted or 0),
    )


def programme_totals(db: Database) -> list[dict[str, Any]]:
    """Per programme: number of projects and total investment (million VND)."""
    with db.session() as session:
        rows = session.execute(
            select(Project.programme, func.count(), func.sum(Project.total_investment))
            .where(Project.programme != "")
            .group_by(Project.programme)
            .order_by(Project.programme)
        ).all()
    return [
        {"programme": p, "projects": int(n), "total": int(t or 0), "total_text": format_billion(int(t or 0))}
        for p, n, t in rows
    ]


def road_totals(db: Database, *, first_year: int, last_year: int) -> dict[str, Any]:
    """Capital allocated to and disbursed on roads over a period (million VND), and roads paid on."""
    with db.session() as session:
        planned = session.scalar(
            select(func.coalesce(func.sum(CapitalPlan.amount), 0))
            .join(Project, Project.id == CapitalPlan.project_id)
            .where(Project.kind == "road", CapitalPlan.year.between(first_year, last_year))
        )
        paid = (
            select(Disbursement.project_id, Disbursement.amount)
            .join(Project, Project.id == Disbursement.project_id)
            .where(Project.kind == "road", Disbursement.plan_year.between(first_year, last_year))
            .subquery()
        )
        disbursed = session.scalar(select(func.coalesce(func.sum(paid.c.amount), 0)))
        roads = session.scalar(select(func.count(func.distinct(paid.c.project_id))))
    return {
        "allocated": int(planned or 0),
        "disbursed": int(disbursed or 0),
        "roads_disbursed": int(roads or 0),
        "allocated_text": format_billion(int(planned or 0)),
        "disbursed_text": format_billion(int(disbursed or 0)),
    }


def _sums(session: Session, key: Any, amount: Any, *where: Any) -> dict[Any, Any]:
    """The sum of `amount` by `key` over the rows that meet `where`."""
    return dict(session.execute(select(key, func.sum(amount)).where(*where).group_by(key)).tuples().all())


def slowest_projects(db: Database, *, year: int, limit: int = 10) -> list[dict[str, Any]]:
    """Projects with capital this year (plan and adjustments), slowest first; payments within the deadline."""
    with db.session() as session:
        plans = _sums(session, CapitalPlan.project_id, CapitalPlan.amount, CapitalPlan.year == year)
        paid = _sums(session, Disbursement.project_id, Disbursement.amount, counted_payment(year))
        changes = _sums(
            session, CapitalAdjustment.project_id, CapitalAdjustment.amount, CapitalAdjustment.year == year
        )
        for pid, change in changes.items():
            plans[pid] = plans.get(pid, 0) + change
        projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(list(plans))))}
    rows: list[dict[str, Any]] = []
    for pid, planned_sum in plans.items():
        planned = int(planned_sum)
        done = int(paid.get(pid, 0))
        percent = round(100 * done / planned, 1) if planned else 0.0
        rows.append(
            {
                "id": pid,
                "code": projects[pid].code,
                "name": projects[pid].name,
                "planned": int(planned),
                "disbursed": done,
                "percent": percent,
                "reason": f"Giải ngân mới đạt {numbers.percent(percent, 1)} vốn được giao năm {year}",
                "planned_text": format_billion(planned),
                "disbursed_text": format_billion(done),
            }
        )
    rows.sort(key=lambda r: r["percent"])
    return rows[:limit]


def _ward_names(db: Database, codes: list[str]) -> list[str]:
    """The names of wards by code (each on its own record date); unknown codes are skipped."""
    names = []
    for code in codes:
        try:
            names.append(city_service.get_unit(db, code).name)
        except NotFound:
            continue
    return names


def list_projects(db: Database) -> list[dict[str, Any]]:
    """Every project with its public fields, by code (by ward or type: `works.list_works`)."""
    with db.session() as session:
        projects = list(session.scalars(select(Project).order_by(Project.code)))
    return [public_project(db, p) for p in projects]


PHASES = {
    "preparation": "Chuẩn bị đầu tư",
    "implementation": "Đang thi công",
    "completed": "Đã hoàn thành",
    "settled": "Đã quyết toán",
}


def public_project(db: Database, project: Project, *, ward_names: list[str] | None = None) -> dict[str, Any]:
    """The fields of a project anyone may see, in words (`ward_names`: its wards' names, read if not
    given)."""
    end = project.expected_end
    return {
        "id": project.id,
        "code": project.code,
        "name": project.name,
        "kind": project.kind,
        "kind_name": KINDS.get(project.kind, project.kind),
        "phase": project.phase,
        "phase_name": PHASES.get(project.phase, project.phase),
        "investor": project.investor,
        "total_investment": project.total_investment,
        "total_investment_text": format_billion(project.total_investment),
        "wards": _ward_names(db, list(project.ward_codes or [])) if ward_names is None else ward_names,
        "ward_codes": list(project.ward_codes or []),
        "expected_end": end.isoformat() if end else None,
        "expected_end_text": end.strftime("%d/%m/%Y") if end else "",
        "progress_percent": project.progress_percent,
        "geometry": project.geometry,
    }


def get_project(db: Database, project_id: int) -> dict[str, Any]:
    """One project's public fields."""
    with db.session() as session:
        project = get_or_404(session, Project, project_id, "Không có dự án này.")
        return public_project(db, project)


def projects_geojson(db: Database) -> dict[str, Any]:
    """The works as a GeoJSON FeatureCollection for the public map."""
    features = []
    for item in list_projects(db):
        if item["geometry"]:
            props = {k: v for k, v in item.items() if k not in ("geometry", "ward_codes")}
            features.append({"type": "Feature", "geometry": item["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


def export_xlsx(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> bytes:
    """Any list as an XLSX sheet: (key, Vietnamese heading) columns."""
    cells = (
        [", ".join(v) if isinstance(v := row.get(key), list) else v for key, _t in columns] for row in rows
    )
    return xlsx([[title for _key, title in columns], *cells])


def rates_by(
    db: Database, *, dimension: str, year: int | None = None, project_id: int | None = None
) -> list[dict[str, Any]]:
    """Allocated capital (plan and the year's adjustments, as `disbursement_rate` counts it), disbursed
    (within the law's deadline) and rate by "source", "kind", "investor" or "year"; of one project if
    given."""
    plan_key, adjustment_key, paid_key = {
        "source": (CapitalPlan.source, CapitalAdjustment.source, Disbursement.source),
        "kind": (Project.kind, Project.kind, Project.kind),
        "investor": (Project.investor, Project.investor, Project.investor),
        "year": (CapitalPlan.year, CapitalAdjustment.year, Disbursement.plan_year),
    }[dimension]
    allocated = (
        (plan_key, CapitalPlan, CapitalPlan.amount, CapitalPlan.year),
        (adjustment_key, CapitalAdjustment, CapitalAdjustment.amount, CapitalAdjustment.year),
    )
    with db.session() as session:
        planned: dict[Any, int] = {}
        for key, table, amount, table_year in allocated:
            query = (
                select(key, func.sum(amount)).select_from(table).join(Project, Project.id == table.project_id)
            )
            if year is not None:
                query = query.where(table_year == year)
            if project_id is not None:
                query = query.where(table.project_id == project_id)
            for k, v in session.execute(query.group_by(key)):
                planned[k] = planned.get(k, 0) + int(v)
        paid_q = (
            select(paid_key, func.sum(Disbursement.amount))
            .select_from(Disbursement)
            .join(Project, Project.id == Disbursement.project_id)
        )
        if project_id is not None:
            paid_q = paid_q.where(Disbursement.project_id == project_id)
        years = (
            [year] if year is not None else list(session.scalars(select(Disbursement.plan_year).distinct()))
        )
        paid_q = paid_q.where(or_(*[counted_payment(y) for y in years])) if years else paid_q.where(false())
        paid = {k: int(v) for k, v in session.execute(paid_q.group_by(paid_key))}
    names = {"source": SOURCES, "kind": KINDS}.get(dimension, {})
    return [
        {
            "key": key,
            "name": names.get(str(key), str(key)),
            "planned": planned.get(key, 0),
            "disbursed": paid.get(key, 0),
            "percent": round(100 * paid.get(key, 0) / planned[key], 1) if planned.get(key) else 0.0,
        }
        for key in sorted(set(planned) | set(paid), key=str)
    ]


def schedule_counts(db: Database, *, on: date) -> tuple[int, int]:
    """(projects under way still within their expected end, projects under way) on a day."""
    with db.session() as session:
        ends = list(session.scalars(select(Project.expected_end).where(Project.phase == "implementation")))
    return sum(1 for end in ends if end is not None and end >= on), len(ends)


def project_money(db: Database, *, project_id: int) -> list[dict[str, Any]]:
    """A project's allocated capital (plan and adjustments) and disbursed capital (within the law's
    deadline) per plan year (million VND), counted as the dashboard and the carry-over table count them."""
    return [
        {"key": row["key"], "planned": row["planned"], "disbursed": row["disbursed"]}
        for row in rates_by(db, dimension="year", project_id=project_id)
    ]


def disbursement_report(db: Database, *, year: int) -> list[dict[str, Any]]:
    """Every payment charged to a year's plan, by date, with whether it counts within the law's deadline."""
    with db.session() as session:
        counted = set(
            session.scalars(
                select(Disbursement.id).where(Disbursement.plan_year == year, counted_payment(year))
            )
        )
        rows = session.execute(
            select(Disbursement, Project.code, Project.name)
            .join(Project, Project.id == Disbursement.project_id)
            .where(Disbursement.plan_year == year)
            .order_by(Disbursement.paid_on, Disbursement.id)
        ).all()
    return [
        {
            "code": code,
            "name": name,
            "source_name": SOURCES.get(row.source, row.source),
            "paid_on": row.paid_on.isoformat(),
            "paid_on_text": row.paid_on.strftime("%d/%m/%Y"),
            "amount": row.amount,
            "in_time": "Trong hạn" if row.id in counted else "Quá hạn",
        }
        for row, code, name in rows
    ]
