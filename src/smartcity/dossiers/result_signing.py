"""Sign the results of the one-stop shop once they are issued, through the signing domain's service.

The result is issued (unsigned) inside the dossier's write transaction; signing happens after that commit
(a handler of DossierResultIssued): the deciding leader's personal signature (visible), then the deciding
unit's seal over it, both PAdES B-T, on a copy that first gets the QR code of its verification page. The
signed copy becomes the dossier's result; when it cannot be signed, the dossier says why.
"""

from __future__ import annotations

import functools
import logging
import secrets

from smartcity.core.db import Database, utcnow
from smartcity.core.errors import AppError, Conflict
from smartcity.core.security import Actor
from smartcity.dossiers import signed_results
from smartcity.dossiers.events import DossierResultIssued
from smartcity.signing import service
from smartcity.signing.service import add_verification_qr, get_signing_settings

log = logging.getLogger(__name__)
SIGNING_ACTOR = Actor.system("signing.results")
LEVEL = "B-T"


def _sign_result(
    db: Database, request: signed_results.ResultToSign
) -> tuple[service.SignedPdf, service.SignedPdf]:
    """The leader's signature then the unit's seal on the stored result PDF (AppError when impossible)."""
    if request.leader_username is None:
        raise Conflict("the result was not decided by an official holding a signing certificate")
    _require_usable(db, kind="official", holder=request.leader_username, what="personal signing certificate")
    _require_usable(db, kind="organisation", holder=request.deciding_unit, what="seal certificate")
    settings, signing_settings = db.settings, get_signing_settings()
    document_id = secrets.token_hex(16)
    url = service.verification_url(document_id, signing_settings=signing_settings)
    pdf = add_verification_qr(
        signed_results.result_pdf(settings, request.sha256), url, font_path=signing_settings.signing_font
    )
    sign = functools.partial(
        service.sign_pdf,
        db,
        actor=SIGNING_ACTOR,
        level=LEVEL,
        filename=f"ket-qua-{request.code}.pdf",
        settings=settings,
        signing_settings=signing_settings,
    )
    leader = sign(
        pdf=pdf,
        signer_username=request.leader_username,
        document_id=document_id,
        reason=f"Phê duyệt kết quả hồ sơ {request.code}",
    )
    unit = request.deciding_unit
    seal = sign(pdf=leader.pdf, org_unit_code=unit, reason=f"Đóng dấu {unit}")
    return leader, seal


def _require_usable(db: Database, *, kind: str, holder: str, what: str) -> None:
    """Refuse before signing anything when the leader or the unit cannot sign now (no half-signed result)."""
    if not service.pki_status(db).initialised:
        raise Conflict("the city PKI is not initialised (smartcity pki init)")
    now = utcnow()
    if not any(
        c.status == "active" and c.not_before <= now <= c.not_after
        for c in service.list_certificates(db, kind=kind, holder=holder)
    ):
        raise Conflict(f"{holder} holds no valid {what}")


def sign_result(db: Database, *, code: str, sha256: str) -> str:
    """Sign the result `sha256` of dossier `code` if still unsigned: "signed", "unsigned" or "skipped"."""
    request = signed_results.result_to_sign(db, code=code, sha256=sha256)
    if request is None:
        return "skipped"
    try:
        leader, seal = _sign_result(db, request)
    except (AppError, OSError) as exc:
        reason = exc.detail if isinstance(exc, AppError) else f"the result PDF cannot be read ({exc})"
        log.warning("result of dossier %s left unsigned: %s", code, reason)
        signed_results.record_unsigned_result(db, code=code, unsigned_sha256=sha256, reason=str(reason))
        return "unsigned"
    signed_results.store_signed_result(
        db,
        settings=db.settings,
        code=code,
        unsigned_sha256=sha256,
        signed_pdf=seal.pdf,
        document_id=seal.document_id,
        verification_url=seal.verification_url,
        signers=[leader.certificate_serial, seal.certificate_serial],
    )
    return "signed"


def sign_issued_result(event: DossierResultIssued, db: Database) -> None:
    """Sign a dossier result just issued (idempotent: a result already signed or replaced is skipped)."""
    sign_result(db, code=event.code, sha256=event.document_sha256)


def sign_pending_results(db: Database, *, limit: int = 100) -> dict[str, int]:
    """Sign results left unsigned (e.g. issued before the certificates existed); counts by outcome."""
    counts = {"signed": 0, "unsigned": 0, "skipped": 0}
    for code, sha256 in signed_results.unsigned_results(db, limit=limit):
        counts[sign_result(db, code=code, sha256=sha256)] += 1
    return counts
