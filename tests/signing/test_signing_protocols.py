"""CRL, OCSP (RFC 6960) and TSA (RFC 3161) over HTTP, certificate contents, and keys that never leak."""

from __future__ import annotations

import base64
import hashlib
import json
import os

from asn1crypto import algos, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.audit import AuditEntry
from smartcity.signing import pki, service
from smartcity.signing.keys import software_key
from smartcity.signing.models import Certificate, StoredKey
from smartcity.web.deps import current_actor
from tests.signing.conftest import LEADER, SYSTEM, CityPki, sign


def _cert(pki_: CityPki, serial: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(service.certificate_pem(pki_.db, serial).encode())


def _issuing(client: TestClient) -> x509.Certificate:
    return x509.load_der_x509_certificate(client.get("/api/v1/signing/ca/issuing.crt").content)


def test_certificates_name_their_ocsp_crl_and_issuer_urls(city_pki: CityPki) -> None:
    cert = _cert(city_pki, city_pki.official_serial)
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {d.access_method._name: d.access_location.value for d in aia}
    assert urls == {
        "OCSP": "http://verify.test/api/v1/signing/ocsp",
        "caIssuers": "http://verify.test/api/v1/signing/ca/issuing.crt",
    }
    crldp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crldp[0].full_name[0].value == "http://verify.test/api/v1/signing/crl/issuing.crl"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature and not usage.key_cert_sign
    assert cert.subject.get_attributes_for_oid(x509.NameOID.USER_ID)[0].value == LEADER


def test_crl_lists_revoked_certificates(city_pki: CityPki, client: TestClient) -> None:
    issuing = _issuing(client)
    first = x509.load_der_x509_crl(client.get("/api/v1/signing/crl/issuing.crl").content)
    assert first.is_signature_valid(issuing.public_key())  # type: ignore[arg-type]
    assert first.get_revoked_certificate_by_serial_number(int(city_pki.official_serial, 16)) is None
    service.revoke_certificate(
        city_pki.db, actor=SYSTEM, serial=city_pki.official_serial, reason="key_compromise"
    )
    response = client.get("/api/v1/signing/crl/issuing.crl")
    assert response.headers["content-type"] == "application/pkix-crl"
    entry = x509.load_der_x509_crl(response.content).get_revoked_certificate_by_serial_number(
        int(city_pki.official_serial, 16)
    )
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    assert client.get("/api/v1/signing/crl/nope.crl").status_code == 404


def _ocsp(client: TestClient, body: bytes) -> ocsp.OCSPResponse:
    response = client.post(
        "/api/v1/signing/ocsp", content=body, headers={"content-type": "application/ocsp-request"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ocsp-response"
    return ocsp.load_der_ocsp_response(response.content)


def test_ocsp_answers_good_then_revoked(city_pki: CityPki, client: TestClient) -> None:
    issuing, cert = _issuing(client), _cert(city_pki, city_pki.official_serial)
    request = pki.ocsp_request_for(cert, issuing)
    good = _ocsp(client, request)
    assert good.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert good.certificate_status == ocsp.OCSPCertStatus.GOOD
    issuing.public_key().verify(
        good.signature,
        good.tbs_response_bytes,  # type: ignore[union-attr,call-arg]
        __import__("cryptography.hazmat.primitives.asymmetric.padding", fromlist=["PKCS1v15"]).PKCS1v15(),
        good.signature_hash_algorithm,
    )
    service.revoke_certificate(city_pki.db, actor=SYSTEM, serial=city_pki.official_serial)
    revoked = _ocsp(client, request)
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
    assert revoked.revocation_time_utc is not None
    encoded = base64.b64encode(request).decode()
    via_get = client.get(f"/api/v1/signing/ocsp/{encoded}")
    assert ocsp.load_der_ocsp_response(via_get.content).certificate_status == ocsp.OCSPCertStatus.REVOKED


def test_ocsp_unknown_and_malformed_requests(city_pki: CityPki, client: TestClient) -> None:
    issuing = _issuing(client)
    stranger = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(
            issuer_name_hash=b"\0" * 20,
            issuer_key_hash=pki.issuer_key_hash(issuing, pki.hashes.SHA1()),
            serial_number=12345,
            algorithm=pki.hashes.SHA1(),
        )
        .build()
    )
    unknown = _ocsp(client, stranger.public_bytes(serialization.Encoding.DER))
    assert unknown.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert _ocsp(client, b"not der").response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    wrong_type = client.post("/api/v1/signing/ocsp", content=b"x", headers={"content-type": "text/plain"})
    assert wrong_type.status_code == 415
    assert wrong_type.headers["content-type"] == "application/problem+json"


def _ts_request(digest: bytes, nonce: int) -> bytes:
    return tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": tsp.MessageImprint(
                {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}), "hashed_message": digest}
            ),
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


