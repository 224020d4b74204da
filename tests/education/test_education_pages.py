"""The pages: the department's map and table, the school's pages, the parent's pages; one browser tour."""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.demo import demo_children
from smartcity.education import service
from smartcity.education.service.imports import ASSET_HEADERS, STUDENT_HEADERS
from tests.education.conftest import PASSWORD, SYSTEM
from tests.gis import test_gis_base_map as base_map
from tests.support import chromium_page, csrf_of, run_once_on_sqlite, served, sign_in

SHOTS = Path(tempfile.gettempdir())
SCHOOL = "TH-PHUHOA1"


def _sign_in(client, username: str, *roles: tuple[str, str | None]) -> None:  # type: ignore[no-untyped-def]
    user = accounts_service.get_user_by_username(client.app.state.db, username)
    if user is None:
        accounts_service.create_user(
            client.app.state.db, actor=SYSTEM, username=username, password=PASSWORD, roles=list(roles)
        )
    else:
        accounts_service.set_password(client.app.state.db, actor=SYSTEM, user_id=user.id, password=PASSWORD)
    sign_in(client, username, PASSWORD)


def _xlsx(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_department_page_lists_all_schools_by_name_with_ward_names(demo, client):
    _sign_in(client, "giaoduc")
    html = client.get("/can-bo/giao-duc").text
    assert html.count("<tr data-code=") == 57
    assert "Trường THCS Chu Văn An" in html and "Phường Thủ Dầu Một" in html
    assert re.search(r">\d{2}\.\d{3}<", html)  # enrolment written the Vietnamese way (68.081)
    assert ">25747<" not in html and "lower_secondary" not in html.split("schools-data")[0]


def test_department_map_is_on_the_base_map_with_a_legend_of_its_colours(demo, client):
    _sign_in(client, "giaoduc")
    base_map.check_map_page(client, "/can-bo/giao-duc")


def test_school_pages_for_its_staff_only(demo, client, settings):
    _sign_in(client, "ketoan.phuhoa1")
    assert 'href="/can-bo/giao-duc/truong"' in client.get("/can-bo").text
    home = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}")
    assert home.status_code == 200 and "3A2" in home.text and "@edu.thudaumot.example" in home.text
    term = service.current_year(client.app.state.db, settings)["term"]
    assert f"Học kỳ hiện tại: {term or '—'}" in home.text
    over = sum(
        1
        for c in service.list_classes(client.app.state.db, actor=SYSTEM, school_code=SCHOOL)
        if c["over_norm"]
    )
    assert f"lớp, {over} lớp vượt sĩ số quy định" in home.text
    class_id = re.search(r'href="/can-bo/giao-duc/lop/(\d+)">3A2<', home.text).group(1)
    page = client.get(f"/can-bo/giao-duc/lop/{class_id}").text
    assert "Nguyễn Minh Khang" in page and "*********" in page  # names for staff, identifiers masked
    student = re.search(r'name="status_(\d+)"', page).group(1)
    saved = client.post(
        f"/can-bo/giao-duc/lop/{class_id}/diem-danh",
        data={
            "csrf_token": csrf_of(page),
            "day": re.search(r'name="day" value="([^"]+)"', page).group(1),
            f"status_{student}": "unexcused",
        },
    )
    assert saved.status_code == 200 and "Đã lưu điểm danh" in saved.text
    assert re.search(rf'name="status_{student}".*?value="unexcused" selected', saved.text, re.S)
    fees = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi").text
    assert "Danh sách nợ phí quá hạn" in fees and " ₫" in fees
    assets = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san").text
    assert "Kiểm kê năm" in assets and "Máy vi tính phòng tin học" in assets
    other = client.get("/can-bo/giao-duc/truong/THCS-CHUVANAN", headers={"accept": "text/html"})
    assert other.status_code == 403


