"""Periodic jobs of the accounts domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from smartcity.accounts import service
from smartcity.core.db import Database


def purge_web_sessions(db: Database) -> int:
    """Forget browser sessions that ended or expired over 30 days ago; returns how many."""
    return service.purge_web_sessions(db)


TASKS: dict[str, Callable[[Database], int]] = {"accounts.purge_web_sessions": purge_web_sessions}
INTERVALS = {"accounts.purge_web_sessions": timedelta(days=1)}
