"""The documents API: the whole path over HTTP with tokens, and the refusals as problem details."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from smartcity.documents import service
from smartcity.documents.models import Document
from smartcity.signing import service as signing
from tests.documents.conftest import Office, annex_pdf, draft_data, make_user, setup_office, signed_count
from tests.dossiers.dossier_fixtures import PASSWORD


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_draft_to_issue_over_the_api(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office: Office = setup_office(db, settings)
    with TestClient(app) as client:
        spec, head, leader, clerk, other = (
            _bearer(client, u) for u in ("chuyenvien", "truongphong", "lanhdao", "vanthu", "phochutich")
        )
        body = draft_data().model_dump()
        created = client.post("/api/v1/documents", json=body, headers=spec)
        assert created.status_code == 201, created.text
        doc_id = created.json()["id"]
        assert client.post(f"/api/v1/documents/{doc_id}/submit", headers=spec).json()["state"] == "submitted"
        early = client.post(f"/api/v1/documents/{doc_id}/sign", headers=leader)
        assert early.status_code == 409 and early.headers["content-type"].startswith(
            "application/problem+json"
        )
        assert client.post(f"/api/v1/documents/{doc_id}/approve", headers=head).json()["state"] == "approved"
        assert [d["id"] for d in client.get("/api/v1/documents/sign-queue", headers=leader).json()] == [
            doc_id
        ]
        before = signed_count(office)
        refused = client.post(f"/api/v1/documents/{doc_id}/sign", headers=other)
        assert refused.status_code == 403 and refused.json()["status"] == 403
        assert client.get(f"/api/v1/documents/{doc_id}", headers=spec).json()["state"] == "approved"
        assert signed_count(office) == before
        signed = client.post(f"/api/v1/documents/{doc_id}/sign", headers=leader)
        assert signed.status_code == 200 and signed.json()["state"] == "signed", signed.text
        issued = client.post(f"/api/v1/documents/{doc_id}/issue", headers=clerk)
        assert issued.status_code == 200, issued.text
        assert issued.json()["number_symbol"] == "01/QĐ-UBND"
        pdf = client.get(f"/api/v1/documents/{doc_id}/pdf", headers=clerk)
        assert pdf.headers["content-type"] == "application/pdf"
        assert signing.verify_pdf(db, pdf.content, settings=settings).all_hold
        register = client.get("/api/v1/documents/registers/outgoing", headers=clerk).json()
        assert [(r["number"], r["book"]) for r in register] == [(1, "outgoing")]
        found = client.get("/api/v1/documents", params={"q": "chinh trang"}, headers=head).json()
        assert found["total"] == 1
        assert client.get("/api/v1/documents", headers={}).status_code == 401
        bad = client.post("/api/v1/documents", json={**body, "type_code": "XX"}, headers=spec)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "type_code"
        agency = {"code": "UBND-25750-HCM", "name": "UBND phường Phú Lợi", "endpoint": "http://127.0.0.1:9"}
        assert (
            client.put(
                "/api/v1/documents/exchange/agencies/UBND-25750-HCM", json=agency, headers=clerk
            ).status_code
            == 403
        )
        assert client.get("/api/v1/documents/exchange/agencies", headers=clerk).json() == []


def test_attachments_over_the_api_with_problem_details(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    setup_office(db, settings, with_pki=False)
    with TestClient(app) as client:
        spec, head = _bearer(client, "chuyenvien"), _bearer(client, "truongphong")
        doc_id = client.post("/api/v1/documents", json=draft_data().model_dump(), headers=spec).json()["id"]
        url = f"/api/v1/documents/{doc_id}/attachments"
        added = client.post(
            url, files={"file": ("Phụ lục.pdf", annex_pdf(), "application/pdf")}, headers=spec
        )
        assert added.status_code == 201, added.text
        assert added.json()["filename"] == "Phu-luc.pdf" and not added.json()["sealed"]
        refusals = {
            415: client.post(
                url, files={"file": ("a.txt", b"plain text, not a PDF", "text/plain")}, headers=spec
            ),
            413: client.post(
                url,
                content=b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024),
                headers={**spec, "content-type": "application/pdf"},
            ),
            422: client.post(
                url, files={"file": ("rong.pdf", annex_pdf(pages=0), "application/pdf")}, headers=spec
            ),
            403: client.post(url, files={"file": ("x.pdf", annex_pdf(), "application/pdf")}, headers=head),
        }
        for status, response in refusals.items():
            assert response.status_code == status, (status, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        listed = client.get(url, headers=head).json()
        assert [a["id"] for a in listed] == [added.json()["id"]]
        pdf = client.get(f"{url}/{listed[0]['id']}/pdf", headers=head)
        assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == listed[0]["sha256"]
        assert client.delete(f"{url}/{listed[0]['id']}", headers=spec).status_code == 204
        assert client.get(url, headers=spec).json() == []


def _stored_documents(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Document)) or 0


def test_the_api_names_as_signer_only_a_leader_of_the_issuing_unit_or_of_the_city(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    setup_office(db, settings, with_pki=False)
    make_user(db, "chutich", "Nguyễn Văn Thành", [("leader", None)])  # a leader of the whole city
    make_user(db, "lanhdaophuloi", "Võ Thị Hạnh", [("leader", "UBND-25750-HCM")])  # of another ward
    make_user(db, "congdan", "Đỗ Thị Lan", [("citizen", None)])
    with TestClient(app) as client:
        spec = _bearer(client, "chuyenvien")
        body = draft_data().model_dump()
        for username in ("truongphong", "vanthu", "chuyenvien", "congdan", "lanhdaophuloi", "nobody"):
            refused = client.post(
                "/api/v1/documents", json={**body, "signer_username": username}, headers=spec
            )
            assert refused.status_code == 422, (username, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["status"] == 422 and problem["errors"] == [
                {"field": "signer_username", "message": service.WRONG_SIGNER}
            ], username
        assert _stored_documents(db) == 0  # nothing stored on a refusal

        for username, name in (("lanhdao", "Phạm Minh Tuấn"), ("chutich", "Nguyễn Văn Thành")):
            created = client.post(
                "/api/v1/documents", json={**body, "signer_username": username}, headers=spec
            )
            assert created.status_code == 201, created.text
            assert (created.json()["signer_username"], created.json()["signer_name"]) == (username, name)
        spelled = client.post(
            "/api/v1/documents", json={**body, "signer_username": " LanhDao "}, headers=spec
        )
        assert spelled.status_code == 201 and spelled.json()["signer_username"] == "lanhdao"  # as stored

        doc_id = spelled.json()["id"]
        changed = {**body, "subject": "Về việc khác hẳn", "signer_username": "truongphong"}
        refused = client.put(f"/api/v1/documents/{doc_id}", json=changed, headers=spec)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "signer_username"
        kept = client.get(f"/api/v1/documents/{doc_id}", headers=spec).json()
        assert (kept["subject"], kept["signer_username"]) == (body["subject"], "lanhdao")
        assert _stored_documents(db) == 3
