"""Indicators of the open-data catalogue for the operations centre: downloads and API calls of datasets."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.kpis import Indicator, KpiContext, KpiValue
from smartcity.opendata import service


def _uses(kind: str, db: Database, context: KpiContext) -> list[KpiValue]:
    counts = service.usage_counts(db, start=context.start, end=context.end)
    return [KpiValue(value=float(sum(c.get(kind, 0) for c in counts.values())))]


def downloads(db: Database, context: KpiContext) -> list[KpiValue]:
    """Downloads of open-data resources in the period (the whole city)."""
    return _uses("download", db, context)


def api_calls(db: Database, context: KpiContext) -> list[KpiValue]:
    """Calls of the catalogue's APIs naming a dataset in the period (CKAN package/resource, DCAT)."""
    return _uses("api", db, context)


INDICATORS = [
    Indicator(
        code="opendata.downloads",
        name_vi="Lượt tải dữ liệu mở",
        name_en="Open-data downloads",
        unit="count",
        formula_vi="Số lượt tải tệp (CSV, Excel, GeoJSON) của các bộ dữ liệu mở trong kỳ",
        formula_en="Downloads of files (CSV, Excel, GeoJSON) of the open datasets in the period",
        direction="up",
        compute=downloads,
        iso_reference="ISO 37122:2019, 17.3",
        frequency="daily",
        accumulates=True,
    ),
    Indicator(
        code="opendata.api_calls",
        name_vi="Lượt gọi API dữ liệu mở",
        name_en="Open-data API calls",
        unit="count",
        formula_vi="Số lượt gọi API CKAN (package_show, resource_show) và DCAT theo từng bộ dữ liệu trong kỳ",
        formula_en="Calls of the CKAN API (package_show, resource_show) and of DCAT "
        "naming a dataset in the period",
        direction="up",
        compute=api_calls,
        frequency="daily",
        accumulates=True,
    ),
]
