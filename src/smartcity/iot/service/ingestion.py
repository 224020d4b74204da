"""Ingestion: part of the iot service (see __init__)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, configure_mappers

from smartcity.core import clock
from smartcity.core.db import Database, utcnow
from smartcity.core.i18n import Phrase
from smartcity.core.uow import UnitOfWork
from smartcity.iot.device_types import device_types
from smartcity.iot.events import (
    TelemetryIngested,
)
from smartcity.iot.models import (
    Device,
    LatestValue,
    NgsiSubscription,
    RegistryStamp,
)
from smartcity.iot.pipeline import Accepted, DeviceInfo, Envelope, Refused, judge, to_rows, typed_value
from smartcity.iot.rules import (
    MAX_REMEMBERED_DEVICES,
    AlarmBook,
    RuleSet,
    RuleSpec,
    Sample,
    current_rules,
    evaluate,
    load_rules,
    one_of,
)
from smartcity.iot.service.common import INGEST_ACTOR
from smartcity.iot.writer import StoredBefore, advance_latest, count_rejections, store_telemetry


@dataclass
class IngestOutcome:
    """What a batch did: messages stored, duplicates ignored, messages refused."""

    accepted: int = 0
    duplicates: int = 0
    refused: list[Refused] = field(default_factory=list)


# After a batch met a message stored before, this many batches go through the staging table (a device that
# repeats its message ids must not make every batch run twice).
STAGED_AFTER_A_REPEAT = 20
_staged_batches_left: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()


def ingest(db: Database, *, envelopes: Sequence[Envelope], now: datetime | None = None) -> IngestOutcome:
    """Validate, store (once) and evaluate a batch of device messages in one transaction.

    A batch is first stored as new (straight into the table); when it holds a message stored before (a
    delivery again after a lost acknowledgement), that transaction is rolled back whole and the batch runs
    again through the staging table, which keeps each message once.
    """
    now = now or utcnow()
    if not envelopes:
        return IngestOutcome()
    left = _staged_batches_left.get(db, 0)
    if left == 0:
        try:
            return _ingest(db, envelopes, now, assume_new=True)
        except StoredBefore:
            left = STAGED_AFTER_A_REPEAT
    _staged_batches_left[db] = left - 1
    return _ingest(db, envelopes, now, assume_new=False)


def prepare_ingest(db: Database) -> None:
    """Do once, before a process takes messages, what its first batch would do besides: configure the ORM
    mappers, open a database connection, read the registry stamp, compile the rules and the reads."""
    configure_mappers()
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        _devices(uow, [])
        current_rules(uow)
        _active_subscription_specs(uow.session)
        AlarmBook(uow, set())


def _ingest(db: Database, envelopes: Sequence[Envelope], now: datetime, *, assume_new: bool) -> IngestOutcome:
    outcome = IngestOutcome()
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        devices = _devices(uow, envelopes)
        verdicts = [judge(i, e, devices, now) for i, e in enumerate(envelopes)]
        accepted = [v for v in verdicts if isinstance(v, Accepted)]
        outcome.refused = [v for v in verdicts if isinstance(v, Refused)]
        rule_set = current_rules(uow) if accepted else None
        previous = _previous_samples(uow.session, accepted, rule_set)  # before the latest values move
        rows = [row for message in accepted for row in to_rows(message)]
        new_keys = store_telemetry(uow.session, rows, assume_new=assume_new)  # None: every row was new
        fresh = _first_of_each(accepted, new_keys)
        outcome.accepted, outcome.duplicates = len(fresh), len(accepted) - len(fresh)
        if rule_set is not None:
            _evaluate_rules(uow, fresh, rule_set, previous)
        _announce(uow, fresh)
        count_rejections(uow.session, _rejection_counts(outcome.refused, now))
        advance_latest(uow.session, rows, new_keys)  # last: the latest rows stay locked until the commit
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


def _first_of_each(messages: list[Accepted], new_keys: set[tuple[str, str]] | None) -> list[Accepted]:
    """The messages stored now (not before; None: all of them), each (device, message id) once."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for message in messages:
        key = (message.device.id, message.msg_id)
        if (new_keys is None or key in new_keys) and key not in seen:
            seen.add(key)
            unique.append(message)
    return unique


