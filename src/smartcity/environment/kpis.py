"""Indicators the environment domain offers the operations centre."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, share_of
from smartcity.environment import service

MODERATE_TOP = 100


def _days_above_moderate(db: Database, context: KpiContext) -> list[KpiValue]:
    """Station-days of the period with a daily VN_AQI above 100, over all station-days."""
    start, end = context.local_days()
    rows = [r for r in service.daily_history(db, since=start) if r.day < end]
    return share_of(rows, lambda r: r.aqi > MODERATE_TOP)


def _flood_events(db: Database, context: KpiContext) -> list[KpiValue]:
    """Streets flooded (events that reached the danger level) in the period."""
    events = [
        e
        for e in service.flood_events(db)
        if e.flooded_at is not None and context.start <= e.flooded_at < context.end
    ]
    return [KpiValue(float(len(events)), numerator=len(events))]


INDICATORS = [
    Indicator(
        code="environment.days_aqi_above_moderate",
        name_vi="Tỷ lệ ngày-trạm có VN_AQI trên mức trung bình",
        name_en="Station-days with VN_AQI above moderate",
        unit="%",
        formula_vi="Số ngày-trạm có VN_AQI ngày > 100 / tổng số ngày-trạm có VN_AQI ngày × 100",
        formula_en="Station-days with a daily VN_AQI above 100 / station-days with a daily VN_AQI × 100",
        direction="down",
        compute=_days_above_moderate,
        iso_reference="ISO 37120:2018, 8.1 (PM2.5), 8.2 (PM10)",
        target=10.0,
    ),
    Indicator(
        code="environment.flooded_streets",
        name_vi="Số lần đường phố bị ngập",
        name_en="Street flooding events",
        unit="count",
        formula_vi="Số đợt mực nước tại cảm biến vượt mức ngập trong kỳ",
        formula_en="Times the water level at a sensor rose above flooding level in the period",
        direction="down",
        compute=_flood_events,
        accumulates=True,
    ),
]