def test_school_imports_students_all_or_nothing(demo, client, settings):
    _sign_in(client, "ketoan.phuhoa1")
    form = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/nhap")
    token = csrf_of(form.text)
    born = f"02/03/{clock.today(settings).year - 7}"
    bad = _xlsx(
        STUDENT_HEADERS,
        [
            ("Lê Văn Tài", born, "Nam", "074220088001", "1A1"),
            ("Lê Thị Na", "31/02/2019", "Nữ", "", "1A1"),
            ("Trần Văn B", born, "Nam", "074220088001", "9Z9"),
        ],
    )
    page = client.post(
        f"/can-bo/giao-duc/truong/{SCHOOL}/nhap",
        data={"loai": "hoc-sinh", "csrf_token": token},
        files={"file": ("ds.xlsx", bad)},
    )
    assert page.status_code == 422 and "Dòng 3" in page.text and "Dòng 4" in page.text
    assert "Dòng 2" not in page.text
    classes = service.list_classes(demo, actor=SYSTEM, school_code=SCHOOL)
    first = next(c for c in classes if c["name"] == "1A1")
    assert len(service.class_students(demo, actor=SYSTEM, settings=settings, class_id=first["id"])) == 1
    good = _xlsx(STUDENT_HEADERS, [("Lê Văn Tài", born, "Nam", "074220088001", "1A1")])
    page = client.post(
        f"/can-bo/giao-duc/truong/{SCHOOL}/nhap",
        data={"loai": "hoc-sinh", "csrf_token": token},
        files={"file": ("ds.xlsx", good)},
    )
    assert "Đã nhập 1 dòng học sinh" in page.text
    assets = _xlsx(
        ASSET_HEADERS,
        [("Máy chiếu", "Công nghệ thông tin", "khong-co", 2, 9000000, "01/01/2026", "Tốt", "Không")],
    )
    page = client.post(
        f"/can-bo/giao-duc/truong/{SCHOOL}/nhap",
        data={"loai": "tai-san", "csrf_token": token},
        files={"file": ("ts.xlsx", assets)},
    )
    assert page.status_code == 422 and "Dòng 2" in page.text and "nhóm hao mòn" in page.text


def test_parent_pages_show_only_their_children(demo, client):
    assert client.get("/con-toi", follow_redirects=False).headers["location"].startswith("/login")
    _sign_in(client, "congdan")
    space = client.get("/cua-toi").text
    assert "Con tôi ở trường" in space and "Còn phải nộp" in space
    html = client.get("/con-toi").text
    son, daughter, baby = demo_children(clock.today(demo.settings))
    assert (
        son.full_name in html and daughter.full_name in html and baby.full_name not in html
    )  # not at school
    code = re.search(r'href="/con-toi/(HS\d+)"', html).group(1)
    child = client.get(f"/con-toi/{code}").text
    assert (
        son.full_name in child and son.birth.strftime("%d/%m/%Y") in child
    )  # born as her health record says
    assert "Thanh toán trực tuyến" in child and "Chuyên cần" in child and "Nghị quyết 217/2025/QH15" in child
    assert "<td>Tiền ăn bán trú" in child and re.search(r"\d\.\d{3} ₫", child)
    client.cookies.set("lang", "en")
    english = client.get(f"/con-toi/{code}").text
    assert "<td>School meals" in english and "<td>Tiền ăn bán trú" not in english  # the fees' English names
    assert re.search(r"\d,\d{3} ₫", english) and not re.search(r"\d\.\d{3} ₫", english)  # English amounts
    marked, absent = re.search(r"(\d+) school days? marked, (\d+) days? absent", english).groups()
    assert "1 days" not in english and ("1 day absent" in english) == (absent == "1")  # English counts agree
    assert f"{marked} ngày học được điểm danh" in child and "over the last 30 days" in english
    assert "still to pay" in client.get("/cua-toi").text and "Còn phải nộp" not in client.get("/con-toi").text
    client.cookies.set("lang", "vi")
    other = service.list_classes(demo, actor=SYSTEM, school_code="THCS-CHUVANAN")[0]
    stranger = service.class_students(demo, actor=SYSTEM, settings=demo.settings, class_id=other["id"])[0][
        "code"
    ]
    assert client.get(f"/con-toi/{stranger}", headers={"accept": "text/html"}).status_code == 404


