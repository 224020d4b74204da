"""Public datasets of public investment: works (public fields, on the map) and yearly disbursement."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset
from smartcity.core.db import Database
from smartcity.investment import service

PUBLIC = (
    "code",
    "name",
    "kind_name",
    "phase_name",
    "investor",
    "total_investment",
    "expected_end",
    "progress_percent",
)


def _projects(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Works with their public fields; wards by name."""
    for item in service.list_projects(db):
        yield {**{k: item[k] for k in PUBLIC}, "wards": ", ".join(item["wards"])}


def _features(db: Database, settings: Settings) -> dict[str, Any]:
    """Works as GeoJSON."""
    return service.projects_geojson(db)


def _by_year(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """Allocated (plan and adjustments) and disbursed capital per plan year (million VND)."""
    for row in service.rates_by(db, dimension="year"):
        yield {
            "year": row["key"],
            "planned": row["planned"],
            "disbursed": row["disbursed"],
            "percent": row["percent"],
        }


DATASETS: list[Dataset] = [
    Dataset(
        name="investment-projects",
        title_vi="Công trình đầu tư công",
        title_en="Public investment works",
        description_vi="Dự án đầu tư công: loại, giai đoạn, tổng mức đầu tư, phường, dự kiến hoàn thành.",
        description_en="Public investment projects: type, phase, total investment, wards, expected end.",
        themes=("GOVE", "ECON", "TRAN"),
        keywords=("đầu tư công", "công trình", "public investment"),
        frequency="monthly",
        columns=(
            Column("code", "Mã dự án", "Code"),
            Column("name", "Tên dự án", "Name"),
            Column("kind_name", "Loại công trình", "Type"),
            Column("phase_name", "Giai đoạn", "Phase"),
            Column("investor", "Chủ đầu tư", "Investor"),
            Column(
                "total_investment",
                "Tổng mức đầu tư (triệu đồng)",
                "Total investment (million VND)",
                "integer",
            ),
            Column("expected_end", "Dự kiến hoàn thành", "Expected end", "date"),
            Column("progress_percent", "Tiến độ (%)", "Progress (%)", "integer"),
            Column("wards", "Phường", "Wards"),
        ),
        rows=_projects,
        features=_features,
    ),
    Dataset(
        name="investment-disbursement-by-year",
        title_vi="Giải ngân vốn đầu tư công theo năm",
        title_en="Public investment disbursement by year",
        description_vi="Vốn được giao (kế hoạch và điều chỉnh trong năm) và vốn đã giải ngân trong hạn "
        "theo năm kế hoạch (triệu đồng).",
        description_en="Allocated capital (the yearly plan and its adjustments) and capital disbursed "
        "within the deadline by plan year (million VND).",
        themes=("GOVE", "ECON"),
        keywords=("giải ngân", "kế hoạch vốn", "disbursement"),
        frequency="monthly",
        columns=(
            Column("year", "Năm", "Year", "integer"),
            Column("planned", "Vốn được giao (triệu đồng)", "Allocated (million VND)", "integer"),
            Column(
                "disbursed",
                "Đã giải ngân trong hạn (triệu đồng)",
                "Disbursed within the deadline (million VND)",
                "integer",
            ),
            Column("percent", "Tỷ lệ giải ngân (%)", "Disbursement rate (%)", "number"),
        ),
        rows=_by_year,
    ),
]
