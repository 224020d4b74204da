"""Statistics of the one-stop shop: received, finished early/on time/late, open within time/overdue,
online share, online payments, satisfaction — by procedure, field, unit and month; XLSX export."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

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


def _key(dossier: Dossier, by: str, zone: Any) -> str:
    if by == "procedure":
        return dossier.procedure_code
    if by == "field":
        return dossier.field_code
    if by == "unit":
        return dossier.processing_unit
    if by == "month":
        return dossier.submitted_at.astimezone(zone).strftime("%Y-%m")
    return "all"


def _classify(dossier: Dossier, calendar: Any, today: date) -> str | None:
    if dossier.state in FINISHED and dossier.finished_at is not None:
        return deadlines.finished_status(dossier.due_date, calendar.local_date(dossier.finished_at))
    if dossier.state in OPEN and dossier.due_date is not None:
        overdue = dossier.state != SUPPLEMENT and today > dossier.due_date
        return "open_overdue" if overdue else "open_within"
    return None


def statistics(
    db: Database,
    *,
    settings: Settings,
    by: str = "procedure",
    date_from: date | None = None,
    date_to: date | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """One row of counts and shares per group, for dossiers submitted in the period (local dates)."""
    if by not in GROUPS:
        raise ValidationFailed.for_field("by", f"one of {', '.join(GROUPS)}")
    calendar = calendar_for(db, settings)
    today = today or calendar.local_date(utcnow())
    query = select(Dossier)
    if date_from:
        query = query.where(Dossier.submitted_at >= datetime.combine(date_from, time.min, calendar.zone))
    if date_to:
        query = query.where(Dossier.submitted_at <= datetime.combine(date_to, time.max, calendar.zone))
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    with db.session() as s:
        ratings = dict(s.execute(select(DossierRating.dossier_id, DossierRating.overall)).all())
        for dossier in s.scalars(query):
            row = rows[_key(dossier, by, calendar.zone)]
            row["received"] += 1
            row["online"] += dossier.channel == "online"
            row["paid_online"] += bool(dossier.paid_online)
            status = _classify(dossier, calendar, today)
            if status:
                row[status] += 1
            if dossier.id in ratings:
                row["rated"] += 1
                row["satisfied"] += ratings[dossier.id] >= 2
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
