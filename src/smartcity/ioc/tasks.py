"""Periodic jobs of the operations centre, named "<domain>.<verb>" for the worker."""

from __future__ import annotations

from datetime import timedelta

from smartcity.core import clock
from smartcity.core.db import Database, utcnow
from smartcity.core.scheduler import every
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.ioc import service
from smartcity.ioc.config import IocSettings
from smartcity.ioc.events import OperationsReportReady


def compute_indicators(db: Database) -> int:
    """Compute every indicator's current and previous period; returns how many periods."""
    return service.compute_now(db, settings=db.settings)


def escalate(db: Database) -> int:
    """Escalate incidents not acknowledged in time (again at each passing deadline); returns how many."""
    return len(service.escalate_overdue(db, settings=db.settings))


def run_playbooks(db: Database) -> int:
    """Carry out due automated and notification steps; returns how many."""
    return service.run_due_steps(db, settings=db.settings)


def announce_daily_report(db: Database) -> int:
    """Announce yesterday's operations report to its recipients (notifications sends it)."""
    day = clock.today(db.settings) - timedelta(days=1)
    return _announce(db, "daily", day.isoformat(), f"/can-bo/dieu-hanh/bao-cao/daily/{day.isoformat()}.pdf")


def announce_monthly_report(db: Database) -> int:
    """On the first days of a month, announce the previous month's report."""
    today = clock.today(db.settings)
    if today.day > 3:
        return 0
    month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return _announce(db, "monthly", month, f"/can-bo/dieu-hanh/bao-cao/monthly/{month}.pdf")


def _announce(db: Database, kind: str, period: str, path: str) -> int:
    recipients = tuple(db.settings.section(IocSettings).report_recipients)
    with UnitOfWork(db, Actor.system("ioc.reports")) as uow:
        uow.publish(
            OperationsReportReady(
                kind=kind, period=period, path=path, recipients=recipients, at=utcnow().isoformat()
            )
        )
    return 1


TASKS, INTERVALS = every(
    ("ioc.compute_indicators", compute_indicators, timedelta(minutes=15)),
    ("ioc.escalate", escalate, timedelta(seconds=30)),
    ("ioc.run_playbooks", run_playbooks, timedelta(seconds=30)),
    ("ioc.daily_report", announce_daily_report, timedelta(days=1)),
    ("ioc.monthly_report", announce_monthly_report, timedelta(days=1)),
)
