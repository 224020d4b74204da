"""Registry: part of the iot service (see __init__)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from smartcity.city import service as city_service
from smartcity.core import clock
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, ValidationFailed, found_or_404
from smartcity.core.pages import count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import credentials
from smartcity.iot.device_types import device_types, get_device_type
from smartcity.iot.events import (
    DeviceDecommissioned,
    DeviceRegistered,
)
from smartcity.iot.models import (
    Device,
    LatestValue,
    Rejection,
)
from smartcity.iot.schemas import DeviceCreate, DeviceUpdate
from smartcity.iot.service.common import CSV_COLUMNS
from smartcity.iot.wording import readable


@dataclass(frozen=True)
class NewDevice:
    """A registered device and its one-time password."""

    device: Device
    password: str


def register_device(db: Database, *, actor: Actor, data: DeviceCreate) -> NewDevice:
    """Add a device to the registry with fresh credentials; 409 if the id is taken."""
    fresh = _fresh_credentials()
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(Device, data.id) is not None:
            raise Conflict(f"device {data.id!r} already exists")
        created = _new_device(db, uow, data, fresh)
    return created


class _Credentials(NamedTuple):
    password: str
    password_hash: str
    mosquitto_hash: str


def _fresh_credentials() -> _Credentials:
    """A new password with its two hashes, made before a write transaction opens: the Mosquitto hash
    (PBKDF2, some 30 ms) would otherwise hold the embedded database's write lock while it is computed."""
    password = credentials.new_password()
    return _Credentials(password, credentials.hash_password(password), credentials.mosquitto_hash(password))


def _new_device(db: Database, uow: UnitOfWork, data: DeviceCreate, fresh: _Credentials) -> NewDevice:
    device = _add_device(
        db, uow, data, password_hash=fresh.password_hash, mosquitto_hash=fresh.mosquitto_hash
    )
    uow.session.flush()
    return NewDevice(device, fresh.password)


def _add_device(
    db: Database, uow: UnitOfWork, data: DeviceCreate, *, password_hash: str, mosquitto_hash: str | None
) -> Device:
    """Add a device of a known type, placed in its ward, audited and announced (DeviceRegistered)."""
    get_device_type(data.type)
    lon, lat = data.location.coordinates if data.location else (None, None)
    device = Device(
        id=data.id,
        type=data.type,
        name=data.name,
        model=data.model,
        serial=data.serial,
        lon=lon,
        lat=lat,
        ward_code=ward_at(db, lon=lon, lat=lat, on=data.installed_on or clock.today()),
        installed_on=data.installed_on,
        status="active",
        tags=sorted(set(data.tags)),
        relationships=dict(data.relationships),
        mqtt_username=data.id,
        password_hash=password_hash,
        mosquitto_hash=mosquitto_hash,
    )
    uow.session.add(device)
    uow.audit("register", "iot.device", device.id, after=device_snapshot(device))
    uow.publish(
        DeviceRegistered(
            device_id=device.id,
            device_type=device.type,
            lon=lon,
            lat=lat,
            ward_code=device.ward_code,
            tags=tuple(device.tags),
        )
    )
    return device


def ward_at(db: Database, *, lon: float | None, lat: float | None, on: date) -> str | None:
    """The code of the ward at a point on a date (None without a point or outside the city)."""
    if lon is None or lat is None:
        return None
    found = city_service.ward_at(db, lon=lon, lat=lat, on=on)
    return found.code if found is not None else None


def device_snapshot(device: Device) -> dict[str, Any]:
    """The audited fields of a device (never its credentials)."""
    return {
        "id": device.id,
        "type": device.type,
        "name": device.name,
        "model": device.model,
        "serial": device.serial,
        "lon": device.lon,
        "lat": device.lat,
        "ward_code": device.ward_code,
        "installed_on": device.installed_on,
        "status": device.status,
        "relationships": device.relationships,
        "tags": list(device.tags or []),
    }


def import_devices_csv(db: Database, *, actor: Actor, content: str) -> tuple[list[NewDevice], list[dict]]:
    """Register every row of a CSV (columns id,type,lon,lat[,name,model,serial,installed_on,tags]).

    All or nothing: when any row is wrong, nothing is created and every bad row is reported.
    """
    rows, errors = _parse_csv(content)
    if errors:
        return [], errors
    with db.session() as s:
        taken = set(s.scalars(select(Device.id).where(Device.id.in_([r.id for r in rows]))))
    errors = [
        {"line": n + 2, "error": f"device {r.id!r} already exists"}
        for n, r in enumerate(rows)
        if r.id in taken
    ]
    if errors:
        return [], errors
    fresh = [_fresh_credentials() for _row in rows]
    with UnitOfWork(db, actor) as uow:
        created = [_new_device(db, uow, row, made) for row, made in zip(rows, fresh, strict=True)]
    return created, []


