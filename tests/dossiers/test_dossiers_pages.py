"""The one-stop pages with a browser-like client: submit the e-form, staff queue and actions, lookup."""

from __future__ import annotations

import html
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.dossiers.dossier_fixtures import PASSWORD, PDF, PNG
from tests.support import csrf_of, sign_in


def _login(app, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    sign_in(client, username, PASSWORD, "/ho-so")
    return client, csrf_of(client.get("/tra-cuu").text)


FORM = {
    "applicant_name": "Nguyễn Văn An",
    "applicant_id": "074090001234",
    "applicant_phone": "0912345678",
    "f_owner_name": "Nguyễn Văn An",
    "f_street": "Đường Bạch Đằng",
    "f_ward_code": "25747",
    "f_map_sheet": "12",
    "f_parcel_number": "345",
    "f_purpose": "new",
    "idempotency_key": "page-1",
}
FILES = {
    "file_don_de_nghi": ("don.pdf", PDF, "application/pdf"),
    "file_gcn_qsdd": ("so.png", PNG, "image/png"),
}


def test_citizen_submits_through_the_page_and_staff_act(app, db, settings, people):
    citizen, token = _login(app, "citizen1")
    page = citizen.get("/ho-so/nop/TDM-QLDT-001")
    assert page.status_code == 200 and "Tờ khai" in page.text and 'name="f_map_sheet"' in page.text
    bad = citizen.post(
        "/ho-so/nop/TDM-QLDT-001", data={**FORM, "f_map_sheet": "mười hai", "csrf_token": token}, files=FILES
    )
    assert (
        bad.status_code == 422 and "Tờ bản đồ số: Phải là một số nguyên." in bad.text
    )  # the field by its title
    assert "form.map_sheet" not in bad.text and "is not of type" not in bad.text
    no_paper = citizen.post(
        "/ho-so/nop/TDM-QLDT-001",
        data={**FORM, "csrf_token": token},
        files={"file_don_de_nghi": FILES["file_don_de_nghi"]},
    )
    assert (
        no_paper.status_code == 422 and "Chưa đính kèm." in no_paper.text and "required:" not in no_paper.text
    )
    done = citizen.post(
        "/ho-so/nop/TDM-QLDT-001", data={**FORM, "csrf_token": token}, files=FILES, follow_redirects=False
    )
    assert done.status_code == 303
    code = done.headers["location"].rsplit("/", 1)[1]
    again = citizen.post(
        "/ho-so/nop/TDM-QLDT-001", data={**FORM, "csrf_token": token}, files=FILES, follow_redirects=False
    )
    assert again.headers["location"].endswith(code)  # the same form twice creates one dossier
    assert code in citizen.get("/ho-so").text
    clerk, clerk_token = _login(app, "wclerk")
    queue = clerk.get("/can-bo/ho-so")
    assert code in queue.text and "due-waiting" in queue.text
    assert '<span class="deadline-words">Đang chờ</span>' in queue.text  # the colour said in words too
    moved = clerk.post(
        f"/ho-so/{code}/hanh-dong/receive", data={"csrf_token": clerk_token}, follow_redirects=False
    )
    assert moved.status_code == 303
    detail = clerk.get(f"/ho-so/{code}")
    assert 'data-state="2"' in detail.text and "doc-receipt" in detail.text
    refused = clerk.post(f"/ho-so/{code}/hanh-dong/request_supplement", data={"csrf_token": clerk_token})
    assert refused.status_code == 200  # back on the dossier page, the refusal in words, nothing done
    assert "Chưa thực hiện được: Lý do: Hãy ghi lý do khi yêu cầu bổ sung hồ sơ." in refused.text
    assert "needs a reason" not in refused.text and 'data-state="2"' in refused.text
    no_csrf = clerk.post(f"/ho-so/{code}/hanh-dong/assign", data={})
    assert no_csrf.status_code == 403
    english = citizen.get(f"/ho-so/{code}", params={"lang": "en"})
    assert "Result due" in english.text


def test_file_inputs_left_empty_are_skipped_and_an_empty_chosen_file_is_refused(app, db, settings, people):
    citizen, token = _login(app, "citizen1")
    data = {**FORM, "idempotency_key": "page-files", "csrf_token": token}
    untouched = ("", b"", "application/octet-stream")  # what a browser sends for an input left empty
    empty_choice = citizen.post(
        "/ho-so/nop/TDM-QLDT-001", data=data, files={**FILES, "file_gcn_qsdd": ("so.png", b"", "image/png")}
    )
    assert empty_choice.status_code == 422 and "Tệp rỗng." in empty_choice.text
    done = citizen.post(
        "/ho-so/nop/TDM-QLDT-001",
        data=data,
        files={**FILES, "file_ban_ve": untouched},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_a_refused_dossier_says_its_deadline_no_longer_applies_and_names_its_ward_in_english(
    app, db, settings, people
):
    citizen, token = _login(app, "citizen1")
    data = {**FORM, "idempotency_key": "page-refused", "csrf_token": token}
    done = citizen.post("/ho-so/nop/TDM-QLDT-001", data=data, files=FILES, follow_redirects=False)
    code = done.headers["location"].rsplit("/", 1)[1]
    clerk, clerk_token = _login(app, "wclerk")
    refused = clerk.post(
        f"/ho-so/{code}/hanh-dong/refuse",
        data={"reason": "Thửa đất không thuộc phường.", "csrf_token": clerk_token},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    due = re.compile(r'data-deadline="closed">([^<]+)<')
    vietnamese = citizen.get(f"/ho-so/{code}").text
    assert due.search(vietnamese).group(1) == "Không còn tính hạn"  # type: ignore[union-attr]
    english = citizen.get(f"/ho-so/{code}", params={"lang": "en"}).text
    assert due.search(english).group(1) == "Deadline no longer applies"  # type: ignore[union-attr]
    declared = english.split("<h2>Form</h2>")[1].split("</table>")[0]
    assert "Ward" in declared and "Phường" not in declared  # the form's ward, in the page's language


def test_public_lookup_page_without_personal_data(app, client, db, settings, people):
    citizen, token = _login(app, "citizen1")
    code = (
        citizen.post(
            "/ho-so/nop/TDM-QLDT-001", data={**FORM, "csrf_token": token}, files=FILES, follow_redirects=False
        )
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    anonymous = TestClient(app)
    form_token = csrf_of(anonymous.get(f"/tra-cuu?code={code}").text)
    found = anonymous.post(
        "/tra-cuu", data={"code": code, "second_factor": "074090001234", "csrf_token": form_token}
    )
    assert found.status_code == 200 and "lookup-result" in found.text and "Nguyễn" not in found.text
    wrong = anonymous.post(
        "/tra-cuu", data={"code": code, "second_factor": "111111111111", "csrf_token": form_token}
    )
    assert wrong.status_code == 404


def test_staff_list_pages_follow_cursors_and_say_about_for_estimates(app, db, settings, people):
    from smartcity.dossiers import demo
    from smartcity.dossiers.config import DossierSettings
    from smartcity.procedures import service as procedures
    from tests.dossiers.dossier_fixtures import SYSTEM, make_user

    procedures.load_city_catalogue(db, actor=SYSTEM)
    demo.seed_demo_dossiers(db, settings=settings, count=120, seed=5)
    make_user(db, "quantri.ds", [("admin", None)])
    settings.set_section(DossierSettings(exact_count_up_to=20))
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE dossiers")
    admin, _token = _login(app, "quantri.ds")
    first = admin.get("/can-bo/ho-so", params={"queue": "false"})
    assert first.status_code == 200
    assert ("khoảng" in first.text) == (db.dialect == "postgresql")  # SQLite always counts
    following = re.search(r'href="\?page=2&amp;cursor=([\w-]+)[^"]*"', first.text)
    assert following, "the next page is reached by its cursor"
    second = admin.get("/can-bo/ho-so", params={"queue": "false", "page": 2, "cursor": following.group(1)})
    by_offset = admin.get("/can-bo/ho-so", params={"queue": "false", "page": 2})  # an old link
    codes = re.compile(r'href="/ho-so/([A-Z0-9-]+)"')
    assert codes.findall(second.text) == codes.findall(by_offset.text)
    assert set(codes.findall(second.text)).isdisjoint(codes.findall(first.text))
    broken = admin.get(
        "/can-bo/ho-so", params={"queue": "false", "cursor": "hỏng", "page": 3}, follow_redirects=False
    )
    assert broken.status_code == 303 and broken.headers["location"].endswith("/can-bo/ho-so?queue=false")


APPLICANT = {key: value for key, value in FORM.items() if key.startswith("applicant_")}


def test_the_dossier_page_reads_the_form_in_words(app, people):
    citizen, token = _login(app, "citizen1")
    business = {
        **APPLICANT,
        "f_business_name": "Tạp hóa Minh An",
        "f_address": "12 Đường Bạch Đằng",
        "f_ward_code": "25747",
        "f_business_lines": "Bán lẻ tạp hóa\nĐồ uống",
        "f_capital_vnd": "150000000",
        "f_employees": "3",
        "idempotency_key": "page-hkd",
        "csrf_token": token,
    }
    paper = {"file_giay_de_nghi": ("de-nghi.pdf", PDF, "application/pdf")}
    done = citizen.post("/ho-so/nop/TDM-HKD-001", data=business, files=paper, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = citizen.get(done.headers["location"])
    assert page.status_code == 200  # a list in the form answered 500 before
    assert "Bán lẻ tạp hóa, Đồ uống" in page.text and "150.000.000" in page.text and "['" not in page.text
    units = re.search(r"<th>Đơn vị</th><td>(.*?)</td>", page.text).group(1)
    assert len(set(units.split(" → "))) == len(units.split(" → "))  # a unit is named once


def test_the_dossier_page_and_the_forms_mistakes_read_in_english(app, people):
    citizen, token = _login(app, "citizen1")
    citizen.cookies.set("lang", "en")
    wrong = {
        **FORM,
        "applicant_id": "123",
        "f_map_sheet": "",
        "f_latitude": "5",
        "idempotency_key": "page-en",
    }
    refused = citizen.post("/ho-so/nop/TDM-QLDT-001", data={**wrong, "csrf_token": token}, files=FILES)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "Citizen ID number: Exactly 12 digits." in text and "Not filled in." in text
    assert "Gồm đúng 12 chữ số" not in text and "Chưa điền" not in text
    assert "Must be 10.9 or more." in text and "10,9" not in text  # a bound in English digits
    assert ">Thủ Dầu Một Ward</option>" in text  # the wards to choose from, named as wards in English
    ok = {**FORM, "idempotency_key": "page-en-2", "csrf_token": token}
    done = citizen.post("/ho-so/nop/TDM-QLDT-001", data=ok, files=FILES, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = html.unescape(citizen.get(done.headers["location"]).text)
    assert "Submitted" in page and "People's Committee of" in page
    for words in ("Mới đăng ký", "Ủy ban nhân dân", "Đang chờ", "Trong hạn"):
        assert words not in page, words
    vietnamese = citizen.get(done.headers["location"], params={"lang": "vi"}).text
    assert "Mới đăng ký" in vietnamese and "Ủy ban nhân dân" in vietnamese
    again = citizen.post("/ho-so/nop/TDM-QLDT-001?lang=vi", data={**wrong, "csrf_token": token}, files=FILES)
    assert "Phải từ 10,9 trở lên." in html.unescape(again.text)  # the same bound in Vietnamese digits


def test_a_birth_cannot_be_declared_in_the_future(app, people):
    citizen, token = _login(app, "citizen1")
    birth = {
        **APPLICANT,
        "f_child_name": "Nguyễn Minh Khang",
        "f_sex": "nam",
        "f_date_of_birth": "2099-01-01",
        "f_place_of_birth": "Bệnh viện Đa khoa tỉnh Bình Dương",
        "f_mother_name": "Trần Thị Mai",
        "f_ward_code": "25747",
        "f_declarant_relation": "Cha",
        "idempotency_key": "page-birth",
        "csrf_token": token,
    }
    refused = citizen.post("/ho-so/nop/TDM-HT-001", data=birth)
    assert refused.status_code == 422 and "Ngày sinh: Không được sau ngày hôm nay." in refused.text
    both = citizen.post("/ho-so/nop/TDM-HT-001", data={**birth, "applicant_phone": "12ab"})
    assert "Số điện thoại: Chưa đúng (ví dụ 0912345678)." in both.text, both.text
    assert "Ngày sinh: Không được sau ngày hôm nay." in both.text, "all mistakes at once"


def test_an_empty_lookup_asks_for_both_fields(client):
    token = csrf_of(client.get("/tra-cuu").text)
    empty = client.post("/tra-cuu", data={"code": "", "second_factor": "", "csrf_token": token})
    assert empty.status_code == 422 and "Vui lòng nhập mã hồ sơ" in empty.text
    client.cookies.set("lang", "en")
    data = {"code": "", "second_factor": "", "csrf_token": token}
    english = client.post("/tra-cuu", data=data).text
    assert "Please enter the dossier code and the applicant&#39;s ID card number" in english
    assert "Vui lòng" not in english
    unknown = client.post("/tra-cuu", data={**data, "code": "KHONG-CO", "second_factor": "1"}).text
    assert "No dossier matches this code" in unknown and "Không tìm thấy" not in unknown


def test_statistics_tell_a_unit_of_before_the_reorganisation_by_its_last_day(db, people):
    from smartcity.dossiers.statistics_views import _group_names

    names = list(_group_names(db, "unit", []).values())
    ended = [name for name in names if name.endswith("(đến 30/06/2025)")]
    assert ended and len(set(names)) == len(names)  # two wards of one name no longer read the same


SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1 (education.demo's school_org_unit)


def _school_head(db) -> None:  # type: ignore[no-untyped-def]
    from smartcity.accounts import service as accounts
    from tests.dossiers.dossier_fixtures import SYSTEM, make_user

    accounts.upsert_org_units(
        db, actor=SYSTEM, units=[{"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}]
    )
    make_user(db, "hieutruong", [("head", SCHOOL)])


def test_a_schools_head_neither_reads_the_citys_statistics_nor_works_on_dossiers(app, db, settings, people):
    from smartcity.accounts import service as accounts

    _school_head(db)
    head, _ = _login(app, "hieutruong")
    refused = head.get("/can-bo/thong-ke")
    assert refused.status_code == 403 and "giải quyết thủ tục hành chính" in refused.text
    assert head.get("/can-bo/thong-ke?xlsx=true").status_code == 403
    assert head.get("/can-bo/ho-so").status_code == 403
    home = head.get("/can-bo").text
    assert 'href="/can-bo/thong-ke"' not in home and 'href="/can-bo/ho-so"' not in home
    token = accounts.login_for_token(
        db, settings=settings, username="hieutruong", password=PASSWORD, client_ip="10.0.0.9"
    ).access_token
    bearer = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/dossiers/statistics", "/api/v1/dossiers/ratings"):
        answer = TestClient(app).get(path, headers=bearer)
        assert answer.status_code == 403, path
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_wards_head_and_the_citys_staff_keep_the_statistics_and_the_queue(app, db, settings, people):
    from smartcity.accounts import service as accounts

    ward_head, _ = _login(app, "whead")
    assert ward_head.get("/can-bo/thong-ke").status_code == 200
    sheet = ward_head.get("/can-bo/thong-ke?by=field&xlsx=true")
    title = next(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))[0]  # type: ignore[union-attr]
    assert title == "Thống kê hồ sơ theo lĩnh vực"  # in words, not the query's "field"
    assert ward_head.get("/can-bo/ho-so").status_code == 200
    home = ward_head.get("/can-bo").text
    assert 'href="/can-bo/thong-ke"' in home and 'href="/can-bo/ho-so"' in home
    one_stop, _ = _login(app, "clerk1")  # the city's one-stop desk (TDM-MOTCUA), before the reorganisation
    assert one_stop.get("/can-bo/ho-so").status_code == 200
    assert 'href="/can-bo/thong-ke"' not in one_stop.get("/can-bo").text  # a clerk reads no statistics
    for username in ("whead", "head1", "leader1"):
        token = accounts.login_for_token(
            db, settings=settings, username=username, password=PASSWORD, client_ip="10.0.0.9"
        ).access_token
        answer = TestClient(app).get(
            "/api/v1/dossiers/statistics", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, username


def test_staff_page_counts_the_dossiers_waiting_for_the_clerk(app, db, settings, people):
    clerk, _token = _login(app, "wclerk")
    assert "Không có việc nào đang chờ bạn." in clerk.get("/can-bo").text
    citizen, token = _login(app, "citizen1")
    done = citizen.post(
        "/ho-so/nop/TDM-QLDT-001", data={**FORM, "csrf_token": token}, files=FILES, follow_redirects=False
    )
    assert done.status_code == 303
    work = clerk.get("/can-bo").text.split('id="work"')[1].split("</section>")[0]
    waiting = r'href="/can-bo/ho-so">\s*<strong class="work-count">1</strong> Hồ sơ chờ bạn xử lý'
    assert re.search(waiting, work)
    assert "quá hạn" not in work  # nothing is late yet
    english = clerk.get("/can-bo?lang=en").text
    assert "Work waiting" in english and "Dossiers awaiting you" in english
    landing = citizen.get("/can-bo", follow_redirects=False)  # a citizen's landing is their own space
    assert landing.status_code == 303 and landing.headers["location"] == "/cua-toi"


def test_the_work_counts_agree_with_the_queue_they_link_to(db, settings, people):
    from smartcity.dossiers import demo, service
    from smartcity.procedures import service as procedures
    from tests.dossiers.dossier_fixtures import SYSTEM, make_user

    procedures.load_city_catalogue(db, actor=SYSTEM)
    demo.seed_demo_dossiers(db, settings=settings, count=120, seed=5)
    admin = make_user(db, "quantri.dem", [("admin", None)])
    for deadline in (None, "overdue"):
        listed = service.list_dossiers(db, actor=admin, settings=settings, queue=True, deadline=deadline)
        counted = service.count_awaiting(db, actor=admin, settings=settings, deadline=deadline)
        assert counted == listed.total, deadline
    assert service.count_awaiting(db, actor=admin, settings=settings) > 0


def test_the_statistics_name_units_in_the_pages_language(app, db, people):
    from smartcity.dossiers.statistics_views import _group_names

    vietnamese, english = _group_names(db, "unit", [], False), _group_names(db, "unit", [], True)
    assert vietnamese and vietnamese.keys() == english.keys()
    ended = [code for code, name in vietnamese.items() if "(đến " in name]
    assert ended and all("(until " in english[code] for code in ended)
    assert any(name.startswith("People's Committee of") for name in english.values())
    assert not any(name.startswith("Ủy ban nhân dân") for name in english.values())
    ward_head, _ = _login(app, "whead")
    page = ward_head.get("/can-bo/thong-ke?by=unit&lang=en")
    assert page.status_code == 200 and "(đến " not in page.text


def test_the_statistics_name_fields_in_the_pages_language(app, db, settings, people):
    from smartcity.dossiers.statistics_views import _group_names
    from tests.dossiers.dossier_fixtures import local, submit_house

    english = _group_names(db, "field", [], True)
    assert english["HT"] == "Civil registration" and _group_names(db, "field", [])["HT"] == "Hộ tịch"
    submit_house(db, settings, people, now=local(2025, 6, 2, 9))
    ward_head, _ = _login(app, "whead")
    page = ward_head.get("/can-bo/thong-ke?by=field&lang=en").text
    assert "<td>Urban management and house numbering</td>" in page and "Quản lý đô thị" not in page
