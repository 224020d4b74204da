"""Public datasets of street lighting: monthly energy and savings per street."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset
from smartcity.core.db import Database
from smartcity.lighting import service


def _rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    today = clock.today(settings)
    for row in service.energy(
        db, by="street", period="month", since=today - timedelta(days=365), until=today
    ):
        yield {
            "thang": row.period,
            "tuyen_duong": row.key,
            "dien_nang_kwh": row.kwh,
            "khong_giam_sang_kwh": row.baseline_kwh,
            "tiet_kiem_phan_tram": row.saving_pct,
        }


DATASETS = [
    Dataset(
        name="lighting-energy-by-street",
        title_vi="Điện năng chiếu sáng công cộng theo tuyến đường",
        title_en="Street lighting energy by street",
        description_vi="Điện năng hằng tháng của đèn đường theo tuyến và phần tiết kiệm nhờ giảm độ sáng.",
        description_en="Monthly energy of street lights by street and the saving from dimming.",
        themes=("ENER", "ENVI"),
        keywords=("chiếu sáng", "điện năng", "đèn LED", "street lighting", "energy"),
        frequency="monthly",
        columns=(
            Column("thang", "Tháng", "Month"),
            Column("tuyen_duong", "Tuyến đường", "Street"),
            Column("dien_nang_kwh", "Điện năng (kWh)", "Energy (kWh)", "number"),
            Column("khong_giam_sang_kwh", "Nếu không giảm sáng (kWh)", "Undimmed (kWh)", "number"),
            Column("tiet_kiem_phan_tram", "Tiết kiệm (%)", "Saving (%)", "number"),
        ),
        rows=_rows,
    )
]
