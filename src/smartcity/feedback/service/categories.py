"""Categories: part of the feedback service (see __init__)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select

from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.core.i18n import in_language
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback.models import Category
from smartcity.feedback.schemas import (
    CategoryBase,
    CategoryRead,
)
from smartcity.feedback.service.common import CATEGORIES_FILE


def default_categories() -> list[CategoryBase]:
    """The categories shipped with the platform (categories.json)."""
    raw = json.loads(CATEGORIES_FILE.read_text(encoding="utf-8"))
    return [CategoryBase.model_validate(item) for item in raw["categories"]]


def upsert_categories(db: Database, *, actor: Actor, categories: Iterable[CategoryBase]) -> int:
    """Create or update categories by code (idempotent, audited); returns how many changed."""
    changed = 0
    with UnitOfWork(db, actor) as uow:
        for item in categories:
            values = item.model_dump(mode="json")
            row = uow.session.scalar(select(Category).where(Category.code == item.code))
            if row is None:
                uow.session.add(Category(**values))
                uow.audit("feedback.category_created", "feedback_category", item.code, after=values)
                changed += 1
                continue
            before = CategoryBase.model_validate(row, from_attributes=True).model_dump(mode="json")
            if before != values:
                for key, value in values.items():
                    setattr(row, key, value)
                uow.audit(
                    "feedback.category_updated", "feedback_category", item.code, before=before, after=values
                )
                changed += 1
    return changed


def ensure_default_categories(db: Database, *, actor: Actor) -> int:
    """Add the shipped categories that are missing (never overwrites local changes)."""
    with db.session() as s:
        existing = set(s.scalars(select(Category.code)))
    missing = [c for c in default_categories() if c.code not in existing]
    return upsert_categories(db, actor=actor, categories=missing) if missing else 0


def list_categories(db: Database, *, include_inactive: bool = False) -> list[CategoryRead]:
    """Categories in display order."""
    query = select(Category).order_by(Category.position, Category.code)
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    with db.session() as s:
        return [CategoryRead.model_validate(c) for c in s.scalars(query)]


def category_names(db: Database, locale: str = "vi") -> dict[str, str]:
    """Every category's name by code (inactive ones too: old reports keep theirs), in English where asked and
    known."""
    with db.session() as s:
        rows = s.execute(select(Category.code, Category.name, Category.name_en)).all()
    return {code: in_language(name, name_en, locale) for code, name, name_en in rows}


def get_category(db: Database, code: str) -> CategoryRead:
    """The active category with this code; NotFound otherwise."""
    with db.session() as s:
        row = s.scalar(select(Category).where(Category.code == code, Category.active.is_(True)))
        if row is None:
            raise NotFound(f"No report category {code!r}")
        return CategoryRead.model_validate(row)
