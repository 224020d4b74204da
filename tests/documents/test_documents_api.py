"""The documents API: the whole path over HTTP with tokens, and the refusals as problem details."""

from __future__ import annotations

from fastapi.testclient import TestClient

from smartcity.signing import service as signing
from tests.documents.conftest import Office, draft_data, setup_office, signed_count
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
