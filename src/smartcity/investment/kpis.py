"""Indicators of public investment for the operations centre."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue
from smartcity.investment import service


def _rate(db: Database, context: KpiContext) -> list[KpiValue]:
    """This year's disbursed capital over the year's plan, for the city."""
    rate = service.disbursement_rate(db, year=context.on.year)
    return [
        KpiValue(rate.percent if rate.planned else None, numerator=rate.disbursed, denominator=rate.planned)
    ]


def _on_schedule(db: Database, context: KpiContext) -> list[KpiValue]:
    """Projects under way still within their expected end, in percent."""
    within, total = service.schedule_counts(db, on=context.on)
    return [KpiValue.share(within, total, digits=1)]


INDICATORS: list[Indicator] = [
    Indicator(
        code="investment.disbursement_rate",
        name_vi="Tỷ lệ giải ngân vốn đầu tư công năm nay",
        name_en="Public investment disbursement rate this year",
        unit="%",
        formula_vi="Vốn năm nay đã giải ngân trong hạn / vốn được giao năm nay (kế hoạch, điều chỉnh) × 100",
        formula_en="This year's capital disbursed on time "
        "/ capital allocated this year (plan, adjustments) × 100",
        direction="up",
        compute=_rate,
        target=95.0,
    ),
    Indicator(
        code="investment.projects_on_schedule",
        name_vi="Dự án đang thi công đúng tiến độ",
        name_en="Projects under way on schedule",
        unit="%",
        formula_vi="Dự án đang thi công chưa quá ngày dự kiến hoàn thành / dự án đang thi công × 100",
        formula_en="Projects under construction not past their planned completion date "
        "/ projects under construction × 100",
        direction="up",
        compute=_on_schedule,
        target=90.0,
    ),
]
