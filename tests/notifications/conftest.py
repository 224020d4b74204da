"""Fixtures of the notifications tests: the city loaded (org units, default rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from smartcity.core.security import Actor
from smartcity.web.deps import current_actor


@pytest.fixture
def city(db, settings):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded; its handlers add the default notification rules."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    return db


@pytest.fixture
def act_as(app) -> Iterator[Callable[[Actor], None]]:  # type: ignore[no-untyped-def]
    """Make every request of the test client come from this actor."""

    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)
