"""Fixtures of the accounts tests: a cheap password hasher, users with roles, tokens."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from smartcity.accounts import service
from smartcity.accounts.schemas import UserRead
from smartcity.core.security import Actor

PASSWORD = "correct horse battery"
SYSTEM = Actor.system("test")


@pytest.fixture
def make_user(db) -> Callable[..., UserRead]:
    """Create a user with the test password and the given roles: make_user("u", ("clerk", None))."""

    def make(username: str, *roles: tuple[str, str | None], **fields) -> UserRead:
        return service.create_user(
            db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles), **fields
        )

    return make


@pytest.fixture
def bearer(db, settings) -> Callable[[str], dict[str, str]]:
    """Authorization headers for a user logged in with the test password."""

    def headers(username: str) -> dict[str, str]:
        token = service.login_for_token(
            db, settings=settings, username=username, password=PASSWORD, client_ip="10.9.9.9"
        ).access_token
        return {"Authorization": f"Bearer {token}"}

    return headers
