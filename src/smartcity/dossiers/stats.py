"""Statistics of the one-stop shop: received, finished early/on time/late, open within time/overdue,
online share, online payments, satisfaction — by procedure, field, unit and month; XLSX export."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Date, String, and_, case, cast, func, literal, not_, or_, select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import ValidationFailed
from smartcity.dossiers import deadlines
from smartcity.dossiers.models import Dossier, DossierRating
from smartcity.dossiers.service import calendar_for
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
    if dossier.state in FINISHED and dossier.finished_at is not None:
        return deadlines.finished_status(dossier.due_date, calendar.local_date(dossier.finished_at))
    if dossier.state in OPEN and dossier.due_date is not None:
        overdue = dossier.state != SUPPLEMENT and today > dossier.due_date
        return "open_overdue" if overdue else "open_within"
    return None


def _local(column: Any, zone: Any, dialect: str) -> Any:
    """`column` (a UTC timestamp) as a local timestamp of `zone`, computed by the database."""
    if dialect == "postgresql":
        return func.timezone(getattr(zone, "key", str(zone)), column)
    # SQLite keeps UTC text: shift by the zone's offset (Asia/Ho_Chi_Minh has had no DST since 1975).
    offset = utcnow().astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.datetime(column, f"{minutes:+d} minutes")


def _group_key(by: str, zone: Any, dialect: str) -> Any:
    if by == "procedure":
        return Dossier.procedure_code
    if by == "field":
        return Dossier.field_code
    if by == "unit":
        return Dossier.processing_unit
    if by == "month":
        local = _local(Dossier.submitted_at, zone, dialect)
        if dialect == "postgresql":
            return func.to_char(local, "YYYY-MM")
        return func.strftime("%Y-%m", local)
    return literal("all", String)


def _counters(zone: Any, dialect: str, today: date) -> list[Any]:
    """One SUM(CASE ...) per counter, in the order of COUNTERS (the rules of `_classify`, in SQL)."""
    local_finish = _local(Dossier.finished_at, zone, dialect)
    finished_on: Any = cast(local_finish, Date) if dialect == "postgresql" else func.date(local_finish)
    finished = and_(Dossier.state.in_(FINISHED), Dossier.finished_at.is_not(None))
    is_open = and_(Dossier.state.in_(OPEN), Dossier.due_date.is_not(None))
    overdue = and_(Dossier.state != SUPPLEMENT, Dossier.due_date < literal(today, Date))
    conditions = {
        "early": and_(finished, Dossier.due_date.is_not(None), finished_on < Dossier.due_date),
        "on_time": and_(finished, or_(Dossier.due_date.is_(None), finished_on == Dossier.due_date)),
        "late": and_(finished, Dossier.due_date.is_not(None), finished_on > Dossier.due_date),
        "open_within": and_(is_open, not_(overdue)),
        "open_overdue": and_(is_open, overdue),
        "online": Dossier.channel == "online",
        "paid_online": Dossier.paid_online.is_(True),
        "rated": DossierRating.overall.is_not(None),
        "satisfied": DossierRating.overall >= 2,
    }
    sums: list[Any] = [func.count()]
    sums += [func.sum(case((conditions[name], 1), else_=0)) for name in COUNTERS[1:]]
    return sums


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

    One grouped query: the cost is a scan of the period's dossiers in the database, no row reaches Python.
    """
    if by not in GROUPS:
        raise ValidationFailed.for_field("by", f"one of {', '.join(GROUPS)}")
    calendar = calendar_for(db, settings)
    today = today or calendar.local_date(utcnow())
    key = _group_key(by, calendar.zone, db.dialect).label("key")
    query = (
        select(key, *_counters(calendar.zone, db.dialect, today))
        .select_from(Dossier)
        .outerjoin(DossierRating, DossierRating.dossier_id == Dossier.id)
        .group_by(key)
    )
    if date_from:
        query = query.where(Dossier.submitted_at >= datetime.combine(date_from, time.min, calendar.zone))
    if date_to:
        query = query.where(Dossier.submitted_at <= datetime.combine(date_to, time.max, calendar.zone))
    with db.session() as s:
        rows = {
            str(row[0]): dict(zip(COUNTERS, (int(v or 0) for v in row[1:]), strict=True))
            for row in s.execute(query)
        }
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
