"""Use cases of the GIS domain: the layer registry and the feature store.

Planning lookups live in `planning.py`, house numbers in `addressing.py`, imports and exports in
`transfer.py` and the demo data in `demo_layers.py`; all of them write through `feature_writes.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from sqlalchemy import ColumnElement, Row, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis import cityref
from smartcity.gis.events import LayerPublished
from smartcity.gis.geo import (
    bbox,
    parse_geojson,
)
from smartcity.gis.layers import BUILTIN_LAYERS
from smartcity.gis.models import Feature, Layer
from smartcity.gis.providers import BBox, BoxBounds, provider_for
from smartcity.gis.schemas import FeatureOut, FeaturePage, LayerCreate, LayerRead

EDITOR_ROLES = ("specialist", "head", "admin")
# The map's layers are the work of the Urban Management (TDM-QLDT) and Natural Resources and Environment
# (TDM-TNMT: land parcels) divisions and of the people's committees (UBND-: the city's, and each ward's,
# whose staff enter house numbers and keep their ward's addresses and parcels); no school's or health
# station's staff edits them. Editors, house-number clerks and inspectors hold their role in one of these
# units or city-wide.
EDITOR_UNITS = ("TDM-QLDT", "TDM-TNMT", "UBND-")
EDITOR_REFUSAL = (
    "Việc này dành cho cán bộ Phòng Quản lý đô thị, Phòng Tài nguyên và Môi trường "
    "và Ủy ban nhân dân thành phố, phường."
)


def is_editor(actor: Actor) -> bool:
    """Whether the actor edits the map's layers (and sees unpublished ones)."""
    return any(actor.has_role_in(role, EDITOR_UNITS) for role in EDITOR_ROLES)


@dataclass(frozen=True)
class Period:
    """A closed, open or half-open date interval (None: unbounded) used to filter valid features."""

    start: date | None = None
    end: date | None = None


# ----------------------------------------------------------------------------------------------- layers


def layer_read(layer: Layer) -> LayerRead:
    """The description of a layer as read from its row."""
    return LayerRead(
        slug=layer.slug,
        title=layer.title,
        title_en=layer.title_en,
        description=layer.description,
        geometry_type=layer.geometry_type,
        properties_schema=list(layer.properties_schema or []),
        source=layer.source,
        licence=layer.licence,
        published=layer.published,
        provider=layer.provider,
        builtin=layer.builtin,
        synthetic=layer.synthetic,
        temporal=layer.temporal,
        version=layer.version,
    )


def ensure_builtin_layers(db: Database, *, actor: Actor) -> int:
    """Register the built-in layers that are missing (published by default); returns how many were added."""
    with db.session() as s:
        existing = set(s.scalars(select(Layer.slug)))
    missing = [layer for layer in BUILTIN_LAYERS if layer.slug not in existing]
    if not missing:
        return 0
    with UnitOfWork(db, actor) as uow:
        for item in missing:
            uow.session.add(
                Layer(
                    slug=item.slug,
                    title=item.title,
                    title_en=item.title_en,
                    description=item.description,
                    geometry_type=item.geometry_type,
                    properties_schema=item.properties_schema,
                    source=item.source,
                    licence=item.licence,
                    published=True,
                    provider=item.provider,
                    builtin=True,
                    temporal=item.temporal,
                )
            )
            uow.audit("gis.layer.create", "gis_layer", item.slug, after={"builtin": True})
    return len(missing)


def list_layers(db: Database, *, published_only: bool = False) -> list[LayerRead]:
    """The registered layers (only the published ones when asked), by slug."""
    query = select(Layer).order_by(Layer.id)
    if published_only:
        query = query.where(Layer.published.is_(True))
    with db.session() as s:
        return [layer_read(layer) for layer in s.scalars(query)]


def get_layer(db: Database, slug: str, *, published_only: bool = False) -> LayerRead:
    """One layer; NotFound if unknown (or unpublished when only published layers may be seen)."""
    with db.session() as s:
        layer = s.scalar(select(Layer).where(Layer.slug == slug))
        if layer is None or (published_only and not layer.published):
            raise NotFound(f"No layer {slug!r}")
        return layer_read(layer)


