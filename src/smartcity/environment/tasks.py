"""Periodic jobs of the environment domain: hourly and daily VN_AQI, water levels."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.environment import service


def compute_hourly_aqi(db: Database) -> int:
    """The VN_AQI of every complete hour not computed yet."""
    return service.compute_hourly(db)


def compute_daily_aqi(db: Database) -> int:
    """Yesterday's and today's (so far) daily VN_AQI of every station."""
    today = clock.today(db.settings)
    return service.compute_daily(db, day=today - timedelta(days=1)) + service.compute_daily(db, day=today)


def check_water_levels(db: Database) -> int:
    """Follow the flood gauges: rising water, flooded streets, receded water."""
    return service.check_water_levels(db)


TASKS, INTERVALS = every(
    ("environment.compute_hourly_aqi", compute_hourly_aqi, timedelta(minutes=5)),
    ("environment.compute_daily_aqi", compute_daily_aqi, timedelta(hours=1)),
    ("environment.check_water_levels", check_water_levels, timedelta(minutes=1)),
)
