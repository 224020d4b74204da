"""Reactions to events: notify the applicant (idempotent per event and channel); keep signed results."""

from __future__ import annotations

import hashlib
import json

from smartcity.core.db import Database
from smartcity.core.events import Event
from smartcity.dossiers import signed_results
from smartcity.dossiers.events import DossierStateChanged, DossierSubmitted
from smartcity.dossiers.notify import notify


def _event_id(event: Event) -> str:
    """A stable id of the event (the same payload replayed gives the same id)."""
    payload = json.dumps(event.to_payload(), sort_keys=True, ensure_ascii=False)
    return event.name + ":" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def notify_state_change(event: Event, db: Database) -> None:
    """Tell the applicant what changed."""
    assert isinstance(event, DossierStateChanged)
    notify(
        db,
        code=event.code,
        action=event.action,
        event_id=_event_id(event),
        note=event.note,
        due=event.due_date,
    )


def notify_submission(event: Event, db: Database) -> None:
    """Confirm an online submission to the applicant."""
    assert isinstance(event, DossierSubmitted)
    action = "submit" if event.channel == "online" else "receive"
    notify(db, code=event.code, action=action, event_id=_event_id(event))


def keep_signed_result(event: Event, db: Database) -> None:
    """Make the signed PDF (leader and seal) the dossier's result; the unsigned one is kept."""
    from smartcity.signing import service as signing

    code, document_id = str(getattr(event, "dossier_code", "")), str(getattr(event, "document_id", ""))
    signed_results.store_signed_result(
        db,
        settings=db.settings,
        code=code,
        unsigned_sha256=str(getattr(event, "unsigned_sha256", "")),
        signed_pdf=signing.signed_document_pdf(db, document_id),
        document_id=document_id,
        verification_url=str(getattr(event, "verification_url", "")),
        signers=[str(getattr(event, "leader_serial", "")), str(getattr(event, "seal_serial", ""))],
    )


def record_unsigned_result(event: Event, db: Database) -> None:
    """Record on the dossier why its result stays unsigned."""
    signed_results.record_unsigned_result(
        db,
        code=str(getattr(event, "dossier_code", "")),
        unsigned_sha256=str(getattr(event, "unsigned_sha256", "")),
        reason=str(getattr(event, "reason", "")),
    )


HANDLERS = {
    "dossiers.DossierStateChanged": [notify_state_change],
    "dossiers.DossierSubmitted": [notify_submission],
    "signing.ResultSigned": [keep_signed_result],
    "signing.ResultNotSigned": [record_unsigned_result],
}
