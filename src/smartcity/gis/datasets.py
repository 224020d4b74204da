"""Public datasets of the GIS: the planning zones layer, as a table, GeoJSON and an OGC API collection."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from smartcity.core.config import Settings
from smartcity.core.datasets import Column, Dataset
from smartcity.core.db import Database
from smartcity.gis.layers import PLANNING_ZONES
from smartcity.gis.service import query_features

BATCH = 1000
FIELDS = (
    ("zone_code", "Mã ô quy hoạch", "Zone code", "string"),
    ("land_use_code", "Mã loại đất", "Land-use code", "string"),
    ("land_use_name", "Loại đất", "Land use", "string"),
    ("max_coverage_pct", "Mật độ xây dựng tối đa (%)", "Maximum coverage (%)", "number"),
    ("max_floors", "Số tầng tối đa", "Maximum floors", "integer"),
    ("max_height_m", "Chiều cao tối đa (m)", "Maximum height (m)", "number"),
    ("max_far", "Hệ số sử dụng đất tối đa", "Maximum floor-area ratio", "number"),
    ("plan_name", "Đồ án quy hoạch", "Plan", "string"),
    ("approval", "Quyết định phê duyệt", "Approval decision", "string"),
    ("approved_on", "Ngày phê duyệt", "Approved on", "date"),
)


def _zones(db: Database) -> Iterable[Any]:
    offset = 0
    while True:
        page = query_features(db, slug=PLANNING_ZONES, limit=BATCH, offset=offset, count=False)
        yield from page.features
        if len(page.features) < BATCH:
            return
        offset += BATCH


def zone_rows(db: Database, settings: Settings) -> Iterable[dict[str, Any]]:
    """One row per published planning zone with its land use and limits (no geometry)."""
    for feature in _zones(db):
        yield {name: feature.properties.get(name) for name, *_ in FIELDS}


def zone_features(db: Database, settings: Settings) -> dict[str, Any]:
    """The planning zones as one GeoJSON FeatureCollection (WGS 84)."""
    return {"type": "FeatureCollection", "features": [f.as_geojson() for f in _zones(db)]}


DATASETS = [
    Dataset(
        name="gis-planning-zones",
        title_vi="Phân khu quy hoạch (ô quy hoạch và chỉ tiêu sử dụng đất)",
        title_en="Planning zones (zones and land-use limits)",
        description_vi=(
            "Ranh giới các ô quy hoạch với chức năng sử dụng đất, mật độ xây dựng, tầng cao và hệ số sử dụng "
            "đất tối đa. Trong bản trình diễn, lớp này là dữ liệu mô phỏng, không phải số liệu khảo sát."
        ),
        description_en=(
            "Planning zone boundaries with land use, maximum coverage, floors and floor-area ratio. In the "
            "demonstration the layer is synthetic demo data, not surveyed figures."
        ),
        themes=("REGI", "ENVI"),
        keywords=("quy hoạch", "sử dụng đất", "planning", "land use", "GIS"),
        frequency="irregular",
        columns=tuple(Column(n, vi, en, t) for n, vi, en, t in FIELDS),  # type: ignore[arg-type]
        rows=zone_rows,
        features=zone_features,
        ogc_collection=PLANNING_ZONES,
    ),
]
