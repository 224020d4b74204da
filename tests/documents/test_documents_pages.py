"""The documents pages with a browser-like client: refusals in Vietnamese, English, registers as XLSX."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from smartcity.accounts import service as accounts
from smartcity.documents import attachments, exchange, service
from tests.documents.conftest import SYSTEM, WARD, annex_pdf, draft_data, make_user, setup_office, to_signed
from tests.dossiers.dossier_fixtures import PASSWORD
from tests.support import csrf_of, sign_in


def _login(app, username: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    sign_in(client, username, PASSWORD, "/can-bo/van-ban")
    page = client.get("/can-bo/van-ban/moi")
    return client, csrf_of(page.text)


BROWSER = {"Accept": "text/html"}  # what a browser asks for: an error comes back as a page


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
    listed = clerk.get("/can-bo/van-ban").text
    assert "<td>Quyết định (cá biệt)</td>" in listed and "<td>QĐ</td>" not in listed  # the type by its name
    english = clerk.get("/can-bo/van-ban/so/di?lang=en")
    assert "Outgoing register" in english.text and "01/QĐ-UBND" in english.text
    sheet = clerk.get("/can-bo/van-ban/so/di?format=xlsx")
    moved = clerk.get("/can-bo/van-ban/so/incoming?year=2026", follow_redirects=False)  # the old English path
    assert (moved.status_code, moved.headers["location"]) == (308, "/can-bo/van-ban/so/den?year=2026")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "Số đi" and rows[1][0] == 1 and rows[1][2] == "01/QĐ-UBND"
    for wrong in (
        clerk.get("/can-bo/van-ban/so/neither?lang=vi", headers=BROWSER),
        clerk.post(f"/can-bo/van-ban/{doc_id}/burn", data={"csrf_token": token}, headers=BROWSER),
    ):  # a page in words, not an empty answer
        assert wrong.status_code == 404 and "Không tìm thấy trang" in wrong.text

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


def test_admins_list_add_and_edit_agencies_on_a_page(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    setup_office(db, settings, with_pki=False)
    make_user(db, "quantri", "Quản trị hệ thống", [("admin", None)])
    clerk, token = _login(app, "vanthu")
    assert clerk.get("/can-bo/van-ban/co-quan").status_code == 403
    assert 'id="agencies-link"' not in clerk.get("/can-bo/van-ban").text
    refused = clerk.post(
        "/can-bo/van-ban/co-quan",
        data={"csrf_token": token, "code": "X", "name": "X", "endpoint": "http://x.test", "active": "on"},
    )
    assert refused.status_code == 403 and exchange.list_agencies(db) == []

    admin, token = _login(app, "quantri")
    assert 'id="agencies-link"' in admin.get("/can-bo/van-ban/moi").text
    page = admin.get("/can-bo/van-ban/co-quan")
    assert page.status_code == 200 and "Cơ quan trao đổi văn bản" in page.text
    form = {"csrf_token": token, "code": "UBND-25750-HCM", "name": "UBND phường Phú Lợi", "active": "on"}
    bad = admin.post("/can-bo/van-ban/co-quan", data={**form, "endpoint": "ftp://phuloi.test"})
    assert (
        bad.status_code == 422
        and "địa chỉ trao đổi" in bad.text
        and 'value="UBND phường Phú Lợi"' in bad.text
    )
    no_csrf = admin.post(
        "/can-bo/van-ban/co-quan", data={**form, "csrf_token": "", "endpoint": "https://a.test"}
    )
    assert no_csrf.status_code in (400, 403) and exchange.list_agencies(db) == []
    added = admin.post("/can-bo/van-ban/co-quan", data={**form, "endpoint": "https://phuloi.test/"})
    assert added.status_code == 200 and "Đã thêm cơ quan." in added.text and "UBND-25750-HCM" in added.text
    twice = admin.post("/can-bo/van-ban/co-quan", data={**form, "endpoint": "https://other.test"})
    assert twice.status_code == 409 and "Mã cơ quan này đã có" in twice.text
    edit = admin.get("/can-bo/van-ban/co-quan/UBND-25750-HCM")
    assert 'value="https://phuloi.test"' in edit.text
    saved = admin.post(
        "/can-bo/van-ban/co-quan/UBND-25750-HCM",
        data={
            "csrf_token": token,
            "name": "UBND phường Phú Lợi (mới)",
            "endpoint": "https://vanban.phuloi.test",
        },
    )
    assert saved.status_code == 200 and "Đã lưu thông tin cơ quan." in saved.text
    [agency] = exchange.list_agencies(db)
    assert (agency.name, agency.endpoint, agency.active) == (
        "UBND phường Phú Lợi (mới)",
        "https://vanban.phuloi.test",
        False,  # the box was left unticked: no longer exchanged with
    )
    assert "Agencies documents are exchanged with" in admin.get("/can-bo/van-ban/co-quan?lang=en").text
    unknown = admin.get("/can-bo/van-ban/co-quan/UBND-00000-XX?lang=vi", headers=BROWSER)
    assert unknown.status_code == 404 and "Không tìm thấy cơ quan." in unknown.text


SIGNER_SELECT = re.compile(r'<select id="signer_username" name="signer_username">(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>')
WARD_NAME = "Ủy ban nhân dân phường Thủ Dầu Một"
USERNAMES = ("lanhdao", "phochutich", "chuyenvien", "truongphong", "vanthu")


def _signer_options(page: str) -> list[tuple[str, str, bool]]:
    """The signer choices of a draft form: (value, the words shown, selected)."""
    found = SIGNER_SELECT.search(page)
    assert found, page
    return [(value, label, "selected" in rest) for value, rest, label in OPTION.findall(found.group(1))]


def _shown_text(page: str) -> str:
    """What a person reads: the page without its tags, scripts and attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", body)


