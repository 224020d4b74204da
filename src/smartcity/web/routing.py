"""Route lookup that skips the included routers a path cannot reach.

FastAPI keeps each included router as one entry of the app's route list and, for every request, asks the
entries in order whether they match; asking an included router walks all of its routes (with per-candidate
scope bookkeeping). `guard_included_routers` gives each included router of the assembled app a cheap check
in front of that walk: the exact paths of its routes without parameters and the literal beginnings of the
others. A router none of whose routes can match the path answers "no match" at once, which is what the walk
would have answered, so the order of the routes, the first full match, 405 for a known path with another
method, the trailing-slash redirect and 404 are all unchanged.

Routers are complete when the app is assembled (web/app.py); a router included later is simply not
guarded (always asked, as FastAPI does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi.routing import APIRouter, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

__all__ = ["RouteReach", "guard_included_routers"]

Matcher = Callable[[Scope], tuple[Match, Scope]]


class RouteReach:
    """The paths a group of routes can match: exact paths (routes without parameters) and path beginnings
    (the literal part before the first parameter of the other routes); a path outside both cannot match."""

    def __init__(self, exact: Iterable[str], beginnings: Iterable[str]) -> None:
        self.exact = frozenset(exact)
        self.beginnings = tuple(sorted(set(beginnings)))

    @classmethod
    def of(cls, route: BaseRoute) -> RouteReach | None:
        """The reach of an included router's routes, None when one of them could match any path."""
        exact: list[str] = []
        beginnings: list[str] = []
        for context in iter_route_contexts([route]):
            path = getattr(context, "path", None)
            if not isinstance(path, str) or not path.startswith("/"):
                return None  # a host route, a frontend group: may match anything
            literal = path.split("{", 1)[0]
            if literal == path and isinstance(context.original_route, Route):
                exact.append(path)  # compiled as ^path$: this path only
            else:
                beginnings.append(literal)  # a parameter, a mount (path/...), a websocket route
        return cls(exact, beginnings)

    def may_match(self, path: str) -> bool:
        """False only when no route of the group can match `path`."""
        return path in self.exact or path.startswith(self.beginnings)


def _guarded(matches: Matcher, reach: RouteReach) -> Matcher:
    def guarded_matches(scope: Scope) -> tuple[Match, Scope]:
        if not reach.may_match(get_route_path(scope)):
            return Match.NONE, {}
        return matches(scope)

    return guarded_matches


def guard_included_routers(router: APIRouter) -> int:
    """Put a reach check in front of every included router of `router`; returns how many were guarded."""
    guarded = 0
    for route in router.routes:
        if not _is_included_router(route):
            continue
        reach = RouteReach.of(route)
        if reach is None:
            continue
        setattr(route, "matches", _guarded(route.matches, reach))  # noqa: B010  (an instance attribute)
        guarded += 1
    return guarded


def _is_included_router(route: Any) -> bool:
    """An entry FastAPI made by `include_router` (it lists the routes it stands for)."""
    return hasattr(route, "effective_route_contexts") and hasattr(route, "original_router")
