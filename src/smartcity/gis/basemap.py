"""The offline base map: real district boundaries of Bình Dương (shipped) and the streets layer.

Served as one GeoJSON document that every map page draws under its own layers, so no page needs a
tile server on the internet. Each feature says what it is (`kind`), its name, and whether it is
synthetic (the demo's streets are; imported surveyed streets are not).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.gis import store
from smartcity.gis.layers import STREETS

DISTRICTS_FILE = Path(__file__).with_name("data") / "binh_duong_districts.geojson"
CITY_DISTRICT_CODE = "718"
MAX_STREETS = 20_000
ATTRIBUTION = (
    "Ranh giới quận, huyện: gis.chinhphu.vn, bản sao daohoangson/dvhcvn (dữ liệu nhà nước công bố) · "
    "Đường phố: lớp đường phố của thành phố (bản demo: dữ liệu mô phỏng)"
)


@lru_cache(maxsize=1)
def district_features() -> tuple[dict[str, Any], ...]:
    """The 9 district-level units of Bình Dương as base-map features (the city itself marked)."""
    document = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    features = []
    for feature in document["features"]:
        code = str(feature["properties"]["code"])
        kind = "city" if code == CITY_DISTRICT_CODE else "district"
        properties = {"kind": kind, "code": code, "name": feature["properties"]["name"], "synthetic": False}
        features.append({"type": "Feature", "geometry": feature["geometry"], "properties": properties})
    return tuple(features)


def street_features(db: Database) -> list[dict[str, Any]]:
    """The published streets layer's features as base-map lines (name and synthetic flag only)."""
    try:
        page = store.query_features(db, slug=STREETS, limit=MAX_STREETS, count=False)
    except NotFound:  # no streets layer registered or published yet: the districts alone
        return []
    return [
        {
            "type": "Feature",
            "geometry": feature.geometry,
            "properties": {
                "kind": "street",
                "name": str(feature.properties.get("name") or ""),
                "synthetic": bool(feature.properties.get("synthetic")),
            },
        }
        for feature in page.features
    ]


def base_map(db: Database) -> dict[str, Any]:
    """The base map as one GeoJSON FeatureCollection: districts first, then the streets."""
    return {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "features": [*district_features(), *street_features(db)],
    }
