"""Staff lists at any size: which dossiers await an actor (the workflow's rules in SQL), keyset pages in a
stable order, and counts that stay exact up to a limit and are the planner's estimate past it (a queue's
total is always exact: the sum of the queue counts its rules select).

A list is read in one of two orders: `due` (the due date the dossier shows, an apology's new date when
there is one, then id; the deadline lists and queues, through the partial indexes on open dossiers) or
`newest` (submitted, newest first, then id). A cursor names the last row of a page; the next page starts
after it, whatever was added or finished meanwhile, at the cost of an index range scan instead of OFFSET.
The queue of an actor whose rules bind units is read as one index range per unit slot and unit, merged.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.dossiers.models import Dossier, DossierQueueCount
from smartcity.dossiers.states import ACCEPTED, AWAITING, PROCESSING
from smartcity.dossiers.workflow import APPLICANT, FIXED_RULES, Rule
from smartcity.procedures.service import template, workflow_names

DUE, NEWEST = "due", "newest"
SHOWN_DUE = func.coalesce(Dossier.apology_due_date, Dossier.due_date)
SLOTS = {
    "intake": Dossier.intake_unit,
    "processing": Dossier.processing_unit,
    "deciding": Dossier.deciding_unit,
}


# --- who may act: `workflow.available_actions(d, actor) != []` as one SQL condition --------------------
# Rules that need the same unit are merged into one `unit IN (...) AND state IN (...)`. The same rules read
# either the dossiers or the queue counts (`DossierQueueCount`, one row per combination of what they ask).


@dataclass(frozen=True)
class Columns:
    """What the queue's rules read, from the dossiers or from the queue counts."""

    slots: dict[str, Any]
    state: Any
    workflow: Any
    step: Any
    assignee: Any
    unassigned: ColumnElement[bool]
    unpaid_fee: ColumnElement[bool]
    interlinked: ColumnElement[bool]
    received: ColumnElement[bool]


DOSSIERS = Columns(
    slots=SLOTS,
    state=Dossier.state,
    workflow=Dossier.workflow,
    step=Dossier.step,
    assignee=Dossier.assignee,
    unassigned=or_(Dossier.assignee.is_(None), Dossier.assignee == ""),
    unpaid_fee=and_(Dossier.fee_vnd > 0, Dossier.paid_at.is_(None)),
    interlinked=Dossier.interlinked.is_(True),
    received=Dossier.received_at.is_not(None),
)
COUNTS = Columns(
    slots={
        "intake": DossierQueueCount.intake_unit,
        "processing": DossierQueueCount.processing_unit,
        "deciding": DossierQueueCount.deciding_unit,
    },
    state=DossierQueueCount.state,
    workflow=DossierQueueCount.workflow,
    step=DossierQueueCount.step,
    assignee=DossierQueueCount.assignee,
    unassigned=DossierQueueCount.assignee == "",
    unpaid_fee=DossierQueueCount.unpaid_fee.is_(True),
    interlinked=DossierQueueCount.interlinked.is_(True),
    received=DossierQueueCount.received.is_(True),
)


@dataclass(frozen=True)
class Part:
    """One condition of a queue: the unit slot it binds (None: the applicant's own dossiers), the units it
    accepts there (None: every unit, for an administrator or a role held everywhere) and what it asks
    of the dossier besides (`rest`)."""

    slot: str | None
    units: frozenset[str] | None
    rest: ColumnElement[bool]
    on: Columns

    @property
    def condition(self) -> ColumnElement[bool]:
        """The whole condition: in one of its units (when it binds a slot) and the rest."""
        if self.slot is None or self.units is None:
            return self.rest
        return and_(self.on.slots[self.slot].in_(sorted(self.units)), self.rest)


def _held_units(actor: Actor, role: str) -> frozenset[str] | None:
    """The units where the actor holds the role (None: everywhere)."""
    units = actor.units_for(role)
    if any(held == "admin" for held, _unit in actor.roles) or None in units:
        return None
    return frozenset(u for u in units if u is not None)


def _problem_free(rule: Rule, on: Columns) -> ColumnElement[bool] | None:
    """What `workflow.state_problem` asks of a fixed rule besides its states (None: nothing)."""
    if rule.action == "request_payment":
        return on.unpaid_fee
    if rule.action == "transfer":
        return on.interlinked
    if rule.action == "apologise":
        return on.received
    return None


