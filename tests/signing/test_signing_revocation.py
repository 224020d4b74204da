"""Revocation: a revoked (or expired) certificate cannot sign; a timestamped signature made before the
revocation still holds at its time; one made after it, or without a timestamp, does not."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from sqlalchemy import func, select, update

from smartcity.core.db import utcnow
from smartcity.signing import service
from smartcity.signing.errors import CertificateNotUsable
from smartcity.signing.keys import SoftwareSignerProvider
from smartcity.signing.models import Certificate, SignedDocument, StoredKey
from tests.signing.conftest import LEADER, SYSTEM, CityPki, sign


def _next_second() -> None:
    """Revocations are recorded to the second (rounded down): let the signing second pass first."""
    start = utcnow().replace(microsecond=0)
    while utcnow().replace(microsecond=0) == start:
        time.sleep(0.05)


def _revoke_leader(pki: CityPki) -> None:
    service.revoke_certificate(pki.db, actor=SYSTEM, serial=pki.official_serial, reason="key_compromise")


def test_timestamped_signature_made_before_revocation_still_holds(city_pki: CityPki, pdf: bytes) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, level="B-T")
    _next_second()
    _revoke_leader(city_pki)
    report = service.verify_pdf(city_pki.db, signed.pdf, settings=city_pki.settings)
    sig = report.signatures[0]
    assert report.all_hold, sig.problems
    assert sig.signing_time_source == "timestamp" and sig.revocation == "good"


def test_untimestamped_signature_of_a_revoked_certificate_does_not_hold(
    city_pki: CityPki, pdf: bytes
) -> None:
    signed = sign(city_pki, pdf, signer_username=LEADER, level="B-B")
    _revoke_leader(city_pki)
    report = service.verify_pdf(city_pki.db, signed.pdf, settings=city_pki.settings)
    assert not report.all_hold
    assert report.signatures[0].revocation == "revoked"
    assert "certificate_revoked" in report.signatures[0].problems


def _count_documents(pki: CityPki) -> int:
    with pki.db.session() as s:
        return s.scalar(select(func.count()).select_from(SignedDocument)) or 0


def test_a_revoked_certificate_cannot_sign(city_pki: CityPki, pdf: bytes) -> None:
    _revoke_leader(city_pki)
    with pytest.raises(CertificateNotUsable):
        sign(city_pki, pdf, signer_username=LEADER)
    assert _count_documents(city_pki) == 0


def test_an_expired_certificate_cannot_sign(city_pki: CityPki, pdf: bytes) -> None:
    with city_pki.db.write_session() as s:
        s.execute(
            update(Certificate)
            .where(Certificate.serial == city_pki.official_serial)
            .values(not_after=utcnow() - timedelta(days=1))
        )
    with pytest.raises(CertificateNotUsable):
        sign(city_pki, pdf, signer_username=LEADER)


def test_a_signature_made_after_revocation_with_the_old_key_does_not_hold(
    city_pki: CityPki, pdf: bytes
) -> None:
    """Someone who kept the key signs after the revocation, even with a genuine timestamp: refused."""
    _revoke_leader(city_pki)
    with city_pki.db.session() as s:
        row = s.scalar(select(Certificate).where(Certificate.serial == city_pki.official_serial))
        assert row is not None
        stored = s.get(StoredKey, row.key_id)
        assert stored is not None
        s.expunge(stored)
        from smartcity.signing.service import _authority_row, _load, _timestamper

        cert, chain = _load(row), [_load(_authority_row(s, "issuing")), _load(_authority_row(s, "root"))]
        stamper = _timestamper(s, city_pki.settings.resolved_secret_key)
    signer = SoftwareSignerProvider(city_pki.settings.resolved_secret_key).signer_for(stored, cert, chain)
    meta = PdfSignatureMetadata(field_name="Forged", subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, timestamper=stamper).sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
    )
    report = service.verify_pdf(city_pki.db, out.getvalue(), settings=city_pki.settings)
    assert not report.all_hold
    assert report.signatures[0].signing_time_source == "timestamp"
    assert report.signatures[0].revocation == "revoked"


def test_issuing_again_supersedes_the_previous_certificate(city_pki: CityPki, pdf: bytes) -> None:
    renewed = service.issue_official_certificate(
        city_pki.db,
        actor=SYSTEM,
        username=LEADER,
        full_name="Nguyễn Văn An",
        settings=city_pki.settings,
        signing_settings=city_pki.signing,
    )
    old = service.get_certificate(city_pki.db, city_pki.official_serial)
    assert old.status == "revoked" and old.revocation_reason == "superseded"
    assert sign(city_pki, pdf, signer_username=LEADER, level="B-B").certificate_serial == renewed.serial
