"""The GIS feature store's write side: storing imported features, editing one feature, its edit history and
rebuilding the spatial index. Reads and the layer registry are in `store.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from smartcity.core.audit import AuditEntry
from smartcity.core.db import Database
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis.events import FeatureEdited, FeaturesImported
from smartcity.gis.geo import (
    GeometryProblem,
    bbox,
    check_wgs84,
    parse_geojson,
    repair,
    to_geojson,
    to_geojson_many,
)
from smartcity.gis.models import Feature
from smartcity.gis.providers import provider_for
from smartcity.gis.schemas import FeatureChange, FeatureOut
from smartcity.gis.store import _layer_for_update, _require_editor, feature_out

INSERT_BATCH = 2000


@dataclass(frozen=True)
class NewFeature:
    """A feature to store: key, public properties, private ones, WGS 84 geometry and validity."""

    key: str
    properties: dict[str, Any]
    geometry: BaseGeometry
    private: dict[str, Any] | None = None
    valid_from: date | None = None
    valid_to: date | None = None


# ------------------------------------------------------------------------------------------- writing


def prepared_geometry(geojson: Mapping[str, Any]) -> tuple[BaseGeometry, str | None]:
    """A WGS 84 geometry checked and repaired if needed; raises GeometryProblem if unusable."""
    geometry = parse_geojson(geojson)
    check_wgs84(geometry)
    return repair(geometry)


def _rows(layer_id: int, items: list[NewFeature], synthetic: bool) -> list[dict[str, Any]]:
    geometries = [item.geometry for item in items]
    bounds = shapely.bounds(geometries).tolist() if items else []
    return [
        {
            "layer_id": layer_id,
            "key": item.key,
            "properties": item.properties,
            "private": item.private,
            "geometry": geojson,
            "min_lon": box[0],
            "min_lat": box[1],
            "max_lon": box[2],
            "max_lat": box[3],
            "valid_from": item.valid_from,
            "valid_to": item.valid_to,
            "synthetic": synthetic,
            "version": 1,
        }
        for item, geojson, box in zip(items, to_geojson_many(geometries), bounds, strict=True)
    ]


def _insert(session: Session, layer_id: int, items: list[NewFeature], synthetic: bool) -> int:
    if items:
        session.execute(insert(Feature), _rows(layer_id, items, synthetic))
    return len(items)


def store_features(
    uow: UnitOfWork,
    *,
    slug: str,
    features: Iterable[NewFeature],
    synthetic: bool = False,
    replace: str = "none",
) -> int:
    """Insert features into a stored layer inside the caller's unit of work.

    replace: "none" (keys must be new), "synthetic" (drop the layer's synthetic features first) or
    "all" (drop every feature of the layer first). Audited as one change per call; returns the count.
    Call `provider_for(db)` before opening the unit of work: on SQLite, building the index inside it
    would wait for the write lock that the unit of work already holds.
    """
    provider_for(uow.db)
    layer = _layer_for_update(uow.session, slug)
    removed = 0
    if replace in ("synthetic", "all"):
        condition = Feature.layer_id == layer.id
        if replace == "synthetic":
            condition = condition & Feature.synthetic.is_(True)
        result = uow.session.execute(delete(Feature).where(condition))
        removed = int(getattr(result, "rowcount", 0) or 0)
    count = 0
    batch: list[NewFeature] = []
    for item in features:
        batch.append(item)
        if len(batch) >= INSERT_BATCH:
            count += _insert(uow.session, layer.id, batch, synthetic)
            batch = []
    count += _insert(uow.session, layer.id, batch, synthetic)
    layer.version += 1
    if synthetic:
        layer.synthetic = True
    elif replace in ("all", "synthetic"):
        layer.synthetic = False
    uow.audit(
        "gis.features.store",
        "gis_layer",
        slug,
        before={"removed": removed},
        after={"inserted": count, "synthetic": synthetic, "replace": replace},
    )
    uow.publish(FeaturesImported(layer=slug, count=count, replaced=removed, synthetic=synthetic))
    return count


def update_feature(
    db: Database,
    *,
    actor: Actor,
    slug: str,
    feature_id: int,
    properties: Mapping[str, Any] | None = None,
    geometry: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    reason: str | None = None,
) -> FeatureOut:
    """A staff correction of one feature; the audit log keeps the before and after (the history)."""
    _require_editor(actor)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationFailed.for_field("reason", "at most 500 characters")
    provider_for(db)
    new_geometry = None
    if geometry is not None:
        try:
            new_geometry, _note = prepared_geometry(geometry)
        except GeometryProblem as exc:
            raise ValidationFailed.for_field("geometry", str(exc)) from exc
    with UnitOfWork(db, actor) as uow:
        layer = _layer_for_update(uow.session, slug)
        feature = uow.session.scalar(
            select(Feature).where(Feature.layer_id == layer.id, Feature.id == feature_id)
        )
        if feature is None:
            raise NotFound(f"No feature {feature_id} in {slug}")
        if expected_version is not None and expected_version != feature.version:
            raise ValidationFailed.for_field("version", f"the feature is at version {feature.version}")
        before = {"properties": feature.properties, "geometry": feature.geometry, "version": feature.version}
        if properties is not None:
            feature.properties = {**(feature.properties or {}), **dict(properties)}
        if new_geometry is not None:
            feature.geometry = to_geojson(new_geometry)
            feature.min_lon, feature.min_lat, feature.max_lon, feature.max_lat = bbox(new_geometry)
        feature.version += 1
        uow.session.flush()
        uow.audit(
            "gis.feature.edit",
            f"gis_feature:{slug}",
            feature.id,
            before=before,
            after={
                "properties": feature.properties,
                "geometry": feature.geometry,
                "version": feature.version,
                "reason": reason,
            },
        )
        uow.publish(
            FeatureEdited(layer=slug, feature_id=feature.id, key=feature.key, version=feature.version)
        )
        return feature_out(feature)


def feature_history(db: Database, *, slug: str, feature_id: int) -> list[FeatureChange]:
    """The corrections of one feature from the audit log, oldest first: who, when, why, what changed."""
    with db.session() as s:
        entries = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == f"gis_feature:{slug}", AuditEntry.entity_id == str(feature_id))
            .order_by(AuditEntry.seq)
        ).all()
        return [_feature_change(entry) for entry in entries]


def _feature_change(entry: AuditEntry) -> FeatureChange:
    before, after = entry.before or {}, entry.after or {}
    old, new = before.get("properties") or {}, after.get("properties") or {}
    changed = {
        name: (old.get(name), new.get(name))
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    }
    return FeatureChange(
        at=entry.at,
        actor=entry.actor,
        version=after.get("version"),
        reason=after.get("reason") or "",
        changed_properties=changed,
        geometry_changed=before.get("geometry") != after.get("geometry"),
    )


def reindex(db: Database) -> int:
    """Rebuild the spatial index of the feature store; returns the number of features indexed."""
    provider = provider_for(db)
    return provider.rebuild(db)
