"""Periodic jobs of the dossiers domain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.scheduler import every
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import deadlines
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.events import DossierDeadlineApproaching
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.service import calendar_for
from smartcity.dossiers.states import OPEN, SUPPLEMENT


def warn_deadlines(db: Database, *, settings: Settings) -> dict[str, int]:
    """`dossiers.warn_deadlines`: publish an event for every open dossier due soon or overdue (once a day)."""
    calendar = calendar_for(db, settings)
    today = calendar.local_date(utcnow())
    warn = get_dossier_settings().warn_working_days
    counts = {deadlines.DUE_SOON: 0, deadlines.OVERDUE: 0}
    with db.session() as s:
        rows = list(
            s.execute(
                select(
                    Dossier.code,
                    Dossier.due_date,
                    Dossier.apology_due_date,
                    Dossier.state,
                    Dossier.processing_unit,
                ).where(Dossier.state.in_(OPEN))
            )
        )
    with UnitOfWork(db, Actor.system("dossiers.warn_deadlines")) as uow:
        for code, due, apology, state, unit in rows:
            status = deadlines.open_status(
                calendar, apology or due, today, paused=state == SUPPLEMENT, warn_days=warn
            )
            if status in counts:
                counts[status] += 1
                uow.publish(
                    DossierDeadlineApproaching(
                        code=code, status=status, due_date=str(apology or due), processing_unit=unit
                    )
                )
    return counts


def warn_deadlines_task(db: Database) -> int:
    """The worker's form of `warn_deadlines` (process settings); returns how many warnings went out."""
    return sum(warn_deadlines(db, settings=db.settings).values())


TASKS, INTERVALS = every(("dossiers.warn_deadlines", warn_deadlines_task, timedelta(hours=6)))
