"""Vector tiles (Mapbox Vector Tile) of the WebMercatorQuad tile matrix set, from the feature store.

Features come from the spatial provider's box query (R*Tree on SQLite, GiST on PostGIS), are
projected to tile pixels (4096 per tile side, y down), clipped to the tile plus a small buffer,
simplified by about a pixel, and encoded with `mapbox-vector-tile`. A tile with no feature is None
(the API answers 204).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely

from smartcity.core.db import Database
from smartcity.gis import store as service
from smartcity.gis.layers import ADDRESSES, BUILDINGS, PARCELS
from smartcity.gis.schemas import FeatureOut

EXTENT = 4096
BUFFER_PX = 64
MAX_ZOOM = 22
MAX_FEATURES = 20_000
# Layers too dense to draw below this zoom: their tiles are empty further out.
MIN_ZOOM = {PARCELS: 13, BUILDINGS: 14, ADDRESSES: 15}
TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MVT = "application/vnd.mapbox-vector-tile"


class TileOutOfRange(ValueError):
    """A tile address outside the WebMercatorQuad matrix set."""


@dataclass(frozen=True)
class TileAddress:
    """A tile of WebMercatorQuad: zoom (tile matrix), column x and row y."""

    z: int
    x: int
    y: int

    def bounds(self) -> tuple[float, float, float, float]:
        """The tile's WGS 84 box: west, south, east, north."""
        west, north = tile_to_lonlat(self.z, self.x, self.y)
        east, south = tile_to_lonlat(self.z, self.x + 1, self.y + 1)
        return west, south, east, north


def parse_tile(z: str, row: str, col: str) -> TileAddress:
    """Check a tile address given as text (tile matrix, row, column); raises TileOutOfRange."""
    if not (z.isdigit() and row.isdigit() and col.isdigit()):
        raise TileOutOfRange("tileMatrix, tileRow and tileCol must be non-negative integers")
    zoom, y, x = int(z), int(row), int(col)
    if zoom > MAX_ZOOM:
        raise TileOutOfRange(f"tileMatrix must be between 0 and {MAX_ZOOM}")
    if x >= 2**zoom or y >= 2**zoom:
        raise TileOutOfRange(f"tileRow and tileCol must be below {2**zoom} at tileMatrix {zoom}")
    return TileAddress(zoom, x, y)


def tile_to_lonlat(z: int, x: float, y: float) -> tuple[float, float]:
    """The WGS 84 coordinates of a tile corner (x, y may be fractional)."""
    n = 2**z
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _to_pixels(tile: TileAddress) -> Any:
    n = 2**tile.z

    def transform(coords: np.ndarray) -> np.ndarray:
        lon, lat = coords[:, 0], np.clip(coords[:, 1], -85.0511, 85.0511)
        px = ((lon + 180.0) / 360.0 * n - tile.x) * EXTENT
        rad = np.radians(lat)
        py = ((1 - np.log(np.tan(rad) + 1 / np.cos(rad)) / math.pi) / 2 * n - tile.y) * EXTENT
        return np.column_stack([px, py])

    return transform


def tile_geometries(geojson: list[dict[str, Any]], tile: TileAddress) -> np.ndarray:
    """The geometries in tile pixels, clipped, simplified and oriented as MVT wants (None if nothing left).

    Done on whole arrays in Shapely (GEOS), not one geometry at a time. Polygons get a positive area in
    tile coordinates (y down), which is the MVT exterior ring orientation.
    """
    geometries = shapely.from_geojson([json.dumps(g) for g in geojson], on_invalid="ignore")
    projected = shapely.transform(geometries, _to_pixels(tile))
    low, high = -BUFFER_PX, EXTENT + BUFFER_PX
    is_point = shapely.get_type_id(projected) == 0
    clipped = np.where(is_point, projected, shapely.clip_by_rect(projected, low, low, high, high))
    simplified = np.where(is_point, clipped, shapely.simplify(clipped, 1.0, preserve_topology=True))
    oriented = shapely.orient_polygons(simplified, exterior_cw=False)
    inside = shapely.intersects(oriented, shapely.box(low, low, high, high))
    polygonal = np.isin(shapely.get_type_id(oriented), (3, 6))
    keep = inside & ~shapely.is_empty(oriented) & ~(polygonal & (shapely.area(oriented) < 1.0))
    result = np.array(oriented, dtype=object)
    result[~keep] = None
    return result


def _mvt_properties(feature: FeatureOut) -> dict[str, Any]:
    properties: dict[str, Any] = {"fid": feature.id}
    for name, value in feature.properties.items():
        if isinstance(value, bool | int | float | str):
            properties[name] = value
    return properties


def encode_tile(
    db: Database, *, slug: str, tile: TileAddress, period: service.Period | None = None
) -> bytes | None:
    """The MVT of one layer for one tile (one MVT layer named after the slug), or None when empty.

    `period` keeps only the features valid during it (the `datetime` of the request)."""
    service.get_layer(db, slug, published_only=True)
    if tile.z < MIN_ZOOM.get(slug, 0):
        return None
    west, south, east, north = tile.bounds()
    margin_x = (east - west) * BUFFER_PX / EXTENT
    margin_y = (north - south) * BUFFER_PX / EXTENT
    box = (west - margin_x, south - margin_y, east + margin_x, north + margin_y)
    page = service.query_features(
        db, slug=slug, bbox_filter=box, period=period, limit=MAX_FEATURES, published_only=True, count=False
    )
    stored = [(feature, feature.geometry) for feature in page.features if feature.geometry]
    geometries: Any = tile_geometries([geometry for _f, geometry in stored], tile) if stored else []
    features = []
    for (feature, _geojson), geometry in zip(stored, geometries, strict=True):
        if geometry is None:
            continue
        entry: dict[str, Any] = {"geometry": geometry, "properties": _mvt_properties(feature)}
        if feature.id.isdigit():
            entry["id"] = int(feature.id)
        features.append(entry)
    if not features:
        return None
    layer = {"name": slug, "features": features}
    options = {"y_coord_down": True, "extents": EXTENT, "check_winding_order": False}
    data: bytes = mapbox_vector_tile.encode([layer], default_options=options)
    return data
