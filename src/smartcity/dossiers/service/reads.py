"""Reads: part of the dossiers service (see __init__)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.city.service import WorkingCalendar
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys, blind_index, decrypt_personal
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import (
    NotFound,
    TooManyRequests,
)
from smartcity.core.i18n import in_language
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import deadlines, queues, workflow
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.models import (
    Dossier,
    DossierAttachment,
    DossierDocument,
    DossierEvent,
    DossierRating,
    LookupFailure,
)
from smartcity.dossiers.schemas import (
    AttachmentRead,
    DossierDetail,
    DossierPage,
    DossierSummary,
    LookupResult,
    TimelineEntry,
)
from smartcity.dossiers.service.common import STAFF_ROLES
from smartcity.dossiers.service.helpers import _local_today, _normal_phone, calendar_for
from smartcity.dossiers.service.privacy import sees_personal_data, without_personal_data
from smartcity.dossiers.states import (
    AWAITING,
    DONE,
    FINISHED,
    OPEN,
    RETURNED,
    SUBMITTED,
    SUPPLEMENT,
    state_name,
)


def _involved(dossier: Dossier, actor: Actor) -> bool:
    if actor.has_role("admin") or actor.has_role("operator"):
        return True
    if actor.user_id is not None and actor.user_id == dossier.applicant_user_id:
        return True
    units = {dossier.intake_unit, dossier.processing_unit, dossier.deciding_unit}
    return any(actor.has_role(role, unit) for role in STAFF_ROLES for unit in units)


def _deadline_status(dossier: Dossier, calendar: WorkingCalendar, today: date) -> str:
    warn = get_dossier_settings().warn_working_days
    if dossier.state in FINISHED and dossier.finished_at is not None:
        return deadlines.finished_status(dossier.due_date, calendar.local_date(dossier.finished_at))
    if dossier.state in OPEN:
        due = dossier.apology_due_date or dossier.due_date
        return deadlines.open_status(calendar, due, today, paused=dossier.state == SUPPLEMENT, warn_days=warn)
    return "closed" if dossier.state != SUBMITTED else "waiting"


def _summary(
    dossier: Dossier, keys: Keys, calendar: WorkingCalendar, today: date, locale: str = "vi"
) -> DossierSummary:
    return DossierSummary(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        channel=dossier.channel,
        state=dossier.state,
        state_name=state_name(dossier.state, locale),
        step=dossier.step,
        intake_unit=dossier.intake_unit,
        processing_unit=dossier.processing_unit,
        applicant_name=dossier.applicant_name(keys),
        applicant_id_masked=dossier.applicant_id_masked,
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        deadline_status=_deadline_status(dossier, calendar, today),
        finished_at=dossier.finished_at,
    )


def _timeline_entries(
    session: Session, dossier: Dossier, *, public: bool, locale: str = "vi"
) -> list[TimelineEntry]:
    rows = session.scalars(
        select(DossierEvent)
        .where(DossierEvent.dossier_id == dossier.id)
        .order_by(DossierEvent.at, DossierEvent.id)
    )
    return [
        TimelineEntry(
            action=r.action,
            from_state=r.from_state,
            to_state=r.to_state,
            state_name=state_name(r.to_state, locale),
            step=r.step,
            unit=r.unit,
            actor=None if public else r.actor,
            note=None if public else r.note,
            at=r.at,
        )
        for r in rows
    ]


def step_due_dates(dossier: Dossier, calendar: WorkingCalendar) -> dict[str, date]:
    """Due date of each processing step of the dossier."""
    clock = deadlines.Clock(dossier.received_at, dossier.processing_days, dossier.paused_working_days)
    shares = [(s.key, s.share) for s in workflow.processing_steps(dossier)]
    return deadlines.step_due_dates(calendar, clock, shares)


def _detail(
    session: Session,
    dossier: Dossier,
    actor: Actor,
    calendar: WorkingCalendar,
    *,
    keys: Keys,
    form: dict[str, Any] | None,
    locale: str = "vi",
) -> DossierDetail:
    today = _local_today(calendar)
    attachments = session.scalars(
        select(DossierAttachment)
        .where(DossierAttachment.dossier_id == dossier.id)
        .order_by(DossierAttachment.id)
    )
    documents = list(
        session.scalars(select(DossierDocument.kind).where(DossierDocument.dossier_id == dossier.id))
    )
    rating = session.scalar(select(DossierRating.overall).where(DossierRating.dossier_id == dossier.id))
    return DossierDetail(
        **_summary(dossier, keys, calendar, today, locale).model_dump(),
        deciding_unit=dossier.deciding_unit,
        ward_code=dossier.ward_code,
        level=dossier.level,
        online_scope=dossier.online_scope,
        assignee=dossier.assignee,
        fee_vnd=dossier.fee_vnd,
        paid_at=dossier.paid_at,
        start_date=dossier.start_date,
        apology_due_date=dossier.apology_due_date,
        step_due_dates=step_due_dates(dossier, calendar),
        paused_working_days=dossier.paused_working_days,
        outcome_reason=dossier.outcome_reason,
        actions=workflow.available_actions(dossier, actor),
        timeline=_timeline_entries(session, dossier, public=False, locale=locale),
        attachments=[AttachmentRead.model_validate(a) for a in attachments],
        documents=sorted(set(documents) | set(available_forms(dossier))),
        form=form,
        result_data=dossier.result_data or {},
        rating=rating,
    )


def unit_names(db: Database, dossier: Dossier, locale: str = "vi") -> dict[str, str]:
    """Names of the dossier's org units (from the accounts domain), for documents (Vietnamese) and pages
    (English where asked and known)."""
    names = {}
    for code in {dossier.intake_unit, dossier.processing_unit, dossier.deciding_unit}:
        unit = accounts.get_org_unit(db, code)
        names[code] = in_language(unit.name, unit.name_en, locale) if unit else code
    return names


def available_forms(dossier: Dossier) -> list[str]:
    """The process documents (forms 01–05) that apply to the dossier in its state."""
    forms = ["control_sheet"]
    if dossier.received_at is not None:
        forms.append("receipt")
    if dossier.state == SUPPLEMENT or (dossier.resume_state is not None and dossier.state == SUPPLEMENT):
        forms.append("supplement_request")
    if dossier.state == 3:
        forms.append("refusal")
    if dossier.apology_due_date is not None:
        forms.append("apology")
    if dossier.paid_at is not None and dossier.fee_vnd > 0:
        forms.append("payment_receipt")
    return forms


def get_dossier(
    db: Database, *, actor: Actor, settings: Settings, code: str, locale: str = "vi"
) -> DossierDetail:
    """A dossier with the actor's actions; 404 unless the actor is involved; staff reads of personal data are
    logged; operators not assigned to it get it without personal data (privacy.without_personal_data)."""
    calendar = calendar_for(db, settings)
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or not _involved(dossier, actor):
            raise NotFound(f"No dossier {code}")
        if not sees_personal_data(dossier, actor):  # an operator not assigned to it: nothing personal read
            keys = settings.personal_keys
            masked = _detail(s, dossier, actor, calendar, keys=keys, form=None, locale=locale)
            return without_personal_data(masked)
        form = json.loads(decrypt_personal(settings.personal_keys, dossier.form_encrypted))
        detail = _detail(s, dossier, actor, calendar, keys=settings.personal_keys, form=form, locale=locale)
    if actor.user_id != dossier.applicant_user_id:
        with UnitOfWork(db, actor) as uow:
            uow.audit("dossier.personal_data_read", "dossier", code)
    return detail


def dossier_row(db: Database, code: str) -> Dossier:
    """The dossier row (detached) for documents and payments of this domain."""
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None:
            raise NotFound(f"No dossier {code}")
        return dossier


def _deadline_condition(deadline: str, calendar: WorkingCalendar, today: date) -> Any:
    """The SQL form of `_deadline_status(...) == deadline` for open dossiers (no row read into Python).

    Due soon means today <= due and at most `warn_working_days` working days left, i.e. due before the
    (warn + 1)-th working day after today: that bound is computed once, the comparison is the database's.
    The states are those of the partial indexes on open dossiers (running 2, 4, 6; paused 5).
    """
    if deadline == deadlines.PAUSED:
        return Dossier.state == SUPPLEMENT
    due = queues.SHOWN_DUE
    running = Dossier.state.in_(sorted(OPEN - {SUPPLEMENT}))
    bound = calendar.add_working_days(today, get_dossier_settings().warn_working_days + 1)
    if deadline == deadlines.OVERDUE:
        return and_(running, due < today)
    if deadline == deadlines.DUE_SOON:
        return and_(running, due >= today, due < bound)
    return and_(running, or_(due.is_(None), due >= bound))


def _visible(query: Any, actor: Actor) -> Any | None:
    """The query limited to what the actor may see (None: nothing at all)."""
    if actor.has_role("admin") or actor.has_role("operator"):
        return query
    units = {u for role in STAFF_ROLES for u in actor.units_for(role)}
    conditions = [Dossier.applicant_user_id == actor.user_id] if actor.user_id is not None else []
    if None in units:
        conditions = [Dossier.id.is_not(None)]
    elif units:
        conditions += [
            Dossier.intake_unit.in_(units),
            Dossier.processing_unit.in_(units),
            Dossier.deciding_unit.in_(units),
        ]
    return query.where(or_(*conditions)) if conditions else None


def _list_filters(
    settings: Settings,
    calendar: WorkingCalendar,
    today: date,
    state: int | None,
    procedure: str | None,
    unit: str | None,
    deadline: str | None,
    q: str | None,
) -> list[Any]:
    """The conditions of a list's filters (state, procedure, unit, deadline, code or applicant's name)."""
    filters: list[Any] = []
    if state is not None:
        filters.append(Dossier.state == state)
    if procedure:
        filters.append(Dossier.procedure_code == procedure)
    if unit:
        filters.append(or_(Dossier.intake_unit == unit, Dossier.processing_unit == unit))
    if q and q.strip():
        by_name = Dossier.applicant_name_index == blind_index(settings.personal_keys, q)
        filters.append(or_(Dossier.code.contains(q.strip().upper(), autoescape=True), by_name))
    if deadline:
        filters.append(_deadline_condition(deadline, calendar, today))
    return filters


def count_awaiting(db: Database, *, actor: Actor, settings: Settings, deadline: str | None = None) -> int:
    """How many dossiers await an action of the actor (those matching `deadline`, e.g. "overdue"), as the
    queue's total says it; no dossier is read."""
    visible = _visible(select(Dossier), actor)
    if visible is None:
        return 0
    with db.session() as s:
        if not deadline:
            return queues.queue_total(s, actor, state=None, unit=None)
        calendar = calendar_for(db, settings)
        due = _deadline_condition(deadline, calendar, _local_today(calendar))
        query = visible.where(due, Dossier.state.in_(sorted(AWAITING)), queues.awaiting(actor))
        return queues.count(s, query, exact_up_to=get_dossier_settings(settings).exact_count_up_to)[0]


