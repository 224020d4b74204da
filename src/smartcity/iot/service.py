"""Use cases of the IoT core: registry, ingestion, telemetry queries, commands, rules and alarms."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from smartcity.core.db import Database, utcnow
from smartcity.core.errors import Conflict, NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.domains import domain_module
from smartcity.iot import credentials, partitions
from smartcity.iot.device_types import device_types, get_device_type
from smartcity.iot.events import (
    AlarmAcknowledged,
    AlarmCleared,
    CommandFinished,
    DeviceDecommissioned,
    DeviceRegistered,
    TelemetryIngested,
)
from smartcity.iot.models import (
    Alarm,
    Command,
    Device,
    LatestValue,
    NgsiSubscription,
    Rejection,
    Rollup,
    Rule,
    Telemetry,
)
from smartcity.iot.pipeline import Accepted, DeviceInfo, Envelope, Refused, judge, to_rows, typed_value
from smartcity.iot.rules import AlarmBook, RuleSpec, Sample, check_params, evaluate, load_rules
from smartcity.iot.schemas import CommandCreate, DeviceCreate, DeviceUpdate, RuleCreate
from smartcity.iot.writer import count_rejections, update_latest, write_rows

INGEST_ACTOR = Actor.system("iot-ingest")
CSV_COLUMNS = ("id", "type", "lon", "lat", "name", "model", "serial", "installed_on", "tags")
INTERVALS = {"minute": 60, "5min": 300, "15min": 900, "hour": 3600, "day": 86400}
FINAL_COMMAND_STATES = ("acknowledged", "failed", "timed_out")


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class NewDevice:
    """A registered device and its one-time password."""

    device: Device
    password: str


def register_device(db: Database, *, actor: Actor, data: DeviceCreate) -> NewDevice:
    """Add a device to the registry with fresh credentials; 409 if the id is taken."""
    with UnitOfWork(db, actor) as uow:
        if uow.session.get(Device, data.id) is not None:
            raise Conflict(f"device {data.id!r} already exists")
        created = _new_device(db, uow, data)
    return created


def _new_device(db: Database, uow: UnitOfWork, data: DeviceCreate) -> NewDevice:
    get_device_type(data.type)
    lon, lat = data.location.coordinates if data.location else (None, None)
    password = credentials.new_password()
    device = Device(
        id=data.id,
        type=data.type,
        name=data.name,
        model=data.model,
        serial=data.serial,
        lon=lon,
        lat=lat,
        ward_code=ward_at(db, lon=lon, lat=lat, on=data.installed_on or date.today()),
        installed_on=data.installed_on,
        status="active",
        tags=sorted(set(data.tags)),
        relationships=dict(data.relationships),
        mqtt_username=data.id,
        password_hash=credentials.hash_password(password),
        mosquitto_hash=credentials.mosquitto_hash(password),
    )
    uow.session.add(device)
    uow.session.flush()
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
    return NewDevice(device, password)


def ward_at(db: Database, *, lon: float | None, lat: float | None, on: date) -> str | None:
    """The ward code at a point, from the city domain's read function when it offers one."""
    city_service = domain_module("city", "service")
    lookup = getattr(city_service, "ward_at", None)
    if lookup is None or lon is None or lat is None:
        return None
    found = lookup(db, lon=lon, lat=lat, on=on)
    if found is None or isinstance(found, str):
        return found
    return getattr(found, "code", None)


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
    with UnitOfWork(db, actor) as uow:
        created = [_new_device(db, uow, row) for row in rows]
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
            device.ward_code = ward_at(db, lon=device.lon, lat=device.lat, on=date.today())
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
    password = credentials.new_password()
    with UnitOfWork(db, actor) as uow:
        device = _active_device(uow.session, device_id)
        device.password_hash = credentials.hash_password(password)
        device.mosquitto_hash = credentials.mosquitto_hash(password)
        uow.audit("reset_credentials", "iot.device", device.id)
    return NewDevice(device, password)


def _active_device(session: Session, device_id: str) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id!r}")
    if device.status == "decommissioned":
        raise Conflict(f"device {device_id!r} is decommissioned")
    return device


