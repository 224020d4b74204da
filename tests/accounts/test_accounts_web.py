"""Login page, logout, staff page and the cookie session, through TestClient (cookies kept)."""

from __future__ import annotations

import re

import pytest

from smartcity.accounts import service
from tests.accounts.conftest import PASSWORD, SYSTEM

HTML = {"accept": "text/html"}


def _csrf(client, url: str = "/login") -> str:
    page = client.get(url, headers=HTML)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def _login(
    client, username: str, password: str = PASSWORD, next_url: str = "/can-bo", csrf: str | None = None
):
    token = _csrf(client) if csrf is None else csrf
    return client.post(
        "/login",
        headers=HTML,
        follow_redirects=False,
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
    )


@pytest.fixture
def ward_clerk(db, make_user):
    """A clerk of one ward committee."""
    service.upsert_org_units(
        db,
        actor=SYSTEM,
        units=[
            {
                "code": "UBND-PL",
                "name": "UBND phường Phú Lợi",
                "name_en": "Phu Loi Ward Committee",
                "kind": "ward_committee",
            }
        ],
    )
    return make_user("clerk.pl", ("clerk", "UBND-PL"), full_name="Phạm Thị Mai")


def test_login_page_is_vietnamese_and_english_on_request(client):
    page = client.get("/login", headers=HTML)
    assert page.status_code == 200 and "Tên đăng nhập" in page.text and "Mật khẩu" in page.text
    english = client.get("/login?lang=en", headers=HTML)
    assert "Username" in english.text and "Password" in english.text
    assert "Verification code (if two-step verification is on)" in english.text
    assert "Mã xác thực" not in english.text


def test_login_then_staff_page_shows_name_roles_and_units(client, ward_clerk):
    response = _login(client, "clerk.pl")
    assert response.status_code == 303 and response.headers["location"] == "/can-bo"
    page = client.get("/can-bo", headers=HTML)
    assert page.status_code == 200
    assert "Phạm Thị Mai" in page.text and "Cán bộ tiếp nhận một cửa" in page.text
    assert "UBND phường Phú Lợi" in page.text and "clerk.pl" in page.text
    english = client.get("/can-bo?lang=en", headers=HTML)
    assert "One-stop intake clerk" in english.text and "Phu Loi Ward Committee" in english.text


def test_wrong_password_shows_a_plain_message(client, ward_clerk):
    for username, password in (("clerk.pl", "wrong password"), ("ghost", "wrong password")):
        page = _login(client, username, password)
        assert page.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.text
    assert client.get("/can-bo", follow_redirects=False).status_code == 303


def test_login_form_needs_the_session_csrf_token(client, ward_clerk):
    _csrf(client)
    page = _login(client, "clerk.pl", csrf="forged")
    assert page.status_code == 403 and "hết hạn" in page.text


def test_next_is_limited_to_local_paths(client, ward_clerk):
    for target, expected in (
        ("https://evil.example/x", "/can-bo"),
        ("//evil.example", "/can-bo"),
        ("/\\evil.example", "/can-bo"),
        ("/ioc?tab=map", "/ioc?tab=map"),
        ("", "/can-bo"),
    ):
        client.cookies.clear()
        response = _login(client, "clerk.pl", next_url=target)
        assert response.headers["location"] == expected, target


def test_without_next_staff_land_in_their_area_and_citizens_in_their_space(client, ward_clerk, make_user):
    make_user("cong.dan.moi", ("citizen", None), full_name="Đỗ Văn F")
    assert _login(client, "clerk.pl", next_url="").headers["location"] == "/can-bo"
    client.cookies.clear()
    assert _login(client, "cong.dan.moi", next_url="").headers["location"] == "/cua-toi"
    again = client.get("/login", headers=HTML, follow_redirects=False)  # already signed in
    assert again.headers["location"] == "/cua-toi"
    client.cookies.clear()
    assert _login(client, "cong.dan.moi", next_url="https://evil.example/").headers["location"] == "/cua-toi"


