"""Use cases of the dossiers domain: submission, actions, reads, lookup, attachments, documents, ratings."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.city import service as city
from smartcity.city.service import WorkingCalendar
from smartcity.core.config import Settings
from smartcity.core.crypto import blind_index, decrypt_personal, encrypt_personal, mask
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    UnsupportedMediaType,
    ValidationFailed,
)
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import deadlines, workflow
from smartcity.dossiers.config import DossierSettings, get_dossier_settings
from smartcity.dossiers.events import (
    DossierResultIssued,
    DossierStateChanged,
    DossierSubmitted,
    HouseNumberCertified,
)
from smartcity.dossiers.models import (
    Dossier,
    DossierAttachment,
    DossierCodeCounter,
    DossierDocument,
    DossierEvent,
    DossierRating,
    LookupFailure,
)
from smartcity.dossiers.schemas import (
    AttachmentRead,
    DossierCreate,
    DossierDetail,
    DossierPage,
    DossierSummary,
    LookupResult,
    TimelineEntry,
)
from smartcity.dossiers.states import DONE, FINISHED, OPEN, RETURNED, SUBMITTED, SUPPLEMENT, state_name
from smartcity.dossiers.storage import file_store, sniff_type
from smartcity.procedures import service as procedures
from smartcity.procedures.schemas import ProcedureRead

HOUSE_NUMBER_PROCEDURE = "TDM-QLDT-001"
CONSTRUCTION_PERMIT_PROCEDURE = "TDM-QLDT-002"
STAFF_ROLES = ("clerk", "specialist", "head", "leader", "operator", "admin")


@dataclass(frozen=True)
class Upload:
    """A file given with a submission or a supplement, for one required document."""

    document_code: str
    filename: str
    content_type: str
    content: bytes


# ---------------------------------------------------------------- helpers


def calendar_for(db: Database, settings: Settings | None = None) -> WorkingCalendar:
    """The city's working calendar (holidays, swaps, local exceptions, afternoon cut-off)."""
    return city.working_calendar(db, settings=settings)


def _local_today(calendar: WorkingCalendar) -> date:
    return calendar.local_date(utcnow())


def _form_errors(schema: dict[str, Any], data: dict[str, Any], prefix: str = "form") -> list[dict[str, str]]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path.append(missing)
        errors.append({"field": ".".join([prefix, *path]), "message": error.message})
    return errors


def validate_form(procedure: ProcedureRead, form: dict[str, Any]) -> None:
    """422 naming each field of the e-form that does not match the procedure's schema."""
    errors = _form_errors(procedure.form_schema, form)
    if errors:
        raise ValidationFailed(
            "The form does not match the procedure's e-form: " + "; ".join(e["field"] for e in errors),
            errors=errors,
        )


def _unit_for_ward(units: Sequence[accounts.OrgUnitRead], ward_code: str | None, on: date) -> str:
    if not ward_code:
        raise ValidationFailed.for_field("ward_code", "choose the ward the dossier belongs to")
    for unit in units:
        if unit.kind == "ward_committee" and unit.admin_unit_code == ward_code:
            return unit.code
    raise ValidationFailed.for_field(
        "ward_code", f"no ward committee for ward {ward_code} on {on.isoformat()}"
    )


def resolve_units(
    db: Database, procedure: ProcedureRead, ward_code: str | None, on: date
) -> tuple[str, str, str]:
    """(intake, processing, deciding) org units for a dossier of this procedure filed on `on`."""
    units = accounts.list_org_units(db, on=on)
    by_code = {u.code: u for u in units}
    agency = by_code.get(procedure.agency_code)
    if procedure.agency_code == "WARD" or agency is None:
        ward = _unit_for_ward(units, ward_code, on)
        return ward, ward, ward
    deciding = agency.parent_code if agency.parent_code in by_code else agency.code
    intake = next(
        (u.code for u in units if u.parent_code == deciding and u.code.endswith("-MOTCUA")), agency.code
    )
    return intake, agency.code, deciding


