"""Periodic jobs of the documents domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core.db import Database
from smartcity.core.scheduler import every
from smartcity.documents import exchange


def deliver(db: Database) -> int:
    """Send the envelopes whose (re)try time has come; how many were acknowledged."""
    return sum(1 for delivery in exchange.deliver_due(db) if delivery.status == "delivered")


TASKS, INTERVALS = every(("documents.deliver", deliver, timedelta(seconds=30)))
