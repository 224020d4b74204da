"""Energy of lights, groups and streets per day and month, and the saving against undimmed lighting."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, select

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.lighting.models import EnergyDay, Group, Light
from smartcity.lighting.schedule import NightPlan
from smartcity.lighting.schemas import EnergyRow
from smartcity.lighting.service.control import CONTROLLER
from smartcity.lighting.service.inventory import list_groups, list_lights, plan_for

HOUR = timedelta(hours=1)


def hours_on_within(plans: list[NightPlan], start: datetime, end: datetime) -> float:
    """Hours the plans have the lights switched on (level > 0) inside [start, end)."""
    total = 0.0
    for plan in plans:
        marks = [*plan.steps, (plan.off_at, 0)]
        for (begin, level), (finish, _next) in itertools.pairwise(marks):
            if level > 0:
                overlap = min(finish, end) - max(begin, start)
                total += max(overlap.total_seconds(), 0) / 3600
    return total


def day_bounds(db: Database, day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a city calendar day."""
    zone = clock.city_zone(db.settings)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def compute_energy(db: Database, *, day: date) -> int:
    """Energy of every light on a city day from its hourly mean power; the baseline is its rated power over
    the same hours' switched-on time (what it would use undimmed)."""
    start, end = day_bounds(db, day)
    rows = []
    for group in list_groups(db):
        plans = [
            plan_for(db, group=group, night=day - timedelta(days=1)),
            plan_for(db, group=group, night=day),
        ]
        for light in list_lights(db, group_id=group.id):
            rows.append(_light_day(db, light, group, day, start, end, plans))
    with UnitOfWork(db, CONTROLLER) as uow:
        uow.session.execute(delete(EnergyDay).where(EnergyDay.day == day))
        uow.session.add_all([r for r in rows if r is not None])
    return sum(1 for r in rows if r is not None)


def _light_day(
    db: Database,
    light: Light,
    group: Group,
    day: date,
    start: datetime,
    end: datetime,
    plans: list[NightPlan],
) -> EnergyDay | None:
    """A light's day: energy of the hours it reported, and the undimmed baseline of those hours."""
    means = iot_service.aggregates_every(
        db, device_id=light.id, key="powerConsumption", seconds=3600, start=start, end=end, limit=25
    )
    if not means:
        return None
    kwh = sum(m["avg"] or 0 for m in means) / 1000  # each hourly mean power (W) held for one hour
    hours_on = sum(hours_on_within(plans, m["start"], m["start"] + HOUR) for m in means)
    return EnergyDay(
        light_id=light.id,
        day=day,
        group_id=group.id,
        kwh=round(kwh, 4),
        baseline_kwh=round(light.rated_power_w * hours_on / 1000, 4),
        hours_reported=len(means),
    )


def energy(
    db: Database, *, by: str, period: str, since: date, until: date, group_id: str | None = None
) -> list[EnergyRow]:
    """Energy summed by light, group or street, per day or month, between two days (inclusive)."""
    query = select(EnergyDay).where(EnergyDay.day >= since, EnergyDay.day <= until)
    if group_id:
        query = query.where(EnergyDay.group_id == group_id)
    days = db.all(query)
    streets = {g.id: g.street for g in list_groups(db)}
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in days:
        key = {"light": row.light_id, "group": row.group_id, "street": streets.get(row.group_id, "?")}[by]
        when = row.day.isoformat() if period == "day" else row.day.strftime("%Y-%m")
        totals[(key, when)][0] += row.kwh
        totals[(key, when)][1] += row.baseline_kwh
    return [
        EnergyRow(
            key=key,
            period=when,
            kwh=round(kwh, 2),
            baseline_kwh=round(base, 2),
            saving_kwh=round(base - kwh, 2),
            saving_pct=round(100 * (base - kwh) / base, 1) if base > 0 else None,
        )
        for (key, when), (kwh, base) in sorted(totals.items(), key=lambda item: (item[0][1], item[0][0]))
    ]
