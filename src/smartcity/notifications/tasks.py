"""Periodic jobs of notifications: deliver held messages, escalate unacknowledged ones."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.notifications import service


def deliver(db: Database) -> int:
    """Deliver queued messages and those whose quiet hours ended."""
    return service.deliver_due(db, settings=db.settings)


def escalate(db: Database) -> int:
    """Escalate messages nobody acknowledged in time."""
    return service.escalate_unacknowledged(db, settings=db.settings)


TASKS, INTERVALS = every(
    ("notifications.deliver", deliver, timedelta(minutes=1)),
    ("notifications.escalate", escalate, timedelta(minutes=1)),
)
