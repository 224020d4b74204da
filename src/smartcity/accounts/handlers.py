"""Reactions of the accounts domain to other domains' events."""

from __future__ import annotations

from smartcity.accounts import service
from smartcity.city.events import CityPackLoaded
from smartcity.core.db import Database
from smartcity.core.events import Event
from smartcity.core.outbox import Handler
from smartcity.core.security import Actor


def upsert_org_units(event: Event, db: Database) -> None:
    """Create or update the org units a city pack declares (idempotent: upsert by code, audited)."""
    if not isinstance(event, CityPackLoaded):
        raise TypeError(f"expected CityPackLoaded, got {type(event).__name__}")
    service.upsert_org_units(db, actor=Actor.system(f"city-pack:{event.pack}"), units=event.org_units)


HANDLERS: dict[str, list[Handler]] = {"city.CityPackLoaded": [upsert_org_units]}
