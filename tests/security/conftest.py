"""Fixtures of the security suite: one application on a private SQLite copy with a user per role."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
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
from tests.conftest import TEST_SECRET
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


@pytest.fixture(scope="module")
def role_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[RoleApp]:
    """The app on its own SQLite copy, with the org chart, the city PKI and a user per role."""
    folder = tmp_path_factory.mktemp("roles")
    shutil.copy(sqlite_template, folder / "roles.db")
    database = Database(f"sqlite:///{folder / 'roles.db'}")
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
        database.dispose()
