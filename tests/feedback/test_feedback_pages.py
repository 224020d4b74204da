"""Pages: public map, submit form, report page with rating, my reports, hotline console, queue."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from smartcity.accounts import service as accounts_service
from smartcity.core.security import Actor
from smartcity.feedback import service
from smartcity.feedback.config import get_feedback_settings
from tests.feedback.conftest import (
    CITIZEN,
    OPERATOR,
    OUTSIDE,
    PASSWORD,
    PHU_CUONG,
    SECRET,
    SYSTEM,
    jpeg_with_gps,
)

FORM = {
    "category_code": "moi-truong",
    "description": "Rác thải chất đống trước chợ",
    "lat": str(PHU_CUONG[1]),
    "lon": str(PHU_CUONG[0]),
    "address": "Chợ Thủ Dầu Một",
    "is_public": "on",
}


BROWSER = {"Accept": "text/html"}  # what a browser asks for: an error comes back as a page


def test_submit_form_then_report_page_then_rating(client, city, monkeypatch):
    page = client.get("/phan-anh/gui")
    assert page.status_code == 200 and 'name="category_code"' in page.text and "Gửi phản ánh" in page.text
    done = client.post("/phan-anh/gui", data=FORM, files={"photos": ("p.jpg", jpeg_with_gps(), "image/jpeg")})
    assert done.status_code == 201, done.text
    code = re.search(r'id="report-code">([^<]+)<', done.text).group(1)
    key = re.search(r'id="reporter-key">([^<]+)<', done.text).group(1)
    shown = client.get(f"/phan-anh/{code}")
    assert shown.status_code == 200 and "Rác thải chất đống" in shown.text
    assert "/api/v1/feedback/photos/" in shown.text
    service.resolve_report(city, actor=OPERATOR, code=code, comment="Đã thu gom rác.")
    assert 'id="reopen-form"' in client.get(f"/phan-anh/{code}").text  # within the reopening period
    rated = client.post(f"/phan-anh/{code}/rate", data={"rating": "3", "reporter_key": key})
    assert rated.status_code == 200 and "Rất hài lòng" in rated.text
    history = rated.text.split('class="timeline"')[1].split("</ol>")[0]
    assert "<strong>Người phản ánh đánh giá</strong>" in history  # what was done, not the state again
    wrong = client.post(f"/phan-anh/{code}/reopen", data={"comment": "x", "reporter_key": "nope"})
    assert wrong.status_code == 403 and "alert-error" in wrong.text
    unknown = client.post(f"/phan-anh/{code}/burn", data={"reporter_key": key}, headers=BROWSER)
    assert unknown.status_code == 404 and "Không tìm thấy trang" in unknown.text  # a page in words
    assert f"/phan-anh/{code}" in client.get("/phan-anh?status=closed").text
    assert f"/phan-anh/{code}" not in client.get("/phan-anh?status=open").text
    for old, new in (  # the old English addresses (printed receipts, messages already sent) still lead there
        (f"/feedback/r/{code}", f"/phan-anh/{code}"),
        ("/feedback?status=closed", "/phan-anh?status=closed"),
        ("/feedback/new", "/phan-anh/gui"),
        ("/feedback/mine", "/phan-anh/cua-toi"),
    ):
        moved = client.get(old, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (308, new)
    assert client.get("/feedback/static/feedback.js").status_code == 200  # the domain's files did not move
    later = datetime.now(UTC) + timedelta(days=get_feedback_settings().reopen_days + 1)
    service.close_report(city, actor=OPERATOR, code=code, at=later - timedelta(days=1))
    monkeypatch.setattr("smartcity.feedback.views.utcnow", lambda: later)
    closed = client.get(f"/phan-anh/{code}").text
    assert 'id="reopen-form"' not in closed and "Mở lại phản ánh" not in closed  # its time to reopen is over


def test_form_mistakes_come_back_with_the_values(client, city):
    outside = client.post("/phan-anh/gui", data={**FORM, "lat": str(OUTSIDE[1]), "lon": str(OUTSIDE[0])})
    assert outside.status_code == 422 and "Vị trí nằm ngoài địa bàn thành phố" in outside.text
    assert "Chợ Thủ Dầu Một" in outside.text  # the address the citizen typed is kept
    not_image = {"photos": ("x.jpg", b"not an image", "image/jpeg")}
    bad_photo = client.post("/phan-anh/gui", data=FORM, files=not_image)
    assert bad_photo.status_code == 415
    assert "Tệp gửi lên không phải là ảnh (JPEG, PNG)." in bad_photo.text
    short = client.post("/phan-anh/gui", data={**FORM, "description": "a"})
    assert short.status_code == 422 and "Nội dung phản ánh cần từ 3 đến 5.000 ký tự." in short.text
    assert "description:" not in short.text and "String should have" not in short.text
    letters = client.post("/phan-anh/gui", data={**FORM, "lat": "mười", "lon": "một trăm"})
    assert letters.status_code == 422
    assert "Vị trí trên bản đồ chưa đúng (vĩ độ, kinh độ là số)." in letters.text


def test_english_page(client, city):
    page = client.get("/phan-anh/gui?lang=en")
    assert "Submit a report" in page.text and "Category" in page.text
    assert "Environment" in page.text and ">Môi trường<" not in page.text  # the categories' English names
    short = client.post("/phan-anh/gui", data={**FORM, "description": "a"})
    assert short.status_code == 422 and "The report needs 3 to 5,000 characters." in short.text
    assert "Nội dung phản ánh" not in short.text
    done = client.post("/phan-anh/gui", data=FORM)
    assert "People's Committee of" in html.unescape(done.text) and "Ủy ban nhân dân" not in done.text
    code = re.search(r'id="report-code">([^<]+)<', done.text).group(1)
    report = html.unescape(client.get(f"/phan-anh/{code}").text)
    assert "<h1>Environment" in report and "People's Committee of" in report
    timeline = report.split('class="timeline"')[1].split("</ol>")[0]
    assert "Sent to People's Committee of" in timeline and "Chuyển tới" not in timeline  # the platform's
    vietnamese = client.get(f"/phan-anh/{code}?lang=vi").text
    assert "<h1>Môi trường" in vietnamese
    assert "Chuyển tới Ủy ban nhân dân" in vietnamese.split('class="timeline"')[1].split("</ol>")[0]


def test_my_reports_needs_login_and_lists_own(client, city, login):
    assert client.get("/phan-anh/cua-toi", follow_redirects=False).status_code == 303
    headers = login("dan2", ("citizen", None))
    other = login("dan4", ("citizen", None))
    body = {
        "category_code": "ha-tang",
        "description": "Ổ gà",
        "lon": PHU_CUONG[0],
        "lat": PHU_CUONG[1],
        "is_public": False,
    }
    code = client.post("/api/v1/feedback/reports", json=body, headers=headers).json()["report"]["code"]
    assert code in client.get("/phan-anh/cua-toi", headers=headers).text
    assert code not in client.get("/phan-anh/cua-toi", headers=other).text


def test_console_intake_and_caller_lookup(client, city, login):
    operator = login("tongdai2", ("operator", None))
    citizen = login("dan3", ("citizen", None))
    assert client.get("/can-bo/phan-anh/tong-dai", headers=citizen).status_code == 403
    page = client.get("/can-bo/phan-anh/tong-dai", headers=operator)
    assert page.status_code == 200 and 'id="console-form"' in page.text
    intake_form = {
        "reporter_phone": "0903 111 222",
        "category_code": "an-ninh-trat-tu",
        "channel": "hotline",
        "description": "Đánh nhau trước quán nhậu",
        "lat": str(PHU_CUONG[1]),
        "lon": str(PHU_CUONG[0]),
        "urgent": "on",
    }
    console = "/can-bo/phan-anh/tong-dai"
    intake = client.post(console, headers=operator, follow_redirects=False, data=intake_form)
    assert intake.status_code == 303
    recorded = intake.headers["location"]
    said = client.get(recorded, headers=operator).text.split('id="console-message">')[1].split("</p>")[0]
    assert said.startswith("Đã ghi nhận phản ánh PA-") and "chuyển Ủy ban nhân dân phường" in said
    assert "Ủy" not in unquote(recorded)  # the message travels signed, not as a sentence anyone could write
    forged = client.get("/can-bo/phan-anh/tong-dai?message=Đã+ghi+nhận+phản+ánh+giả", headers=operator)
    assert forged.status_code == 200 and 'id="console-message"' not in forged.text
    lookup = client.get("/can-bo/phan-anh/tong-dai", params={"phone": "0903111222"}, headers=operator)
    earlier = lookup.text.split('id="earlier"')[1].split("</ul>")[0]
    codes = re.findall(r'<a href="/phan-anh/([^"]+)">', earlier)
    assert len(codes) == 1
    urgent_list = lookup.text.split('id="urgent"')[1].split("</ul>")[0]
    assert codes[0] in urgent_list
    report = service.get_report(city, actor=OPERATOR, code=codes[0])
    assert report.channel == "hotline" and report.is_urgent and report.unit_code.startswith("UBND-")
    assert "An ninh, trật tự" in earlier and ">Đèn tín hiệu giao thông</option>" in lookup.text

    client.cookies.set("lang", "en")  # the categories in English: the form, the caller's, the urgent ones
    english = client.get("/can-bo/phan-anh/tong-dai", params={"phone": "0903111222"}, headers=operator).text
    for name in ("Emergency (fire, accident, rescue)", "Traffic lights", "Security and public order"):
        assert f">{name}</option>" in english
    assert "An ninh, trật tự" not in english and "Đèn tín hiệu giao thông" not in english
    assert "Security and public order" in english.split('id="earlier"')[1].split("</ul>")[0]
    assert "Security and public order" in english.split('id="urgent"')[1].split("</ul>")[0]
    # the unit a report went to by its English name, in the list and in the message after a call
    assert "People's Committee of" in english.split('id="urgent"')[1].split("</ul>")[0].replace("&#39;", "'")
    again = client.post(
        "/can-bo/phan-anh/tong-dai",
        headers=operator,
        follow_redirects=False,
        data={**intake_form, "description": "Đánh nhau lần nữa trước quán nhậu"},
    )
    said = client.get(again.headers["location"], headers=operator).text
    said = said.split('id="console-message">')[1].split("</p>")[0].replace("&#39;", "'")
    assert said.startswith("Report PA-") and "sent to People's Committee of" in said


def test_queue_shows_the_units_reports_and_acts(client, city, login, report_data):
    code = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET
    ).report
    ward_staff = login("canbo1", ("specialist", code.unit_code))
    other_staff = login(
        "canbo2", ("specialist", "UBND-25768-HCM" if code.unit_code != "UBND-25768-HCM" else "UBND-25747-HCM")
    )
    mine = client.get("/can-bo/phan-anh", headers=ward_staff)
    assert mine.status_code == 200 and code.code in mine.text
    assert code.code not in client.get("/can-bo/phan-anh", headers=other_staff).text
    accepted = client.post(
        f"/can-bo/phan-anh/r/{code.code}/accept",
        headers=ward_staff,
        data={"back": "/can-bo/phan-anh"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert service.get_report(city, actor=OPERATOR, code=code.code).status == "accepted"
    refused = client.post(f"/can-bo/phan-anh/r/{code.code}/start", headers=other_staff)
    assert refused.status_code == 403


def test_staff_history_speaks_in_words_and_names_people(client, city, login, report_data):
    """The channel and each step's action in Vietnamese; who acted by full name, never a username."""
    code = service.submit_report(
        city, actor=CITIZEN, data=report_data(channel="hotline"), secret=SECRET
    ).report.code
    accounts_service.create_user(
        city,
        actor=SYSTEM,
        username="tongdai9",
        password=PASSWORD,
        full_name="Võ Thanh Sơn",
        roles=[("operator", None)],
    )
    tongdai = Actor(kind="user", name="tongdai9", roles=frozenset({("operator", None)}))
    service.accept_report(city, actor=tongdai, code=code)
    service.assign_report(city, actor=tongdai, code=code)
    page = client.get(f"/phan-anh/{code}", headers=login("xem1", ("operator", None))).text
    staff = page.split('id="staff-actions"')[1]
    assert "Kênh: Tổng đài 1022" in staff and "Kênh: hotline" not in staff
    history = staff.split("Nhật ký")[1]
    assert "— Gửi phản ánh —" in history and "— Tiếp nhận — Võ Thanh Sơn" in history
    assert "— Chuyển xử lý — Võ Thanh Sơn" in history
    for code_word in ("— submitted", "— accept", "— assign", "tongdai9"):
        assert code_word not in history


