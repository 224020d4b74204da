"""GeoJSON of stored features written by the database, passed through as text (the OGC API's JSON reads).

A stored feature's properties and geometry are JSON already (JSONB on PostgreSQL, JSON text on SQLite), so
each GeoJSON Feature is concatenated in SQL from their text: no decoding, no model per feature, no
re-encoding. One statement reads the layer's row, the page and, in the same round trip, the number of
matching features counted up to a cap (`ogc_count_limit`; beyond it the number is left out, which OGC API
Features Part 1 allows).

The layer's metadata (queryables, provider) is cached per process and database. Every statement reads the
layer's row again (id, version, publication, update time): a row that differs from the cached copy drops the
copy and raises `LayerChanged`, and the caller reads again, so a layer published, withdrawn or reloaded by
another process is seen at the next request.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.gis.config import get_gis_settings
from smartcity.gis.models import Feature, Layer
from smartcity.gis.providers import BBox, BoxBounds, provider_for
from smartcity.gis.schemas import LayerRead
from smartcity.gis.store import Period, filtered_features, layer_read

__all__ = [
    "FeatureDocuments",
    "LayerChanged",
    "feature_document",
    "page_documents",
    "published_layer",
]


class LayerChanged(Exception):
    """The layer's row changed since it was cached (the cached copy is dropped): read again."""


@dataclass(frozen=True)
class _Stamp:
    id: int
    version: int
    published: bool
    updated_at: datetime | None


@dataclass(frozen=True)
class _CachedLayer:
    read: LayerRead
    stamp: _Stamp


@dataclass(frozen=True)
class FeatureDocuments:
    """A page of GeoJSON Features as UTF-8 text joined by commas, how many, and what the count says."""

    features: bytes
    returned: int
    matched: int | None  # None: more than the counting cap (left out of the response)
    has_next: bool


