"""Who may use the FHIR server: health roles by bearer token or session, registered systems by
OAuth2 client credentials (each writes only for its own Organization)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from smartcity.accounts import service as accounts_service
from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import Unauthorized
from smartcity.core.security import Actor
from smartcity.health.config import HealthSettings
from smartcity.health.fhir.outcome import FhirError
from smartcity.health.models import HealthSystem
from smartcity.web.deps import current_actor, get_db, get_settings

HEALTH_ROLES = ("health_worker", "health_manager")
SYSTEM_ROLE = "health_system"
SYSTEM_TOKEN_PREFIX = "hsys."  # noqa: S105 (a prefix, not a secret)
TOKEN_SALT = "smartcity.health-system-token"  # noqa: S105


@dataclass(frozen=True)
class Caller:
    """Who calls the FHIR server: the actor, and the Organization a registered system writes for."""

    actor: Actor
    system_org: str | None = None
    wards: frozenset[str] | None = None  # the wards whose people a health worker sees; None = all

    @property
    def label(self) -> str:
        """How the access log names the caller."""
        return self.actor.label


def is_health_actor(actor: Actor) -> bool:
    """True when the actor holds a health role (admin holds every role)."""
    return any(actor.has_role(role) for role in HEALTH_ROLES)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key, salt=TOKEN_SALT)


def secret_digest(secret: str) -> str:
    """How a client secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_client_secret() -> str:
    """A fresh client secret."""
    return secrets.token_urlsafe(32)


def issue_system_token(
    db: Database, settings: Settings, *, client_id: str, client_secret: str
) -> dict[str, object]:
    """The OAuth2 client-credentials grant: a bearer token for a registered, active system."""
    with db.session() as s:
        system = s.scalar(select(HealthSystem).where(HealthSystem.client_id == client_id))
        expected = system.secret_hash if system else secret_digest(secrets.token_hex(8))
        if (
            system is None
            or not system.active
            or not hmac.compare_digest(expected, secret_digest(client_secret))
        ):
            raise FhirError.of(401, "invalid_client: unknown client or wrong secret", code="login")
    token = SYSTEM_TOKEN_PREFIX + _serializer(settings).dumps({"c": client_id})
    minutes = settings.section(HealthSettings).system_token_minutes
    return {"access_token": token, "token_type": "bearer", "expires_in": minutes * 60, "scope": "system/*.*"}


def system_caller(db: Database, settings: Settings, token: str) -> Caller:
    """The caller a system token stands for (401 if forged, expired or the system is disabled)."""
    minutes = settings.section(HealthSettings).system_token_minutes
    try:
        claims = _serializer(settings).loads(token.removeprefix(SYSTEM_TOKEN_PREFIX), max_age=minutes * 60)
    except (BadSignature, SignatureExpired):
        raise FhirError.of(401, "The access token is invalid or expired", code="login") from None
    with db.session() as s:
        system = s.scalar(select(HealthSystem).where(HealthSystem.client_id == claims.get("c")))
        if system is None or not system.active:
            raise FhirError.of(401, "The system is not registered or disabled", code="login")
        actor = Actor(
            kind="system", name=f"{system.name} [{system.client_id}]", roles=frozenset({(SYSTEM_ROLE, None)})
        )
        return Caller(actor=actor, system_org=system.organization_id)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """client_id and client_secret from an HTTP Basic header, if sent."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(value).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


async def fhir_caller(request: Request) -> Caller:
    """The FHIR caller: a system token, or a user/API key with a health role; 401/403 otherwise."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip().startswith(SYSTEM_TOKEN_PREFIX):
        return await run_in_threadpool(system_caller, get_db(request), get_settings(request), token.strip())
    try:
        actor = await current_actor(request)
    except Unauthorized as exc:
        raise FhirError.of(401, exc.detail, code="login") from None
    if not actor.is_authenticated:
        raise FhirError(
            401, FhirError.of(401, "Send a bearer token", code="login").issues, {"WWW-Authenticate": "Bearer"}
        )
    if not is_health_actor(actor):
        raise FhirError.of(403, "Health data is open only to health roles", code="forbidden")
    wards = await run_in_threadpool(actor_wards, get_db(request), actor)
    return Caller(actor=actor, wards=None if wards is None else frozenset(wards))


def actor_wards(db: Database, actor: Actor) -> set[str] | None:
    """The wards whose health data a staff member sees: None = every ward (manager, admin)."""
    if actor.has_role("health_manager") or actor.has_role("admin"):
        return None
    wards: set[str] = set()
    for unit in actor.units_for("health_worker"):
        if unit is None:
            return None
        found = accounts_service.get_org_unit(db, unit)
        if found is not None and found.admin_unit_code:
            wards.add(found.admin_unit_code)
    return wards