def create_layer(db: Database, *, actor: Actor, data: LayerCreate) -> LayerRead:
    """Register a new stored layer."""
    _require_editor(actor)
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(Layer.id).where(Layer.slug == data.slug)) is not None:
            raise ValidationFailed.for_field("slug", f"a layer {data.slug!r} already exists")
        layer = Layer(**data.model_dump(), provider="store", builtin=False)
        uow.session.add(layer)
        uow.session.flush()
        uow.audit("gis.layer.create", "gis_layer", data.slug, after=data.model_dump())
        return layer_read(layer)


def set_published(db: Database, *, actor: Actor, slug: str, published: bool) -> LayerRead:
    """Publish a layer on the public APIs (OGC API Features, map) or withdraw it."""
    _require_editor(actor)
    with UnitOfWork(db, actor) as uow:
        layer = _layer_for_update(uow.session, slug)
        before = layer.published
        layer.published = published
        layer.version += 1
        uow.audit(
            "gis.layer.publish",
            "gis_layer",
            slug,
            before={"published": before},
            after={"published": published},
        )
        uow.publish(LayerPublished(layer=slug, published=published))
        return layer_read(layer)


def _layer_for_update(session: Session, slug: str) -> Layer:
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    if layer is None:
        raise NotFound(f"No layer {slug!r}")
    return layer


def _require_editor(actor: Actor) -> None:
    if not is_editor(actor):
        raise Forbidden("Editing layers needs the specialist, head or admin role in an editing unit")


# ------------------------------------------------------------------------------------------- reading


# What a published feature is made of (never the private attributes): a read selects these only.
_FEATURE_COLUMNS = (
    Feature.id,
    Feature.key,
    Feature.properties,
    Feature.geometry,
    Feature.min_lon,
    Feature.min_lat,
    Feature.max_lon,
    Feature.max_lat,
    Feature.valid_from,
    Feature.valid_to,
    Feature.version,
)


def feature_out(feature: Feature | Row[*tuple[Any, ...]]) -> FeatureOut:
    """The published form of a stored feature (private attributes left out)."""
    return FeatureOut(
        id=str(feature.id),
        key=feature.key,
        properties=dict(feature.properties or {}),
        geometry=feature.geometry,
        bbox=(feature.min_lon, feature.min_lat, feature.max_lon, feature.max_lat),
        valid_from=feature.valid_from,
        valid_to=feature.valid_to,
        version=feature.version,
    )


def _valid_during(period: Period) -> ColumnElement[bool]:
    conditions = []
    if period.end is not None:
        conditions.append(or_(Feature.valid_from.is_(None), Feature.valid_from <= period.end))
    if period.start is not None:
        conditions.append(or_(Feature.valid_to.is_(None), Feature.valid_to >= period.start))
    return (
        conditions[0] & conditions[1]
        if len(conditions) == 2
        else (conditions[0] if conditions else Feature.id.is_not(None))
    )


def _property_condition(layer: LayerRead, name: str, value: str) -> ColumnElement[bool]:
    types = {f["name"]: f.get("type", "string") for f in layer.properties_schema}
    if name not in types:
        raise ValidationFailed.for_field(name, f"not a queryable property of {layer.slug}")
    element = Feature.properties[name]
    kind = types[name]
    try:
        if kind == "integer":
            return element.as_integer() == int(value)
        if kind == "number":
            return element.as_float() == float(value)
        if kind == "boolean":
            return element.as_boolean() == (value.lower() in ("true", "1", "yes"))
    except ValueError as exc:
        raise ValidationFailed.for_field(name, f"expects a {kind}") from exc
    return element.as_string() == value


def _stored_layer(session: Session, slug: str, published_only: bool) -> Layer:
    layer = session.scalar(select(Layer).where(Layer.slug == slug))
    if layer is None or (published_only and not layer.published):
        raise NotFound(f"No layer {slug!r}")
    return layer


def filtered_features(
    db: Database,
    session: Session,
    query: Select[Any],
    *,
    layer: LayerRead,
    layer_id: int | ColumnElement[int],
    bbox_filter: BoxBounds | None = None,
    period: Period | None = None,
    filters: Mapping[str, str] | None = None,
) -> Select[Any]:
    """`query` (over gis_features) narrowed to one stored layer, a box, a validity period and property values.

    The box is tested by the configured spatial provider, on `session`'s connection (SQLite registers its
    exact-test functions there).
    """
    provider = provider_for(db)
    query = query.where(provider.in_layer(layer_id, spatial=bbox_filter is not None))
    if bbox_filter is not None:
        query = provider.within_bbox(session, query, bbox_filter)
    if period is not None:
        query = query.where(_valid_during(period))
    for name, value in (filters or {}).items():
        query = query.where(_property_condition(layer, name, value))
    return query


