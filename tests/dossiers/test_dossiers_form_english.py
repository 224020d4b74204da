"""The e-form of a procedure in English: its field titles, choices and mistakes in the page's language."""

from __future__ import annotations

import html

from tests.dossiers.dossier_fixtures import PDF
from tests.dossiers.test_dossiers_pages import APPLICANT, _login

BIRTH = {
    **APPLICANT,
    "f_child_name": "Nguyễn Minh Khang",
    "f_sex": "nam",
    "f_date_of_birth": "2024-01-01",
    "f_place_of_birth": "Bệnh viện Đa khoa tỉnh Bình Dương",
    "f_ethnicity": "Kinh",
    "f_nationality": "Việt Nam",
    "f_mother_name": "Trần Thị Mai",
    "f_ward_code": "25747",
    "f_declarant_relation": "Cha",
    "idempotency_key": "page-birth-en",
}


def test_the_english_form_names_its_fields_and_mistakes_in_english(app, people):
    citizen, token = _login(app, "citizen1")
    citizen.cookies.set("lang", "en")
    form = html.unescape(citizen.get("/ho-so/nop/TDM-HKD-001").text)
    for english in ("Household business name *", "Business capital (VND) *", "Number of workers *"):
        assert english in form, english
    for vietnamese in ("Tên hộ kinh doanh", "Vốn kinh doanh (đồng)", "Ngành, nghề kinh doanh"):
        assert vietnamese not in form, vietnamese
    refused = citizen.post("/ho-so/nop/TDM-HKD-001", data={**APPLICANT, "csrf_token": token})
    assert refused.status_code == 422
    assert "Household business name: Not filled in." in html.unescape(refused.text)
    vietnamese_form = citizen.get("/ho-so/nop/TDM-HKD-001", params={"lang": "vi"}).text
    assert "Tên hộ kinh doanh *" in vietnamese_form


def test_the_english_dossier_page_reads_the_form_in_english(app, people):
    citizen, token = _login(app, "citizen1")
    birth = html.unescape(citizen.get("/ho-so/nop/TDM-HT-001", params={"lang": "en"}).text)
    assert "Ward of registration" in birth and ">Male</option>" in birth
    paper = {
        "file_to_khai": ("to-khai.pdf", PDF, "application/pdf"),
        "file_giay_chung_sinh": ("chung-sinh.pdf", PDF, "application/pdf"),
    }
    done = citizen.post(
        "/ho-so/nop/TDM-HT-001", data={**BIRTH, "csrf_token": token}, files=paper, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    page = html.unescape(citizen.get(done.headers["location"], params={"lang": "en"}).text)
    assert "<th>Ward of registration</th>" in page and "<td>Male</td>" in page
    assert "Phường nơi đăng ký" not in page and "Họ, chữ đệm, tên của trẻ" not in page
