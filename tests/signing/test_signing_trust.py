"""External CA certificates registered as trusted roots, and device certificates from a CSR."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko_certvalidator.registry import SimpleCertificateStore

from smartcity.core.errors import Conflict, ValidationFailed
from smartcity.signing import pki, service
from smartcity.signing.keys import to_asn1_cert, to_asn1_key
from tests.signing.conftest import SYSTEM, CityPki


def _external_signed_pdf(pdf: bytes) -> tuple[bytes, x509.Certificate]:
    """A PDF signed by a certificate of an external CA (as a national CA would issue)."""
    ca_key, leaf_key = pki.new_rsa_key(2048), pki.new_rsa_key(2048)
    ca_subject = pki.SubjectInfo(
        common_name="Ban Cơ yếu Chính phủ (thử)", organisation="BCY", locality="Hà Nội"
    )
    ca = pki.build_certificate(
        kind="root-ca",
        subject=ca_subject,
        public_key=ca_key.public_key(),
        issuer=None,
        issuer_key=ca_key,
        lifetime=timedelta(days=365),
    )
    leaf = pki.build_certificate(
        kind="official",
        subject=pki.SubjectInfo(common_name="Lê Văn Cường", organisation="Bộ X", locality="Hà Nội"),
        public_key=leaf_key.public_key(),
        issuer=ca,
        issuer_key=ca_key,
        lifetime=timedelta(days=30),
    )
    signer = signers.SimpleSigner(
        signing_cert=to_asn1_cert(leaf),
        signing_key=to_asn1_key(leaf_key),
        cert_registry=SimpleCertificateStore.from_certs([to_asn1_cert(ca)]),
    )
    out = io.BytesIO()
    signers.PdfSigner(
        PdfSignatureMetadata(field_name="Ext", subfilter=fields.SigSeedSubFilter.PADES), signer=signer
    ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out)
    return out.getvalue(), ca


def test_an_external_root_becomes_trusted_once_registered(city_pki: CityPki, pdf: bytes) -> None:
    signed, ca = _external_signed_pdf(pdf)
    before = service.verify_pdf(city_pki.db, signed, settings=city_pki.settings)
    assert not before.all_hold and "untrusted_certificate" in before.signatures[0].problems
    pem = ca.public_bytes(serialization.Encoding.PEM)
    registered = service.register_trusted_root(city_pki.db, actor=SYSTEM, certificate=pem)
    assert registered.kind == "external-root" and registered.trusted
    after = service.verify_pdf(city_pki.db, signed, settings=city_pki.settings)
    assert after.all_hold and after.signatures[0].revocation == "unknown"
    with pytest.raises(Conflict):
        service.register_trusted_root(city_pki.db, actor=SYSTEM, certificate=pem)


def test_only_ca_certificates_can_be_trusted(city_pki: CityPki) -> None:
    leaf_pem = service.certificate_pem(city_pki.db, city_pki.official_serial).encode()
    with pytest.raises(ValidationFailed):
        service.register_trusted_root(city_pki.db, actor=SYSTEM, certificate=leaf_pem)
    with pytest.raises(ValidationFailed):
        service.register_trusted_root(city_pki.db, actor=SYSTEM, certificate=b"junk")


def test_device_certificate_from_a_csr_keeps_the_key_on_the_device(city_pki: CityPki) -> None:
    device_key = pki.new_rsa_key(2048)
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "den-duong-0042")]))
        .sign(device_key, hashes.SHA256())
    )
    cert = service.issue_device_certificate(
        city_pki.db,
        actor=SYSTEM,
        device_id="den-duong-0042",
        csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode(),
        settings=city_pki.settings,
        signing_settings=city_pki.signing,
    )
    issued = x509.load_pem_x509_certificate(service.certificate_pem(city_pki.db, cert.serial).encode())
    assert issued.public_key() == device_key.public_key()
    assert cert.kind == "device" and cert.holder == "den-duong-0042"
    with pytest.raises(ValidationFailed):
        service.issue_device_certificate(
            city_pki.db,
            actor=SYSTEM,
            device_id="x",
            csr_pem="nope",
            settings=city_pki.settings,
            signing_settings=city_pki.signing,
        )
