"""Waste use cases: inventory, fill forecasts, daily plans routed with OR-Tools, rounds, alarms."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from smartcity.core import clock
from smartcity.core.config import section_of
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.iot.schemas import DeviceCreate
from smartcity.waste import forecast, routing
from smartcity.waste.config import WasteSettings
from smartcity.waste.events import CollectionPlanned, ContainerAlarmRaised, ContainerEmptied
from smartcity.waste.models import Alarm, Collection, Container, Depot, Plan, Route, Vehicle

__all__ = ["Plan"]
from smartcity.waste.schemas import CollectionCreate, ContainerCreate, DepotCreate, VehicleCreate

SYSTEM = Actor.system("waste")
FILL = "fillingLevel"
# Waste collection is run by the operations centre (TDM-IOC), the Natural Resources and Environment
# (TDM-TNMT) and Urban Management (TDM-QLDT) divisions and the people's committees (UBND-): their operators,
# or city-wide ones, or admin.
OPERATOR_UNITS = ("TDM-IOC", "TDM-TNMT", "TDM-QLDT", "UBND-")
OPERATOR_REFUSAL = (
    "Việc này dành cho cán bộ vận hành của Trung tâm điều hành, Phòng Tài nguyên và Môi trường, "
    "Phòng Quản lý đô thị và Ủy ban nhân dân thành phố, phường."
)
KINDS = {"surface": "Thùng nổi", "underground": "Thùng ngầm"}
WASTE_KINDS = {"recyclable": "Rác tái chế", "food": "Rác thực phẩm", "other": "Rác khác"}
ALARM_NAMES = {"overflow": "Tràn rác", "fire": "Cháy trong thùng", "tilt": "Thùng bị đổ, nghiêng"}


def _settings(db: Database) -> WasteSettings:
    return section_of(WasteSettings, db.settings)


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def hhmm(minutes: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---------------------------------------------------------------- inventory


def create_depot(db: Database, *, actor: Actor, data: DepotCreate) -> Depot:
    """Add a depot."""
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(Depot, data.id):
            raise Conflict(Phrase("Đã có bãi xe {depot}.", depot=repr(data.id)))
        uow.session.add(Depot(**data.model_dump()))
        uow.audit("create", "waste.depot", data.id, after=data.model_dump())
    return _get(db, Depot, data.id)


def create_vehicle(db: Database, *, actor: Actor, data: VehicleCreate) -> Vehicle:
    """Add a truck to a depot."""
    _get(db, Depot, data.depot_id)
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(Vehicle, data.id):
            raise Conflict(Phrase("Đã có xe {vehicle}.", vehicle=repr(data.id)))
        uow.session.add(Vehicle(**data.model_dump()))
        uow.audit("create", "waste.vehicle", data.id, after=data.model_dump())
    return _get(db, Vehicle, data.id)


def create_container(db: Database, *, actor: Actor, data: ContainerCreate) -> Container:
    """Install a container and register its device."""
    device = iot_service.register_device(
        db,
        actor=actor,
        data=DeviceCreate(
            id=data.id,
            type="waste_container",
            name=data.name,
            location={"type": "Point", "coordinates": [data.lon, data.lat]},
            installed_on=data.installed_on or clock.today(db.settings),
            tags=["waste", data.kind, *data.tags],
        ),
    ).device
    with UnitOfWork(db, actor) as uow:
        values = data.model_dump(exclude={"installed_on", "tags"})
        uow.session.add(Container(**values, ward_code=device.ward_code))
        uow.audit("create", "waste.container", data.id, after=data.model_dump(mode="json"))
    return _get(db, Container, data.id)


def _get(db: Database, model: Any, key: Any) -> Any:
    return db.get_or_404(model, key, Phrase("Không tìm thấy {key}.", key=repr(key)))


def get_container(db: Database, *, container_id: str) -> Container:
    """One container; 404 if unknown."""
    result: Container = _get(db, Container, container_id)
    return result


def list_containers(db: Database) -> list[Container]:
    """Every container by name."""
    return db.all(select(Container).order_by(Container.name))


def list_vehicles(db: Database) -> list[Vehicle]:
    """Every truck."""
    return db.all(select(Vehicle).order_by(Vehicle.id))


def list_depots(db: Database) -> list[Depot]:
    """Every depot."""
    return db.all(select(Depot).order_by(Depot.id))


def latest(db: Database, container_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The latest values of containers: id → key → value."""
    states = iot_service.latest_state(db, device_ids=container_ids)
    return {cid: {k: v for k, (v, _seen) in states.get(cid, {}).items()} for cid in container_ids}


