"""Sign-in: password verification and throttling of failures."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartcity.accounts.models import LoginFailure, User
from smartcity.accounts.service import common
from smartcity.accounts.service.common import (
    WRONG_CREDENTIALS,
    _actor,
    _dummy_hash,
    hash_password,
    normalise_username,
)
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import TooManyRequests, Unauthorized
from smartcity.core.security import Actor

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- login and throttling


@dataclass(frozen=True)
class Authenticated:
    """A successful login: the actor and what a session needs to remember."""

    actor: Actor
    user_id: int
    generation: int


def _failure_wait(
    session: Session, *, username: str, client_ip: str, settings: Settings, now: datetime
) -> int:
    """Seconds the caller must wait before trying again (0 = may try now)."""
    window = timedelta(minutes=settings.login_failure_window_minutes)
    wait = 0
    for column, value in ((LoginFailure.username, username), (LoginFailure.client_ip, client_ip)):
        count, last = session.execute(
            select(func.count(), func.max(LoginFailure.at)).where(
                column == value, LoginFailure.at >= now - window
            )
        ).one()
        if count < settings.login_max_failures or last is None:
            continue
        lock = settings.login_lockout_seconds * 2 ** min(count - settings.login_max_failures, 20)
        lock = min(lock, int(window.total_seconds()))
        remaining = (last + timedelta(seconds=lock) - now).total_seconds()
        wait = max(wait, math.ceil(remaining))
    return wait


def _verify_password(user: User | None, password: str) -> bool:
    """argon2 verification; a missing user is checked against a dummy hash to take comparable time."""
    stored = user.password_hash if user is not None and user.is_active and user.password_hash else None
    try:
        common.hasher().verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def authenticate(
    db: Database,
    *,
    settings: Settings,
    username: str,
    password: str,
    client_ip: str | None,
    now: datetime | None = None,
) -> Authenticated:
    """Check a username and password, throttling repeated failures per username and per address.

    Raises TooManyRequests (with Retry-After) while throttled, and the same Unauthorized whether the
    username or the password was wrong.
    """
    now = now or utcnow()
    name, address = normalise_username(username)[:64], (client_ip or "unknown")[:64]
    with db.session() as s:
        wait = _failure_wait(s, username=name, client_ip=address, settings=settings, now=now)
        if wait > 0:
            raise TooManyRequests("Too many failed logins; try again later.", retry_after=wait)
        user = s.scalar(select(User).where(User.username == name))
    if not _verify_password(user, password) or user is None:
        _record_failure(db, username=name, client_ip=address, settings=settings, now=now)
        log.info("login failed for %r from %s", name, address)
        raise Unauthorized(WRONG_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    with db.write_session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.username == name))
        stored = s.get(User, user.id)
        if (
            stored is not None
            and stored.password_hash
            and common.hasher().check_needs_rehash(stored.password_hash)
        ):
            stored.password_hash = hash_password(password)
        actor = _actor(s, user)
    return Authenticated(actor=actor, user_id=user.id, generation=user.credential_generation)


def _record_failure(
    db: Database, *, username: str, client_ip: str, settings: Settings, now: datetime
) -> None:
    window = timedelta(minutes=settings.login_failure_window_minutes)
    with db.write_session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
        s.add(LoginFailure(username=username, client_ip=client_ip, at=now))
