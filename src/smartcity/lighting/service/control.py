"""Pushing the plans to the lights: dim commands through the IoT core, cabinet contactors, confirmation
from the lights' reported state, and the group's NGSI-LD StreetlightGroup values."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta
from typing import Any

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.core.errors import AppError
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.iot import service as iot_service
from smartcity.iot.schemas import CommandCreate
from smartcity.lighting.events import GroupSwitched
from smartcity.lighting.faults import Moment, desired_level
from smartcity.lighting.models import Group
from smartcity.lighting.service.inventory import list_groups, list_lights, night_of, plan_for

CONTROLLER = Actor.system("lighting-controller")
COMMAND_TIMEOUT_S = 600
HEARTBEAT = timedelta(minutes=10)
LEVEL_TOLERANCE = 2
# A group's confirmation is kept as its Vietnamese sentence (the API returns it so); these are the sentences
# it is written from, so that a page reads it back as a `Phrase` and says it in the page's language.
SENT = "Đã gửi lệnh {level} % tới {lights} đèn, chờ đèn báo lại."
ALL_CONFIRMED = "Tất cả {lights} đèn đã báo đúng mức {level} %."
SOME_CONFIRMED = "{matching}/{lights} đèn đã báo đúng mức {level} %."
_CONFIRMATIONS = tuple(
    (re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[0-9.]+)", re.escape(template))), template)
    for template in (SENT, ALL_CONFIRMED, SOME_CONFIRMED)
)


def _confirmation(template: str, **counts: int) -> Phrase:
    """The sentence `template` with its counts and level (numbers: written the page's way when said)."""
    return Phrase(template, **{name: float(count) for name, count in counts.items()})


def confirmation_in_words(text: str | None) -> str:
    """A group's stored confirmation as a `Phrase` a page translates (its numbers written the page's way);
    a sentence the platform did not write from its templates as itself; None as an empty text."""
    for pattern, template in _CONFIRMATIONS:
        if found := pattern.fullmatch(text or ""):
            return _confirmation(
                template, **{k: int(v.replace(".", "")) for k, v in found.groupdict().items()}
            )
    return Phrase.of(text) if text else ""


def moment_for(db: Database, *, group: Group, now: datetime) -> Moment:
    """Tonight's (or the current) plan and the previous night's, for a group at a moment."""
    night = night_of(now, db)
    plan = plan_for(db, group=group, night=night)
    if now >= plan.off_at:
        return Moment(now, plan_for(db, group=group, night=night + timedelta(days=1)), plan)
    return Moment(now, plan, plan_for(db, group=group, night=night - timedelta(days=1)))


def apply_schedules(db: Database, *, now: datetime | None = None) -> int:
    """Send each group whose level should change its new level; returns the groups switched."""
    now = now or clock.now()
    switched = 0
    for group in list_groups(db):
        moment = moment_for(db, group=group, now=now)
        level = desired_level(moment)
        if level != group.commanded_level:
            _switch(db, group, level, moment)
            switched += 1
        elif _published_before(db, group.id, now - HEARTBEAT):
            _publish_group(db, group, level, moment)
    return switched


def _published_before(db: Database, group_id: str, cutoff: datetime) -> bool:
    """Whether the group's device was last written before `cutoff` (or never)."""
    state = iot_service.latest_state(db, device_ids=[group_id]).get(group_id, {})
    return not state or max(seen for _value, seen in state.values()) < cutoff


def _switch(db: Database, group: Group, level: int, moment: Moment) -> None:
    lights = [light.id for light in list_lights(db, group_id=group.id)]
    command_group = None
    if lights:
        command_group, _ = iot_service.send_commands(
            db,
            actor=CONTROLLER,
            data=CommandCreate(
                name="dim", params={"dimLevel": level}, device_ids=lights, timeout_seconds=COMMAND_TIMEOUT_S
            ),
        )
    contactor = "on" if level > 0 else "off"
    was_on = (group.commanded_level or 0) > 0
    if group.commanded_level is None or was_on != (level > 0):
        # a cabinet out of service does not stop the lights' own commands
        with contextlib.suppress(AppError):
            iot_service.send_commands(
                db,
                actor=CONTROLLER,
                data=CommandCreate(
                    name="switch",
                    params={"state": contactor},
                    device_ids=[group.cabinet_id],
                    timeout_seconds=COMMAND_TIMEOUT_S,
                ),
            )
    with UnitOfWork(db, CONTROLLER) as uow:
        row = uow.session.get(Group, group.id)
        assert row is not None
        before = row.commanded_level
        row.commanded_level, row.commanded_at, row.command_group_id = level, moment.now, command_group
        row.confirmed_at, row.confirmation = (
            None,
            _confirmation(SENT, level=level, lights=len(lights)),
        )
        uow.audit("switch", "lighting.group", group.id, before={"level": before}, after={"level": level})
        uow.publish(
            GroupSwitched(
                group_id=group.id,
                level=level,
                at=moment.now.isoformat(),
                reason=moment.plan.reason,
                lights=len(lights),
            )
        )
    _publish_group(db, group, level, moment)


def _publish_group(db: Database, group: Group, level: int, moment: Moment) -> None:
    """Write the group's state and tonight's times on its StreetlightGroup device (NGSI-LD)."""
    plan = moment.plan
    local_on, local_off = clock.local(plan.on_at, db.settings), clock.local(plan.off_at, db.settings)
    values = {
        "powerState": "off" if level == 0 else ("on" if level >= 100 else "low"),
        "dimLevel": level,
        "switchingOnHours": f"{local_on:%H:%M}-{local_off:%H:%M}",
        "dateNextSwitchingOn": local_on.isoformat(timespec="minutes"),
        "dateNextSwitchingOff": local_off.isoformat(timespec="minutes"),
        "activeProgramId": plan.reason[:200],
    }
    envelope = iot_service.Envelope(
        payload={"ts": moment.now.isoformat(), "msg_id": f"plan-{moment.now:%Y%m%d%H%M%S}", "values": values},
        device_id=group.id,
    )
    iot_service.ingest(db, envelopes=[envelope], now=moment.now + timedelta(seconds=1))


def confirm_states(db: Database, *, now: datetime | None = None) -> int:
    """Compare each switched group's lights' reported state with the command; returns groups confirmed."""
    now = now or clock.now()
    confirmed = 0
    for group in list_groups(db):
        if group.commanded_level is None or group.confirmed_at is not None or group.commanded_at is None:
            continue
        lights = list_lights(db, group_id=group.id)
        states = iot_service.latest_state(db, device_ids=[light.id for light in lights])
        matching = [
            light.id
            for light in lights
            if _matches(states.get(light.id, {}), group.commanded_level, group.commanded_at)
        ]
        done = len(matching) == len(lights)
        with UnitOfWork(db, CONTROLLER) as uow:
            row = uow.session.get(Group, group.id)
            assert row is not None
            row.confirmation = (
                _confirmation(ALL_CONFIRMED, lights=len(lights), level=group.commanded_level)
                if done
                else _confirmation(
                    SOME_CONFIRMED, matching=len(matching), lights=len(lights), level=group.commanded_level
                )
            )
            row.confirmed_at = now if done else None
        confirmed += done
    return confirmed


def _matches(state: dict[str, tuple[Any, datetime]], level: int, since: datetime) -> bool:
    reported = state.get("dimLevel")
    power_state = state.get("powerState")
    if reported is None or reported[1] < since:
        return False
    if level == 0:
        return power_state is not None and power_state[0] == "off"
    return abs(float(reported[0]) - level) <= LEVEL_TOLERANCE
