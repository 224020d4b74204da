"""Import and export: GeoJSON, GeoPackage and zipped Shapefile (through GDAL, by pyogrio).

An import reads every feature, maps its attributes onto the layer's schema, checks and repairs its
geometry, reprojects it to WGS 84 (VN-2000 accepted, from the file's .prj/CRS or named by the caller)
and reports what was wrong per feature. With any error nothing is imported, unless the caller asks for
a partial import; repaired geometries are reported, never silently changed or dropped.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from smartcity.core.db import Database
from smartcity.core.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis import feature_writes
from smartcity.gis import store as service
from smartcity.gis.crs import CRS84, crs_from_wkt_or_name, normalise_crs, transform_geometry
from smartcity.gis.feature_writes import NewFeature
from smartcity.gis.geo import GeometryProblem, check_wgs84, repair
from smartcity.gis.providers import provider_for
from smartcity.gis.schemas import ImportProblem, ImportReport, LayerRead

VIETNAM_BOUNDS = (102.0, 8.0, 110.5, 23.5)
COMPATIBLE = {
    "Point": {"Point"},
    "MultiPoint": {"Point", "MultiPoint"},
    "LineString": {"LineString"},
    "MultiLineString": {"LineString", "MultiLineString"},
    "Polygon": {"Polygon", "MultiPolygon"},
    "MultiPolygon": {"Polygon", "MultiPolygon"},
}
KEY_FIELDS = {
    "land-parcels": ("map_sheet", "parcel_number"),
    "streets": ("code",),
    "planning-zones": ("zone_code",),
    "addresses": ("street_code", "house_number"),
}
FORMATS = {
    "geojson": ("GeoJSON", "application/geo+json", ".geojson"),
    "gpkg": ("GPKG", "application/geopackage+sqlite3", ".gpkg"),
    "shp": ("ESRI Shapefile", "application/zip", ".shp.zip"),
}
Progress = Callable[[int, int], None]


def _pyogrio() -> Any:
    """GDAL's reader and writer, imported on first use: pyogrio brings pandas (about 100 MiB per process)."""
    import pyogrio.raw

    return pyogrio.raw


@dataclass
class _Reading:
    """The raw content of a file: geometries (WKB), attribute columns, its CRS."""

    crs: str | None
    fields: list[str]
    columns: list[Any]
    geometries: list[bytes | None]


@dataclass
class _Outcome:
    features: list[NewFeature] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    rejected: int = 0
    repaired: int = 0


def _suffix(filename: str, content: bytes) -> str:
    name = filename.lower()
    if content[:4] == b"PK\x03\x04" or name.endswith(".zip"):
        return ".zip"
    if content[:16].startswith(b"SQLite format 3") or name.endswith(".gpkg"):
        return ".gpkg"
    if name.endswith((".geojson", ".json")) or content.lstrip()[:1] == b"{":
        return ".geojson"
    raise UnsupportedMediaType("Send GeoJSON, a GeoPackage or a zipped Shapefile")


def read_file(content: bytes, filename: str) -> _Reading:
    """Read the features of a GeoJSON, GeoPackage or zipped Shapefile held in memory."""
    suffix = _suffix(filename, content)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        if suffix == ".zip":
            _check_zip(path)
        try:
            meta, _fids, geometries, columns = _pyogrio().read(path)
        except Exception as exc:  # GDAL reports unreadable files with several exception types
            raise BadRequest(f"The file cannot be read: {exc}") from exc
    return _Reading(
        crs=meta.get("crs"),
        fields=list(meta.get("fields", [])),
        columns=list(columns),
        geometries=list(geometries) if geometries is not None else [],
    )


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
            if sum(i.file_size for i in archive.infolist()) > 20 * path.stat().st_size + 50_000_000:
                raise BadRequest("The archive expands too much")
    except zipfile.BadZipFile as exc:
        raise BadRequest("The zip archive is damaged") from exc
    if not any(n.endswith(".shp") for n in names):
        raise BadRequest("The zip archive holds no .shp file")


def _source_crs(reading: _Reading, given: str | None) -> str:
    if given:
        return normalise_crs(given)
    # GeoJSON always claims WGS 84, so a claimed geographic CRS is checked against the coordinates.
    claimed = crs_from_wkt_or_name(reading.crs) if reading.crs else None
    if claimed not in (None, CRS84):
        return claimed
    if _looks_geographic(reading.geometries[:50]):
        return CRS84
    raise ValidationFailed.for_field(
        "crs",
        "The file does not say its coordinate system and its coordinates are not longitudes/latitudes: "
        "name it (e.g. vn2000 for VN-2000 Bình Dương, EPSG:9210)",
    )


