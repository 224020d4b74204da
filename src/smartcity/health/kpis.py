"""Indicators the health domain offers the operations centre: record coverage, immunisation coverage."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue
from smartcity.health import service


def record_coverage(db: Database, context: KpiContext) -> list[KpiValue]:
    """Residents with a record (a Patient with an Encounter) over the population, by ward and city."""
    return [
        KpiValue(row.share, row.ward_code, float(row.records), float(row.population))
        for row in service.coverage_by_ward(db, context.on)
        if row.age_group is None
    ]


def immunisation_coverage(db: Database, context: KpiContext) -> list[KpiValue]:
    """Children past the age of the third DPT-VGB-Hib dose who received it, by ward and city."""
    return [
        KpiValue(row.share, row.ward_code, float(row.vaccinated), float(row.eligible))
        for row in service.immunisation_coverage(db, context.on)
        if (row.vaccine, row.dose) == ("DPT-VGB-HIB", 3)
    ]


INDICATORS: list[Indicator] = [
    Indicator(
        code="health.record_coverage",
        name_vi="Tỷ lệ dân cư có bệnh án điện tử",
        name_en="Share of residents with an electronic health record",
        unit="%",
        formula_vi="Số người có hồ sơ bệnh nhân và ít nhất một lần khám, chữa bệnh "
        "chia cho dân số của phường",
        formula_en="People with a patient record and at least one visit or treatment, "
        "divided by the ward's population",
        direction="up",
        compute=record_coverage,
        target=80.0,
        iso_reference="ISO 37122:2019, 12.1 (tỷ lệ dân số có hồ sơ sức khỏe trực tuyến)",
        frequency="daily",
    ),
    Indicator(
        code="health.immunisation_coverage",
        name_vi="Tỷ lệ trẻ tiêm đủ 3 mũi DPT-VGB-Hib",
        name_en="Children with three doses of DTP-HepB-Hib",
        unit="%",
        formula_vi="Số trẻ đã qua tuổi mũi 3 (cộng 30 ngày) được tiêm đủ 3 mũi chia cho số trẻ đó",
        formula_en="Children past the age of the third dose (plus 30 days) who had all three doses, "
        "divided by the number of those children",
        direction="up",
        compute=immunisation_coverage,
        target=95.0,
        frequency="daily",
    ),
]
