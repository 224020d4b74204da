"""The school office's pages: a student's file (link a parent, grant an exemption, transfer) and an asset's
page (transfer to another school, write off), each refusal back on the form in Vietnamese."""

from __future__ import annotations

import re
from datetime import timedelta

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.education import service
from tests.education.conftest import PASSWORD, SYSTEM
from tests.education.test_education_pages import SCHOOL, _sign_in
from tests.support import csrf_of


def _class_page(client) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    home = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}").text
    class_id = re.search(r'href="/can-bo/giao-duc/lop/(\d+)">3A2<', home).group(1)
    return class_id, client.get(f"/can-bo/giao-duc/lop/{class_id}").text


def test_the_office_links_a_parent_grants_an_exemption_and_transfers_a_student(demo, client, settings):
    accounts_service.create_user(
        demo, actor=SYSTEM, username="me.hocsinh", password=PASSWORD, full_name="Trần Thị Hoa", roles=[]
    )
    _sign_in(client, "ketoan.phuhoa1")
    class_id, class_html = _class_page(client)
    code = re.search(r'href="/can-bo/giao-duc/hoc-sinh/(HS\d+)"', class_html).group(1)
    url = f"/can-bo/giao-duc/hoc-sinh/{code}"
    page = client.get(url)
    assert page.status_code == 200 and "Phụ huynh được liên kết" in page.text
    token = csrf_of(page.text)

    linked = client.post(
        f"{url}/phu-huynh", data={"csrf_token": token, "tai_khoan": "me.hocsinh", "quan_he": "mother"}
    )
    assert "Đã liên kết tài khoản phụ huynh" in linked.text and "Mẹ: Trần Thị Hoa" in linked.text
    again = client.post(
        f"{url}/phu-huynh", data={"csrf_token": token, "tai_khoan": "me.hocsinh", "quan_he": "mother"}
    )
    assert "đã được liên kết" in again.text and again.text.count("Mẹ: Trần Thị Hoa") == 1
    nobody = client.post(
        f"{url}/phu-huynh", data={"csrf_token": token, "tai_khoan": "khong.co.ai", "quan_he": "father"}
    )
    assert "Không có tài khoản công dân này" in nobody.text

    short = client.post(
        f"{url}/mien-giam", data={"csrf_token": token, "dien": "poor_household", "minh_chung": "x"}
    )
    assert "Hãy ghi giấy tờ làm căn cứ" in short.text and 'id="exemptions"' not in short.text
    granted = client.post(
        f"{url}/mien-giam",
        data={
            "csrf_token": token,
            "dien": "poor_household",
            "minh_chung": "Giấy chứng nhận hộ nghèo số 12/2026",
        },
    )
    assert "Đã ghi nhận diện miễn, giảm" in granted.text
    assert "Trẻ em, học sinh thuộc hộ nghèo" in granted.text and "poor_household</td>" not in granted.text

    target = re.search(r'<option value="([A-Z0-9-]+/\d+)">', granted.text).group(1)
    tomorrow = (clock.today(settings) + timedelta(days=1)).isoformat()
    future = client.post(
        f"{url}/chuyen-truong", data={"csrf_token": token, "lop_den": target, "ngay": tomorrow}
    )
    assert "không được ở tương lai" in future.text
    today = clock.today(settings).isoformat()
    moved = client.post(
        f"{url}/chuyen-truong",
        data={"csrf_token": token, "lop_den": target, "ngay": today, "ly_do": "Chuyển nhà"},
    )
    assert moved.url.path == f"/can-bo/giao-duc/lop/{class_id}" and "Đã chuyển trường" in moved.text
    assert code not in moved.text  # no longer in the class
    record = service.get_student(demo, actor=SYSTEM, settings=settings, code=code)
    assert record["school_code"] == target.split("/")[0] and record["class_id"] == int(target.split("/")[1])
    assert record["transfers"][0]["reason"] == "Chuyển nhà" and record["exemptions"]
    assert client.get(url, headers={"accept": "text/html"}).status_code == 404  # the old school lets go


def test_a_teacher_reads_the_file_but_the_office_forms_are_not_theirs(demo, client):
    _sign_in(client, "giaovien.phuhoa1")
    _class_id, class_html = _class_page(client)
    code = re.search(r'href="/can-bo/giao-duc/hoc-sinh/(HS\d+)"', class_html).group(1)
    page = client.get(f"/can-bo/giao-duc/hoc-sinh/{code}")
    assert (
        page.status_code == 200 and 'id="link-parent"' not in page.text and 'id="transfer"' not in page.text
    )
    refused = client.post(
        f"/can-bo/giao-duc/hoc-sinh/{code}/mien-giam",
        data={"csrf_token": csrf_of(page.text), "dien": "orphan", "minh_chung": "Giấy xác nhận"},
        headers={"accept": "text/html"},
    )
    assert refused.status_code == 403
    assert not service.get_student(demo, actor=SYSTEM, settings=demo.settings, code=code)["exemptions"]


def test_the_office_transfers_and_writes_off_an_asset_from_its_page(demo, client, settings):
    _sign_in(client, "ketoan.phuhoa1")
    register = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san").text
    asset_id, _ = next(
        (m.group(1), m.group(2))
        for m in re.finditer(r'<tr data-id="(\d+)">.*?class="num qty">(\d+)<', register)
        if int(m.group(2)) >= 3
    )
    url = f"/can-bo/giao-duc/tai-san/{asset_id}"
    page = client.get(url).text
    quantity = int(re.search(r'id="quantity">(\d+)<', page).group(1))
    token = csrf_of(page)
    receiver = re.search(r'name="truong_nhan" required><option value="([^"]+)"', page).group(1)
    today = clock.today(settings).isoformat()

    too_many = client.post(
        f"{url}/dieu-chuyen",
        data={
            "csrf_token": token,
            "truong_nhan": receiver,
            "so_luong": quantity + 1,
            "ngay": today,
            "ly_do": "Hỗ trợ",
        },
    )
    assert f"Chỉ còn {quantity} trong sổ" in too_many.text
    moved = client.post(
        f"{url}/dieu-chuyen",
        data={
            "csrf_token": token,
            "truong_nhan": receiver,
            "so_luong": 1,
            "ngay": today,
            "ly_do": "Hỗ trợ trường bạn",
        },
    )
    assert "Đã điều chuyển tài sản" in moved.text and f'id="quantity">{quantity - 1}<' in moved.text
    assert "Điều chuyển đi" in moved.text
    written = client.post(
        f"{url}/thanh-ly",
        data={
            "csrf_token": token,
            "so_luong": 1,
            "ngay": today,
            "ly_do": "Hư hỏng",
            "so_quyet_dinh": "15/QĐ-TH",
        },
    )
    assert "Đã ghi giảm tài sản" in written.text and f'id="quantity">{quantity - 2}<' in written.text
    received = service.list_assets(demo, actor=SYSTEM, school_code=receiver)
    assert any(
        "Hỗ trợ trường bạn" in str(service.movements(demo, actor=SYSTEM, asset_id=a["id"])) for a in received
    )


def test_the_staff_home_offers_education_only_to_those_who_can_open_it(demo, client):
    _sign_in(client, "motcua.phuong", ("clerk", "UBND-25747-HCM"), ("head", "UBND-25747-HCM"))
    home = client.get("/can-bo").text
    assert 'href="/can-bo/giao-duc' not in home  # a ward's clerk and head work elsewhere
    client.cookies.clear()
    _sign_in(client, "giaoduc")
    home = client.get("/can-bo").text
    assert 'href="/can-bo/giao-duc"' in home and 'href="/can-bo/giao-duc/truong"' not in home
