"""The request plumbing every router uses: the database, the settings, who is calling, roles, CSRF.

Nothing outside web/ reads `request.app.state`; routers take these dependencies instead:

    from smartcity.web.deps import ActorDep, DbDep, SettingsDep, require_role

    @api.get("/things")
    def things(db: DbDep, settings: SettingsDep, actor: ActorDep): ...


Credentials, in order: `Authorization: Bearer <token>`, header `X-API-Key`, the web session cookie.
A cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) must carry the session's CSRF token,
in the header `X-CSRF-Token` or, for HTML forms, the form field `csrf_token`.


    @router.post("/things", dependencies=[Depends(require_role("clerk", "specialist"))])
    def create(actor: Actor = Depends(require_actor)): ...
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden, Unauthorized
from smartcity.core.security import ANONYMOUS, Actor

__all__ = [
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "ActorDep",
    "DbDep",
    "PageUserDep",
    "SettingsDep",
    "SignInFirst",
    "UserDep",
    "actor_from_api_key",
    "current_actor",
    "get_db",
    "get_settings",
    "login_redirect",
    "new_csrf_token",
    "require_actor",
    "require_page_actor",
    "require_page_role",
    "require_role",
    "require_role_in",
    "scoped_link",
    "verify_csrf",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"
SESSION_KEY = "session_key"
SESSION_CSRF = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _identity() -> Any:
    """The accounts domain's service (sessions, tokens, API keys), reached through the assembly."""
    from smartcity.domains import identity_service

    return identity_service()


def actor_from_api_key(db: Database, api_key: str) -> Actor:
    """The actor an API key stands for (401 if unknown or revoked)."""
    actor: Actor = _identity().actor_from_api_key(db, api_key)
    return actor


def get_db(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def _session(request: Request) -> MutableMapping[str, Any]:
    session: MutableMapping[str, Any] = request.scope.get("session") or {}
    return session


def new_csrf_token() -> str:
    """A fresh random CSRF token."""
    return secrets.token_urlsafe(32)


async def _submitted_csrf(request: Request) -> str:
    submitted = request.headers.get(CSRF_HEADER, "")
    if not submitted and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        submitted = value if isinstance(value, str) else ""
    return submitted


async def verify_csrf(request: Request) -> None:
    """403 unless the request carries the session's CSRF token (header X-CSRF-Token or form csrf_token)."""
    expected = str(_session(request).get(SESSION_CSRF) or "")
    submitted = await _submitted_csrf(request)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise Forbidden("The form has expired or did not come from this site (CSRF check failed).")


def _session_actor(request: Request, db: Database) -> Actor:
    """The logged-in user of the web session (anonymous when none or when it has ended)."""
    cached = getattr(request.state, "session_actor", None)
    if isinstance(cached, Actor):
        return cached
    session = _session(request)
    session_key = session.get(SESSION_KEY)
    if not isinstance(session_key, str):
        return ANONYMOUS
    try:
        return _identity().actor_for_web_session(db, session_key=session_key)
    except Unauthorized:
        session.pop(SESSION_KEY, None)
        return ANONYMOUS


def _credential_actor(request: Request, db: Database) -> Actor | None:
    """The actor of a bearer token or an X-API-Key header, None if neither is sent."""
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "Only 'Authorization: Bearer <token>' is accepted.", headers={"WWW-Authenticate": "Bearer"}
            )
        return _identity().actor_from_token(db, settings=get_settings(request), token=token.strip())
    api_key = request.headers.get("x-api-key")
    if api_key is not None:
        return actor_from_api_key(db, api_key)
    return None


async def current_actor(request: Request) -> Actor:
    """Who is calling: token, API key or session user; anonymous without credentials; 401 if they are bad."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    db = get_db(request)
    actor = await run_in_threadpool(_credential_actor, request, db)
    if actor is None:
        actor = await run_in_threadpool(_session_actor, request, db)
        if actor.is_authenticated and request.method not in SAFE_METHODS:
            await verify_csrf(request)
    request.state.actor = actor
    return actor


async def require_actor(actor: Actor = Depends(current_actor)) -> Actor:
    """The caller, who must have credentials (401 otherwise)."""
    if not actor.is_authenticated:
        raise Unauthorized(
            "Log in or send a bearer token or an API key.", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


class SignInFirst(Exception):
    """An anonymous visitor asked for a page that needs a signed-in person (answered by a redirect)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def login_redirect(path: str) -> RedirectResponse:
    """Send the visitor to the sign-in page, and back to `path` afterwards."""
    return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


