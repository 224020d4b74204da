"""Users: creation, changes, passwords, lookups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.accounts.models import User, UserNameTerm
from smartcity.accounts.schemas import (
    UserPage,
    UserRead,
)
from smartcity.accounts.service.common import (
    STAFF_ROLES,
    _actor,
    _assignments,
    _check_email,
    _check_username,
    _clean_phone,
    _keep_an_admin,
    _set_citizen_id,
    _set_email,
    _set_full_name,
    _user_audit,
    _user_or_404,
    _user_read,
    hash_password,
    normalise_username,
)
from smartcity.accounts.service.passwords import check_password
from smartcity.accounts.service.roles import (
    _add_assignment,
)
from smartcity.core.crypto import (
    Keys,
    decrypt_personal,
    email_index,
    encrypt_personal,
    mask,
    owners_named,
)
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from smartcity.core.pages import count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork

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
    citizen_id: str | None = None,
    locale: str = "vi",
    roles: Sequence[tuple[str, str | None]] = (),
    secret: Keys | None = None,
) -> UserRead:
    """Create a user with a password and roles; audited without the hash nor personal data in clear. The name,
    e-mail address, phone and ID number are sealed with `secret` (default: the database's key ring)."""
    name = _check_username(username)
    check_password(password, username=name, staff=any(role in STAFF_ROLES for role, _unit in roles))
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
            citizen_id=citizen_id,
            locale=locale,
            roles=roles,
            secret=secret,
        )
    except IntegrityError as exc:  # a concurrent request took the username, ID number or role first
        raise Conflict(f"The username {name!r} or the ID number is taken") from exc


def _insert_user(
    db: Database,
    *,
    actor: Actor,
    name: str,
    password_hash: str,
    full_name: str,
    email: str | None,
    phone: str | None,
    citizen_id: str | None,
    locale: str,
    roles: Sequence[tuple[str, str | None]],
    secret: Keys | None,
) -> UserRead:
    keys = secret or db.settings.personal_keys
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(User.id).where(User.username == name)) is not None:
            raise Conflict(f"The username {name!r} is taken")
        user = User(
            username=name,
            locale=locale,
            password_hash=password_hash,
            is_active=True,
            credential_generation=0,
        )
        _set_email(user, email, keys)
        _set_phone(user, phone, keys)
        _set_citizen_id(uow.session, user, citizen_id, keys)
        uow.session.add(user)
        uow.session.flush()
        _set_full_name(uow.session, user, full_name, keys)
        uow.audit("user.created", "user", user.id, after=_user_audit(user, keys))
        for role, unit in roles:
            _add_assignment(uow, user, role, unit)
        return _user_read(uow.session, user, keys)


def _set_phone(user: User, phone: str | None, secret: Keys | None) -> None:
    if phone is None or not phone.strip():
        user.phone_encrypted = user.phone_masked = None
        return
    if not secret:
        raise ValueError("a secret is needed to store a phone number")
    cleaned = _clean_phone(phone)
    user.phone_encrypted = encrypt_personal(secret, cleaned)
    user.phone_masked = mask(cleaned, keep_start=0, keep_end=3)