def query_features(
    db: Database,
    *,
    slug: str,
    bbox_filter: BBox | None = None,
    period: Period | None = None,
    filters: Mapping[str, str] | None = None,
    limit: int = 10,
    offset: int = 0,
    published_only: bool = True,
    count: bool = True,
    layer: LayerRead | None = None,
) -> FeaturePage:
    """A page of a layer's features intersecting a box, valid in a period, matching property values.

    `layer`: the layer as the caller has just read it (its published state checked), not read again.
    """
    described = layer if layer is not None else get_layer(db, slug, published_only=published_only)
    if described.provider == "city-units":
        return _city_units_page(
            db, bbox_filter=bbox_filter, period=period, filters=filters or {}, limit=limit, offset=offset
        )
    provider_for(db)  # prepared before the read (building the index writes)
    layer_id = select(Layer.id).where(Layer.slug == slug).scalar_subquery()
    with db.session() as s:
        query = filtered_features(
            db,
            s,
            select(*_FEATURE_COLUMNS),
            layer=described,
            layer_id=layer_id,
            bbox_filter=bbox_filter,
            period=period,
            filters=filters,
        )
        matched = -1
        if count:
            matched = int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = s.execute(query.order_by(Feature.id).limit(limit).offset(offset)).all()
    features = [feature_out(row) for row in rows]
    return FeaturePage(features=features, number_matched=matched, limit=limit, offset=offset)


def layer_and_feature(
    db: Database, *, slug: str, feature_id: str, published_only: bool = True
) -> tuple[LayerRead, FeatureOut]:
    """A layer and one of its features by id, read in one statement; NotFound if either is missing."""
    wanted = int(feature_id) if feature_id.isdigit() else None
    joined = and_(Feature.layer_id == Layer.id, Feature.id == wanted) if wanted is not None else false()
    query = select(Layer, *_FEATURE_COLUMNS).outerjoin(Feature, joined).where(Layer.slug == slug)
    with db.session() as s:
        row = s.execute(query).first()
        if row is None or (published_only and not row.Layer.published):
            raise NotFound(f"No layer {slug!r}")
        layer = layer_read(row.Layer)
    if layer.provider == "city-units":
        for feature in _city_unit_features(db, on=clock.today()):
            if feature.id == feature_id:
                return layer, feature
    elif row.id is not None:
        return layer, feature_out(row)
    raise NotFound(f"No feature {feature_id!r} in {slug}")


def get_feature(db: Database, *, slug: str, feature_id: str, published_only: bool = True) -> FeatureOut:
    """One feature of a layer by id; NotFound otherwise."""
    return layer_and_feature(db, slug=slug, feature_id=feature_id, published_only=published_only)[1]


def feature_by_key(db: Database, *, slug: str, key: str) -> FeatureOut | None:
    """A stored feature by its natural key (parcel 'sheet/number', address 'street|number'), or None."""
    with db.session() as s:
        layer = _stored_layer(s, slug, False)
        feature = s.scalar(select(Feature).where(Feature.layer_id == layer.id, Feature.key == key))
        return feature_out(feature) if feature else None


