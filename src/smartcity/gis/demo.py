"""Demo data for GIS: the synthetic (clearly labelled) planning zones, streets, parcels and addresses."""

from __future__ import annotations

from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Conflict
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.gis import cityref, demo_layers, feature_writes, store
from smartcity.gis.models import Layer

DEMO_PARCELS = 20_000


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Generate the synthetic layers inside the real boundary (skipped when already there)."""
    counts = load_demo_layers(db, actor=actor, parcels=DEMO_PARCELS)
    return ", ".join(f"{count} {layer}" for layer, count in counts.items()) or "already there"


DEMO_LAYER_ORDER = ("streets", "planning-zones", "land-parcels", "buildings", "public-offices", "addresses")


def load_demo_layers(
    db: Database,
    *,
    actor: Actor,
    parcels: int = 20_000,
    seed: int = 20250701,
    boundary: BaseGeometry | None = None,
    progress: Any = None,
    force: bool = False,
) -> dict[str, int]:
    """Generate and store the synthetic demo layers inside the city boundary; idempotent.

    Runs again only when the number of parcels or the seed changed (or `force`); real (imported)
    features are kept, the previous synthetic ones replaced. Returns the count per layer.
    """
    store.ensure_builtin_layers(db, actor=actor)
    marker = f"synthetic demo: {parcels} parcels, seed {seed}"
    if not force and _demo_marker(db) == marker:
        return {slug: store.count_features(db, slug=slug, synthetic=True) for slug in DEMO_LAYER_ORDER}
    if boundary is None:
        boundary = cityref.city_boundary(db)
    if boundary is None:
        raise Conflict("No city boundary: load the city pack first (smartcity citypack load thu-dau-mot)")
    locator = cityref.WardLocator(db, on=clock.today())

    def ward_of(lon: float, lat: float) -> tuple[str, str] | None:
        ward = locator.locate(lon, lat)
        return (ward.code, ward.name) if ward else None

    store.provider_for(db)  # prepare the index before the unit of work takes the write lock
    total = 6 + len(DEMO_LAYER_ORDER)
    step = progress or (lambda _description, _done, _total: None)
    layers = demo_layers.generate(
        boundary,
        parcels=parcels,
        seed=seed,
        ward_of=ward_of,
        progress=lambda description, done, _n: step(description, done, total),
    )
    counts: dict[str, int] = {}
    with UnitOfWork(db, actor) as uow:
        for index, slug in enumerate(DEMO_LAYER_ORDER):
            step(f"Lưu / storing {slug}", 6 + index, total)
            counts[slug] = feature_writes.store_features(
                uow, slug=slug, features=layers.features.get(slug, []), synthetic=True, replace="synthetic"
            )
        layer = store._layer_for_update(uow.session, "land-parcels")
        layer.source = marker
        uow.audit("gis.demo.load", "gis_layer", "demo", after=counts)
    step("Xong / done", total, total)
    return counts


def _demo_marker(db: Database) -> str | None:
    with db.session() as s:
        return s.scalar(select(Layer.source).where(Layer.slug == "land-parcels"))