@dataclass
class _KnownDevices:
    """The registry as an ingest process remembers it, valid while the registry stamp has not moved;
    None for an id the registry does not have."""

    stamp: int
    devices: dict[str, DeviceInfo | None] = field(default_factory=dict)


_known_devices: weakref.WeakKeyDictionary[Database, _KnownDevices] = weakref.WeakKeyDictionary()
STAMP_QUERY = select(RegistryStamp.version).where(RegistryStamp.id == 1)


def _devices(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> dict[str, DeviceInfo]:
    """The registry's view of the batch's devices (type, status, tags, place): from memory while the
    registry stamp is the one it was read under (one small read a batch), else read again."""
    ids = {e.device_id for e in envelopes if e.device_id}
    claimed = (e.payload.get("device_id") for e in envelopes if isinstance(e.payload, dict))
    ids.update(i for i in claimed if isinstance(i, str) and i)
    stamp = uow.session.execute(STAMP_QUERY).scalar()
    if stamp is None:  # no stamp row: nothing can tell when the registry changes, read every time
        return _read_devices(uow.session, ids)
    known = _known_devices.get(uow.db)
    if known is None or known.stamp != stamp or len(known.devices) > MAX_REMEMBERED_DEVICES:
        known = _known_devices[uow.db] = _KnownDevices(stamp)
    missing = ids.difference(known.devices)
    if missing:
        found = _read_devices(uow.session, missing)
        known.devices.update((i, found.get(i)) for i in missing)
    devices = known.devices
    return {i: device for i in ids if (device := devices[i]) is not None}


# What ingestion reads of a device (DeviceInfo's fields, in order).
DEVICE_INFO = (Device.id, Device.type, Device.status, Device.tags, Device.lon, Device.lat, Device.name)


def _info(row: Any) -> DeviceInfo:
    return DeviceInfo(row.id, row.type, row.status, tuple(row.tags or ()), row.lon, row.lat, row.name)


def _read_devices(session: Session, ids: set[str]) -> dict[str, DeviceInfo]:
    query = select(*DEVICE_INFO).where(one_of(session, Device.id, sorted(ids)))
    return {r.id: _info(r) for r in session.connection().execute(query).all()}


def _rejection_counts(
    refused: list[Refused], now: datetime
) -> dict[tuple[str, str], tuple[int, str, datetime]]:
    counts: dict[tuple[str, str], tuple[int, str, datetime]] = {}
    for item in refused:
        previous = counts.get((item.device_id, item.reason), (0, "", now))[0]
        counts[(item.device_id, item.reason)] = (previous + 1, item.detail, now)
    return counts


def _previous_samples(
    session: Session, messages: list[Accepted], rule_set: RuleSet | None
) -> dict[tuple[str, str], Sample]:
    """The stored latest values a rate or state-change rule of the batch compares with (none otherwise)."""
    if rule_set is None or not rule_set.previous_keys:
        return {}
    devices = {m.device.id for m in messages if rule_set.for_device(m.device)}
    return _latest_samples(session, devices, rule_set.previous_keys) if devices else {}


def _evaluate_rules(
    uow: UnitOfWork, messages: list[Accepted], rule_set: RuleSet, previous: dict[tuple[str, str], Sample]
) -> None:
    """Apply the compiled rules to the new messages, oldest first; no read per message."""
    if not rule_set.rules:
        return
    watched = [
        (m, rules) for m in sorted(messages, key=lambda m: m.ts) if (rules := rule_set.for_device(m.device))
    ]
    if not watched:
        return
    devices = {message.device.id for message, _ in watched}
    keys = rule_set.previous_keys
    book = AlarmBook(uow, devices)
    for message, rules in watched:
        device, ts = message.device, message.ts
        for rule in rules:
            if rule.kind == "no_data":
                if book.is_open(rule, device):  # data can only clear an open no-data alarm
                    book.apply(rule, device, evaluate(rule, Sample(None, ts), None), at=ts)
                continue
            if rule.key not in message.values:
                continue
            current = Sample(message.values[rule.key], ts)
            verdict = evaluate(rule, current, previous.get((device.id, rule.key)))
            book.apply(rule, device, verdict, at=ts, value=current.value)
        if keys:
            _remember(previous, message, keys)


def _remember(previous: dict[tuple[str, str], Sample], message: Accepted, keys: frozenset[str]) -> None:
    """The message's values of watched keys become the previous values of the next messages."""
    for key in keys.intersection(message.values):
        last = previous.get((message.device.id, key))
        if last is None or message.ts >= last.ts:
            previous[(message.device.id, key)] = Sample(message.values[key], message.ts)


def _latest_samples(
    session: Session, device_ids: set[str], keys: frozenset[str]
) -> dict[tuple[str, str], Sample]:
    """The stored latest values of the watched keys of these devices (for rate and state-change rules)."""
    query = (
        select(
            LatestValue.device_id,
            LatestValue.key,
            LatestValue.value,
            LatestValue.text_value,
            LatestValue.ts,
            Device.type,
        )
        .join(Device, Device.id == LatestValue.device_id)
        .where(one_of(session, LatestValue.device_id, sorted(device_ids)), LatestValue.key.in_(sorted(keys)))
    )
    return {
        (r.device_id, r.key): Sample(typed_value(r.type, r.key, r.value, r.text_value), r.ts)
        for r in session.execute(query).all()
    }


@dataclass
class _Watch:
    """Since when this process has watched a database for silent devices, and since when its sweeps fail."""

    since: datetime
    failing_since: datetime | None = None


# A sweep failing for this long (the database away): nothing was stored either, the watch starts again.
LONG_OUTAGE = timedelta(minutes=2)
_watches: weakref.WeakKeyDictionary[Database, _Watch] = weakref.WeakKeyDictionary()


def check_silent_devices(db: Database, *, now: datetime | None = None) -> int:
    """Raise a no-data alarm for each watched device silent for longer than its rule allows, once the
    platform has been listening for that long.

    That a device sent nothing for N minutes is known only after N minutes of listening: a rule raises
    nothing until this process has watched for its whole window. The watch starts at the process's first
    sweep (the sweep runs where messages are taken or events relayed: `smartcity ingest`, the worker, the
    demo's relay) and again after sweeps that kept failing for LONG_OUTAGE (a busy moment does not count).
    """
    now = now or clock.now()
    watch = _watches.setdefault(db, _Watch(now))
    if watch.failing_since is not None and now - watch.failing_since >= LONG_OUTAGE:
        watch.since, watch.failing_since = now, None
    try:
        raised = _raise_no_data_alarms(db, now, listened=now - watch.since)
    except Exception:
        watch.failing_since = watch.failing_since or now
        raise
    watch.failing_since = None
    return raised


def forget_watch(db: Database) -> None:
    """Start the silence watch on `db` again at the next sweep (as a new process would)."""
    _watches.pop(db, None)


def _raise_no_data_alarms(db: Database, now: datetime, *, listened: timedelta) -> int:
    raised = 0
    with UnitOfWork(db, INGEST_ACTOR) as uow:
        for rule in (r for r in load_rules(uow) if r.kind == "no_data"):
            window = timedelta(minutes=rule.params["minutes"])
            if listened < window:  # not listened for the whole window yet: silence cannot be told apart
                continue
            silent = _silent_devices(uow.session, rule, now - window)
            book = AlarmBook(uow, {d.id for d in silent})
            for device in silent:
                if (rule.id, device.id) not in book.open:
                    book.apply(rule, device, (True, _silence(rule.params["minutes"])), at=now)
                    raised += 1
    return raised


def _silence(minutes: float) -> Phrase:
    """The no-data alarm's reason, as the operator reads it (the minutes in the page's digits)."""
    return Phrase("không nhận được dữ liệu trong {minutes} phút", minutes=float(minutes))


def _silent_devices(session: Session, rule: RuleSpec, cutoff: datetime) -> list[DeviceInfo]:
    last_seen = (
        select(LatestValue.device_id, func.max(LatestValue.ts).label("seen"))
        .group_by(LatestValue.device_id)
        .subquery()
    )
    query = (
        select(*DEVICE_INFO)
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
    infos = [_info(r) for r in session.execute(query)]
    return [d for d in infos if rule.applies_to(d)]
