"""Fixtures of the security suite: one application with a user per role, on a private SQLite copy or on a
PostgreSQL database of its own."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from smartcity.accounts import service as accounts_service
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from smartcity.signing import service as signing_service
from smartcity.web.ratelimit import RateLimitSettings
from tests.conftest import TEST_SECRET, private_postgres_database
from tests.dossiers.dossier_fixtures import ORG_CHART

PASSWORD = "role horse battery staple"
WARD = "UBND-25747-HCM"
ROLES: dict[str, tuple[str, str | None] | None] = {
    "anonymous": None,
    "citizen": ("citizen", None),
    "ward_clerk": ("clerk", WARD),
    "department_head": ("head", WARD),
    "operator": ("operator", None),
    "administrator": ("admin", None),
}


@dataclass
class RoleApp:
    """The application, its settings and database, with one user `role_<name>` per role of ROLES."""

    app: Any
    settings: Settings
    db: Database

    def headers(self, role: str) -> dict[str, str]:
        """Bearer headers of a fresh token for the role's user (none for anonymous)."""
        if ROLES[role] is None:
            return {}
        token = accounts_service.login_for_token(
            self.db, settings=self.settings, username=f"role_{role}", password=PASSWORD, client_ip="10.7.7.7"
        ).access_token
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def seeded_role_app(database: Database, folder: Path) -> Iterator[RoleApp]:
    """The app on a migrated, empty `database`, with the org chart, the city PKI and a user per role."""
    settings = Settings(
        data_dir=folder / "var", database_url=database.url, secret_key=TEST_SECRET, log_json=False
    )
    settings.set_section(RateLimitSettings(enabled=False))  # the limits have their own tests
    database.bind_settings(settings)
    saved_hasher = accounts_service._hasher
    accounts_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts_service._dummy_hash.cache_clear()
    system = Actor.system("security-tests")
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts_service.upsert_org_units(database, actor=system, units=units)
    signing_service.init_pki(database, actor=system, settings=settings)  # IOC alerts are signed
    for name, role in ROLES.items():
        if role is not None:
            accounts_service.create_user(
                database, actor=system, username=f"role_{name}", password=PASSWORD, roles=[role]
            )
    from smartcity.web.app import create_app

    try:
        yield RoleApp(create_app(settings, database), settings, database)
    finally:
        accounts_service._hasher = saved_hasher
        accounts_service._dummy_hash.cache_clear()


@pytest.fixture(scope="module")
def role_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[RoleApp]:
    """The role app (see `seeded_role_app`) on its own SQLite copy."""
    folder = tmp_path_factory.mktemp("roles")
    shutil.copy(sqlite_template, folder / "roles.db")
    database = Database(f"sqlite:///{folder / 'roles.db'}")
    try:
        with seeded_role_app(database, folder) as app:
            yield app
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def postgres_role_app(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[RoleApp]:
    """The role app on a PostgreSQL (PostGIS) database of its own, which the truncation the `db` fixture does
    before other tests of the same worker cannot empty (skipped without SMARTCITY_TEST_POSTGRES_URL)."""
    folder = tmp_path_factory.mktemp("roles-pg")
    with private_postgres_database("roles", worker_id) as database, seeded_role_app(database, folder) as app:
        yield app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def role_app_each_engine(request: pytest.FixtureRequest) -> RoleApp:
    """The role app on SQLite, then on PostgreSQL."""
    fixture = "role_app" if request.param == "sqlite" else "postgres_role_app"
    app: RoleApp = request.getfixturevalue(fixture)
    return app