@pytest.fixture
def live_server(app, demo) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served with the demo loaded (SQLite only)."""
    run_once_on_sqlite(demo)
    with served(app) as url:
        yield url


def _browser_sign_in(page, url: str, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login?next={target}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.browser
def test_department_parent_and_school_in_the_browser(live_server, demo):
    for username in ("giaoduc", "congdan", "ketoan.phuhoa1"):
        user = accounts_service.get_user_by_username(demo, username)
        accounts_service.set_password(demo, actor=SYSTEM, user_id=user.id, password=PASSWORD)
    with chromium_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _browser_sign_in(page, live_server, "giaoduc", "/can-bo/giao-duc")
        page.wait_for_selector("#edu-map[data-ready='57']", timeout=20000)
        assert page.inner_text("#school-count") == "57"
        assert page.locator("#schools tbody tr").count() == 57
        page.screenshot(path=str(SHOTS / "education-department.png"), full_page=True)
        page.context.clear_cookies()

        _browser_sign_in(page, live_server, "congdan", "/con-toi")
        page.click("#children li:first-child a")
        page.wait_for_selector(".open-invoice")
        page.screenshot(path=str(SHOTS / "education-child.png"), full_page=True)
        page.click(".open-invoice button.pay")
        page.wait_for_selector("#sandbox-approve")
        page.click("#sandbox-approve")
        page.wait_for_selector("#message")
        assert "Thanh toán thành công" in page.inner_text("#message")
        receipt = page.locator("#paid a.receipt").first.get_attribute("href")
        pdf = page.request.get(f"{live_server}{receipt}")
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        page.context.clear_cookies()

        _browser_sign_in(page, live_server, "ketoan.phuhoa1", f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san")
        page.wait_for_selector("#open-stocktake")
        rows = page.locator("#assets tbody tr")
        row = next(
            rows.nth(i) for i in range(rows.count()) if int(rows.nth(i).locator("td.qty").inner_text()) > 1
        )
        asset_id, before = row.get_attribute("data-id"), int(row.locator("td.qty").inner_text())
        page.click("#open-stocktake button")
        page.wait_for_selector("#stocktake")
        page.fill(f"input[name=qty_{asset_id}]", str(before - 1))
        page.click("#close-stocktake")
        page.wait_for_selector("#stocktake-errors")  # a difference without explanation is refused
        page.fill(f"input[name=qty_{asset_id}]", str(before - 1))
        page.fill(f"input[name=note_{asset_id}]", "Hỏng không sửa được, đã lập biên bản")
        page.click("#close-stocktake")
        page.wait_for_selector(".notice")
        after = int(page.locator(f"#assets tr[data-id='{asset_id}'] td.qty").inner_text())
        assert after == before - 1
        page.screenshot(path=str(SHOTS / "education-assets.png"), full_page=True)
        page.goto(f"{live_server}/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi")
        page.wait_for_selector("#reconciliation")
        page.screenshot(path=str(SHOTS / "education-fees.png"), full_page=True)
        page.goto(f"{live_server}/can-bo/giao-duc/truong/{SCHOOL}")
        page.click("#classes a >> text=3A2")
        page.wait_for_selector("#attendance")
        page.screenshot(path=str(SHOTS / "education-class.png"), full_page=True)
        assert errors == []


def test_pages_in_english(demo, client):
    _sign_in(client, "giaoduc")
    html = client.get("/can-bo/giao-duc?lang=en").text
    assert "Education: the city" in html and "Collection rate" in html and "Tỷ lệ thu" not in html


def test_levels_grades_fees_and_categories_are_named_in_the_pages_language(demo, client):
    _sign_in(client, "ketoan.phuhoa1")
    home = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}?lang=vi").text
    assert "Tiểu học ·" in home and "<td>Khối 3</td>" in home
    english = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}?lang=en").text
    assert "Primary ·" in english and "<td>Grade 3</td>" in english
    assert "Tiểu học ·" not in english and "Khối 3" not in english  # the school keeps its name
    class_id = re.search(r'href="/can-bo/giao-duc/lop/(\d+)">3A2<', english).group(1)
    assert "Grade 3 ·" in client.get(f"/can-bo/giao-duc/lop/{class_id}?lang=en").text
    fees = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi?lang=en").text
    assert "<td>Tuition</td><td>Primary</td>" in fees and "<td>Học phí</td>" not in fees
    assert "Illustrative amount" in fees and "Mức minh họa" not in fees  # the rates' notes
    assert (
        "<td>Học phí</td><td>Tiểu học</td>"
        in client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi?lang=vi").text
    )
    student = re.search(
        r'href="/can-bo/giao-duc/hoc-sinh/(HS\d+)"', client.get(f"/can-bo/giao-duc/lop/{class_id}").text
    )
    page = client.get(f"/can-bo/giao-duc/hoc-sinh/{student.group(1)}?lang=en").text
    assert ">Child of a poor household</option>" in page and "Trẻ em, học sinh thuộc hộ nghèo" not in page
    assert re.search(r"· (Male|Female) ·", page)
    _sign_in(client, "giaoduc")
    department = client.get("/can-bo/giao-duc?lang=en").text
    assert "<td>Lower secondary</td>" in department and "Trung học cơ sở" not in department
    assert '"level_name": "Preschool"' in department  # the map's popups
    assert "<td>Trung học cơ sở</td>" in client.get("/can-bo/giao-duc?lang=vi").text


def _figures(html: str) -> str:
    """The page's text without its tags, scripts and styles (the numbers a reader sees)."""
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


