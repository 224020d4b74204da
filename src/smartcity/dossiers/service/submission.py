"""Submission: part of the dossiers service (see __init__)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from smartcity.city.service import WorkingCalendar
from smartcity.core.config import Settings
from smartcity.core.crypto import Keys, blind_index, encrypt_optional, encrypt_personal, mask
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import (
    Conflict,
    Forbidden,
    ValidationFailed,
)
from smartcity.core.files import file_store
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers import workflow
from smartcity.dossiers.config import DossierSettings, get_dossier_settings
from smartcity.dossiers.events import (
    DossierSubmitted,
)
from smartcity.dossiers.models import (
    Dossier,
    DossierAttachment,
)
from smartcity.dossiers.schemas import (
    DossierCreate,
    DossierDetail,
)
from smartcity.dossiers.service.common import Upload
from smartcity.dossiers.service.helpers import (
    _check_required,
    _check_uploads,
    _existing,
    _next_code,
    _normal_phone,
    _request_hash,
    _snapshot,
    _timeline,
    calendar_for,
    resolve_units,
    screen_uploads,
    validate_form,
)
from smartcity.dossiers.service.reads import get_dossier
from smartcity.dossiers.states import SUBMITTED
from smartcity.procedures import service as procedures
from smartcity.procedures.schemas import ProcedureRead


def _encrypt_applicant(dossier: Dossier, data: DossierCreate, secret: Keys) -> None:
    applicant = data.applicant
    dossier.applicant_name_encrypted = encrypt_personal(secret, applicant.name)
    dossier.applicant_name_index = blind_index(secret, applicant.name)
    dossier.applicant_email_encrypted = encrypt_optional(secret, applicant.email)
    dossier.applicant_address_encrypted = encrypt_optional(secret, applicant.address)
    if applicant.id_number:
        dossier.applicant_id_encrypted = encrypt_personal(secret, applicant.id_number)
        dossier.applicant_id_index = blind_index(secret, applicant.id_number)
        dossier.applicant_id_masked = mask(applicant.id_number, keep_end=3)
    if applicant.phone:
        dossier.applicant_phone_encrypted = encrypt_personal(secret, applicant.phone)
        dossier.applicant_phone_index = blind_index(secret, _normal_phone(applicant.phone))
        dossier.applicant_phone_masked = mask(applicant.phone, keep_end=3)
    dossier.form_encrypted = encrypt_personal(secret, json.dumps(data.form, ensure_ascii=False))


def dossier_of(procedure: ProcedureRead, units: tuple[str, str, str], **fields: Any) -> Dossier:
    """A new dossier of `procedure`, submitted and waiting to be received, handled by the units (intake,
    processing, deciding); `fields` give the rest (channel, applicant, form, times)."""
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
        state=SUBMITTED,
        step="receive",
        intake_unit=intake,
        processing_unit=processing,
        deciding_unit=deciding,
        fee_vnd=procedure.fee_total_vnd,
        result_data={},
        **fields,
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
    screen_uploads(db, actor, uploads)
    _check_submission(actor, procedure, data, uploads, channel, config)
    calendar = calendar_for(db, settings)
    ward = data.ward_code or data.form.get("ward_code")
    units = resolve_units(db, procedure, str(ward) if ward else None, calendar.local_date(now))
    if channel == "counter" and not actor.has_role("clerk", units[0]):
        raise Forbidden(f"Counter intake needs the clerk role in {units[0]}")
    store = file_store(settings, "dossiers")
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
    if channel == "online" and procedure.is_placeholder:
        raise Conflict(
            "Thủ tục này đang được cập nhật thành phần hồ sơ và biểu mẫu nên chưa nhận hồ sơ trực tuyến; "
            "xin nộp tại Bộ phận Một cửa."
        )
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
        dossier = dossier_of(
            procedure,
            units,
            channel=channel,
            ward_code=data.ward_code or data.form.get("ward_code"),
            paper_documents=list(data.paper_documents),
            submitted_at=now,
            created_by=actor.label,
            idempotency_key=key,
            request_hash=request_hash,
            applicant_user_id=actor.user_id if channel == "online" else None,
        )
        _encrypt_applicant(dossier, data, settings.personal_keys)
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
