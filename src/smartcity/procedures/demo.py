"""Demo data of the procedures domain: the city pack's catalogue (278 procedures)."""

from __future__ import annotations

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.procedures.service import level_counts, load_city_catalogue


def load_demo(db: Database, *, settings: Settings, actor: Actor) -> str:
    """Load (or refresh) the city's catalogue; idempotent."""
    report = load_city_catalogue(db, actor=actor, pack=settings.city)
    counts = level_counts(db)
    return (
        f"{sum(counts.values())} procedures (level 4: {counts.get(4, 0)}, level 3: {counts.get(3, 0)}); "
        f"created {report.created}, updated {report.updated}"
    )