def _applicant_parts(actor: Actor) -> list[Part]:
    """The fixed rules an applicant takes on their own dossiers (read from the dossiers only)."""
    if actor.user_id is None:
        return []
    parts = []
    for rule in FIXED_RULES.values():
        if (APPLICANT, "") not in rule.who:
            continue
        applicant = [Dossier.applicant_user_id == actor.user_id, Dossier.state.in_(sorted(rule.states))]
        if rule.action == "return":  # the applicant alone takes a result only online, fully online
            applicant += [Dossier.channel == "online", Dossier.online_scope == "toan_trinh"]
        extra = _problem_free(rule, DOSSIERS)
        parts.append(Part(None, None, and_(*applicant, *([extra] if extra is not None else [])), DOSSIERS))
    return parts


def _fixed_parts(actor: Actor, on: Columns) -> list[Part]:
    """The fixed rules (`may_act`, `state_problem`) the actor may take somewhere as staff."""
    plain: dict[tuple[str, str], set[int]] = defaultdict(set)
    parts: list[Part] = []
    for rule in FIXED_RULES.values():
        extra = _problem_free(rule, on)
        for role, slot in rule.who:
            if role == APPLICANT or not actor.has_role(role):
                continue
            if extra is None:
                plain[(role, slot)] |= rule.states
            else:
                rest = and_(on.state.in_(sorted(rule.states)), extra)
                parts.append(Part(slot, _held_units(actor, role), rest, on))
    for (role, slot), states in sorted(plain.items()):
        parts.append(Part(slot, _held_units(actor, role), on.state.in_(sorted(states)), on))
    return parts


def _step_parts(actor: Actor, on: Columns) -> list[Part]:
    """The processing steps of every workflow template: the current step, in states 2 or 4, its role."""
    admin = any(held == "admin" for held, _unit in actor.roles)
    parts = []
    for name in workflow_names():
        for step in template(name):
            if step.key in ("receive", "return") or not actor.has_role(step.role):
                continue
            rest = and_(on.workflow == name, on.step == step.key, on.state.in_([ACCEPTED, PROCESSING]))
            if step.key == "process" and not admin:  # once assigned, the specialist's own
                rest = and_(rest, or_(on.unassigned, on.assignee == actor.name))
            parts.append(Part(step.unit, _held_units(actor, step.role), rest, on))
    return parts


def staff_parts(actor: Actor, on: Columns = DOSSIERS) -> list[Part]:
    """The conditions of the actor's queue as staff (the rules of a role in some unit)."""
    return [*_fixed_parts(actor, on), *_step_parts(actor, on)]


def awaiting(actor: Actor) -> ColumnElement[bool]:
    """Dossiers on which the actor may take some action now (the SQL twin of `available_actions`)."""
    conditions = [p.condition for p in (*_applicant_parts(actor), *staff_parts(actor))]
    return or_(*conditions) if conditions else false()


def branches(actor: Actor) -> list[ColumnElement[bool]] | None:
    """The queue cut by the unit its dossiers wait in: one condition per unit slot and unit the actor's
    rules bind (`slot unit = U AND the rules of that slot in U`), one for the applicant's own dossiers.

    Their union is the queue, and each reads one short range of a partial index in the queue's order
    (`ix_dossiers_{slot}_awaiting_due`). None when a rule holds in every unit (read the queue whole)."""
    parts = [*_applicant_parts(actor), *staff_parts(actor)]
    if any(p.slot is not None and p.units is None for p in parts):
        return None
    cuts: dict[tuple[str, str], list[ColumnElement[bool]]] = defaultdict(list)
    for part in parts:
        for unit in sorted(part.units or ()):  # the applicant's parts bind no unit
            cuts[(part.slot or "", unit)].append(part.rest)
    awaiting_states = Dossier.state.in_(sorted(AWAITING))
    cut = [
        and_(SLOTS[slot] == unit, awaiting_states, or_(*rests))
        for (slot, unit), rests in sorted(cuts.items())
    ]
    own = [p.condition for p in parts if p.slot is None]
    return [*cut, *([and_(awaiting_states, or_(*own))] if own else [])]


# --- order and cursors --------------------------------------------------------------------------------


def ordered(query: Select[Any], order: str) -> Select[Any]:
    """The list in its order (`due`: shown due date, dossiers without one last; `newest`)."""
    if order == DUE:
        return query.order_by(SHOWN_DUE.asc().nulls_last(), Dossier.id)
    return query.order_by(Dossier.submitted_at.desc(), Dossier.id.desc())


