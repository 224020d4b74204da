"""Progress, decisions and money of a project: milestones, contracts, delays, plans, settlement."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select

from smartcity.core import numbers
from smartcity.core.db import Base, Database
from smartcity.core.errors import ValidationFailed, found_or_404
from smartcity.core.i18n import get_translations
from smartcity.core.pages import Page, PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.investment.models import (
    CapitalAdjustment,
    CapitalPlan,
    CarryOverExtension,
    Contract,
    Decision,
    Delay,
    Disbursement,
    MediumTermPlan,
    Milestone,
    ProgressReport,
    Project,
    Settlement,
)

PERIODS = ("2021-2025", "2026-2030")
DECISION_KINDS = {"approval": "Phê duyệt dự án", "adjustment": "Điều chỉnh dự án"}
GUARANTEE_WARNING_DAYS = 30
SOURCES = {
    "central": "Ngân sách trung ương",
    "province": "Ngân sách tỉnh",
    "city": "Ngân sách thành phố",
    "land": "Nguồn thu tiền sử dụng đất",
    "other": "Nguồn vốn khác",
}


def vn_date(day: date | None) -> str:
    """A date as Vietnamese read it (dd/mm/yyyy), empty when unknown."""
    return day.strftime("%d/%m/%Y") if day else ""


def money_text(million: int, locale: str = "vi", *, signed: bool = False) -> str:
    """Million VND written the page's way, e.g. 12500 -> '12.500 triệu đồng' (English: 'VND 12,500 million');
    `signed` writes the sign of a change (-22400 -> '−22.400 triệu đồng', 5000 -> '+5.000 triệu đồng')."""
    text = numbers.number(abs(million), 0, locale)
    sign = "−" if million < 0 else "+" if signed and million > 0 else ""
    return f"{sign}VND {text} million" if locale == "en" else f"{sign}{text} triệu đồng"


def standard_deadline(year: int) -> date:
    """Last day a year's capital may be disbursed (31 January of the next year, Law 2019 art. 68)."""
    return date(year + 1, 1, 31)


def extended_deadline(year: int) -> date:
    """Last day a year's capital may be disbursed when an extension was allowed (31 December next year)."""
    return date(year + 1, 12, 31)


def counted_payment(year: int) -> Any:
    """The condition that a payment charged to `year` falls within the deadline the law gives it."""
    extended = exists().where(
        CarryOverExtension.project_id == Disbursement.project_id,
        CarryOverExtension.plan_year == Disbursement.plan_year,
    )
    return and_(
        Disbursement.plan_year == year,
        or_(
            Disbursement.paid_on <= standard_deadline(year),
            and_(extended, Disbursement.paid_on <= extended_deadline(year)),
        ),
    )


def _require_project(session: Any, project_id: int) -> Project:
    """The project, or NotFound."""
    project = found_or_404(session.get(Project, project_id), "Không có dự án này.")
    return project


def _positive(field: str, value: int, message: str) -> None:
    """Reject a value that is not above zero."""
    if value <= 0:
        raise ValidationFailed.for_field(field, message)


def _add(db: Database, actor: Actor, row: Base, action: str, project_id: int) -> int:
    """Store one row of a project, audited; returns its id."""
    with UnitOfWork(db, actor) as uow:
        _require_project(uow.session, project_id)
        uow.session.add(row)
        uow.session.flush()
        row_id = int(row.id)  # type: ignore[attr-defined]
        uow.audit(
            f"investment.{action}.create", f"investment_{action}", row_id, after={"project": project_id}
        )
        _refresh_project(uow.session, project_id)
        return row_id


def _latest(session: Any, column: Any, project_id: int, on: Any) -> Any:
    """`column` of the project's latest row by the date `on`, then id (None when it has none)."""
    model = column.class_
    order = (on.desc(), model.id.desc())
    return session.scalar(select(column).where(model.project_id == project_id).order_by(*order).limit(1))


def _refresh_project(session: Any, project_id: int) -> None:
    """The project's total investment from its latest decision and progress from its latest report."""
    project = session.get(Project, project_id)
    total = _latest(session, Decision.total_investment, project_id, Decision.signed_on)
    if total is not None:
        project.total_investment = int(total)
    percent = _latest(session, ProgressReport.percent, project_id, ProgressReport.reported_on)
    if percent is not None:
        project.progress_percent = int(percent)
    if session.get(Settlement, _settlement_id(session, project_id) or 0) is not None:
        project.phase = "settled"


