"""Lighting JSON API under /api/v1/lighting: inventory, night plans, exceptions, tickets, energy. Thin."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Depends

from smartcity.core import clock
from smartcity.core.pages import Page, PagingDep
from smartcity.core.security import Actor
from smartcity.lighting import service
from smartcity.lighting.schemas import (
    EnergyRow,
    ExceptionCreate,
    GroupRead,
    NightPlanRead,
    TicketAssign,
    TicketClose,
    TicketNote,
    TicketRead,
)
from smartcity.web.deps import DbDep, SettingsDep, require_role_in

router = APIRouter(prefix="/api/v1/lighting", tags=["lighting"])
Operator = Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))


@router.get("/groups", response_model=list[GroupRead])
def groups(db: DbDep, actor: Actor = Operator) -> list[GroupRead]:
    """Every lighting group with its last command and confirmation."""
    return [GroupRead.model_validate(g) for g in service.list_groups(db)]


@router.get("/groups/{group_id}/plan", response_model=NightPlanRead)
def plan(
    group_id: str, db: DbDep, settings: SettingsDep, night: date | None = None, actor: Actor = Operator
) -> NightPlanRead:
    """A group's plan for a night (default tonight): switch-on at dusk, off at dawn, steps, reason."""
    group = service.get_group(db, group_id=group_id)
    found = service.plan_for(db, group=group, night=night or clock.today(settings))
    return NightPlanRead(
        group_id=group.id,
        night=found.night,
        on_at=found.on_at,
        off_at=found.off_at,
        sun_on=found.sun_on,
        sun_off=found.sun_off,
        steps=list(found.steps),
        reason=found.reason,
        notes=list(found.notes),
    )


@router.post("/exceptions", status_code=201)
def add_exception(data: ExceptionCreate, db: DbDep, actor: Actor = Operator) -> dict[str, int]:
    """Override one night's schedule (one group or the city); 409 when one is already set."""
    return {"id": service.add_exception(db, actor=actor, data=data).id}


@router.get("/tickets", response_model=Page[TicketRead])
def tickets(
    db: DbDep, paging: PagingDep, state: str | None = None, actor: Actor = Operator
) -> Page[TicketRead]:
    """Maintenance tickets (state: open, assigned, closed, active)."""
    found = service.list_tickets(db, paging=paging, state=state)
    return Page.of([TicketRead.model_validate(t) for t in found.items], total=found.total, paging=paging)


@router.post("/tickets/{ticket_id}/assign", response_model=TicketRead)
def assign(ticket_id: int, data: TicketAssign, db: DbDep, actor: Actor = Operator) -> TicketRead:
    """Assign a ticket to a crew."""
    return TicketRead.model_validate(
        service.assign_ticket(db, actor=actor, ticket_id=ticket_id, crew=data.crew, due_on=data.due_on)
    )


@router.post("/tickets/{ticket_id}/notes", response_model=TicketRead)
def note(ticket_id: int, data: TicketNote, db: DbDep, actor: Actor = Operator) -> TicketRead:
    """Add a work note."""
    return TicketRead.model_validate(service.add_note(db, actor=actor, ticket_id=ticket_id, text=data.text))


@router.post("/tickets/{ticket_id}/close", response_model=TicketRead)
def close(ticket_id: int, data: TicketClose, db: DbDep, actor: Actor = Operator) -> TicketRead:
    """Close a ticket with what was done."""
    return TicketRead.model_validate(
        service.close_ticket(db, actor=actor, ticket_id=ticket_id, resolution=data.resolution)
    )


@router.get("/energy", response_model=list[EnergyRow])
def energy(
    db: DbDep,
    settings: SettingsDep,
    by: Literal["light", "group", "street"] = "group",
    period: Literal["day", "month"] = "day",
    since: date | None = None,
    until: date | None = None,
    actor: Actor = Operator,
) -> list[EnergyRow]:
    """Energy and savings against undimmed lighting, per light, group or street and per day or month."""
    today = clock.today(settings)
    return service.energy(
        db, by=by, period=period, since=since or today - timedelta(days=30), until=until or today
    )
