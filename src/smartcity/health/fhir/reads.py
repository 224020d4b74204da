"""Every read of a person's health record is logged: who, what interaction, which resource type, when."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from smartcity.core import clock
from smartcity.core.db import Database
from smartcity.health.fhir import store
from smartcity.health.models import RecordAccess


def _patients_of(found: Iterable[store.Stored]) -> list[tuple[str, str]]:
    pairs = []
    for stored in found:
        kind = stored.resource["resourceType"]
        if kind == "Patient":
            pairs.append((stored.resource["id"], kind))
            continue
        for key in ("subject", "patient"):
            reference = (stored.resource.get(key) or {}).get("reference", "")
            if reference.startswith("Patient/"):
                pairs.append((reference.split("/")[1], kind))
    return list(dict.fromkeys(pairs))


def log_access_in(session: Session, actor: str, interaction: str, found: Iterable[store.Stored]) -> None:
    """Log, in this session, that `actor` read these people's records."""
    now = clock.now()
    session.add_all(
        RecordAccess(patient_id=pid, actor=actor, interaction=interaction, resource_type=kind, at=now)
        for pid, kind in _patients_of(found)
    )


def log_access(db: Database, actor: str, interaction: str, found: Iterable[store.Stored]) -> None:
    """Log that `actor` read these people's records (one row a person and resource type)."""
    found = list(found)
    if not _patients_of(found):
        return
    with db.write_session() as s:
        log_access_in(s, actor, interaction, found)
