"""Reactions to events: notify the applicant (idempotent per event and channel); sign issued results."""

from __future__ import annotations

import hashlib
import json

from smartcity.core.db import Database
from smartcity.core.events import Event
from smartcity.dossiers.events import DossierStateChanged, DossierSubmitted
from smartcity.dossiers.notify import notify
from smartcity.dossiers.result_signing import sign_issued_result


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


HANDLERS = {
    "dossiers.DossierStateChanged": [notify_state_change],
    "dossiers.DossierSubmitted": [notify_submission],
    "dossiers.DossierResultIssued": [sign_issued_result],
}
