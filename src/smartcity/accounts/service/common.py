"""Shared names of the accounts service: roles, patterns, the password hasher, checks and reads."""

from __future__ import annotations

import hashlib
import re
import secrets
import sys
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartcity.accounts.models import OrgUnit, Role, RoleAssignment, User, UserNameTerm
from smartcity.accounts.schemas import (
    RoleAssignmentRead,
    UserRead,
)
from smartcity.core.crypto import (
    Keys,
    blind_index,
    email_index,
    encrypt_optional,
    encrypt_personal,
    mask,
    mask_email,
    mask_name,
    name_term_indexes,
)
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.schemas import CITIZEN_ID_PATTERN
from smartcity.core.security import ROLE_SLUGS, Actor

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "citizen": ("Công dân", "Citizen"),
    "clerk": ("Cán bộ tiếp nhận một cửa", "One-stop intake clerk"),
    "specialist": ("Chuyên viên", "Specialist"),
    "head": ("Trưởng phòng, đơn vị", "Head of unit"),
    "leader": ("Lãnh đạo", "Leader"),
    "operator": ("Nhân viên vận hành IOC", "Operations-centre operator"),
    "admin": ("Quản trị hệ thống", "Administrator"),
    "integrator": ("Hệ thống tích hợp", "Integrated system"),
    "health_worker": ("Nhân viên y tế", "Health worker"),
    "health_manager": ("Quản lý y tế", "Health manager"),
}
# A role's name where the kind of the unit it is held in gives it its usual title (OrgUnit.kind): the head of
# a school is its principal, not "Trưởng phòng, đơn vị".
ROLE_NAMES_BY_UNIT_KIND: dict[tuple[str, str], tuple[str, str]] = {
    ("head", "school"): ("Hiệu trưởng", "Principal"),
    ("specialist", "school"): ("Giáo viên", "Teacher"),
    ("clerk", "school"): ("Kế toán, văn thư", "Accountant, clerk"),
}
STAFF_ROLES = frozenset(ROLE_SLUGS) - {"citizen"}
ROLE_ORDER = {slug: index for index, slug in enumerate(ROLE_SLUGS)}
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9]{8,15}$")
API_KEY_PATTERN = re.compile(r"^sc_([0-9a-f]{8})_([A-Za-z0-9_-]{20,128})$")
TOKEN_SALT = "smartcity.access-token"  # noqa: S105 (a namespace, not a secret)
LAST_USED_RESOLUTION = timedelta(seconds=60)
WRONG_CREDENTIALS = "Wrong username or password."

_hasher = PasswordHasher()


def hasher() -> PasswordHasher:
    """The password hasher in use: `service._hasher` on the package (tests replace it there)."""
    package = sys.modules.get("smartcity.accounts.service")
    current = getattr(package, "_hasher", None)
    return current if isinstance(current, PasswordHasher) else _hasher


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return hasher().hash(password)


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


def _user_read(session: Session, user: User, keys: Keys) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        full_name=user.full_name(keys),
        email=user.email(keys),
        phone_masked=user.phone_masked,
        citizen_id_masked=user.citizen_id_masked,
        is_active=user.is_active,
        locale=user.locale,
        created_at=user.created_at,
        updated_at=user.updated_at,
        roles=[RoleAssignmentRead.model_validate(a) for a in _assignments(session, user.id)],
    )


def _set_full_name(session: Session, user: User, full_name: str, keys: Keys) -> None:
    """Seal the user's full name and replace the keyed hashes of its words (the user must have an id)."""
    name = full_name.strip()
    user.full_name_encrypted = encrypt_optional(keys, name)
    session.execute(delete(UserNameTerm).where(UserNameTerm.user_id == user.id))
    session.add_all(
        UserNameTerm(user_id=user.id, term=term) for term in sorted(name_term_indexes(keys, name))
    )


def _set_email(user: User, email: str | None, keys: Keys) -> None:
    """Seal the user's e-mail address (checked) and keep its keyed hash for lookup."""
    address = _check_email(email)
    user.email_encrypted = encrypt_optional(keys, address)
    user.email_index = email_index(keys, address) if address else None


CITIZEN_ID = re.compile(CITIZEN_ID_PATTERN)


def _set_citizen_id(session: Session, user: User, citizen_id: str | None, keys: Keys) -> None:
    """Seal the user's personal ID number (12 digits, spaces allowed between), keep it masked for pages and
    its keyed hash; None or blank removes it. Conflict when another account has the number."""
    number = "".join((citizen_id or "").split())
    if not number:
        user.citizen_id_encrypted = user.citizen_id_masked = user.citizen_id_index = None
        return
    if not CITIZEN_ID.match(number):
        raise ValidationFailed.for_field("citizen_id", "must be the 12 digits of the personal ID number")
    index = blind_index(keys, number)
    others = select(User.id).where(User.citizen_id_index == index)
    with session.no_autoflush:  # asked before the new number is written
        if session.scalar(others if user.id is None else others.where(User.id != user.id)) is not None:
            raise Conflict(
                "Another account already has this personal ID number.",
                errors=[{"field": "citizen_id", "message": "another account already has this number"}],
            )
    user.citizen_id_encrypted = encrypt_personal(keys, number)
    user.citizen_id_masked = mask(number, keep_start=0, keep_end=3)
    user.citizen_id_index = index


def _user_audit(user: User, keys: Keys) -> dict[str, Any]:
    """What the audit log keeps of a user: the name and e-mail masked (pages name the user by id at read
    time), never the password hash nor the clear phone number."""
    email = user.email(keys)
    return {
        "username": user.username,
        "full_name": mask_name(user.full_name(keys)),
        "email": mask_email(email) if email else None,
        "phone": user.phone_masked,
        "citizen_id": user.citizen_id_masked,
        "is_active": user.is_active,
        "locale": user.locale,
    }


def seed_roles(db: Database) -> None:
    """Insert the known roles that are missing (other domains call this before assigning their roles)."""
    with db.write_session() as session:
        ensure_roles(session)


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


def _actor(session: Session, user: User) -> Actor:
    roles = frozenset((a.role, a.org_unit_code) for a in _assignments(session, user.id))
    return Actor(kind="user", name=user.username, user_id=user.id, roles=roles)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _other_active_admins(session: Session, user_id: int) -> int:
    """How many active users other than `user_id` hold the administrator role."""
    query = (
        select(func.count(func.distinct(User.id)))
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == "admin", User.is_active.is_(True), User.id != user_id)
    )
    return int(session.scalar(query) or 0)


def _keep_an_admin(session: Session, user: User) -> None:
    """Conflict if taking `user` away (deactivating, revoking admin) would leave no active administrator."""
    is_admin = any(a.role == "admin" for a in _assignments(session, user.id))
    if is_admin and user.is_active and _other_active_admins(session, user.id) == 0:
        raise Conflict("This is the last active administrator; appoint another one first.")