def _next_code(session: Session, pattern: str, unit: str, day: date) -> str:
    """The next dossier code of a unit and day: a counter row that only ever goes up."""
    scope = f"{unit}:{day.isoformat()}"
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(DossierCodeCounter).values(scope=scope, value=0).on_conflict_do_nothing())
    value = session.execute(
        update(DossierCodeCounter)
        .where(DossierCodeCounter.scope == scope)
        .values(value=DossierCodeCounter.value + 1)
        .returning(DossierCodeCounter.value)
    ).scalar_one()
    return pattern.format(unit=unit, yymmdd=day.strftime("%y%m%d"), yyyy=day.year, seq=value)


def _check_uploads(procedure: ProcedureRead, uploads: Sequence[Upload], config: DossierSettings) -> None:
    """Refuse (before anything is stored) files that are unknown, too big, of the wrong type or too many."""
    known = {d.code for d in procedure.required_documents}
    if len(uploads) > config.max_attachments:
        raise PayloadTooLarge(f"At most {config.max_attachments} files per dossier")
    for upload in uploads:
        field = f"attachments.{upload.document_code}"
        if upload.document_code not in known:
            raise ValidationFailed.for_field(
                field, f"not a document of this procedure ({', '.join(sorted(known))})"
            )
        if len(upload.content) > config.max_attachment_bytes:
            raise PayloadTooLarge(
                f"{upload.filename}: larger than {config.max_attachment_bytes} bytes",
                errors=[{"field": field, "message": "file too large"}],
            )
        if not upload.content:
            raise ValidationFailed.for_field(field, "the file is empty")
        real = sniff_type(upload.content)
        if real is None or real not in config.allowed_types or upload.content_type.split(";")[0] != real:
            raise UnsupportedMediaType(
                f"{upload.filename}: only {', '.join(config.allowed_types)} are accepted, and the file "
                f"must be what it says it is",
                errors=[{"field": field, "message": "wrong file type"}],
            )


def _check_required(procedure: ProcedureRead, uploads: Sequence[Upload], paper: Sequence[str]) -> None:
    have = {u.document_code for u in uploads} | set(paper)
    missing = [d for d in procedure.required_documents if d.required and d.code not in have]
    if missing:
        raise ValidationFailed(
            "Required documents are missing: " + "; ".join(d.name for d in missing),
            errors=[{"field": f"attachments.{d.code}", "message": f"required: {d.name}"} for d in missing],
        )


