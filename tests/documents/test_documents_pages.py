"""The documents pages with a browser-like client: refusals in Vietnamese, English, registers as XLSX."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from smartcity.documents import service
from tests.documents.conftest import setup_office, to_signed
from tests.dossiers.dossier_fixtures import PASSWORD

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(app, username: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    token = CSRF.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/can-bo/van-ban"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/can-bo/van-ban/moi")
    return client, CSRF.search(page.text).group(1)  # type: ignore[union-attr]


def test_pages_refuse_in_vietnamese_and_export_the_register(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings)
    doc_id = to_signed(office)
    intruder, token = _login(app, "phochutich")
    refused = intruder.post(f"/can-bo/van-ban/{doc_id}/issue", data={"csrf_token": token})
    assert refused.status_code == 403 and "Bạn không có quyền thực hiện thao tác này." in refused.text
    assert service.get_document(db, actor=office.clerk, document_id=doc_id).state == "signed"
    again, token = _login(app, "lanhdao")
    conflict = again.post(f"/can-bo/van-ban/{doc_id}/sign", data={"csrf_token": token})
    assert conflict.status_code == 409 and "không ở trạng thái cho phép" in conflict.text

    clerk, token = _login(app, "vanthu")
    issued = clerk.post(f"/can-bo/van-ban/{doc_id}/issue", data={"csrf_token": token})
    assert issued.status_code == 200 and "01/QĐ-UBND" in issued.text
    english = clerk.get("/can-bo/van-ban/so/outgoing?lang=en")
    assert "Outgoing register" in english.text and "01/QĐ-UBND" in english.text
    sheet = clerk.get("/can-bo/van-ban/so/outgoing?format=xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "Số đi" and rows[1][0] == 1 and rows[1][2] == "01/QĐ-UBND"

    anonymous = TestClient(app).get("/can-bo/van-ban", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
