"""Periodic jobs of the feedback domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from collections.abc import Callable

from smartcity.core.db import Database
from smartcity.feedback import service


def escalate(db: Database) -> int:
    """Escalate open reports past their deadline; returns how many."""
    return len(service.escalate_overdue(db))


def close_resolved(db: Database) -> int:
    """Close resolved reports whose reopening period has passed; returns how many."""
    return len(service.close_resolved(db))


TASKS: dict[str, Callable[[Database], int]] = {
    "feedback.escalate": escalate,
    "feedback.close_resolved": close_resolved,
}