def _request_hash(data: DossierCreate, uploads: Sequence[Upload], channel: str) -> str:
    body = {
        "data": data.model_dump(mode="json"),
        "channel": channel,
        "files": sorted((u.document_code, hashlib.sha256(u.content).hexdigest()) for u in uploads),
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _existing(db: Database, actor: Actor, key: str) -> Dossier | None:
    with db.session() as s:
        return s.scalar(
            select(Dossier).where(Dossier.created_by == actor.label, Dossier.idempotency_key == key)
        )


def _timeline(
    session: Session,
    dossier: Dossier,
    action: str,
    from_state: int | None,
    actor: Actor,
    unit: str | None,
    note: str | None,
    at: datetime,
) -> None:
    session.add(
        DossierEvent(
            dossier_id=dossier.id,
            action=action,
            from_state=from_state,
            to_state=dossier.state,
            step=dossier.step,
            actor=actor.label,
            unit=unit,
            note=note,
            at=at,
        )
    )


def _snapshot(dossier: Dossier) -> dict[str, Any]:
    return {
        "state": dossier.state,
        "step": dossier.step,
        "due_date": str(dossier.due_date or ""),
        "processing_unit": dossier.processing_unit,
        "apology_due_date": str(dossier.apology_due_date or ""),
    }


# ---------------------------------------------------------------- submission


def _encrypt_applicant(dossier: Dossier, data: DossierCreate, secret: str) -> None:
    applicant = data.applicant
    dossier.applicant_name = applicant.name
    dossier.applicant_email = applicant.email
    dossier.applicant_address = applicant.address
    if applicant.id_number:
        dossier.applicant_id_encrypted = encrypt_personal(secret, applicant.id_number)
        dossier.applicant_id_index = blind_index(secret, applicant.id_number)
        dossier.applicant_id_masked = mask(applicant.id_number, keep_end=3)
    if applicant.phone:
        dossier.applicant_phone_encrypted = encrypt_personal(secret, applicant.phone)
        dossier.applicant_phone_index = blind_index(secret, _normal_phone(applicant.phone))
        dossier.applicant_phone_masked = mask(applicant.phone, keep_end=3)
    dossier.form_encrypted = encrypt_personal(secret, json.dumps(data.form, ensure_ascii=False))


def _normal_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits


def _new_dossier(
    procedure: ProcedureRead,
    data: DossierCreate,
    units: tuple[str, str, str],
    *,
    actor: Actor,
    channel: str,
    now: datetime,
    key: str | None,
    request_hash: str,
) -> Dossier:
    intake, processing, deciding = units
    return Dossier(
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        field_code=procedure.field_code,
        level=procedure.level,
        online_scope=procedure.online_scope,
        processing_days=procedure.processing_days,
        workflow=procedure.workflow,
        interlinked=procedure.interlinked,
        channel=channel,
        state=SUBMITTED,
        step="receive",
        intake_unit=intake,
        processing_unit=processing,
        deciding_unit=deciding,
        ward_code=data.ward_code or data.form.get("ward_code"),
        paper_documents=list(data.paper_documents),
        fee_vnd=procedure.fee_total_vnd,
        submitted_at=now,
        created_by=actor.label,
        idempotency_key=key,
        request_hash=request_hash,
        result_data={},
        applicant_user_id=actor.user_id if channel == "online" else None,
    )


def submit_dossier(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    data: DossierCreate,
    uploads: Sequence[Upload] = (),
    channel: str = "online",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[DossierDetail, bool]:
    """Submit a dossier online (state 1) or receive it at the counter (state 2); returns (dossier, created).

    A repeated request with the same Idempotency-Key returns the first dossier and creates nothing.
    """
    config = get_dossier_settings()
    now = now or utcnow()
    request_hash = _request_hash(data, uploads, channel)
    if idempotency_key:
        found = _existing(db, actor, idempotency_key)
        if found is not None:
            return _replayed(db, actor, settings, found, request_hash), False
    procedure = procedures.get_procedure(db, data.procedure_code)
    _check_submission(actor, procedure, data, uploads, channel, config)
    calendar = calendar_for(db, settings)
    ward = data.ward_code or data.form.get("ward_code")
    units = resolve_units(db, procedure, str(ward) if ward else None, calendar.local_date(now))
    if channel == "counter" and not actor.has_role("clerk", units[0]):
        raise Forbidden(f"Counter intake needs the clerk role in {units[0]}")
    store = file_store(settings.data_dir)
    digests = [store.put(u.content) for u in uploads]
    try:
        code = _create(
            db,
            actor,
            settings,
            procedure,
            data,
            units,
            uploads,
            digests,
            channel=channel,
            now=now,
            key=idempotency_key,
            request_hash=request_hash,
            calendar=calendar,
            config=config,
        )
    except IntegrityError:
        found = _existing(db, actor, idempotency_key) if idempotency_key else None
        if found is None:
            raise
        return _replayed(db, actor, settings, found, request_hash), False
    return get_dossier(db, actor=actor, settings=settings, code=code), True


def _replayed(
    db: Database, actor: Actor, settings: Settings, found: Dossier, request_hash: str
) -> DossierDetail:
    if found.request_hash != request_hash:
        raise Conflict("This Idempotency-Key was already used for a different request", reason="idempotency")
    return get_dossier(db, actor=actor, settings=settings, code=found.code)


def _check_submission(
    actor: Actor,
    procedure: ProcedureRead,
    data: DossierCreate,
    uploads: Sequence[Upload],
    channel: str,
    config: DossierSettings,
) -> None:
    if not procedure.active:
        raise Conflict(f"The procedure {procedure.code} is no longer offered")
    if channel == "online" and procedure.level < 3:
        raise Conflict(f"The procedure {procedure.code} is at level {procedure.level}: submit at the counter")
    if channel == "online" and actor.user_id is None and not actor.has_role("admin"):
        raise Forbidden("Online submission needs a citizen account")
    if channel == "online" and data.paper_documents:
        raise ValidationFailed.for_field(
            "paper_documents", "only a clerk at the counter can check paper documents"
        )
    validate_form(procedure, data.form)
    _check_uploads(procedure, uploads, config)
    _check_required(procedure, uploads, data.paper_documents)


def _create(
    db: Database,
    actor: Actor,
    settings: Settings,
    procedure: ProcedureRead,
    data: DossierCreate,
    units: tuple[str, str, str],
    uploads: Sequence[Upload],
    digests: list[str],
    *,
    channel: str,
    now: datetime,
    key: str | None,
    request_hash: str,
    calendar: WorkingCalendar,
    config: DossierSettings,
) -> str:
    with UnitOfWork(db, actor) as uow:
        s = uow.session
        dossier = _new_dossier(
            procedure, data, units, actor=actor, channel=channel, now=now, key=key, request_hash=request_hash
        )
        _encrypt_applicant(dossier, data, settings.resolved_secret_key)
        dossier.code = _next_code(s, config.code_pattern, units[0], calendar.local_date(now))
        s.add(dossier)
        s.flush()
        for upload, digest in zip(uploads, digests, strict=True):
            s.add(
                DossierAttachment(
                    dossier_id=dossier.id,
                    document_code=upload.document_code,
                    filename=upload.filename[:255],
                    content_type=upload.content_type,
                    size=len(upload.content),
                    sha256=digest,
                    uploaded_by=actor.label,
                )
            )
        _timeline(s, dossier, "submit", None, actor, units[0] if channel == "counter" else None, None, now)
        if channel == "counter":
            workflow.mark_received(dossier, actor, now, calendar)
            _timeline(s, dossier, "receive", SUBMITTED, actor, units[0], None, now)
        uow.audit("dossier.submitted", "dossier", dossier.code, after=_snapshot(dossier))
        uow.publish(
            DossierSubmitted(
                code=dossier.code,
                procedure_code=procedure.code,
                channel=channel,
                state=dossier.state,
                intake_unit=units[0],
                ward_code=dossier.ward_code,
            )
        )
        return dossier.code


# ---------------------------------------------------------------- actions


def _locked(session: Session, code: str) -> Dossier:
    query = select(Dossier).where(Dossier.code == code)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    dossier = session.scalar(query)
    if dossier is None:
        raise NotFound(f"No dossier {code}")
    return dossier


def _store_result_data(db: Database, dossier: Dossier, action: str, result: dict[str, Any] | None) -> None:
    if action != "process" and not (action == "decide" and result):
        return
    procedure = procedures.get_procedure(db, dossier.procedure_code)
    data = result if result is not None else dict(dossier.result_data or {})
    errors = _form_errors(procedure.result_schema, data, prefix="result")
    if errors:
        raise ValidationFailed(
            "The result data is incomplete: " + "; ".join(e["field"] for e in errors), errors=errors
        )
    dossier.result_data = data


def _with_proposed_house_number(
    db: Database, settings: Settings, code: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """For the house-number certificate, the number the GIS proposes when the specialist gives none.

    Read only (gis.addressing.propose_house_number), before the write lock; the GIS registers the number
    when it hears `dossiers.HouseNumberCertified`.
    """
    result = dict(payload.get("result") or {})
    dossier = dossier_row(db, code)
    if dossier.procedure_code != HOUSE_NUMBER_PROCEDURE or result.get("house_number"):
        return payload
    form = json.loads(decrypt_personal(settings.resolved_secret_key, dossier.form_encrypted))
    if form.get("longitude") is None or form.get("latitude") is None:
        return payload
    try:
        from smartcity.gis.service import propose_house_number
    except ImportError:  # the GIS domain is not installed
        return payload
    try:
        proposal = propose_house_number(db, lon=float(form["longitude"]), lat=float(form["latitude"]))
    except AppError:  # no street data near the house: the specialist enters the number
        return payload
    number = proposal.house_number
    digits = "".join(ch for ch in number.split("/")[0] if ch.isdigit()) or "0"
    result.update(
        house_number=number,
        side="odd_left" if int(digits) % 2 else "even_right",
        street_code=proposal.street_code,
        proposed_by="gis",
    )
    return {**payload, "result": result}


def _with_plan_check(db: Database, settings: Settings, code: str, payload: dict[str, Any]) -> dict[str, Any]:
    """For the construction permit, the GIS check of the application against the plan (read only).

    The findings go into the result data for the specialist and the leader; a parcel the GIS does not
    know, or outside every zone, is recorded as such rather than blocking the dossier.
    """
    dossier = dossier_row(db, code)
    if dossier.procedure_code != CONSTRUCTION_PERMIT_PROCEDURE:
        return payload
    form = json.loads(decrypt_personal(settings.resolved_secret_key, dossier.form_encrypted))
    try:
        from smartcity.gis.service import check_against_plan
    except ImportError:  # the GIS domain is not installed
        return payload
    parcel = f"{form.get('map_sheet')}/{form.get('parcel_number')}"
    try:
        check = check_against_plan(
            db,
            parcel=parcel,
            floors=int(form.get("floors") or 0),
            height_m=form.get("height_m"),
            footprint_m2=form.get("footprint_m2"),
        )
        plan_check: dict[str, Any] = {
            "parcel": check.parcel,
            "ok": check.ok,
            "findings": [f.model_dump() for f in check.findings],
        }
    except AppError as exc:
        plan_check = {"parcel": parcel, "ok": None, "problem": exc.detail}
    result = {**dict(payload.get("result") or {}), "plan_check": plan_check}
    return {**payload, "result": result}


def act(
    db: Database,
    *,
    actor: Actor,
    settings: Settings,
    code: str,
    action: str,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> DossierDetail:
    """Take an action on a dossier: 409 (state) or 403 (role) with the reason, the dossier unchanged."""
    now = now or utcnow()
    payload = payload or {}
    calendar = calendar_for(db, settings)
    if action == "process":
        payload = _with_proposed_house_number(db, settings, code, payload)
        payload = _with_plan_check(db, settings, code, payload)
    if action == "transfer" and payload.get("unit"):
        unit = accounts.get_org_unit(db, str(payload["unit"]))
        if unit is None or not unit.active:
            raise ValidationFailed.for_field("unit", f"no active org unit {payload['unit']!r}")
    with UnitOfWork(db, actor) as uow:
        dossier = _locked(uow.session, code)
        before = _snapshot(dossier)
        workflow.check(dossier, actor, action)
        _store_result_data(db, dossier, action, payload.get("result"))
        change = workflow.apply(dossier, actor, action, now=now, calendar=calendar, payload=payload)
        _timeline(uow.session, dossier, action, change.from_state, actor, change.unit, change.note, now)
        uow.audit(f"dossier.{action}", "dossier", code, before=before, after=_snapshot(dossier))
        uow.publish(
            DossierStateChanged(
                code=code,
                action=action,
                from_state=change.from_state,
                to_state=dossier.state,
                step=dossier.step,
                due_date=str(dossier.apology_due_date or dossier.due_date or "") or None,
                note=change.note,
            )
        )
        if change.decided:
            _issue_result(uow, dossier, settings)
    return get_dossier(db, actor=actor, settings=settings, code=code)


def _issue_result(uow: UnitOfWork, dossier: Dossier, settings: Settings, *, certify: bool = True) -> None:
    """Produce the result PDF from the dossier's data and keep it (unsigned until the signing service)."""
    from smartcity.dossiers.documents import result_issuer

    form = json.loads(decrypt_personal(settings.resolved_secret_key, dossier.form_encrypted))
    pdf, number = result_issuer().issue(dossier, form, unit_names=unit_names(uow.db, dossier))
    digest = file_store(settings.data_dir).put(pdf)
    uow.session.add(
        DossierDocument(
            dossier_id=dossier.id, kind="result", number=number, sha256=digest, size=len(pdf), signed=False
        )
    )
    if certify and dossier.procedure_code == HOUSE_NUMBER_PROCEDURE and number:
        uow.publish(
            HouseNumberCertified(
                code=dossier.code,
                house_number=number,
                street=str(form.get("street") or ""),
                ward_code=dossier.ward_code,
                longitude=form.get("longitude"),
                latitude=form.get("latitude"),
                street_code=(dossier.result_data or {}).get("street_code"),
            )
        )
    uow.publish(
        DossierResultIssued(
            code=dossier.code, procedure_code=dossier.procedure_code, document_sha256=digest, number=number
        )
    )


# ---------------------------------------------------------------- reads


def _involved(dossier: Dossier, actor: Actor) -> bool:
    if actor.has_role("admin") or actor.has_role("operator"):
        return True
    if actor.user_id is not None and actor.user_id == dossier.applicant_user_id:
        return True
    units = {dossier.intake_unit, dossier.processing_unit, dossier.deciding_unit}
    return any(actor.has_role(role, unit) for role in STAFF_ROLES for unit in units)


def _deadline_status(dossier: Dossier, calendar: WorkingCalendar, today: date, warn: int) -> str:
    if dossier.state in FINISHED and dossier.finished_at is not None:
        return deadlines.finished_status(dossier.due_date, calendar.local_date(dossier.finished_at))
    if dossier.state in OPEN:
        due = dossier.apology_due_date or dossier.due_date
        return deadlines.open_status(calendar, due, today, paused=dossier.state == SUPPLEMENT, warn_days=warn)
    return "closed" if dossier.state != SUBMITTED else "waiting"


def _summary(dossier: Dossier, calendar: WorkingCalendar, today: date, locale: str = "vi") -> DossierSummary:
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
        applicant_name=dossier.applicant_name,
        applicant_id_masked=dossier.applicant_id_masked,
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        deadline_status=_deadline_status(dossier, calendar, today, get_dossier_settings().warn_working_days),
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
        **_summary(dossier, calendar, today, locale).model_dump(),
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


def unit_names(db: Database, dossier: Dossier) -> dict[str, str]:
    """Names of the dossier's org units (from the accounts domain), for documents."""
    names = {}
    for code in {dossier.intake_unit, dossier.processing_unit, dossier.deciding_unit}:
        unit = accounts.get_org_unit(db, code)
        names[code] = unit.name if unit else code
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
    """A dossier with the actor's actions; 404 unless the actor is involved; staff reads are logged."""
    calendar = calendar_for(db, settings)
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None or not _involved(dossier, actor):
            raise NotFound(f"No dossier {code}")
        form = json.loads(decrypt_personal(settings.resolved_secret_key, dossier.form_encrypted))
        detail = _detail(s, dossier, actor, calendar, form=form, locale=locale)
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
    locale: str = "vi",
) -> DossierPage:
    """Dossiers the actor may see (own ones for citizens, their units' for staff), filtered, newest first."""
    query = select(Dossier)
    if not (actor.has_role("admin") or actor.has_role("operator")):
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
        if not conditions:
            return DossierPage(items=[], total=0, limit=limit, offset=offset)
        query = query.where(or_(*conditions))
    if state is not None:
        query = query.where(Dossier.state == state)
    if procedure:
        query = query.where(Dossier.procedure_code == procedure)
    if unit:
        query = query.where(or_(Dossier.intake_unit == unit, Dossier.processing_unit == unit))
    if q:
        query = query.where(Dossier.code.contains(q.strip().upper(), autoescape=True))
    calendar = calendar_for(db, settings)
    today = _local_today(calendar)
    if queue or deadline:
        query = query.where(Dossier.state.in_([SUBMITTED, *OPEN, DONE]))
    with db.session() as s:
        if queue or deadline:
            rows = list(s.scalars(query.order_by(Dossier.due_date, Dossier.id)))
            if queue:
                rows = [d for d in rows if workflow.available_actions(d, actor)]
            if deadline:
                rows = [d for d in rows if _summary(d, calendar, today).deadline_status == deadline]
            total, rows = len(rows), rows[offset : offset + limit]
        else:
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(
                s.scalars(
                    query.order_by(Dossier.submitted_at.desc(), Dossier.id.desc()).limit(limit).offset(offset)
                )
            )
        return DossierPage(
            items=[_summary(d, calendar, today, locale) for d in rows],
            total=total,
            limit=limit,
            offset=offset,
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
    secret = settings.resolved_secret_key
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
            deadline_status=_deadline_status(
                dossier, calendar, _local_today(calendar), get_dossier_settings().warn_working_days
            ),
            timeline=_timeline_entries(s, dossier, public=True, locale=locale),
            result_available=has_result and dossier.state in (DONE, RETURNED),
        )


# ---------------------------------------------------------------- attachments and documents


def add_attachments(
    db: Database, *, actor: Actor, settings: Settings, code: str, uploads: Sequence[Upload]
) -> list[AttachmentRead]:
    """Attach files while a supplement is awaited (or before intake); checked before anything is stored."""
    dossier = dossier_row(db, code)
    if not _involved(dossier, actor):
        raise NotFound(f"No dossier {code}")
    if dossier.state not in (SUBMITTED, SUPPLEMENT):
        raise Conflict(
            "Files can be added only before intake or while a supplement is requested", reason="state"
        )
    if not uploads:
        raise BadRequest("No file given")
    procedure = procedures.get_procedure(db, dossier.procedure_code)
    _check_uploads(procedure, uploads, get_dossier_settings())
    store = file_store(settings.data_dir)
    digests = [store.put(u.content) for u in uploads]
    with UnitOfWork(db, actor) as uow:
        rows = [
            DossierAttachment(
                dossier_id=dossier.id,
                document_code=u.document_code,
                filename=u.filename[:255],
                content_type=u.content_type,
                size=len(u.content),
                sha256=d,
                uploaded_by=actor.label,
            )
            for u, d in zip(uploads, digests, strict=True)
        ]
        uow.session.add_all(rows)
        uow.session.flush()
        uow.audit("dossier.attachments_added", "dossier", code, after={"files": [r.sha256 for r in rows]})
        return [AttachmentRead.model_validate(r) for r in rows]


def attachment_content(
    db: Database, *, actor: Actor, settings: Settings, code: str, attachment_id: int
) -> tuple[AttachmentRead, bytes]:
    """An attached file, for those involved in the dossier."""
    dossier = dossier_row(db, code)
    if not _involved(dossier, actor):
        raise NotFound(f"No dossier {code}")
    with db.session() as s:
        row = s.scalar(
            select(DossierAttachment).where(
                DossierAttachment.id == attachment_id, DossierAttachment.dossier_id == dossier.id
            )
        )
        if row is None:
            raise NotFound("No such attachment")
        return AttachmentRead.model_validate(row), file_store(settings.data_dir).get(row.sha256)


def document_pdf(db: Database, *, actor: Actor | None, settings: Settings, code: str, kind: str) -> bytes:
    """A process document (receipt, supplement_request, refusal, apology, control_sheet) or the result."""
    from smartcity.dossiers import documents

    dossier = dossier_row(db, code)
    if actor is not None and not _involved(dossier, actor):
        raise NotFound(f"No dossier {code}")
    if kind == "result":
        if dossier.state not in (DONE, RETURNED):
            raise Conflict("The result is available once the dossier is decided and its fees paid")
        with db.session() as s:
            digest = s.scalar(
                select(DossierDocument.sha256).where(
                    DossierDocument.dossier_id == dossier.id, DossierDocument.kind == "result"
                )
            )
        if digest is None:  # decided before results were kept (demo data): issue it now, once
            try:
                with UnitOfWork(db, Actor.system("dossiers.results")) as uow:
                    _issue_result(uow, _locked(uow.session, code), settings, certify=False)
            except IntegrityError:  # issued meanwhile by a concurrent request
                pass
            return document_pdf(db, actor=actor, settings=settings, code=code, kind=kind)
        return file_store(settings.data_dir).get(digest)
    if kind not in available_forms(dossier):
        raise NotFound(f"The document {kind!r} does not apply to this dossier now")
    calendar = calendar_for(db, settings)
    with db.session() as s:
        timeline = _timeline_entries(s, dossier, public=False)
    return documents.process_form(
        kind,
        dossier,
        timeline=timeline,
        steps_due=step_due_dates(dossier, calendar),
        base_url=settings.public_url().rstrip("/"),
        unit_names=unit_names(db, dossier),
    )


def register_rows(db: Database, *, unit: str, month: date) -> list[Dossier]:
    """The dossiers received by an intake unit in a month, in order (for the register, form 06)."""
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    with db.session() as s:
        return list(
            s.scalars(
                select(Dossier)
                .where(Dossier.intake_unit == unit, Dossier.start_date >= month, Dossier.start_date < end)
                .order_by(Dossier.received_at)
            )
        )
