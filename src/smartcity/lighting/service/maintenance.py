"""Faults found in telemetry become maintenance tickets: crew, due date, work notes, closure."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.config import section_of
from smartcity.core.db import Database
from smartcity.core.errors import Conflict, ValidationFailed, found_or_404
from smartcity.core.i18n import Phrase
from smartcity.core.pages import Page, PageParams
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.lighting.config import LightingSettings
from smartcity.lighting.events import FaultDetected, TicketClosed
from smartcity.lighting.faults import Fault, cabinet_faults, light_faults
from smartcity.lighting.models import Ticket
from smartcity.lighting.service.control import moment_for
from smartcity.lighting.service.inventory import (
    list_cabinets,
    list_groups,
    list_lights,
)

DETECTOR = Actor.system("lighting-faults")
TICKET_STATES = {"open": "Mới", "assigned": "Đã giao tổ sửa chữa", "closed": "Đã xong"}


def _settings(db: Database) -> LightingSettings:
    return section_of(LightingSettings, db.settings)


def detect_faults(db: Database, *, now: datetime | None = None) -> int:
    """Check every light and cabinet against tonight's plan; open a ticket per new fault; returns opened."""
    now = now or clock.now()
    env = _settings(db)
    found: list[tuple[str, str, str | None, float, float, Fault]] = []
    for group in list_groups(db):
        moment = moment_for(db, group=group, now=now)
        lights = list_lights(db, group_id=group.id)
        states = iot_service.latest_state(db, device_ids=[light.id for light in lights])
        for light in lights:
            for fault in light_faults(
                states.get(light.id, {}), rated_w=light.rated_power_w, moment=moment, env=env
            ):
                found.append((light.id, "light", group.id, light.lon, light.lat, fault))
    cabinets = list_cabinets(db)
    states = iot_service.latest_state(db, device_ids=[c.id for c in cabinets])
    for cabinet in cabinets:
        for fault in cabinet_faults(states.get(cabinet.id, {}), now=now, env=env):
            found.append((cabinet.id, "cabinet", None, cabinet.lon, cabinet.lat, fault))
    return _open_tickets(db, found, now, env)


def _open_tickets(
    db: Database,
    found: list[tuple[str, str, str | None, float, float, Fault]],
    now: datetime,
    env: LightingSettings,
) -> int:
    if not found:
        return 0
    opened = 0
    today = clock.today(db.settings)
    with UnitOfWork(db, DETECTOR) as uow:
        rows = uow.session.execute(select(Ticket.asset_id, Ticket.fault).where(Ticket.state != "closed"))
        open_keys = {(asset_id, fault) for asset_id, fault in rows}
        for asset_id, kind, group_id, lon, lat, fault in found:
            if (asset_id, fault.kind) in open_keys:
                continue
            ticket = Ticket(
                asset_id=asset_id,
                asset_kind=kind,
                group_id=group_id,
                fault=fault.kind,
                description=fault.description,
                description_phrase=_as_phrase(fault.description),
                detected_at=now,
                state="open",
                due_on=today + timedelta(days=env.due_days.get(fault.kind, 3)),
                notes=[],
            )
            uow.session.add(ticket)
            uow.session.flush()
            open_keys.add((asset_id, fault.kind))
            uow.audit("open", "lighting.ticket", ticket.id, after={"asset": asset_id, "fault": fault.kind})
            uow.publish(
                FaultDetected(
                    ticket.id,
                    asset_id,
                    kind,
                    group_id,
                    fault.kind,
                    fault.description,
                    now.isoformat(),
                    lon,
                    lat,
                )
            )
            opened += 1
    return opened


def _as_phrase(description: str) -> dict[str, object] | None:
    """A finding's evidence kept as a phrase (template and measurements), None for plain text."""
    return description.to_json() if isinstance(description, Phrase) else None


def get_ticket(db: Database, *, ticket_id: int) -> Ticket:
    """One ticket; 404 if unknown."""
    return db.get_or_404(Ticket, ticket_id, Phrase("Không có phiếu sửa chữa {ticket}.", ticket=ticket_id))


def list_tickets(
    db: Database, *, paging: PageParams, state: str | None = None, group_id: str | None = None
) -> Page[Ticket]:
    """Tickets, open ones first then newest first."""
    query = select(Ticket)
    if state == "active":
        query = query.where(Ticket.state != "closed")
    elif state:
        query = query.where(Ticket.state == state)
    if group_id:
        query = query.where(Ticket.group_id == group_id)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = s.scalars(
            query.order_by((Ticket.state == "closed"), Ticket.detected_at.desc())
            .limit(paging.limit)
            .offset(paging.offset)
        ).all()
    return Page.of(items, total=total, paging=paging)


def _changing(uow: UnitOfWork, ticket_id: int) -> Ticket:
    ticket = found_or_404(
        uow.session.get(Ticket, ticket_id), Phrase("Không có phiếu sửa chữa {ticket}.", ticket=ticket_id)
    )
    if ticket.state == "closed":
        raise Conflict(Phrase("Phiếu {ticket} đã đóng.", ticket=ticket_id))
    return ticket


def assign_ticket(
    db: Database, *, actor: Actor, ticket_id: int, crew: str, due_on: date | None = None
) -> Ticket:
    """Give a ticket to a crew (optionally with a new due date)."""
    if due_on is not None and due_on < clock.today(db.settings):
        raise ValidationFailed.for_field("due_on", "Hạn xử lý không thể ở trong quá khứ.")
    with UnitOfWork(db, actor) as uow:
        ticket = _changing(uow, ticket_id)
        before = {"state": ticket.state, "crew": ticket.crew, "due_on": ticket.due_on.isoformat()}
        ticket.state, ticket.crew = "assigned", crew
        if due_on is not None:
            ticket.due_on = due_on
        ticket.notes = [*ticket.notes, _note(actor, f"Giao cho {crew}, hạn {ticket.due_on:%d/%m/%Y}.")]
        uow.audit("assign", "lighting.ticket", ticket_id, before=before, after={"crew": crew})
    return get_ticket(db, ticket_id=ticket_id)


def add_note(db: Database, *, actor: Actor, ticket_id: int, text: str) -> Ticket:
    """Add a work note to an open ticket."""
    with UnitOfWork(db, actor) as uow:
        ticket = _changing(uow, ticket_id)
        ticket.notes = [*ticket.notes, _note(actor, text)]
        uow.audit("note", "lighting.ticket", ticket_id, after={"text": text})
    return get_ticket(db, ticket_id=ticket_id)


def close_ticket(db: Database, *, actor: Actor, ticket_id: int, resolution: str) -> Ticket:
    """Close a ticket with what the crew did."""
    with UnitOfWork(db, actor) as uow:
        ticket = _changing(uow, ticket_id)
        if ticket.crew is None:
            raise ValidationFailed.for_field("crew", "Hãy giao phiếu cho một tổ sửa chữa trước khi đóng.")
        ticket.state, ticket.closed_at, ticket.closed_by = "closed", clock.now(), actor.shown_name
        ticket.resolution = resolution
        ticket.notes = [*ticket.notes, _note(actor, f"Đóng phiếu: {resolution}")]
        uow.audit("close", "lighting.ticket", ticket_id, after={"resolution": resolution})
        uow.publish(TicketClosed(ticket_id, ticket.asset_id, ticket.fault, actor.shown_name, resolution))
    return get_ticket(db, ticket_id=ticket_id)


def _note(actor: Actor, text: str) -> dict[str, str]:
    return {"at": clock.now().isoformat(), "by": actor.shown_name, "text": text}
