"""The dossier workflow: which actions are possible now, for whom, and what each one changes.

Pure functions over a `Dossier` row (no session needed), so that property-based tests can drive them.
Processing-step actions are named after the template's steps (assign, process, review, decide); the
others are fixed: receive, refuse, request_supplement, supplement, request_payment, pay, withdraw, stop,
transfer, apologise, return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from smartcity.city.service import WorkingCalendar
from smartcity.core.errors import Conflict, Forbidden, ValidationFailed
from smartcity.core.i18n import Phrase
from smartcity.core.security import Actor
from smartcity.dossiers import deadlines
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.states import (
    ACCEPTED,
    DONE,
    OPEN,
    PAYMENT,
    PROCESSING,
    REFUSED,
    RETURNED,
    STOPPED,
    SUBMITTED,
    SUPPLEMENT,
    WITHDRAWN,
    state_name,
)
from smartcity.procedures.service import Step, template

APPLICANT = "applicant"
Who = tuple[tuple[str, str], ...]  # (role, unit slot); role "applicant" = the dossier's own applicant


@dataclass(frozen=True)
class Rule:
    """When an action is possible and who may take it."""

    action: str
    label: str
    states: frozenset[int]
    who: Who
    needs_reason: bool = False


FIXED_RULES: dict[str, Rule] = {
    r.action: r
    for r in (
        Rule("receive", "Tiếp nhận hồ sơ", frozenset({SUBMITTED}), (("clerk", "intake"),)),
        Rule(
            "refuse", "Từ chối tiếp nhận", frozenset({SUBMITTED}), (("clerk", "intake"),), needs_reason=True
        ),
        Rule(
            "request_supplement",
            "Yêu cầu bổ sung hồ sơ",
            frozenset({SUBMITTED, ACCEPTED, PROCESSING}),
            (("clerk", "intake"), ("specialist", "processing")),
            needs_reason=True,
        ),
        Rule("supplement", "Bổ sung hồ sơ", frozenset({SUPPLEMENT}), ((APPLICANT, ""), ("clerk", "intake"))),
        Rule(
            "request_payment",
            "Yêu cầu thực hiện nghĩa vụ tài chính",
            frozenset({PROCESSING}),
            (("specialist", "processing"),),
        ),
        Rule("pay", "Ghi nhận đã nộp phí, lệ phí", frozenset({PAYMENT}), (("clerk", "intake"),)),
        Rule(
            "withdraw",
            "Rút hồ sơ",
            frozenset({SUBMITTED, ACCEPTED, PROCESSING, SUPPLEMENT, PAYMENT}),
            ((APPLICANT, ""), ("clerk", "intake")),
        ),
        Rule(
            "stop",
            "Dừng xử lý",
            frozenset({ACCEPTED, PROCESSING, SUPPLEMENT, PAYMENT}),
            (("head", "processing"), ("leader", "deciding")),
            needs_reason=True,
        ),
        Rule(
            "transfer",
            "Chuyển liên thông",
            frozenset({ACCEPTED, PROCESSING}),
            (("head", "processing"),),
            needs_reason=True,
        ),
        Rule(
            "apologise",
            "Xin lỗi và hẹn lại ngày trả kết quả",
            frozenset(OPEN),
            (("head", "processing"), ("specialist", "processing")),
            needs_reason=True,
        ),
        Rule("return", "Trả kết quả", frozenset({DONE}), (("clerk", "intake"), (APPLICANT, ""))),
    )
}


def steps_of(dossier: Dossier) -> tuple[Step, ...]:
    """The workflow template steps of the dossier."""
    return template(dossier.workflow)


def processing_steps(dossier: Dossier) -> list[Step]:
    """The steps between intake and return."""
    return [s for s in steps_of(dossier) if s.key not in ("receive", "return")]


def _step_rule(step: Step) -> Rule:
    return Rule(step.key, step.name, frozenset({ACCEPTED, PROCESSING}), ((step.role, step.unit),))


def rule_for(dossier: Dossier, action: str) -> Rule | None:
    """The rule of an action for this dossier's workflow, None if the action does not exist."""
    for step in processing_steps(dossier):
        if step.key == action:
            return _step_rule(step)
    return FIXED_RULES.get(action)


def unit_of(dossier: Dossier, slot: str) -> str:
    """The org unit code filling a slot (intake, processing, deciding) for this dossier."""
    return {
        "intake": dossier.intake_unit,
        "processing": dossier.processing_unit,
        "deciding": dossier.deciding_unit,
    }[slot]


def _is_applicant(dossier: Dossier, actor: Actor) -> bool:
    return actor.user_id is not None and actor.user_id == dossier.applicant_user_id