def get_device(db: Database, *, device_id: str) -> Device:
    """A device by id (404 if unknown)."""
    with db.session() as s:
        device = s.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device {device_id!r}")
    return device


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
        total = s.scalar(select(func.count()).select_from(Device).where(*conditions)) or 0
        items = list(
            s.scalars(select(Device).where(*conditions).order_by(Device.id).limit(limit).offset(offset))
        )
    return items, total


def find_devices(
    db: Database, *, types: Sequence[str] | None = None, device_ids: Sequence[str] | None = None
) -> list[Device]:
    """Every device in service of these types and/or ids, by id (for standard APIs that filter further)."""
    query = select(Device).where(Device.status != "decommissioned")
    if types is not None:
        query = query.where(Device.type.in_(list(types)))
    if device_ids is not None:
        query = query.where(Device.id.in_(list(device_ids)))
    with db.session() as s:
        return list(s.scalars(query.order_by(Device.id)))


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


# ---------------------------------------------------------------- ingestion


@dataclass
class IngestOutcome:
    """What a batch did: messages stored, duplicates ignored, messages refused."""

    accepted: int = 0
    duplicates: int = 0
    refused: list[Refused] = field(default_factory=list)


def ingest(db: Database, *, envelopes: Sequence[Envelope], now: datetime | None = None) -> IngestOutcome:
    """Validate, store (once) and evaluate a batch of device messages in one transaction."""
    now = now or utcnow()
    outcome = IngestOutcome()
    if not envelopes:
        return outcome
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        devices = _device_infos(uow.session, envelopes)
        verdicts = [judge(i, e, devices, now) for i, e in enumerate(envelopes)]
        accepted = [v for v in verdicts if isinstance(v, Accepted)]
        outcome.refused = [v for v in verdicts if isinstance(v, Refused)]
        rows = {message.index: to_rows(message) for message in accepted}
        new_keys = write_rows(uow.session, [row for group in rows.values() for row in group])
        fresh = _first_of_each([m for m in accepted if (m.device.id, m.msg_id) in new_keys])
        outcome.accepted, outcome.duplicates = len(fresh), len(accepted) - len(fresh)
        _evaluate_rules(uow, fresh)
        _announce(uow, fresh)
        update_latest(uow.session, [row for message in fresh for row in rows[message.index]])
        count_rejections(uow.session, _rejection_counts(outcome.refused, now))
    return outcome


def _announce(uow: UnitOfWork, messages: list[Accepted]) -> None:
    """Publish TelemetryIngested for the devices an active NGSI-LD subscription may be interested in."""
    specs = _active_subscription_specs(uow.session) if messages else []
    if not specs:
        return
    keys: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    for message in messages:
        keys.setdefault(message.device.id, set()).update(message.values)
        kinds[message.device.id] = device_types()[message.device.type].sdm_type
    changes = tuple(
        (device, tuple(sorted(names)))
        for device, names in sorted(keys.items())
        if any(_may_interest(spec, kinds[device], names) for spec in specs)
    )
    if changes:
        uow.publish(TelemetryIngested(changes=changes))


