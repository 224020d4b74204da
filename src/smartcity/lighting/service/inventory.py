"""Lighting inventory and plans: schedules, cabinets, groups, lights, night exceptions, night plans."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select

from smartcity.core import clock
from smartcity.core.db import Database, get_or_404
from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.iot.schemas import DeviceCreate
from smartcity.lighting.models import Cabinet, Group, Light, NightException, Schedule
from smartcity.lighting.schedule import Exception_, NightPlan, ScheduleError, ScheduleSpec, night_plan
from smartcity.lighting.schemas import (
    CabinetCreate,
    ExceptionCreate,
    GroupCreate,
    LightCreate,
    ScheduleCreate,
)

URN = "urn:ngsi-ld:"


def _checked_spec(data: dict[str, Any]) -> ScheduleSpec:
    try:
        return ScheduleSpec.from_data(data)
    except ScheduleError as exc:
        raise ValidationFailed.for_field(f"spec.{exc.field}", exc.message) from None


def create_schedule(db: Database, *, actor: Actor, data: ScheduleCreate) -> Schedule:
    """Store a schedule after checking it does not contradict itself."""
    spec = _checked_spec(data.spec)
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalars(select(Schedule).where(Schedule.name == data.name)).first():
            raise Conflict(Phrase("Đã có lịch tên {name}.", name=repr(data.name)))
        schedule = Schedule(name=data.name, spec=spec.to_data())
        uow.session.add(schedule)
        uow.session.flush()
        uow.audit("create", "lighting.schedule", schedule.id, after=schedule.spec)
        schedule_id = schedule.id
    return get_schedule(db, schedule_id=schedule_id)


def get_schedule(db: Database, *, schedule_id: int) -> Schedule:
    """One schedule; 404 if unknown."""
    return db.get_or_404(Schedule, schedule_id, Phrase("Không có lịch {schedule}.", schedule=schedule_id))


def list_schedules(db: Database) -> list[Schedule]:
    """Every schedule by name."""
    return db.all(select(Schedule).order_by(Schedule.name))


def _device(
    db: Database, actor: Actor, device_id: str, kind: str, name: str, lon: float, lat: float, **extra: Any
) -> Any:
    data = DeviceCreate(
        id=device_id,
        type=kind,
        name=name,
        location={"type": "Point", "coordinates": [lon, lat]},
        installed_on=extra.pop("installed_on", None) or clock.today(db.settings),
        tags=["lighting", *extra.pop("tags", [])],
        **extra,
    )
    return iot_service.register_device(db, actor=actor, data=data).device


def create_cabinet(db: Database, *, actor: Actor, data: CabinetCreate) -> Cabinet:
    """Install a control cabinet and register its device."""
    device = _device(
        db,
        actor,
        data.id,
        "streetlight_cabinet",
        data.name,
        data.lon,
        data.lat,
        installed_on=data.installed_on,
        tags=data.tags,
    )
    with UnitOfWork(db, actor) as uow:
        cabinet = Cabinet(
            id=data.id,
            name=data.name,
            street=data.street,
            lon=data.lon,
            lat=data.lat,
            ward_code=device.ward_code,
        )
        uow.session.add(cabinet)
        uow.audit("create", "lighting.cabinet", data.id, after=data.model_dump(mode="json"))
    return get_cabinet(db, cabinet_id=data.id)


def get_cabinet(db: Database, *, cabinet_id: str) -> Cabinet:
    """One cabinet; 404 if unknown."""
    return db.get_or_404(
        Cabinet, cabinet_id, Phrase("Không có tủ điều khiển {cabinet}.", cabinet=repr(cabinet_id))
    )


def list_cabinets(db: Database) -> list[Cabinet]:
    """Every cabinet by name."""
    return db.all(select(Cabinet).order_by(Cabinet.name))


def create_group(db: Database, *, actor: Actor, data: GroupCreate) -> Group:
    """Create a group of lights (and its virtual StreetlightGroup device for NGSI-LD)."""
    get_cabinet(db, cabinet_id=data.cabinet_id)
    get_schedule(db, schedule_id=data.schedule_id)
    relationships = {"refStreetlightControlCabinet": f"{URN}StreetlightControlCabinet:{data.cabinet_id}"}
    device = _device(
        db,
        actor,
        data.id,
        "streetlight_group",
        data.name,
        data.lon,
        data.lat,
        relationships=relationships,
        tags=data.tags,
    )
    with UnitOfWork(db, actor) as uow:
        group = Group(**data.model_dump(exclude={"tags"}), ward_code=device.ward_code)
        uow.session.add(group)
        uow.audit("create", "lighting.group", data.id, after=data.model_dump(mode="json"))
    return get_group(db, group_id=data.id)


def get_group(db: Database, *, group_id: str) -> Group:
    """One group; 404 if unknown."""
    return db.get_or_404(Group, group_id, Phrase("Không có nhóm đèn {group}.", group=repr(group_id)))


def list_groups(db: Database) -> list[Group]:
    """Every group by street and circuit."""
    return db.all(select(Group).order_by(Group.street, Group.circuit))


def create_light(db: Database, *, actor: Actor, data: LightCreate) -> Light:
    """Install a light in a group and register its device (related to its group and cabinet)."""
    group = get_group(db, group_id=data.group_id)
    relationships = {
        "refStreetlightGroup": f"{URN}StreetlightGroup:{group.id}",
        "refStreetlightControlCabinet": f"{URN}StreetlightControlCabinet:{group.cabinet_id}",
    }
    name = f"Đèn {data.pole} — {group.street}"
    _device(
        db,
        actor,
        data.id,
        "streetlight",
        name,
        data.lon,
        data.lat,
        relationships=relationships,
        installed_on=data.installed_on,
        tags=data.tags,
        model=f"LED {data.rated_power_w:.0f} W",
    )
    with UnitOfWork(db, actor) as uow:
        values = data.model_dump(exclude={"installed_on", "tags"})
        uow.session.add(Light(**values))
        uow.audit("create", "lighting.light", data.id, after=data.model_dump(mode="json"))
    return get_light(db, light_id=data.id)


def _light_relationships(group_id: str, cabinet_id: str) -> dict[str, str]:
    return {
        "refStreetlightGroup": f"{URN}StreetlightGroup:{group_id}",
        "refStreetlightControlCabinet": f"{URN}StreetlightControlCabinet:{cabinet_id}",
    }


def create_lights(db: Database, *, actor: Actor, items: list[LightCreate]) -> int:
    """Install many lights at once (an inventory); their devices get credentials when commissioned."""
    groups = {g.id: g for g in list_groups(db)}
    missing = sorted({item.group_id for item in items} - set(groups))
    if missing:
        raise ValidationFailed.for_field(
            "group_id", Phrase("Không có nhóm đèn {group}.", group=", ".join(missing))
        )
    devices = [
        DeviceCreate(
            id=item.id,
            type="streetlight",
            name=f"Đèn {item.pole} — {groups[item.group_id].street}",
            model=f"LED {item.rated_power_w:.0f} W",
            location={"type": "Point", "coordinates": [item.lon, item.lat]},
            installed_on=item.installed_on or clock.today(db.settings),
            tags=["lighting", *item.tags],
            relationships=_light_relationships(item.group_id, groups[item.group_id].cabinet_id),
        )
        for item in items
    ]
    iot_service.provision_devices(db, actor=actor, devices=devices)
    with UnitOfWork(db, actor) as uow:
        for item in items:
            uow.session.add(Light(**item.model_dump(exclude={"installed_on", "tags"})))
        uow.audit("import", "lighting.light", f"{len(items)} lights", after=[i.id for i in items])
    return len(items)


def get_light(db: Database, *, light_id: str) -> Light:
    """One light; 404 if unknown."""
    return db.get_or_404(Light, light_id, Phrase("Không có đèn {light}.", light=repr(light_id)))


def list_lights(db: Database, *, group_id: str | None = None) -> list[Light]:
    """Lights (of one group) by pole."""
    query = select(Light).order_by(Light.group_id, Light.pole)
    if group_id:
        query = query.where(Light.group_id == group_id)
    return db.all(query)


def add_exception(db: Database, *, actor: Actor, data: ExceptionCreate) -> NightException:
    """Record an override or event for one night; a second one of the same kind for the night conflicts."""
    if data.group_id:
        get_group(db, group_id=data.group_id)
    candidate = Exception_(data.kind, data.name, data.level, _time(data.on_at), _time(data.off_at))
    try:
        candidate.check()
    except ScheduleError as exc:
        raise ValidationFailed.for_field(exc.field, str(exc)) from None
    if data.level is None and data.on_at is None and data.off_at is None:
        raise ValidationFailed.for_field("level", "Hãy cho biết mức sáng hoặc giờ bật/tắt của đêm này.")
    scope = data.group_id or "*"
    with UnitOfWork(db, actor) as uow:
        query = select(NightException).where(
            NightException.night == data.night, NightException.kind == data.kind
        )
        if scope != "*":
            query = query.where(or_(NightException.scope == scope, NightException.scope == "*"))
        clash = uow.session.scalars(query).first()
        if clash is not None:
            where = (
                Phrase("toàn thành phố") if clash.scope == "*" else Phrase("nhóm {group}", group=clash.scope)
            )
            raise Conflict(
                Phrase(
                    "Đêm {night} đã có “{name}” ({where}) cùng loại; "
                    "hãy xoá hoặc sửa nó trước để hai lịch không mâu thuẫn.",
                    night=f"{data.night:%d/%m/%Y}",
                    name=clash.name,
                    where=where,
                )
            )
        row = NightException(scope=scope, created_by=actor.shown_name, **data.model_dump())
        uow.session.add(row)
        uow.session.flush()
        uow.audit("create", "lighting.exception", row.id, after=data.model_dump(mode="json"))
        row_id = row.id
    with db.session() as s:
        found = s.get(NightException, row_id)
    assert found is not None
    return found


def remove_exception(db: Database, *, actor: Actor, exception_id: int) -> None:
    """Delete an override or event."""
    with UnitOfWork(db, actor) as uow:
        row = get_or_404(
            uow.session,
            NightException,
            exception_id,
            Phrase("Không có ngoại lệ {exception}.", exception=exception_id),
        )
        uow.session.delete(row)
        uow.audit("delete", "lighting.exception", exception_id)


def list_exceptions(db: Database, *, since: date, group_id: str | None = None) -> list[NightException]:
    """Exceptions from a night on (for one group: its own and the city-wide ones)."""
    query = select(NightException).where(NightException.night >= since).order_by(NightException.night)
    if group_id:
        query = query.where(NightException.scope.in_((group_id, "*")))
    return db.all(query)


def _time(text: str | None) -> time | None:
    return None if text is None else time(int(text[:2]), int(text[3:]))


def plan_for(db: Database, *, group: Group, night: date) -> NightPlan:
    """The plan of one night of a group: its schedule at its coordinates, with the night's exceptions."""
    spec = ScheduleSpec.from_data(get_schedule(db, schedule_id=group.schedule_id).spec)
    rows = [e for e in list_exceptions(db, since=night, group_id=group.id) if e.night == night]
    exceptions = [Exception_(e.kind, e.name, e.level, _time(e.on_at), _time(e.off_at)) for e in rows]  # type: ignore[arg-type]
    zone = clock.city_zone(db.settings)
    return night_plan(spec, lat=group.lat, lon=group.lon, night=night, zone=zone, exceptions=exceptions)


def night_of(moment: datetime, db: Database) -> date:
    """The night a moment belongs to when it is dark: before noon it is the previous evening's night."""
    local = clock.local(moment, db.settings)
    return local.date() if local.hour >= 12 else local.date() - timedelta(days=1)
