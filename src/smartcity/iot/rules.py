"""Rules as data and their evaluation; alarms raised and cleared in the caller's unit of work.

Kinds and their params:
- threshold: {"op": ">"|">="|"<"|"<="|"=="|"!=", "value": number}: alarm while the condition holds.
- range: {"min": number, "max": number} (either may be absent): alarm while the value is outside.
  Both take an optional "readings": 2 to raise only when the reading before also met the condition (one odd
  reading, a sensor's glitch, raises nothing); the default 1 raises on the first.
- rate: {"max_per_minute": number}: alarm when the value changes faster than that between two messages.
- state_change: {"to": [values], "from": [values] (optional)}: alarm when the value changes into one of
  `to` (from one of `from`); cleared when it leaves `to`.
- no_data: {"minutes": number}: alarm when a device has sent nothing for that long (checked by a sweep).
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, String, any_, literal, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.types import ARRAY

from smartcity.core.db import Database
from smartcity.core.errors import ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.uow import UnitOfWork
from smartcity.iot.device_types import device_types
from smartcity.iot.events import AlarmCleared, AlarmRaised
from smartcity.iot.models import Alarm, Rule
from smartcity.iot.pipeline import DeviceInfo
from smartcity.iot.wording import key_label, readable, value_name

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
KEYED_KINDS = ("threshold", "range", "rate", "state_change")
PREVIOUS_KINDS = ("rate", "state_change")  # kinds that compare a value with the one before it
CONFIRMABLE_KINDS = ("threshold", "range")  # kinds that may ask for two readings in a row ("readings": 2)
MAX_REMEMBERED_DEVICES = 200_000


@dataclass(frozen=True)
class RuleSpec:
    """A rule as evaluation needs it (detached from the session)."""

    id: int
    name: str
    kind: str
    version: int
    severity: str
    key: str | None
    params: dict[str, Any]
    device_type: str | None = None
    device_id: str | None = None
    tag: str | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, rule: Rule) -> RuleSpec:
        """The spec of a stored rule."""
        return cls(
            rule.id,
            rule.name,
            rule.kind,
            rule.version,
            rule.severity,
            rule.key,
            dict(rule.params),
            rule.device_type,
            rule.device_id,
            rule.tag,
            rule.updated_at,
        )

    def applies_to(self, device: DeviceInfo) -> bool:
        """True when this rule watches `device`."""
        return (
            (self.device_id is None or self.device_id == device.id)
            and (self.device_type is None or self.device_type == device.type)
            and (self.tag is None or self.tag in device.tags)
        )


class Sample(NamedTuple):
    """A value of a key at a time."""

    value: Any
    ts: datetime


Verdict = tuple[bool | None, str]  # (alarm? / clear? / no opinion, message)


def check_params(kind: str, key: str | None, params: dict[str, Any]) -> None:
    """Raise ValidationFailed when a rule's params do not fit its kind."""
    if kind in KEYED_KINDS and not key:
        raise ValidationFailed.for_field("key", f"a {kind} rule needs the key it watches")
    checks: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "threshold": lambda p: (
            None
            if p.get("op") in OPERATORS and _is_number(p.get("value"))
            else "needs op (one of > >= < <= == !=) and a numeric value"
        ),
        "range": lambda p: (
            None
            if (_is_number(p.get("min")) or _is_number(p.get("max")))
            and all(p.get(k) is None or _is_number(p.get(k)) for k in ("min", "max"))
            else "needs min and/or max"
        ),
        "rate": lambda p: (
            None
            if _is_number(p.get("max_per_minute")) and p["max_per_minute"] > 0
            else "needs a positive max_per_minute"
        ),
        "state_change": lambda p: (
            None
            if isinstance(p.get("to"), list) and p["to"] and isinstance(p.get("from", []), list)
            else "needs a non-empty list 'to' (and optionally 'from')"
        ),
        "no_data": lambda p: (
            None
            if _is_number(p.get("minutes")) and p["minutes"] > 0
            else "needs a positive number of minutes"
        ),
    }
    problem = checks[kind](params)
    if problem is None and kind in CONFIRMABLE_KINDS and params.get("readings", 1) not in (1, 2):
        problem = "readings must be 1 or 2 (how many readings in a row meet the condition)"
    if problem:
        raise ValidationFailed.for_field("params", f"{kind} rule {problem}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: Any) -> float | str:
    """A number as a phrase's part (written with the page's digits); "…" for an open end of a range."""
    return "…" if value is None else float(value)


def _word(said: str, code: Any) -> str:
    """A word the platform declares (a label, a value's name) as a part the page translates; a code with no
    word of its own as it is."""
    return Phrase.of(said) if said != str(code) else said


def _watched(rule: RuleSpec, device: DeviceInfo) -> str:
    """The watched key by its name in words (the device type's label where it declares one, translated on
    the page); empty for a rule that watches the device as a whole (no data)."""
    if rule.kind == "no_data" or not rule.key:
        return ""
    kind = device_types().get(device.type)
    return _word(key_label(kind, rule.key), rule.key) if kind is not None else readable(rule.key)


def alarm_phrase(rule: RuleSpec, device: DeviceInfo, verdict: str) -> Phrase:
    """The alarm's sentence: the rule's name as staff wrote it (translated where a catalogue has it, as the
    demo's rules), the watched key and the verdict's words."""
    name, watched, said = Phrase.of(rule.name), _watched(rule, device), Phrase.of(verdict) if verdict else ""
    if not watched:
        return Phrase("{rule}: {verdict}", rule=name, verdict=said)
    return Phrase("{rule}: {key} {verdict}", rule=name, key=watched, verdict=said)


def evaluate(rule: RuleSpec, current: Sample, previous: Sample | None) -> Verdict:
    """What `rule` says about a new value of its key, given the previous one."""
    if rule.kind == "no_data":
        return False, "data received"
    if rule.kind == "state_change":
        return _state_change(rule, current, previous)
    if not _is_number(current.value):
        return None, ""
    value = float(current.value)
    if rule.kind in CONFIRMABLE_KINDS:
        hit, message = _condition(rule, value)
        if hit and rule.params.get("readings", 1) > 1 and not _confirmed(rule, previous):
            return None, ""  # the first reading over: wait for the next before calling it an alarm
        return hit, message
    return _rate(rule, value, current, previous)


def _condition(rule: RuleSpec, value: float) -> Verdict:
    """Whether a threshold or range rule's condition holds for `value`, and the alarm's words for it."""
    if rule.kind == "threshold":
        hit = OPERATORS[rule.params["op"]](value, rule.params["value"])
        limit = _number(rule.params["value"])
        return hit, Phrase("= {value} (ngưỡng {op} {limit})", value=value, op=rule.params["op"], limit=limit)
    low, high = rule.params.get("min"), rule.params.get("max")
    outside = (low is not None and value < low) or (high is not None and value > high)
    words = "= {value}, ngoài khoảng {low} – {high}"
    return outside, Phrase(words, value=value, low=_number(low), high=_number(high))


def _confirmed(rule: RuleSpec, previous: Sample | None) -> bool:
    """Whether the reading before also met the rule's condition."""
    if previous is None or not _is_number(previous.value):
        return False
    return bool(_condition(rule, float(previous.value))[0])


def _rate(rule: RuleSpec, value: float, current: Sample, previous: Sample | None) -> Verdict:
    if previous is None or not _is_number(previous.value):
        return None, ""
    minutes = (current.ts - previous.ts).total_seconds() / 60
    if minutes <= 0:
        return None, ""
    rate = abs(value - float(previous.value)) / minutes
    return rate > rule.params["max_per_minute"], Phrase("thay đổi {rate} mỗi phút", rate=round(rate, 2))


def _state_change(rule: RuleSpec, current: Sample, previous: Sample | None) -> Verdict:
    into, source = rule.params["to"], rule.params.get("from")
    if current.value not in into:
        return False, f"= {current.value}"
    was = previous.value if previous else None
    if was in into:
        return None, ""
    if source and was not in source:
        return None, ""
    return True, Phrase("{was} → {now}", was=_value(was), now=_value(current.value))


def _value(value: Any) -> str:
    """A value by its name (translated on the page) where it has one, else as it is."""
    return _word(value_name(value), value)


def _confirms(rule: RuleSpec) -> bool:
    return rule.kind in CONFIRMABLE_KINDS and rule.params.get("readings", 1) > 1


def load_rules(uow: UnitOfWork) -> list[RuleSpec]:
    """Every enabled rule."""
    query = select(Rule).where(Rule.enabled.is_(True)).order_by(Rule.id)
    return [RuleSpec.of(r) for r in uow.session.scalars(query)]


RuleStamp = tuple[tuple[int, int, datetime | None], ...]  # (id, version, updated_at) of every enabled rule


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules, compiled once: which of them watch a device, which keys need the value before."""

    stamp: RuleStamp
    rules: tuple[RuleSpec, ...]
    previous_keys: frozenset[str]
    _by_device: dict[tuple[str, str, tuple[str, ...]], tuple[RuleSpec, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, rules: list[RuleSpec]) -> RuleSet:
        """The rule set of these specs."""
        watched = frozenset(r.key for r in rules if r.key and (r.kind in PREVIOUS_KINDS or _confirms(r)))
        return cls(tuple((r.id, r.version, r.updated_at) for r in rules), tuple(rules), watched)

    def for_device(self, device: DeviceInfo) -> tuple[RuleSpec, ...]:
        """The rules watching `device` (worked out once per device, type and tags)."""
        key = (device.id, device.type, device.tags)
        found = self._by_device.get(key)
        if found is None:
            if len(self._by_device) >= MAX_REMEMBERED_DEVICES:
                self._by_device.clear()
            found = self._by_device[key] = tuple(r for r in self.rules if r.applies_to(device))
        return found


_rule_sets: weakref.WeakKeyDictionary[Database, RuleSet] = weakref.WeakKeyDictionary()


def current_rules(uow: UnitOfWork) -> RuleSet:
    """The compiled enabled rules: one small read of (id, version) a batch; compiled again only when a rule
    was created, changed, enabled or disabled (by this process or any other)."""
    query = select(Rule.id, Rule.version, Rule.updated_at).where(Rule.enabled.is_(True)).order_by(Rule.id)
    stamp = tuple((i, v, at) for i, v, at in uow.session.execute(query))
    cached = _rule_sets.get(uow.db)
    if cached is None or cached.stamp != stamp:
        cached = RuleSet.of(load_rules(uow))
        _rule_sets[uow.db] = cached
    return cached


def one_of(session: Session, column: InstrumentedAttribute[str], values: list[str]) -> ColumnElement[bool]:
    """`column` is one of `values`: one array parameter on PostgreSQL (a statement prepared once), IN on
    SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(String)))
    return column.in_(values)


