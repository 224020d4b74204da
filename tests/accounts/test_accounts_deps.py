"""The auth dependencies other routers use: current_actor, require_actor, require_role, verify_csrf."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient

from smartcity.accounts import service
from smartcity.core.errors import Unauthorized
from smartcity.core.security import Actor
from smartcity.web.deps import actor_from_api_key, current_actor, require_actor, require_role

ADMIN = Actor.system("test")


@pytest.fixture
def probe_client(app, db):
    """The app with probe routes using the dependencies."""
    router = APIRouter(prefix="/api/v1/probe")

    @router.get("/whoami")
    def whoami(actor: Actor = Depends(current_actor)) -> dict:
        return {"kind": actor.kind, "name": actor.name}

    @router.get("/private")
    def private(actor: Actor = Depends(require_actor)) -> dict:
        return {"name": actor.name}

    @router.post("/clerks")
    def clerks(actor: Actor = Depends(require_role("clerk"))) -> dict:
        return {"name": actor.name}

    app.include_router(router)
    with TestClient(app) as client:
        yield client


def _user(db, username: str, role: str | None) -> None:
    roles = [(role, None)] if role else []
    service.create_user(db, actor=ADMIN, username=username, password="correct horse", roles=roles)


def _token(db, settings, username: str) -> str:
    return service.login_for_token(
        db, settings=settings, username=username, password="correct horse", client_ip="10.0.0.1"
    ).access_token


def test_anonymous_is_allowed_by_current_actor_but_not_by_require_actor(probe_client):
    assert probe_client.get("/api/v1/probe/whoami").json() == {"kind": "anonymous", "name": "anonymous"}
    response = probe_client.get("/api/v1/probe/private")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


def test_bearer_token_identifies_the_user(probe_client, db, settings):
    _user(db, "clerk1", "clerk")
    headers = {"Authorization": f"Bearer {_token(db, settings, 'clerk1')}"}
    assert probe_client.get("/api/v1/probe/private", headers=headers).json() == {"name": "clerk1"}
    assert probe_client.post("/api/v1/probe/clerks", headers=headers).status_code == 200


def test_bad_credentials_are_401_not_anonymous(probe_client):
    for headers in (
        {"Authorization": "Bearer forged"},
        {"X-API-Key": "sc_deadbeef_nope"},
        {"Authorization": "Basic YTpi"},
    ):
        assert probe_client.get("/api/v1/probe/whoami", headers=headers).status_code == 401


def test_role_missing_is_403_and_admin_has_every_role(probe_client, db, settings):
    _user(db, "citizen1", "citizen")
    _user(db, "root", "admin")
    citizen = {"Authorization": f"Bearer {_token(db, settings, 'citizen1')}"}
    admin = {"Authorization": f"Bearer {_token(db, settings, 'root')}"}
    assert probe_client.post("/api/v1/probe/clerks", headers=citizen).status_code == 403
    assert probe_client.post("/api/v1/probe/clerks", headers=admin).status_code == 200


def test_api_key_header_and_parameter_helper(probe_client, db):
    created = service.create_api_key(db, actor=ADMIN, name="Open311 app", role="integrator")
    response = probe_client.get("/api/v1/probe/whoami", headers={"X-API-Key": created.key})
    assert response.json()["kind"] == "apikey"
    actor = actor_from_api_key(db, created.key)
    assert actor.has_role("integrator") and not actor.has_role("clerk")
    service.revoke_api_key(db, actor=ADMIN, prefix=created.prefix)
    with pytest.raises(Unauthorized):
        actor_from_api_key(db, created.key)
    assert probe_client.get("/api/v1/probe/whoami", headers={"X-API-Key": created.key}).status_code == 401
