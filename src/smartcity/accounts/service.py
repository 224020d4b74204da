"""Use cases of the accounts domain: users, roles, org units, passwords, tokens, API keys, throttling."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.accounts.models import ApiKey, LoginFailure, OrgUnit, Role, RoleAssignment, User, WebSession
from smartcity.accounts.schemas import (
    ApiKeyCreated,
    ApiKeyRead,
    OrgUnitRead,
    RoleAssignmentRead,
    RoleRead,
    TokenResponse,
    UserPage,
    UserRead,
)
from smartcity.core.config import Settings
from smartcity.core.crypto import decrypt_personal, encrypt_personal, mask
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from smartcity.core.security import ROLE_SLUGS, Actor
from smartcity.core.uow import UnitOfWork

log = logging.getLogger(__name__)

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "citizen": ("Công dân", "Citizen"),
    "clerk": ("Cán bộ tiếp nhận một cửa", "One-stop intake clerk"),
    "specialist": ("Chuyên viên", "Specialist"),
    "head": ("Trưởng phòng, đơn vị", "Head of unit"),
    "leader": ("Lãnh đạo", "Leader"),
    "operator": ("Nhân viên vận hành IOC", "Operations-centre operator"),
    "admin": ("Quản trị hệ thống", "Administrator"),
    "integrator": ("Hệ thống tích hợp", "Integrated system"),
}
STAFF_ROLES = frozenset(ROLE_SLUGS) - {"citizen"}
ROLE_ORDER = {slug: index for index, slug in enumerate(ROLE_SLUGS)}
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{8,15}$")
API_KEY_PATTERN = re.compile(r"^sc_([0-9a-f]{8})_([A-Za-z0-9_-]{20,128})$")
MIN_PASSWORD_LENGTH = 8
TOKEN_SALT = "smartcity.access-token"  # noqa: S105 (a namespace, not a secret)
LAST_USED_RESOLUTION = timedelta(seconds=60)
WRONG_CREDENTIALS = "Wrong username or password."

_hasher = PasswordHasher()


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def normalise_username(username: str) -> str:
    """Usernames are compared trimmed and in lower case."""
    return username.strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise ValidationFailed.for_field(
            "username", "3–64 characters: letters, digits, '.', '_', '-', '@'; first a letter or digit"
        )
    return name


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.for_field(field, f"at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 1024:
        raise ValidationFailed.for_field(field, "at most 1024 characters")


def _check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if not EMAIL_PATTERN.match(email):
        raise ValidationFailed.for_field("email", "not an e-mail address")
    return email


def _clean_phone(phone: str) -> str:
    cleaned = re.sub(r"[\s.()-]", "", phone)
    if not PHONE_PATTERN.match(cleaned):
        raise ValidationFailed.for_field("phone", "8–15 digits, optionally starting with +")
    return cleaned


def _check_role(session: Session, role: str) -> str:
    ensure_roles(session)
    if session.get(Role, role) is None:
        raise ValidationFailed.for_field("role", f"unknown role {role!r}; one of {', '.join(ROLE_SLUGS)}")
    return role


def _check_unit(session: Session, code: str | None, field: str = "org_unit_code") -> str | None:
    if code is None or code == "":
        return None
    if session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)) is None:
        raise ValidationFailed.for_field(field, f"unknown org unit {code!r}")
    return code


def _user_or_404(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}")
    return user


def _assignments(session: Session, user_id: int) -> list[RoleAssignment]:
    query = select(RoleAssignment).where(RoleAssignment.user_id == user_id).order_by(RoleAssignment.id)
    return list(session.scalars(query))


def _user_read(session: Session, user: User) -> UserRead:
    read = UserRead.model_validate(user)
    read.roles = [RoleAssignmentRead.model_validate(a) for a in _assignments(session, user.id)]
    return read


def _user_audit(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash nor the clear phone number."""
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone_masked,
        "is_active": user.is_active,
        "locale": user.locale,
    }


def ensure_roles(session: Session) -> None:
    """Insert the standard roles that are missing (the role table is seeded on first use, race-free)."""
    present = set(session.scalars(select(Role.slug)))
    rows = [
        {"slug": slug, "name_vi": ROLE_NAMES[slug][0], "name_en": ROLE_NAMES[slug][1]}
        for slug in ROLE_SLUGS
        if slug not in present
    ]
    if not rows:
        return
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Role).values(rows).on_conflict_do_nothing())


# ---------------------------------------------------------------- org units


def _parse_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValidationFailed.for_field(field, f"not an ISO date: {value!r}") from exc


