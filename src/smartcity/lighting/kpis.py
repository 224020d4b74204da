"""Indicators of street lighting for the operations centre (ISO 37122 7.6 and energy)."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue, share_of
from smartcity.core.pages import PageParams
from smartcity.iot import service as iot_service
from smartcity.lighting import service


def _telemanaged(db: Database, context: KpiContext) -> list[KpiValue]:
    """Lights under telemanagement that reported in the period, over all lights in the inventory."""
    lights = [light.id for light in service.list_lights(db)]
    reported = iot_service.reported_since(db, device_ids=lights, since=context.start)
    return share_of(lights, lambda light: light in reported)


def _working(db: Database, context: KpiContext) -> list[KpiValue]:
    """Lights without an open fault ticket, over all lights."""
    lights = {light.id for light in service.list_lights(db)}
    tickets = service.list_tickets(db, paging=PageParams(limit=500), state="active").items
    faulty = {t.asset_id for t in tickets}
    return share_of(lights, lambda light: light not in faulty)


def _energy_per_km(db: Database, context: KpiContext) -> list[KpiValue]:
    """Energy of the period over the km of lit street."""
    since, until = context.local_days()
    rows = service.energy(db, by="group", period="day", since=since, until=until)
    km = sum(g.length_km for g in service.list_groups(db))
    if not rows or km <= 0:
        return [KpiValue(None)]
    kwh = sum(r.kwh for r in rows)
    return [KpiValue(round(kwh / km, 1), numerator=kwh, denominator=km)]


INDICATORS = [
    Indicator(
        code="lighting.telemanaged_share",
        name_vi="Tỷ lệ đèn đường được điều khiển từ xa",
        name_en="Street lighting under telemanagement",
        unit="%",
        formula_vi="Số đèn báo trạng thái trong kỳ / tổng số đèn × 100",
        formula_en="Lights that reported their state in the period / all lights × 100",
        direction="up",
        compute=_telemanaged,
        iso_reference="ISO 37122:2019, 7.6",
        target=100.0,
    ),
    Indicator(
        code="lighting.working_share",
        name_vi="Tỷ lệ đèn đường hoạt động tốt",
        name_en="Street lights working",
        unit="%",
        formula_vi="Số đèn không có phiếu sửa chữa đang mở / tổng số đèn × 100",
        formula_en="Lights with no open repair ticket / all lights × 100",
        direction="up",
        compute=_working,
        target=98.0,
        frequency="hourly",
    ),
    Indicator(
        code="lighting.energy_per_km",
        name_vi="Điện năng chiếu sáng trên mỗi km đường",
        name_en="Street lighting energy per km",
        unit="kWh/km",
        formula_vi="Tổng điện năng các nhóm đèn trong kỳ / tổng chiều dài tuyến được chiếu sáng",
        formula_en="Energy used by all lighting groups in the period / total length of lit roads",
        direction="down",
        compute=_energy_per_km,
    ),
]
