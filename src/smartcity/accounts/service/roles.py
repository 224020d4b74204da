"""Roles and role assignments."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.accounts.models import Role, RoleAssignment, User
from smartcity.accounts.schemas import (
    RoleAssignmentRead,
    RoleRead,
)
from smartcity.accounts.service.common import (
    ROLE_NAMES,
    ROLE_NAMES_BY_UNIT_KIND,
    _assignments,
    _check_role,
    _check_unit,
    _keep_an_admin,
    _user_or_404,
)
from smartcity.core.crypto import decrypt_optional
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, Forbidden, NotFound
from smartcity.core.security import ROLE_SLUGS, Actor
from smartcity.core.text import fold
from smartcity.core.uow import UnitOfWork

# ---------------------------------------------------------------- roles


def role_name(slug: str, locale: str = "vi", unit_kind: str | None = None) -> str:
    """The display name of a role in Vietnamese or English (the slug if unknown); with the kind of the unit it
    is held in, that unit's usual title where it has one (a school's head: "Hiệu trưởng")."""
    names = ROLE_NAMES_BY_UNIT_KIND.get((slug, unit_kind or "")) or ROLE_NAMES.get(slug)
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
        user = _user_or_404(uow.session, user_id)
        if assignment.role == "admin" and actor.user_id == user_id:
            raise Forbidden("You cannot take away your own administrator role; ask another administrator.")
        if assignment.role == "admin":
            _keep_an_admin(uow.session, user)
        before = {
            "assignment_id": assignment.id,
            "role": assignment.role,
            "org_unit_code": assignment.org_unit_code,
        }
        uow.session.delete(assignment)
        uow.audit("role.revoked", "user", user_id, before=before)


def holders_of(db: Database, *, role: str, org_unit_code: str | None) -> list[tuple[str, str]]:
    """The active users holding `role` in this unit (None: for the whole city, an assignment without a
    unit; not the holders in each unit), as (username, full name), by full name (names are sealed:
    decrypted and sorted here, the holders of a role in one unit being few)."""
    keys = db.settings.personal_keys
    where = (
        RoleAssignment.org_unit_code.is_(None)
        if org_unit_code is None
        else RoleAssignment.org_unit_code == org_unit_code
    )
    with db.session() as s:
        rows = s.execute(
            select(User.username, User.full_name_encrypted)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.role == role, where, User.is_active.is_(True))
        ).all()
    named = [(username, decrypt_optional(keys, sealed) or username) for username, sealed in rows]
    return sorted(named, key=lambda pair: (fold(pair[1]), pair[1], pair[0]))
