"""Timers: part of the feedback service (see __init__)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from smartcity.accounts import service as accounts_service
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.feedback import routing
from smartcity.feedback.config import FeedbackSettings, get_feedback_settings
from smartcity.feedback.events import (
    ReportEscalated,
)
from smartcity.feedback.models import Report
from smartcity.feedback.service.common import OPEN_STATUSES, RESOLVED
from smartcity.feedback.service.lifecycle import close_report
from smartcity.feedback.service.submission import _add_step, _snapshot


def _escalation_target(db: Database, unit_code: str | None, on: Any) -> str | None:
    if unit_code is None:
        return None
    unit = accounts_service.get_org_unit(db, unit_code)
    if unit is not None and unit.parent_code:
        return unit.parent_code
    centres = [u.code for u in accounts_service.list_org_units(db, on=on) if u.kind == "operations_centre"]
    return centres[0] if centres else None


def _unit_name(db: Database, unit_code: str | None) -> str:
    """The unit a report is escalated to, by its name (the operations centre when there is none)."""
    unit = accounts_service.get_org_unit(db, unit_code) if unit_code else None
    return unit.name if unit is not None else "Trung tâm điều hành"


def escalate_overdue(db: Database, *, actor: Actor | None = None, now: datetime | None = None) -> list[str]:
    """Escalate open reports past their deadline (once per missed deadline); returns their codes.

    The worker calls it as the task "feedback.escalate". Escalation does not move the report: it tells
    the parent unit (or the operations centre) and the operations centre through ReportEscalated.
    """
    actor = actor or Actor.system("feedback.escalate")
    now = now or utcnow()
    with db.session() as s:
        due = s.execute(
            select(Report.id, Report.unit_code)
            .where(
                Report.status.in_(list(OPEN_STATUSES)),
                Report.deadline_at < now,
                Report.escalation_level == 0,
            )
            .order_by(Report.deadline_at)
        ).all()
    escalated = []
    on = routing.local_date(db, now)
    for report_id, unit_code in due:
        target = _escalation_target(db, unit_code, on)
        with UnitOfWork(db, actor) as uow:
            report = uow.session.get(Report, report_id)
            if report is None or report.escalation_level > 0 or report.status not in OPEN_STATUSES:
                continue
            before = _snapshot(report)
            report.escalation_level, report.escalated_to = 1, target
            note = f"Quá hạn xử lý; báo cáo {_unit_name(db, target)}."
            _add_step(
                uow, report, "escalated", report.status, report.status, actor, now, before=before, note=note
            )
            uow.publish(
                ReportEscalated(
                    report_id=report.id,
                    code=report.code,
                    unit_code=report.unit_code,
                    escalated_to=target,
                    level=1,
                    deadline_at=report.deadline_at.isoformat() if report.deadline_at else None,
                    at=now.isoformat(),
                )
            )
            escalated.append(report.code)
    return escalated


def close_resolved(
    db: Database,
    *,
    actor: Actor | None = None,
    now: datetime | None = None,
    settings: FeedbackSettings | None = None,
) -> list[str]:
    """Close resolved reports whose reopening period has passed (task "feedback.close_resolved")."""
    settings = settings or get_feedback_settings()
    actor = actor or Actor.system("feedback.close_resolved")
    now = now or utcnow()
    limit = now - timedelta(days=settings.close_after_days)
    with db.session() as s:
        codes = list(
            s.scalars(select(Report.code).where(Report.status == RESOLVED, Report.resolved_at < limit))
        )
    closed = []
    for code in codes:
        with contextlib.suppress(Conflict):  # closed or reopened meanwhile (by staff, the reporter, the demo)
            close_report(db, actor=actor, code=code, comment="Tự động đóng sau thời hạn mở lại.", at=now)
            closed.append(code)
    return closed
