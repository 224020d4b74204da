"""Periodic jobs of the health domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.health import service


def missed_checkins(db: Database) -> int:
    """Alert ward health stations to quarantine check-ins missed on past days; returns alerts raised."""
    return service.find_missed_checkins(db, db.settings)


def clusters(db: Database) -> int:
    """Report clusters of new cases to the operations centre; returns signals."""
    return service.detect_clusters(db, db.settings)


def reminders(db: Database) -> int:
    """Remind parents of immunisation doses due soon or overdue (once a dose); returns reminders."""
    return service.send_reminders(db, db.settings)


TASKS, INTERVALS = every(
    ("health.missed_checkins", missed_checkins, timedelta(hours=1)),
    ("health.clusters", clusters, timedelta(hours=1)),
    ("health.reminders", reminders, timedelta(hours=6)),
)
