"""Geometry helpers: GeoJSON in and out, validation and repair, metric measures around the city."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

COORDINATE_DECIMALS = 7  # about 1 cm
# A transverse Mercator centred on the city: metres with negligible distortion over 30 km.
LOCAL_METRIC_PROJ = "+proj=tmerc +lat_0=0 +lon_0=106.65 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


class GeometryProblem(ValueError):
    """A geometry that cannot be used, with the reason."""


def parse_geojson(value: Mapping[str, Any] | str) -> BaseGeometry:
    """A Shapely geometry from a GeoJSON geometry (dict or text); raises GeometryProblem if malformed."""
    try:
        data = json.loads(value) if isinstance(value, str) else dict(value)
        if data.get("type") not in GEOMETRY_TYPES:
            raise GeometryProblem(f"unsupported geometry type {data.get('type')!r}")
        geometry = shape(data)
    except GeometryProblem:
        raise
    except Exception as exc:  # shapely/GEOS raise several types for malformed input
        raise GeometryProblem(f"malformed geometry: {exc}") from exc
    if geometry.is_empty:
        raise GeometryProblem("empty geometry")
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        raise GeometryProblem("non-finite coordinate")
    return geometry


def to_geojson(geometry: BaseGeometry, decimals: int = COORDINATE_DECIMALS) -> dict[str, Any]:
    """Plain-JSON GeoJSON of a geometry with rounded coordinates."""
    rounded = shapely.transform(geometry, lambda c: np.round(c, decimals))
    result: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))
    return result


def check_wgs84(geometry: BaseGeometry) -> None:
    """Raise GeometryProblem if coordinates are not plausible longitudes/latitudes."""
    coords = shapely.get_coordinates(geometry)
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise GeometryProblem("coordinates outside longitude/latitude range: wrong CRS?")


def repair(geometry: BaseGeometry) -> tuple[BaseGeometry, str | None]:
    """The geometry made valid, and a note of what was repaired (None when it was valid)."""
    if geometry.is_valid:
        return geometry, None
    reason = shapely.is_valid_reason(geometry)
    fixed = shapely.make_valid(geometry)
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        fixed = polygonal_part(fixed)
    if fixed.is_empty:
        raise GeometryProblem(f"invalid geometry that cannot be repaired: {reason}")
    return fixed, f"repaired: {reason}"


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygons of a geometry (drop stray lines and points left by an overlay)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def bbox(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    a, b, c, d = geometry.bounds
    return (float(a), float(b), float(c), float(d))


@lru_cache(maxsize=2)
def _metric(inverse: bool) -> Transformer:
    if inverse:
        return Transformer.from_crs(LOCAL_METRIC_PROJ, "OGC:CRS84", always_xy=True)
    return Transformer.from_crs("OGC:CRS84", LOCAL_METRIC_PROJ, always_xy=True)


def to_metric(geometry: BaseGeometry) -> BaseGeometry:
    """A WGS 84 geometry in local metres (transverse Mercator on the city)."""
    transformer = _metric(False)
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def from_metric(geometry: BaseGeometry) -> BaseGeometry:
    """A local-metre geometry back in WGS 84."""
    transformer = _metric(True)
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def area_m2(geometry: BaseGeometry) -> float:
    """Area of a WGS 84 geometry in square metres."""
    return float(to_metric(geometry).area)


def to_geojson_many(
    geometries: list[BaseGeometry], decimals: int = COORDINATE_DECIMALS
) -> list[dict[str, Any]]:
    """GeoJSON of many geometries at once (vectorised: much faster than one by one)."""
    if not geometries:
        return []
    array = np.empty(len(geometries), dtype=object)
    array[:] = geometries
    rounded = shapely.transform(array, lambda c: np.round(c, decimals))
    return [json.loads(text) for text in shapely.to_geojson(rounded)]