def test_anonymous_staff_page_redirects_to_login(client):
    response = client.get("/can-bo", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/can-bo"


def test_a_citizen_lands_in_their_own_space_not_on_a_staff_page(client, make_user):
    make_user("nguoi.dan", ("citizen", None), full_name="Võ Văn E")
    _login(client, "nguoi.dan")
    landing = client.get("/can-bo", headers=HTML, follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/cua-toi"
    page = client.get("/cua-toi", headers=HTML)
    assert page.status_code == 200 and "Võ Văn E" in page.text and "role-table" not in page.text


def test_logout_needs_csrf_and_ends_the_session(client, ward_clerk):
    _login(client, "clerk.pl")
    refused = client.post("/logout", headers=HTML, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/can-bo", follow_redirects=False).status_code == 200
    token = _csrf(client, "/can-bo")
    done = client.post("/logout", headers=HTML, data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/can-bo", follow_redirects=False).status_code == 303


def test_a_copied_cookie_stops_working_after_logout(app, client, ward_clerk):
    from fastapi.testclient import TestClient

    _login(client, "clerk.pl")
    copied_cookie = client.cookies.get("smartcity_session")
    with TestClient(app, cookies={"smartcity_session": copied_cookie}) as thief:
        assert thief.get("/can-bo", follow_redirects=False).status_code == 200  # the copy works...
        token = _csrf(client, "/can-bo")
        client.post("/logout", headers=HTML, data={"csrf_token": token}, follow_redirects=False)
        assert thief.get("/can-bo", follow_redirects=False).status_code == 303  # ...until the owner logs out
        assert thief.get("/api/v1/auth/me").status_code == 401


def test_each_login_is_its_own_session_and_old_ones_are_purged(client, db, ward_clerk):
    from datetime import timedelta

    from sqlalchemy import func, select, update

    from smartcity.accounts.models import WebSession
    from smartcity.core.db import utcnow

    _login(client, "clerk.pl")
    _login(client, "clerk.pl")
    with db.write_session() as s:
        rows = s.scalars(select(WebSession)).all()
        assert len(rows) == 2 and all(r.client_ip and r.user_agent for r in rows)
        s.execute(update(WebSession).values(expires_at=utcnow() - timedelta(days=31)))
    assert client.get("/can-bo", follow_redirects=False).status_code == 303  # expired
    assert service.purge_web_sessions(db) == 2
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebSession)) == 0


def test_throttled_login_says_so(client, ward_clerk, settings):
    for _ in range(settings.login_max_failures):
        _login(client, "clerk.pl", "wrong password")
    page = _login(client, "clerk.pl")
    assert page.status_code == 429 and "Bạn đã nhập sai quá nhiều lần" in page.text
    assert int(page.headers["retry-after"]) > 0


def test_deactivated_users_session_ends(client, db, ward_clerk):
    _login(client, "clerk.pl")
    service.deactivate_user(db, actor=SYSTEM, user_id=ward_clerk.id)
    assert client.get("/can-bo", follow_redirects=False).status_code == 303


def test_cookie_authenticated_unsafe_api_calls_need_the_csrf_header(client, make_user):
    make_user("web.admin", ("admin", None))
    _login(client, "web.admin")
    me = client.get("/api/v1/auth/me").json()
    assert me["name"] == "web.admin" and me["csrf_token"]
    refused = client.post("/api/v1/accounts/api-keys", json={"name": "from the browser"})
    assert refused.status_code == 403
    allowed = client.post(
        "/api/v1/accounts/api-keys",
        json={"name": "from the browser"},
        headers={"X-CSRF-Token": me["csrf_token"]},
    )
    assert allowed.status_code == 201


def test_staff_links_offer_an_administrator_only_the_pages_they_may_open():
    """A unit-only link (a school's own page) is not offered to an administrator, who holds no school's
    work and would meet 403 there; a link open city-wide is."""
    from smartcity.accounts.views import staff_links
    from smartcity.core.security import Actor

    admin = Actor(kind="user", name="admin", user_id=1, roles=frozenset({("admin", None)}))
    principal = Actor(kind="user", name="ht", user_id=2, roles=frozenset({("head", "TRUONG-PHUHOA1")}))
    admin_links = {link["href"] for link in staff_links(admin)}
    assert "/can-bo/giao-duc" in admin_links and "/can-bo/giao-duc/truong" not in admin_links
    assert "/can-bo/giao-duc/truong" in {link["href"] for link in staff_links(principal)}


def test_a_schools_head_reads_as_its_principal(client, db, make_user):
    service.upsert_org_units(
        db,
        actor=SYSTEM,
        units=[{"code": "TRUONG-TH-PHUHOA1", "name": "Trường Tiểu học Phú Hòa 1", "kind": "school"}],
    )
    make_user("hieutruong", ("head", "TRUONG-TH-PHUHOA1"), full_name="Trần Văn Bình")
    assert _login(client, "hieutruong").status_code == 303
    page = client.get("/can-bo", headers=HTML).text
    assert "Hiệu trưởng" in page and "Trưởng phòng, đơn vị" not in page
    assert "Principal" in client.get("/can-bo?lang=en", headers=HTML).text
    assert service.role_name("head") == "Trưởng phòng, đơn vị"  # a ward's or a department's head
    assert service.role_name("specialist", unit_kind="school") == "Giáo viên"
    assert service.role_name("specialist") == "Chuyên viên"
