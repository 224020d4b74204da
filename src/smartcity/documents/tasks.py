"""Periodic jobs of the documents domain, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from smartcity.core.db import Database
from smartcity.documents import exchange


def deliver(db: Database) -> int:
    """Send the envelopes whose (re)try time has come; how many were acknowledged."""
    return sum(1 for delivery in exchange.deliver_due(db) if delivery.status == "delivered")


TASKS: dict[str, Callable[[Database], int]] = {"documents.deliver": deliver}
INTERVALS = {"documents.deliver": timedelta(seconds=30)}
