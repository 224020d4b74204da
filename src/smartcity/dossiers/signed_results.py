"""Signed results: what the signing service needs to sign a dossier's result, and where the signed PDF goes.

The result is issued unsigned inside the dossier's unit of work; the signing domain signs it after commit
(leader, then the deciding unit's seal) and publishes an event; the handlers here keep the signed PDF as
the dossier's result (the unsigned one stays, as kind "result_unsigned") or record why it is not signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database
from smartcity.core.files import file_store
from smartcity.core.security import Actor
from smartcity.core.uow import UnitOfWork
from smartcity.dossiers.models import Dossier, DossierDocument

RESULT, UNSIGNED = "result", "result_unsigned"
ACTOR = Actor.system("dossiers.signed-results")


@dataclass(frozen=True)
class ResultToSign:
    """A dossier result waiting for its signatures: who decided, for which unit, which PDF."""

    code: str
    procedure_code: str
    sha256: str
    number: str | None
    leader_username: str | None
    deciding_unit: str


def _username(decided_by: str | None) -> str | None:
    """The username in an actor label `user:<name>` (None for the system or nobody)."""
    if decided_by and decided_by.startswith("user:"):
        return decided_by.split(":", 1)[1]
    return None


def result_to_sign(db: Database, *, code: str, sha256: str) -> ResultToSign | None:
    """The result of dossier `code` if its current result is still the unsigned PDF `sha256`, else None."""
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        if dossier is None:
            return None
        row = _document(s, dossier.id, RESULT)
        if row is None or row.signed or row.sha256 != sha256:
            return None
        return ResultToSign(
            code=dossier.code,
            procedure_code=dossier.procedure_code,
            sha256=row.sha256,
            number=row.number,
            leader_username=_username(dossier.decided_by),
            deciding_unit=dossier.deciding_unit,
        )


def result_pdf(settings: Settings, sha256: str) -> bytes:
    """The bytes of a stored result PDF."""
    return file_store(settings, "dossiers").get(sha256)


def signature_status(db: Database, code: str) -> dict[str, Any]:
    """What the dossier records about the signing of its result (empty before any attempt)."""
    with db.session() as s:
        dossier = s.scalar(select(Dossier).where(Dossier.code == code))
        return dict((dossier.result_data or {}).get("signature") or {}) if dossier else {}


def _document(s: Session, dossier_id: int, kind: str) -> DossierDocument | None:
    return s.scalar(
        select(DossierDocument).where(DossierDocument.dossier_id == dossier_id, DossierDocument.kind == kind)
    )


def _locked_dossier(s: Session, code: str) -> Dossier | None:
    query = select(Dossier).where(Dossier.code == code)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return s.scalar(query)


def _record(dossier: Dossier, signature: dict[str, Any]) -> None:
    """Keep the signing outcome in the dossier's result data (shown with the dossier, not in the timeline)."""
    dossier.result_data = {**(dossier.result_data or {}), "signature": signature}


def store_signed_result(
    db: Database,
    *,
    settings: Settings,
    code: str,
    unsigned_sha256: str,
    signed_pdf: bytes,
    document_id: str,
    verification_url: str,
    signers: list[str],
) -> bool:
    """Make the signed PDF the dossier's result (the unsigned one kept); False if already done or stale."""
    digest = file_store(settings, "dossiers").put(signed_pdf)
    with UnitOfWork(db, ACTOR) as uow:
        s = uow.session
        dossier = _locked_dossier(s, code)
        row = _document(s, dossier.id, RESULT) if dossier else None
        if dossier is None or row is None or row.signed or row.sha256 != unsigned_sha256:
            return False
        if _document(s, dossier.id, UNSIGNED) is None:
            s.add(
                DossierDocument(
                    dossier_id=dossier.id,
                    kind=UNSIGNED,
                    number=row.number,
                    sha256=row.sha256,
                    size=row.size,
                    signed=False,
                )
            )
        row.sha256, row.size, row.signed = digest, len(signed_pdf), True
        signature = {
            "status": "signed",
            "document_id": document_id,
            "verification_url": verification_url,
            "signers": signers,
            "sha256": digest,
        }
        _record(dossier, signature)
        before = {"sha256": unsigned_sha256}
        uow.audit("dossier.result_signed", "dossier", code, before=before, after=signature)
        return True


def record_unsigned_result(db: Database, *, code: str, unsigned_sha256: str, reason: str) -> bool:
    """Record on the dossier why its result stays unsigned; False if the result changed meanwhile."""
    with UnitOfWork(db, ACTOR) as uow:
        s = uow.session
        dossier = _locked_dossier(s, code)
        row = _document(s, dossier.id, RESULT) if dossier else None
        if dossier is None or row is None or row.signed or row.sha256 != unsigned_sha256:
            return False
        signature = {"status": "unsigned", "reason": reason[:500]}
        if (dossier.result_data or {}).get("signature") == signature:
            return False
        _record(dossier, signature)
        uow.audit("dossier.result_not_signed", "dossier", code, after=signature)
        return True


def unsigned_results(db: Database, *, limit: int = 100) -> list[tuple[str, str]]:
    """(dossier code, result SHA-256) of results still unsigned, oldest first (to sign them later)."""
    with db.session() as s:
        rows = s.execute(
            select(Dossier.code, DossierDocument.sha256)
            .join(Dossier, Dossier.id == DossierDocument.dossier_id)
            .where(DossierDocument.kind == RESULT, DossierDocument.signed.is_(False))
            .order_by(DossierDocument.id)
            .limit(limit)
        )
        return [(code, sha256) for code, sha256 in rows]
