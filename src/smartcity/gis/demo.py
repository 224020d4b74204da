"""Demo data for GIS: the synthetic (clearly labelled) planning zones, streets, parcels and addresses."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.gis.service import load_demo_layers

DEMO_PARCELS = 20_000


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Generate the synthetic layers inside the real boundary (skipped when already there)."""
    counts = load_demo_layers(db, actor=actor, parcels=DEMO_PARCELS)
    return ", ".join(f"{count} {layer}" for layer, count in counts.items()) or "already there"