def cursor_of(row: Dossier, order: str) -> str:
    """The cursor naming this row as the last one of a page."""
    if order == DUE:
        due = row.apology_due_date or row.due_date
        value = due.isoformat() if due else None
    else:
        value = row.submitted_at.isoformat()
    raw = json.dumps([order, value, row.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decoded(cursor: str, order: str) -> tuple[Any, int]:
    """The (order value, id) a cursor names; 422 for a cursor of another list or a broken one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, value, last_id = json.loads(raw)
        if kind != order or not isinstance(last_id, int):
            raise ValueError(kind)
        if value is not None:
            (datetime if order == NEWEST else date).fromisoformat(value)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        problem = "a cursor given by the previous page of this list"
        raise ValidationFailed.for_field("cursor", problem) from exc
    return value, last_id


def after(cursor: str, order: str) -> ColumnElement[bool]:
    """The rows after the cursor's row in this order, as one range of the index: with a due date after
    it, or (a cursor without one) the undated rows after it. Undated rows after dated ones: `then_undated`."""
    value, last_id = _decoded(cursor, order)
    if order == NEWEST:
        return tuple_(Dossier.submitted_at, Dossier.id) < (datetime.fromisoformat(value), last_id)
    if value is None:
        return and_(SHOWN_DUE.is_(None), Dossier.id > last_id)
    return tuple_(SHOWN_DUE, Dossier.id) > (date.fromisoformat(value), last_id)


def then_undated(cursor: str | None, order: str) -> bool:
    """Whether the undated rows (last in the `due` order) follow the cursor's dated row."""
    return order == DUE and cursor is not None and _decoded(cursor, order)[0] is not None


def keyset_page(query: Select[Any], cuts: list[ColumnElement[bool]], rows: int) -> Select[Any]:
    """The first `rows` of the query's dossiers in any of the cuts, in the `due` order, read as the first
    `rows` of each cut (its own index range) merged."""
    firsts = [
        select(ordered(query.where(cut), DUE).with_only_columns(Dossier.id).limit(rows).subquery().c.id)
        for cut in cuts
    ]
    return ordered(select(Dossier).where(Dossier.id.in_(union_all(*firsts))), DUE).limit(rows)


# --- counts -------------------------------------------------------------------------------------------


def queue_total(session: Session, actor: Actor, *, state: int | None, unit: str | None) -> int:
    """How many dossiers await the actor (with the list's state and unit filters), exactly, at any size:
    the sum of the queue counts their staff rules select, plus the actor's own dossiers awaiting them as
    an applicant that no staff rule of theirs already counts (a few rows, by `applicant_user_id`)."""
    total = 0
    staff = staff_parts(actor, COUNTS)
    if staff:
        summed = select(func.coalesce(func.sum(DossierQueueCount.waiting), 0)).where(
            or_(*(p.condition for p in staff)), *_filters(COUNTS, state, unit)
        )
        total += int(session.scalar(summed) or 0)
    own = _applicant_parts(actor)
    if own:
        as_staff = or_(*(p.condition for p in staff_parts(actor))) if staff else false()
        only_own = select(func.count()).where(
            Dossier.state.in_(sorted(AWAITING)),
            or_(*(p.condition for p in own)),
            case((as_staff, 1), else_=0) == 0,
            *_filters(DOSSIERS, state, unit),
        )
        total += int(session.scalar(only_own) or 0)
    return total


def _filters(on: Columns, state: int | None, unit: str | None) -> list[ColumnElement[bool]]:
    """The list's state and unit filters (a unit: the intake or the processing unit)."""
    filters = [] if state is None else [on.state == state]
    if unit:
        filters.append(or_(on.slots["intake"] == unit, on.slots["processing"] == unit))
    return filters


def count(session: Session, query: Select[Any], *, exact_up_to: int) -> tuple[int, bool]:
    """(total, estimated): exact up to `exact_up_to` rows; past it on PostgreSQL, the planner's estimate
    (at least the exact part) instead of counting every row. SQLite always counts."""
    ids = query.with_only_columns(Dossier.id).order_by(None)
    if session.get_bind().dialect.name != "postgresql":
        return int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0), False
    capped = int(session.scalar(select(func.count()).select_from(ids.limit(exact_up_to + 1).subquery())) or 0)
    if capped <= exact_up_to:
        return capped, False
    return max(planned_rows(session, ids), capped), True


def planned_rows(session: Session, query: Select[Any]) -> int:
    """The planner's row estimate for the query (`EXPLAIN`, nothing executed)."""
    connection = session.connection()
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    plan: Any = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params
    ).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
