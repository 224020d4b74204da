"""Indicators the IoT core offers the operations centre: devices reporting and open alarms."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, by_ward
from smartcity.iot.models import Alarm, Device, LatestValue

REPORTING_WINDOW = timedelta(hours=24)


def devices_reporting(db: Database, ctx: KpiContext) -> list[KpiValue]:
    """Share of devices in service whose last message is less than 24 h older than the period's end."""
    since = ctx.end - REPORTING_WINDOW
    last = (
        select(LatestValue.device_id, func.max(LatestValue.ts).label("ts"))
        .group_by(LatestValue.device_id)
        .subquery()
    )
    query = (
        select(Device.ward_code, last.c.ts)
        .outerjoin(last, last.c.device_id == Device.id)
        .where(
            Device.status == "active",
            or_(Device.decommissioned_at.is_(None), Device.decommissioned_at > ctx.end),
        )
    )
    with db.session() as s:
        rows = s.execute(query).all()
    fresh: dict[str | None, list[bool]] = by_ward(
        rows,
        lambda row: row.ward_code,
        lambda up, row: up.append(row.ts is not None and since <= row.ts <= ctx.end),
        list,
    )
    return [KpiValue.share(sum(up), len(up), ward) for ward, up in fresh.items()] or [KpiValue(None)]


def open_alarms(db: Database, ctx: KpiContext) -> list[KpiValue]:
    """Alarms raised before the period's end and not cleared by then, by the ward of their device."""
    query = (
        select(Device.ward_code, func.count(Alarm.id))
        .join(Device, Device.id == Alarm.device_id)
        .where(Alarm.raised_at < ctx.end, or_(Alarm.cleared_at.is_(None), Alarm.cleared_at >= ctx.end))
        .group_by(Device.ward_code)
    )
    with db.session() as s:
        rows = s.execute(query).all()
    values = [KpiValue(float(n), ward) for ward, n in rows if ward]
    return [KpiValue(float(sum(n for _w, n in rows))), *values]


INDICATORS: list[Indicator] = [
    Indicator(
        code="iot.devices_reporting",
        name_vi="Tỷ lệ thiết bị IoT đang gửi dữ liệu",
        name_en="IoT devices reporting",
        unit="%",
        formula_vi="thiết bị đang hoạt động có bản tin trong 24 giờ qua / thiết bị đang hoạt động × 100",
        formula_en="active devices with a message in the last 24 hours / active devices × 100",
        direction="up",
        compute=devices_reporting,
        target=98.0,
        frequency="hourly",
        thresholds=(85.0, 95.0),
    ),
    Indicator(
        code="iot.open_alarms",
        name_vi="Cảnh báo thiết bị chưa xử lý",
        name_en="Open device alarms",
        unit="count",
        formula_vi="số cảnh báo đã phát sinh và chưa được xoá vào cuối kỳ",
        formula_en="alarms raised and not yet cleared at the end of the period",
        direction="down",
        compute=open_alarms,
        target=0.0,
        frequency="hourly",
        thresholds=(10.0, 50.0),
    ),
]