def list_dossiers(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    state: int | None = None,
    procedure: str | None = None,
    unit: str | None = None,
    deadline: str | None = None,
    queue: bool = False,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    locale: str = "vi",
) -> DossierPage:
    """Dossiers the actor may see (own ones for citizens, their units' for staff), filtered; newest first,
    or by due date for a deadline filter or the queue (the dossiers awaiting an action of the actor).

    `cursor` (the `next_cursor` of the previous page) reads the next page by key instead of `offset`.
    The total is exact up to `exact_count_up_to` and past it an estimate (`estimated`, PostgreSQL); a
    queue's total (filtered by state or unit at most) is exact at any size, from the queue counts.
    """
    visible = _visible(select(Dossier), actor)
    if visible is None:
        return DossierPage(items=[], total=0, limit=limit, offset=offset)
    calendar = calendar_for(db, settings)
    today = _local_today(calendar)
    filters = _list_filters(settings, calendar, today, state, procedure, unit, deadline, q)
    query = visible.where(*filters)
    if queue:
        query = query.where(Dossier.state.in_(sorted(AWAITING)), queues.awaiting(actor))
    order = queues.DUE if deadline or queue else queues.NEWEST
    config = get_dossier_settings(settings)
    with db.session() as s:
        if queue and not (procedure or deadline or (q and q.strip())):  # kept in the queue counts
            total, estimated = queues.queue_total(s, actor, state=state, unit=unit), False
        else:
            total, estimated = queues.count(s, query, exact_up_to=config.exact_count_up_to)
        keys = [queues.after(cursor, order)] if cursor else []
        cuts = queues.branches(actor) if queue and (cursor or not offset) else None
        if cuts:  # the queue of an actor in a few units: each unit's range of its index, merged
            page = queues.keyset_page(select(Dossier).where(*filters, *keys), cuts, limit + 1)
        else:
            page = queues.ordered(query.where(*keys), order).limit(limit + 1)
            page = page if cursor else page.offset(offset)
        rows = list(s.scalars(page))
        if len(rows) <= limit and queues.then_undated(cursor, order):  # the dated rows ended on this page
            undated = queues.ordered(query.where(queues.SHOWN_DUE.is_(None)), order)
            rows += s.scalars(undated.limit(limit + 1 - len(rows)))
        following = queues.cursor_of(rows[limit - 1], order) if len(rows) > limit else None
        return DossierPage(
            items=[
                _summary(d, settings.personal_keys, calendar, today, locale)
                if sees_personal_data(d, actor)
                else without_personal_data(_summary(d, settings.personal_keys, calendar, today, locale))
                for d in rows[:limit]
            ],
            total=total,
            limit=limit,
            offset=0 if cursor else offset,
            estimated=estimated,
            next_cursor=following,
        )


