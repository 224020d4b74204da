"""JSON API of the accounts domain: `/api/v1/auth` (tokens, who am I) and `/api/v1/accounts` (admin)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response, status

from smartcity.accounts import service
from smartcity.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    Me,
    OrgUnitRead,
    PasswordChange,
    RoleAssignmentCreate,
    RoleAssignmentRead,
    RoleHeld,
    RoleRead,
    TokenResponse,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from smartcity.core.db import Database
from smartcity.core.errors import BadRequest, NotFound
from smartcity.core.pages import MAX_LIMIT
from smartcity.core.security import Actor
from smartcity.web.deps import get_db, get_settings, require_actor, require_role
from smartcity.web.responses import model_json

auth_router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
accounts_router = APIRouter(prefix="/api/v1/accounts", tags=["accounts"])
router = APIRouter()

DB = Annotated[Database, Depends(get_db)]
Admin = Annotated[Actor, Depends(require_role("admin"))]


# ---------------------------------------------------------------- /api/v1/auth


@auth_router.post("/token", response_model=TokenResponse, summary="OAuth2 password grant: get a bearer token")
def token(
    request: Request,
    response: Response,
    db: DB,
    grant_type: Annotated[str, Form()],
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1024)],
    scope: Annotated[str, Form()] = "",
    otp: Annotated[str | None, Form(max_length=10)] = None,
) -> TokenResponse:
    """Exchange a username and password for a bearer token (401 if wrong, 429 when throttled)."""
    if grant_type != "password":
        raise BadRequest("Only grant_type=password is supported.", error="unsupported_grant_type")
    peer = request.client.host if request.client else None
    client_ip = service.client_address(get_settings(request), peer=peer, headers=request.headers)
    result = service.login_for_token(
        db, settings=get_settings(request), username=username, password=password, client_ip=client_ip, otp=otp
    )
    response.headers["Cache-Control"] = "no-store"
    return result


@auth_router.get("/me", response_model=Me, summary="Who the caller is")
async def me(request: Request, actor: Annotated[Actor, Depends(require_actor)]) -> Response:
    """The caller's identity and roles; with a web session also its CSRF token for unsafe API calls.

    Everything comes from the caller resolved once for the request (no further database read), and the
    body is serialised once; nothing here waits, so it runs on the event loop (no hop to a thread).
    """
    full_name = actor.full_name if actor.user_id is not None else None
    uses_session = not (request.headers.get("authorization") or request.headers.get("x-api-key"))
    roles = sorted(actor.roles, key=lambda pair: (service.ROLE_ORDER.get(pair[0], 99), pair[1] or ""))
    return model_json(
        Me(
            kind=actor.kind,
            name=actor.name,
            user_id=actor.user_id,
            full_name=full_name,
            roles=[RoleHeld(role=role, org_unit_code=unit) for role, unit in roles],
            csrf_token=getattr(request.state, "csrf_token", None) if uses_session else None,
        )
    )


def get_mail_sink(request: Request) -> service.MailSink:
    """Where sign-in links are mailed (tests override this dependency with a recording sink)."""
    return service.default_mail_sink(get_settings(request))


@auth_router.post(
    "/sign-in-link", status_code=status.HTTP_202_ACCEPTED, summary="E-mail a one-time sign-in link (staff)"
)
def sign_in_link(
    request: Request,
    db: DB,
    sink: Annotated[service.MailSink, Depends(get_mail_sink)],
    username: Annotated[str, Form(max_length=200)],
) -> dict[str, str]:
    """Mail a one-time link to the staff member's address; the same answer whether or not one was sent."""
    service.send_sign_in_link(db, settings=get_settings(request), username=username, sink=sink)
    return {"detail": "Nếu tài khoản cán bộ có địa chỉ thư, một liên kết đăng nhập đã được gửi tới đó."}


