"""The reach check in front of the included routers (web/routing.py) answers exactly what FastAPI's walk
answers: for every route of the assembled app, its path with parameters filled, with and without a trailing
slash, under each method, and for paths no route has, every guarded router gives the same match as unguarded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Match

from smartcity.core.config import Settings
from smartcity.web.app import create_app
from smartcity.web.routing import RouteReach, guard_included_routers

METHODS = ("GET", "POST", "DELETE")
UNKNOWN = ["/", "/api", "/api/v1", "/api/v1/", "/api/v1/nothing-here", "/x", "/static", "/ogc/", "/can-bo"]


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as web/app.py assembles it (no request reaches the database here)."""
    path: Path = tmp_path_factory.mktemp("routing") / "routing.db"
    settings = Settings(database_url=f"sqlite:///{path}", secret_key="routing-guard-test-key-0123456789")
    return create_app(settings)


def _sample_paths(app: FastAPI) -> list[str]:
    """Every route's path with each parameter filled, with and without a trailing slash, and unknown paths."""
    paths = set(UNKNOWN)
    for context in iter_route_contexts(app.router.routes):
        path = getattr(context, "path", None)
        if not isinstance(path, str):
            continue
        filled = re.sub(r"\{[^}:]+(:path)?\}", lambda m: "a/b" if m.group(1) else "1", path)
        paths.update({filled, filled.rstrip("/") or "/", filled + "/", filled + "x"})
    return sorted(paths)


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_every_guarded_router_matches_as_fastapi_does(assembled: FastAPI) -> None:
    """Same Match (NONE, PARTIAL, FULL) guarded and unguarded, for every included router and sample path."""
    guarded = [route for route in assembled.router.routes if "matches" in vars(route)]
    assert len(guarded) > 20  # the domains' routers are guarded (web/app.py)
    checked = skipped = 0
    for path in _sample_paths(assembled):
        for method in METHODS:
            for route in guarded:
                quick, _ = route.matches(_scope(path, method))
                walked, _ = type(route).matches(route, _scope(path, method))
                assert quick == walked, (path, method, route)
                checked += 1
                skipped += quick == Match.NONE
    assert skipped > checked / 2  # most routers are skipped for most paths: the point of the guard


def test_reach_of_a_router_with_exact_and_parametrised_paths() -> None:
    """Exact paths match only themselves; a parameter matches anything after its literal beginning."""
    reach = RouteReach(exact=["/api/v1/city/units"], beginnings=["/api/v1/city/units/"])
    assert reach.may_match("/api/v1/city/units")
    assert reach.may_match("/api/v1/city/units/79")
    assert not reach.may_match("/api/v1/city/unitsx")
    assert not reach.may_match("/api/v1/auth/me")


def test_a_router_included_after_assembly_is_asked_unguarded(assembled: FastAPI) -> None:
    """A router added later (tests do this) is not guarded and is still found; guarding twice is harmless."""
    from fastapi import APIRouter

    app = create_app(assembled.state.settings)
    late = APIRouter()

    @late.get("/late/{item}")
    def late_item(item: str) -> dict[str, str]:
        return {"item": item}

    app.include_router(late)
    assert guard_included_routers(app.router) > 20
    with TestClient(app) as client:
        assert client.get("/late/7").json() == {"item": "7"}
        assert client.post("/late/7").status_code == 405
        assert client.get("/api/v1/no-such-route").status_code == 404
