"""Statistics of reports for a period: volumes, time to accept and resolve, deadlines, satisfaction."""

from __future__ import annotations

import statistics as pystats
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.db import Database, utcnow
from smartcity.feedback.models import Category, Report
from smartcity.feedback.schemas import CHANNELS, Breakdown, StatsRead
from smartcity.feedback.service import CHANNEL_NAMES, OPEN_STATUSES, STATUS_NAMES

SATISFIED = (2, 3)


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds() / 3600.0, 0.0)


def _breakdown(counts: Counter[str], labels: dict[str, str]) -> list[Breakdown]:
    return [
        Breakdown(key=k, label=labels.get(k, k), count=n)
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _mean(values: list[float]) -> float | None:
    return round(pystats.fmean(values), 2) if values else None


def _median(values: list[float]) -> float | None:
    return round(pystats.median(values), 2) if values else None


def report_statistics(
    db: Database,
    *,
    start: datetime,
    end: datetime,
    timezone: str | None = None,
    category_code: str | None = None,
    unit_code: str | None = None,
) -> StatsRead:
    """Figures over reports submitted in [start, end] (merged duplicates are not counted twice)."""
    zone = ZoneInfo(timezone) if timezone else clock.city_zone()
    query = select(
        Report.category_code,
        Report.channel,
        Report.ward_code,
        Report.ward_name,
        Report.status,
        Report.submitted_at,
        Report.accepted_at,
        Report.resolved_at,
        Report.deadline_at,
        Report.rating,
    ).where(Report.submitted_at >= start, Report.submitted_at <= end, Report.status != "merged")
    if category_code:
        query = query.where(Report.category_code == category_code)
    if unit_code:
        query = query.where(Report.unit_code == unit_code)
    with db.session() as s:
        rows = s.execute(query).all()
        categories = {c: n for c, n in s.execute(select(Category.code, Category.name))}
    now = utcnow()
    by = {name: Counter[str]() for name in ("category", "channel", "ward", "status", "month")}
    ward_names: dict[str, str] = {}
    to_accept, to_resolve, ratings = [], [], []
    within = overdue_open = 0
    for row in rows:
        by["category"][row.category_code] += 1
        by["channel"][row.channel] += 1
        ward = row.ward_code or "-"
        ward_names[ward] = row.ward_name or "Không xác định"
        by["ward"][ward] += 1
        by["status"][row.status] += 1
        by["month"][row.submitted_at.astimezone(zone).strftime("%Y-%m")] += 1
        if (hours := _hours(row.submitted_at, row.accepted_at)) is not None:
            to_accept.append(hours)
        if (hours := _hours(row.submitted_at, row.resolved_at)) is not None:
            to_resolve.append(hours)
            if row.deadline_at is None or row.resolved_at <= row.deadline_at:
                within += 1
        elif row.status in OPEN_STATUSES and row.deadline_at is not None and row.deadline_at < now:
            overdue_open += 1
        if row.rating is not None:
            ratings.append(row.rating)
    return StatsRead(
        start=start,
        end=end,
        total=len(rows),
        by_category=_breakdown(by["category"], categories),
        by_channel=_breakdown(by["channel"], {c: CHANNEL_NAMES.get(c, c) for c in CHANNELS}),
        by_ward=_breakdown(by["ward"], ward_names),
        by_status=_breakdown(by["status"], STATUS_NAMES),
        by_month=sorted(_breakdown(by["month"], {}), key=lambda b: b.key),
        accepted=len(to_accept),
        resolved=len(to_resolve),
        mean_hours_to_accept=_mean(to_accept),
        median_hours_to_accept=_median(to_accept),
        mean_hours_to_resolve=_mean(to_resolve),
        median_hours_to_resolve=_median(to_resolve),
        resolved_within_deadline=within,
        share_within_deadline=round(within / len(to_resolve), 4) if to_resolve else None,
        overdue_open=overdue_open,
        rated=len(ratings),
        mean_rating=_mean([float(r) for r in ratings]),
        share_satisfied=round(sum(r in SATISFIED for r in ratings) / len(ratings), 4) if ratings else None,
    )
