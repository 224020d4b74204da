"""Indicators the feedback domain offers the operations centre (contract: smartcity.core.kpis.Indicator)."""

from __future__ import annotations

import statistics as pystats
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, by_ward, per_ward
from smartcity.feedback.models import Report
from smartcity.feedback.service import OPEN_STATUSES
from smartcity.feedback.stats import SATISFIED


@dataclass
class _Tally:
    """What one ward's (or the city's) reports of the period add up to."""

    total: int = 0
    resolved: int = 0
    within: int = 0
    days_to_resolve: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)


def _tallies(db: Database, ctx: KpiContext) -> dict[str | None, _Tally]:
    """Tallies by ward code of record (and None for the city) over reports submitted in [start, end)."""
    query = select(
        Report.ward_code,
        Report.status,
        Report.submitted_at,
        Report.resolved_at,
        Report.deadline_at,
        Report.rating,
    ).where(Report.submitted_at >= ctx.start, Report.submitted_at < ctx.end, Report.status != "merged")
    with db.session() as s:
        rows = s.execute(query).all()
    return by_ward(rows, lambda row: row.ward_code, lambda tally, row: _add(tally, row, ctx), _Tally)


def _add(tally: _Tally, row: Any, ctx: KpiContext) -> None:
    tally.total += 1
    resolved_at, deadline_at = row.resolved_at, row.deadline_at
    if resolved_at is not None:
        tally.resolved += 1
        tally.within += deadline_at is None or resolved_at <= deadline_at
        tally.days_to_resolve.append(max((resolved_at - row.submitted_at).total_seconds(), 0) / 86400)
    if row.rating is not None:
        tally.ratings.append(row.rating)


@dataclass
class _Count:
    """How many rows of one ward (or of the city)."""

    n: int = 0

    def add(self, _row: object) -> None:
        """Count one more."""
        self.n += 1


def _open_past_deadline(db: Database, ctx: KpiContext) -> dict[str | None, _Count]:
    """By ward code (and None for the city): reports still open at the period's end (now, for the period
    under way), whatever day they came in, whose deadline had passed by then."""
    at = min(ctx.end, clock.now())
    still_open = or_(
        and_(Report.resolved_at.is_(None), Report.status.in_(OPEN_STATUSES)), Report.resolved_at >= at
    )
    query = select(Report.ward_code).where(Report.submitted_at < at, Report.deadline_at < at, still_open)
    with db.session() as s:
        rows = s.execute(query).all()
    return by_ward(
        rows, lambda row: row.ward_code, lambda count, _row: setattr(count, "n", count.n + 1), _Count
    )


def _kpi(pick: Callable[[_Tally], KpiValue]) -> Callable[[Database, KpiContext], list[KpiValue]]:
    return per_ward(_tallies, pick, pick(_Tally()))


INDICATORS: list[Indicator] = [
    Indicator(
        code="feedback.reports",
        name_vi="Số phản ánh tiếp nhận",
        name_en="Citizen reports received",
        unit="count",
        formula_vi="số phản ánh gửi trong kỳ (không tính phản ánh trùng đã gộp)",
        formula_en="reports submitted in the period (duplicates merged into another not counted)",
        direction="down",
        compute=_kpi(lambda t: KpiValue(float(t.total))),
        accumulates=True,
    ),
    Indicator(
        code="feedback.share_within_deadline",
        name_vi="Tỷ lệ phản ánh xử lý đúng hạn",
        name_en="Reports resolved on time",
        unit="%",
        formula_vi="phản ánh đã xử lý trong hạn / phản ánh đã xử lý × 100",
        formula_en="reports resolved within their deadline / reports resolved × 100",
        direction="up",
        compute=_kpi(lambda t: KpiValue.share(t.within, t.resolved)),
        target=95.0,
        thresholds=(80.0, 90.0),
    ),
    Indicator(
        code="feedback.mean_days_to_resolve",
        name_vi="Thời gian xử lý phản ánh trung bình",
        name_en="Average response time to non-emergency reports",
        unit="days",
        formula_vi="trung bình (thời điểm xử lý xong − thời điểm gửi), tính theo ngày",
        formula_en="average of (time resolved − time submitted), in days",
        direction="down",
        compute=_kpi(
            lambda t: KpiValue(
                round(pystats.fmean(t.days_to_resolve), 2) if t.days_to_resolve else None,
                denominator=float(t.resolved),
            )
        ),
        target=3.0,
        iso_reference="ISO 37122:2019, 10.3",
        thresholds=(5.0, 7.0),
    ),
    Indicator(
        code="feedback.share_satisfied",
        name_vi="Tỷ lệ người phản ánh hài lòng",
        name_en="Reporters satisfied with the resolution",
        unit="%",
        formula_vi="đánh giá hài lòng hoặc rất hài lòng / số đánh giá × 100",
        formula_en="ratings “satisfied” or “very satisfied” / all ratings × 100",
        direction="up",
        compute=_kpi(lambda t: KpiValue.share(sum(r in SATISFIED for r in t.ratings), len(t.ratings))),
        target=90.0,
        thresholds=(70.0, 80.0),
    ),
    Indicator(
        code="feedback.overdue_open",
        name_vi="Phản ánh đang quá hạn",
        name_en="Open reports past their deadline",
        unit="count",
        formula_vi="phản ánh chưa xử lý xong vào cuối kỳ (lúc này, với kỳ đang diễn ra) mà đã quá hạn, "
        "gửi vào bất kỳ ngày nào",
        formula_en="reports not yet resolved at the end of the period (now, for the period under way) and "
        "past their deadline by then, whenever they were submitted",
        direction="down",
        compute=per_ward(_open_past_deadline, lambda count: KpiValue(float(count.n)), KpiValue(0.0)),
        target=0.0,
        thresholds=(5.0, 20.0),
    ),
]