LANGS = ("vi", "en")
VIETNAMESE_FIGURE = re.compile(r"\d\.\d{3}\b|\d,\d+\s?%")  # 1.250.000 or 97,8% on a page in English


def test_money_and_percentages_are_written_in_the_pages_language(demo, client):
    _sign_in(client, "giaoduc")
    vi = client.get("/can-bo/giao-duc?lang=vi").text
    students = re.search(r'id="student-count">([^<]+)<', vi).group(1)
    fee_rate = re.search(r'id="fee-rate">([^<]+)<', vi).group(1)
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", students) and re.fullmatch(r"\d{1,3},\d%", fee_rate)
    assert not re.search(r"\d %", _figures(vi))  # the legend too: "Trường thu dưới 85%"
    en = client.get("/can-bo/giao-duc?lang=en").text
    assert re.search(r'id="student-count">' + students.replace(".", ",") + "<", en)
    assert re.search(r'id="fee-rate">' + fee_rate.replace(",", ".") + "<", en)
    assert not VIETNAMESE_FIGURE.search(_figures(en)), VIETNAMESE_FIGURE.findall(_figures(en))[:5]
    assert re.search(r'"students_text": "\d{1,3},\d{3}"', en) and re.search(r'"fee_rate_text": "[\d.]+%"', en)
    assert re.search(r'"students_text": "\d{1,3}\.\d{3}"', vi)  # the map's pop-ups

    _sign_in(client, "ketoan.phuhoa1")
    for path in (f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi", f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san"):
        vi, en = (_figures(client.get(f"{path}?lang={lang}").text) for lang in ("vi", "en"))
        assert re.search(r"\d\.\d{3}\.\d{3} ₫", vi) and not re.search(r"\d,\d{3} ₫", vi), path
        assert re.search(r"\d,\d{3},\d{3} ₫", en) and not VIETNAMESE_FIGURE.search(en), path
    assets_vi, assets_en = (
        client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/tai-san?lang={lang}").text for lang in ("vi", "en")
    )
    assert "20,0%/năm" in assets_vi and "20.0%/" in assets_en  # the depreciation rate
    fees = client.get(f"/can-bo/giao-duc/truong/{SCHOOL}/hoc-phi").text
    number = re.search(r'href="/can-bo/giao-duc/hoa-don/([^"]+)"', fees).group(1)
    invoice = {lang: client.get(f"/can-bo/giao-duc/hoa-don/{number}?lang={lang}").text for lang in LANGS}
    outstanding = re.search(r'id="outstanding">([\d.]+) ₫<', invoice["vi"]).group(1)
    assert f'id="outstanding">{outstanding.replace(".", ",")} ₫<' in invoice["en"]
