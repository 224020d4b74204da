"""Reading incidents: one incident with its steps and timeline, the list, the counts by state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.errors import found_or_404
from smartcity.core.pages import Page, PageParams, count_and_slice
from smartcity.ioc.catalogue import OPEN_STATES
from smartcity.ioc.models import Incident, IncidentEntry, IncidentLink, IncidentStep
from smartcity.ioc.schemas import IncidentDetail, IncidentRead


def _incident(s: Session, code: str) -> Incident:
    incident = found_or_404(s.scalar(select(Incident).where(Incident.code == code)), f"No incident {code}")
    return incident


def _steps(s: Session, incident: Incident) -> list[IncidentStep]:
    return list(
        s.scalars(
            select(IncidentStep)
            .where(IncidentStep.incident_id == incident.id)
            .order_by(IncidentStep.position)
        )
    )


def get_incident(db: Database, *, code: str) -> IncidentDetail:
    """One incident with its playbook steps, timeline and linked resources."""
    with db.session() as s:
        incident = _incident(s, code)
        timeline = s.scalars(
            select(IncidentEntry)
            .where(IncidentEntry.incident_id == incident.id)
            .order_by(IncidentEntry.at, IncidentEntry.id)
        )
        links = s.scalars(
            select(IncidentLink).where(IncidentLink.incident_id == incident.id).order_by(IncidentLink.id)
        )
        return IncidentDetail.model_validate(
            {
                **IncidentRead.model_validate(incident).model_dump(),
                "title_phrase": incident.title_phrase,  # left out of the dump, as the API leaves it out
                "description": incident.description,
                "units": incident.units,
                "closure_report": incident.closure_report,
                "steps": _steps(s, incident),
                "timeline": list(timeline),
                "links": list(links),
            }
        )


def list_incidents(
    db: Database,
    *,
    paging: PageParams,
    state: str | None = None,
    type: str | None = None,
    open_only: bool = False,
    since: datetime | None = None,
) -> Page[IncidentRead]:
    """Incidents, newest first, filtered by state, type, openness and opening time."""
    conditions: list[Any] = []
    if state:
        conditions.append(Incident.state == state)
    if type:
        conditions.append(Incident.type == type)
    if open_only:
        conditions.append(Incident.state.in_(OPEN_STATES))
    if since:
        conditions.append(Incident.opened_at >= since)
    with db.session() as s:
        query, order = select(Incident).where(*conditions), (Incident.opened_at.desc(), Incident.id.desc())
        rows, total = count_and_slice(s, query, *order, limit=paging.limit, offset=paging.offset)
        return Page.of([IncidentRead.model_validate(r) for r in rows], total=total, paging=paging)


def counts_by_state(db: Database) -> dict[str, int]:
    """How many incidents are in each state."""
    with db.session() as s:
        rows = s.execute(select(Incident.state, func.count()).group_by(Incident.state)).all()
        return {state: int(n) for state, n in rows}
