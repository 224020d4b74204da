"""Commands: part of the iot service (see __init__)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot.device_types import get_device_type
from smartcity.iot.events import (
    CommandFinished,
)
from smartcity.iot.models import (
    Command,
    Device,
)
from smartcity.iot.schemas import CommandCreate
from smartcity.iot.service.common import FINAL_COMMAND_STATES, INGEST_ACTOR
from smartcity.iot.service.registry import DeviceFilter, _device_conditions


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