def may_act(dossier: Dossier, actor: Actor, rule: Rule) -> bool:
    """True if the actor is one of those the rule names (admin and the system may do everything)."""
    for role, slot in rule.who:
        if role == APPLICANT:
            if _is_applicant(dossier, actor):
                return True
        elif actor.has_role(role, unit_of(dossier, slot)):
            return True
    return False


def _assignee_allows(dossier: Dossier, actor: Actor, action: str) -> bool:
    """Once assigned, the processing step is the assigned specialist's (admin and the system excepted)."""
    if action != "process" or not dossier.assignee or actor.has_role("admin"):
        return True
    return actor.name == dossier.assignee


def state_problem(dossier: Dossier, rule: Rule) -> str | None:
    """Why the action is impossible in the dossier's current state and data, or None."""
    if dossier.state not in rule.states:
        return f"'{rule.action}' is not possible in state {dossier.state} ({state_name(dossier.state, 'en')})"
    if rule.action in {s.key for s in processing_steps(dossier)} and dossier.step != rule.action:
        return f"the current step is '{dossier.step}', not '{rule.action}'"
    if rule.action == "request_payment" and (dossier.fee_vnd <= 0 or dossier.paid_at is not None):
        return "there is no unpaid fee"
    if rule.action == "transfer" and not dossier.interlinked:
        return "the procedure is not an interlinked (liên thông) procedure"
    if rule.action == "apologise" and dossier.received_at is None:
        return "the dossier has not been received, it has no due date yet"
    return None


def _return_allowed_for(dossier: Dossier, actor: Actor, rule: Rule) -> bool:
    """Only online, fully-online dossiers may have their result taken back by the applicant themselves."""
    if rule.action != "return" or not _is_applicant(dossier, actor):
        return True
    staff = any(actor.has_role(role, unit_of(dossier, slot)) for role, slot in rule.who if role != APPLICANT)
    return staff or (dossier.channel == "online" and dossier.online_scope == "toan_trinh")


def available_actions(dossier: Dossier, actor: Actor) -> list[str]:
    """The actions this actor may take on the dossier now."""
    actions = []
    names = [s.key for s in processing_steps(dossier)] + list(FIXED_RULES)
    for action in names:
        rule = rule_for(dossier, action)
        if (
            rule
            and state_problem(dossier, rule) is None
            and may_act(dossier, actor, rule)
            and _return_allowed_for(dossier, actor, rule)
            and _assignee_allows(dossier, actor, action)
        ):
            actions.append(action)
    return actions


def check(dossier: Dossier, actor: Actor, action: str) -> Rule:
    """The rule of the action, or Conflict (state) / Forbidden (role) with the reason."""
    rule = rule_for(dossier, action)
    if rule is None:
        raise Conflict(f"There is no action '{action}' for this dossier", reason="unknown-action")
    problem = state_problem(dossier, rule)
    if problem:
        raise Conflict(f"Not possible now: {problem}.", reason="state", state=dossier.state)
    if not _assignee_allows(dossier, actor, action):
        raise Forbidden(f"'{action}' is assigned to {dossier.assignee}.", reason="assignee")
    if not may_act(dossier, actor, rule) or not _return_allowed_for(dossier, actor, rule):
        needed = ", ".join(
            f"{r} in {unit_of(dossier, s)}" if r != APPLICANT else "the applicant" for r, s in rule.who
        )
        raise Forbidden(f"'{action}' needs: {needed}.", reason="role")
    return rule


@dataclass
class Change:
    """What an action changed, for the timeline, the audit and the events."""

    action: str
    from_state: int
    to_state: int
    unit: str | None
    note: str | None
    decided: bool = False


def _next_step(dossier: Dossier, key: str) -> str:
    keys = [s.key for s in steps_of(dossier)]
    return keys[keys.index(key) + 1]


def _first_processing_step(dossier: Dossier) -> str:
    return processing_steps(dossier)[0].key


def recompute_due(dossier: Dossier, calendar: WorkingCalendar) -> None:
    """Set start and due dates from the calendar, the received time, the days and the pauses."""
    clock = deadlines.Clock(dossier.received_at, dossier.processing_days, dossier.paused_working_days)
    dossier.start_date = deadlines.start_day(calendar, dossier.received_at) if dossier.received_at else None
    dossier.due_date = deadlines.due_date(calendar, clock)


def mark_received(dossier: Dossier, actor: Actor, now: datetime, calendar: WorkingCalendar) -> None:
    """The dossier is received now: state 2, the clock starts, its first processing step is next."""
    dossier.state = ACCEPTED
    dossier.step = _first_processing_step(dossier)
    dossier.received_at = now
    dossier.received_by = actor.label
    recompute_due(dossier, calendar)


