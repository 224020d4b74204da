"""Indicators the feedback domain offers the operations centre (ISO 37122-style response times)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from smartcity.core.db import Database
from smartcity.feedback.stats import report_statistics


@dataclass(frozen=True)
class KpiValue:
    """One indicator for a period: value, unit, numerator/denominator and which direction is good."""

    code: str
    name: str
    value: float | None
    unit: str
    numerator: float | None
    denominator: float | None
    higher_is_better: bool
    period_start: datetime
    period_end: datetime


def _kpi(
    code: str,
    name: str,
    unit: str,
    higher: bool,
    pick: Callable[..., tuple[float | None, float | None, float | None]],
) -> Callable[..., KpiValue]:
    def compute(db: Database, *, start: datetime, end: datetime) -> KpiValue:
        stats = report_statistics(db, start=start, end=end)
        value, numerator, denominator = pick(stats)
        return KpiValue(code, name, value, unit, numerator, denominator, higher, start, end)

    compute.__doc__ = f"{name} for reports submitted between start and end."
    return compute


KPIS: dict[str, Callable[..., KpiValue]] = {
    "feedback.reports": _kpi(
        "feedback.reports",
        "Số phản ánh tiếp nhận",
        "reports",
        False,
        lambda s: (float(s.total), float(s.total), None),
    ),
    "feedback.share_within_deadline": _kpi(
        "feedback.share_within_deadline",
        "Tỷ lệ phản ánh xử lý đúng hạn",
        "%",
        True,
        lambda s: (
            None if s.share_within_deadline is None else round(100 * s.share_within_deadline, 2),
            float(s.resolved_within_deadline),
            float(s.resolved),
        ),
    ),
    "feedback.mean_days_to_resolve": _kpi(
        "feedback.mean_days_to_resolve",
        "Thời gian xử lý trung bình (ISO 37122 non-emergency response)",
        "days",
        False,
        lambda s: (
            None if s.mean_hours_to_resolve is None else round(s.mean_hours_to_resolve / 24, 2),
            None,
            float(s.resolved),
        ),
    ),
    "feedback.mean_hours_to_accept": _kpi(
        "feedback.mean_hours_to_accept",
        "Thời gian tiếp nhận trung bình",
        "hours",
        False,
        lambda s: (s.mean_hours_to_accept, None, float(s.accepted)),
    ),
    "feedback.share_satisfied": _kpi(
        "feedback.share_satisfied",
        "Tỷ lệ người phản ánh hài lòng",
        "%",
        True,
        lambda s: (
            None if s.share_satisfied is None else round(100 * s.share_satisfied, 2),
            None,
            float(s.rated),
        ),
    ),
    "feedback.overdue_open": _kpi(
        "feedback.overdue_open",
        "Phản ánh đang quá hạn",
        "reports",
        False,
        lambda s: (float(s.overdue_open), None, None),
    ),
}
