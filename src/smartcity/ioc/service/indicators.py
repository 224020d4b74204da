"""Indicators: the catalogue from every domain's kpis.py, computation, series by ward and city, targets."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.kpis import Indicator, KpiContext, KpiValue
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.domains import collect
from smartcity.ioc.events import IndicatorComputed
from smartcity.ioc.models import IndicatorTarget, IndicatorValue

FREQUENCIES = ("hourly", "daily", "monthly")


def catalogue(db: Database | None = None) -> list[Indicator]:
    """Every indicator the domains offer, by code, with the centre's own targets applied when db is given."""
    found = [i for _domain, items in collect("kpis", "INDICATORS") for i in items]
    found.sort(key=lambda i: i.code)
    if db is None:
        return found
    with db.session() as s:
        overrides = {t.code: t for t in s.scalars(select(IndicatorTarget))}
    return [_with_target(i, overrides.get(i.code)) for i in found]


def _with_target(indicator: Indicator, override: IndicatorTarget | None) -> Indicator:
    if override is None:
        return indicator
    return replace(indicator, target=override.target, thresholds=tuple(override.thresholds))


def get_indicator(db: Database, code: str) -> Indicator:
    """One indicator of the catalogue (404 if no domain offers it)."""
    for indicator in catalogue(db):
        if indicator.code == code:
            return indicator
    raise NotFound(f"No indicator {code!r}")


def set_target(
    db: Database, *, actor: Actor, code: str, target: float | None, thresholds: list[float]
) -> Indicator:
    """Set the centre's target and warning thresholds for an indicator (audited)."""
    get_indicator(db, code)
    with UnitOfWork(db, actor) as uow:
        row = uow.session.get(IndicatorTarget, code)
        before = None if row is None else {"target": row.target, "thresholds": row.thresholds}
        if row is None:
            row = IndicatorTarget(code=code, updated_by=actor.label)
            uow.session.add(row)
        row.target, row.thresholds = target, sorted(thresholds)
        row.updated_by, row.updated_at = actor.label, utcnow()
        uow.audit(
            "ioc.target_set",
            "indicator",
            code,
            before=before,
            after={"target": target, "thresholds": thresholds},
        )
    return get_indicator(db, code)


# ---------------------------------------------------------------- periods


def period_of(moment: datetime, frequency: str, settings: Settings) -> tuple[datetime, datetime]:
    """The period [start, end) of this frequency containing `moment`, cut at the city's local midnight."""
    local = clock.local(moment, settings)
    if frequency == "hourly":
        start = local.replace(minute=0, second=0, microsecond=0)
        return start.astimezone(UTC), (start + timedelta(hours=1)).astimezone(UTC)
    day = local.date()
    if frequency == "daily":
        return _midnight(day, settings), _midnight(day + timedelta(days=1), settings)
    if frequency == "monthly":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return _midnight(first, settings), _midnight(following, settings)
    raise ValidationFailed.for_field("frequency", f"one of {', '.join(FREQUENCIES)}")


def _midnight(day: date, settings: Settings) -> datetime:
    return datetime.combine(day, time.min, clock.city_zone(settings)).astimezone(UTC)


# ---------------------------------------------------------------- computing


def compute(
    db: Database,
    settings: Settings,
    indicator: Indicator,
    *,
    frequency: str,
    start: datetime,
    end: datetime,
    shared: dict[Hashable, Any] | None = None,
) -> list[KpiValue]:
    """Compute one indicator for [start, end) and store its values (city and wards), replacing old ones;
    `shared` carries figures between the indicators of one pass (`KpiContext.reuse`)."""
    on = clock.local_date(end - timedelta(seconds=1), settings)
    context = KpiContext(
        settings=settings, start=start, end=end, on=on, shared={} if shared is None else shared
    )
    values = indicator.compute(db, context)
    now = utcnow()
    with db.write_session() as s:
        s.execute(
            delete(IndicatorValue).where(
                IndicatorValue.code == indicator.code,
                IndicatorValue.frequency == frequency,
                IndicatorValue.period_start == start,
            )
        )
        seen: set[str] = set()
        for v in values:
            ward = v.ward or ""
            if ward in seen:
                continue
            seen.add(ward)
            s.add(
                IndicatorValue(
                    code=indicator.code,
                    frequency=frequency,
                    period_start=start,
                    period_end=end,
                    ward_code=ward,
                    value=v.value,
                    numerator=v.numerator,
                    denominator=v.denominator,
                    computed_at=now,
                )
            )
    return values


def level_of(indicator: Indicator, value: float | None) -> str:
    """ok, warning or critical: where a value stands against the indicator's thresholds; with none, against
    its target (short of it: warning)."""
    if value is None:
        return "ok"
    if not indicator.thresholds:
        return "warning" if indicator.target is not None and _short_of_target(indicator, value) else "ok"
    low, high = min(indicator.thresholds), max(indicator.thresholds)
    if indicator.direction == "up":
        return "critical" if value < low else "warning" if value < high else "ok"
    return "critical" if value > high else "warning" if value > low else "ok"


