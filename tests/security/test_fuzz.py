"""OpenAPI-driven fuzzing in process (schemathesis over the ASGI app), once per role: no answer is a 5xx, and
every successful answer matches the schema it documents.

Bounded for CI: a few generated requests per operation (SMARTCITY_FUZZ_EXAMPLES, default 2), on the embedded
default (SQLite) only, like the browser tests. The figures per role are printed (`-s` shows them).
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from smartcity.accounts import service as accounts_service
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.security import Actor
from tests.conftest import TEST_SECRET
from tests.dossiers.dossier_fixtures import ORG_CHART

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the dev extra")

EXAMPLES = int(os.environ.get("SMARTCITY_FUZZ_EXAMPLES", "2"))
PASSWORD = "fuzzing horse battery staple"
WARD = "UBND-25747-HCM"
ROLES: dict[str, tuple[str, str | None] | None] = {
    "anonymous": None,
    "citizen": ("citizen", None),
    "ward_clerk": ("clerk", WARD),
    "department_head": ("head", WARD),
    "operator": ("operator", None),
    "administrator": ("admin", None),
}
# Operations whose success would end the fuzzing session itself, or that stream without end.
SKIPPED = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/token/revoke"),
    ("GET", "/api/v1/ioc/stream"),
}


@dataclass
class Tally:
    """What one role's fuzzing saw: requests sent, server errors and schema mismatches by operation."""

    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Any, Settings]]:
    """The application on a private SQLite copy with one user per role (cheap Argon2 parameters)."""
    folder = tmp_path_factory.mktemp("fuzz")
    shutil.copy(sqlite_template, folder / "fuzz.db")
    database = Database(f"sqlite:///{folder / 'fuzz.db'}")
    settings = Settings(
        data_dir=folder / "var", database_url=database.url, secret_key=TEST_SECRET, log_json=False
    )
    database.bind_settings(settings)
    saved_hasher = accounts_service._hasher
    accounts_service._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts_service._dummy_hash.cache_clear()
    system = Actor.system("fuzz")
    units = json.loads(ORG_CHART.read_text(encoding="utf-8"))["org_units"]
    accounts_service.upsert_org_units(database, actor=system, units=units)
    for name, role in ROLES.items():
        if role is not None:
            accounts_service.create_user(
                database, actor=system, username=f"fuzz_{name}", password=PASSWORD, roles=[role]
            )
    from smartcity.web.app import create_app

    try:
        yield create_app(settings, database), settings
    finally:
        accounts_service._hasher = saved_hasher
        accounts_service._dummy_hash.cache_clear()
        database.dispose()


class Shielded:
    """The app as a server runs it: an exception after its 500 is kept here, not raised to the client."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.errors: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {str(error)[:200]}")


def _headers(settings: Settings, role: str) -> dict[str, str]:
    """Bearer headers for the role's user (none for anonymous)."""
    if ROLES[role] is None:
        return {}
    database = Database(settings.resolved_database_url)
    token = accounts_service.login_for_token(
        database, settings=settings, username=f"fuzz_{role}", password=PASSWORD, client_ip="10.7.7.7"
    ).access_token
    database.dispose()
    return {"Authorization": f"Bearer {token}"}


def _fuzz_operation(operation: Any, headers: dict[str, str], tally: Tally, app: Shielded) -> None:
    """Send EXAMPLES generated requests to one operation and tally the answers."""
    from schemathesis.specs.openapi.checks import response_schema_conformance

    label = f"{operation.method.upper()} {operation.path}"

    @hypothesis_settings(
        max_examples=EXAMPLES,
        phases=[Phase.generate],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(headers=headers)
        tally.requests += 1
        tally.statuses[response.status_code] += 1
        if response.status_code >= 500:
            cause = app.errors[-1] if app.errors else response.text[:200]
            tally.server_errors.append(
                f"{label} → {response.status_code} ({cause}): {case.as_curl_command()}"
            )
            return
        if 200 <= response.status_code < 300:
            try:
                case.validate_response(response, checks=[response_schema_conformance])
            except Exception as failure:
                tally.mismatches.append(f"{label} → {response.status_code}: {str(failure)[:300]}")

    run()


@pytest.mark.parametrize("role", list(ROLES))
def test_fuzzing_as_each_role_finds_no_server_error(fuzz_app, role):
    app, settings = fuzz_app
    headers = _headers(settings, role)
    shielded = Shielded(app)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", shielded)
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        _fuzz_operation(operation, headers, tally, shielded)
    print(
        f"\nfuzz {role}: {tally.requests} requests, {len(tally.server_errors)} 5xx, "
        f"{len(tally.mismatches)} schema mismatches; statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.requests > 0
    assert not tally.server_errors, "\n".join(tally.server_errors)
    assert not tally.mismatches, "\n".join(tally.mismatches)