_STAMP_COLUMNS = (Layer.id, Layer.version, Layer.published, Layer.updated_at)
_layers: weakref.WeakKeyDictionary[Database, dict[str, _CachedLayer]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _stamp(row: Any) -> _Stamp:
    return _Stamp(int(row.id), int(row.version), bool(row.published), row.updated_at)


def published_layer(db: Database, slug: str) -> LayerRead:
    """A published layer's description, from this process's cache (read on first use); NotFound otherwise."""
    return _cached_layer(db, slug).read


def _cached_layer(db: Database, slug: str) -> _CachedLayer:
    cached = _layers.get(db, {}).get(slug)
    if cached is None:
        with db.session() as s:
            layer = s.scalar(select(Layer).where(Layer.slug == slug))
            if layer is None or not layer.published:
                raise NotFound(f"No layer {slug!r}")
            cached = _CachedLayer(layer_read(layer), _stamp(layer))
        with _lock:
            _layers.setdefault(db, {})[slug] = cached
    return cached


def _check_stamp(db: Database, slug: str, row: Any, cached: _CachedLayer) -> None:
    if row is None or _stamp(row) != cached.stamp:
        with _lock:
            _layers.get(db, {}).pop(slug, None)
        raise LayerChanged(slug)


def _geojson_feature(feature: Any) -> ColumnElement[str]:
    """`{"type":"Feature","id":"<id>","geometry":<geometry>,"properties":<properties>}` built in SQL."""
    return (
        literal('{"type":"Feature","id":"', String)
        + cast(feature.c.id, String)
        + literal('","geometry":', String)
        + cast(feature.c.geometry, Text)
        + literal(',"properties":', String)
        + func.coalesce(cast(feature.c.properties, Text), "{}")
        + literal("}", String)
    )


# Statements are built once per shape and run with these parameters (building one costs more than running it).
_BOX_PARAMETERS = ("min_lon", "min_lat", "max_lon", "max_lat")
_BOX: BoxBounds = (
    bindparam("min_lon", type_=Float),
    bindparam("min_lat", type_=Float),
    bindparam("max_lon", type_=Float),
    bindparam("max_lat", type_=Float),
)
_PAGE_STATEMENTS: dict[tuple[str, bool], Select[Any]] = {}


def _page_statement(
    db: Database,
    session: Session,
    layer: LayerRead,
    *,
    boxed: bool,
    period: Period | None,
    filters: Mapping[str, str],
) -> Select[Any]:
    """The layer's stamp, the page's GeoJSON by id and the capped count (the same for every box and page)."""
    provider = provider_for(db)
    shape = (provider.name, boxed)
    reusable = period is None and not filters
    if reusable and shape in _PAGE_STATEMENTS:
        provider.ready(session)
        return _PAGE_STATEMENTS[shape]
    matching = filtered_features(
        db,
        session,
        select(Feature.id),
        layer=layer,
        layer_id=bindparam("layer_id", type_=Integer),
        bbox_filter=_BOX if boxed else None,
        period=period,
        filters=filters,
    )
    # the page's ids first, their GeoJSON after: text is made for the returned rows only
    page = (
        matching.order_by(Feature.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    counted = matching.limit(bindparam("cap", type_=Integer)).subquery("counted")
    shown = Feature.__table__.alias("shown")
    statement = (
        select(
            *_STAMP_COLUMNS,
            _geojson_feature(shown).label("doc"),
            select(func.count()).select_from(counted).scalar_subquery().label("matched"),
        )
        .select_from(Layer)
        .outerjoin(page, true())
        .outerjoin(shown, shown.c.id == page.c.id)
        .where(Layer.slug == bindparam("slug", type_=String))
        .order_by(page.c.id)
    )
    if reusable:
        _PAGE_STATEMENTS[shape] = statement
    return statement


def page_documents(
    db: Database,
    *,
    slug: str,
    bbox_filter: BBox | None = None,
    period: Period | None = None,
    filters: Mapping[str, str] | None = None,
    limit: int = 10,
    offset: int = 0,
) -> FeatureDocuments:
    """A page (by id) of a cached, published stored layer's features as GeoJSON text, in one statement.

    Raises LayerChanged when the layer's row no longer matches the cached copy (read the layer again).
    """
    cached = _cached_layer(db, slug)
    cap = max(get_gis_settings(db.settings).ogc_count_limit, offset + limit) + 1
    params: dict[str, Any] = {"slug": slug, "layer_id": cached.stamp.id, "limit": limit, "offset": offset}
    params["cap"] = cap
    if bbox_filter is not None:
        params.update(zip(_BOX_PARAMETERS, bbox_filter, strict=True))
    provider_for(db)  # prepared before the read (building the index writes)
    with db.session() as s:
        statement = _page_statement(
            db, s, cached.read, boxed=bbox_filter is not None, period=period, filters=filters or {}
        )
        rows = s.connection().execute(statement, params).all()
    _check_stamp(db, slug, rows[0] if rows else None, cached)
    docs = [row.doc for row in rows if row.doc is not None]
    counted_rows = int(rows[0].matched)
    return FeatureDocuments(
        features=",".join(docs).encode(),
        returned=len(docs),
        matched=counted_rows if counted_rows < cap else None,
        has_next=counted_rows > offset + len(docs),
    )


@cache
def _feature_statement() -> Select[bool, str, str]:
    feature = Feature.__table__
    joined = and_(feature.c.layer_id == Layer.id, feature.c.id == bindparam("feature_id", type_=Integer))
    return (
        select(Layer.published, Layer.provider, _geojson_feature(feature).label("doc"))
        .outerjoin(feature, joined)
        .where(Layer.slug == bindparam("slug", type_=String))
    )


def feature_document(db: Database, *, slug: str, feature_id: str) -> bytes | None:
    """One feature of a published stored layer as GeoJSON text, read with its layer in one statement.

    None when the layer is not a stored one (its features are not in the store); NotFound when the layer
    is missing or unpublished, or has no such feature.
    """
    wanted = (
        int(feature_id) if feature_id.isascii() and feature_id.isdigit() and len(feature_id) < 19 else None
    )
    with db.session() as s:
        row = s.connection().execute(_feature_statement(), {"slug": slug, "feature_id": wanted}).first()
    if row is None or not row.published:
        raise NotFound(f"No layer {slug!r}")
    if row.provider != "store":
        return None
    if row.doc is None:
        raise NotFound(f"No feature {feature_id!r} in {slug}")
    return str(row.doc).encode()