# ---------------------------------------------------------------- forecasts and plans


def rates_of(db: Database, container: Container, *, now: datetime) -> forecast.Rates:
    """A container's fill rates by weekday from its readings of the last `history_days` days."""
    env = _settings(db)
    start = now - timedelta(days=env.history_days)
    rows = iot_service.telemetry(db, device_id=container.id, key=FILL, start=start, end=now, limit=20000)
    readings = [(r["ts"], float(r["value"])) for r in rows if r["value"] is not None]
    rises = forecast.daily_rises(readings, local_date=lambda m: clock.local_date(m, db.settings))
    today = clock.today(db.settings)
    first = min((clock.local_date(t, db.settings) for t, _ in readings), default=today)
    complete = {d for d in rises if first < d < today}
    return forecast.fill_rates(rises, complete_days=complete)


def _round_start(db: Database, day: date, vehicles: list[Vehicle]) -> datetime:
    zone = clock.city_zone(db.settings)
    start = min((_minutes(v.shift_start) for v in vehicles), default=300)
    return datetime.combine(day, time(start // 60, start % 60), zone)


def next_round_day(db: Database, *, now: datetime | None = None) -> date:
    """Today while the trucks' shifts are not over yet, else tomorrow."""
    local = clock.local(now or clock.now(), db.settings)
    last_end = max((_minutes(v.shift_end) for v in list_vehicles(db)), default=24 * 60)
    return local.date() if local.hour * 60 + local.minute < last_end else local.date() + timedelta(days=1)


def current_plan(db: Database, *, now: datetime | None = None) -> Plan | None:
    """The plan of the next round (today's while it runs, else tomorrow's), or today's if that is all."""
    today = clock.local(now or clock.now(), db.settings).date()
    return latest_plan(db, day=next_round_day(db, now=now)) or latest_plan(db, day=today)


def plan_day(db: Database, *, actor: Actor, day: date, now: datetime | None = None) -> Plan:
    """Plan a day's collection: containers forecast at or above the threshold before the next day's round."""
    env = _settings(db)
    now = now or clock.now()
    vehicles, depots = list_vehicles(db), {d.id: d for d in list_depots(db)}
    if not vehicles:
        raise ValidationFailed.for_field("vehicles", "Chưa có xe thu gom nào để lập kế hoạch.")
    containers = list_containers(db)
    values = latest(db, [c.id for c in containers])
    next_round = _round_start(db, day + timedelta(days=1), vehicles)
    chosen, forecasts = [], {}
    for container in containers:
        current = values[container.id].get(FILL)
        if current is None:
            continue
        expected = forecast.forecast_fill(
            float(current), rates_of(db, container, now=now), now=now, until=next_round
        )
        forecasts[container.id] = round(expected, 1)
        if expected >= env.plan_threshold or float(current) >= env.plan_threshold:
            chosen.append((container, float(current)))
    solution = _solve(db, chosen, vehicles, list(depots.values()), day, now, env)
    return _store_plan(db, actor, day, now, env, chosen, forecasts, solution)


def _solve(
    db: Database,
    chosen: list[tuple[Container, float]],
    vehicles: list[Vehicle],
    depots: list[Depot],
    day: date,
    now: datetime,
    env: WasteSettings,
) -> routing.Solution:
    earliest = 0
    if day == clock.today(db.settings):
        local_now = clock.local(now, db.settings)
        earliest = local_now.hour * 60 + local_now.minute
    stops = [
        routing.Stop(
            c.id,
            c.lon,
            c.lat,
            load_kg=round(c.capacity_l * current / 100 * c.density_kg_l),
            service_min=env.service_minutes_underground
            if c.kind == "underground"
            else env.service_minutes_surface,
            window=(max(_minutes(c.window_start), earliest), _minutes(c.window_end)),
        )
        for c, current in chosen
    ]
    where = {d.id: i for i, d in enumerate(depots)}
    trucks = [
        routing.Truck(
            v.id,
            v.capacity_kg,
            (max(_minutes(v.shift_start), earliest), _minutes(v.shift_end)),
            depot=where[v.depot_id],
        )
        for v in vehicles
    ]
    return routing.solve(
        [(d.lon, d.lat) for d in depots],
        stops,
        trucks,
        detour=env.detour_factor,
        speed_kmh=env.speed_kmh,
        seconds=env.solver_seconds,
    )


def _store_plan(
    db: Database,
    actor: Actor,
    day: date,
    now: datetime,
    env: WasteSettings,
    chosen: list[tuple[Container, float]],
    forecasts: dict[str, float],
    solution: routing.Solution,
) -> Plan:
    places = {c.id: c for c, _ in chosen}
    with UnitOfWork(db, actor) as uow:
        plan = Plan(
            day=day,
            created_at=now,
            created_by=actor.label,
            threshold=env.plan_threshold,
            unserved=solution.unserved,
            forecasts=forecasts,
        )
        uow.session.add(plan)
        uow.session.flush()
        total = 0.0
        for route in solution.routes:
            if not route.legs:
                continue
            stops = [
                {
                    "container_id": leg.stop_id,
                    "name": places[leg.stop_id].name,
                    "arrival": hhmm(leg.arrival_min),
                    "load_kg": leg.load_kg,
                    "lon": places[leg.stop_id].lon,
                    "lat": places[leg.stop_id].lat,
                }
                for leg in route.legs
            ]
            uow.session.add(
                Route(
                    plan_id=plan.id,
                    vehicle_id=route.truck_id,
                    stops=stops,
                    distance_km=route.distance_km,
                    load_kg=route.load_kg,
                    start_min=route.start_min,
                    end_min=route.end_min,
                )
            )
            total += route.distance_km
        routes = sum(1 for r in solution.routes if r.legs)
        uow.audit("plan", "waste.plan", plan.id, after={"day": day.isoformat(), "containers": len(chosen)})
        uow.publish(
            CollectionPlanned(
                plan.id, day.isoformat(), len(chosen), routes, round(total, 2), len(solution.unserved)
            )
        )
        plan_id = plan.id
    found: Plan = _get(db, Plan, plan_id)
    return found


def latest_plan(db: Database, *, day: date) -> Plan | None:
    """The newest plan of a day, if any."""
    with db.session() as s:
        return s.scalars(select(Plan).where(Plan.day == day).order_by(Plan.id.desc()).limit(1)).first()


def routes_of(db: Database, *, plan_id: int) -> list[Route]:
    """The routes of a plan."""
    return db.all(select(Route).where(Route.plan_id == plan_id).order_by(Route.vehicle_id))


def get_route(db: Database, *, route_id: int) -> Route:
    """One route; 404 if unknown."""
    found: Route = _get(db, Route, route_id)
    return found


def get_plan(db: Database, *, plan_id: int) -> Plan:
    """One plan; 404 if unknown."""
    found: Plan = _get(db, Plan, plan_id)
    return found


# ---------------------------------------------------------------- rounds


def record_collection(db: Database, *, actor: Actor, data: CollectionCreate) -> Collection:
    """A container emptied by a vehicle (from the phone page or the truck's system)."""
    container = get_container(db, container_id=data.container_id)
    _get(db, Vehicle, data.vehicle_id)
    at = data.emptied_at or clock.now()
    if at > clock.now() + timedelta(minutes=5):
        raise ValidationFailed.for_field("emptied_at", "Thời điểm đổ rác không thể ở tương lai.")
    fill = latest(db, [container.id])[container.id].get(FILL)
    with UnitOfWork(db, actor) as uow:
        row = Collection(
            container_id=container.id,
            vehicle_id=data.vehicle_id,
            route_id=data.route_id,
            emptied_at=at,
            fill_before=fill,
            weight_kg=data.weight_kg,
            recorded_by=actor.shown_name,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.audit("empty", "waste.container", container.id, after={"vehicle": data.vehicle_id})
        uow.publish(ContainerEmptied(container.id, data.vehicle_id, at.isoformat(), data.weight_kg))
        row_id = row.id
    found: Collection = _get(db, Collection, row_id)
    return found


def collections(db: Database, *, since: datetime, container_id: str | None = None) -> list[Collection]:
    """Containers emptied since a moment, newest first."""
    query = select(Collection).where(Collection.emptied_at >= since).order_by(Collection.emptied_at.desc())
    if container_id:
        query = query.where(Collection.container_id == container_id)
    return db.all(query)


def emptied_on_route(db: Database, *, route_id: int) -> set[str]:
    """Containers already emptied on a route."""
    with db.session() as s:
        return set(s.scalars(select(Collection.container_id).where(Collection.route_id == route_id)))


# ---------------------------------------------------------------- alarms


def check_alarms(db: Database, *, now: datetime | None = None) -> int:
    """Raise overflow, fire and tilt alarms from the containers' latest values; returns raised."""
    env = _settings(db)
    now = now or clock.now()
    containers = list_containers(db)
    states = iot_service.latest_state(db, device_ids=[c.id for c in containers])
    found = []
    for container in containers:
        state = states.get(container.id, {})
        for kind, message in _conditions(db, container, state, env, now):
            found.append((container, kind, message))
    return _raise(db, found, now)


def _conditions(
    db: Database,
    container: Container,
    state: dict[str, tuple[Any, datetime]],
    env: WasteSettings,
    now: datetime,
) -> list[tuple[str, str]]:
    fresh = {k: v for k, (v, seen) in state.items() if now - seen <= timedelta(minutes=30)}
    out = []
    fill = fresh.get(FILL)
    if fill is not None and fill >= env.overflow_level:
        out.append(("overflow", f"Thùng đã đầy {fill:.0f} %, rác có thể tràn ra ngoài."))
    if fresh.get("status") == "burning" or _hot_twice(db, container.id, env, now):
        out.append(("fire", f"Nhiệt độ trong thùng {fresh.get('temperature', 0):.0f} °C: nghi cháy."))
    tilt = fresh.get("tiltAngle")
    if (tilt is not None and tilt >= env.tilt_degrees) or fresh.get("status") == "dropped":
        out.append(("tilt", "Thùng bị nghiêng hoặc đổ."))
    return out


def _hot_twice(db: Database, container_id: str, env: WasteSettings, now: datetime) -> bool:
    """Two readings running above the fire temperature (one hot reading may be a sensor glitch)."""
    rows = iot_service.telemetry(
        db, device_id=container_id, key="temperature", start=now - timedelta(minutes=30), end=now, limit=2
    )
    return len(rows) == 2 and all(r["value"] is not None and r["value"] >= env.fire_celsius for r in rows)


def _raise(db: Database, found: list[tuple[Container, str, str]], now: datetime) -> int:
    if not found:
        return 0
    raised = 0
    with UnitOfWork(db, SYSTEM) as uow:
        rows = uow.session.execute(select(Alarm.container_id, Alarm.kind).where(Alarm.state == "active"))
        active = {(container_id, kind) for container_id, kind in rows}
        for container, kind, message in found:
            if (container.id, kind) in active:
                continue
            alarm = Alarm(
                container_id=container.id, kind=kind, message=message, raised_at=now, state="active"
            )
            uow.session.add(alarm)
            uow.session.flush()
            uow.publish(
                ContainerAlarmRaised(
                    alarm.id, container.id, kind, message, now.isoformat(), container.lon, container.lat
                )
            )
            active.add((container.id, kind))
            raised += 1
    return raised


def list_alarms(db: Database, *, active_only: bool = True) -> list[Alarm]:
    """Container alarms, newest first."""
    query = select(Alarm).order_by(Alarm.raised_at.desc()).limit(200)
    if active_only:
        query = query.where(Alarm.state == "active")
    return db.all(query)


def acknowledge_alarm(db: Database, *, actor: Actor, alarm_id: int) -> Alarm:
    """An operator has handled an alarm."""
    with UnitOfWork(db, actor) as uow:
        alarm = get_or_404(uow.session, Alarm, alarm_id, Phrase("Không có cảnh báo {alarm}.", alarm=alarm_id))
        alarm.state, alarm.acknowledged_by, alarm.acknowledged_at = (
            "acknowledged",
            actor.shown_name,
            clock.now(),
        )
        uow.audit("acknowledge", "waste.alarm", alarm_id)
    found: Alarm = _get(db, Alarm, alarm_id)
    return found


def weekly_overflows(db: Database, *, start: datetime, end: datetime) -> int:
    """Overflow alarms raised in a period."""
    with db.session() as s:
        return (
            s.scalar(
                select(func.count()).where(
                    Alarm.kind == "overflow", Alarm.raised_at >= start, Alarm.raised_at < end
                )
            )
            or 0
        )