def _org_unit_values(raw: dict[str, Any]) -> dict[str, Any]:
    code = str(raw.get("code") or "").strip()
    name = str(raw.get("name") or "").strip()
    if not code or not name:
        raise ValidationFailed.for_field("org_units", f"an org unit needs a code and a name: {raw!r}")
    return {
        "code": code,
        "name": name,
        "name_en": raw.get("name_en"),
        "kind": raw.get("kind") or "department",
        "parent_code": raw.get("parent_code"),
        "admin_unit_code": raw.get("admin_unit_code"),
        "valid_from": _parse_date(raw.get("valid_from"), "valid_from"),
        "valid_to": _parse_date(raw.get("valid_to"), "valid_to"),
        "active": bool(raw.get("active", True)),
    }


def _org_unit_snapshot(unit: OrgUnit) -> dict[str, Any]:
    return OrgUnitRead.model_validate(unit).model_dump(mode="json")


def upsert_org_units(db: Database, *, actor: Actor, units: Iterable[dict[str, Any]]) -> int:
    """Create or update org units by code (idempotent, audited); returns how many changed."""
    values = [_org_unit_values(raw) for raw in units]
    changed = 0
    with UnitOfWork(db, actor) as uow:
        for item in values:
            unit = uow.session.scalar(select(OrgUnit).where(OrgUnit.code == item["code"]))
            if unit is None:
                unit = OrgUnit(**item)
                uow.session.add(unit)
                uow.session.flush()
                uow.audit("org_unit.created", "org_unit", unit.code, after=_org_unit_snapshot(unit))
                changed += 1
                continue
            before = _org_unit_snapshot(unit)
            for key, value in item.items():
                setattr(unit, key, value)
            after = _org_unit_snapshot(unit)
            if after != before:
                uow.session.flush()
                uow.audit("org_unit.updated", "org_unit", unit.code, before=before, after=after)
                changed += 1
    return changed


def list_org_units(db: Database, on: date | None = None) -> list[OrgUnitRead]:
    """Active org units; with `on`, only those valid on that day (valid_from and valid_to inclusive)."""
    query = select(OrgUnit).where(OrgUnit.active.is_(True))
    if on is not None:
        query = query.where(
            or_(OrgUnit.valid_from.is_(None), OrgUnit.valid_from <= on),
            or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= on),
        )
    with db.session() as s:
        return [OrgUnitRead.model_validate(u) for u in s.scalars(query.order_by(OrgUnit.code))]


def get_org_unit(db: Database, code: str) -> OrgUnitRead | None:
    """The org unit with this code (active or not), or None."""
    with db.session() as s:
        unit = s.scalar(select(OrgUnit).where(OrgUnit.code == code))
        return OrgUnitRead.model_validate(unit) if unit else None


# ---------------------------------------------------------------- roles


def role_name(slug: str, locale: str = "vi") -> str:
    """The display name of a role in Vietnamese or English (the slug if unknown)."""
    names = ROLE_NAMES.get(slug)
    if names is None:
        return slug
    return names[1] if locale == "en" else names[0]


def list_roles(db: Database) -> list[RoleRead]:
    """Every role with its Vietnamese and English names."""
    with db.session() as s:
        stored = {r.slug: RoleRead.model_validate(r) for r in s.scalars(select(Role))}
    return [
        stored.get(slug) or RoleRead(slug=slug, name_vi=ROLE_NAMES[slug][0], name_en=ROLE_NAMES[slug][1])
        for slug in ROLE_SLUGS
    ] + [r for slug, r in stored.items() if slug not in ROLE_SLUGS]


def _add_assignment(uow: UnitOfWork, user: User, role: str, unit: str | None) -> RoleAssignment:
    role = _check_role(uow.session, role)
    unit = _check_unit(uow.session, unit)
    for existing in _assignments(uow.session, user.id):
        if existing.role == role and existing.org_unit_code == unit:
            raise Conflict(f"User {user.username} already holds {role} in {unit or 'the whole city'}")
    assignment = RoleAssignment(user_id=user.id, role=role, org_unit_code=unit)
    uow.session.add(assignment)
    uow.session.flush()
    uow.audit(
        "role.assigned",
        "user",
        user.id,
        after={"assignment_id": assignment.id, "role": role, "org_unit_code": unit},
    )
    return assignment


