"""Bearer tokens and browser sessions."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Row, Select, bindparam, delete, or_, select, update

from smartcity.accounts.models import RoleAssignment, User, WebSession
from smartcity.accounts.schemas import (
    TokenResponse,
)
from smartcity.accounts.service.common import (
    ROLE_ORDER,
    STAFF_ROLES,
    TOKEN_SALT,
    _key_digest,
)
from smartcity.accounts.service.login import (
    authenticate,
)
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys, decrypt_optional
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Unauthorized
from smartcity.core.security import Actor

SESSION_ENDED = "Phiên đăng nhập đã kết thúc; vui lòng đăng nhập lại."

# ---------------------------------------------------------------- bearer tokens


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key, salt=TOKEN_SALT)


def issue_token(settings: Settings, *, user_id: int, generation: int) -> TokenResponse:
    """A signed bearer token for a user, valid settings.access_token_minutes."""
    token = _serializer(settings).dumps({"u": user_id, "g": generation})
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


def login_for_token(
    db: Database,
    *,
    settings: Settings,
    username: str,
    password: str,
    client_ip: str | None,
    otp: str | None = None,
) -> TokenResponse:
    """Authenticate (with a TOTP code when needed) and issue a bearer token (the OAuth2 password grant)."""
    result = authenticate(
        db, settings=settings, username=username, password=password, client_ip=client_ip, otp=otp
    )
    return issue_token(settings, user_id=result.user_id, generation=result.generation)


def actor_from_token(db: Database, *, settings: Settings, token: str) -> Actor:
    """The actor a bearer token stands for; Unauthorized if forged, expired, or the user is deactivated."""
    invalid = Unauthorized(
        "The access token is invalid or expired.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
    try:
        claims = _serializer(settings).loads(token, max_age=settings.access_token_minutes * 60)
    except (SignatureExpired, BadSignature):
        raise invalid from None
    if not isinstance(claims, dict) or not isinstance(claims.get("u"), int):
        raise invalid
    return actor_if_current(db, user_id=claims["u"], generation=claims.get("g"), error=invalid)


def actor_if_current(
    db: Database, *, user_id: int, generation: object, error: Unauthorized | None = None
) -> Actor:
    """The actor of a token's user, if the user is active and their credentials unchanged since."""
    with db.read_connection() as connection:
        rows = connection.execute(_CALLER_BY_ID, {"user_id": user_id}).all()
    if not rows or not rows[0].is_active or rows[0].credential_generation != generation:
        raise error or Unauthorized(SESSION_ENDED)
    return _caller(rows, db.settings.personal_keys)


def _caller_query() -> Select[*tuple[Any, ...]]:
    """A user and their role assignments in one statement (one row per assignment, one without any)."""
    return select(
        User.id,
        User.username,
        User.full_name_encrypted,
        User.is_active,
        User.credential_generation,
        RoleAssignment.role,
        RoleAssignment.org_unit_code,
    ).outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)


# Built once: constructing a statement and its cache key costs more CPU than running it (every request).
_CALLER_BY_ID = _caller_query().where(User.id == bindparam("user_id"))
_CALLER_BY_SESSION = (
    _caller_query()
    .add_columns(
        WebSession.ended_at,
        WebSession.expires_at,
        WebSession.credential_generation.label("session_generation"),
    )
    .join(WebSession, WebSession.user_id == User.id)
    .where(WebSession.key_hash == bindparam("key_hash"))
)


def _caller(rows: Sequence[Row[*tuple[Any, ...]]], keys: Keys) -> Actor:
    """The actor of the rows of `_caller_query` (all of one user), with the full name decrypted."""
    first = rows[0]
    roles = frozenset((row.role, row.org_unit_code) for row in rows if row.role is not None)
    full_name = decrypt_optional(keys, first.full_name_encrypted) or ""
    return Actor(kind="user", name=first.username, user_id=first.id, roles=roles, full_name=full_name)


@dataclass(frozen=True)
class UserView:
    """The logged-in user as pages show them (templates read `user.username`, `user.roles`)."""

    user_id: int
    username: str
    full_name: str
    roles: list[str]
    assignments: list[tuple[str, str | None]]
    actor: Actor

    @property
    def display_name(self) -> str:
        """The full name, or the username when there is none."""
        return self.full_name or self.username

    @property
    def is_staff(self) -> bool:
        """True if the user holds any role other than citizen."""
        return any(role in STAFF_ROLES for role in self.roles)


WEB_SESSION_LIFETIME = timedelta(hours=12)


def start_web_session(
    db: Database, *, user_id: int, generation: int, client_ip: str | None, user_agent: str | None
) -> str:
    """Record a new browser session for the user and return its key (kept only in the cookie)."""
    key = secrets.token_urlsafe(32)
    with db.write_session() as s:
        s.add(
            WebSession(
                key_hash=_key_digest(key),
                user_id=user_id,
                credential_generation=generation,
                expires_at=utcnow() + WEB_SESSION_LIFETIME,
                client_ip=client_ip,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
    return key


def end_web_session(db: Database, session_key: str) -> None:
    """End a browser session (logout): its cookie, even copied, no longer logs anyone in."""
    with db.write_session() as s:
        s.execute(
            update(WebSession)
            .where(WebSession.key_hash == _key_digest(session_key), WebSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def purge_web_sessions(db: Database, *, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete sessions that ended or expired more than `older_than` ago; returns how many."""
    limit = utcnow() - older_than
    with db.write_session() as s:
        result = s.execute(
            delete(WebSession).where(or_(WebSession.expires_at < limit, WebSession.ended_at < limit))
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _session_caller(db: Database, session_key: str) -> Actor | None:
    """The actor of a live browser session (one statement: session, user, roles), None when it has ended."""
    with db.read_connection() as connection:
        rows = connection.execute(_CALLER_BY_SESSION, {"key_hash": _key_digest(session_key)}).all()
    if not rows:
        return None
    first = rows[0]
    if first.ended_at is not None or first.expires_at <= utcnow() or not first.is_active:
        return None
    if first.credential_generation != first.session_generation:
        return None
    return _caller(rows, db.settings.personal_keys)


def actor_for_web_session(db: Database, *, session_key: str) -> Actor:
    """The actor of a browser session; Unauthorized when it has ended."""
    actor = _session_caller(db, session_key)
    if actor is None:
        raise Unauthorized(SESSION_ENDED)
    return actor


def session_user(db: Database, *, session_key: str) -> UserView | None:
    """The browser session's user as pages show them, or None when the session has ended."""
    actor = _session_caller(db, session_key)
    if actor is None or actor.user_id is None:
        return None
    assignments = sorted(actor.roles, key=lambda pair: (ROLE_ORDER.get(pair[0], 99), pair[1] or ""))
    return UserView(
        user_id=actor.user_id,
        username=actor.name,
        full_name=actor.full_name,
        roles=list(dict.fromkeys(role for role, _unit in assignments)),
        assignments=assignments,
        actor=actor,
    )
