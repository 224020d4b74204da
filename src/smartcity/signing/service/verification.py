"""Verification: part of the signing service (see __init__)."""

from __future__ import annotations

import hashlib

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.signing import pades
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.config import SigningSettings
from smartcity.signing.errors import PkiNotInitialised
from smartcity.signing.keys import (
    to_asn1_cert,
)
from smartcity.signing.models import Certificate, SignedDocument
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.schemas import (
    VerificationReport,
)
from smartcity.signing.service.authorities import _authority_row
from smartcity.signing.service.common import _load, _secret, _signing
from smartcity.signing.service.crl_ocsp_tsa import _crl
from smartcity.signing.service.signing import signed_document_pdf
from smartcity.signing.verification import TrustMaterial, check_pdf


def _trust_material(s: Session, secret: str) -> TrustMaterial:
    roots = [
        to_asn1_cert(_load(r))
        for r in s.scalars(
            select(Certificate).where(Certificate.trusted.is_(True), Certificate.status == "active")
        )
    ]
    others, crls, authoritative = [], [], set()
    for slug in ("root", "issuing"):
        try:
            row = _authority_row(s, slug)
        except PkiNotInitialised:
            continue
        cert = to_asn1_cert(_load(row))
        others.append(cert)
        crls.append(
            asn1_crl.CertificateList.load(_crl(s, slug, secret).public_bytes(serialization.Encoding.DER))
        )
        authoritative.add(cert.subject.dump())
    return TrustMaterial(
        roots=roots, other_certs=others, crls=crls, authoritative_issuers=frozenset(authoritative)
    )


def verify_pdf(
    db: Database,
    pdf: bytes,
    *,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> VerificationReport:
    """Check every signature of a PDF: signer, chain to a trusted root, revocation at signing time,
    timestamp, and whether the document changed after signing."""
    conf = _signing(signing_settings)
    reader = pades.open_pdf(pdf, max_bytes=conf.signing_max_upload_bytes)
    digest = hashlib.sha256(pdf).hexdigest()
    with db.session() as s:
        material = _trust_material(s, _secret(settings))
        stored = s.scalar(select(SignedDocument.id).where(SignedDocument.current_sha256 == digest).limit(1))
    signatures = check_pdf(reader, material)
    return VerificationReport(
        sha256=digest,
        size=len(pdf),
        document_id=stored,
        signature_count=len(signatures),
        all_hold=bool(signatures) and all(sig.holds for sig in signatures),
        signatures=signatures,
        checked_at=utcnow(),
    )


def verify_signed_document(
    db: Database,
    document_id: str,
    *,
    settings: Settings | None = None,
    signing_settings: SigningSettings | None = None,
) -> VerificationReport:
    """Verify the stored latest version of a signed document (what the QR code leads to)."""
    pdf = signed_document_pdf(db, document_id)
    report = verify_pdf(db, pdf, settings=settings, signing_settings=signing_settings)
    return report.model_copy(update={"document_id": document_id})


def asn1_root(db: Database) -> asn1_x509.Certificate:
    """The city root as an asn1crypto certificate (for pyHanko-based checks)."""
    with db.session() as s:
        return to_asn1_cert(_load(_authority_row(s, "root")))


# What other domains use of signing's inner modules, named here so that they import only this module.
open_pdf = pades.open_pdf