def _parse_csv(content: str) -> tuple[list[DeviceCreate], list[dict]]:
    reader = csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
    missing = [c for c in ("id", "type") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [{"line": 1, "error": f"missing columns: {', '.join(missing)}"}]
    rows: list[DeviceCreate] = []
    errors: list[dict] = []
    seen: set[str] = set()
    for line, record in enumerate(reader, start=2):
        try:
            row = _csv_row(record)
            get_device_type(row.type)
        except (ValueError, ValidationFailed) as exc:
            errors.append(
                {"line": line, "error": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
            )
            continue
        if row.id in seen:
            errors.append({"line": line, "error": f"device {row.id!r} appears twice"})
        seen.add(row.id)
        rows.append(row)
    return rows, errors


def _csv_row(record: dict[str, str | None]) -> DeviceCreate:
    value = {k: (v or "").strip() for k, v in record.items() if k in CSV_COLUMNS}
    location = None
    if value.get("lon") or value.get("lat"):
        location = {"type": "Point", "coordinates": [float(value["lon"]), float(value["lat"])]}
    return DeviceCreate.model_validate(
        {
            "id": value.get("id"),
            "type": value.get("type"),
            "location": location,
            "name": value.get("name") or None,
            "model": value.get("model") or None,
            "serial": value.get("serial") or None,
            "installed_on": value.get("installed_on") or None,
            "tags": [t for t in (value.get("tags") or "").replace(",", ";").split(";") if t],
        }
    )


def update_device(db: Database, *, actor: Actor, device_id: str, data: DeviceUpdate) -> Device:
    """Change registry fields of a device that is not decommissioned."""
    with UnitOfWork(db, actor) as uow:
        device = _active_device(uow.session, device_id)
        before = device_snapshot(device)
        changes = data.model_dump(exclude_unset=True)
        location = changes.pop("location", None)
        for name, new in changes.items():
            setattr(device, name, sorted(set(new)) if name == "tags" else new)
        if location is not None:
            device.lon, device.lat = data.location.coordinates if data.location else (None, None)
            device.ward_code = ward_at(db, lon=device.lon, lat=device.lat, on=clock.today())
        uow.audit("update", "iot.device", device.id, before=before, after=device_snapshot(device))
    return device


def decommission_device(db: Database, *, actor: Actor, device_id: str) -> Device:
    """Take a device out of service: its credentials stop working and its messages are refused."""
    with UnitOfWork(db, actor) as uow:
        device = _active_device(uow.session, device_id)
        before = device_snapshot(device)
        now = utcnow()
        device.status, device.decommissioned_at = "decommissioned", now
        device.password_hash, device.mosquitto_hash = "!", None
        uow.audit("decommission", "iot.device", device.id, before=before, after=device_snapshot(device))
        uow.publish(DeviceDecommissioned(device_id=device.id, device_type=device.type, at=now.isoformat()))
    return device


def reset_credentials(db: Database, *, actor: Actor, device_id: str) -> NewDevice:
    """Give a device a new password (the old one stops working); shown once."""
    fresh = _fresh_credentials()
    with UnitOfWork(db, actor) as uow:
        device = _active_device(uow.session, device_id)
        device.password_hash, device.mosquitto_hash = fresh.password_hash, fresh.mosquitto_hash
        uow.audit("reset_credentials", "iot.device", device.id)
    return NewDevice(device, fresh.password)


def _active_device(session: Session, device_id: str) -> Device:
    device = found_or_404(session.get(Device, device_id), f"no device {device_id!r}")
    if device.status == "decommissioned":
        raise Conflict(f"device {device_id!r} is decommissioned")
    return device


def get_device(db: Database, *, device_id: str) -> Device:
    """A device by id (404 if unknown)."""
    return db.get_or_404(Device, device_id, f"no device {device_id!r}")


def type_label(slug: str) -> str:
    """What a device of this type is called on a page, in Vietnamese ("Đèn đường thông minh"); the type's
    code in words when it has no name of its own."""
    kind = device_types().get(slug)
    return kind.label if kind is not None and kind.label else readable(slug)


def authenticate_device(db: Database, *, username: str, password: str) -> Device | None:
    """The active device with these credentials, or None."""
    with db.session() as s:
        device = s.scalar(select(Device).where(Device.mqtt_username == username))
    if device is None or device.status == "decommissioned":
        return None
    return device if credentials.verify_password(password, device.password_hash) else None


@dataclass(frozen=True)
class DeviceFilter:
    """Which devices to list."""

    type: str | None = None
    status: str | None = None
    ward_code: str | None = None
    tag: str | None = None
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None


def list_devices(
    db: Database, *, where: DeviceFilter, limit: int = 50, offset: int = 0
) -> tuple[list[Device], int]:
    """A page of devices matching the filter, by id, and the total count."""
    conditions = _device_conditions(where)
    with db.session() as s:
        return count_and_slice(s, select(Device).where(*conditions), Device.id, limit=limit, offset=offset)


def device_points(db: Database, *, where: DeviceFilter) -> list[tuple[str, str, float, float]]:
    """(id, type, lon, lat) of every located device matching the filter, by id: the map's points, read
    without loading the devices."""
    query = select(Device.id, Device.type, Device.lon, Device.lat).where(*_device_conditions(where))
    with db.session() as s:
        rows = s.execute(query.order_by(Device.id))
        return [(i, kind, lon, lat) for i, kind, lon, lat in rows if lon is not None and lat is not None]


def find_devices(
    db: Database, *, types: Sequence[str] | None = None, device_ids: Sequence[str] | None = None
) -> list[Device]:
    """Every device in service of these types and/or ids, by id (for standard APIs that filter further)."""
    query = select(Device).where(Device.status != "decommissioned")
    if types is not None:
        query = query.where(Device.type.in_(list(types)))
    if device_ids is not None:
        query = query.where(Device.id.in_(list(device_ids)))
    return db.all(query.order_by(Device.id))


def _device_conditions(where: DeviceFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.type:
        conditions.append(Device.type == where.type)
    if where.status:
        conditions.append(Device.status == where.status)
    else:
        conditions.append(Device.status != "decommissioned")
    if where.ward_code:
        conditions.append(Device.ward_code == where.ward_code)
    if where.tag:
        conditions.append(cast(Device.tags, String).like(f'%"{_escape_like(where.tag)}"%', escape="\\"))
    if where.q:
        pattern = f"%{_escape_like(where.q)}%"
        conditions.append(or_(Device.id.like(pattern, escape="\\"), Device.name.like(pattern, escape="\\")))
    if where.bbox:
        west, south, east, north = where.bbox
        conditions += [Device.lon.between(west, east), Device.lat.between(south, north)]
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def device_health(db: Database, *, device_ids: Sequence[str]) -> dict[str, tuple[datetime | None, int]]:
    """For each device: when it last reported, and how many of its messages were rejected."""
    ids = list(device_ids)
    with db.session() as s:
        seen = dict(
            s.execute(
                select(LatestValue.device_id, func.max(LatestValue.ts))
                .where(LatestValue.device_id.in_(ids))
                .group_by(LatestValue.device_id)
            ).all()
        )
        rejected = dict(
            s.execute(
                select(Rejection.device_id, func.sum(Rejection.count))
                .where(Rejection.device_id.in_(ids))
                .group_by(Rejection.device_id)
            ).all()
        )
    return {i: (seen.get(i), int(rejected.get(i) or 0)) for i in ids}


def provision_devices(db: Database, *, actor: Actor, devices: Sequence[DeviceCreate]) -> list[Device]:
    """Register many devices from an inventory in one transaction, without credentials yet.

    Their MQTT/HTTP credentials are issued at commissioning (`reset_credentials`), so an inventory of
    hundreds of lamps is not slowed by one PBKDF2 hash per device; until then they cannot connect.
    """
    created = []
    with UnitOfWork(db, actor) as uow:
        for data in devices:
            if uow.session.get(Device, data.id) is not None:
                raise Conflict(f"device {data.id!r} already exists")
            # no password: the hash "!" matches nothing until the device is commissioned
            device = _add_device(db, uow, data, password_hash="!", mosquitto_hash=None)  # noqa: S106
            created.append(device)
        uow.session.flush()
    return created