def _check_lookup_rate(db: Database, client: str) -> None:
    config = get_dossier_settings()
    since = utcnow() - timedelta(minutes=config.lookup_window_minutes)
    with db.session() as s:
        failures = (
            s.scalar(
                select(func.count())
                .select_from(LookupFailure)
                .where(LookupFailure.client == client, LookupFailure.at >= since)
            )
            or 0
        )
    if failures >= config.lookup_max_failures:
        raise TooManyRequests(
            "Too many failed lookups; try again later", retry_after=config.lookup_window_minutes * 60
        )


def _record_lookup_failure(db: Database, client: str, code: str) -> None:
    with UnitOfWork(db, Actor.system("dossiers.lookup")) as uow:
        uow.session.add(LookupFailure(client=client[:64]))
        uow.audit("dossier.lookup_failed", "dossier", code[:80], after={"client": client[:64]})


def lookup(
    db: Database,
    *,
    settings: Settings,
    code: str,
    second_factor: str,
    locale: str = "vi",
    client: str = "unknown",
) -> LookupResult:
    """Public lookup by code and ID number or phone; the same 404 whether the code or the factor is wrong;
    429 after too many failures from the same client."""
    _check_lookup_rate(db, client)
    secret = settings.personal_keys
    factor = "".join(second_factor.split())
    candidates = {blind_index(secret, factor), blind_index(secret, _normal_phone(factor))}
    calendar = calendar_for(db, settings)
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code.strip().upper()))
        matched = dossier is not None and bool(
            {dossier.applicant_id_index, dossier.applicant_phone_index} & candidates
        )
    if not matched:
        _record_lookup_failure(db, client, code)
        raise NotFound("No dossier matches this code and second factor")
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code.strip().upper()))
        assert dossier is not None
        has_result = (
            s.scalar(
                select(DossierDocument.id).where(
                    DossierDocument.dossier_id == dossier.id, DossierDocument.kind == "result"
                )
            )
            is not None
        )
        return LookupResult(
            code=dossier.code,
            procedure_name=dossier.procedure_name,
            state=dossier.state,
            state_name=state_name(dossier.state, locale),
            submitted_at=dossier.submitted_at,
            due_date=dossier.due_date,
            apology_due_date=dossier.apology_due_date,
            deadline_status=_deadline_status(dossier, calendar, _local_today(calendar)),
            timeline=_timeline_entries(s, dossier, public=True, locale=locale),
            result_available=has_result and dossier.state in (DONE, RETURNED),
        )
