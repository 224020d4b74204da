"""Fixtures of the investment tests: the city pack, the demo data, signed-in staff."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor

SYSTEM = Actor.system("test")
PASSWORD = "correct horse battery"


@pytest.fixture
def city(db):  # type: ignore[no-untyped-def]
    """The Thủ Dầu Một pack loaded (wards)."""
    from smartcity.city.loader import load_city_pack

    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    return db


@pytest.fixture
def demo(city, settings):  # type: ignore[no-untyped-def]
    """The investment demo data loaded on top of the city pack."""
    from smartcity.investment.demo import load_demo

    load_demo(city, settings=settings, actor=SYSTEM)
    return city


@pytest.fixture
def login(db, settings) -> Callable[..., dict[str, str]]:
    """Create a user with roles and return bearer headers for it."""

    def make(username: str, *roles: tuple[str, str | None]) -> dict[str, str]:
        accounts_service.create_user(
            db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles)
        )
        token = accounts_service.login_for_token(
            db, settings=settings, username=username, password=PASSWORD, client_ip="10.1.2.3"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    return make


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in_page(client, db, username: str, role: str = "specialist") -> None:  # type: ignore[no-untyped-def]
    """Create a user with `role` (city-wide) and sign the test client in through the login form."""
    accounts_service.create_user(db, actor=SYSTEM, username=username, password=PASSWORD, roles=[(role, None)])
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
