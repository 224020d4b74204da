"""Actions: part of the dossiers service (see __init__)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.accounts import service as accounts
from smartcity.core import clock
from smartcity.core.config import Settings
from smartcity.core.crypto import decrypt_personal
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import (
    AppError,
    ValidationFailed,
    found_or_404,
)
from smartcity.core.files import file_store
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import workflow
from smartcity.dossiers.events import (
    ConstructionPermitGranted,
    DossierResultIssued,
    DossierStateChanged,
    HouseholdBusinessRegistered,
    HouseNumberCertified,
)
from smartcity.dossiers.models import (
    Dossier,
    DossierDocument,
)
from smartcity.dossiers.schemas import (
    DossierDetail,
)
from smartcity.dossiers.service.common import (
    CONSTRUCTION_PERMIT_PROCEDURE,
    HOUSE_NUMBER_PROCEDURE,
    HOUSEHOLD_BUSINESS_PROCEDURE,
)
from smartcity.dossiers.service.helpers import _form_errors, _snapshot, _timeline, calendar_for
from smartcity.dossiers.service.reads import dossier_row, get_dossier, unit_names
from smartcity.procedures import service as procedures


def _locked(session: Session, code: str) -> Dossier:
    query = select(Dossier).where(Dossier.code == code)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    dossier = found_or_404(session.scalar(query), f"No dossier {code}")
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


def assignee_choices(db: Database, code: str) -> list[tuple[str, str]]:
    """The specialists of the dossier's processing unit (username, full name): whom it may be assigned to."""
    unit = dossier_row(db, code).processing_unit
    return accounts.holders_of(db, role="specialist", org_unit_code=unit) if unit else []


def _check_assignee(db: Database, code: str, assignee: str) -> None:
    """An assignee must be a specialist of the processing unit: a dossier is never sent to nobody."""
    if assignee not in {username for username, _name in assignee_choices(db, code)}:
        raise ValidationFailed.for_field(
            "assignee", "Chỉ giao hồ sơ cho chuyên viên của đơn vị đang giải quyết hồ sơ."
        )


def _with_proposed_house_number(
    db: Database, settings: Settings, code: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """For the house-number certificate, the number the GIS proposes when the specialist gives none, and
    the street it is on (its code and name, also when the specialist gives the number).

    Read only (gis.addressing.propose_house_number), before the write lock; the GIS registers the number
    when it hears `dossiers.HouseNumberCertified`.
    """
    result = dict(payload.get("result") or {})
    dossier = dossier_row(db, code)
    if dossier.procedure_code != HOUSE_NUMBER_PROCEDURE or result.get("street_code"):
        return payload
    form = json.loads(decrypt_personal(settings.personal_keys, dossier.form_encrypted))
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
    number = str(result.get("house_number") or proposal.house_number)
    digits = "".join(ch for ch in number.split("/")[0] if ch.isdigit()) or "0"
    result.update(
        house_number=number,
        side=result.get("side") or ("odd_left" if int(digits) % 2 else "even_right"),
        street_code=proposal.street_code,
        street_name=proposal.street_name,
        proposed_by="gis" if number == proposal.house_number else "specialist",
    )
    return {**payload, "result": result}


def proposed_result(db: Database, settings: Settings, code: str) -> dict[str, Any]:
    """The result data the platform proposes before the specialist processes (the GIS's house number)."""
    return dict(_with_proposed_house_number(db, settings, code, {}).get("result") or {})


def _with_plan_check(db: Database, settings: Settings, code: str, payload: dict[str, Any]) -> dict[str, Any]:
    """For the construction permit, the GIS check of the application against the plan (read only).

    The findings go into the result data for the specialist and the leader; a parcel the GIS does not
    know, or outside every zone, is recorded as such rather than blocking the dossier.
    """
    dossier = dossier_row(db, code)
    if dossier.procedure_code != CONSTRUCTION_PERMIT_PROCEDURE:
        return payload
    form = json.loads(decrypt_personal(settings.personal_keys, dossier.form_encrypted))
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
    if action == "assign" and payload.get("assignee"):
        _check_assignee(db, code, str(payload["assignee"]))
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


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """A form value as a number, or None when it is missing or not a number."""
    try:
        return kind(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def publish_register_entry(
    uow: UnitOfWork, dossier: Dossier, form: dict[str, Any], number: str, settings: Settings
) -> None:
    """A granted permit or business registration changes the city's registers: say so (public fields only)."""
    granted_on = clock.local_date(dossier.decided_at or clock.now(), settings).isoformat()
    if dossier.procedure_code == CONSTRUCTION_PERMIT_PROCEDURE:
        uow.publish(
            ConstructionPermitGranted(
                code=dossier.code,
                permit_number=number,
                granted_on=granted_on,
                valid_months=int((dossier.result_data or {}).get("valid_months") or 12),
                map_sheet=_number(form.get("map_sheet"), int),
                parcel_number=_number(form.get("parcel_number"), int),
                site_address=str(form.get("site_address") or ""),
                ward_code=dossier.ward_code,
                floors=_number(form.get("floors"), int),
                height_m=_number(form.get("height_m"), float),
                footprint_m2=_number(form.get("footprint_m2"), float),
                total_floor_area_m2=_number(form.get("total_floor_area_m2"), float),
            )
        )
    elif dossier.procedure_code == HOUSEHOLD_BUSINESS_PROCEDURE:
        uow.publish(
            HouseholdBusinessRegistered(
                code=dossier.code,
                registration_number=number,
                registered_on=granted_on,
                business_name=str(form.get("business_name") or ""),
                address=str(form.get("address") or ""),
                ward_code=dossier.ward_code,
                business_lines=tuple(str(x) for x in form.get("business_lines") or ()),
                capital_vnd=_number(form.get("capital_vnd"), int) or 0,
                employees=_number(form.get("employees"), int) or 0,
            )
        )


def _issue_result(uow: UnitOfWork, dossier: Dossier, settings: Settings, *, certify: bool = True) -> None:
    """Produce the result PDF from the dossier's data and keep it (unsigned until the signing service)."""
    from smartcity.dossiers.documents import result_issuer

    form = json.loads(decrypt_personal(settings.personal_keys, dossier.form_encrypted))
    applicant = dossier.applicant_name(settings.personal_keys)
    pdf, number = result_issuer().issue(
        dossier, form, unit_names=unit_names(uow.db, dossier), applicant=applicant
    )
    digest = file_store(settings, "dossiers").put(pdf)
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
    if certify and number:
        publish_register_entry(uow, dossier, form, number, settings)
    uow.publish(
        DossierResultIssued(
            code=dossier.code, procedure_code=dossier.procedure_code, document_sha256=digest, number=number
        )
    )