def _active_subscription_specs(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    query = select(NgsiSubscription.spec).where(
        NgsiSubscription.is_active.is_(True),
        or_(NgsiSubscription.expires_at.is_(None), NgsiSubscription.expires_at > now),
    )
    return list(session.scalars(query))


def _may_interest(spec: dict[str, Any], sdm_type: str, keys: set[str]) -> bool:
    """A cheap first filter (entity types, watched attributes); the handler applies all the filters."""
    entities, watched = spec.get("entities"), spec.get("watchedAttributes")
    if entities and not any(re.split(r"[/#]", e["type"])[-1] == sdm_type for e in entities):
        return False
    return not watched or bool(keys & set(watched))


def _first_of_each(messages: list[Accepted]) -> list[Accepted]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for message in messages:
        if (message.device.id, message.msg_id) not in seen:
            seen.add((message.device.id, message.msg_id))
            unique.append(message)
    return unique


def _device_infos(session: Session, envelopes: Sequence[Envelope]) -> dict[str, DeviceInfo]:
    ids: set[str] = set()
    for envelope in envelopes:
        claimed = envelope.payload.get("device_id") if isinstance(envelope.payload, dict) else None
        ids.update(i for i in (envelope.device_id, claimed) if isinstance(i, str) and i)
    query = select(Device.id, Device.type, Device.status).where(Device.id.in_(sorted(ids)))
    return {r.id: DeviceInfo(r.id, r.type, r.status) for r in session.connection().execute(query)}


def _with_details(session: Session, messages: list[Accepted]) -> list[Accepted]:
    """The messages with their devices' tags and location (needed by rules and alarm events)."""
    ids = sorted({m.device.id for m in messages})
    query = select(Device.id, Device.tags, Device.lon, Device.lat).where(Device.id.in_(ids))
    details = {r.id: (tuple(r.tags or ()), r.lon, r.lat) for r in session.execute(query)}
    return [
        dataclasses.replace(
            m,
            device=dataclasses.replace(
                m.device,
                tags=details[m.device.id][0],
                lon=details[m.device.id][1],
                lat=details[m.device.id][2],
            ),
        )
        for m in messages
    ]


def _rejection_counts(
    refused: list[Refused], now: datetime
) -> dict[tuple[str, str], tuple[int, str, datetime]]:
    counts: dict[tuple[str, str], tuple[int, str, datetime]] = {}
    for item in refused:
        previous = counts.get((item.device_id, item.reason), (0, "", now))[0]
        counts[(item.device_id, item.reason)] = (previous + 1, item.detail, now)
    return counts


def _evaluate_rules(uow: UnitOfWork, messages: list[Accepted]) -> None:
    rules = load_rules(uow) if messages else []
    if not rules:
        return
    messages = _with_details(uow.session, messages)
    devices = {m.device.id for m in messages}
    previous = _latest_samples(uow.session, devices)
    book = AlarmBook(uow, devices)
    for message in sorted(messages, key=lambda m: m.ts):
        for rule in (r for r in rules if r.applies_to(message.device)):
            if rule.kind == "no_data":
                book.apply(
                    rule, message.device, evaluate(rule, Sample(None, message.ts), None), at=message.ts
                )
                continue
            if rule.key not in message.values:
                continue
            current = Sample(message.values[rule.key], message.ts)
            verdict = evaluate(rule, current, previous.get((message.device.id, rule.key)))
            book.apply(rule, message.device, verdict, at=message.ts, value=current.value)
        for key, value in message.values.items():
            last = previous.get((message.device.id, key))
            if last is None or message.ts >= last.ts:
                previous[(message.device.id, key)] = Sample(value, message.ts)


def _latest_samples(session: Session, device_ids: set[str]) -> dict[tuple[str, str], Sample]:
    query = (
        select(LatestValue, Device.type)
        .join(Device, Device.id == LatestValue.device_id)
        .where(LatestValue.device_id.in_(sorted(device_ids)))
    )
    return {
        (latest.device_id, latest.key): Sample(
            typed_value(kind, latest.key, latest.value, latest.text_value), latest.ts
        )
        for latest, kind in session.execute(query)
    }


def check_silent_devices(db: Database, *, now: datetime | None = None) -> int:
    """Raise a no-data alarm for each watched device silent for longer than its rule allows."""
    now = now or utcnow()
    raised = 0
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        for rule in (r for r in load_rules(uow) if r.kind == "no_data"):
            silent = _silent_devices(uow.session, rule, now - timedelta(minutes=rule.params["minutes"]))
            book = AlarmBook(uow, {d.id for d in silent})
            for device in silent:
                if (rule.id, device.id) not in book.open:
                    book.apply(rule, device, (True, f"no data for {rule.params['minutes']} min"), at=now)
                    raised += 1
    return raised


def _silent_devices(session: Session, rule: RuleSpec, cutoff: datetime) -> list[DeviceInfo]:
    last_seen = (
        select(LatestValue.device_id, func.max(LatestValue.ts).label("seen"))
        .group_by(LatestValue.device_id)
        .subquery()
    )
    query = (
        select(Device.id, Device.type, Device.status, Device.tags, Device.lon, Device.lat)
        .outerjoin(last_seen, last_seen.c.device_id == Device.id)
        .where(
            Device.status == "active",
            or_(last_seen.c.seen < cutoff, and_(last_seen.c.seen.is_(None), Device.created_at < cutoff)),
        )
    )
    if rule.device_type:
        query = query.where(Device.type == rule.device_type)
    if rule.device_id:
        query = query.where(Device.id == rule.device_id)
    infos = [
        DeviceInfo(r.id, r.type, r.status, tuple(r.tags or ()), r.lon, r.lat) for r in session.execute(query)
    ]
    return [d for d in infos if rule.applies_to(d)]


# ---------------------------------------------------------------- telemetry queries


def telemetry(
    db: Database,
    *,
    device_id: str,
    key: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Stored values of a device, newest first (optionally one key, within [start, end))."""
    device = get_device(db, device_id=device_id)
    query = select(Telemetry).where(Telemetry.device_id == device_id)
    if key:
        query = query.where(Telemetry.key == key)
    if start:
        query = query.where(Telemetry.ts >= start)
    if end:
        query = query.where(Telemetry.ts < end)
    with db.session() as s:
        rows = s.scalars(query.order_by(Telemetry.ts.desc(), Telemetry.key).limit(limit)).all()
    return [
        {
            "ts": r.ts,
            "key": r.key,
            "msg_id": r.msg_id,
            "value": typed_value(device.type, r.key, r.value, r.text_value),
        }
        for r in rows
    ]


def aggregates(
    db: Database,
    *,
    device_id: str,
    key: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Count/min/avg/max of a numeric key by interval (minute, 5min, 15min, hour, day), oldest first."""
    if interval not in INTERVALS:
        raise ValidationFailed.for_field("interval", f"one of {', '.join(INTERVALS)}")
    return aggregates_every(
        db, device_id=device_id, key=key, seconds=INTERVALS[interval], start=start, end=end, limit=limit
    )


def aggregates_every(
    db: Database,
    *,
    device_id: str,
    key: str,
    seconds: int,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Count/min/avg/max/sum of a numeric key by periods of `seconds` (aligned on the epoch), oldest first."""
    if seconds < 1:
        raise ValidationFailed.for_field("seconds", "at least one second")
    get_device(db, device_id=device_id)
    bucket = _bucket(db, seconds).label("bucket")
    query = select(
        bucket,
        func.count(Telemetry.value),
        func.min(Telemetry.value),
        func.avg(Telemetry.value),
        func.max(Telemetry.value),
        func.sum(Telemetry.value),
    ).where(Telemetry.device_id == device_id, Telemetry.key == key)
    if start:
        query = query.where(Telemetry.ts >= start)
    if end:
        query = query.where(Telemetry.ts < end)
    with db.session() as s:
        rows = s.execute(query.group_by(bucket).order_by(bucket).limit(limit)).all()
    return [
        {
            "start": datetime.fromtimestamp(int(b), UTC),
            "count": n,
            "min": lo,
            "avg": float(avg) if avg is not None else None,
            "max": hi,
            "sum": total,
        }
        for b, n, lo, avg, hi, total in rows
    ]


def _bucket(db: Database, seconds: int) -> Any:
    if db.dialect == "postgresql":
        return func.floor(func.extract("epoch", Telemetry.ts) / seconds) * seconds
    return cast(func.strftime("%s", Telemetry.ts), Integer) // seconds * seconds


ROLLUP_INTERVALS = {"hour": 3600, "day": 86400}


def roll_up(db: Database, *, interval: str, start: datetime, end: datetime) -> int:
    """(Re)compute hourly or daily count/min/max/sum of numeric values in [start, end); idempotent."""
    seconds = ROLLUP_INTERVALS[interval]
    start = datetime.fromtimestamp(int(start.timestamp()) // seconds * seconds, UTC)
    end = datetime.fromtimestamp(-(-int(end.timestamp()) // seconds) * seconds, UTC)
    bucket = _bucket(db, seconds).label("bucket")
    query = (
        select(
            Telemetry.device_id,
            Telemetry.key,
            bucket,
            func.count(Telemetry.value),
            func.min(Telemetry.value),
            func.max(Telemetry.value),
            func.sum(Telemetry.value),
        )
        .where(Telemetry.value.is_not(None), Telemetry.ts >= start, Telemetry.ts < end)
        .group_by(Telemetry.device_id, Telemetry.key, bucket)
    )
    with db.write_session() as s:
        rows = [
            {
                "device_id": d,
                "key": k,
                "interval": interval,
                "start": datetime.fromtimestamp(int(b), UTC),
                "count": n,
                "min": lo,
                "max": hi,
                "sum": total,
            }
            for d, k, b, n, lo, hi, total in s.execute(query)
        ]
        insert_ = pg_insert if db.dialect == "postgresql" else sqlite_insert
        for chunk in range(0, len(rows), 5000):
            statement = insert_(Rollup)
            statement = statement.on_conflict_do_update(
                index_elements=["device_id", "key", "interval", "start"],
                set_={c: statement.excluded[c] for c in ("count", "min", "max", "sum")},
            )
            s.execute(statement, rows[chunk : chunk + 5000])
    return len(rows)


def purge_telemetry(db: Database, *, before: datetime) -> int:
    """Delete raw values older than `before` (roll them up first: roll-ups are kept); return how many.

    On PostgreSQL the monthly partitions that end before `before` are dropped whole, then the rest is
    deleted row by row.
    """
    with db.write_session() as s:
        dropped = partitions.drop_months_before(s.connection(), before) if db.dialect == "postgresql" else 0
        result: Any = s.execute(delete(Telemetry).where(Telemetry.ts < before))
        return dropped + int(result.rowcount or 0)


def ensure_telemetry_partitions(db: Database, *, months_ahead: int = 2) -> int:
    """Create the monthly partitions of telemetry up to `months_ahead` months ahead (PostgreSQL; else 0)."""
    return partitions.ensure_telemetry_partitions(db, months_ahead=months_ahead)


def rollups(
    db: Database,
    *,
    device_id: str,
    key: str,
    interval: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 2000,
) -> list[dict[str, Any]]:
    """Hourly or daily count/min/avg/max of a key from the roll-up table, oldest first."""
    if interval not in ROLLUP_INTERVALS:
        raise ValidationFailed.for_field("interval", "hour or day")
    query = select(Rollup).where(
        Rollup.device_id == device_id, Rollup.key == key, Rollup.interval == interval
    )
    if start:
        query = query.where(Rollup.start >= start)
    if end:
        query = query.where(Rollup.start < end)
    with db.session() as s:
        items = s.scalars(query.order_by(Rollup.start).limit(limit)).all()
    return [
        {
            "start": r.start,
            "count": r.count,
            "min": r.min,
            "max": r.max,
            "avg": (r.sum / r.count) if r.count and r.sum is not None else None,
        }
        for r in items
    ]


def latest_state(db: Database, *, device_ids: Sequence[str]) -> dict[str, dict[str, tuple[Any, datetime]]]:
    """The newest value and its time of each key of each device."""
    query = (
        select(LatestValue, Device.type)
        .join(Device, Device.id == LatestValue.device_id)
        .where(LatestValue.device_id.in_(list(device_ids)))
    )
    state: dict[str, dict[str, tuple[Any, datetime]]] = {i: {} for i in device_ids}
    with db.session() as s:
        for latest, kind in s.execute(query):
            value = typed_value(kind, latest.key, latest.value, latest.text_value)
            state[latest.device_id][latest.key] = (value, latest.ts)
    return state


def rejections(db: Database, *, device_id: str | None = None, limit: int = 200) -> list[Rejection]:
    """Rejection counters, most recent first (of one device, or all)."""
    query = select(Rejection).order_by(Rejection.last_at.desc()).limit(limit)
    if device_id:
        query = query.where(Rejection.device_id == device_id)
    with db.session() as s:
        return list(s.scalars(query))


def stored_message_count(db: Database) -> int:
    """How many distinct messages are stored (for tests and benchmarks)."""
    with db.session() as s:
        query = select(func.count()).select_from(
            select(Telemetry.device_id, Telemetry.msg_id).distinct().subquery()
        )
        return s.scalar(query) or 0


# ---------------------------------------------------------------- commands


def send_commands(db: Database, *, actor: Actor, data: CommandCreate) -> tuple[str, list[Command]]:
    """Store one command per target device (pending, published later by the ingest process)."""
    group_id = str(uuid.uuid4())
    now = utcnow()
    with UnitOfWork(db, actor) as uow:
        targets = _command_targets(uow.session, data)
        commands = [
            Command(
                id=str(uuid.uuid4()),
                device_id=d.id,
                group_id=group_id if len(targets) > 1 else None,
                name=data.name,
                params=data.params,
                status="pending",
                created_at=now,
                created_by=actor.label,
                deadline=now + timedelta(seconds=data.timeout_seconds),
                publish_attempts=0,
            )
            for d in targets
        ]
        uow.session.add_all(commands)
        uow.audit(
            "send",
            "iot.command",
            group_id,
            after={"name": data.name, "params": data.params, "devices": [d.id for d in targets]},
        )
    return group_id, commands


def _command_targets(session: Session, data: CommandCreate) -> list[Device]:
    selector = DeviceFilter(type=data.device_type, ward_code=data.ward_code, tag=data.tag, status="active")
    if data.device_ids:
        query = select(Device).where(Device.id.in_(data.device_ids), *_device_conditions(selector))
    elif data.device_type or data.tag or data.ward_code:
        query = select(Device).where(*_device_conditions(selector))
    else:
        raise ValidationFailed.for_field(
            "device_ids", "name devices or a selector (device_type, tag, ward_code)"
        )
    targets = list(session.scalars(query.order_by(Device.id)))
    missing = set(data.device_ids) - {d.id for d in targets}
    if missing:
        raise NotFound(f"no active devices {sorted(missing)[:10]}")
    if not targets:
        raise NotFound("no active device matches the selector")
    for kind in sorted({d.type for d in targets}):
        _check_command(kind, data.name, data.params)
    return targets


def _check_command(kind: str, name: str, params: dict[str, Any]) -> None:
    spec = get_device_type(kind).command(name)
    if spec is None:
        raise ValidationFailed.for_field("name", f"a {kind} does not accept the command {name!r}")
    problems = spec.check(params)
    if problems:
        raise ValidationFailed.for_field("params", "; ".join(problems))


def command_payload(command: Command) -> dict[str, Any]:
    """What a device receives: the command id (to apply it once), its name and params."""
    return {
        "command_id": command.id,
        "name": command.name,
        "params": command.params,
        "deadline": command.deadline.isoformat(),
    }


def commands_to_publish(db: Database, *, limit: int = 500) -> list[tuple[Command, str]]:
    """Pending commands within their deadline, each with its device's type (for the topic)."""
    query = (
        select(Command, Device.type)
        .join(Device, Device.id == Command.device_id)
        .where(Command.status == "pending", Command.deadline > utcnow())
        .order_by(Command.created_at)
        .limit(limit)
    )
    with db.session() as s:
        return [(c, t) for c, t in s.execute(query)]


def mark_commands_sent(db: Database, *, command_ids: Sequence[str]) -> None:
    """Record that the broker took these commands (QoS 1); only pending ones change."""
    if not command_ids:
        return
    with db.write_session() as s:
        s.execute(
            update(Command)
            .where(Command.id.in_(list(command_ids)), Command.status == "pending")
            .values(status="sent", sent_at=utcnow(), publish_attempts=Command.publish_attempts + 1)
        )


def take_commands(db: Database, *, device_id: str) -> list[Command]:
    """Pending commands of a device polling over HTTP; they become sent."""
    with db.session() as s:
        pending = list(
            s.scalars(
                select(Command)
                .where(
                    Command.device_id == device_id,
                    Command.status.in_(("pending", "sent")),
                    Command.deadline > utcnow(),
                )
                .order_by(Command.created_at)
            )
        )
    mark_commands_sent(db, command_ids=[c.id for c in pending if c.status == "pending"])
    return pending


def acknowledge_command(
    db: Database, *, device_id: str, command_id: str, ok: bool, detail: dict[str, Any] | None = None
) -> Command:
    """Record a device's answer; repeating it changes nothing (the first answer counts)."""
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        command = uow.session.get(Command, command_id)
        if command is None or command.device_id != device_id:
            raise NotFound(f"no command {command_id!r} for device {device_id!r}")
        if command.status in FINAL_COMMAND_STATES:
            return command
        _finish_command(uow, command, "acknowledged" if ok else "failed", detail)
    return command


def _finish_command(uow: UnitOfWork, command: Command, status: str, detail: dict[str, Any] | None) -> None:
    before = command.status
    command.status, command.finished_at, command.result = status, utcnow(), detail
    uow.audit(status, "iot.command", command.id, before={"status": before}, after={"status": status})
    uow.publish(
        CommandFinished(
            command_id=command.id,
            device_id=command.device_id,
            command=command.name,
            status=status,
            group_id=command.group_id,
            result=detail,
        )
    )


def expire_commands(db: Database, *, now: datetime | None = None) -> int:
    """Mark commands past their deadline without an answer as timed out."""
    now = now or utcnow()
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        late = list(
            uow.session.scalars(
                select(Command)
                .where(Command.status.in_(("pending", "sent")), Command.deadline <= now)
                .limit(1000)
            )
        )
        for command in late:
            _finish_command(uow, command, "timed_out", None)
    return len(late)


def get_command(db: Database, *, command_id: str) -> Command:
    """A command by id."""
    with db.session() as s:
        command = s.get(Command, command_id)
    if command is None:
        raise NotFound(f"no command {command_id!r}")
    return command


def command_group(db: Database, *, group_id: str) -> list[Command]:
    """The commands sent together (or the single command with this id)."""
    with db.session() as s:
        items = list(
            s.scalars(
                select(Command)
                .where(or_(Command.group_id == group_id, Command.id == group_id))
                .order_by(Command.device_id)
            )
        )
    if not items:
        raise NotFound(f"no command group {group_id!r}")
    return items


def list_commands(db: Database, *, device_id: str, limit: int = 50) -> list[Command]:
    """The latest commands of a device."""
    with db.session() as s:
        return list(
            s.scalars(
                select(Command)
                .where(Command.device_id == device_id)
                .order_by(Command.created_at.desc())
                .limit(limit)
            )
        )


def status_counts(commands: Sequence[Command]) -> dict[str, int]:
    """How many commands are in each status."""
    return dict(Counter(c.status for c in commands))


# ---------------------------------------------------------------- rules and alarms


def create_rule(db: Database, *, actor: Actor, data: RuleCreate) -> Rule:
    """Store a rule (version 1)."""
    _check_rule(data)
    with UnitOfWork(db, actor) as uow:
        if uow.session.scalar(select(Rule.id).where(Rule.name == data.name)) is not None:
            raise Conflict(f"a rule named {data.name!r} exists")
        rule = Rule(**data.model_dump(), version=1)
        uow.session.add(rule)
        uow.session.flush()
        uow.audit("create", "iot.rule", rule.id, after=rule_snapshot(rule))
    return rule


def update_rule(db: Database, *, actor: Actor, rule_id: int, data: RuleCreate) -> Rule:
    """Replace a rule's definition; its version goes up (open alarms keep the version that raised them)."""
    _check_rule(data)
    with UnitOfWork(db, actor) as uow:
        rule = uow.session.get(Rule, rule_id)
        if rule is None:
            raise NotFound(f"no rule {rule_id}")
        before = rule_snapshot(rule)
        for name, value in data.model_dump().items():
            setattr(rule, name, value)
        rule.version += 1
        uow.audit("update", "iot.rule", rule.id, before=before, after=rule_snapshot(rule))
    return rule


def _check_rule(data: RuleCreate) -> None:
    if data.device_type:
        get_device_type(data.device_type)
        if (
            data.key
            and data.kind != "state_change"
            and get_device_type(data.device_type).key(data.key) is None
        ):
            raise ValidationFailed.for_field("key", f"a {data.device_type} has no key {data.key!r}")
    check_params(data.kind, data.key, data.params)


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    """A rule as data (the export format)."""
    return {
        "name": rule.name,
        "kind": rule.kind,
        "device_type": rule.device_type,
        "device_id": rule.device_id,
        "tag": rule.tag,
        "key": rule.key,
        "params": dict(rule.params),
        "severity": rule.severity,
        "enabled": rule.enabled,
        "version": rule.version,
    }


def list_rules(db: Database) -> list[Rule]:
    """Every rule, by name."""
    with db.session() as s:
        return list(s.scalars(select(Rule).order_by(Rule.name)))


def import_rules(db: Database, *, actor: Actor, rules: list[dict[str, Any]]) -> tuple[int, int]:
    """Create or update rules by name from exported data; returns (created, updated)."""
    existing = {r.name: r for r in list_rules(db)}
    created = updated = 0
    for item in rules:
        data = RuleCreate.model_validate({k: v for k, v in item.items() if k != "version"})
        current = existing.get(data.name)
        if current is None:
            create_rule(db, actor=actor, data=data)
            created += 1
        elif rule_snapshot(current) | {"version": 0} != data.model_dump() | {"version": 0}:
            update_rule(db, actor=actor, rule_id=current.id, data=data)
            updated += 1
    return created, updated


def list_alarms(
    db: Database, *, state: str | None = None, device_id: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Alarm], int]:
    """Alarms, newest first; state 'open' means active or acknowledged."""
    conditions: list[Any] = []
    if state == "open":
        conditions.append(Alarm.open_key.is_not(None))
    elif state:
        conditions.append(Alarm.state == state)
    if device_id:
        conditions.append(Alarm.device_id == device_id)
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(Alarm).where(*conditions)) or 0
        items = list(
            s.scalars(
                select(Alarm)
                .where(*conditions)
                .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
                .limit(limit)
                .offset(offset)
            )
        )
    return items, total


def acknowledge_alarm(db: Database, *, actor: Actor, alarm_id: int) -> Alarm:
    """An operator takes note of an active alarm (it stays open until cleared)."""
    with UnitOfWork(db, actor) as uow:
        alarm = _open_alarm(uow.session, alarm_id)
        if alarm.state == "active":
            alarm.state, alarm.acknowledged_at, alarm.acknowledged_by = "acknowledged", utcnow(), actor.label
            uow.audit(
                "acknowledge",
                "iot.alarm",
                alarm.id,
                before={"state": "active"},
                after={"state": "acknowledged"},
            )
            uow.publish(AlarmAcknowledged(alarm_id=alarm.id, device_id=alarm.device_id, by=actor.label))
    return alarm


def clear_alarm(db: Database, *, actor: Actor, alarm_id: int) -> Alarm:
    """An operator closes an alarm by hand."""
    with UnitOfWork(db, actor) as uow:
        alarm = _open_alarm(uow.session, alarm_id)
        before = alarm.state
        alarm.state, alarm.cleared_at, alarm.open_key = "cleared", utcnow(), None
        uow.audit("clear", "iot.alarm", alarm.id, before={"state": before}, after={"state": "cleared"})
        uow.publish(AlarmCleared(alarm_id=alarm.id, device_id=alarm.device_id, by=actor.label))
    return alarm


def _open_alarm(session: Session, alarm_id: int) -> Alarm:
    alarm = session.get(Alarm, alarm_id)
    if alarm is None:
        raise NotFound(f"no alarm {alarm_id}")
    if alarm.open_key is None:
        raise Conflict(f"alarm {alarm_id} is already cleared")
    return alarm


def known_types() -> list[dict[str, Any]]:
    """Every device type with its keys and commands."""
    return [t.describe() for t in device_types().values()]


# ---------------------------------------------------------------- inventories (added for lighting, waste)


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
                ward_code=ward_at(db, lon=lon, lat=lat, on=data.installed_on or date.today()),
                installed_on=data.installed_on,
                status="active",
                tags=sorted(set(data.tags)),
                relationships=dict(data.relationships),
                mqtt_username=data.id,
                password_hash="!",  # noqa: S106 (no password: matches nothing until commissioned)
                mosquitto_hash=None,
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
            created.append(device)
        uow.session.flush()
    return created
