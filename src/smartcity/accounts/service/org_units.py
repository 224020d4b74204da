"""Org units: the departments and wards staff belong to, with their validity dates."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from smartcity.accounts.models import OrgUnit
from smartcity.accounts.schemas import (
    OrgUnitRead,
)
from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork

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