def assign_role(
    db: Database, *, actor: Actor, user_id: int, role: str, org_unit_code: str | None = None
) -> RoleAssignmentRead:
    """Give a user a role in an org unit (None = whole city); audited."""
    try:
        with UnitOfWork(db, actor) as uow:
            user = _user_or_404(uow.session, user_id)
            assignment = _add_assignment(uow, user, role, org_unit_code)
            return RoleAssignmentRead.model_validate(assignment)
    except IntegrityError as exc:  # the same assignment made concurrently
        raise Conflict(f"User {user_id} already holds {role} there") from exc


def revoke_role(db: Database, *, actor: Actor, user_id: int, assignment_id: int) -> None:
    """Take a role assignment away from a user; audited."""
    with UnitOfWork(db, actor) as uow:
        assignment = uow.session.get(RoleAssignment, assignment_id)
        if assignment is None or assignment.user_id != user_id:
            raise NotFound(f"User {user_id} has no role assignment {assignment_id}")
        before = {
            "assignment_id": assignment.id,
            "role": assignment.role,
            "org_unit_code": assignment.org_unit_code,
        }
        uow.session.delete(assignment)
        uow.audit("role.revoked", "user", user_id, before=before)


# ---------------------------------------------------------------- users


def create_user(
    db: Database,
    *,
    actor: Actor,
    username: str,
    password: str,
    full_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    locale: str = "vi",
    roles: Sequence[tuple[str, str | None]] = (),
    secret: str | None = None,
) -> UserRead:
    """Create a user with a password and roles; audited without the hash. `secret` encrypts the phone."""
    name = _check_username(username)
    _check_password(password)
    email = _check_email(email)
    try:
        return _insert_user(
            db,
            actor=actor,
            name=name,
            password_hash=hash_password(password),
            full_name=full_name,
            email=email,
            phone=phone,
            locale=locale,
            roles=roles,
            secret=secret,
        )
    except IntegrityError as exc:  # a concurrent request took the username or role first
        raise Conflict(f"The username {name!r} is taken") from exc


def _insert_user(
    db: Database,
    *,
    actor: Actor,
    name: str,
    password_hash: str,
    full_name: str,
    email: str | None,
    phone: str | None,
    locale: str,
    roles: Sequence[tuple[str, str | None]],
    secret: str | None,
) -> UserRead:
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(User.id).where(User.username == name)) is not None:
            raise Conflict(f"The username {name!r} is taken")
        user = User(
            username=name,
            full_name=full_name.strip(),
            email=email,
            locale=locale,
            password_hash=password_hash,
            is_active=True,
            credential_generation=0,
        )
        _set_phone(user, phone, secret)
        uow.session.add(user)
        uow.session.flush()
        uow.audit("user.created", "user", user.id, after=_user_audit(user))
        for role, unit in roles:
            _add_assignment(uow, user, role, unit)
        return _user_read(uow.session, user)


def _set_phone(user: User, phone: str | None, secret: str | None) -> None:
    if phone is None or not phone.strip():
        user.phone_encrypted = user.phone_masked = None
        return
    if not secret:
        raise ValueError("a secret is needed to store a phone number")
    cleaned = _clean_phone(phone)
    user.phone_encrypted = encrypt_personal(secret, cleaned)
    user.phone_masked = mask(cleaned, keep_start=0, keep_end=3)


