"""Small geometry helpers of the centre: distances on the sphere and circles as polygons."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def bbox(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """The west, south, east, north box around a circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def circle_ring(lon: float, lat: float, radius_m: float, points: int = 16) -> list[tuple[float, float]]:
    """A closed ring of (lon, lat) approximating the circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    ring = [
        (lon + dlon * math.cos(2 * math.pi * i / points), lat + dlat * math.sin(2 * math.pi * i / points))
        for i in range(points)
    ]
    return [*ring, ring[0]]
