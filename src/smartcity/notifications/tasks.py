"""Periodic jobs of notifications: deliver held messages, escalate unacknowledged ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from smartcity.core.db import Database
from smartcity.notifications import service


def deliver(db: Database) -> int:
    """Deliver queued messages and those whose quiet hours ended."""
    return service.deliver_due(db, settings=db.settings)


def escalate(db: Database) -> int:
    """Escalate messages nobody acknowledged in time."""
    return service.escalate_unacknowledged(db, settings=db.settings)


TASKS: dict[str, Callable[[Database], int]] = {
    "notifications.deliver": deliver,
    "notifications.escalate": escalate,
}
INTERVALS = {"notifications.deliver": timedelta(minutes=1), "notifications.escalate": timedelta(minutes=1)}
