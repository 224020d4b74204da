"""Geometry of the city pack: equal-area measures and the derivation of approximate ward areas."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

# Radius of the sphere with the WGS 84 ellipsoid's area (authalic radius), metres.
AUTHALIC_RADIUS_M = 6_371_007.2
CENTRAL_MERIDIAN = 106.65  # the sinusoidal projection is centred on the city
COORDINATE_DECIMALS = 7  # about 1 cm: enough, and keeps stored GeoJSON stable between runs
APPROXIMATE_NOTE = (
    "Approximate area: Voronoi cells of hand-placed ward centres clipped to the real city boundary, "
    "not a surveyed boundary."
)
FORMER_CITY_ONLY_NOTE = (
    " Covers only the part of the ward inside the former Thủ Dầu Một city; the part from outside it is "
    "not in the pack."
)


def _sinusoidal(coords: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(coords[:, 0] - CENTRAL_MERIDIAN), np.radians(coords[:, 1])
    return np.column_stack([AUTHALIC_RADIUS_M * lon * np.cos(lat), AUTHALIC_RADIUS_M * lat])


def to_equal_area(geometry: BaseGeometry) -> BaseGeometry:
    """The geometry in an equal-area (sinusoidal, spherical authalic) projection, in metres."""
    return shapely.transform(geometry, _sinusoidal)


def area_km2(geometry: BaseGeometry) -> float:
    """Area of a WGS 84 geometry in km² (equal-area projection; within 0.5% of the ellipsoidal area)."""
    return float(to_equal_area(geometry).area) / 1e6


def from_geojson(geojson: Mapping[str, Any]) -> BaseGeometry:
    """A Shapely geometry from a GeoJSON geometry (or Feature)."""
    if geojson.get("type") == "Feature":
        geojson = geojson["geometry"]
    return shape(geojson)


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """GeoJSON of a geometry as plain JSON (lists, rounded coordinates), stable from run to run."""
    rounded = shapely.set_precision(geometry, 10**-COORDINATE_DECIMALS)
    geojson: dict[str, Any] = json.loads(json.dumps(mapping(rounded)))
    return geojson


def bounding_box(geometry: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return (float(min_lon), float(min_lat), float(max_lon), float(max_lat))


def voronoi_areas(
    boundary: BaseGeometry, seeds: Mapping[str, tuple[float, float]]
) -> dict[str, BaseGeometry]:
    """Voronoi cells of the (lon, lat) seeds clipped to the boundary, by code; they tile the boundary."""
    points = {code: Point(lon, lat) for code, (lon, lat) in seeds.items()}
    outside = [code for code, point in points.items() if not boundary.contains(point)]
    if outside:
        raise ValueError(f"ward seeds outside the boundary: {', '.join(sorted(outside))}")
    frame = boundary.envelope.buffer(0.1)
    cells = shapely.voronoi_polygons(MultiPoint(list(points.values())), extend_to=frame)
    areas: dict[str, BaseGeometry] = {}
    for code, point in points.items():
        cell = next(c for c in cells.geoms if c.contains(point))
        areas[code] = _polygonal(cell.intersection(boundary))
    return areas


def successor_areas(
    old_areas: Mapping[str, BaseGeometry], transfers: Iterable[tuple[str, str, str]]
) -> dict[str, BaseGeometry]:
    """New units' areas from old ones: (old code, new code, share) with share whole, part or rest.

    A wholly transferred area goes to its receiver. An old unit split between a "part" and a "rest"
    receiver is cut through its centre, perpendicular to the line between the receivers' whole
    transfers, and each half goes to the nearer receiver.
    """
    receivers: dict[str, list[tuple[str, str]]] = {}
    for old, new, share in transfers:
        receivers.setdefault(old, []).append((new, share))
    pieces: dict[str, list[BaseGeometry]] = {}
    for old, targets in receivers.items():
        if len(targets) == 1:
            pieces.setdefault(targets[0][0], []).append(old_areas[old])
    cores = {new: shapely.union_all(parts) for new, parts in pieces.items()}
    for old, targets in receivers.items():
        if len(targets) == 2:
            for new, piece in _split_between(old_areas[old], [t[0] for t in targets], cores).items():
                pieces.setdefault(new, []).append(piece)
        elif len(targets) > 2:
            raise ValueError(f"{old}: splitting between more than two receivers is not supported")
    return {new: _polygonal(shapely.union_all(parts)) for new, parts in pieces.items()}


def _split_between(
    area: BaseGeometry, receivers: list[str], cores: Mapping[str, BaseGeometry]
) -> dict[str, BaseGeometry]:
    first, second = receivers
    a = cores[first].centroid if first in cores else area.centroid
    b = cores[second].centroid if second in cores else area.centroid
    dx, dy = b.x - a.x, b.y - a.y
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    centre = area.centroid if area.contains(area.centroid) else area.representative_point()
    reach = 1.0  # degrees: far beyond any ward
    # Half-plane on the first receiver's side of the line through the centre, perpendicular to a→b.
    px, py = -dy * reach, dx * reach
    cx, cy = centre.x, centre.y
    near_first = Polygon(
        [
            (cx + px, cy + py),
            (cx + px - dx * reach, cy + py - dy * reach),
            (cx - px - dx * reach, cy - py - dy * reach),
            (cx - px, cy - py),
        ]
    )
    return {first: _polygonal(area.intersection(near_first)), second: _polygonal(area.difference(near_first))}


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Keep only the polygon parts of an overlay result (drop stray lines and points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    polygons = [g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polygons) if polygons else Polygon()