def test_tsa_grants_a_token_over_the_imprint(city_pki: CityPki, client: TestClient) -> None:
    digest = hashlib.sha256(b"document").digest()
    response = client.post(
        "/api/v1/signing/tsa",
        content=_ts_request(digest, 4242),
        headers={"content-type": "application/timestamp-query"},
    )
    assert response.headers["content-type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 4242
    signer_certs = reply["time_stamp_token"]["content"]["certificates"]
    assert any("Dấu thời gian" in c.chosen.subject.human_friendly for c in signer_certs)


def test_tsa_rejects_what_it_cannot_stamp(city_pki: CityPki, client: TestClient) -> None:
    def post(body: bytes) -> tsp.PKIStatusInfo:
        reply = client.post(
            "/api/v1/signing/tsa", content=body, headers={"content-type": "application/timestamp-query"}
        ).content
        return tsp.PKIStatusInfo.load(core.Sequence.load(reply)[0].dump())  # a status, no token

    assert post(b"garbage")["status"].native == "rejection"
    short = _ts_request(b"\x01" * 5, 1)
    assert post(short)["status"].native == "rejection"
    assert post(short)["fail_info"].native == {"bad_data_format"}
    assert client.post("/api/v1/signing/tsa", content=b"x").status_code == 415


def test_private_keys_never_leave(city_pki: CityPki, app, client: TestClient, pdf: bytes, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("DEBUG")
    app.dependency_overrides[current_actor] = lambda: SYSTEM
    client.post(
        "/api/v1/signing/certificates/organisations", json={"org_unit_code": "W-X", "name": "Phường X"}
    )
    signed = sign(city_pki, pdf, signer_username=LEADER, level="B-LT")
    secrets_found = []
    with city_pki.db.session() as s:
        for stored in s.scalars(select(StoredKey)):
            assert stored.sealed is not None
            key = software_key(stored, city_pki.settings.resolved_secret_key)
            der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            assert der not in stored.sealed
            secrets_found.append(der)
        audit = json.dumps(
            [[row.before, row.after] for row in s.scalars(select(AuditEntry))], ensure_ascii=False
        )
        serials = [row.serial for row in s.scalars(select(Certificate))]
    answers = [
        client.get(path).content
        for path in (
            "/api/v1/signing/pki",
            "/api/v1/signing/certificates",
            "/api/v1/signing/root.pem",
            f"/api/v1/signing/certificates/{city_pki.official_serial}",
            f"/api/v1/signing/certificates/{city_pki.official_serial}/pem",
            f"/api/v1/signing/documents/{signed.document_id}",
            f"/api/v1/signing/documents/{signed.document_id}/pdf",
        )
    ]
    answers.append(audit.encode())
    answers.append(caplog.text.encode())
    assert len(secrets_found) >= 6 and len(serials) >= 6
    for der in secrets_found:
        forms = [der, base64.b64encode(der), der.hex().encode(), base64.b64encode(der)[:64]]
        for answer in answers:
            assert b"PRIVATE KEY" not in answer
            assert not any(form in answer for form in forms)
    assert "sealed" not in audit and os.urandom(0) == b""
