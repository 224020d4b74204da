"""Coordinate reference systems: WGS 84 at the API, VN-2000 (Bình Dương's local projection) on import.

VN-2000 for Bình Dương is a transverse Mercator on the WGS 84 ellipsoid with central meridian 105°45',
scale 0.9999 and false easting 500 000 m (EPSG:9210, "VN-2000 / TM-3 105-45"). Its datum differs from
WGS 84 by the seven parameters of Decision 05/2007/QĐ-BTNMT. EPSG publishes them (transformation
"VN-2000 to WGS 84 (2)", EPSG:6960) in the coordinate-frame convention: dX −191.90441429 m,
dY −39.30318279 m, dZ −111.45032835 m, rX −0.00928836″, rY +0.01975479″, rZ −0.00427372″,
scale +0.252906278 ppm. PROJ's `+towgs84` takes the position-vector convention, so the rotations change
sign there. Copying the coordinate-frame rotations into `+towgs84` unchanged (a common mistake) moves
points by about 0.5 m here; tests/gis checks our string against EPSG's own pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from smartcity.core.errors import BadRequest

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/"
WGS84_EPSG = 4326
VN2000_BINH_DUONG_EPSG = 9210

# Coordinate-frame rotations of EPSG:6960 with their signs reversed (position-vector convention).
VN2000_TOWGS84 = (
    -191.90441429,
    -39.30318279,
    -111.45032835,
    0.00928836,
    -0.01975479,
    0.00427372,
    0.252906278,
)
VN2000_BINH_DUONG_PROJ = (
    "+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=" + ",".join(f"{v:.9g}" for v in VN2000_TOWGS84) + " +units=m +no_defs +type=crs"
)

# CRSs the OGC API offers (Part 2), by URI; CRS84 first (the default).
SUPPORTED_CRS = (
    CRS84,
    EPSG_URI + "4326",
    EPSG_URI + "3857",
    EPSG_URI + str(VN2000_BINH_DUONG_EPSG),
    EPSG_URI + "3405",
)

_ALIASES = {
    "crs84": CRS84,
    "wgs84": CRS84,
    "ogc:crs84": CRS84,
    "urn:ogc:def:crs:ogc:1.3:crs84": CRS84,
    "vn2000": EPSG_URI + "9210",
    "vn-2000": EPSG_URI + "9210",
    "vn2000-binhduong": EPSG_URI + "9210",
}


def normalise_crs(value: str) -> str:
    """The canonical URI of a CRS named by URI, EPSG:n, URN or a short alias (vn2000, crs84)."""
    text = value.strip()
    lowered = text.lower()
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    if lowered.startswith("epsg:") and lowered[5:].isdigit():
        return EPSG_URI + lowered[5:]
    if lowered.startswith("urn:ogc:def:crs:epsg:"):
        code = lowered.rsplit(":", 1)[-1]
        if code.isdigit():
            return EPSG_URI + code
    if text.startswith(EPSG_URI) or text == CRS84:
        return text
    if text.startswith("http://www.opengis.net/def/crs/EPSG/"):  # any version segment
        return EPSG_URI + text.rstrip("/").rsplit("/", 1)[-1]
    raise BadRequest(f"Unknown coordinate reference system: {value}")


@lru_cache(maxsize=32)
def pyproj_crs(uri: str) -> CRS:
    """The pyproj CRS of a canonical URI; VN-2000 Bình Dương uses our explicit datum parameters."""
    if uri == CRS84:
        return CRS.from_user_input("OGC:CRS84")
    code = int(uri.rsplit("/", 1)[-1])
    if code == VN2000_BINH_DUONG_EPSG:
        return CRS.from_proj4(VN2000_BINH_DUONG_PROJ)
    try:
        return CRS.from_epsg(code)
    except Exception as exc:  # pyproj raises CRSError for unknown codes
        raise BadRequest(f"Unknown EPSG code: {code}") from exc


def crs_from_wkt_or_name(text: str) -> str:
    """The canonical URI for a CRS given as WKT/PROJ text (from a file), matched to what we support."""
    crs = CRS.from_user_input(text)
    if (
        crs.is_geographic
        and crs.ellipsoid
        and crs.ellipsoid.name.startswith("WGS 84")
        and crs.datum
        and "2000" not in crs.datum.name
    ):
        return CRS84
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is not None:
        return CRS84 if epsg == WGS84_EPSG else EPSG_URI + str(epsg)
    if crs.is_projected and _is_binh_duong_tm(crs):
        return EPSG_URI + str(VN2000_BINH_DUONG_EPSG)
    raise BadRequest(f"Unsupported coordinate reference system: {crs.name}")


def projection_parameters(crs: CRS) -> dict[str, float]:
    """The map-projection parameters of a projected CRS (also when bound to WGS 84), by lower-case name."""
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    operation = base.coordinate_operation
    return {p.name.lower(): float(p.value) for p in (operation.params if operation else [])}


def _is_binh_duong_tm(crs: CRS) -> bool:
    params = projection_parameters(crs)
    meridian = params.get("longitude of natural origin")
    scale = params.get("scale factor at natural origin")
    easting = params.get("false easting")
    return (
        meridian is not None
        and abs(meridian - 105.75) < 1e-6
        and scale is not None
        and abs(scale - 0.9999) < 1e-9
        and easting is not None
        and abs(easting - 500000) < 1e-3
    )


@lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(pyproj_crs(source), pyproj_crs(target), always_xy=True)


def axis_order_is_lat_lon(uri: str) -> bool:
    """True when the CRS's first axis is latitude/northing (EPSG:4326 is lat, lon; CRS84 lon, lat)."""
    if uri == CRS84:
        return False
    crs = pyproj_crs(uri)
    return bool(crs.axis_info) and crs.axis_info[0].direction.lower() == "north"


def transform_geometry(
    geometry: BaseGeometry, source: str, target: str, *, axis_order: bool = False
) -> BaseGeometry:
    """Reproject a geometry (x = easting/longitude); with axis_order, emit the CRS's own axis order."""
    if source != target:
        transformer = _transformer(source, target)

        def _apply(coords: np.ndarray) -> np.ndarray:
            x, y = transformer.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        geometry = shapely.transform(geometry, _apply)
    if axis_order and axis_order_is_lat_lon(target):
        geometry = shapely.transform(geometry, _swap)
    return geometry


def to_wgs84(source: str) -> Callable[[BaseGeometry], BaseGeometry]:
    """A function reprojecting geometries from `source` to WGS 84 (lon, lat)."""
    return lambda geometry: transform_geometry(geometry, source, CRS84)


def _swap(coords: np.ndarray) -> np.ndarray:
    return coords[:, ::-1].copy()


def transform_bbox(bbox: tuple[float, float, float, float], source: str) -> tuple[float, float, float, float]:
    """A bbox given in `source` (in that CRS's axis order) as a WGS 84 lon/lat bbox."""
    a, b, c, d = bbox
    if axis_order_is_lat_lon(source):
        a, b, c, d = b, a, d, c
    if source == CRS84:
        return (a, b, c, d)
    box = shapely.box(a, b, c, d).segmentize(max(c - a, d - b) / 16 or 1.0)
    minx, miny, maxx, maxy = transform_geometry(box, source, CRS84).bounds
    return (float(minx), float(miny), float(maxx), float(maxy))
