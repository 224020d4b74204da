"""The documents pages with a browser-like client: refusals in Vietnamese, English, registers as XLSX."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from smartcity.documents import attachments, service
from tests.documents.conftest import annex_pdf, draft_data, setup_office, to_signed
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


def test_attachments_on_the_pages_uploaded_refused_and_verified(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings)
    doc = service.create_draft(db, actor=office.specialist, data=draft_data())
    author, token = _login(app, "chuyenvien")
    form = author.get(f"/can-bo/van-ban/{doc.id}/sua")
    assert 'id="attachment-form"' in form.text and "Không có tài liệu kèm theo." in form.text
    url = f"/can-bo/van-ban/{doc.id}/phu-luc"
    wrong = author.post(
        url, data={"csrf_token": token}, files={"file": ("ghi chú.txt", b"van ban thuong", "text/plain")}
    )
    assert wrong.status_code == 415 and "Tệp đính kèm phải là tệp PDF." in wrong.text
    no_csrf = author.post(url, files={"file": ("a.pdf", annex_pdf(), "application/pdf")})
    assert no_csrf.status_code in (400, 403)
    assert attachments.list_for(db, actor=office.specialist, document_id=doc.id) == []
    added = author.post(
        url,
        data={"csrf_token": token, "back": "sua"},
        files={"file": ("Phụ lục I.pdf", annex_pdf(), "application/pdf")},
        follow_redirects=True,
    )
    assert (
        added.status_code == 200 and "Phu-luc-I.pdf" in added.text and "Đóng dấu khi ban hành" in added.text
    )

    service.submit(db, actor=office.specialist, document_id=doc.id)
    service.approve(db, actor=office.head, document_id=doc.id)
    service.sign(db, actor=office.leader, document_id=doc.id, signing_with=office.signing)
    late = author.post(
        url, data={"csrf_token": token}, files={"file": ("b.pdf", annex_pdf(), "application/pdf")}
    )
    assert late.status_code == 409 and "không ở trạng thái cho phép" in late.text
    clerk, token = _login(app, "vanthu")
    issued = clerk.post(f"/can-bo/van-ban/{doc.id}/issue", data={"csrf_token": token})
    section = issued.text.split('id="attachments"')[1].split("</section>")[0]
    assert 'data-sealed="true"' in section and 'data-verdict="valid"' in section, section
    assert "UBND phường Thủ Dầu Một" in section and 'id="attachment-form"' not in section
    annex = attachments.list_for(db, actor=office.clerk, document_id=doc.id)[0]
    download = clerk.get(f"{url}/{annex.id}")
    assert download.status_code == 200 and download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF") and len(download.content) > annex.size
