"""Notifications API under /api/v1/notifications: my inbox, acknowledgement, rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from smartcity.core.pages import Page, PagingDep
from smartcity.core.security import Actor
from smartcity.notifications import service
from smartcity.notifications.schemas import MessageRead, RuleCreate, RuleRead
from smartcity.web.deps import DbDep, UserDep, require_role

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Admin = Annotated[Actor, Depends(require_role("admin", "leader"))]


@router.get("/inbox", response_model=Page[MessageRead], summary="My in-page notifications")
def inbox(db: DbDep, actor: UserDep, paging: PagingDep, unacknowledged: bool = False) -> Page[MessageRead]:
    """Messages addressed to me or to a role I hold, newest first."""
    return service.inbox(db, actor=actor, paging=paging, unacknowledged=unacknowledged)


@router.post("/messages/{message_id}/ack", response_model=MessageRead, summary="Acknowledge a notification")
def acknowledge(message_id: int, db: DbDep, actor: UserDep) -> MessageRead:
    """Acknowledge: stops the rule's escalation."""
    return service.acknowledge(db, actor=actor, message_id=message_id)


@router.get("/rules", response_model=list[RuleRead], summary="Notification rules")
def rules(db: DbDep, _actor: Admin) -> list[RuleRead]:
    """Every rule."""
    return service.list_rules(db)


@router.post("/rules", response_model=RuleRead, status_code=201, summary="Add a notification rule")
def create_rule(body: RuleCreate, db: DbDep, actor: Admin) -> RuleRead:
    """A rule over an event name or an indicator code."""
    return service.create_rule(db, actor=actor, data=body)
