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
def escalating(city):  # type: ignore[no-untyped-def]
    """The city whose severe-incident rule also escalates its message (an administrator's choice; the default
    leaves incidents to the centre's own chain): unacknowledged after 10 minutes, to the centre's leader."""
    from sqlalchemy import select

    from smartcity.ioc.service import staff_address
    from smartcity.notifications.models import NotificationRule

    with city.write_session() as s:
        severe = NotificationRule.name == "Sự cố nghiêm trọng mới"
        rule = s.scalars(select(NotificationRule).where(severe)).one()
        rule.escalate_after_min, rule.escalate_to = 10, [staff_address("leader")]
    return city


@pytest.fixture
def act_as(app) -> Iterator[Callable[[Actor], None]]:  # type: ignore[no-untyped-def]
    """Make every request of the test client come from this actor."""

    def use(actor: Actor) -> None:
        app.dependency_overrides[current_actor] = lambda: actor

    yield use
    app.dependency_overrides.pop(current_actor, None)
