"""Distances on the sphere and bounding boxes around a point (portable: SQLite and PostgreSQL)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS 84 points."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox_around(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box that contains the circle of `radius_m`."""
    d_lat = radius_m / METRES_PER_DEGREE_LAT * 1.01
    d_lon = d_lat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - d_lon, lat - d_lat, lon + d_lon, lat + d_lat


def check_point(lon: object, lat: object) -> tuple[float, float]:
    """The point as floats; ValueError naming the coordinate when it is not a finite WGS 84 value."""
    try:
        x, y = float(lon), float(lat)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError("coordinates must be numbers") from exc
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError("coordinates must be finite numbers")
    if not -180.0 <= x <= 180.0:
        raise ValueError("longitude must be between -180 and 180")
    if not -90.0 <= y <= 90.0:
        raise ValueError("latitude must be between -90 and 90")
    return x, y
