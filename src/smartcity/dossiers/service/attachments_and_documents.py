"""Attachments and documents: part of the dossiers service (see __init__)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
)
from smartcity.core.files import file_store
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers.config import get_dossier_settings
from smartcity.dossiers.models import (
    Dossier,
    DossierAttachment,
    DossierDocument,
)
from smartcity.dossiers.schemas import (
    AttachmentRead,
)
from smartcity.dossiers.service.actions import _issue_result, _locked
from smartcity.dossiers.service.common import Upload
from smartcity.dossiers.service.helpers import _check_uploads, calendar_for, screen_uploads
from smartcity.dossiers.service.privacy import check_sees_personal_data
from smartcity.dossiers.service.reads import (
    _involved,
    _timeline_entries,
    available_forms,
    dossier_row,
    step_due_dates,
    unit_names,
)
from smartcity.dossiers.states import DONE, RETURNED, SUBMITTED, SUPPLEMENT
from smartcity.procedures import service as procedures


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
    screen_uploads(db, actor, uploads)
    _check_uploads(procedure, uploads, get_dossier_settings())
    store = file_store(settings, "dossiers")
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
    check_sees_personal_data(dossier, actor)
    with db.session() as s:
        row = s.scalar(
            select(DossierAttachment).where(
                DossierAttachment.id == attachment_id, DossierAttachment.dossier_id == dossier.id
            )
        )
        if row is None:
            raise NotFound("No such attachment")
        return AttachmentRead.model_validate(row), file_store(settings, "dossiers").get(row.sha256)


def document_pdf(db: Database, *, actor: Actor | None, settings: Settings, code: str, kind: str) -> bytes:
    """A process document (receipt, supplement_request, refusal, apology, control_sheet) or the result."""
    from smartcity.dossiers import documents

    dossier = dossier_row(db, code)
    if actor is not None and not _involved(dossier, actor):
        raise NotFound(f"No dossier {code}")
    if actor is not None:
        check_sees_personal_data(dossier, actor)
    if kind in ("result", "result_unsigned"):  # the result, and its copy from before it was signed
        if dossier.state not in (DONE, RETURNED):
            raise Conflict("The result is available once the dossier is decided and its fees paid")
        with db.session() as s:
            digest = s.scalar(
                select(DossierDocument.sha256).where(
                    DossierDocument.dossier_id == dossier.id, DossierDocument.kind == kind
                )
            )
        if digest is None and kind == "result_unsigned":
            raise NotFound(f"The result of {code} has no copy from before signing")
        if digest is None:  # decided before results were kept (demo data): issue it now, once
            try:
                with UnitOfWork(db, Actor.system("dossiers.results")) as uow:
                    _issue_result(uow, _locked(uow.session, code), settings, certify=False)
            except IntegrityError:  # issued meanwhile by a concurrent request
                pass
            return document_pdf(db, actor=actor, settings=settings, code=code, kind=kind)
        return file_store(settings, "dossiers").get(digest)
    if kind not in available_forms(dossier):
        raise NotFound(f"The document {kind!r} does not apply to this dossier now")
    calendar = calendar_for(db, settings)
    with db.session() as s:
        timeline = _timeline_entries(s, dossier, public=False)
    return documents.process_form(
        kind,
        dossier,
        applicant=dossier.applicant_name(settings.personal_keys),
        timeline=timeline,
        steps_due=step_due_dates(dossier, calendar),
        base_url=settings.public_url().rstrip("/"),
        unit_names=unit_names(db, dossier),
    )


def register_rows(db: Database, *, unit: str, month: date) -> list[tuple[Dossier, str]]:
    """The dossiers received by an intake unit in a month, in order, each with its applicant's decrypted
    name (for the register, form 06)."""
    end = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    keys = db.settings.personal_keys
    with db.session() as s:
        rows = s.scalars(
            select(Dossier)
            .where(Dossier.intake_unit == unit, Dossier.start_date >= month, Dossier.start_date < end)
            .order_by(Dossier.received_at)
        )
        return [(d, d.applicant_name(keys)) for d in rows]