class AlarmBook:
    """Open alarms of some devices, raising and clearing them inside one unit of work."""

    def __init__(self, uow: UnitOfWork, device_ids: set[str]) -> None:
        self.uow = uow
        query = select(Alarm.rule_id, Alarm.device_id, Alarm.id).where(
            Alarm.open_key.is_not(None), one_of(uow.session, Alarm.device_id, sorted(device_ids))
        )
        self.open: dict[tuple[int, str], int] = {(r, d): i for r, d, i in uow.session.execute(query)}

    def is_open(self, rule: RuleSpec, device: DeviceInfo) -> bool:
        """Whether `rule` has an open alarm on `device`."""
        return (rule.id, device.id) in self.open

    def apply(
        self, rule: RuleSpec, device: DeviceInfo, verdict: Verdict, *, at: datetime, value: Any = None
    ) -> None:
        """Raise an alarm when the verdict is True and none is open; clear the open one when False."""
        hit, message = verdict
        existing = self.open.get((rule.id, device.id))
        if hit and existing is None:
            self._raise(rule, device, message, at, value)
        elif hit is False and existing is not None:
            alarm = self.uow.session.get(Alarm, existing)
            if alarm is not None:
                self._clear(alarm, at, by="rule")

    def _raise(self, rule: RuleSpec, device: DeviceInfo, message: str, at: datetime, value: Any) -> None:
        numeric = float(value) if _is_number(value) else None
        said = alarm_phrase(rule, device, message)
        alarm = Alarm(
            rule_id=rule.id,
            rule_version=rule.version,
            device_id=device.id,
            key=rule.key,
            severity=rule.severity,
            state="active",
            message=str(said),
            message_phrase=said.to_json(),
            value=numeric,
            raised_at=at,
            open_key=f"{rule.id}:{device.id}",
        )
        self.uow.session.add(alarm)
        self.uow.session.flush()
        self.open[(rule.id, device.id)] = alarm.id
        self.uow.audit(
            "raise",
            "iot.alarm",
            alarm.id,
            after={"rule": rule.id, "device": device.id, "message": alarm.message},
        )
        self.uow.publish(
            AlarmRaised(
                alarm_id=alarm.id,
                rule_id=rule.id,
                rule_name=rule.name,
                device_id=device.id,
                device_type=device.type,
                severity=rule.severity,
                message=alarm.message,
                raised_at=at.isoformat(),
                key=rule.key,
                value=numeric,
                lon=device.lon,
                lat=device.lat,
                rule_kind=rule.kind,
                device_name=device.name,
                message_phrase=said.to_json(),
            )
        )

    def _clear(self, alarm: Alarm, at: datetime, *, by: str) -> None:
        before = alarm.state
        alarm.state, alarm.cleared_at, alarm.open_key = "cleared", at, None
        self.open.pop((alarm.rule_id, alarm.device_id), None)
        self.uow.audit("clear", "iot.alarm", alarm.id, before={"state": before}, after={"state": "cleared"})
        self.uow.publish(AlarmCleared(alarm_id=alarm.id, device_id=alarm.device_id, by=by))