async def require_page_actor(request: Request, actor: Actor = Depends(current_actor)) -> Actor:
    """The signed-in caller of a page; an anonymous visitor is sent to sign in first (303 to /login)."""
    if not actor.is_authenticated:
        raise SignInFirst(request.url.path)
    return actor


def require_page_role(
    *slugs: str, refusal: str, units: Iterable[str] | None = None
) -> Callable[..., Awaitable[Actor]]:
    """A page's dependency: the signed-in caller holding one of `slugs` (admin holds all) — with `units`,
    city-wide or in one of those units, as `require_role_in`; an anonymous visitor is sent to sign in,
    anyone else is refused (403) with `refusal`."""
    scope = tuple(units) if units is not None else None

    async def _require(actor: Actor = Depends(require_page_actor)) -> Actor:
        if not any(
            actor.has_role(slug) if scope is None else actor.has_role_in(slug, scope) for slug in slugs
        ):
            raise Forbidden(refusal)
        return actor

    return _require


def require_role(*slugs: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the caller, who must hold one of `slugs` in some unit (admin holds all); else 403."""
    if not slugs:
        raise ValueError("require_role needs at least one role slug")

    async def _require(actor: Actor = Depends(require_actor)) -> Actor:
        if not any(actor.has_role(slug) for slug in slugs):
            raise Forbidden(f"This needs one of the roles: {', '.join(slugs)}.")
        return actor

    _require.__name__ = f"require_role_{'_'.join(slugs)}"
    return _require


def require_role_in(
    roles: Iterable[str], units: Iterable[str], *, refusal: str
) -> Callable[..., Awaitable[Actor]]:
    """A dependency for a department's work: the caller, who must hold one of `roles` city-wide or in one of
    `units` (org-unit codes or code prefixes the owning domain declares; admin passes), else 403 — a problem
    for the API, the error page saying `refusal` (Vietnamese: whose staff may do this) for a page.

    Use `require_role` where any unit is right (a clerk's own queue, filtered by the clerk's units)."""
    slugs, scope = tuple(roles), tuple(units)
    if not slugs or not scope:
        raise ValueError("require_role_in needs at least one role slug and one unit")

    async def _require(actor: Actor = Depends(require_actor)) -> Actor:
        if not any(actor.has_role_in(slug, scope) for slug in slugs):
            error = Forbidden(
                f"This needs one of the roles {', '.join(slugs)} in one of the units {', '.join(scope)} "
                "(or city-wide)."
            )
            error.page_message = refusal
            raise error
        return actor

    _require.__name__ = f"require_role_in_{'_'.join(slugs)}"
    return _require


def scoped_link(label: str, href: str, roles: Iterable[str], units: Iterable[str]) -> dict[str, Any]:
    """A staff link for work of these units, offered to whom `require_role_in(roles, units)` lets in: holders
    of a role in one of the units, city-wide holders and the admin."""
    return {"label": label, "href": href, "roles": tuple(roles), "units": (*units, None)}


def work_item(
    label: str,
    href: str,
    roles: Iterable[str],
    units: Iterable[str] | None,
    count: Callable[[Database, Actor, Settings], int],
    *,
    urgent: bool = False,
) -> dict[str, Any]:
    """Work waiting on the staff page ("Việc cần làm"): a link (scoped to `units`, or to the roles alone when
    None) whose `count` says how many items wait for the person, shown only when some do; `urgent` marks
    late work."""
    link = scoped_link(label, href, roles, units) if units is not None else {"label": label, "href": href}
    return {**link, "roles": tuple(roles), "count": count, "urgent": urgent}


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ActorDep = Annotated[Actor, Depends(current_actor)]
UserDep = Annotated[Actor, Depends(require_actor)]
PageUserDep = Annotated[Actor, Depends(require_page_actor)]  # a page's signed-in person, else /login
