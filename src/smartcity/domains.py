"""The domains the platform is assembled from; web/ and the CLI read their parts from here."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# Order matters only for the order of pages in navigation and of CLI groups.
DOMAINS = (
    "accounts",
    "city",
    "gis",
    "procedures",
    "dossiers",
    "signing",
    "documents",
    "feedback",
    "iot",
    "health",
    "opendata",
    "portal",
    "notifications",
    "ioc",
    "environment",
    "lighting",
    "waste",
    "cameras",
    "investment",
    "education",
)


def domain_module(domain: str, part: str) -> ModuleType | None:
    """`smartcity.<domain>.<part>` if the domain has that part, else None."""
    name = f"smartcity.{domain}.{part}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Missing part (or a domain not built yet) is fine; a missing import inside it is not.
        if exc.name and name.startswith(exc.name):
            return None
        raise


def collect(part: str, attribute: str) -> list[tuple[str, Any]]:
    """Every domain's `<part>.<attribute>` that exists, as (domain, value) pairs."""
    found = []
    for domain in DOMAINS:
        module = domain_module(domain, part)
        if module is not None and hasattr(module, attribute):
            found.append((domain, getattr(module, attribute)))
    return found


def register_handlers() -> None:
    """Register every domain's event handlers on the process-wide bus."""
    from smartcity.core.outbox import bus

    for _domain, handlers in collect("handlers", "HANDLERS"):
        bus.register(handlers)


def import_models() -> None:
    """Import every domain's models so that Base.metadata knows all tables."""
    import smartcity.core.audit
    import smartcity.core.outbox
    import smartcity.core.scheduler  # noqa: F401  (core tables)

    for domain in DOMAINS:
        domain_module(domain, "models")


def periodic_tasks() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every domain's periodic tasks (`tasks.TASKS`) and their intervals (`tasks.INTERVALS`, optional)."""
    from datetime import timedelta

    from smartcity.core.audit import anchor_audit_chain

    tasks: dict[str, Any] = {"core.anchor_audit": anchor_audit_chain}
    intervals: dict[str, Any] = {"core.anchor_audit": timedelta(hours=1)}
    for _domain, table in collect("tasks", "TASKS"):
        tasks.update(table)
    for _domain, table in collect("tasks", "INTERVALS"):
        intervals.update(table)
    return tasks, intervals


def identity_service() -> ModuleType:
    """The service that tells who is calling (accounts: sessions, tokens, API keys), for web/ and the CLI."""
    module = domain_module("accounts", "service")
    if module is None:
        raise RuntimeError("the accounts domain is missing")
    return module