def update_user(
    db: Database, *, actor: Actor, user_id: int, changes: dict[str, Any], secret: str | None = None
) -> UserRead:
    """Change a user's name, e-mail, phone, locale or active flag (keys of `changes`); audited."""
    allowed = {"full_name", "email", "phone", "locale", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed.for_field(sorted(unknown)[0], "cannot be changed here")
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        before = _user_audit(user)
        if "full_name" in changes:
            user.full_name = (changes["full_name"] or "").strip()
        if "email" in changes:
            user.email = _check_email(changes["email"])
        if "phone" in changes:
            _set_phone(user, changes["phone"], secret)
        if changes.get("locale") is not None:
            user.locale = changes["locale"]
        if changes.get("is_active") is not None and changes["is_active"] != user.is_active:
            user.is_active = bool(changes["is_active"])
            user.credential_generation += 1
        uow.session.flush()
        if _user_audit(user) != before:
            uow.audit("user.updated", "user", user.id, before=before, after=_user_audit(user))
        return _user_read(uow.session, user)


def deactivate_user(db: Database, *, actor: Actor, user_id: int) -> UserRead:
    """Stop a user from logging in; their tokens and sessions stop working at once."""
    return update_user(db, actor=actor, user_id=user_id, changes={"is_active": False})


def set_password(db: Database, *, actor: Actor, user_id: int, password: str) -> None:
    """Give a user a new password; other tokens and sessions of theirs stop working. Audited, no hash."""
    _check_password(password)
    password_hash = hash_password(password)  # hashed before the transaction: it takes a while
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        user.password_hash = password_hash
        user.credential_generation += 1
        uow.audit("user.password_set", "user", user.id, after={"password": "changed"})


def ensure_admin(db: Database, *, username: str = "admin", password: str) -> bool:
    """Create an administrator if `username` does not exist (never changes an existing password)."""
    if get_user_by_username(db, username) is not None:
        return False
    try:
        create_user(
            db,
            actor=Actor.system("accounts.ensure_admin"),
            username=username,
            password=password,
            full_name="Quản trị hệ thống",
            roles=[("admin", None)],
        )
    except Conflict:  # created meanwhile by another process
        return False
    return True


def get_user(db: Database, user_id: int) -> UserRead:
    """A user with their role assignments; NotFound if there is none."""
    with db.session() as s:
        return _user_read(s, _user_or_404(s, user_id))


def get_user_by_username(db: Database, username: str) -> UserRead | None:
    """The user with this username (case-insensitive), or None."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == normalise_username(username)))
        return _user_read(s, user) if user else None


def list_users(db: Database, *, limit: int = 50, offset: int = 0, query: str | None = None) -> UserPage:
    """Users by username, optionally filtered by a part of the username or full name."""
    stmt = select(User)
    if query:
        pattern = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.username).like(pattern), func.lower(User.full_name).like(pattern))
        )
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        users = s.scalars(stmt.order_by(User.username).limit(limit).offset(offset))
        return UserPage(items=[_user_read(s, u) for u in users], total=total, limit=limit, offset=offset)


def get_user_phone(db: Database, *, actor: Actor, user_id: int, secret: str) -> str | None:
    """A user's phone number in clear; the read is written to the audit log."""
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        uow.audit("user.phone_read", "user", user.id)
        return decrypt_personal(secret, user.phone_encrypted) if user.phone_encrypted else None


def actor_for_user(db: Database, user_id: int) -> Actor:
    """The Actor of an active user, with their roles; Unauthorized if missing or deactivated."""
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("The account does not exist or is deactivated.")
        return _actor(s, user)


def _actor(session: Session, user: User) -> Actor:
    roles = frozenset((a.role, a.org_unit_code) for a in _assignments(session, user.id))
    return Actor(kind="user", name=user.username, user_id=user.id, roles=roles)


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
        _hasher.verify(stored or _dummy_hash(), password)
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
        if stored is not None and stored.password_hash and _hasher.check_needs_rehash(stored.password_hash):
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


# ---------------------------------------------------------------- bearer tokens


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key, salt=TOKEN_SALT)


def issue_token(settings: Settings, *, user_id: int, generation: int) -> TokenResponse:
    """A signed bearer token for a user, valid settings.access_token_minutes."""
    token = _serializer(settings).dumps({"u": user_id, "g": generation})
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


def login_for_token(
    db: Database, *, settings: Settings, username: str, password: str, client_ip: str | None
) -> TokenResponse:
    """Authenticate and issue a bearer token (the OAuth2 password grant)."""
    result = authenticate(db, settings=settings, username=username, password=password, client_ip=client_ip)
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
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.is_active or user.credential_generation != generation:
            raise error or Unauthorized("The session has ended; please log in again.")
        return _actor(s, user)


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


def _session_owner(s: Session, session_key: str) -> User | None:
    """The user of a live session: not ended, not expired, user active, credentials unchanged since."""
    row = s.get(WebSession, _key_digest(session_key))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    user = s.get(User, row.user_id)
    if user is None or not user.is_active or user.credential_generation != row.credential_generation:
        return None
    return user


def actor_for_web_session(db: Database, *, session_key: str) -> Actor:
    """The actor of a browser session; Unauthorized when it has ended."""
    with db.session() as s:
        user = _session_owner(s, session_key)
        if user is None:
            raise Unauthorized("The session has ended; please log in again.")
        return _actor(s, user)


def session_user(db: Database, *, session_key: str) -> UserView | None:
    """The browser session's user as pages show them, or None when the session has ended."""
    with db.session() as s:
        user = _session_owner(s, session_key)
        if user is None:
            return None
        actor = _actor(s, user)
        assignments = sorted(actor.roles, key=lambda pair: (ROLE_ORDER.get(pair[0], 99), pair[1] or ""))
        roles = list(dict.fromkeys(role for role, _unit in assignments))
        return UserView(
            user_id=user.id,
            username=user.username,
            full_name=user.full_name,
            roles=roles,
            assignments=assignments,
            actor=actor,
        )


# ---------------------------------------------------------------- API keys


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


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