def _short_of_target(indicator: Indicator, value: float) -> bool:
    target = indicator.target or 0.0
    return value < target if indicator.direction == "up" else value > target


def compute_now(
    db: Database, *, settings: Settings, codes: list[str] | None = None, at: datetime | None = None
) -> int:
    """Compute the current and previous period of each indicator (on demand and on schedule), and for
    hourly and daily ones the current and previous month too (the year's charts); returns how many."""
    at = at or clock.now()
    done = 0
    shared: dict[Hashable, Any] = {}
    for indicator in catalogue(db):
        if codes and indicator.code not in codes:
            continue
        frequencies = [indicator.frequency] + (["monthly"] if indicator.frequency != "monthly" else [])
        for frequency in frequencies:
            start, end = period_of(at, frequency, settings)
            previous = period_of(start - timedelta(seconds=1), frequency, settings)
            for period_start, period_end in (previous, (start, end)):
                values = compute(
                    db,
                    settings,
                    indicator,
                    frequency=frequency,
                    start=period_start,
                    end=period_end,
                    shared=shared,
                )
                done += 1
            if frequency == indicator.frequency:
                _announce(db, indicator, start, values)
    return done


def _announce(db: Database, indicator: Indicator, start: datetime, values: list[KpiValue]) -> None:
    city = next((v.value for v in values if v.ward is None), None)
    event = IndicatorComputed(
        code=indicator.code,
        frequency=indicator.frequency,
        period_start=start.isoformat(),
        value=city,
        target=indicator.target,
        level=level_of(indicator, city),
        at=utcnow().isoformat(),
    )
    with UnitOfWork(db, Actor.system("ioc.indicators")) as uow:
        uow.publish(event)


# ---------------------------------------------------------------- series


@dataclass(frozen=True)
class Point:
    """One point of a series: period start, value, and whether wards were mapped across a reorganisation;
    `series` adds the period's end and whether it is still `running` (its value is one so far)."""

    start: datetime
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    mapped: bool = False
    end: datetime | None = None
    running: bool = False


