"""Fixtures of the portal tests: the public city of the open-data tests, users who sign in, cheap hashing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor
from tests.opendata.conftest import public_city, public_sqlite_template  # noqa: F401  (shared fixtures)
from tests.support import csrf_of, sign_in

PASSWORD = "Portal-test-password-1"
SYSTEM = Actor.system("portal-test")


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with small parameters so that logins in tests stay quick."""
    monkeypatch.setattr(
        accounts_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    accounts_service._dummy_hash.cache_clear()


@pytest.fixture
def signed_in(app, db) -> Callable[..., tuple[TestClient, str, int]]:  # type: ignore[no-untyped-def]
    """A client signed in as a new user with these roles: (client, CSRF token, user id)."""

    def signed_in_as(username: str, *roles: tuple[str, str | None]) -> tuple[TestClient, str, int]:
        user = accounts_service.create_user(
            db, actor=SYSTEM, username=username, password=PASSWORD, roles=roles
        )
        client = TestClient(app)
        sign_in(client, username, PASSWORD, "/")
        token = csrf_of(client.get("/").text)
        return client, token, user.id

    return signed_in_as