def features_with_key_prefix(db: Database, *, slug: str, prefix: str) -> list[FeatureOut]:
    """Stored features whose key starts with `prefix` (an index range scan, not a table scan)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    with db.session() as s:
        layer = _stored_layer(s, slug, False)
        rows = s.scalars(
            select(Feature)
            .where(Feature.layer_id == layer.id, Feature.key >= prefix, Feature.key < upper)
            .order_by(Feature.key)
        )
        return [feature_out(f) for f in rows]


def features_at(
    db: Database, *, slug: str, lon: float, lat: float, on: date | None = None
) -> list[FeatureOut]:
    """Features of a stored layer whose geometry covers the point (from the spatial index)."""
    provider = provider_for(db)
    with db.session() as s:
        layer = _stored_layer(s, slug, False)
        query = provider.at_point(
            s, select(Feature).where(provider.in_layer(layer.id, spatial=True)), lon, lat
        )
        if on is not None:
            query = query.where(_valid_during(Period(on, on)))
        return [feature_out(f) for f in s.scalars(query.order_by(Feature.id))]


def features_in_bbox(db: Database, *, slug: str, box: BBox, limit: int = 10_000) -> list[FeatureOut]:
    """Features of a stored layer intersecting a WGS 84 box (unpublished layers included)."""
    return query_features(
        db, slug=slug, bbox_filter=box, limit=limit, published_only=False, count=False
    ).features


def layer_extents(db: Database, slugs: list[str]) -> dict[str, BBox]:
    """The bounding boxes of stored layers' features by slug, in one query; an empty layer has none."""
    if not slugs:
        return {}
    query = (
        select(
            Layer.slug,
            func.min(Feature.min_lon),
            func.min(Feature.min_lat),
            func.max(Feature.max_lon),
            func.max(Feature.max_lat),
        )
        .join(Feature, Feature.layer_id == Layer.id)
        .where(Layer.slug.in_(slugs))
        .group_by(Layer.slug)
    )
    with db.session() as s:
        rows = s.execute(query).all()
    return {
        slug: (float(west), float(south), float(east), float(north))
        for slug, west, south, east, north in rows
    }


def count_features(db: Database, *, slug: str, synthetic: bool | None = None) -> int:
    """How many features a stored layer holds (only synthetic or only real ones when asked)."""
    with db.session() as s:
        layer = _stored_layer(s, slug, False)
        query = select(func.count()).select_from(Feature).where(Feature.layer_id == layer.id)
        if synthetic is not None:
            query = query.where(Feature.synthetic.is_(synthetic))
        return int(s.scalar(query) or 0)


def parcel_owner_reference(db: Database, *, actor: Actor, key: str) -> str | None:
    """The private owner reference of a parcel, for staff only; every read is written to the audit log."""
    if not any(actor.has_role_in(role, EDITOR_UNITS) for role in ("clerk", "specialist", "head", "admin")):
        raise Forbidden("The owner reference of a parcel is not public")
    with UnitOfWork(db, actor) as uow:
        layer = _stored_layer(uow.session, "land-parcels", False)
        feature = uow.session.scalar(select(Feature).where(Feature.layer_id == layer.id, Feature.key == key))
        if feature is None:
            raise NotFound(f"No parcel {key!r}")
        uow.audit("gis.parcel.owner_read", "gis_parcel", key)
        return (feature.private or {}).get("owner_ref")


# --------------------------------------------------------------------------------------- city units


def _city_unit_features(db: Database, *, on: date) -> list[FeatureOut]:
    features = []
    city = cityref.city_feature(db, on=on)
    raw = ([city] if city else []) + cityref.ward_features(db, on=on)
    for item in raw:
        props = dict(item.get("properties") or {})
        level = "ward" if item is not city else "district"
        geometry = item.get("geometry")
        box = bbox(parse_geojson(geometry)) if geometry else None
        features.append(
            FeatureOut(
                id=str(item.get("id") or props.get("code")),
                key=str(props.get("code")),
                properties={
                    "code": props.get("code"),
                    "name": props.get("name"),
                    "level": level,
                    "approximate": bool(props.get("approximate")),
                    "valid_from": props.get("valid_from"),
                    "valid_to": props.get("valid_to"),
                },
                geometry=geometry,
                bbox=box,
            )
        )
    return features


def _city_units_page(
    db: Database,
    *,
    bbox_filter: BBox | None,
    period: Period | None,
    filters: Mapping[str, str],
    limit: int,
    offset: int,
) -> FeaturePage:
    on = (period.end or period.start) if period else None
    features = _city_unit_features(db, on=on or clock.today())
    if bbox_filter is not None:
        box = shapely.box(*bbox_filter)
        features = [f for f in features if f.geometry and parse_geojson(f.geometry).intersects(box)]
    for name, value in filters.items():
        features = [f for f in features if str(f.properties.get(name)).lower() == value.lower()]
    return FeaturePage(
        features=features[offset : offset + limit], number_matched=len(features), limit=limit, offset=offset
    )
