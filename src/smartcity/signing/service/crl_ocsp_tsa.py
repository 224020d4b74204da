"""Crl ocsp tsa: part of the signing service (see __init__)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.config import Settings
from smartcity.core.db import Database, utcnow
from smartcity.core.errors import NotFound
from smartcity.signing import pki, tsa
from smartcity.signing.appearance import Placement as Placement
from smartcity.signing.keys import (
    to_asn1_cert,
    to_asn1_key,
)
from smartcity.signing.models import Certificate
from smartcity.signing.qr import add_verification_qr as add_verification_qr
from smartcity.signing.service.authorities import _authority_row, _key_of
from smartcity.signing.service.common import _load, _secret


def _revoked_by(s: Session, slug: str) -> list[pki.RevokedEntry]:
    rows = s.scalars(
        select(Certificate).where(Certificate.issuer_slug == slug, Certificate.status == "revoked")
    )
    return [
        pki.RevokedEntry(
            serial=int(r.serial, 16), revoked_at=r.revoked_at or r.updated_at, reason=r.revocation_reason
        )
        for r in rows
    ]


def _crl(s: Session, slug: str, secret: str) -> x509.CertificateRevocationList:
    row = _authority_row(s, slug)
    now = utcnow()
    return pki.build_crl(
        ca_cert=_load(row),
        ca_key=_key_of(s, row, secret),
        revoked=_revoked_by(s, slug),
        crl_number=int(now.timestamp() * 1000),
        now=now,
    )


def current_crl(db: Database, ca_slug: str, *, settings: Settings | None = None) -> bytes:
    """A fresh DER CRL of the CA `ca_slug` (root or issuing)."""
    if ca_slug not in ("root", "issuing"):
        raise NotFound(f"No certificate authority {ca_slug!r}")
    with db.session() as s:
        return _crl(s, ca_slug, _secret(settings)).public_bytes(serialization.Encoding.DER)


def answer_ocsp(db: Database, request_der: bytes, *, settings: Settings | None = None) -> bytes:
    """A DER OCSP response (RFC 6960) for a DER request about a certificate of the city CAs."""
    secret = _secret(settings)
    with db.session() as s:
        cas = []
        for slug in ("root", "issuing"):
            row = _authority_row(s, slug)
            cas.append((_load(row), _key_of(s, row, secret)))
        slug_of = {pki.fingerprint(cas[0][0]): "root", pki.fingerprint(cas[1][0]): "issuing"}

        def lookup(ca_cert: x509.Certificate, serial: int) -> pki.OcspAnswer | None:
            row = s.scalar(
                select(Certificate).where(
                    Certificate.serial == pki.serial_hex(serial),
                    Certificate.issuer_slug == slug_of[pki.fingerprint(ca_cert)],
                )
            )
            if row is None:
                return None
            revoked = (
                pki.RevokedEntry(serial=serial, revoked_at=row.revoked_at, reason=row.revocation_reason)
                if row.status == "revoked" and row.revoked_at
                else None
            )
            return pki.OcspAnswer(cert=_load(row), revoked=revoked)

        return pki.build_ocsp_response(request_der, cas, lookup)


def _timestamper(s: Session, secret: str) -> tsa.CityTimeStamper:
    row = _authority_row(s, "tsa")
    key = _key_of(s, row, secret)
    chain = SimpleCertificateStore.from_certs([to_asn1_cert(_load(_authority_row(s, "issuing")))])
    return tsa.CityTimeStamper(
        tsa_cert=to_asn1_cert(_load(row)), tsa_key=to_asn1_key(key), certs_to_embed=chain
    )


def timestamp_reply(db: Database, request_der: bytes, *, settings: Settings | None = None) -> bytes:
    """A DER RFC 3161 TimeStampResp for a DER TimeStampReq."""
    with db.session() as s:
        stamper = _timestamper(s, _secret(settings))
    return tsa.answer_request(stamper, request_der)
