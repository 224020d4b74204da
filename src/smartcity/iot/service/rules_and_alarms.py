"""Rules and alarms: part of the iot service (see __init__)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.db import Database, get_or_404, utcnow
from smartcity.core.errors import Conflict, ValidationFailed, found_or_404
from smartcity.core.pages import count_and_slice
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot.device_types import device_types, get_device_type
from smartcity.iot.events import (
    AlarmAcknowledged,
    AlarmCleared,
)
from smartcity.iot.models import (
    Alarm,
    Rule,
)
from smartcity.iot.rules import check_params
from smartcity.iot.schemas import RuleCreate


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
        rule = get_or_404(uow.session, Rule, rule_id, f"no rule {rule_id}")
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
    return db.all(select(Rule).order_by(Rule.name))


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
    order = (Alarm.raised_at.desc(), Alarm.id.desc())
    with db.session() as s:
        return count_and_slice(s, select(Alarm).where(*conditions), *order, limit=limit, offset=offset)


def open_alarm_ids(db: Database, alarm_ids: Collection[int]) -> set[int]:
    """Which of these alarms are still open (active or acknowledged)."""
    if not alarm_ids:
        return set()
    query = select(Alarm.id).where(Alarm.id.in_(sorted(alarm_ids)), Alarm.open_key.is_not(None))
    with db.session() as s:
        return set(s.scalars(query))


def alarmed_device_ids(db: Database) -> set[str]:
    """The devices with an open alarm (active or acknowledged), however many there are."""
    with db.session() as s:
        return set(s.scalars(select(Alarm.device_id).where(Alarm.open_key.is_not(None)).distinct()))


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
    alarm = found_or_404(session.get(Alarm, alarm_id), f"no alarm {alarm_id}")
    if alarm.open_key is None:
        raise Conflict(f"alarm {alarm_id} is already cleared")
    return alarm


def known_types() -> list[dict[str, Any]]:
    """Every device type with its keys and commands."""
    return [t.describe() for t in device_types().values()]