def _decided(dossier: Dossier, actor: Actor, now: datetime) -> None:
    dossier.decided_at = now
    dossier.decided_by = actor.label
    dossier.step = "return"
    if dossier.fee_vnd > 0 and dossier.paid_at is None:
        dossier.state, dossier.resume_state, dossier.resume_step = PAYMENT, DONE, "return"
    else:
        dossier.state = DONE
        dossier.finished_at = now


def _pause(dossier: Dossier, now: datetime) -> None:
    dossier.resume_state, dossier.resume_step = dossier.state, dossier.step
    dossier.state = SUPPLEMENT
    dossier.paused_at = now if dossier.received_at is not None else None


def _resume(dossier: Dossier, now: datetime, calendar: WorkingCalendar) -> None:
    if dossier.paused_at is not None:
        dossier.paused_working_days += deadlines.paused_days(calendar, dossier.paused_at, now)
        dossier.paused_at = None
        recompute_due(dossier, calendar)
    dossier.state = dossier.resume_state or PROCESSING
    dossier.step = dossier.resume_step
    dossier.resume_state = dossier.resume_step = None


def mark_paid(dossier: Dossier, now: datetime, *, online: bool) -> None:
    """Fees are paid: back to where the payment was asked (processing, or the result ready)."""
    dossier.paid_at = now
    dossier.paid_online = online
    if dossier.state == PAYMENT:
        dossier.state = dossier.resume_state or PROCESSING
        dossier.step = dossier.resume_step
        dossier.resume_state = dossier.resume_step = None
        if dossier.state == DONE:
            dossier.finished_at = now


def _terminal(dossier: Dossier, state: int, now: datetime, reason: str | None) -> None:
    dossier.state = state
    dossier.outcome_reason = reason
    dossier.paused_at = None
    dossier.resume_state = dossier.resume_step = None
    dossier.finished_at = dossier.finished_at or now


def _apologise(dossier: Dossier, payload: dict[str, Any], today: date) -> None:
    raw = payload.get("new_due_date")
    try:
        new_date = date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ValidationFailed.for_field("new_due_date", "an ISO date (YYYY-MM-DD) is required") from exc
    if new_date <= today or (dossier.due_date and new_date <= dossier.due_date):
        raise ValidationFailed.for_field("new_due_date", "must be after today and after the current due date")
    dossier.apology_due_date = new_date


def _transfer(dossier: Dossier, payload: dict[str, Any]) -> None:
    unit = str(payload.get("unit") or "").strip()
    if not unit or unit == dossier.processing_unit:
        raise ValidationFailed.for_field("unit", "name another org unit to transfer the dossier to")
    dossier.processing_unit = unit
    dossier.state, dossier.step = PROCESSING, _first_processing_step(dossier)
    dossier.assignee = None


def apply(
    dossier: Dossier,
    actor: Actor,
    action: str,
    *,
    now: datetime,
    calendar: WorkingCalendar,
    payload: dict[str, Any] | None = None,
) -> Change:
    """Check and perform an action on the dossier (in memory); the caller stores it."""
    payload = payload or {}
    rule = check(dossier, actor, action)
    reason = str(payload.get("reason") or "").strip() or None
    if rule.needs_reason and not reason:
        raise ValidationFailed.for_field(
            "reason", Phrase("Hãy ghi lý do khi {action}.", action=Phrase(rule.label.lower()))
        )
    before = dossier.state
    unit = next(
        (
            unit_of(dossier, s)
            for r, s in rule.who
            if r != APPLICANT and actor.has_role(r, unit_of(dossier, s))
        ),
        None,
    )
    decided = False
    if action == "receive":
        mark_received(dossier, actor, now, calendar)
    elif action == "refuse":
        _terminal(dossier, REFUSED, now, reason)
    elif action == "request_supplement":
        _pause(dossier, now)
    elif action == "supplement":
        _resume(dossier, now, calendar)
    elif action == "request_payment":
        dossier.resume_state, dossier.resume_step = dossier.state, dossier.step
        dossier.state = PAYMENT
    elif action == "pay":
        mark_paid(dossier, now, online=False)
    elif action == "withdraw":
        _terminal(dossier, WITHDRAWN, now, reason)
    elif action == "stop":
        _terminal(dossier, STOPPED, now, reason)
    elif action == "transfer":
        _transfer(dossier, payload)
    elif action == "apologise":
        _apologise(dossier, payload, calendar.local_date(now))
    elif action == "return":
        dossier.state, dossier.step, dossier.returned_at = RETURNED, None, now
    else:  # a processing step
        if action == "assign" and payload.get("assignee"):
            dossier.assignee = str(payload["assignee"])[:64]
        next_step = _next_step(dossier, action)
        if next_step == "return":
            _decided(dossier, actor, now)
            decided = True
        else:
            dossier.state, dossier.step = PROCESSING, next_step
    return Change(action, before, dossier.state, unit, reason, decided)
