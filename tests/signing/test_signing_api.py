"""The /api/v1/signing API (verify, sign, certificates) and the public /kiem-tra-chu-ky pages."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from smartcity.core import config as core_config
from smartcity.core.errors import PayloadTooLarge
from smartcity.core.security import ANONYMOUS, Actor
from smartcity.signing import service
from smartcity.web import uploads
from smartcity.web.deps import current_actor
from tests.signing.conftest import LEADER, SYSTEM, WARD, CityPki, make_pdf, sign

LEADER_ACTOR = Actor(kind="user", name=LEADER, user_id=1, roles=frozenset({("leader", WARD)}))
CLERK_ELSEWHERE = Actor(kind="user", name="clerk.x", user_id=2, roles=frozenset({("clerk", "W-OTHER")}))


def _as(app, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    app.dependency_overrides[current_actor] = lambda: actor


def _verify(client: TestClient, content: bytes, name: str = "x.pdf"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/signing/verify", files={"file": (name, content, "application/pdf")})


def test_verify_api_reports_each_signature(city_pki: CityPki, client: TestClient, pdf: bytes) -> None:
    signed = sign(city_pki, sign(city_pki, pdf, signer_username=LEADER).pdf, org_unit_code=WARD)
    response = _verify(client, signed.pdf)
    assert response.status_code == 200
    body = response.json()
    assert body["all_hold"] and body["signature_count"] == 2 and body["document_id"] == signed.document_id
    raw = client.post(
        "/api/v1/signing/verify", content=signed.pdf, headers={"content-type": "application/pdf"}
    )
    assert raw.json()["all_hold"]
    unsigned = _verify(client, pdf).json()
    assert unsigned["signature_count"] == 0 and not unsigned["all_hold"]


def test_verify_api_problems(city_pki: CityPki, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    not_pdf = _verify(client, b"PK\x03\x04 a zip file")
    assert not_pdf.status_code == 415 and not_pdf.json()["type"].endswith("/not-a-pdf")
    assert not_pdf.headers["content-type"] == "application/problem+json"
    encrypted = _verify(client, make_pdf(encrypt="matkhau"))
    assert encrypted.status_code == 422 and encrypted.json()["type"].endswith("/encrypted-pdf")
    no_file = client.post("/api/v1/signing/verify", data={"x": "1"}, files={"other": ("a", b"b")})
    assert no_file.status_code == 400
    wrong_type = client.post(
        "/api/v1/signing/verify", content=b"{}", headers={"content-type": "application/json"}
    )
    assert wrong_type.status_code == 415
    monkeypatch.setenv("SMARTCITY_SIGNING_MAX_UPLOAD_BYTES", "5000")
    core_config.get_settings.cache_clear()
    try:
        too_big = _verify(client, make_pdf(pages=3))
        assert too_big.status_code == 413 and too_big.json()["type"].endswith("/payload-too-large")
    finally:
        monkeypatch.delenv("SMARTCITY_SIGNING_MAX_UPLOAD_BYTES")
        core_config.get_settings.cache_clear()


class _EndlessRequest:
    """A request whose body never ends; counts how much of it was read."""

    def __init__(self, declared: str | None) -> None:
        self.headers = {
            "content-type": "application/pdf",
            **({"content-length": declared} if declared else {}),
        }
        self.chunks_read = 0

    async def stream(self):  # type: ignore[no-untyped-def]
        while True:
            self.chunks_read += 1
            yield b"%PDF-" + b"x" * 1019


def test_oversized_uploads_are_refused_before_being_read() -> None:
    declared = _EndlessRequest("999999999")
    with pytest.raises(PayloadTooLarge):
        asyncio.run(uploads.read_pdf_upload(declared, limit=10_000))  # type: ignore[arg-type]
    assert declared.chunks_read == 0
    streamed = _EndlessRequest(None)
    with pytest.raises(PayloadTooLarge):
        asyncio.run(uploads.read_pdf_upload(streamed, limit=10_000))  # type: ignore[arg-type]
    assert streamed.chunks_read == 10  # stopped as soon as it passed the limit


def test_sign_api_only_for_the_holder(city_pki: CityPki, app, client: TestClient, pdf: bytes) -> None:  # type: ignore[no-untyped-def]
    files = {"file": ("giay-chung-nhan.pdf", pdf, "application/pdf")}
    _as(app, ANONYMOUS)
    assert client.post("/api/v1/signing/sign", files=files).status_code == 401
    _as(app, CLERK_ELSEWHERE)
    assert client.post("/api/v1/signing/sign", files=files, data={"org_unit_code": WARD}).status_code == 403
    assert client.post("/api/v1/signing/sign", files=files).status_code == 403  # holds no certificate
    _as(app, LEADER_ACTOR)
    response = client.post("/api/v1/signing/sign", files=files, data={"level": "B-LT"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    document_id = response.headers["x-document-id"]
    assert service.verify_pdf(city_pki.db, response.content, settings=city_pki.settings).all_hold
    assert client.get(f"/api/v1/signing/documents/{document_id}/pdf").content == response.content
    bad_level = client.post("/api/v1/signing/sign", files=files, data={"level": "B-LTA"})
    assert bad_level.status_code == 422
    service.revoke_certificate(city_pki.db, actor=SYSTEM, serial=city_pki.official_serial)
    refused = client.post("/api/v1/signing/sign", files=files)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/certificate-not-usable")


def test_certificate_administration_is_for_admins(city_pki: CityPki, app, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    _as(app, LEADER_ACTOR)
    body = {"username": "someone", "full_name": "Trần Thị Bình"}
    assert client.post("/api/v1/signing/certificates/officials", json=body).status_code == 403
    assert (
        client.post(f"/api/v1/signing/certificates/{city_pki.ward_serial}/revoke", json={}).status_code == 403
    )
    _as(app, SYSTEM)
    created = client.post("/api/v1/signing/certificates/officials", json=body)
    assert created.status_code == 201 and created.json()["kind"] == "official"
    revoked = client.post(
        f"/api/v1/signing/certificates/{created.json()['serial']}/revoke",
        json={"reason": "affiliation_changed"},
    )
    assert revoked.json()["status"] == "revoked"
    again = client.post(f"/api/v1/signing/certificates/{created.json()['serial']}/revoke", json={})
    assert again.status_code == 409
    assert client.post("/api/v1/signing/certificates/ffff/revoke", json={}).status_code == 404
    bad_image = client.post(
        "/api/v1/signing/certificates/organisations",
        json={"org_unit_code": "W-Y", "name": "Y", "seal_png_base64": "bm90IGEgcG5n"},
    )
    assert bad_image.status_code == 422


def test_verify_pages(city_pki: CityPki, client: TestClient, pdf: bytes) -> None:
    form = client.get("/kiem-tra-chu-ky")
    assert form.status_code == 200 and "Kiểm tra chữ ký số" in form.text
    assert "Verify digital signatures" in client.get("/kiem-tra-chu-ky?lang=en").text
    client.cookies.clear()  # back to Vietnamese
    signed = sign(city_pki, pdf, signer_username=LEADER)
    result = client.post("/kiem-tra-chu-ky", files={"file": ("kq.pdf", signed.pdf, "application/pdf")})
    assert result.status_code == 200
    assert "Nguyễn Văn An" in result.text and 'data-verdict="valid"' in result.text
    bad = client.post(
        "/kiem-tra-chu-ky",
        files={"file": ("a.pdf", b"not a pdf", "application/pdf")},
        headers={"accept": "text/html"},
    )
    assert bad.status_code == 415 and "không phải là PDF" in bad.text
    page = client.get(f"/kiem-tra-chu-ky/{signed.document_id}")
    assert page.status_code == 200 and f"/kiem-tra-chu-ky/{signed.document_id}/pdf" in page.text
    assert client.get(f"/kiem-tra-chu-ky/{signed.document_id}/pdf").content == signed.pdf
    printed = client.get(
        f"/verify/{signed.document_id}", follow_redirects=False
    )  # an older QR code's address
    assert (printed.status_code, printed.headers["location"]) == (
        308,
        f"/kiem-tra-chu-ky/{signed.document_id}",
    )
    missing = client.get("/kiem-tra-chu-ky/0000", headers={"accept": "text/html"})
    assert missing.status_code == 404
