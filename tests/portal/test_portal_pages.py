"""The portal's pages: home, one search, news desk, contacts, the citizen's space, the page budget."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image

from smartcity.accounts import service as accounts_service
from smartcity.core import clock
from smartcity.core.security import Actor
from smartcity.feedback.schemas import ReportCreate
from smartcity.portal.demo import load_demo

HOME_BUDGET = 200 * 1024  # bytes: the home page's HTML, CSS, scripts and images (no map tiles)
ASSET = re.compile(r'(?:href|src)="(/[^"]+\.(?:css|js|png|jpe?g|webp|svg)|/tin-tuc/anh/[0-9a-f]+)"')


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def test_the_home_has_search_tasks_hotline_and_news(client, public_city, settings):
    load_demo(public_city, settings=settings, actor=Actor.system("demo"))
    home = client.get("/")
    assert home.status_code == 200
    assert 'action="/tim-kiem"' in home.text and 'name="q"' in home.text
    for href in ("/thu-tuc", "/tra-cuu", "/phan-anh/gui", "/ban-do-quy-hoach", "/du-lieu-mo", "/ban-do"):
        assert f'href="{href}"' in home.text
    assert 'href="tel:1022"' in home.text
    assert "Xây dựng và phát triển thành phố Thủ Dầu Một theo hướng đô thị thông minh" in home.text
    assert "27/02/2022" in home.text
    assert "14 phường của Thủ Dầu Một trở thành 5 phường" in home.text
    assert "Các phường trước và sau 01/07/2025" in home.text  # the day asked of city's service
    assert load_demo(public_city, settings=settings, actor=Actor.system("demo")) == "0 posts"
    english = client.get("/?lang=en")
    assert "Building Thủ Dầu Một into a smart city" in english.text and '<html lang="en">' in english.text
    assert "The wards before and after 1 July 2025" in english.text


def test_a_citizen_finds_a_procedure_a_report_and_a_dataset_without_diacritics(client, public_city):
    procedure = client.get("/tim-kiem", params={"q": "dang ky khai sinh"})
    assert procedure.status_code == 200
    assert "Thủ tục hành chính" in procedure.text and "/thu-tuc/" in procedure.text
    assert "Đăng ký khai sinh" in procedure.text
    assert "Hộ tịch · trong ngày" in procedure.text and "0 ngày làm việc" not in procedure.text

    report = client.get("/tim-kiem", params={"q": "den duong hong cho thu dau mot"})
    assert "Phản ánh" in report.text and "/phan-anh/PA-" in report.text

    dataset = client.get("/tim-kiem", params={"q": "du lieu quy hoach"})
    assert "/du-lieu-mo/gis-planning-zones" in dataset.text

    zone = client.get("/tim-kiem", params={"q": "quy hoach"})
    assert "Quy hoạch" in zone.text and "/ogc/collections/planning-zones/items/" in zone.text

    many = client.get("/tim-kiem", params={"q": "khai sinh"})
    assert (
        'href="/thu-tuc?q=khai%20sinh"' in many.text
    )  # more than the page shows: the catalogue's own search

    nothing = client.get("/tim-kiem", params={"q": "xyzzy khong co"})
    assert "Không tìm thấy kết quả" in nothing.text


def test_a_report_is_found_by_its_code_and_a_private_one_is_not(client, public_city, settings):
    from smartcity.feedback import service

    private = service.submit_report(
        public_city,
        actor=Actor.system("t"),
        data=ReportCreate(
            category_code="ha-tang",
            description="Cây đổ chắn lối vào hẻm riêng",
            lon=106.655,
            lat=10.98,
            is_public=False,
        ),
        secret=settings.resolved_secret_key,
    ).report.code
    assert f"/phan-anh/{private}" not in client.get("/tim-kiem", params={"q": private}).text
    assert "Cây đổ" not in client.get("/tim-kiem", params={"q": "cay do chan loi"}).text


def test_editors_write_drafts_publish_with_an_image_and_readers_see_only_published(
    client, signed_in, public_city
):
    editor, token, editor_id = signed_in("bientap", ("leader", None))
    named = {"full_name": "Phan Thị Biên"}
    accounts_service.update_user(public_city, actor=Actor.system("t"), user_id=editor_id, changes=named)
    form = {
        "csrf_token": token,
        "kind": "news",
        "title_vi": "Khai trương điểm thu gom rác ngầm Đinh Bộ Lĩnh",
        "title_en": "Underground bins open at Đinh Bộ Lĩnh",
        "summary_vi": "Bốn thùng rác ngầm tại giao lộ Đinh Bộ Lĩnh - Bạch Đằng.",
        "body_vi": "Đoạn một.\n\nĐoạn hai.",
        "image_alt_vi": "Thùng rác ngầm màu xanh bên đường",
    }
    created = editor.post(
        "/can-bo/tin-tuc/moi",
        data=form,
        files={"image": ("a.png", _png(), "image/png")},
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    slug = "khai-truong-diem-thu-gom-rac-ngam-dinh-bo-linh"
    assert client.get(f"/tin-tuc/{slug}").status_code == 404  # a draft
    assert "Khai trương" not in client.get("/tin-tuc").text
    desk = editor.get("/can-bo/tin-tuc")
    assert "Bản nháp" in desk.text
    table = desk.text.split('<table class="data">')[1].split("</table>")[0]
    assert "<td>Phan Thị Biên</td>" in table and "bientap" not in table  # the writer by name
    post_id = int(re.search(r'href="/can-bo/tin-tuc/(\d+)"', desk.text).group(1))  # type: ignore[union-attr]
    draft_image = re.search(
        r'src="(/tin-tuc/anh/[0-9a-f]{64})"', editor.get(f"/can-bo/tin-tuc/{post_id}").text
    )
    assert draft_image is not None
    assert editor.get(draft_image.group(1)).status_code == 200
    assert client.get(draft_image.group(1)).status_code == 404  # not public while a draft

    future = (clock.today() + timedelta(days=3)).isoformat()
    refused = editor.post(f"/can-bo/tin-tuc/{post_id}", data={**form, "publish": "1", "published_on": future})
    assert refused.status_code == 422 and "tương lai" in refused.text

    published = editor.post(
        f"/can-bo/tin-tuc/{post_id}", data={**form, "publish": "1"}, follow_redirects=False
    )
    assert published.status_code == 303
    page = client.get(f"/tin-tuc/{slug}")
    assert page.status_code == 200 and "<p>Đoạn hai.</p>" in page.text
    image = re.search(r'src="(/tin-tuc/anh/[0-9a-f]{64})" alt="Thùng rác ngầm màu xanh bên đường"', page.text)
    assert image is not None
    assert client.get(image.group(1)).headers["content-type"] == "image/png"
    assert "Underground bins open" in client.get(f"/tin-tuc/{slug}?lang=en").text


def test_the_desk_refuses_others_and_checks_images(client, signed_in, public_city):
    assert client.get("/can-bo/tin-tuc", follow_redirects=False).status_code == 303  # to the login
    citizen, token, _ = signed_in("dan", ("citizen", None))
    assert citizen.get("/can-bo/tin-tuc").status_code == 403
    assert (
        citizen.post(
            "/can-bo/tin-tuc/moi", data={"csrf_token": token, "kind": "news", "title_vi": "Tin giả"}
        ).status_code
        == 403
    )
    editor, token, _ = signed_in("bientap2", ("head", None))
    no_alt = editor.post(
        "/can-bo/tin-tuc/moi",
        data={"csrf_token": token, "kind": "news", "title_vi": "Ảnh không mô tả"},
        files={"image": ("a.png", _png(), "image/png")},
    )
    assert no_alt.status_code == 422 and "mô tả thay thế" in no_alt.text
    not_image = editor.post(
        "/can-bo/tin-tuc/moi",
        data={"csrf_token": token, "kind": "news", "title_vi": "Tệp lạ", "image_alt_vi": "x"},
        files={"image": ("a.png", b"MZ not an image at all", "image/png")},
    )
    assert not_image.status_code == 422
    no_csrf = editor.post("/can-bo/tin-tuc/moi", data={"kind": "news", "title_vi": "Không có mã"})
    assert no_csrf.status_code == 403


def test_contacts_and_the_citizens_own_space(client, signed_in, public_city, settings):
    contacts = client.get("/lien-he")
    assert (
        "1022" in contacts.text
        and "0274.1022" in contacts.text
        and "Trung tâm Phục vụ hành chính công" in contacts.text
    )
    assert client.get("/cua-toi", follow_redirects=False).headers["location"] == "/login?next=/cua-toi"

    citizen, _token, user_id = signed_in("congdan1", ("citizen", None))
    empty = citizen.get("/cua-toi")
    assert "Hồ sơ thủ tục hành chính" in empty.text and "Bạn chưa gửi phản ánh nào." in empty.text
    assert "Trang của tôi" in empty.text and "Trang cán bộ" not in empty.text  # a citizen's menu, not staff's
    dossiers, details = empty.text.index("Hồ sơ thủ tục hành chính"), empty.text.index("Thông tin cá nhân")
    assert dossiers < details  # what a citizen comes for first, their account's details last

    from smartcity.feedback import service

    actor = Actor(kind="user", name="congdan1", user_id=user_id, roles=frozenset({("citizen", None)}))
    code = service.submit_report(
        public_city,
        actor=actor,
        data=ReportCreate(
            category_code="ha-tang", description="Nắp cống bị vỡ trước nhà số 5", lon=106.655, lat=10.98
        ),
        secret=settings.resolved_secret_key,
    ).report.code
    mine = citizen.get("/cua-toi")
    assert f'href="/phan-anh/{code}"' in mine.text and "Mới tiếp nhận" in mine.text


def test_the_catalogue_the_city_map_and_the_contacts_read_in_english(client, public_city):
    from smartcity.procedures import service as procedures

    client.cookies.set("lang", "en")
    catalogue = client.get("/thu-tuc").text
    assert "procedures fully described" in catalogue and "thủ tục đang cập nhật" not in catalogue
    catalogued = procedures.list_procedures(public_city, limit=500).items
    placeholder = next(p for p in catalogued if p.is_placeholder)
    page = client.get(f"/thu-tuc/{placeholder.code}").text
    assert "This procedure is being updated. Still missing:" in page and "required documents" in page
    assert "Chưa mở nộp hồ sơ trực tuyến" not in page and "Chưa cập nhật" not in page
    city_map = client.get("/ban-do").text
    assert "Ward boundaries are approximate" in city_map and "Các phường" not in city_map
    contacts = client.get("/lien-he").text
    assert "Monday – Friday" in contacts and "Thứ Hai" not in contacts
    assert "— Hotline 1022" in contacts and "— Đường dây nóng 1022" not in contacts  # the hidden link words
    client.cookies.set("lang", "vi")
    assert "Thứ Hai – Thứ Sáu" in client.get("/lien-he").text and "Các phường" in client.get("/ban-do").text


def test_the_home_stays_within_its_page_budget(client, public_city, settings):
    """Budget: the home page and everything it loads (HTML, CSS, scripts, images) under 200 KB, map tiles
    excluded (the home has no map; the city map is at /ban-do)."""
    load_demo(public_city, settings=settings, actor=Actor.system("demo"))
    home = client.get("/")
    total = len(home.content)
    for path in set(ASSET.findall(home.text)):
        asset = client.get(path)
        assert asset.status_code == 200, path
        total += len(asset.content)
    assert "<script" not in home.text, "the home needs no JavaScript"
    assert total < HOME_BUDGET, f"{total} bytes"


def test_the_city_map_moved_to_its_own_page(client, public_city):
    page = client.get("/ban-do")
    assert page.status_code == 200 and 'id="map"' in page.text and "Phường" in page.text
    assert "25747" not in page.text  # names, not codes


def test_the_json_api_searches_and_lists_news(client, public_city, settings):
    load_demo(public_city, settings=settings, actor=Actor.system("demo"))
    found = client.get("/api/v1/portal/search", params={"q": "dang ky khai sinh"}).json()
    assert found["count"] >= 1 and found["results"][0]["url"].startswith("/thu-tuc/")
    assert found["results"][0]["kind_vi"] == "Thủ tục hành chính"
    assert client.get("/api/v1/portal/search", params={"q": ""}).status_code == 422
    news = client.get("/api/v1/portal/posts", params={"limit": 2}).json()
    assert news["total"] == 5 and len(news["items"]) == 2
    assert all(item["status"] == "published" for item in news["items"])


def test_the_search_page_writes_the_domains_words_in_english(client, public_city, settings):
    load_demo(public_city, settings=settings, actor=Actor.system("demo"))
    client.cookies.set("lang", "en")
    procedures = client.get("/tim-kiem", params={"q": "khai sinh"}).text
    assert "working days" in procedures and "ngày làm việc" not in procedures
    news = client.get("/tim-kiem", params={"q": "do thi thong minh"}).text
    assert "Building Thủ Dầu Một into a smart city" in news
    found = client.get("/api/v1/portal/search", params={"q": "do thi thong minh"}).json()["results"]
    assert any(hit["title"].startswith("Xây dựng") for hit in found)  # the API is unchanged: Vietnamese
    client.cookies.set("lang", "vi")
    assert "ngày làm việc" in client.get("/tim-kiem", params={"q": "khai sinh"}).text


def test_the_citizens_space_gathers_dossiers_and_fees_to_pay(signed_in, public_city, settings):
    from sqlalchemy import select, update

    from smartcity.dossiers.demo import seed_demo_dossiers
    from smartcity.dossiers.models import Dossier

    citizen, _token, user_id = signed_in("congdan2", ("citizen", None))
    seed_demo_dossiers(public_city, settings=settings, count=12, years=1)
    with public_city.write_session() as s:
        ids = list(s.scalars(select(Dossier.id).order_by(Dossier.id).limit(3)))
        s.execute(update(Dossier).where(Dossier.id.in_(ids)).values(applicant_user_id=user_id))
        s.execute(update(Dossier).where(Dossier.id == ids[0]).values(state=6))
        codes = list(s.scalars(select(Dossier.code).where(Dossier.id.in_(ids)).order_by(Dossier.id)))
    page = citizen.get("/cua-toi").text
    assert all(f'href="/ho-so/{code}"' in page for code in codes)
    fees = page.split("Phí, lệ phí cần nộp")[1]
    assert f'href="/ho-so/{codes[0]}"' in fees and f'href="/ho-so/{codes[1]}"' not in fees


SCHOOL = "TRUONG-TH-PHUHOA1"  # Trường Tiểu học Phú Hòa 1 (education.demo's school_org_unit)
WARD = "UBND-25747-HCM"  # Ủy ban nhân dân phường Thủ Dầu Một


def test_a_schools_head_does_not_write_the_citys_news_and_a_wards_head_does(signed_in, db):  # type: ignore[no-untyped-def]
    known = {unit.code for unit in accounts_service.list_org_units(db)}
    units = [
        {"code": SCHOOL, "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"},
        {"code": WARD, "name": "Ủy ban nhân dân phường Thủ Dầu Một", "kind": "ward_committee"},
    ]
    accounts_service.upsert_org_units(
        db, actor=Actor.system("t"), units=[u for u in units if u["code"] not in known]
    )
    school, token, _ = signed_in("hieutruong", ("head", SCHOOL))
    for path in ("/can-bo/tin-tuc", "/can-bo/tin-tuc/moi"):
        refused = school.get(path)
        assert refused.status_code == 403, path
        assert "Ủy ban nhân dân thành phố, phường" in refused.text
    written = school.post(
        "/can-bo/tin-tuc/moi",
        data={"csrf_token": token, "kind": "news", "title_vi": "Tin của trường", "publish": "1"},
    )
    assert written.status_code == 403
    assert 'href="/can-bo/tin-tuc"' not in school.get("/can-bo").text
    ward, token, _ = signed_in("truongphong.phuong", ("head", WARD))
    assert ward.get("/can-bo/tin-tuc").status_code == 200
    assert 'href="/can-bo/tin-tuc"' in ward.get("/can-bo").text
    saved = ward.post(
        "/can-bo/tin-tuc/moi",
        data={"csrf_token": token, "kind": "news", "title_vi": "Tin của phường"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
