"""What the GIS domain reads from the city domain (its service read functions only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from smartcity.city import service as city_service
from smartcity.core.db import Database
from smartcity.core.errors import NotFound


@dataclass(frozen=True)
class WardRef:
    """A ward as the GIS domain shows it: code, name, dates and whether its area is approximate."""

    code: str
    name: str
    valid_from: date | None
    valid_to: date | None
    approximate: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "name": self.name,
            "approximate": self.approximate,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
        }


def city_boundary(db: Database) -> BaseGeometry | None:
    """The loaded city's boundary, or None when no city pack is loaded."""
    try:
        feature = city_service.city_boundary(db)
    except NotFound:
        return None
    return shape(feature["geometry"]) if feature.get("geometry") else None


def ward_at(db: Database, *, lon: float, lat: float, on: date) -> WardRef | None:
    """The ward covering the point on that date (None outside the city)."""
    unit = city_service.ward_at(db, lon=lon, lat=lat, on=on)
    if unit is None:
        return None
    return WardRef(unit.code, unit.name, unit.valid_from, unit.valid_to, unit.approximate)


def ward_features(db: Database, *, on: date) -> list[dict[str, Any]]:
    """GeoJSON features of the wards valid on a date (areas approximate where flagged)."""
    return list(city_service.wards_geojson(db, on=on).get("features", []))


def city_feature(db: Database, *, on: date) -> dict[str, Any] | None:
    """The city (district-level unit) as a GeoJSON feature if it is valid on the date."""
    try:
        feature = city_service.city_boundary(db)
    except NotFound:
        return None
    props = feature.get("properties", {})
    start, end = props.get("valid_from"), props.get("valid_to")
    if (start and date.fromisoformat(start) > on) or (end and date.fromisoformat(end) < on):
        return None
    return feature


class WardLocator:
    """Find wards for many points at once (demo data, imports) from one read of the ward areas."""

    def __init__(self, db: Database, *, on: date) -> None:
        self.on = on
        features = ward_features(db, on=on)
        self._wards = [
            WardRef(
                f["properties"]["code"],
                f["properties"]["name"],
                _date(f["properties"].get("valid_from")),
                _date(f["properties"].get("valid_to")),
                bool(f["properties"].get("approximate")),
            )
            for f in features
            if f.get("geometry")
        ]
        self._areas = [shape(f["geometry"]) for f in features if f.get("geometry")]
        self._tree = shapely.STRtree(self._areas) if self._areas else None

    def locate(self, lon: float, lat: float) -> WardRef | None:
        """The ward covering the point, or None."""
        if self._tree is None:
            return None
        point = shapely.Point(lon, lat)
        for index in self._tree.query(point, predicate="intersects"):
            return self._wards[int(index)]
        return None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