def series(
    db: Database,
    *,
    settings: Settings,
    code: str,
    frequency: str | None = None,
    ward: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> list[Point]:
    """The indicator's values over time for the city, or for a ward of today's map (unit-of-date rule),
    each with its period's end and whether that period is still running at `now` (a value so far: for an
    indicator that accumulates, not yet the period's value)."""
    indicator = get_indicator(db, code)
    frequency = frequency or indicator.frequency
    query = select(IndicatorValue).where(IndicatorValue.code == code, IndicatorValue.frequency == frequency)
    if start:
        query = query.where(IndicatorValue.period_start >= start)
    if end:
        query = query.where(IndicatorValue.period_start < end)
    if ward is None:
        query = query.where(IndicatorValue.ward_code == "")
        rows = db.all(query.order_by(IndicatorValue.period_start))
        points = [Point(r.period_start, r.value, r.numerator, r.denominator) for r in rows]
    else:
        before = _predecessor_weights(db, settings, ward)
        query = query.where(IndicatorValue.ward_code.in_([ward, *before]))
        rows = db.all(query.order_by(IndicatorValue.period_start))
        cut = _midnight(city_service.reorganisation_date(settings.city), settings)
        points = _ward_points(indicator, rows, ward, before, cut)
    return [_dated(point, frequency, settings, now or clock.now()) for point in points]


def _dated(point: Point, frequency: str, settings: Settings, now: datetime) -> Point:
    """The point with its period's end and whether the period is still running at `now`."""
    period = _period(point.start, frequency, settings, now)
    return replace(point, end=period.end, running=period.running)


def _predecessor_weights(db: Database, settings: Settings, ward: str) -> dict[str, float]:
    """The wards a ward of today's map was made of, each weighted by the share of it that went there.

    A predecessor split among n successors counts 1/n (an approximation: records carry no finer place).
    """
    reorganised = city_service.reorganisation_date(settings.city)
    unit = city_service.get_unit(db, ward, on=max(clock.today(settings), reorganised))
    weights: dict[str, float] = {}
    for link in unit.predecessors:
        if not link.code:
            continue
        if link.share == "whole":
            weights[link.code] = 1.0
            continue
        old = city_service.get_unit(db, link.code, on=reorganised - timedelta(days=1))
        weights[link.code] = 1.0 / max(1, len([s for s in old.successors if s.code]))
    return weights or {ward: 1.0}


def _ward_points(
    indicator: Indicator, rows: list[IndicatorValue], ward: str, before: dict[str, float], cut: datetime
) -> list[Point]:
    """One point per period: today's ward after the reorganisation, its predecessors combined before it."""
    by_start: dict[datetime, list[IndicatorValue]] = defaultdict(list)
    for row in rows:
        by_start[row.period_start].append(row)
    points = []
    for start, group in sorted(by_start.items()):
        if start >= cut:
            own = next((r for r in group if r.ward_code == ward), None)
            if own is not None:
                points.append(Point(start, own.value, own.numerator, own.denominator))
            continue
        parts = [r for r in group if r.ward_code in before]
        if parts:
            points.append(_merged(indicator, start, parts, before))
    return points


def _merged(
    indicator: Indicator, start: datetime, group: list[IndicatorValue], weights: dict[str, float]
) -> Point:
    num = sum((r.numerator or 0) * weights.get(r.ward_code, 1.0) for r in group)
    den = sum((r.denominator or 0) * weights.get(r.ward_code, 1.0) for r in group)
    if indicator.unit == "%" and den:
        return Point(start, round(100 * num / den, 2), num, den, mapped=True)
    known = [(r.value or 0) * weights.get(r.ward_code, 1.0) for r in group if r.value is not None]
    if not known:
        return Point(start, None, mapped=True)
    if indicator.unit == "count":
        return Point(start, round(sum(known), 2), mapped=True)
    return Point(start, round(sum(known) / len(known), 2), mapped=True)


@dataclass(frozen=True)
class Period:
    """The period an indicator's value is for; `running` when it has not ended yet (a value so far)."""

    frequency: str
    start: datetime
    end: datetime
    running: bool


def _period(start: datetime, frequency: str, settings: Settings, now: datetime) -> Period:
    end = period_of(start, frequency, settings)[1]
    return Period(frequency=frequency, start=start, end=end, running=end > now)


def _latest_city_rows(
    db: Database, indicator: Indicator, frequency: str, settings: Settings, now: datetime, limit: int
) -> list[IndicatorValue]:
    """The latest city values of the indicator, newest first: the latest periods with a value, and for an
    indicator that accumulates only complete ones (the running period's total is not its value yet)."""
    query = select(IndicatorValue).where(
        IndicatorValue.code == indicator.code,
        IndicatorValue.frequency == frequency,
        IndicatorValue.ward_code == "",
        IndicatorValue.value.is_not(None),
    )
    if indicator.accumulates:
        query = query.where(IndicatorValue.period_start < period_of(now, frequency, settings)[0])
    with db.session() as s:
        return list(s.scalars(query.order_by(IndicatorValue.period_start.desc()).limit(limit)))


@dataclass(frozen=True)
class Breakdown:
    """An indicator's value in each of today's wards and in the city, for one period (None: no values)."""

    period: Period | None
    city: float | None
    wards: list[dict[str, Any]]


def breakdown(
    db: Database,
    *,
    settings: Settings,
    code: str,
    frequency: str | None = None,
    now: datetime | None = None,
) -> Breakdown:
    """The latest period's values (the period `latest` would show) in the city and each of today's wards."""
    indicator = get_indicator(db, code)
    frequency = frequency or indicator.frequency
    now = now or clock.now()
    rows = _latest_city_rows(db, indicator, frequency, settings, now, limit=1)
    latest = rows[0].period_start if rows else None
    result = []
    for unit in city_service.units_on(db, on=clock.today(settings), level="ward"):
        points = (
            series(
                db,
                settings=settings,
                code=code,
                frequency=frequency,
                ward=unit.code,
                start=latest,
                end=latest + timedelta(seconds=1),
            )
            if latest is not None
            else []
        )
        value = points[0].value if points else None
        result.append(
            {"ward": unit.code, "name": unit.name, "value": value, "level": level_of(indicator, value)}
        )
    return Breakdown(
        period=_period(latest, frequency, settings, now) if latest is not None else None,
        city=rows[0].value if rows else None,
        wards=result,
    )


def ward_breakdown(
    db: Database, *, settings: Settings, code: str, frequency: str | None = None
) -> list[dict[str, Any]]:
    """The latest period's value in each of today's wards, with the ward's name (see `breakdown`)."""
    return breakdown(db, settings=settings, code=code, frequency=frequency).wards


def latest(
    db: Database, *, settings: Settings, codes: list[str] | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Each indicator's latest city value, the one before and its target: the widgets of the centre.

    The latest value is that of the latest period with one; for an indicator that accumulates, of the
    latest complete period (today's dossiers at 00:05 are not yet a day's). `period` says which.
    """
    now = now or clock.now()
    out = []
    for indicator in catalogue(db):
        if codes is not None and indicator.code not in codes:
            continue
        rows = _latest_city_rows(db, indicator, indicator.frequency, settings, now, limit=2)
        value = rows[0].value if rows else None
        previous = rows[1].value if len(rows) > 1 else None
        out.append(
            {
                "indicator": indicator,
                "value": value,
                "previous": previous,
                "period_start": rows[0].period_start if rows else None,
                "period": _period(rows[0].period_start, indicator.frequency, settings, now) if rows else None,
                "level": level_of(indicator, value),
                "progress": progress(indicator, value),
            }
        )
    return out


def progress(indicator: Indicator, value: float | None) -> float | None:
    """How far a value is towards the target, 0..100 (for "down" indicators, target over value)."""
    if value is None or indicator.target is None:
        return None
    if indicator.direction == "up":
        return max(0.0, min(100.0, 100 * value / indicator.target)) if indicator.target else 100.0
    if value <= indicator.target:
        return 100.0
    return max(0.0, min(100.0, 100 * (indicator.target or 1) / value)) if value else 100.0
