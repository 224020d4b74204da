"""Reactions of the feedback domain to other domains' events."""

from __future__ import annotations

from smartcity.core.db import Database
from smartcity.core.events import Event
from smartcity.core.outbox import Handler
from smartcity.core.security import Actor
from smartcity.feedback import service


def ensure_categories(event: Event, db: Database) -> None:
    """When a city pack is loaded, make sure the 1022 categories exist (adds missing ones only)."""
    service.ensure_default_categories(db, actor=Actor.system("feedback.categories"))


HANDLERS: dict[str, list[Handler]] = {"city.CityPackLoaded": [ensure_categories]}
