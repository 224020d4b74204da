"""Over HTTP: the ward decides a house number; the result PDF is signed, sealed and verifiable by its QR."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from smartcity.accounts import service as accounts
from smartcity.core import config as core_config
from smartcity.signing import config as signing_config
from smartcity.signing import service as signing
from tests.dossiers.dossier_fixtures import PASSWORD, PDF, PNG, SYSTEM, house_form

WARD = "UBND-25747-HCM"


@pytest.fixture
def process_settings(settings, monkeypatch) -> Iterator[None]:
    """Handlers see this test's settings through the database; the signing settings are process-wide."""
    monkeypatch.setenv("SMARTCITY_SIGNING_ROOT_KEY_BITS", "2048")
    core_config.get_settings.cache_clear()
    yield
    core_config.get_settings.cache_clear()


def _auth(db, settings, username: str) -> dict[str, str]:
    token = accounts.login_for_token(
        db, settings=settings, username=username, password=PASSWORD, client_ip="10.0.0.8"
    ).access_token
    return {"Authorization": f"Bearer {token}"}


def _pki(db, settings) -> None:
    ss = signing_config.get_signing_settings()
    signing.init_pki(db, actor=SYSTEM, settings=settings, signing_settings=ss)
    signing.issue_official_certificate(
        db,
        actor=SYSTEM,
        username="wleader",
        full_name="Phạm Minh Tuấn",
        org_unit_code=WARD,
        settings=settings,
        signing_settings=ss,
    )
    signing.issue_organisation_certificate(
        db,
        actor=SYSTEM,
        org_unit_code=WARD,
        name="UBND phường Thủ Dầu Một",
        settings=settings,
        signing_settings=ss,
    )


def test_result_decided_over_http_is_signed_sealed_and_verified(
    client, db, settings, people, process_settings
):
    _pki(db, settings)
    citizen = _auth(db, settings, "citizen1")
    data = {
        "procedure_code": "TDM-QLDT-001",
        "form": house_form(),
        "applicant": {"name": "Nguyễn Văn An", "id_number": "074090001234", "phone": "0912345678"},
    }
    files = {
        "file_don_de_nghi": ("don.pdf", PDF, "application/pdf"),
        "file_gcn_qsdd": ("so-do.png", PNG, "image/png"),
    }
    created = client.post(
        "/api/v1/dossiers", data={"data": json.dumps(data, ensure_ascii=False)}, files=files, headers=citizen
    )
    assert created.status_code == 201, created.text
    code = created.json()["code"]
    steps = [
        ("wclerk", "receive", None),
        ("whead", "assign", {"assignee": "wspec"}),
        ("wspec", "process", {"result": {"house_number": "9C", "side": "odd_left"}}),
        ("whead", "review", None),
        ("wleader", "decide", None),
        ("wclerk", "pay", None),
    ]
    for username, action, body in steps:
        headers = _auth(db, settings, username)
        if action in client.get(f"/api/v1/dossiers/{code}", headers=headers).json()["actions"]:
            done = client.post(f"/api/v1/dossiers/{code}/actions/{action}", json=body, headers=headers)
            assert done.status_code == 200, done.text

    detail = client.get(f"/api/v1/dossiers/{code}", headers=citizen).json()
    signature = detail["result_data"]["signature"]
    assert signature["status"] == "signed", signature
    result = client.get(f"/api/v1/dossiers/{code}/documents/result.pdf", headers=citizen)
    assert result.status_code == 200
    checked = client.post(
        "/api/v1/signing/verify", files={"file": ("result.pdf", result.content, "application/pdf")}
    ).json()
    assert checked["all_hold"] and checked["signature_count"] == 2
    assert [s["signer"]["common_name"] for s in checked["signatures"]] == [
        "Phạm Minh Tuấn",
        "UBND phường Thủ Dầu Một",
    ]
    assert checked["document_id"] == signature["document_id"]
    page = client.get(urlsplit(signature["verification_url"]).path)  # where the QR code leads
    assert page.status_code == 200 and "Phạm Minh Tuấn" in page.text
    dossier_page = client.get(f"/ho-so/{code}", headers=citizen)  # what the citizen sees of it
    assert 'id="result-signature" data-status="signed"' in dossier_page.text
    assert "Phạm Minh Tuấn" in dossier_page.text and "UBND phường Thủ Dầu Một" in dossier_page.text
    local_page = urlsplit(signature["verification_url"]).path  # this server's page, on whatever port
    assert f'href="{local_page}"' in dossier_page.text
    assert "Kết quả giải quyết (bản trước khi ký số)" in dossier_page.text  # the unsigned copy, named
    assert "<th>owner_name</th>" not in dossier_page.text  # the form's fields by their titles
