"""Events the procedures domain publishes."""

from __future__ import annotations

from dataclasses import dataclass

from smartcity.core.events import Event, register_event


@register_event("procedures.CatalogueImported")
@dataclass(frozen=True)
class CatalogueImported(Event):
    """The catalogue was loaded or imported; counts of what changed."""

    source: str
    created: int
    updated: int
    unchanged: int