def test_the_draft_form_offers_the_signers_by_name_and_position(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings, with_pki=False)
    author, token = _login(app, "chuyenvien")
    page = author.get("/can-bo/van-ban/moi").text
    options = _signer_options(page)
    assert [(label, selected) for _value, label, selected in options] == [
        ("— Chọn người ký —", False),
        (f"Đỗ Văn Bình — Lãnh đạo ({WARD_NAME})", False),
        (f"Phạm Minh Tuấn — Lãnh đạo ({WARD_NAME})", False),
    ]
    shown = _shown_text(page)
    assert "Người ký" in shown and "tên đăng nhập" not in shown
    assert not [name for name in USERNAMES if name in shown], shown
    assert "Trần Văn Hùng" not in SIGNER_SELECT.search(page).group(1)  # type: ignore[union-attr]  # not a leader
    form = {
        "csrf_token": token,
        "type_code": "QĐ",
        "office_code": WARD,
        "subject": "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026",
        "body": "Điều 1. Ban hành kế hoạch.",
        "signer_title": "Chủ tịch",
        "signer_authority": "TM. Ủy ban nhân dân",
    }
    for chosen, sentence in (
        ("", "Vui lòng chọn người ký văn bản."),
        ("truongphong", service.WRONG_SIGNER),  # a user, not a leader
        ("nobody", service.WRONG_SIGNER),
    ):
        refused = author.post("/can-bo/van-ban/moi", data={**form, "signer_username": chosen})
        assert refused.status_code == 422 and sentence in refused.text, chosen
        assert 'value="Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026"' in refused.text  # kept
        assert (
            "signer_username" not in _shown_text(refused.text) and "is not a known user" not in refused.text
        )
    assert service.list_documents(db, actor=office.head)[1] == 0

    saved = author.post(
        "/can-bo/van-ban/moi", data={**form, "signer_username": "lanhdao"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    doc_id = int(saved.headers["location"].split("/")[3].split("?")[0])
    doc = service.get_document(db, actor=office.specialist, document_id=doc_id)
    assert (doc.signer_username, doc.signer_name) == ("lanhdao", "Phạm Minh Tuấn")
    chosen = [
        label
        for _value, label, selected in _signer_options(author.get(f"/can-bo/van-ban/{doc_id}/sua").text)
        if selected
    ]
    assert chosen == [f"Phạm Minh Tuấn — Lãnh đạo ({WARD_NAME})"]
    # English last: the chosen language stays for the next pages
    english = _signer_options(author.get("/can-bo/van-ban/moi?lang=en").text)
    assert english[0][1] == "— Choose the signer —"
    assert english[2][1].startswith("Phạm Minh Tuấn — Leader (People")


def test_the_draft_form_offers_the_city_leaders_and_refuses_as_the_api_does(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings, with_pki=False)
    make_user(db, "chutich", "Nguyễn Văn Thành", [("leader", None)])  # a leader of the whole city
    make_user(db, "lanhdaophuloi", "Võ Thị Hạnh", [("leader", "UBND-25750-HCM")])  # of another ward
    author, token = _login(app, "chuyenvien")
    options = _signer_options(author.get("/can-bo/van-ban/moi").text)
    assert [label for _value, label, _selected in options[1:]] == [
        f"Đỗ Văn Bình — Lãnh đạo ({WARD_NAME})",
        f"Phạm Minh Tuấn — Lãnh đạo ({WARD_NAME})",
        "Nguyễn Văn Thành — Lãnh đạo (toàn thành phố)",
    ]
    english = _signer_options(author.get("/can-bo/van-ban/moi?lang=en").text)
    assert english[3][1] == "Nguyễn Văn Thành — Leader (whole city)"
    form = {
        "csrf_token": token,
        "type_code": "QĐ",
        "office_code": WARD,
        "subject": "Về việc ban hành Kế hoạch chỉnh trang đô thị năm 2026",
    }
    refused = author.post("/can-bo/van-ban/moi?lang=en", data={**form, "signer_username": "lanhdaophuloi"})
    assert refused.status_code == 422
    assert "The signer must be a leader of the issuing office or of the whole city" in refused.text
    refused = author.post("/can-bo/van-ban/moi?lang=vi", data={**form, "signer_username": "lanhdaophuloi"})
    assert refused.status_code == 422 and service.WRONG_SIGNER in refused.text
    assert service.list_documents(db, actor=office.head)[1] == 0  # nothing stored
    saved = author.post(
        "/can-bo/van-ban/moi", data={**form, "signer_username": "chutich"}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    doc_id = int(saved.headers["location"].split("/")[3].split("?")[0])
    doc = service.get_document(db, actor=office.specialist, document_id=doc_id)
    assert (doc.signer_username, doc.signer_name) == ("chutich", "Nguyễn Văn Thành")


def test_the_form_asks_again_for_a_signer_who_stopped_leading(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings, with_pki=False)
    doc = service.create_draft(db, actor=office.specialist, data=draft_data(signer_username="phochutich"))
    user = accounts.get_user_by_username(db, "phochutich")
    assert user is not None
    accounts.revoke_role(db, actor=SYSTEM, user_id=user.id, assignment_id=user.roles[0].id)
    author, token = _login(app, "chuyenvien")
    page = author.get(f"/can-bo/van-ban/{doc.id}/sua").text
    options = _signer_options(page)
    assert not [label for _value, label, selected in options if selected]  # not offered, so not chosen
    assert [label for _value, label, _selected in options[1:]] == [f"Phạm Minh Tuấn — Lãnh đạo ({WARD_NAME})"]
    assert service.SIGNER_NO_LONGER in _shown_text(page)
    assert not [name for name in USERNAMES if name in _shown_text(page)]
    form = {
        "csrf_token": token,
        "type_code": "QĐ",
        "office_code": WARD,
        "subject": "Về việc chỉnh trang vỉa hè",
        "signer_username": "phochutich",
    }
    kept = author.post(f"/can-bo/van-ban/{doc.id}/sua", data=form)
    assert kept.status_code == 422 and service.SIGNER_NO_LONGER in kept.text
    assert service.get_document(db, actor=office.specialist, document_id=doc.id).subject == doc.subject
    assert service.get_document(db, actor=office.specialist, document_id=doc.id).signer_name == "Đỗ Văn Bình"
    changed = author.post(
        f"/can-bo/van-ban/{doc.id}/sua", data={**form, "signer_username": "lanhdao"}, follow_redirects=False
    )
    assert changed.status_code == 303, changed.text
    assert service.get_document(db, actor=office.specialist, document_id=doc.id).signer_username == "lanhdao"
    assert service.SIGNER_NO_LONGER not in author.get(f"/can-bo/van-ban/{doc.id}/sua").text


SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1 (education.demo's school_org_unit)


def test_a_schools_head_keeps_no_register_and_a_wards_head_does(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    setup_office(db, settings, with_pki=False)
    accounts.upsert_org_units(
        db, actor=SYSTEM, units=[{"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}]
    )
    make_user(db, "hieutruong", "Trần Văn Bình", [("head", SCHOOL)])
    school = TestClient(app)
    sign_in(school, "hieutruong", PASSWORD, "/can-bo")
    for path in (
        "/can-bo/van-ban",
        "/can-bo/van-ban/moi",
        "/can-bo/van-ban/cho-ky",
        "/can-bo/van-ban/so/di",
    ):
        refused = school.get(path)
        assert refused.status_code == 403, path
        assert "Ủy ban nhân dân thành phố, phường" in refused.text
    home = school.get("/can-bo").text
    assert 'href="/can-bo/van-ban' not in home
    ward_head, _ = _login(app, "truongphong")
    assert ward_head.get("/can-bo/van-ban/so/di").status_code == 200
    home = ward_head.get("/can-bo").text
    assert 'href="/can-bo/van-ban"' in home and 'href="/can-bo/van-ban/so/den"' in home


def test_kinds_urgency_and_secrecy_are_named_in_the_pages_language(db, settings, app) -> None:  # type: ignore[no-untyped-def]
    office = setup_office(db, settings)
    doc = service.create_draft(
        db, actor=office.specialist, data=draft_data(type_code="TTr", urgency="Khẩn", secrecy="Mật")
    )
    author, _token = _login(app, "chuyenvien")
    vietnamese = author.get(f"/can-bo/van-ban/{doc.id}?lang=vi").text
    assert "<h1>Tờ trình</h1>" in vietnamese and "<td>Khẩn, Mật</td>" in vietnamese
    assert "<td>Tờ trình</td>" in author.get("/can-bo/van-ban").text
    english = author.get(f"/can-bo/van-ban/{doc.id}?lang=en").text
    assert "<h1>Submission</h1>" in english and "<td>Urgent, Confidential</td>" in english
    assert "Tờ trình" not in english and "Khẩn" not in english
    assert "Ủy ban nhân dân phường" not in english  # the issuing office by its English name
    assert "Ủy ban nhân dân phường" in vietnamese
    listed = author.get("/can-bo/van-ban").text  # the cookie keeps English
    assert "<td>Submission</td>" in listed and "Tờ trình" not in listed
    form = author.get("/can-bo/van-ban/moi").text
    assert ">Official letter</option>" in form and ">Decision (individual) (QĐ)</option>" in form
    assert ">Very urgent</option>" in form and ">Top secret</option>" in form and ">Normal</option>" in form
    assert "Công văn" not in form and "Thượng khẩn<" not in form and 'placeholder="10 years"' in form
    back = author.get("/can-bo/van-ban/moi?lang=vi").text
    assert ">Công văn</option>" in back and ">Thượng khẩn</option>" in back and ">Thường</option>" in back
