"""Periodic jobs of waste collection: container alarms."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.waste import service


def check_alarms(db: Database) -> int:
    """Raise overflow, fire and tilt alarms from the containers' latest values."""
    return service.check_alarms(db)


TASKS, INTERVALS = every(("waste.check_alarms", check_alarms, timedelta(minutes=2)))
