"""Sign-in: password verification and throttling of failures."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartcity.accounts.config import AccountsSettings
from smartcity.accounts.models import LoginFailure, User
from smartcity.accounts.service import common, totp
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
TOTP_NEEDED = "Nhập mã xác thực sáu chữ số từ ứng dụng xác thực."
ADMIN_TOTP_FIRST = (
    "Tài khoản quản trị phải đăng ký ứng dụng xác thực (mã sáu chữ số) trước khi đăng nhập; "
    "vui lòng nhờ một quản trị viên khác bật cho bạn."
)


# ---------------------------------------------------------------- login and throttling


@dataclass(frozen=True)
class Authenticated:
    """A successful login: the actor and what a session needs to remember."""

    actor: Actor
    user_id: int
    generation: int


def _delay(settings: Settings, failures: int, last: datetime | None, *, threshold: int, now: datetime) -> int:
    """Seconds still to wait after `failures` failures: doubling from the threshold on, capped."""
    if last is None or failures < threshold:
        return 0
    cap = settings.section(AccountsSettings).max_delay_seconds
    delay = min(settings.login_lockout_seconds * 2 ** min(failures - threshold, 20), cap)
    return max(0, math.ceil((last + timedelta(seconds=delay) - now).total_seconds()))


def _failures(session: Session, since: datetime, *conditions: Any) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at >= since, *conditions)
    ).one()
    return int(count), last


def _failure_wait(
    session: Session, *, username: str, client_ip: str, settings: Settings, now: datetime
) -> int:
    """Seconds the caller must wait before trying again (0 = may try now).

    Three delays, each doubling with failures and capped: this account from this address; this account
    from any address, but only for addresses that have been failing themselves (the rightful user at a
    quiet address still gets in); and this address over all accounts at a much higher count (spraying),
    so that colleagues behind the same address are not blocked by one person's mistakes.
    """
    since = now - timedelta(minutes=settings.login_failure_window_minutes)
    threshold = settings.login_max_failures
    pair = _failures(session, since, LoginFailure.username == username, LoginFailure.client_ip == client_ip)
    address = _failures(session, since, LoginFailure.client_ip == client_ip)
    waits = [_delay(settings, *pair, now=now, threshold=threshold)]
    if address[0] > 0:
        account = _failures(session, since, LoginFailure.username == username)
        waits.append(_delay(settings, *account, now=now, threshold=threshold))
    spray = settings.section(AccountsSettings).spray_failures
    waits.append(_delay(settings, *address, now=now, threshold=spray))
    return max(waits)


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
    otp: str | None = None,
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
            raise TooManyRequests("Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.", retry_after=wait)
        user = s.scalar(select(User).where(User.username == name))
    if not _verify_password(user, password) or user is None:
        _record_failure(db, username=name, client_ip=address, settings=settings, now=now)
        log.info("login failed for %r from %s", name, address)
        raise Unauthorized(WRONG_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    _second_factor(db, settings=settings, user_id=user.id, otp=otp, name=name, address=address, now=now)
    with db.write_session() as s:
        s.execute(
            delete(LoginFailure).where(LoginFailure.username == name, LoginFailure.client_ip == address)
        )
        stored = s.get(User, user.id)
        if (
            stored is not None
            and stored.password_hash
            and common.hasher().check_needs_rehash(stored.password_hash)
        ):
            stored.password_hash = hash_password(password)
        actor = _actor(s, user)
    return Authenticated(actor=actor, user_id=user.id, generation=user.credential_generation)


def _second_factor(
    db: Database, *, settings: Settings, user_id: int, otp: str | None, name: str, address: str, now: datetime
) -> None:
    """Ask for a TOTP code when the user is enrolled (or an administrator who must be); a wrong one fails."""
    if not totp.totp_needed(db, settings=settings, user_id=user_id):
        return
    if not totp.totp_enabled(db, user_id):
        raise Unauthorized(ADMIN_TOTP_FIRST)
    if not otp:
        raise Unauthorized(TOTP_NEEDED, headers={"WWW-Authenticate": 'Bearer error="totp_required"'})
    if not totp.verify_totp(db, settings=settings, user_id=user_id, code=otp):
        _record_failure(db, username=name, client_ip=address, settings=settings, now=now)
        raise Unauthorized(
            "Mã xác thực không đúng.", headers={"WWW-Authenticate": 'Bearer error="totp_required"'}
        )


def _record_failure(
    db: Database, *, username: str, client_ip: str, settings: Settings, now: datetime
) -> None:
    window = timedelta(minutes=settings.login_failure_window_minutes)
    with db.write_session() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.at < now - window))
        s.add(LoginFailure(username=username, client_ip=client_ip, at=now))
