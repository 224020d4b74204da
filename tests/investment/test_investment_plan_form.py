"""The capital plan import form shows what is missing beside the form, keeping what was typed."""

from __future__ import annotations

import html

from tests.investment.conftest import CSRF, sign_in_page


def _finance_officer(client, db) -> str:  # type: ignore[no-untyped-def]
    sign_in_page(client, db, "ketoan.form")
    return CSRF.search(client.get("/can-bo/dau-tu/ke-hoach-von").text).group(1)


def _mistakes(page: str) -> str:
    return html.unescape(page.split('id="form-errors"')[1].split("</div>")[0])


def test_an_empty_import_stays_on_the_form_and_names_what_is_missing(client, city):  # type: ignore[no-untyped-def]
    token = _finance_officer(client, city)
    empty = client.post(
        "/can-bo/dau-tu/ke-hoach-von",
        data={"year": "", "csrf_token": token},
        files={"file": ("", b"", "application/octet-stream")},
        headers={"Accept": "text/html"},
    )
    assert empty.status_code == 422 and 'action="/can-bo/dau-tu/ke-hoach-von"' in empty.text
    said = _mistakes(empty.text)
    assert "Năm kế hoạch: Chưa điền." in said and "Tệp kế hoạch vốn: Chưa điền." in said
    assert "Quay lại để sửa" not in empty.text

    no_file = client.post(
        "/can-bo/dau-tu/ke-hoach-von",
        data={"year": "1999", "csrf_token": token},
        headers={"Accept": "text/html"},
    )
    assert 'name="year" min="2000" max="2100" required value="1999"' in no_file.text  # kept as typed
    assert "Năm kế hoạch: Phải từ 2000 trở lên." in _mistakes(no_file.text)
    client.cookies.set("lang", "en")
    english = client.post(
        "/can-bo/dau-tu/ke-hoach-von",
        data={"year": "2027", "csrf_token": token},
        headers={"Accept": "text/html"},
    )
    assert "Capital plan file: Not filled in." in _mistakes(english.text)
    assert 'value="2027"' in english.text and "Not imported:" in english.text
