"""API keys for integrated systems."""

from __future__ import annotations

import hmac
import secrets

from sqlalchemy import select

from smartcity.accounts.models import ApiKey
from smartcity.accounts.schemas import (
    ApiKeyCreated,
    ApiKeyRead,
)
from smartcity.accounts.service.common import (
    API_KEY_PATTERN,
    LAST_USED_RESOLUTION,
    _check_role,
    _check_unit,
    _key_digest,
)
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound, Unauthorized, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork

# ---------------------------------------------------------------- API keys


def create_api_key(
    db: Database, *, actor: Actor, name: str, role: str = "integrator", org_unit_code: str | None = None
) -> ApiKeyCreated:
    """Create an API key; the full key is in the result and nowhere else (only its hash is stored)."""
    name = name.strip()
    if not name:
        raise ValidationFailed.for_field("name", "must not be empty")
    with UnitOfWork(db, actor) as uow:
        role = _check_role(uow.session, role)
        unit = _check_unit(uow.session, org_unit_code)
        prefix = secrets.token_hex(4)
        while uow.session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
            prefix = secrets.token_hex(4)
        key = f"sc_{prefix}_{secrets.token_urlsafe(32)}"
        row = ApiKey(
            name=name,
            prefix=prefix,
            secret_hash=_key_digest(key),
            role=role,
            org_unit_code=unit,
            created_by=actor.label,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.session.flush()
        read = ApiKeyRead.model_validate(row)
        uow.audit("api_key.created", "api_key", prefix, after=read.model_dump(mode="json"))
        return ApiKeyCreated(**read.model_dump(), key=key)


def list_api_keys(db: Database, *, include_revoked: bool = True) -> list[ApiKeyRead]:
    """API keys, newest first, without their secrets."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    with db.session() as s:
        return [ApiKeyRead.model_validate(k) for k in s.scalars(query)]


def revoke_api_key(db: Database, *, actor: Actor, prefix: str) -> ApiKeyRead:
    """Revoke the API key with this prefix (idempotent); audited."""
    with UnitOfWork(db, actor) as uow:
        row = uow.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix.strip()))
        if row is None:
            raise NotFound(f"No API key with prefix {prefix!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            uow.session.flush()
            uow.audit("api_key.revoked", "api_key", row.prefix, after={"revoked_at": row.revoked_at})
        return ApiKeyRead.model_validate(row)


def actor_from_api_key(db: Database, key: str) -> Actor:
    """The actor an API key stands for; Unauthorized if it is malformed, unknown or revoked."""
    invalid = Unauthorized("The API key is invalid or revoked.")
    match = API_KEY_PATTERN.match((key or "").strip())
    if match is None:
        raise invalid
    with db.session() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1)))
        if row is None or row.revoked_at is not None:
            raise invalid
        if not hmac.compare_digest(row.secret_hash, _key_digest(match.group(0))):
            raise invalid
        key_id, last_used, actor = (
            row.id,
            row.last_used_at,
            Actor(
                kind="apikey",
                name=f"{row.name} [{row.prefix}]",
                roles=frozenset({(row.role, row.org_unit_code)}),
            ),
        )
    now = utcnow()
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        with db.write_session() as s:
            stored = s.get(ApiKey, key_id)
            if stored is not None:
                stored.last_used_at = now
    return actor
