"""Public datasets of the health domain: aggregates only, counts below 5 suppressed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import DATE, SHARE_PERCENT, WARD, Column, Dataset, rate, suppress_small
from smartcity.core.db import Database
from smartcity.health import service
from smartcity.health.labels import AGE_GROUPS


def coverage_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Residents with an electronic record by ward and age group (today)."""
    today = clock.today(settings)
    names = service.ward_names(db, today)
    for row in service.coverage_by_ward(db, today):
        records = suppress_small(row.records)
        yield {
            "date": today.isoformat(),
            "ward": names.get(row.ward_code or "", "Toàn thành phố"),
            "age_group": AGE_GROUPS.get(row.age_group or "", "Mọi lứa tuổi"),
            "records": records,
            "population": row.population,
            "share_percent": rate(records, row.population),
        }


def immunisation_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Children due for each dose and those who received it, by ward (today)."""
    today = clock.today(settings)
    names = service.ward_names(db, today)
    for row in service.immunisation_coverage(db, today):
        eligible, vaccinated = suppress_small(row.eligible), suppress_small(row.vaccinated)
        yield {
            "date": today.isoformat(),
            "ward": names.get(row.ward_code or "", "Toàn thành phố"),
            "vaccine": row.name,
            "dose": row.dose,
            "eligible": eligible,
            "vaccinated": vaccinated,
            "share_percent": rate(vaccinated, eligible),
        }


def curve_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """New cases followed at home per day over 90 days, all diseases."""
    start, end = _curve_period(db, settings)
    for day, cases in service.epidemic_curve(db, start=start, end=end):
        yield {"date": day.isoformat(), "new_cases": cases}


def _curve_period(db: Database, settings: Settings) -> tuple[date, date]:
    end = clock.today(settings)
    return end - timedelta(days=89), end


DATASETS: list[Dataset] = [
    Dataset(
        name="health-record-coverage",
        title_vi="Tỷ lệ dân cư có bệnh án điện tử theo phường và nhóm tuổi",
        title_en="Residents with an electronic health record by ward and age group",
        description_vi="Số người có hồ sơ và ít nhất một lần khám, so với dân số của phường; "
        "số dưới 5 được ẩn.",
        description_en="People with a record and at least one encounter against the ward population; counts "
        "below 5 suppressed.",
        themes=("HEAL",),
        keywords=("y tế", "bệnh án điện tử", "health record"),
        frequency="daily",
        columns=(
            DATE,
            WARD,
            Column("age_group", "Nhóm tuổi", "Age group"),
            Column("records", "Số có bệnh án", "Records", "integer"),
            Column("population", "Dân số", "Population", "integer"),
            SHARE_PERCENT,
        ),
        rows=coverage_rows,
    ),
    Dataset(
        name="health-immunisation-coverage",
        title_vi="Tỷ lệ tiêm chủng mở rộng theo vắc xin, mũi và phường",
        title_en="Expanded-programme immunisation coverage by vaccine, dose and ward",
        description_vi="Trẻ đã qua tuổi tiêm một mũi (cộng 30 ngày) và số trẻ đã được tiêm; "
        "số dưới 5 được ẩn.",
        description_en="Children past the age of a dose (plus 30 days) and those who received it; "
        "counts below 5 suppressed.",
        themes=("HEAL",),
        keywords=("tiêm chủng", "TCMR", "immunisation"),
        frequency="daily",
        columns=(
            DATE,
            WARD,
            Column("vaccine", "Vắc xin", "Vaccine"),
            Column("dose", "Mũi", "Dose", "integer"),
            Column("eligible", "Trẻ đến tuổi", "Eligible", "integer"),
            Column("vaccinated", "Đã tiêm", "Vaccinated", "integer"),
            SHARE_PERCENT,
        ),
        rows=immunisation_rows,
    ),
    Dataset(
        name="health-epidemic-curve",
        title_vi="Số ca bệnh theo dõi tại nhà mới mỗi ngày",
        title_en="New cases followed at home per day",
        description_vi="Đường cong dịch 90 ngày gần nhất, mọi bệnh; số dưới 5 được ẩn.",
        description_en="Epidemic curve of the last 90 days, all diseases; counts below 5 suppressed.",
        themes=("HEAL",),
        keywords=("dịch bệnh", "epidemic curve"),
        frequency="daily",
        columns=(
            DATE,
            Column("new_cases", "Ca mới", "New cases", "integer"),
        ),
        rows=curve_rows,
        temporal=_curve_period,
    ),
]
