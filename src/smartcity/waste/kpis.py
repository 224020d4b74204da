"""Indicators of waste collection for the operations centre (ISO 37122 16.x)."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, share_of
from smartcity.iot import service as iot_service
from smartcity.waste import service


def _with_telemetry(db: Database, context: KpiContext) -> list[KpiValue]:
    """Containers that reported in the period, over all containers."""
    containers = [c.id for c in service.list_containers(db)]
    reported = iot_service.reported_since(db, device_ids=containers, since=context.start)
    return share_of(containers, lambda c: c in reported)


def _overflows_per_week(db: Database, context: KpiContext) -> list[KpiValue]:
    """Overflow alarms in the period, scaled to a week."""
    days = max((context.end - context.start) / timedelta(days=1), 1 / 24)
    count = service.weekly_overflows(db, start=context.start, end=context.end)
    return [KpiValue(round(count * 7 / days, 2), numerator=count, denominator=days / 7)]


def _km_per_tonne(db: Database, context: KpiContext) -> list[KpiValue]:
    """Route km of the plans of the period over the tonnes they carried."""
    km = kg = 0.0
    # Plans are for days in the city: the period's ends are read in its time zone, not in UTC.
    day = clock.local_date(context.start, context.settings)
    last = clock.local_date(context.end - timedelta(microseconds=1), context.settings)
    while day <= last:
        plan = service.latest_plan(db, day=day)
        for route in service.routes_of(db, plan_id=plan.id) if plan else []:
            km += route.distance_km
            kg += route.load_kg
        day += timedelta(days=1)
    if kg <= 0:
        return [KpiValue(None)]
    return [KpiValue(round(km / (kg / 1000), 2), numerator=km, denominator=kg / 1000)]


INDICATORS = [
    Indicator(
        code="waste.containers_with_telemetry",
        name_vi="Tỷ lệ thùng rác có cảm biến báo về",
        name_en="Drop-off containers with telemetry",
        unit="%",
        formula_vi="Số thùng gửi số liệu trong kỳ / tổng số thùng × 100",
        formula_en="Containers that sent readings in the period / all containers × 100",
        direction="up",
        compute=_with_telemetry,
        iso_reference="ISO 37122:2019, 16.3",
        target=100.0,
    ),
    Indicator(
        code="waste.overflows_per_week",
        name_vi="Số lần thùng rác tràn mỗi tuần",
        name_en="Container overflows per week",
        unit="count",
        formula_vi="Số cảnh báo tràn rác trong kỳ × 7 / số ngày của kỳ",
        formula_en="Overflow alarms in the period × 7 / days in the period",
        direction="down",
        compute=_overflows_per_week,
        target=0.0,
        accumulates=True,
    ),
    Indicator(
        code="waste.km_per_tonne",
        name_vi="Quãng đường xe chạy trên mỗi tấn rác thu gom",
        name_en="Km driven per tonne collected",
        unit="km/t",
        formula_vi="Tổng km các lộ trình trong kỳ / tổng tấn rác theo kế hoạch",
        formula_en="Km of all routes in the period / planned tonnes of waste",
        direction="down",
        compute=_km_per_tonne,
    ),
]
