"""The authorisation matrix as data (authorisation.yaml): every route of the app × every role.

Each route ("METHOD /path") names the roles that get past its role gate; the others must be turned away —
401 or a redirect to the sign-in page for anonymous callers, 403 (or 404 where existence itself is hidden)
for signed-in ones. A route without a row fails the test, so a new route cannot arrive unreviewed.
Requests are sent with made-up path values and empty bodies, so an allowed call usually ends in 404 or 422:
what is checked is the gate, not the action. A route that validates its body or form before its role check
answers 422 to everyone and is listed as reachable by everyone: its gate is then proved by its domain's tests.
Checked on SQLite and again on PostgreSQL (a database of its own). Regenerate after a reviewed change with
SMARTCITY_AUTHZ_WRITE=1 (the diff is what the reviewer reads).
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.security.conftest import ROLES

MATRIX = Path(__file__).with_name("authorisation.yaml")
EVERYONE = "everyone"
SIGNED_IN = "signed-in"
# Routes that end the caller's own session are sent last, so that the other rows keep a valid token.
LAST = re.compile(r"logout|revoke")
NOT_PROBED = {"GET /api/v1/ioc/stream", "GET /ioc/stream"}  # endless event streams (staff-only gates)


def app_routes(app: Any) -> list[tuple[str, str, Any]]:
    """Every (method, path, route) the application answers, included routers flattened; HEAD left out."""
    found = []
    for context in iter_route_contexts(app.routes):
        path = context.path
        methods = context.methods or set()
        if path is None or path.startswith("/static"):
            continue
        for method in sorted(methods - {"HEAD"}):
            found.append((method, path, context))
    return found


def _concrete(path: str) -> str:
    """The path with each parameter replaced by a value naming nothing (digits pass int and str checks)."""
    return re.sub(r"\{(\w+)(?::(\w+))?\}", "999999", path)


def _csrf(client: TestClient) -> str:
    """The CSRF token of the client's session (a sign-in page puts one in)."""
    client.get("/login", headers={"accept": "text/html"})
    cookie = client.cookies.get("smartcity_session", "")
    payload = cookie.split(".")[0]
    session = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    return str(session.get("csrf_token", ""))


def gate(status: int, location: str) -> str:
    """What the answer says of the gate: 'login' (sign in first), 'denied' or 'allowed'."""
    if status == 401 or (status in (302, 303, 307) and "/login" in location):
        return "login"
    if status == 403:
        return "denied"
    return "allowed"


def observe(role_app: Any) -> tuple[dict[str, list[str]], list[str]]:
    """Which roles get past the gate of each route, as observed now, and any server error met."""
    routes = sorted(app_routes(role_app.app), key=lambda r: (bool(LAST.search(r[1])), r[1], r[0]))
    seen: dict[str, list[str]] = {}
    errors: list[str] = []
    client = TestClient(role_app.app, client=("192.0.2.10", 50000), raise_server_exceptions=False)
    with client:
        csrf = _csrf(client)
        tokens = {role: role_app.headers(role) for role in ROLES}
        for method, path, _context in routes:
            key = f"{method} {path}"
            if key in NOT_PROBED:
                continue
            allowed = []
            for role in ROLES:
                headers = {**tokens[role], "X-CSRF-Token": csrf, "accept": "application/json"}
                body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                response = client.request(
                    method, _concrete(path), headers=headers, follow_redirects=False, **body
                )
                if response.status_code >= 500:
                    errors.append(f"{key} as {role}: {response.status_code} {response.text[:200]}")
                if gate(response.status_code, response.headers.get("location", "")) == "allowed":
                    allowed.append(role)
                if LAST.search(path):
                    tokens[role] = role_app.headers(role)
            seen[key] = allowed
    return seen, errors


def _compact(roles: list[str]) -> str | list[str]:
    if roles == list(ROLES):
        return EVERYONE
    if roles == [r for r in ROLES if r != "anonymous"]:
        return SIGNED_IN
    return roles


def _expand(entry: str | list[str]) -> list[str]:
    if entry == EVERYONE:
        return list(ROLES)
    if entry == SIGNED_IN:
        return [r for r in ROLES if r != "anonymous"]
    return list(entry)


@pytest.fixture(scope="module")
def observed(role_app_each_engine) -> tuple[dict[str, list[str]], list[str]]:
    """The matrix as the application answers it on each engine (written to the file with
    SMARTCITY_AUTHZ_WRITE=1 from SQLite, the embedded default; PostgreSQL must then answer the same)."""
    seen, errors = observe(role_app_each_engine)
    if os.environ.get("SMARTCITY_AUTHZ_WRITE") == "1" and role_app_each_engine.db.is_sqlite:
        rows = {key: _compact(roles) for key, roles in sorted(seen.items())}
        header = "# Who may reach each route (see tests/security/test_authorisation_matrix.py).\n"
        MATRIX.write_text(header + yaml.safe_dump(rows, allow_unicode=True, width=200), encoding="utf-8")
    return seen, errors


def test_every_route_has_a_row_and_no_row_is_stale(role_app_each_engine, observed):
    matrix = yaml.safe_load(MATRIX.read_text(encoding="utf-8"))
    routes = {f"{m} {p}" for m, p, _c in app_routes(role_app_each_engine.app)} - NOT_PROBED
    missing = sorted(routes - set(matrix))
    stale = sorted(set(matrix) - routes)
    assert not missing, "routes without a row in authorisation.yaml:\n" + "\n".join(missing)
    assert not stale, "rows of authorisation.yaml for routes that no longer exist:\n" + "\n".join(stale)


def test_every_route_answers_each_role_as_the_matrix_says(observed):
    seen, errors = observed
    assert not errors, "\n".join(errors)
    matrix = yaml.safe_load(MATRIX.read_text(encoding="utf-8"))
    wrong = [
        f"{key}: expected {_expand(matrix[key])}, got {roles}"
        for key, roles in seen.items()
        if key in matrix and _expand(matrix[key]) != roles
    ]
    assert not wrong, "\n".join(wrong)


def test_the_matrix_keeps_the_sensitive_areas_closed():
    """Spot rows a reviewer would check first: staff, health, education and account administration."""
    matrix = {
        key: _expand(entry) for key, entry in yaml.safe_load(MATRIX.read_text(encoding="utf-8")).items()
    }
    for key, roles in matrix.items():
        method, path = key.split(" ", 1)
        public = ("/api/v1/accounts/org-units", "/api/v1/accounts/roles")  # the org chart and role catalogue
        if path.startswith("/api/v1/accounts/") and not path.startswith(public):
            assert "anonymous" not in roles and "citizen" not in roles, key
        if method == "GET" and path.startswith(("/can-bo/", "/fhir/R4/Patient")):
            assert "anonymous" not in roles, key
        if method != "GET" and path.startswith("/api/v1/ioc/"):
            assert "anonymous" not in roles and "citizen" not in roles, key
