"""The dossiers over HTTP: multipart submission, Idempotency-Key, actions with 409/403, lookup, documents."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from smartcity.accounts import service as accounts
from tests.dossiers.dossier_fixtures import PASSWORD, PDF, PNG, house_form


def _auth(db, settings, username: str) -> dict[str, str]:
    token = accounts.login_for_token(
        db, settings=settings, username=username, password=PASSWORD, client_ip="10.0.0.9"
    ).access_token
    return {"Authorization": f"Bearer {token}"}


def _submission() -> tuple[dict, dict]:
    data = {
        "procedure_code": "TDM-QLDT-001",
        "form": house_form(),
        "applicant": {"name": "Nguyễn Văn An", "id_number": "074090001234", "phone": "0912345678"},
    }
    files = {
        "file_don_de_nghi": ("don.pdf", PDF, "application/pdf"),
        "file_gcn_qsdd": ("so-do.png", PNG, "image/png"),
    }
    return {"data": json.dumps(data, ensure_ascii=False)}, files


def test_submit_act_and_look_up_over_http(client, db, settings, people):
    citizen = _auth(db, settings, "citizen1")
    form, files = _submission()
    created = client.post(
        "/api/v1/dossiers", data=form, files=files, headers={**citizen, "Idempotency-Key": "abc-1"}
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    repeat = client.post(
        "/api/v1/dossiers", data=form, files=files, headers={**citizen, "Idempotency-Key": "abc-1"}
    )
    assert repeat.status_code == 200 and repeat.json()["code"] == code
    ward_clerk = _auth(db, settings, "wclerk")
    assert "receive" in client.get(f"/api/v1/dossiers/{code}", headers=ward_clerk).json()["actions"]
    denied = client.post(f"/api/v1/dossiers/{code}/actions/decide", headers=_auth(db, settings, "wleader"))
    assert denied.status_code == 409 and denied.headers["content-type"].startswith("application/problem+json")
    forbidden = client.post(f"/api/v1/dossiers/{code}/actions/receive", headers=citizen)
    assert forbidden.status_code == 403 and "clerk" in forbidden.json()["detail"]
    assert client.get(f"/api/v1/dossiers/{code}", headers=citizen).json()["state"] == 1
    received = client.post(f"/api/v1/dossiers/{code}/actions/receive", headers=ward_clerk)
    assert received.status_code == 200 and received.json()["state"] == 2 and received.json()["due_date"]
    receipt = client.get(f"/api/v1/dossiers/{code}/documents/receipt.pdf", headers=citizen)
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    found = client.post("/api/v1/dossiers/lookup", json={"code": code, "second_factor": "0912345678"})
    assert found.status_code == 200 and "Nguyễn" not in found.text
    assert (
        client.post("/api/v1/dossiers/lookup", json={"code": code, "second_factor": "0000000000"}).status_code
        == 404
    )
    listed = client.get("/api/v1/dossiers", headers=citizen).json()
    assert listed["total"] == 1 and listed["items"][0]["applicant_id_masked"].endswith("234")


def test_bad_submissions_are_refused_with_reasons(client, db, settings, people):
    citizen = _auth(db, settings, "citizen1")
    form, files = _submission()
    bad = json.loads(form["data"])
    bad["form"]["map_sheet"] = "x"
    response = client.post("/api/v1/dossiers", data={"data": json.dumps(bad)}, files=files, headers=citizen)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "form.map_sheet"
    wrong_type = dict(files, file_gcn_qsdd=("x.exe", b"MZ\x90\x00", "application/pdf"))
    assert client.post("/api/v1/dossiers", data=form, files=wrong_type, headers=citizen).status_code == 415
    assert client.post("/api/v1/dossiers", data=form, files=files).status_code == 401
    assert (
        client.post(
            "/api/v1/dossiers", content=b"{not json", headers={**citizen, "Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_concurrent_submissions_get_unique_codes(client, db, settings, people):
    citizen = _auth(db, settings, "citizen1")
    form, files = _submission()

    def submit(index: int) -> str:
        response = client.post(
            "/api/v1/dossiers",
            data=form,
            files=files,
            headers={**citizen, "Idempotency-Key": f"parallel-{index}"},
        )
        assert response.status_code == 201, response.text
        return response.json()["code"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(submit, range(12)))
    assert len(set(codes)) == 12
    sequences = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert sequences == list(range(1, 13))


def test_oversight_endpoints_statistics_ratings_register(client, db, settings, people):
    citizen = _auth(db, settings, "citizen1")
    form, files = _submission()
    assert client.post("/api/v1/dossiers", data=form, files=files, headers=citizen).status_code == 201
    head = _auth(db, settings, "whead")
    rows = client.get("/api/v1/dossiers/statistics", params={"by": "procedure"}, headers=head).json()
    assert rows[0]["received"] == 1
    none = client.get("/api/v1/dossiers/statistics", params={"date_to": "2020-01-01"}, headers=head).json()
    assert none == []
    xlsx = client.get("/api/v1/dossiers/statistics", params={"format": "xlsx"}, headers=head)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/v1/dossiers/statistics", headers=citizen).status_code == 403
    assert client.get("/api/v1/dossiers/ratings", params={"by": "official"}, headers=head).json() == []
    register = client.get(
        "/api/v1/dossiers/register.pdf", params={"unit": "UBND-25747-HCM", "month": "2025-08"}, headers=head
    )
    assert register.status_code == 200 and register.content.startswith(b"%PDF")
    assert (
        client.get(
            "/api/v1/dossiers/register.pdf", params={"unit": "TDM-MOTCUA", "month": "2025-08"}, headers=head
        ).status_code
        == 403
    )
