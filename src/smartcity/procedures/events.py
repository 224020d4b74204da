"""Events the procedures domain publishes."""

from __future__ import annotations

from smartcity.core.events import Event, register_event


@register_event("procedures.CatalogueImported")
class CatalogueImported(Event):
    """The catalogue was loaded or imported; counts of what changed."""

    source: str
    created: int
    updated: int
    unchanged: int
