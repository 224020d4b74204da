"""Statistics of the one-stop shop: received, finished early/on time/late, open within time/overdue,
online share, online payments, satisfaction — by procedure, field, unit and month; XLSX export."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, String, case, func, literal, select

from smartcity.city import service as city
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import ValidationFailed
from smartcity.dossiers import deadlines
from smartcity.dossiers.models import Dossier, DossierDailyCount, DossierMonthlyCount, DossierOpenCount
from smartcity.dossiers.states import FINISHED, OPEN, SUPPLEMENT

GROUPS = ("procedure", "field", "unit", "month", "all")
COUNTERS = (
    "received",
    "early",
    "on_time",
    "late",
    "open_within",
    "open_overdue",
    "online",
    "paid_online",
    "rated",
    "satisfied",
)
SUMMED = tuple(name for name in COUNTERS if name not in ("open_within", "open_overdue"))
Period = tuple[date | None, date | None]
HEADERS_VI = {
    "key": "Nhóm",
    "received": "Tiếp nhận",
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
    "open_within": "Đang giải quyết trong hạn",
    "open_overdue": "Đang giải quyết quá hạn",
    "online": "Trực tuyến",
    "paid_online": "Đã thanh toán trực tuyến",
    "rated": "Lượt đánh giá",
    "satisfied": "Hài lòng trở lên",
    "online_share": "Tỷ lệ trực tuyến",
    "on_time_share": "Tỷ lệ đúng hạn",
    "satisfied_share": "Tỷ lệ hài lòng",
}


def _classify(dossier: Dossier, calendar: Any, today: date) -> str | None:
    """The per-dossier rule behind the finished and open counters (the summary keeps them in SQL)."""
    if dossier.state in FINISHED and dossier.finished_at is not None:
        return deadlines.finished_status(dossier.due_date, calendar.local_date(dossier.finished_at))
    if dossier.state in OPEN and dossier.due_date is not None:
        overdue = dossier.state != SUPPLEMENT and today > dossier.due_date
        return "open_overdue" if overdue else "open_within"
    return None


def _group_key(by: str, table: Any, dialect: str) -> Any:
    if by == "procedure":
        return table.procedure_code
    if by == "field":
        return table.field_code
    if by == "unit":
        return table.unit
    if by == "month":
        return _month_of(table.month if table is DossierMonthlyCount else table.day, dialect)
    return literal("all", String)


def _in_period(query: Any, column: Any, date_from: date | None, date_to: date | None) -> Any:
    if date_from:
        query = query.where(column >= date_from)
    if date_to:
        query = query.where(column <= date_to)
    return query


def _month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _split(date_from: date | None, date_to: date | None) -> tuple[Period | None, list[Period]]:
    """The whole months of the period (their first days, read monthly) and the days at its edges."""
    first = date_from if date_from is None or date_from.day == 1 else _month_after(date_from)
    last = None
    if date_to is not None:
        ends_a_month = (date_to + timedelta(days=1)).day == 1
        last = (
            date_to.replace(day=1)
            if ends_a_month
            else (date_to.replace(day=1) - timedelta(days=1)).replace(day=1)
        )
    if first is not None and last is not None and first > last:
        return None, [(date_from, date_to)]
    edges: list[Period] = []
    if date_from is not None and first is not None and first != date_from:
        edges.append((date_from, first - timedelta(days=1)))
    if date_to is not None and last is not None and _month_after(last) - timedelta(days=1) != date_to:
        edges.append((_month_after(last), date_to))
    return (first, last), edges


def _counted_queries(by: str, dialect: str, date_from: date | None, date_to: date | None) -> list[Any]:
    """Received, finished, online, paid and rated counts per group: whole months, then the edge days."""
    months, edges = _split(date_from, date_to)
    queries = []
    parts: list[tuple[Any, Any, Period | None]] = [(DossierMonthlyCount, DossierMonthlyCount.month, months)]
    parts += [(DossierDailyCount, DossierDailyCount.day, edge) for edge in edges]
    for table, first, period in parts:
        if period is None:
            continue
        key = _group_key(by, table, dialect).label("key")
        sums = [func.sum(getattr(table, name)) for name in SUMMED]
        queries.append(_in_period(select(key, *sums).group_by(key), first, *period))
    return queries


def _month_of(day: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.to_char(day, "YYYY-MM")
    return func.strftime("%Y-%m", day)


def _open_query(by: str, dialect: str, date_from: date | None, date_to: date | None, today: date) -> Any:
    """Open dossiers within their time and overdue per group: running ones due before today are overdue.

    By month, the rows are summed by day first: naming the month of a few hundred days, not of every row."""
    table = DossierOpenCount
    overdue = func.sum(case((table.due_date < literal(today, Date), table.running), else_=0))
    within = func.sum(table.paused + case((table.due_date >= literal(today, Date), table.running), else_=0))
    if by == "month":
        by_day = select(table.day, within.label("within"), overdue.label("overdue")).group_by(table.day)
        days = _in_period(by_day, table.day, date_from, date_to).subquery()
        month = _month_of(days.c.day, dialect).label("key")
        return select(month, func.sum(days.c.within), func.sum(days.c.overdue)).group_by(month)
    key = _group_key(by, table, dialect).label("key")
    query = select(key, within, overdue).group_by(key)
    return _in_period(query, table.day, date_from, date_to)


def statistics(
    db: Database,
    *,
    settings: Settings,
    by: str = "procedure",
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """One row of counts and shares per group, for dossiers submitted in the period (local dates).

    Read from the summary kept with every change of a dossier (`dossiers.summary`): monthly rows for the
    whole months of the period, daily rows for its edges, open dossiers by due date; however many
    dossiers there are.
    """
    if by not in GROUPS:
        raise ValidationFailed.for_field("by", f"one of {', '.join(GROUPS)}")
    if today is None:
        today = city.working_calendar(db, settings=settings).local_date(utcnow())
    rows: dict[str, dict[str, int]] = {}
    with db.session() as s:
        for query in _counted_queries(by, db.dialect, date_from, date_to):
            for row in s.execute(query):
                counts = rows.setdefault(str(row[0]), dict.fromkeys(COUNTERS, 0))
                for name, value in zip(SUMMED, row[1:], strict=True):
                    counts[name] += int(value or 0)
        for key, within, overdue in s.execute(_open_query(by, db.dialect, date_from, date_to, today)):
            counts = rows.setdefault(str(key), dict.fromkeys(COUNTERS, 0))
            counts["open_within"], counts["open_overdue"] = int(within or 0), int(overdue or 0)
    return [_with_shares(key, counts) for key, counts in sorted(rows.items())]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _with_shares(key: str, counts: dict[str, int]) -> dict[str, Any]:
    finished = counts["early"] + counts["on_time"] + counts["late"]
    return {
        "key": key,
        **counts,
        "online_share": _share(counts["online"], counts["received"]),
        "on_time_share": _share(counts["early"] + counts["on_time"], finished),
        "satisfied_share": _share(counts["satisfied"], counts["rated"]),
    }


def statistics_xlsx(rows: list[dict[str, Any]], *, title: str) -> bytes:
    """The statistics as an XLSX workbook with Vietnamese headers."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Thống kê"
    sheet.append([title])
    columns = list(HEADERS_VI)
    sheet.append([HEADERS_VI[c] for c in columns])
    for row in rows:
        sheet.append([row.get(c) for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
