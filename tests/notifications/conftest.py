"""Fixtures of the notifications tests: the city loaded (org units, default rules)."""

from __future__ import annotations

import pytest

from smartcity.core.security import Actor


@pytest.fixture
def city(db, settings):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded; its handlers add the default notification rules."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    return db