def _looks_geographic(geometries: list[bytes | None]) -> bool:
    for wkb in geometries:
        if wkb is None:
            continue
        try:
            coords = shapely.get_coordinates(shapely.from_wkb(wkb))
        except Exception:  # noqa: S112  (unreadable geometries are reported per feature later)
            continue
        if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
            return False
    return True


def import_bytes(
    db: Database,
    *,
    actor: Actor,
    slug: str,
    content: bytes,
    filename: str,
    source_crs: str | None = None,
    partial: bool = False,
    replace: bool = False,
    key_field: str | None = None,
    field_map: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file into a stored layer; see the module docstring for what is checked."""
    layer = service.get_layer(db, slug)
    if layer.provider != "store":
        raise BadRequest(f"Layer {slug} is not stored here (it comes from {layer.provider})")
    reading = read_file(content, filename)
    crs = _source_crs(reading, source_crs)
    outcome = _prepare(db, reading, layer, crs, key_field, field_map or {}, replace, progress)
    committed = bool(outcome.features) and (outcome.rejected == 0 or partial)
    if committed:
        provider_for(db)  # prepare the index before the unit of work takes the write lock
        with UnitOfWork(db, actor) as uow:
            feature_writes.store_features(
                uow, slug=slug, features=outcome.features, replace="all" if replace else "none"
            )
            uow.audit(
                "gis.import",
                "gis_layer",
                slug,
                after={
                    "file": filename,
                    "crs": crs,
                    "imported": len(outcome.features),
                    "rejected": outcome.rejected,
                },
            )
    return ImportReport(
        layer=slug,
        source_crs=crs,
        read=len(reading.geometries),
        imported=len(outcome.features) if committed else 0,
        rejected=outcome.rejected,
        repaired=outcome.repaired,
        committed=committed,
        problems=outcome.problems,
    )


def _prepare(
    db: Database,
    reading: _Reading,
    layer: LayerRead,
    crs: str,
    key_field: str | None,
    field_map: dict[str, str],
    replace: bool,
    progress: Progress | None,
) -> _Outcome:
    outcome = _Outcome()
    mapping = _field_mapping(reading.fields, layer, field_map, outcome)
    seen: set[str] = set()
    total = len(reading.geometries)
    for index, wkb in enumerate(reading.geometries):
        record = {reading.fields[i]: _plain(reading.columns[i][index]) for i in range(len(reading.fields))}
        try:
            feature, note = _feature(index, wkb, record, mapping, layer, crs, key_field)
            if feature.key in seen or (
                not replace and service.feature_by_key(db, slug=layer.slug, key=feature.key)
            ):
                raise ValueError(f"key {feature.key!r} is already used")
            seen.add(feature.key)
        except (ValueError, GeometryProblem) as exc:
            outcome.rejected += 1
            outcome.problems.append(ImportProblem(feature=index + 1, severity="error", message=str(exc)))
        else:
            outcome.features.append(feature)
            if note:
                outcome.repaired += 1
                outcome.problems.append(ImportProblem(feature=index + 1, severity="repaired", message=note))
        if progress and (index % 500 == 0 or index + 1 == total):
            progress(index + 1, total)
    return outcome


def _field_mapping(
    fields: list[str], layer: LayerRead, given: dict[str, str], outcome: _Outcome
) -> dict[str, str]:
    """File field -> layer property: explicit mapping first, then same name (ignoring case)."""
    schema = {f["name"].lower(): f["name"] for f in layer.properties_schema}
    mapping = {}
    for name in fields:
        target = given.get(name) or schema.get(name.lower()) or _shapefile_truncation(name, schema)
        if target is None and not layer.properties_schema:
            target = name  # a layer without a schema keeps every attribute
        if target is None:
            outcome.problems.append(
                ImportProblem(
                    feature=0, severity="ignored", message=f"attribute {name!r} is not in the layer's schema"
                )
            )
            continue
        mapping[name] = target
    return mapping


def _shapefile_truncation(name: str, schema: dict[str, str]) -> str | None:
    """Shapefiles cut attribute names to 10 characters: 'land_use_c' is 'land_use_code'."""
    if len(name) != 10:
        return None
    matches = [full for lower, full in schema.items() if lower.startswith(name.lower())]
    return matches[0] if len(matches) == 1 else None


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return value


def _feature(
    index: int,
    wkb: bytes | None,
    record: dict[str, Any],
    mapping: dict[str, str],
    layer: LayerRead,
    crs: str,
    key_field: str | None,
) -> tuple[NewFeature, str | None]:
    if wkb is None:
        raise GeometryProblem("no geometry")
    try:
        geometry: BaseGeometry = shapely.from_wkb(wkb)
    except Exception as exc:  # GEOS raises for unreadable WKB
        raise GeometryProblem(f"unreadable geometry: {exc}") from exc
    if geometry.is_empty:
        raise GeometryProblem("empty geometry")
    allowed = COMPATIBLE.get(layer.geometry_type)
    if allowed and geometry.geom_type not in allowed:
        raise GeometryProblem(f"a {geometry.geom_type} in a layer of {layer.geometry_type}")
    geometry, note = repair(geometry)  # repair in the source CRS, before reprojection
    geometry = transform_geometry(geometry, crs, CRS84)
    check_wgs84(geometry)
    a, b, c, d = geometry.bounds
    lo_x, lo_y, hi_x, hi_y = VIETNAM_BOUNDS
    if a < lo_x or c > hi_x or b < lo_y or d > hi_y:
        raise GeometryProblem(
            f"the feature lies outside Vietnam ({a:.4f}, {b:.4f}): wrong coordinate system?"
        )
    properties = _typed(record, mapping, layer)
    return NewFeature(
        _key(index, properties, record, layer, key_field),
        properties,
        geometry,
        valid_from=_date(properties.get("valid_from") or properties.get("approved_on")),
    ), note


def _typed(record: dict[str, Any], mapping: dict[str, str], layer: LayerRead) -> dict[str, Any]:
    types = {f["name"]: f.get("type", "string") for f in layer.properties_schema}
    properties: dict[str, Any] = {}
    for source, target in mapping.items():
        value = record.get(source)
        if value is None or value == "":
            properties[target] = None
            continue
        kind = types.get(target, "string")
        try:
            properties[target] = _coerce(value, kind)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"attribute {source!r}: {value!r} is not a valid {kind}") from exc
    return properties


def _coerce(value: Any, kind: str) -> Any:
    if kind == "integer":
        number = float(value)
        if not number.is_integer():
            raise ValueError("not a whole number")
        return int(number)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return str(value).strip().lower() in ("1", "true", "yes", "có")
    if kind == "date":
        return date.fromisoformat(str(value)[:10]).isoformat()
    return str(value)


def _key(
    index: int, properties: dict[str, Any], record: dict[str, Any], layer: LayerRead, key_field: str | None
) -> str:
    if key_field:
        value = record.get(key_field, properties.get(key_field))
        if value in (None, ""):
            raise ValueError(f"no value in the key attribute {key_field!r}")
        return str(value)
    needed = KEY_FIELDS.get(layer.slug)
    if needed:
        values = [properties.get(n) for n in needed]
        if any(v in (None, "") for v in values):
            raise ValueError(
                f"missing {', '.join(n for n, v in zip(needed, values, strict=True) if v in (None, ''))}"
            )
        return (
            "/".join(str(v) for v in values)
            if layer.slug == "land-parcels"
            else "|".join(str(v) for v in values)
        )
    return f"f{index + 1}"


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def export_layer(db: Database, *, slug: str, fmt: str, published_only: bool = True) -> tuple[bytes, str, str]:
    """A layer's features as (content, media type, file name) in GeoJSON, GeoPackage or zipped Shapefile."""
    if fmt not in FORMATS:
        raise BadRequest(f"Unknown export format {fmt!r}: geojson, gpkg or shp")
    layer = service.get_layer(db, slug, published_only=published_only)
    page = service.query_features(db, slug=slug, limit=10_000_000, published_only=published_only, count=False)
    driver, media_type, extension = FORMATS[fmt]
    names = [f["name"] for f in layer.properties_schema] or sorted(
        {k for f in page.features for k in f.properties}
    )
    geometries = np.array(
        [shapely.to_wkb(shapely.geometry.shape(f.geometry)) for f in page.features if f.geometry],
        dtype=object,
    )
    columns = [
        np.array([_text(f.properties.get(n)) for f in page.features if f.geometry], dtype=object)
        for n in names
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{slug}{'.shp' if fmt == 'shp' else extension}"
        _pyogrio().write(
            path,
            geometries,
            columns,
            list(names),
            driver=driver,
            crs="EPSG:4326",
            geometry_type=_export_type(layer.geometry_type, fmt),
            promote_to_multi=fmt != "geojson" and "Point" not in layer.geometry_type,
            encoding="UTF-8" if fmt == "shp" else None,
            layer=slug,
        )
        if fmt != "shp":
            return path.read_bytes(), media_type, f"{slug}{extension}"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
        return buffer.getvalue(), media_type, f"{slug}{extension}"


def _export_type(geometry_type: str, fmt: str) -> str:
    if fmt == "geojson" or geometry_type not in COMPATIBLE:
        return "Unknown" if fmt != "shp" else "Polygon"
    if geometry_type in ("Polygon", "LineString", "Point"):
        return "Multi" + geometry_type if geometry_type != "Point" else "Point"
    return geometry_type


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
