"""Periodic jobs of street lighting: follow the plans, confirm states, find faults, count energy."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.lighting import service


def apply_schedules(db: Database) -> int:
    """Send each group the level its plan asks for now."""
    return service.apply_schedules(db)


def confirm_states(db: Database) -> int:
    """Check the lights' reported state against their last command."""
    return service.confirm_states(db)


def detect_faults(db: Database) -> int:
    """Open maintenance tickets for new faults."""
    return service.detect_faults(db)


def compute_energy(db: Database) -> int:
    """Yesterday's and today's energy per light."""
    today = clock.today(db.settings)
    return service.compute_energy(db, day=today - timedelta(days=1)) + service.compute_energy(db, day=today)


TASKS, INTERVALS = every(
    ("lighting.apply_schedules", apply_schedules, timedelta(minutes=1)),
    ("lighting.confirm_states", confirm_states, timedelta(minutes=1)),
    ("lighting.detect_faults", detect_faults, timedelta(minutes=5)),
    ("lighting.compute_energy", compute_energy, timedelta(hours=1)),
)
