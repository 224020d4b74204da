"""Fixtures of the GIS tests: the city pack and a small synthetic demo city."""

from __future__ import annotations

import pytest

from smartcity.city.loader import load_city_pack
from smartcity.core.security import Actor
from smartcity.gis import service

SYSTEM = Actor.system("gis-test")
SPECIALIST = Actor(kind="user", name="chuyenvien", user_id=7, roles=frozenset({("specialist", None)}))
CITIZEN = Actor(kind="user", name="dan", user_id=8, roles=frozenset({("citizen", None)}))
DEMO_PARCELS = 1200


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """A database with the Thủ Dầu Một city pack and the built-in layers."""
    load_city_pack(db, actor=SYSTEM)
    service.ensure_builtin_layers(db, actor=SYSTEM)
    return db


@pytest.fixture
def demo(city):  # type: ignore[no-untyped-def]
    """The city with a small synthetic demo (streets, zones, about a thousand parcels)."""
    service.load_demo_layers(city, actor=SYSTEM, parcels=DEMO_PARCELS)
    return city