def _settlement_id(session: Any, project_id: int) -> int | None:
    """The id of the project's settlement, if settled."""
    return session.scalar(select(Settlement.id).where(Settlement.project_id == project_id))


def add_decision(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record an approval or adjustment decision; the latest one becomes the total investment."""
    if data.get("kind") not in DECISION_KINDS:
        raise ValidationFailed.for_field("kind", "Loại quyết định phải là phê duyệt hoặc điều chỉnh.")
    _positive("total_investment", int(data["total_investment"]), "Tổng mức đầu tư phải lớn hơn 0.")
    return _add(db, actor, Decision(project_id=project_id, **data), "decision", project_id)


def add_milestone(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Add a step of the schedule with its planned (and maybe actual) date."""
    return _add(db, actor, Milestone(project_id=project_id, **data), "milestone", project_id)


def add_progress(db: Database, *, actor: Actor, project_id: int, reported_on: date, percent: int) -> int:
    """Report physical progress (0–100 %) on a day; the latest report is the project's progress."""
    if not 0 <= percent <= 100:
        raise ValidationFailed.for_field("percent", "Tiến độ phải từ 0 đến 100%.")
    row = ProgressReport(project_id=project_id, reported_on=reported_on, percent=percent)
    return _add(db, actor, row, "progress", project_id)


def add_contract(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record a contract with its contractor, value, dates and guarantees."""
    _positive("value", int(data["value"]), "Giá trị hợp đồng phải lớn hơn 0.")
    if data["ends_on"] < data["signed_on"]:
        raise ValidationFailed.for_field("ends_on", "Ngày kết thúc hợp đồng phải sau ngày ký.")
    return _add(db, actor, Contract(project_id=project_id, **data), "contract", project_id)


def add_delay(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record a delay with its length in days and its reason."""
    _positive("days", int(data["days"]), "Số ngày chậm phải lớn hơn 0.")
    if not str(data.get("reason", "")).strip():
        raise ValidationFailed.for_field("reason", "Cần ghi rõ lý do chậm tiến độ.")
    return _add(db, actor, Delay(project_id=project_id, **data), "delay", project_id)


def add_medium_term(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record a project's capital in a medium-term plan (2021–2025 or 2026–2030) from one source."""
    if data.get("period") not in PERIODS:
        raise ValidationFailed.for_field("period", "Giai đoạn phải là 2021-2025 hoặc 2026-2030.")
    if data.get("source") not in SOURCES:
        raise ValidationFailed.for_field("source", "Nguồn vốn không hợp lệ.")
    _positive("amount", int(data["amount"]), "Số vốn phải lớn hơn 0.")
    return _add(db, actor, MediumTermPlan(project_id=project_id, **data), "medium_term", project_id)


def add_adjustment(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record a change in the year to a project's allocated capital (positive adds, negative cuts)."""
    if data.get("source") not in SOURCES:
        raise ValidationFailed.for_field("source", "Nguồn vốn không hợp lệ.")
    if int(data["amount"]) == 0:
        raise ValidationFailed.for_field("amount", "Số vốn điều chỉnh phải khác 0.")
    with db.session() as session:
        allocated = _allocated(session, project_id, int(data["year"]), str(data["source"]))
    if allocated + int(data["amount"]) < 0:
        raise ValidationFailed.for_field("amount", "Không thể giảm quá số vốn đã giao trong năm.")
    return _add(db, actor, CapitalAdjustment(project_id=project_id, **data), "adjustment", project_id)


def _allocated(session: Any, project_id: int, year: int, source: str) -> int:
    """Capital allocated to a project in a year from a source, with the year's adjustments."""
    plan = session.scalar(
        select(func.coalesce(func.sum(CapitalPlan.amount), 0)).where(
            CapitalPlan.project_id == project_id, CapitalPlan.year == year, CapitalPlan.source == source
        )
    )
    change = session.scalar(
        select(func.coalesce(func.sum(CapitalAdjustment.amount), 0)).where(
            CapitalAdjustment.project_id == project_id,
            CapitalAdjustment.year == year,
            CapitalAdjustment.source == source,
        )
    )
    return int(plan or 0) + int(change or 0)


def allow_extension(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Allow a year's unspent capital to be disbursed until 31 December of the next year."""
    with db.session() as session:
        if session.scalar(
            select(CarryOverExtension.id).where(
                CarryOverExtension.project_id == project_id, CarryOverExtension.plan_year == data["plan_year"]
            )
        ):
            raise ValidationFailed.for_field("plan_year", "Vốn năm này đã được cho phép kéo dài.")
    return _add(db, actor, CarryOverExtension(project_id=project_id, **data), "extension", project_id)


def settle(db: Database, *, actor: Actor, project_id: int, data: dict[str, Any]) -> int:
    """Record the final settlement of a completed project; it moves to the settled phase."""
    _positive("settled_value", int(data["settled_value"]), "Giá trị quyết toán phải lớn hơn 0.")
    with db.session() as session:
        project = _require_project(session, project_id)
        if project.phase not in ("completed", "settled") or _settlement_id(session, project_id):
            raise ValidationFailed.for_field("project", "Chỉ quyết toán một lần, khi dự án đã hoàn thành.")
    return _add(db, actor, Settlement(project_id=project_id, **data), "settlement", project_id)


def _rows(session: Any, query: Select[Any]) -> list[Any]:
    """All rows of a query."""
    return list(session.scalars(query))


def decision_item(row: Decision) -> dict[str, Any]:
    """A decision in words."""
    return {
        "id": row.id,
        "kind": row.kind,
        "kind_name": DECISION_KINDS[row.kind],
        "number": row.number,
        "signed_on": row.signed_on.isoformat(),
        "signed_on_text": vn_date(row.signed_on),
        "signer": row.signer,
        "total_investment": row.total_investment,
        "total_investment_text": money_text(row.total_investment),
    }


def milestone_item(row: Milestone, today: date) -> dict[str, Any]:
    """A milestone with whether it is late."""
    late = (row.actual_on is None and row.planned_on < today) or bool(
        row.actual_on and row.actual_on > row.planned_on
    )
    return {
        "id": row.id,
        "name": row.name,
        "planned_on": row.planned_on.isoformat(),
        "actual_on": row.actual_on.isoformat() if row.actual_on else None,
        "planned_on_text": vn_date(row.planned_on),
        "actual_on_text": vn_date(row.actual_on) or "Chưa đạt",
        "late": late,
    }


def guarantee_state(until: date | None, today: date) -> str:
    """A guarantee's state in words: expired, expiring within 30 days, valid, or none."""
    if until is None:
        return "Không có"
    if until < today:
        return "Đã hết hạn"
    if until <= today + timedelta(days=GUARANTEE_WARNING_DAYS):
        return "Sắp hết hạn"
    return "Còn hiệu lực"


def contract_item(row: Contract, today: date) -> dict[str, Any]:
    """A contract with its guarantees' states."""
    return {
        "id": row.id,
        "number": row.number,
        "contractor": row.contractor,
        "value": row.value,
        "value_text": money_text(row.value),
        "signed_on": row.signed_on.isoformat(),
        "ends_on": row.ends_on.isoformat(),
        "signed_on_text": vn_date(row.signed_on),
        "ends_on_text": vn_date(row.ends_on),
        "performance_guarantee": row.performance_guarantee,
        "performance_guarantee_until": vn_date(row.performance_guarantee_until),
        "performance_guarantee_state": guarantee_state(row.performance_guarantee_until, today),
        "advance_guarantee": row.advance_guarantee,
        "advance_guarantee_until": vn_date(row.advance_guarantee_until),
        "advance_guarantee_state": guarantee_state(row.advance_guarantee_until, today),
    }


def delay_item(row: Delay) -> dict[str, Any]:
    """A delay in words."""
    return {
        "id": row.id,
        "reported_on": row.reported_on.isoformat(),
        "reported_on_text": vn_date(row.reported_on),
        "days": row.days,
        "reason": row.reason,
    }


LISTS = {
    "decisions": (Decision, Decision.signed_on),
    "milestones": (Milestone, Milestone.planned_on),
    "progress": (ProgressReport, ProgressReport.reported_on),
    "contracts": (Contract, Contract.signed_on),
    "delays": (Delay, Delay.reported_on),
    "medium-term": (MediumTermPlan, MediumTermPlan.period),
    "adjustments": (CapitalAdjustment, CapitalAdjustment.decided_on),
}


def _item(kind: str, row: Any, today: date) -> dict[str, Any]:
    """One row of a project's list in words."""
    if kind == "decisions":
        return decision_item(row)
    if kind == "milestones":
        return milestone_item(row, today)
    if kind == "contracts":
        return contract_item(row, today)
    if kind == "delays":
        return delay_item(row)
    if kind == "progress":
        return {
            "reported_on": row.reported_on.isoformat(),
            "reported_on_text": vn_date(row.reported_on),
            "percent": row.percent,
        }
    if kind == "medium-term":
        return {
            "period": row.period,
            "source": row.source,
            "source_name": SOURCES[row.source],
            "amount": row.amount,
        }
    return {
        "year": row.year,
        "source": row.source,
        "source_name": SOURCES[row.source],
        "amount": row.amount,
        "decided_on": row.decided_on.isoformat(),
        "decided_on_text": vn_date(row.decided_on),
        "reason": row.reason,
    }


def project_list(
    db: Database, *, kind: str, project_id: int, today: date, paging: PageParams | None = None
) -> Page[dict[str, Any]]:
    """One of a project's lists (decisions, milestones, progress, contracts, delays...), oldest first."""
    model, order = LISTS[kind]
    paging = paging or PageParams(limit=500)
    with db.session() as session:
        _require_project(session, project_id)
        where = model.project_id == project_id  # type: ignore[attr-defined]
        total = session.scalar(select(func.count()).select_from(model).where(where)) or 0
        rows = _rows(
            session,
            select(model).where(where).order_by(order, model.id).limit(paging.limit).offset(paging.offset),  # type: ignore[attr-defined]
        )
        items = [_item(kind, row, today) for row in rows]
    return Page.of(items, total=int(total), paging=paging)


def settlement_of(db: Database, *, project_id: int) -> dict[str, Any] | None:
    """The project's final settlement in words, None if not settled."""
    with db.session() as session:
        row = session.scalar(select(Settlement).where(Settlement.project_id == project_id))
        if row is None:
            return None
        return {
            "settled_value": row.settled_value,
            "settled_value_text": money_text(row.settled_value),
            "settled_on": row.settled_on.isoformat(),
            "settled_on_text": vn_date(row.settled_on),
            "decision_number": row.decision_number,
        }


def carry_over(db: Database, *, project_id: int, today: date) -> list[dict[str, Any]]:
    """Per plan year: allocated (with adjustments), paid within the law's deadline, and what is left."""
    with db.session() as session:
        years = sorted(
            set(session.scalars(select(CapitalPlan.year).where(CapitalPlan.project_id == project_id)))
            | set(
                session.scalars(
                    select(CapitalAdjustment.year).where(CapitalAdjustment.project_id == project_id)
                )
            )
        )
        extended = set(
            session.scalars(
                select(CarryOverExtension.plan_year).where(CarryOverExtension.project_id == project_id)
            )
        )
        rows = []
        for year in years:
            allocated = sum(_allocated(session, project_id, year, source) for source in SOURCES)
            paid = session.scalar(
                select(func.coalesce(func.sum(Disbursement.amount), 0)).where(
                    Disbursement.project_id == project_id, counted_payment(year)
                )
            )
            deadline = extended_deadline(year) if year in extended else standard_deadline(year)
            left = max(0, allocated - int(paid or 0))
            rows.append(
                {
                    "year": year,
                    "allocated": allocated,
                    "disbursed": int(paid or 0),
                    "left": left,
                    "deadline": deadline.isoformat(),
                    "deadline_text": vn_date(deadline),
                    "extended": year in extended,
                    "lapsed": left if today > deadline else 0,
                }
            )
    return rows


def at_risk(db: Database, *, today: date, locale: str = "vi") -> list[dict[str, Any]]:
    """Projects under way at risk, each with its reasons (in the page's `locale`): expired schedule, late
    milestones, guarantees, capital past its deadline."""
    _ = get_translations(locale, "investment").gettext
    soon = today + timedelta(days=GUARANTEE_WARNING_DAYS)
    reasons: dict[int, list[str]] = {}
    with db.session() as session:
        live = select(Project.id).where(Project.phase.in_(("preparation", "implementation")))
        for pid, end in session.execute(
            select(Project.id, Project.expected_end).where(Project.id.in_(live), Project.expected_end < today)
        ):
            reasons.setdefault(pid, []).append(_("Quá hạn hoàn thành từ %(date)s") % {"date": vn_date(end)})
        for pid, name, planned in session.execute(
            select(Milestone.project_id, Milestone.name, Milestone.planned_on).where(
                Milestone.project_id.in_(live), Milestone.actual_on.is_(None), Milestone.planned_on < today
            )
        ):
            late = _("Mốc «%(name)s» trễ hạn (%(date)s)") % {"name": name, "date": vn_date(planned)}
            reasons.setdefault(pid, []).append(late)
        for contract in session.scalars(select(Contract).where(Contract.project_id.in_(live))):
            for label, until in (
                ("bảo lãnh thực hiện hợp đồng", contract.performance_guarantee_until),
                ("bảo lãnh tạm ứng", contract.advance_guarantee_until),
            ):
                if until is not None and until <= soon and contract.ends_on >= today - timedelta(days=365):
                    state = _("đã hết hạn") if until < today else _("sắp hết hạn")
                    words = {"number": contract.number, "label": _(label), "state": state}
                    words["date"] = vn_date(until)
                    reasons.setdefault(contract.project_id, []).append(
                        _("Hợp đồng %(number)s: %(label)s %(state)s (%(date)s)") % words
                    )
        live_ids = list(session.scalars(live))
    for pid in live_ids:
        for row in carry_over(db, project_id=pid, today=today):
            if row["lapsed"]:
                lapsed = _("Vốn năm %(year)s còn %(amount)s quá hạn giải ngân (%(date)s)") % {
                    "year": row["year"],
                    "amount": money_text(row["lapsed"], locale),
                    "date": row["deadline_text"],
                }
                reasons.setdefault(pid, []).append(lapsed)
    with db.session() as session:
        projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(list(reasons))))}
    return [
        {"id": pid, "code": projects[pid].code, "name": projects[pid].name, "reasons": reasons[pid]}
        for pid in sorted(projects, key=lambda p: projects[p].code)
    ]


XLSX_COLUMNS = {
    "decisions": [
        ("kind_name", "Loại quyết định"),
        ("number", "Số quyết định"),
        ("signed_on_text", "Ngày ký"),
        ("signer", "Người ký"),
        ("total_investment", "Tổng mức đầu tư (triệu đồng)"),
    ],
    "milestones": [
        ("name", "Mốc tiến độ"),
        ("planned_on_text", "Ngày kế hoạch"),
        ("actual_on_text", "Ngày thực tế"),
    ],
    "progress": [("reported_on_text", "Ngày báo cáo"), ("percent", "Khối lượng hoàn thành (%)")],
    "contracts": [
        ("number", "Số hợp đồng"),
        ("contractor", "Nhà thầu"),
        ("value", "Giá trị (triệu đồng)"),
        ("signed_on_text", "Ngày ký"),
        ("ends_on_text", "Ngày kết thúc"),
        ("performance_guarantee_until", "Bảo lãnh thực hiện đến"),
        ("performance_guarantee_state", "Tình trạng bảo lãnh thực hiện"),
        ("advance_guarantee_until", "Bảo lãnh tạm ứng đến"),
        ("advance_guarantee_state", "Tình trạng bảo lãnh tạm ứng"),
    ],
    "delays": [("reported_on_text", "Ngày ghi nhận"), ("days", "Số ngày chậm"), ("reason", "Lý do")],
    "medium-term": [("period", "Giai đoạn"), ("source_name", "Nguồn vốn"), ("amount", "Số vốn (triệu đồng)")],
    "adjustments": [
        ("year", "Năm"),
        ("source_name", "Nguồn vốn"),
        ("amount", "Điều chỉnh (triệu đồng)"),
        ("decided_on_text", "Ngày quyết định"),
        ("reason", "Lý do"),
    ],
}