def test_reporter_adds_photos_after_submitting_all_or_none(client, city):
    done = client.post("/phan-anh/gui", data=FORM)
    code = re.search(r'id="report-code">([^<]+)<', done.text).group(1)
    key = re.search(r'id="reporter-key">([^<]+)<', done.text).group(1)
    page = client.get(f"/phan-anh/{code}")
    assert 'id="photos-form"' in page.text and "/api/v1/feedback/photos/" not in page.text
    two = [("photos", (f"p{i}.jpg", jpeg_with_gps(), "image/jpeg")) for i in range(2)]
    refused = client.post(f"/phan-anh/{code}/photos", data={"reporter_key": "nope"}, files=two)
    assert refused.status_code == 403 and "alert-error" in refused.text
    added = client.post(f"/phan-anh/{code}/photos", data={"reporter_key": key}, files=two)
    assert added.status_code == 200 and added.text.count("/api/v1/feedback/photos/") == 2
    too_many = [("photos", (f"q{i}.jpg", jpeg_with_gps(), "image/jpeg")) for i in range(10)]
    over = client.post(f"/phan-anh/{code}/photos", data={"reporter_key": key}, files=too_many)
    assert over.status_code == 409 and over.text.count("/api/v1/feedback/photos/") == 2  # none of the ten
    broken = client.post(
        f"/phan-anh/{code}/photos",
        data={"reporter_key": key},
        files=[("photos", ("x.jpg", b"not an image", "image/jpeg"))],
    )
    assert broken.status_code in (413, 415, 422) and "alert-error" in broken.text


SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1 (education.demo's school_org_unit)


def _links(*roles: tuple[str, str | None]) -> set[str]:
    from smartcity.accounts.views import staff_links

    actor = Actor(kind="user", name="someone", user_id=7001, roles=frozenset(roles))
    return {str(link["href"]) for link in staff_links(actor)}


def test_a_schools_head_handles_no_reports_and_a_wards_head_does(client, city, login, report_data):
    report = service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET
    ).report
    accounts_service.upsert_org_units(
        city, actor=SYSTEM, units=[{"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}]
    )
    school = login("hieutruong", ("head", SCHOOL), ("operator", SCHOOL))
    refused = client.get("/can-bo/phan-anh", headers=school)
    assert refused.status_code == 403 and "Ủy ban nhân dân thành phố, phường" in refused.text
    assert client.get("/can-bo/phan-anh/tong-dai", headers=school).status_code == 403
    acted = client.post(f"/can-bo/phan-anh/r/{report.code}/accept", headers=school, data={})
    assert acted.status_code == 403
    for path in (
        f"/api/v1/feedback/reports/{report.code}/contact",
        "/api/v1/feedback/callers?phone=0912345678",
    ):
        answer = client.get(path, headers=school)
        assert answer.status_code == 403, path
    assert not {"/can-bo/phan-anh", "/can-bo/phan-anh/tong-dai"} & _links(
        ("head", SCHOOL), ("operator", SCHOOL)
    )
    ward = login("truongphong.phuong", ("head", report.unit_code))
    assert client.get("/can-bo/phan-anh", headers=ward).status_code == 200
    assert client.get(f"/api/v1/feedback/reports/{report.code}/contact", headers=ward).status_code == 200
    assert "/can-bo/phan-anh" in _links(("head", report.unit_code))
    assert "/can-bo/phan-anh/tong-dai" in _links(("operator", "TDM-IOC"))


def test_the_queue_offers_the_units_that_handle_reports_and_speaks_the_pages_language(
    client, city, login, report_data
):
    accounts_service.upsert_org_units(
        city,
        actor=Actor.system("t"),
        units=[{"code": "TRUONG-TH-THU", "name": "Trường Tiểu học Thử", "kind": "school"}],
    )
    service.submit_report(
        city, actor=CITIZEN, data=report_data(category_code="an-ninh-trat-tu"), secret=SECRET
    )
    operator = login("vanhanh1", ("operator", None))
    page = client.get("/can-bo/phan-anh", headers=operator).text
    offered = re.findall(r'<option value="([A-Z][^"]*)"', page.split('name="unit"')[1].split("</select>")[0])
    assert offered and all(code.startswith(("UBND-", "TDM-")) for code in offered)
    assert "Trường Tiểu học Thử" not in page
    english = client.get("/can-bo/phan-anh?lang=en", headers=operator).text
    assert "Security and public order" in english and "An ninh, trật tự" not in english
    rows = english.split("<tbody>")[1].split("</tbody>")[0].replace("&#39;", "'")
    assert "People's Committee of" in rows and "Ủy ban nhân dân" not in rows  # the handling unit too
