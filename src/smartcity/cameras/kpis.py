"""Indicators of the cameras domain for the operations centre."""

from __future__ import annotations

from smartcity.cameras import service
from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue


def _congestion(db: Database, context: KpiContext) -> list[KpiValue]:
    """Lane-hours of congestion in the period, all roads together."""
    hours = service.congestion_hours(db, start=context.start, end=context.end)
    return [KpiValue(float(sum(hours.values())), numerator=sum(hours.values()))]


def _accidents(db: Database, context: KpiContext) -> list[KpiValue]:
    """Accidents the traffic cameras reported in the period."""
    count = sum(
        1
        for e in service.list_events(db, limit=10000)
        if e.kind == "accident" and context.start <= e.occurred_at < context.end
    )
    return [KpiValue(float(count), numerator=count)]


INDICATORS = [
    Indicator(
        code="cameras.congestion_hours",
        name_vi="Số giờ ùn tắc trên các tuyến có camera",
        name_en="Hours of congestion on camera-watched roads",
        unit="h",
        formula_vi="Tổng số giờ-làn có tốc độ trung bình dưới 15 km/h trong kỳ",
        formula_en="Lane-hours with an average speed below 15 km/h in the period",
        direction="down",
        compute=_congestion,
        accumulates=True,
    ),
    Indicator(
        code="cameras.accidents",
        name_vi="Số vụ tai nạn camera phát hiện",
        name_en="Accidents detected by cameras",
        unit="count",
        formula_vi="Số sự kiện tai nạn do camera giao thông báo trong kỳ",
        formula_en="Accidents reported by traffic cameras in the period",
        direction="down",
        compute=_accidents,
        accumulates=True,
    ),
]
