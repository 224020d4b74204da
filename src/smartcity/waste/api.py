"""Waste JSON API under /api/v1/waste: containers, plans, routes, collections, alarms. Thin."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends

from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.waste import service
from smartcity.waste.schemas import CollectionCreate, PlanRead, RouteRead
from smartcity.web.deps import DbDep, SettingsDep, require_role_in

router = APIRouter(prefix="/api/v1/waste", tags=["waste"])
Operator = Depends(require_role_in(("operator",), service.OPERATOR_UNITS, refusal=service.OPERATOR_REFUSAL))


def _plan_read(db: DbDep, plan: service.Plan) -> PlanRead:
    routes = [RouteRead.model_validate(r) for r in service.routes_of(db, plan_id=plan.id)]
    return PlanRead(
        id=plan.id,
        day=plan.day,
        threshold=plan.threshold,
        unserved=plan.unserved,
        forecasts=plan.forecasts,
        routes=routes,
    )


@router.post("/plans", response_model=PlanRead, status_code=201)
def plan(db: DbDep, settings: SettingsDep, day: date | None = None, actor: Actor = Operator) -> PlanRead:
    """Plan a day's collection (default today) and route it."""
    return _plan_read(db, service.plan_day(db, actor=actor, day=day or clock.today(settings)))


@router.get("/plans/{plan_id}", response_model=PlanRead)
def get_plan(plan_id: int, db: DbDep, actor: Actor = Operator) -> PlanRead:
    """A plan with its routes."""
    return _plan_read(db, service.get_plan(db, plan_id=plan_id))


@router.post("/collections", status_code=201)
def collect(data: CollectionCreate, db: DbDep, actor: Actor = Operator) -> dict[str, int]:
    """Record a container emptied."""
    return {"id": service.record_collection(db, actor=actor, data=data).id}