def update_user(
    db: Database, *, actor: Actor, user_id: int, changes: dict[str, Any], secret: Keys | None = None
) -> UserRead:
    """Change a user's name, e-mail, phone, ID number, locale or active flag (keys of `changes`); audited
    (masked)."""
    allowed = {"full_name", "email", "phone", "citizen_id", "locale", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed.for_field(sorted(unknown)[0], "cannot be changed here")
    keys = secret or db.settings.personal_keys
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        before, clear_before = _user_audit(user, keys), _clear_fields(user, keys)
        if "full_name" in changes:
            _set_full_name(uow.session, user, changes["full_name"] or "", keys)
        if "email" in changes:
            _set_email(user, changes["email"], keys)
        if "phone" in changes:
            _set_phone(user, changes["phone"], keys)
        if "citizen_id" in changes:
            _set_citizen_id(uow.session, user, changes["citizen_id"], keys)
        if changes.get("locale") is not None:
            user.locale = changes["locale"]
        if changes.get("is_active") is False and user.is_active:
            _refuse_removing(uow.session, actor, user)
        if changes.get("is_active") is not None and changes["is_active"] != user.is_active:
            user.is_active = bool(changes["is_active"])
            user.credential_generation += 1
        uow.session.flush()
        changed = sorted(k for k, v in _clear_fields(user, keys).items() if clear_before[k] != v)
        if changed:
            after = _user_audit(user, keys) | {"changed": changed}
            uow.audit("user.updated", "user", user.id, before=before, after=after)
        return _user_read(uow.session, user, keys)


def _clear_fields(user: User, keys: Keys) -> dict[str, Any]:
    """The fields an update may change, in clear, to tell which changed (never written anywhere)."""
    return {
        "full_name": user.full_name(keys),
        "email": user.email(keys),
        "phone": user.phone_masked,
        "citizen_id": user.citizen_id_index,
        "is_active": user.is_active,
        "locale": user.locale,
    }


def _refuse_removing(session: Session, actor: Actor, user: User) -> None:
    """An administrator cannot deactivate themself, and nobody can deactivate the last administrator."""
    if actor.user_id == user.id:
        raise Forbidden("You cannot deactivate your own account; ask another administrator.")
    _keep_an_admin(session, user)


def deactivate_user(db: Database, *, actor: Actor, user_id: int) -> UserRead:
    """Stop a user from logging in; their tokens and sessions stop working at once."""
    return update_user(db, actor=actor, user_id=user_id, changes={"is_active": False})


def set_password(db: Database, *, actor: Actor, user_id: int, password: str) -> None:
    """Give a user a new password; other tokens and sessions of theirs stop working. Audited, no hash."""
    with db.session() as s:
        user = _user_or_404(s, user_id)
        staff = any(a.role in STAFF_ROLES for a in _assignments(s, user_id))
        check_password(password, username=user.username, staff=staff)
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
        return _user_read(s, _user_or_404(s, user_id), db.settings.personal_keys)


def get_user_by_username(db: Database, username: str) -> UserRead | None:
    """The user with this username (case-insensitive), or None."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.username == normalise_username(username)))
        return _user_read(s, user, db.settings.personal_keys) if user else None


def _name_matches(keys: Keys, query: str) -> ColumnElement[bool] | None:
    """Users whose full name has, for every word of the query, a word beginning with it (blind index)."""
    matching = owners_named(keys, query, owner=UserNameTerm.user_id, term=UserNameTerm.term)
    return None if matching is None else User.id.in_(matching)


def list_users(db: Database, *, limit: int = 50, offset: int = 0, query: str | None = None) -> UserPage:
    """Users by username, optionally filtered by a part of the username, the beginnings of the words of the
    full name ("nguyen va" finds "Nguyễn Văn An") or a whole e-mail address."""
    keys = db.settings.personal_keys
    stmt = select(User)
    if query and query.strip():
        text = query.strip()
        found: list[ColumnElement[bool]] = [func.lower(User.username).like(f"%{text.lower()}%")]
        by_name = _name_matches(keys, text)
        if by_name is not None:
            found.append(by_name)
        if "@" in text:
            found.append(User.email_index == email_index(keys, text))
        stmt = stmt.where(or_(*found))
    with db.session() as s:
        users, total = count_and_slice(s, stmt, User.username, limit=limit, offset=offset)
        return UserPage(
            items=[_user_read(s, u, keys) for u in users], total=total, limit=limit, offset=offset
        )


def get_user_phone(db: Database, *, actor: Actor, user_id: int, secret: Keys) -> str | None:
    """A user's phone number in clear; the read is written to the audit log."""
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        uow.audit("user.phone_read", "user", user.id)
        return decrypt_personal(secret, user.phone_encrypted) if user.phone_encrypted else None


def get_user_citizen_id(db: Database, *, actor: Actor, user_id: int, secret: Keys) -> str | None:
    """A user's personal ID number in clear; the read is written to the audit log."""
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, user_id)
        uow.audit("user.citizen_id_read", "user", user.id)
        return decrypt_personal(secret, user.citizen_id_encrypted) if user.citizen_id_encrypted else None


OWN_DETAILS = ("phone", "email", "citizen_id")
"""What a person changes of their own account on their page: the administrator changes the rest."""


def update_own_details(db: Database, *, actor: Actor, changes: dict[str, Any]) -> UserRead:
    """The signed-in person changes their own phone, e-mail address or ID number (keys of `changes`)."""
    if actor.user_id is None:
        raise Unauthorized("Only a signed-in person has details of their own.")
    unknown = set(changes) - set(OWN_DETAILS)
    if unknown:
        raise ValidationFailed.for_field(sorted(unknown)[0], "cannot be changed here")
    return update_user(db, actor=actor, user_id=actor.user_id, changes=changes)


def actor_for_user(db: Database, user_id: int) -> Actor:
    """The Actor of an active user, with their roles; Unauthorized if missing or deactivated."""
    with db.session() as s:
        user = s.get(User, user_id)
        if user is None or not user.is_active:
            raise Unauthorized("The account does not exist or is deactivated.")
        return _actor(s, user)


def sign_out_everywhere(db: Database, *, actor: Actor) -> None:
    """Revoke every bearer token and browser session of the actor's user; audited."""
    if actor.user_id is None:
        raise Unauthorized("Only a signed-in user can sign out.")
    with UnitOfWork(db, actor) as uow:
        user = _user_or_404(uow.session, actor.user_id)
        user.credential_generation += 1
        uow.audit("user.signed_out", "user", user.id)
