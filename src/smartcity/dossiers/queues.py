"""Staff lists at any size: which dossiers await an actor (the workflow's rules in SQL), keyset pages in a
stable order, and counts that stay exact up to a limit and are the planner's estimate past it.

A list is read in one of two orders: `due` (the due date the dossier shows, an apology's new date when
there is one, then id; the deadline lists and queues, through the partial indexes on open dossiers) or
`newest` (submitted, newest first, then id). A cursor names the last row of a page; the next page starts
after it, whatever was added or finished meanwhile, at the cost of an index range scan instead of OFFSET.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, tuple_
from sqlalchemy.orm import Session

from smartcity.core.errors import ValidationFailed
from smartcity.core.security import Actor
from smartcity.dossiers.models import Dossier
from smartcity.dossiers.states import ACCEPTED, PROCESSING
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
# Rules that need the same unit are merged into one `unit IN (...) AND state IN (...)`, so that the
# planner estimates the queue's size from the unit and state statistics.


def _units(actor: Actor, role: str, slot: str) -> ColumnElement[bool]:
    """`actor.has_role(role, unit of slot)` for every dossier at once (the actor holds the role)."""
    units = actor.units_for(role)
    if any(held == "admin" for held, _unit in actor.roles) or None in units:
        return true()
    return SLOTS[slot].in_(sorted(u for u in units if u is not None))


def _problem_free(rule: Rule) -> ColumnElement[bool] | None:
    """What `workflow.state_problem` asks of a fixed rule besides its states (None: nothing)."""
    if rule.action == "request_payment":
        return and_(Dossier.fee_vnd > 0, Dossier.paid_at.is_(None))
    if rule.action == "transfer":
        return Dossier.interlinked.is_(True)
    if rule.action == "apologise":
        return Dossier.received_at.is_not(None)
    return None


def _fixed_conditions(actor: Actor) -> list[ColumnElement[bool]]:
    """The fixed rules (`may_act`, `state_problem`, `_return_allowed_for`) the actor may take somewhere."""
    plain: dict[tuple[str, str], set[int]] = defaultdict(set)
    conditions: list[ColumnElement[bool]] = []
    for rule in FIXED_RULES.values():
        extra = _problem_free(rule)
        for role, slot in rule.who:
            if role == APPLICANT:
                if actor.user_id is None:
                    continue
                applicant = [
                    Dossier.applicant_user_id == actor.user_id,
                    Dossier.state.in_(sorted(rule.states)),
                ]
                if rule.action == "return":  # the applicant alone takes a result only online, fully online
                    applicant += [Dossier.channel == "online", Dossier.online_scope == "toan_trinh"]
                conditions.append(and_(*applicant, *([extra] if extra is not None else [])))
            elif actor.has_role(role):
                if extra is None:
                    plain[(role, slot)] |= rule.states
                else:
                    conditions.append(
                        and_(_units(actor, role, slot), Dossier.state.in_(sorted(rule.states)), extra)
                    )
    for (role, slot), states in sorted(plain.items()):
        conditions.append(and_(_units(actor, role, slot), Dossier.state.in_(sorted(states))))
    return conditions


def _step_conditions(actor: Actor) -> list[ColumnElement[bool]]:
    """The processing steps of every workflow template: the current step, in states 2 or 4, its role."""
    admin = any(held == "admin" for held, _unit in actor.roles)
    conditions = []
    for name in workflow_names():
        for step in template(name):
            if step.key in ("receive", "return") or not actor.has_role(step.role):
                continue
            condition = and_(
                Dossier.workflow == name,
                Dossier.step == step.key,
                Dossier.state.in_([ACCEPTED, PROCESSING]),
                _units(actor, step.role, step.unit),
            )
            if step.key == "process" and not admin:  # once assigned, the specialist's own
                assignee = or_(Dossier.assignee.is_(None), Dossier.assignee == "")
                condition = and_(condition, or_(assignee, Dossier.assignee == actor.name))
            conditions.append(condition)
    return conditions


def awaiting(actor: Actor) -> ColumnElement[bool]:
    """Dossiers on which the actor may take some action now (the SQL twin of `available_actions`)."""
    conditions = [*_fixed_conditions(actor), *_step_conditions(actor)]
    return or_(*conditions) if conditions else false()


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


# --- counts -------------------------------------------------------------------------------------------


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