@auth_router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out: revoke every token of the caller"
)
def logout(db: DB, actor: Annotated[Actor, Depends(require_actor)]) -> Response:
    """Revoke all bearer tokens and browser sessions of the signed-in user (sign out everywhere)."""
    if actor.user_id is None:
        raise BadRequest("Only a user signs out; an API key is revoked by an administrator.")
    service.sign_out_everywhere(db, actor=actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- public reads


@accounts_router.get("/roles", response_model=list[RoleRead], summary="The roles and their names")
def roles(db: DB) -> list[RoleRead]:
    """Every role slug with its Vietnamese and English names."""
    return service.list_roles(db)


@accounts_router.get("/org-units", response_model=list[OrgUnitRead], summary="Org units of the city")
def org_units(
    db: DB,
    on: Annotated[date | None, Query(description="Only units valid on this day")] = None,
) -> list[OrgUnitRead]:
    """Active org units, optionally only those valid on a given day."""
    return service.list_org_units(db, on)


@accounts_router.get("/org-units/{code}", response_model=OrgUnitRead, summary="One org unit")
def org_unit(db: DB, code: str) -> OrgUnitRead:
    """The org unit with this code."""
    unit = service.get_org_unit(db, code)
    if unit is None:
        raise NotFound(f"No org unit {code!r}")
    return unit


# ---------------------------------------------------------------- users (admin)


@accounts_router.get("/users", response_model=UserPage, summary="List users (admin)")
def users(
    db: DB,
    _admin: Admin,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> UserPage:
    """Users by username, filtered by `q` in username or full name."""
    return service.list_users(db, limit=limit, offset=offset, query=q)


@accounts_router.post(
    "/users", response_model=UserRead, status_code=status.HTTP_201_CREATED, summary="Create a user (admin)"
)
def create_user(request: Request, db: DB, admin: Admin, body: UserCreate) -> UserRead:
    """Create a user with a password and roles."""
    return service.create_user(
        db,
        actor=admin,
        username=body.username,
        password=body.password,
        full_name=body.full_name,
        email=body.email,
        phone=body.phone,
        citizen_id=body.citizen_id,
        locale=body.locale,
        roles=[(r.role, r.org_unit_code) for r in body.roles],
        secret=get_settings(request).personal_keys,
    )


@accounts_router.get("/users/{user_id}", response_model=UserRead, summary="One user (admin)")
def user(db: DB, _admin: Admin, user_id: int) -> UserRead:
    """A user and their role assignments."""
    return service.get_user(db, user_id)


@accounts_router.patch("/users/{user_id}", response_model=UserRead, summary="Change a user (admin)")
def update_user(request: Request, db: DB, admin: Admin, user_id: int, body: UserUpdate) -> UserRead:
    """Change the fields sent; others stay as they are."""
    return service.update_user(
        db,
        actor=admin,
        user_id=user_id,
        changes=body.model_dump(exclude_unset=True),
        secret=get_settings(request).personal_keys,
    )


@accounts_router.post(
    "/users/{user_id}/deactivate", response_model=UserRead, summary="Deactivate a user (admin)"
)
def deactivate_user(db: DB, admin: Admin, user_id: int) -> UserRead:
    """Stop a user from logging in; their tokens stop working at once."""
    return service.deactivate_user(db, actor=admin, user_id=user_id)


@accounts_router.put(
    "/users/{user_id}/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a user's password (admin)",
)
def set_password(db: DB, admin: Admin, user_id: int, body: PasswordChange) -> Response:
    """Give a user a new password; their existing tokens stop working."""
    service.set_password(db, actor=admin, user_id=user_id, password=body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@accounts_router.get(
    "/users/{user_id}/roles", response_model=list[RoleAssignmentRead], summary="A user's roles (admin)"
)
def user_roles(db: DB, _admin: Admin, user_id: int) -> list[RoleAssignmentRead]:
    """The roles a user holds, and where."""
    return service.get_user(db, user_id).roles


@accounts_router.post(
    "/users/{user_id}/roles",
    response_model=RoleAssignmentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Assign a role (admin)",
)
def assign_role(db: DB, admin: Admin, user_id: int, body: RoleAssignmentCreate) -> RoleAssignmentRead:
    """Give a user a role in an org unit (or the whole city)."""
    return service.assign_role(
        db, actor=admin, user_id=user_id, role=body.role, org_unit_code=body.org_unit_code
    )


@accounts_router.delete(
    "/users/{user_id}/roles/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a role (admin)",
)
def revoke_role(db: DB, admin: Admin, user_id: int, assignment_id: int) -> Response:
    """Take a role assignment away."""
    service.revoke_role(db, actor=admin, user_id=user_id, assignment_id=assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- API keys (admin)


@accounts_router.get("/api-keys", response_model=list[ApiKeyRead], summary="List API keys (admin)")
def api_keys(db: DB, _admin: Admin) -> list[ApiKeyRead]:
    """Every API key, newest first, by prefix; never the secret."""
    return service.list_api_keys(db)


@accounts_router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (admin); the key is shown this once",
)
def create_api_key(response: Response, db: DB, admin: Admin, body: ApiKeyCreate) -> ApiKeyCreated:
    """Create an API key; the response is the only place the full key appears."""
    response.headers["Cache-Control"] = "no-store"
    return service.create_api_key(
        db, actor=admin, name=body.name, role=body.role, org_unit_code=body.org_unit_code
    )


@accounts_router.post(
    "/api-keys/{prefix}/revoke", response_model=ApiKeyRead, summary="Revoke an API key (admin)"
)
def revoke_api_key(db: DB, admin: Admin, prefix: str) -> ApiKeyRead:
    """Revoke the key with this prefix; it is refused from then on."""
    return service.revoke_api_key(db, actor=admin, prefix=prefix)


router.include_router(auth_router)
router.include_router(accounts_router)
