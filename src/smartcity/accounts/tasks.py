"""Periodic jobs of the accounts domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from datetime import timedelta

from smartcity.accounts import service
from smartcity.core.db import Database
from smartcity.core.scheduler import every


def purge_web_sessions(db: Database) -> int:
    """Forget browser sessions that ended or expired over 30 days ago; returns how many."""
    return service.purge_web_sessions(db)


TASKS, INTERVALS = every(("accounts.purge_web_sessions", purge_web_sessions, timedelta(days=1)))
